package hostlinux

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"cgsim/model"
	"cgsim/sim"
)

// ScenarioPlan is a scenario as RunScenario runs it on real processes:
// the simulator's programs, and the setup in the order the simulator's
// builder performed it.
type ScenarioPlan struct {
	Programs []sim.Program
	Cgroups  []PlanCgroup
	// Tasks[0] is the scenario's init: pid 1 of a new pid namespace, so
	// that orphans are reparented to it as in the simulator, where it is
	// the global init.
	Tasks []PlanTask
	// NSTask maps a simulator pid namespace to a setup task in it (setns).
	NSTask map[int32]string
	// ForkLimit bounds the forks of the whole run: a fork past it fails
	// with EAGAIN and the outcome says so (default 256).
	ForkLimit int32
	// Timeout bounds the run (default 10 s): a run whose processes have
	// not come to rest by then is stopped and the outcome says so.
	Timeout time.Duration
}

// PlanCgroup is a cgroup created at setup and the files written in it.
type PlanCgroup struct {
	Path   string
	Writes []PlanWrite
}

// PlanWrite is one write of a cgroup interface file at setup.
type PlanWrite struct{ File, Value string }

// PlanTask is a task forked at setup by its parent.
type PlanTask struct {
	Name string
	// ID is the simulator's task id (for kill and await of a task).
	ID     int32
	Prog   int32
	Parent string // "" for init
	Cgroup string // cloned into this cgroup ("" for the parent's)
	// NewPidNS: CLONE_NEWPID; SetnsTo: the parent joins that task's pid
	// namespace first.
	NewPidNS bool
	SetnsTo  string
	// Settle: the task runs alone first until it blocks (the simulator's
	// builder lets such tasks run to their first sleep before the run).
	Settle bool
}

// RealOutcome is what a run on real processes ended with, once every
// process had come to rest (or the run was stopped).
type RealOutcome struct {
	// Calls are the labelled calls in the order they returned.
	Calls []CallResult
	// Tasks are every process of the run: the setup tasks, then the ones
	// forked while it ran (named parent.n) in the order they were born.
	Tasks []TaskFate
	// Unseen counts the processes forked while it ran of which nothing is
	// known: the parent was killed right after clone and the child before
	// it could announce itself.
	Unseen int
	// Cgroups are the cgroups of the run at the end, in path order.
	Cgroups []CgroupView
	// Problems are what makes the outcome incomplete: the fork bound was
	// hit, the processes did not come to rest, a helper failed.
	Problems []string
}

// CallResult is the result of one labelled call.
type CallResult struct {
	Task, Label string
	Errno       model.Errno
	Data        string
}

// TaskFate is how a process of the run ended.
type TaskFate struct {
	Name  string
	Setup bool
	// State is ExitNone (alive, in Cgroup), ExitZombie or ExitDead
	// (reaped); Status is the wait status of an exited one, -1 if the
	// kernel kept none (PIDFD_INFO_EXIT is 6.15+).
	State  model.ExitState
	Status int32
	Cgroup string
}

// CgroupView is a cgroup's state at the end.
type CgroupView struct {
	Path              string
	Populated, Frozen bool
	Type              string
}

// proc is a registered process of a scenario run.
type proc struct {
	name  string
	setup bool
	pidfd int
}

// scenarioRun is the harness's side of RunScenario.
type scenarioRun struct {
	r     *Run
	p     *ScenarioPlan
	dir   string
	page  []byte
	sock  int // the harness's end of the datagram socket
	mu    sync.Mutex
	procs map[int32]*proc // by slot; guarded by mu
	order []int32         // slots in registration order; guarded by mu
	fifos map[int32]*os.File
	// done stops receive; received is closed when it has returned.
	done     atomic.Bool
	received chan struct{}
}

func (s *scenarioRun) word(i int) *int32 { return (*int32)(unsafe.Pointer(&s.page[4*i])) }

