//go:build linux

package hostlinux

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"cgsim/model"
)

// Mount returns the mount point of the cgroup v2 hierarchy, read from
// /proc/self/mountinfo (it need not be /sys/fs/cgroup).
func Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for i, fl := range fields {
			if fl == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" && len(fields) > 4 {
				return fields[4], nil
			}
		}
	}
	return "", errors.New("no cgroup2 mount in /proc/self/mountinfo")
}

// Check returns nil when real-kernel runs can happen here, else what is
// missing, in words fit for a test's skip message.
func Check() error {
	if os.Geteuid() != 0 {
		return errors.New("real-kernel runs need root (cgroup writes, clone3 into cgroups, pid namespaces)")
	}
	mnt, err := Mount()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(mnt, "cgroup.procs")); err != nil {
		return fmt.Errorf("cgroup2 at %s is not usable: %v", mnt, err)
	}
	probe := filepath.Join(mnt, fmt.Sprintf("cgsim-check-%d", os.Getpid()))
	if err := os.Mkdir(probe, 0o755); err != nil {
		return fmt.Errorf("cgroup2 at %s is not writable: %v", mnt, err)
	}
	defer os.Remove(probe)
	if _, err := os.Stat(filepath.Join(probe, "cgroup.kill")); err != nil {
		return fmt.Errorf("cgroup2 at %s has no cgroup.kill (kernel older than 5.14)", mnt)
	}
	// Helpers are born with clone3(CLONE_INTO_CGROUP), some as pid 1 of a
	// new pid namespace: a container may refuse either.
	fd, err := syscall.Open(probe, oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	p, err := spawnSelf("exit:0", &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd, Cloneflags: syscall.CLONE_NEWPID})
	if err != nil {
		return fmt.Errorf("clone3(CLONE_INTO_CGROUP|CLONE_NEWPID) of a helper is refused here: %v", err)
	}
	if st, err := p.Wait(); err != nil || !st.Success() {
		return fmt.Errorf("a helper process did not run (is hostlinux.MaybeHelper called first in main?): %v %v", st, err)
	}
	return nil
}

// Run is one real-kernel run: its own parent cgroup and the helper
// processes it started.
type Run struct {
	Mount string
	// Base is the absolute path of the run's cgroup; Rel the same path
	// from the mount ("/cgsim-…"), as /proc/PID/cgroup shows it.
	Base, Rel string

	mu     sync.Mutex // guards procs, v1 and closed
	procs  []*os.Process
	v1     map[string]string // throw-away v1 cgroup of each v1 hierarchy used
	closed bool
}

var runSeq atomic.Int64

var (
	liveMu sync.Mutex // guards live
	live   = map[*Run]bool{}
)

// NewRun creates a run's cgroup. tag names it ("conform", "hunt").
func NewRun(tag string) (*Run, error) {
	mnt, err := Mount()
	if err != nil {
		return nil, err
	}
	SweepStale(mnt)
	SweepStaleV1()
	if !tagRE.MatchString(tag) {
		return nil, fmt.Errorf("run tag %q: want lower-case letters", tag)
	}
	rel := fmt.Sprintf("/cgsim-%s-%d-%d-%d", tag, pidNS(), os.Getpid(), runSeq.Add(1))
	r := &Run{Mount: mnt, Base: mnt + rel, Rel: rel}
	if err := os.Mkdir(r.Base, 0o755); err != nil {
		return nil, err
	}
	liveMu.Lock()
	live[r] = true
	liveMu.Unlock()
	return r, nil
}

// Path maps a scenario's cgroup path ("/", "/t", "/t/cgroup.procs") into
// the run's cgroup.
// Anything but a clean absolute path maps to a path that cannot exist,
// so that no call can reach outside the run.
func (r *Run) Path(p string) string { return mapPath(r.Base, p) }

// mapPath is Run.Path for the run whose cgroup directory is base (a
// scenario helper knows only that).
func mapPath(base, p string) string {
	if p == "/" || p == "" {
		return base
	}
	if !strings.HasPrefix(p, "/") || filepath.Clean(p) != p {
		return base + "/.invalid-path"
	}
	return base + p
}

// Contains reports whether a cgroup path as /proc/PID/cgroup shows it
// ("/cgsim-…/t") is the run's cgroup or inside it.
func (r *Run) Contains(rel string) bool {
	return rel == r.Rel || strings.HasPrefix(rel, r.Rel+"/")
}

// Track records a process the run started, to be killed and reaped by
// Close.
// A process started after Close began is killed and reaped at once.
func (r *Run) Track(p *os.Process) {
	r.mu.Lock()
	closed := r.closed
	if !closed {
		r.procs = append(r.procs, p)
	}
	r.mu.Unlock()
	if closed {
		_ = p.Kill()
		_, _ = p.Wait()
	}
}

// V1 returns the run's throw-away cgroup in the v1 hierarchy of
// controller ctl ("freezer", "name=systemd", ...), creating it on first
// use: <v1 mount>/<the run's name>, the same unique name as its v2 cgroup.
// Only the run's own processes are ever moved there; Close removes it
// once they are gone, and SweepStaleV1 when the run's creator died.
func (r *Run) V1(ctl string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return "", errors.New("the run is closed")
	}
	if d, ok := r.v1[ctl]; ok {
		return d, nil
	}
	d, err := newV1Dir(ctl, r.Rel)
	if err != nil {
		return "", err
	}
	if r.v1 == nil {
		r.v1 = map[string]string{}
	}
	r.v1[ctl] = d
	return d, nil
}

