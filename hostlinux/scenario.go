//go:build linux

package hostlinux

import (
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
	// pid 1 of a namespace at the same level (ScenarioInitLevel).
	Tasks []PlanTask
	// NSTask maps a simulator pid namespace to a setup task in it (setns).
	NSTask map[int32]string
	// ForkLimit bounds the forks and clones of the whole run: one past it
	// fails with EAGAIN and the outcome says so (default 256).
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
	// Threads are the extra threads the task makes at setup, each running
	// ThreadProg from its start (they settle before the run, as the
	// builder settles them).
	Threads    int32
	ThreadProg int32
	// Settle: the task runs alone first until it blocks (the simulator's
	// builder lets such tasks run to their first sleep before the run).
	Settle bool
	// V1 names the v1 cgroups the process is placed in once created (the
	// scenario key v1; "" leaves it where its parent is). Each name is a
	// cgroup of the run's own in the v1 hierarchy ScenarioV1Controller
	// names, so that, as in the simulator, processes of one v2 cgroup with
	// different names sit on different css_sets.
	V1 string
}

// ScenarioV1Controller is the v1 hierarchy in which RunScenario places
// the processes of tasks with a V1 name. The freezer's v1 cgroups are
// created thawed, so a process placed there runs as before; only its
// css_set changes.
const ScenarioV1Controller = "freezer"

// HaveScenarioV1 reports, as an error fit for a refusal, whether the v1
// hierarchy of ScenarioV1Controller is mounted here.
func HaveScenarioV1() error {
	if _, ok := v1Mounts()[ScenarioV1Controller]; !ok {
		return fmt.Errorf("no cgroup v1 %s hierarchy is mounted here to place processes in other v1 cgroups", ScenarioV1Controller)
	}
	return nil
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
	bin   string // the C interpreter
	page  []byte
	sock  int // the harness's end of the datagram socket
	mu    sync.Mutex
	procs map[int32]*proc // by slot; guarded by mu
	order []int32         // slots in registration order; guarded by mu
	fifos map[int32]*os.File
	// v1Names maps the plan's V1 names to the run's v1 cgroups.
	v1Names map[string]string
	// done stops receive; received is closed when it has returned.
	done     atomic.Bool
	received chan struct{}
}

func (s *scenarioRun) word(i int) *int32 { return (*int32)(unsafe.Pointer(&s.page[4*i])) }

func (s *scenarioRun) load(i int) int32 { return atomic.LoadInt32(s.word(i)) }