// RunScenario runs plan p in run r with real helper processes executing
// the simulator's programs, waits until they come to rest, and reports
// what can be observed. The caller closes r (which kills whatever is
// left). An error is a failure to set the run up, not a disagreement.
func RunScenario(r *Run, p *ScenarioPlan) (*RealOutcome, error) {
	if len(p.Tasks) == 0 || len(p.Tasks) > pageSlotsMax {
		return nil, fmt.Errorf("a plan has 1 to %d tasks, not %d", pageSlotsMax, len(p.Tasks))
	}
	if p.ForkLimit == 0 {
		p.ForkLimit = 256
	}
	if p.Timeout == 0 {
		p.Timeout = 10 * time.Second
	}
	dir, err := os.MkdirTemp("", fmt.Sprintf("cgsim-scenario-%d-%d-", pidNS(), os.Getpid()))
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	s := &scenarioRun{r: r, p: p, dir: dir, procs: map[int32]*proc{}, fifos: map[int32]*os.File{}}
	defer s.closeFDs()
	if err := s.prepare(); err != nil {
		return nil, err
	}
	if err := s.setup(); err != nil {
		return nil, err
	}
	out := &RealOutcome{}
	if !s.settle() {
		out.Problems = append(out.Problems, fmt.Sprintf("the processes did not come to rest within %v", p.Timeout))
	}
	if atomic.LoadInt32(s.word(pageBound)) != 0 {
		out.Problems = append(out.Problems, fmt.Sprintf("the fork bound (%d forks per run) was hit: later forks failed with EAGAIN", p.ForkLimit))
	}
	s.observe(out)
	if b, _ := os.ReadFile(filepath.Join(dir, "stderr")); len(b) > 0 {
		out.Problems = append(out.Problems, "helper stderr: "+strings.TrimSpace(string(b)))
	}
	return out, nil
}

func (s *scenarioRun) closeFDs() {
	if s.sock > 0 {
		s.done.Store(true)
		_ = syscall.Shutdown(s.sock, syscall.SHUT_RDWR)
		<-s.received
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pr := range s.procs {
		syscall.Close(pr.pidfd)
	}
	for _, f := range s.fifos {
		f.Close()
	}
	if s.sock > 0 {
		syscall.Close(s.sock)
	}
	if s.page != nil {
		_ = syscall.Munmap(s.page)
	}
}

// prepare writes the programs, creates the log, the status page, the
// socket and the cgroups.
func (s *scenarioRun) prepare() error {
	b, err := json.Marshal(s.p.Programs)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.dir, "programs.json"), b, 0o600); err != nil {
		return err
	}
	for _, c := range s.p.Cgroups {
		if c.Path != "/" {
			if err := os.Mkdir(s.r.Path(c.Path), 0o755); err != nil {
				return fmt.Errorf("setup: mkdir %s: %w", c.Path, errno(err))
			}
		}
		for _, w := range c.Writes {
			if e := writeFile(s.r.Path(strings.TrimSuffix(c.Path, "/")+"/"+w.File), w.Value); e != model.OK {
				return fmt.Errorf("setup: write %q to %s/%s: %v", w.Value, strings.TrimSuffix(c.Path, "/"), w.File, e)
			}
		}
	}
	page, err := os.OpenFile(filepath.Join(s.dir, "page"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer page.Close()
	if err := page.Truncate(pageBytes); err != nil {
		return err
	}
	if s.page, err = syscall.Mmap(int(page.Fd()), 0, pageBytes, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED); err != nil {
		return err
	}
	atomic.StoreInt32(s.word(pageSlots), int32(len(s.p.Tasks)))
	for i := range s.p.Tasks {
		if err := syscall.Mkfifo(filepath.Join(s.dir, "ctl."+strconv.Itoa(i)), 0o600); err != nil {
			return err
		}
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	s.sock = fds[0]
	s.received = make(chan struct{})
	go s.receive(fds[0])
	return s.startInit(fds[1], page)
}

// receive registers the processes their parents announce.
func (s *scenarioRun) receive(sock int) {
	defer close(s.received)
	buf := make([]byte, 512)
	oob := make([]byte, syscall.CmsgSpace(4))
	for {
		n, oobn, _, _, err := syscall.Recvmsg(sock, buf, oob, syscall.MSG_CMSG_CLOEXEC)
		if s.done.Load() {
			return // shut down at the end of the run
		}
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			continue
		}
		fds, err := syscall.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			continue
		}
		var slot int32
		var name string
		if _, err := fmt.Sscanf(string(buf[:n]), "task %d %s", &slot, &name); err != nil {
			syscall.Close(fds[0])
			continue
		}
		s.register(slot, name, fds[0])
	}
}

func (s *scenarioRun) register(slot int32, name string, pidfd int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.procs[slot]; dup || slot < 0 || slot >= pageSlotsMax {
		syscall.Close(pidfd) // announced by its parent and by itself
		return
	}
	s.procs[slot] = &proc{name: name, setup: int(slot) < len(s.p.Tasks), pidfd: pidfd}
	s.order = append(s.order, slot)
}