// Close kills everything in the run's cgroup (its own cgroup.kill),
// reaps the processes it started, waits for the subtree to empty and
// removes it, leaves first. It is safe to call twice.
func (r *Run) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	procs := r.procs
	var v1 []string
	for _, d := range r.v1 {
		v1 = append(v1, d)
	}
	r.mu.Unlock()
	err := destroy(r.Base)
	for _, p := range procs {
		_ = p.Kill()
		_, _ = p.Wait()
	}
	if err != nil {
		err = destroy(r.Base) // the reaped zombies no longer hold it
	}
	// The run's processes are gone, so its v1 cgroups are empty.
	sort.Strings(v1)
	for _, d := range v1 {
		if rerr := removeV1Dir(d); rerr != nil && err == nil {
			err = rerr
		}
	}
	liveMu.Lock()
	delete(live, r)
	liveMu.Unlock()
	return err
}

// CloseAll closes every run of this process (for a signal handler).
func CloseAll() {
	liveMu.Lock()
	var rs []*Run
	for r := range live {
		rs = append(rs, r)
	}
	liveMu.Unlock()
	sort.Slice(rs, func(i, j int) bool { return rs[i].Base < rs[j].Base })
	for _, r := range rs {
		_ = r.Close()
	}
}

// destroy kills a cgroup subtree through its cgroup.kill, waits up to 5 s
// for it to empty, and removes its directories leaves first.
func destroy(base string) error {
	if _, err := os.Stat(base); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	_ = os.WriteFile(filepath.Join(base, "cgroup.kill"), []byte("1"), 0)
	for i := 0; i < 500; i++ {
		if populated, _, err := cgroupEvents(base); err != nil || !populated {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var dirs []string
	_ = filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	var first error
	for _, d := range dirs {
		var err error
		for i := 0; i < 100; i++ {
			if err = syscall.Rmdir(d); err == nil || err == syscall.ENOENT {
				err = nil
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil && first == nil {
			first = fmt.Errorf("rmdir %s: %w", d, err)
		}
	}
	return first
}

// Run cgroups are named cgsim-<tag>-<pid namespace inode>-<pid>-<n>;
// scenario scratch directories cgsim-scenario-<pid namespace inode>-<pid>-*.
var (
	tagRE     = regexp.MustCompile(`^[a-z]+$`)
	runNameRE = regexp.MustCompile(`^cgsim-[a-z]+-([0-9]+)-([0-9]+)-[0-9]+$`)
)

// pidNS is the inode of this process's pid namespace: a pid names the
// creator of a run only inside the namespace it was taken in.
func pidNS() uint64 {
	var st syscall.Stat_t
	if syscall.Stat("/proc/self/ns/pid", &st) != nil {
		return 0
	}
	return st.Ino
}

// SweepStale destroys the cgroups of runs created in this pid namespace
// by a process that is gone (killed in the middle of a run), and returns
// their names; it also removes such a process's scenario scratch
// directories. Runs of other pid namespaces (another container sharing
// the hierarchy) and cgroups not named like a run are never touched.
func SweepStale(mnt string) []string {
	sweepScratch()
	entries, err := os.ReadDir(mnt)
	if err != nil {
		return nil
	}
	ns := pidNS()
	var swept []string
	for _, e := range entries {
		name := e.Name()
		m := runNameRE.FindStringSubmatch(name)
		if !e.IsDir() || m == nil || m[1] != strconv.FormatUint(ns, 10) {
			continue
		}
		pid, err := strconv.Atoi(m[2])
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue // its creator lives
		}
		if destroy(filepath.Join(mnt, name)) == nil {
			swept = append(swept, name)
		}
	}
	return swept
}

// Leftovers lists the run cgroups under the mount created by process pid.
func Leftovers(mnt string, pid int) []string {
	entries, _ := os.ReadDir(mnt)
	var out []string
	for _, e := range entries {
		if m := runNameRE.FindStringSubmatch(e.Name()); m != nil && m[2] == strconv.Itoa(pid) {
			out = append(out, e.Name())
		}
	}
	return out
}

// errno converts an error of a system call to the kernel's errno.
func errno(err error) error {
	if err == nil {
		return nil
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return model.Errno(en)
	}
	return err
}

// LeftAfterSuite closes every run of this process still open and returns
// the names of the run cgroups it had left under the mount; a test
// binary's TestMain fails when the list is not empty. Where real-kernel
// runs cannot happen it returns nil.
func LeftAfterSuite() []string {
	mnt, err := Mount()
	if err != nil || Check() != nil {
		return nil
	}
	left := Leftovers(mnt, os.Getpid())
	if len(left) > 0 {
		CloseAll()
	}
	return left
}

// IsZombie reports whether pid is a zombie (dead, not yet reaped).
func IsZombie(pid int) bool {
	f := procStat(pid)
	return len(f) > 0 && f[0] == "Z"
}

// procStat returns the fields of /proc/PID/stat from field 3 (the state
// letter) on, after the command name, which may hold spaces and ')';
// nil if there is no such process.
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := strings.LastIndex(string(b), ") ")
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b)[i+2:])
}

// cgroupEvents reads a cgroup's cgroup.events (dir is its directory).
func cgroupEvents(dir string) (populated, frozen bool, err error) {
	b, err := os.ReadFile(dir + "/cgroup.events")
	s := string(b)
	return strings.Contains(s, "populated 1\n"), strings.Contains(s, "frozen 1\n"), err
}