// RunScenario runs plan p in run r as real processes: a small
// single-threaded C interpreter (cinterp.c, built with gcc on first use)
// executes the simulator's programs with real system calls, one process
// per task, forked with clone3 exactly where the programs fork. It waits
// until they come to rest and reports what can be observed. The caller
// closes r (which kills whatever is left). A *Refusal says why the plan
// cannot run; any other error is a failure to set the run up, not a
// disagreement.
func RunScenario(r *Run, p *ScenarioPlan) (*RealOutcome, error) {
	if len(p.Tasks) == 0 || len(p.Tasks) > pageSlotsMax {
		return nil, fmt.Errorf("a plan has 1 to %d tasks, not %d", pageSlotsMax, len(p.Tasks))
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	if p.ForkLimit == 0 {
		p.ForkLimit = 256
	}
	if p.Timeout == 0 {
		p.Timeout = 10 * time.Second
	}
	bin, err := interpBinary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", fmt.Sprintf("cgsim-scenario-%d-%d-", pidNS(), os.Getpid()))
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	s := &scenarioRun{r: r, p: p, dir: dir, bin: bin, procs: map[int32]*proc{}, fifos: map[int32]*os.File{}}
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
	if s.load(pageBound) != 0 {
		out.Problems = append(out.Problems, fmt.Sprintf("the fork bound (%d forks per run) was hit: later forks failed with EAGAIN", p.ForkLimit))
	}
	s.observe(out)
	if b, _ := os.ReadFile(filepath.Join(dir, "stderr")); len(b) > 0 {
		out.Problems = append(out.Problems, "interpreter stderr: "+strings.TrimSpace(string(b)))
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

// prepare writes the plan, creates the cgroups, the status page, the
// FIFOs and the socket, and starts the init.
func (s *scenarioRun) prepare() error {
	if err := os.WriteFile(filepath.Join(s.dir, "plan"), []byte(s.p.planText(s.dir, s.r.Base)), 0o600); err != nil {
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

// receive registers the processes their parents (and they themselves)
// announce.
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

// startInit starts the scenario's init, the C interpreter, as pid 1 of a
// new pid namespace in the run's cgroup.
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
	// The interpreters' stderr (a plan the C side refuses) is kept for
	// the outcome.
	stderr, err := os.OpenFile(filepath.Join(s.dir, "stderr"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer stderr.Close()
	fd, err := syscall.Open(s.r.Path("/"), oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	pidfd := -1
	pid, err := syscall.ForkExec(s.bin, []string{s.bin, filepath.Join(s.dir, "plan")}, &syscall.ProcAttr{
		Env:   []string{"PATH=/usr/bin:/bin"},
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
	s.register(0, s.p.Tasks[0].Name, pidfd)
	return nil
}

// waitSlot waits until slot's process is registered and in state want.
func (s *scenarioRun) waitSlot(slot int32, want int32, what string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		pr := s.proc(slot)
		if pr != nil && s.load(pageState+int(slot)) == want {
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
		setns, newpid, cg := 0, 0, ""
		if t.SetnsTo != "" {
			setns = pidOf(s.proc(slotOf[t.SetnsTo]).pidfd)
		}
		if t.NewPidNS {
			newpid = 1
		}
		if t.Cgroup != "" {
			cg = s.r.Path(t.Cgroup)
		}
		if _, err := fmt.Fprintf(s.fifos[slotOf[t.Parent]], "fork %d %d %d %s\n", slot, newpid, setns, escapeField(cg)); err != nil {
			return err
		}
		if err := s.waitSlot(slot, slotSetup, "task "+t.Name); err != nil {
			return err
		}
		if t.V1 != "" {
			if err := s.placeV1(slot, t.V1); err != nil {
				return fmt.Errorf("setup: task %s: %w", t.Name, err)
			}
		}
	}
	var pids strings.Builder
	pids.WriteString("go")
	for i := range s.p.Tasks {
		fmt.Fprintf(&pids, " %d", pidOf(s.proc(int32(i)).pidfd))
	}
	pids.WriteString("\n")
	// The settling tasks go first, one by one, each until it blocks; then
	// all others at once.
	for _, settle := range []bool{true, false} {
		for i, t := range s.p.Tasks {
			if t.Settle != settle {
				continue
			}
			if _, err := s.fifos[int32(i)].WriteString(pids.String()); err != nil {
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

// placeV1 moves a setup task's process into the run's v1 cgroup named
// name (created on first use as v1-N, N the order of first use), as the
// simulator's builder does right after creating the task
// (model.Kernel.SetupMoveV1): the kernel gives it the css_set (its v2
// cgroup, the new v1 cgroup), created at the tail of the v2 cgroup's
// cset_links if it is new.
func (s *scenarioRun) placeV1(slot int32, name string) error {
	dir, err := s.r.V1(ScenarioV1Controller)
	if err != nil {
		return err
	}
	if s.v1Names == nil {
		s.v1Names = map[string]string{}
	}
	sub, ok := s.v1Names[name]
	if !ok {
		sub = filepath.Join(dir, fmt.Sprintf("v1-%d", len(s.v1Names)))
		if err := os.Mkdir(sub, 0o755); err != nil {
			return err
		}
		s.v1Names[name] = sub
	}
	if e := writeFile(sub+"/cgroup.procs", strconv.Itoa(pidOf(s.proc(slot).pidfd))); e != model.OK {
		return fmt.Errorf("placing it in v1 %s: %v", sub, e)
	}
	return nil
}

// waitBlocked waits until a settling task blocks (or dies).
func (s *scenarioRun) waitBlocked(slot int32, name string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.load(pageState + int(slot))
		if st == slotBlocked || st == slotPolling || st == slotExited || exited(s.proc(slot).pidfd) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("setup: task %s did not go to sleep within 10 s (%s)", name, s.helperErrors())
		}
		time.Sleep(time.Millisecond)
	}
}

// settle waits until the run is at rest: every fork's child registered,
// every live task blocked (pause, wait4), polling a false condition,
// gone (exit of a thread), stopped or in a frozen cgroup, and no
// instruction run for 200 ms. It reports false at the timeout.
func (s *scenarioRun) settle() bool {
	deadline := time.Now().Add(s.p.Timeout)
	last, still := int32(-1), 0
	for time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		progress := s.load(pageProgress)
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

// atRest reports whether every task of the run is at rest (settle).
func (s *scenarioRun) atRest() bool {
	n := min(s.load(pageSlots), pageSlotsMax)
	for slot := int32(0); slot < n; slot++ {
		state := s.load(pageState + int(slot))
		if state == slotVoid {
			continue
		}
		ps := s.procSlot(slot)
		pr := s.proc(ps)
		if pr == nil {
			if s.unseen(ps) {
				continue
			}
			return false // forked, not yet announced
		}
		// A process has exited once its thread group is empty (a pidfd
		// polls readable only then: a zombie leader whose threads run is
		// not exited).
		if exited(pr.pidfd) || state == slotBlocked || state == slotPolling || state == slotExited {
			continue
		}
		if ps != slot && s.load(pageTids+int(slot)) == 0 {
			// A thread whose creator has not yet recorded its tid: at rest
			// only if the creator cannot run (frozen or stopped right after
			// its clone3).
			if creator := s.load(pageParents+int(slot)) - 1; creator >= 0 && creator < pageSlotsMax {
				if tid := s.slotTid(creator); tid != 0 && s.frozenOrStopped(tid) {
					continue
				}
			}
			return false
		}
		if tid := s.slotTid(slot); tid == 0 || s.frozenOrStopped(tid) {
			continue // a thread that is gone, or a task that cannot run
		}
		return false
	}
	return true
}

// procSlot is the slot of the process a slot's task belongs to.
func (s *scenarioRun) procSlot(slot int32) int32 {
	if g := s.load(pageGroups + int(slot)); g > 0 && g <= pageSlotsMax {
		return g - 1
	}
	return slot
}

// slotTid is the tid of a slot's task in this process's pid namespace
// (0: gone or unknown). A process's first thread has its pid; another
// thread recorded its tid in its own namespace, found here through NSpid
// of its process's tasks.
func (s *scenarioRun) slotTid(slot int32) int {
	ps := s.procSlot(slot)
	pr := s.proc(ps)
	if pr == nil {
		return 0
	}
	pid := pidOf(pr.pidfd)
	if ps == slot || pid == 0 {
		return pid
	}
	vtid := int(s.load(pageTids + int(slot)))
	if vtid == 0 {
		return 0
	}
	entries, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, e := range entries {
		ids := nsPids(fmt.Sprintf("/proc/%d/task/%s/status", pid, e.Name()))
		if len(ids) > 0 && ids[len(ids)-1] == vtid {
			return ids[0]
		}
	}
	return 0
}

// unseen reports whether the process of a forked slot will never be
// announced: neither it nor its creator announced it, and the creator's
// process has exited (killed between clone and announcing it, and the
// child killed before it could announce itself) or the creator cannot
// run (frozen or stopped before it could clone or announce).
func (s *scenarioRun) unseen(slot int32) bool {
	if s.load(pageState+int(slot)) == slotVoid {
		return true
	}
	creator := s.load(pageParents+int(slot)) - 1
	if creator < 0 || creator >= pageSlotsMax {
		// Not recorded: the creator was killed right after taking the slot
		// (a live creator records it at once, and runs meanwhile).
		return true
	}
	ps := s.procSlot(creator)
	if pr := s.proc(ps); pr != nil {
		if exited(pr.pidfd) {
			return true
		}
		tid := s.slotTid(creator)
		return tid == 0 || s.frozenOrStopped(tid)
	}
	return s.unseen(ps)
}

// frozenOrStopped reports whether a task (tid in this process's pid
// namespace) cannot run: stopped by a signal (state T in /proc/TID/stat),
// or in a frozen cgroup of the run. A task with SIGKILL in its private
// pending set is on its way out (complete_signal's group kill wakes it
// from the freezer or a stop) and may run: on a loaded machine it can sit
// there longer than settle's 200 ms, and the run must not be observed
// before it has died (seen once in a full go test: test_freezer_mkdir's
// child, frozen at birth and killed, observed alive).
func (s *scenarioRun) frozenOrStopped(tid int) bool {
	if killPending(tid) {
		return false
	}
	if f := procStat(tid); len(f) > 0 && (f[0] == "T" || f[0] == "t") {
		return true
	}
	cg, ok := procCgroup(tid)
	if !ok || !s.r.Contains(cg) {
		return false
	}
	_, frozen, _ := cgroupEvents(s.r.Mount + cg)
	return frozen
}

// observe fills out with the calls, the fates and the cgroups.
func (s *scenarioRun) observe(out *RealOutcome) {
	b, _ := os.ReadFile(filepath.Join(s.dir, "log"))
	lines, err := parseLog(string(b))
	if err != nil {
		out.Problems = append(out.Problems, err.Error())
	}
	for _, l := range lines {
		if l.Error != "" {
			out.Problems = append(out.Problems, l.Task+": "+l.Error)
			continue
		}
		out.Calls = append(out.Calls, CallResult{Task: l.Task, Label: l.Label, Errno: model.Errno(l.Errno), Data: l.Data})
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
			// The thread group is empty and the leader not reaped: a
			// zombie. (A leader that is a zombie while its threads run is
			// not exited: the pidfd does not poll readable then.)
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
	n := min(s.load(pageSlots), pageSlotsMax)
	for slot := int32(0); slot < n; slot++ {
		if s.procSlot(slot) == slot && s.proc(slot) == nil && s.load(pageState+int(slot)) != slotVoid {
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

// helperErrors returns the errors the interpreters logged so far.
func (s *scenarioRun) helperErrors() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "log"))
	lines, _ := parseLog(string(b))
	var errs []string
	for _, l := range lines {
		if l.Error != "" {
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
	var zero syscall.Timespec // ppoll(2) with a zero timeout: poll(2), which arm64 lacks
	n, _, _ := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(unsafe.Pointer(&zero)), 0, 0, 0)
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

// killPending reports whether SIGKILL is in the private pending set of a
// task (SigPnd in /proc/TID/status; bit 8 is signal 9).
func killPending(tid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tid))
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "SigPnd:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && m&(1<<(int(model.SIGKILL)-1)) != 0
		}
	}
	return false
}