func (s *scenarioRun) proc(slot int32) *proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.procs[slot]
}

// startInit starts the scenario's init as pid 1 of a new pid namespace,
// in the run's cgroup (or the one the plan gives it).
func (s *scenarioRun) startInit(sock int, page *os.File) error {
	defer syscall.Close(sock)
	logf, err := os.OpenFile(filepath.Join(s.dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	// The helpers' stderr (a Go runtime crash) is kept for the outcome.
	stderr, err := os.OpenFile(filepath.Join(s.dir, "stderr"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer stderr.Close()
	names := map[int32]string{}
	for _, t := range s.p.Tasks {
		names[t.ID] = t.Name
	}
	t := s.p.Tasks[0]
	st := procState{Dir: s.dir, Base: s.r.Base, Name: t.Name, Slot: 0, Setup: true, Prog: t.Prog,
		Names: names, NSTask: s.p.NSTask, ForkLimit: s.p.ForkLimit}
	env, err := json.Marshal(st)
	if err != nil {
		return err
	}
	cg := "/"
	if t.Cgroup != "" {
		cg = t.Cgroup
	}
	fd, err := syscall.Open(s.r.Path(cg), oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	pidfd := -1
	self, err := os.Executable()
	if err != nil {
		return err
	}
	pid, err := syscall.ForkExec(self, []string{self}, &syscall.ProcAttr{Env: helperEnviron(env),
		Files: []uintptr{devnull.Fd(), devnull.Fd(), stderr.Fd(), logf.Fd(), uintptr(sock), page.Fd()},
		// Pdeathsig: if the harness dies, init dies, and with it the
		// namespace (a fork bomb included) at once, not at the next sweep.
		Sys: &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd, Cloneflags: syscall.CLONE_NEWPID, PidFD: &pidfd,
			Pdeathsig: syscall.SIGKILL}})
	if err != nil {
		return fmt.Errorf("setup: clone3 of init: %w", errno(err))
	}
	if p, err := os.FindProcess(pid); err == nil {
		s.r.Track(p) // Close reaps it
	}
	s.register(0, t.Name, pidfd)
	return nil
}

// waitSlot waits until slot's process is registered and in state want.
func (s *scenarioRun) waitSlot(slot int32, want int32, what string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		pr := s.proc(slot)
		if pr != nil && atomic.LoadInt32(s.word(pageFirstSlot+int(slot))) == want {
			return nil
		}
		if pr != nil && exited(pr.pidfd) {
			return fmt.Errorf("setup: %s died (%s)", what, s.helperErrors())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("setup: %s did not start within 10 s (%s)", what, s.helperErrors())
		}
		time.Sleep(time.Millisecond)
	}
}

// setup has each task forked by its parent, in order, then lets them go.
func (s *scenarioRun) setup() error {
	slotOf := map[string]int32{}
	for i, t := range s.p.Tasks {
		slotOf[t.Name] = int32(i)
		f, err := os.OpenFile(filepath.Join(s.dir, "ctl."+strconv.Itoa(i)), os.O_RDWR, 0)
		if err != nil {
			return err
		}
		s.fifos[int32(i)] = f
	}
	if err := s.waitSlot(0, slotSetup, "init"); err != nil {
		return err
	}
	for i, t := range s.p.Tasks[1:] {
		slot := int32(i + 1)
		c := setupChild{Name: t.Name, Slot: slot, Prog: t.Prog, Cgroup: t.Cgroup, NewPID: t.NewPidNS}
		if t.SetnsTo != "" {
			c.SetnsPid = pidOf(s.proc(slotOf[t.SetnsTo]).pidfd)
		}
		b, _ := json.Marshal(c)
		if _, err := fmt.Fprintf(s.fifos[slotOf[t.Parent]], "fork %s\n", b); err != nil {
			return err
		}
		if err := s.waitSlot(slot, slotSetup, "task "+t.Name); err != nil {
			return err
		}
	}
	pids := map[string]int{}
	for i, t := range s.p.Tasks {
		pids[t.Name] = pidOf(s.proc(int32(i)).pidfd)
	}
	b, _ := json.Marshal(pids)
	// The settling tasks go first, one by one, each until it blocks; then
	// all others at once.
	for _, settle := range []bool{true, false} {
		for i, t := range s.p.Tasks {
			if t.Settle != settle {
				continue
			}
			if _, err := fmt.Fprintf(s.fifos[int32(i)], "go %s\n", b); err != nil {
				return err
			}
			if settle {
				if err := s.waitBlocked(int32(i), t.Name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// waitBlocked waits until a settling task blocks (or dies).
func (s *scenarioRun) waitBlocked(slot int32, name string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := atomic.LoadInt32(s.word(pageFirstSlot + int(slot)))
		if st == slotBlocked || st == slotPolling || exited(s.proc(slot).pidfd) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("setup: task %s did not go to sleep within 10 s (%s)", name, s.helperErrors())
		}
		time.Sleep(time.Millisecond)
	}
}

// settle waits until the run is at rest: every fork's child registered,
// every live process blocked (pause, wait4), polling a false condition, or
// in a frozen cgroup, and no instruction run for 200 ms. It reports false
// at the timeout.
func (s *scenarioRun) settle() bool {
	deadline := time.Now().Add(s.p.Timeout)
	last, still := int32(-1), 0
	for time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		progress := atomic.LoadInt32(s.word(pageProgress))
		if progress != last || !s.atRest() {
			last, still = progress, 0
			continue
		}
		if still++; still >= 20 {
			return true
		}
	}
	return false
}

func (s *scenarioRun) atRest() bool {
	n := min(atomic.LoadInt32(s.word(pageSlots)), pageSlotsMax)
	for slot := int32(0); slot < n; slot++ {
		state := atomic.LoadInt32(s.word(pageFirstSlot + int(slot)))
		if state == slotVoid {
			continue
		}
		pr := s.proc(slot)
		if pr == nil {
			if s.unseen(slot) {
				continue
			}
			return false // forked, not yet announced
		}
		if exited(pr.pidfd) || state == slotBlocked || state == slotPolling {
			continue
		}
		if !s.frozen(pr.pidfd) {
			return false
		}
	}
	return true
}

// unseen reports whether the process of a forked slot will never be
// announced: neither it nor its parent announced it, and its parent has
// exited (killed between clone and announcing it, and the child killed
// before it could announce itself).
func (s *scenarioRun) unseen(slot int32) bool {
	if atomic.LoadInt32(s.word(pageFirstSlot+int(slot))) == slotVoid {
		return true
	}
	parent := atomic.LoadInt32(s.word(pageParents+int(slot))) - 1
	if parent < 0 || parent >= pageSlotsMax {
		// Not recorded: the parent was killed right after taking the slot
		// (a live parent records it at once, and runs meanwhile).
		return true
	}
	if pr := s.proc(parent); pr != nil {
		// Dead, or frozen before it could clone or announce the child.
		return exited(pr.pidfd) || s.frozen(pr.pidfd)
	}
	return s.unseen(parent)
}

// frozen reports whether the process is in a frozen cgroup.
func (s *scenarioRun) frozen(pidfd int) bool {
	cg, ok := procCgroup(pidOf(pidfd))
	if !ok || !s.r.Contains(cg) {
		return false
	}
	_, frozen, _ := cgroupEvents(s.r.Mount + cg)
	return frozen
}

// observe fills out with the calls, the fates and the cgroups.
func (s *scenarioRun) observe(out *RealOutcome) {
	if b, err := os.ReadFile(filepath.Join(s.dir, "log")); err == nil {
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			var l logLine
			if json.Unmarshal(sc.Bytes(), &l) != nil {
				continue
			}
			if l.Error != "" {
				out.Problems = append(out.Problems, l.Task+": "+l.Error)
				continue
			}
			out.Calls = append(out.Calls, CallResult{Task: l.Task, Label: l.Label, Errno: model.Errno(l.Errno), Data: l.Data})
		}
	}
	s.mu.Lock()
	slots := append([]int32(nil), s.order...)
	s.mu.Unlock()
	sort.SliceStable(slots, func(i, j int) bool {
		return slots[i] < int32(len(s.p.Tasks)) && slots[j] >= int32(len(s.p.Tasks))
	})
	for _, slot := range slots {
		pr := s.proc(slot)
		f := TaskFate{Name: pr.name, Setup: pr.setup}
		info, ok := pidfdInfo(pr.pidfd)
		pid := pidOf(pr.pidfd)
		if pid == 0 && !(ok && info.mask&pidfdInfoExit != 0) {
			info, ok = pidfdInfo(pr.pidfd) // reaped between the two reads
		}
		switch {
		case ok && info.mask&pidfdInfoExit != 0:
			f.State, f.Status = model.ExitDead, info.exitCode
		case pid == 0:
			// Reaped, and the kernel keeps no exit status (before 6.15).
			f.State, f.Status = model.ExitDead, -1
		case exited(pr.pidfd):
			f.State = model.ExitZombie
			f.Status = zombieStatus(pid)
		default:
			cg, _ := procCgroup(pid)
			f.Cgroup = strings.TrimPrefix(cg, s.r.Rel)
			if f.Cgroup == "" {
				f.Cgroup = "/"
			}
		}
		out.Tasks = append(out.Tasks, f)
	}
	n := min(atomic.LoadInt32(s.word(pageSlots)), pageSlotsMax)
	for slot := int32(0); slot < n; slot++ {
		if s.proc(slot) == nil && atomic.LoadInt32(s.word(pageFirstSlot+int(slot))) != slotVoid {
			out.Unseen++
		}
	}
	var dirs []string
	_ = filepath.WalkDir(s.r.Base, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	sort.Strings(dirs)
	for _, d := range dirs {
		v := CgroupView{Path: strings.TrimPrefix(d, s.r.Base)}
		if v.Path == "" {
			v.Path = "/"
		}
		v.Populated, v.Frozen, _ = cgroupEvents(d)
		ty, _ := os.ReadFile(d + "/cgroup.type")
		v.Type = strings.TrimSpace(string(ty))
		out.Cgroups = append(out.Cgroups, v)
	}
}

// helperErrors returns the errors helpers logged so far.
func (s *scenarioRun) helperErrors() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "log"))
	var errs []string
	for _, line := range strings.Split(string(b), "\n") {
		var l logLine
		if json.Unmarshal([]byte(line), &l) == nil && l.Error != "" {
			errs = append(errs, l.Task+": "+l.Error)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(s.dir, "stderr")); len(b) > 0 {
		errs = append(errs, "stderr: "+strings.TrimSpace(string(b)))
	}
	if len(errs) == 0 {
		return "no error logged"
	}
	return strings.Join(errs, "; ")
}

// exited reports whether the pidfd's process has exited (poll: readable).
func exited(pidfd int) bool {
	fds := []pollFd{{fd: int32(pidfd), events: pollIn}}
	n, _, _ := syscall.Syscall(syscall.SYS_POLL, uintptr(unsafe.Pointer(&fds[0])), 1, 0)
	return n == 1 && fds[0].revents&pollIn != 0
}

type pollFd struct {
	fd              int32
	events, revents int16
}

const pollIn = 0x1

// pidOf is the pid of a pidfd's process in this process's pid
// namespace, 0 once it is reaped.
func pidOf(pidfd int) int { return max(pidOfPidfd(pidfd), 0) }

// zombieStatus is the wait status of a zombie: exit_code, field 52 of
// /proc/PID/stat (proc_pid_stat, since 3.5).
func zombieStatus(pid int) int32 {
	f := procStat(pid)
	if len(f) < 50 {
		return 0
	}
	n, _ := strconv.Atoi(f[49]) // field 52
	return int32(n)
}

// pidfdInfo is PIDFD_GET_INFO (6.13+; PIDFD_INFO_EXIT, 6.15+: the exit
// status, once the process has been reaped).
type pidfdInfoT struct {
	mask, cgroupid                                             uint64
	pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid uint32
	fsgid                                                      uint32
	exitCode                                                   int32
}

const (
	pidfdInfoExit = 0x8
	pidfdGetInfo  = 0xC040FF0B // _IOWR(PIDFS_IOCTL_MAGIC, 11, struct pidfd_info), 64 bytes
)

func pidfdInfo(pidfd int) (pidfdInfoT, bool) {
	var info pidfdInfoT
	info.mask = pidfdInfoExit
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(pidfd), pidfdGetInfo, uintptr(unsafe.Pointer(&info)))
	return info, e == 0
}

// sweepScratch removes the scratch directories of scenario runs of this
// pid namespace whose process is gone (killed in the middle of
// RunScenario); they are named cgsim-scenario-<pid ns inode>-<pid>-*.
func sweepScratch() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "cgsim-scenario-*-*-*"))
	ns := pidNS()
	for _, d := range dirs {
		var dns uint64
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(d), "cgsim-scenario-%d-%d-", &dns, &pid); err != nil || dns != ns || pid <= 0 {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			_ = os.RemoveAll(d)
		}
	}
}
