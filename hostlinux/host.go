//go:build linux

package hostlinux

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"cgsim/killer"
	"cgsim/model"
)

// System call numbers package syscall lacks (the same on every
// architecture: include/uapi/asm-generic/unistd.h).
const (
	sysPidfdSendSignal = 424
	sysPidfdOpen       = 434
)

// Host is killer.Host on the real kernel, for a killer running in this
// process against a Run's cgroups. Paths are the scenario's ("/t"), mapped
// into the run. It never signals or moves a process outside the run: a
// signal goes through a pidfd opened first and checked second (the pidfd
// pins the process, /proc/PID/cgroup must be inside the run), and a
// refused signal is recorded in Refused with EPERM returned to the killer
// (where the simulator would report "wrong process killed").
type Host struct {
	Run *Run
	// Refused lists the signals refused because their target was outside
	// the run (a recycled pid).
	Refused []string
	// RefusedMoves lists the cgroup.procs writes refused because they would
	// move a process from outside the run (this one included).
	RefusedMoves []string

	fds []int // pidfds opened for the killer, closed by Close
}

// Close closes the pidfds the killer opened.
func (h *Host) Close() {
	for _, fd := range h.fds {
		_ = syscall.Close(fd)
	}
	h.fds = nil
}

var _ killer.Host = (*Host)(nil)

// Getpid is getpid(2).
func (h *Host) Getpid() int32 { return int32(os.Getpid()) }

// ReadFile reads a cgroup file of the run.
func (h *Host) ReadFile(path string) (string, error) {
	b, err := os.ReadFile(h.Run.Path(path))
	return string(b), errno(err)
}

// WriteFile writes a cgroup file of the run (one write(2)). A write to
// cgroup.procs or cgroup.threads that would move a process from outside
// the run (this process included) is refused with EPERM.
func (h *Host) WriteFile(path, value string) error {
	base := filepath.Base(path)
	if base == "cgroup.procs" || base == "cgroup.threads" {
		// The kernel parses the pid with kstrtoint(…, 0): decimal, 0x hex
		// or 0 octal. Anything that is not a pid of a process inside the
		// run (0 is the writer itself) is refused. The check is by number;
		// the run's processes are reaped only by this process or, once
		// orphaned, by init, so a number is not recycled under the check
		// unless a killer reaps one concurrently.
		pid, err := strconv.ParseInt(strings.TrimSpace(value), 0, 32)
		if err != nil || pid <= 0 || !h.inRun(int(pid)) {
			h.RefusedMoves = append(h.RefusedMoves, "move of pid "+value+" into "+path)
			return model.EPERM
		}
	}
	if e := writeFile(h.Run.Path(path), value); e != model.OK {
		return e
	}
	return nil
}

// ReadDir lists the child cgroups of a run cgroup.
func (h *Host) ReadDir(path string) ([]string, error) {
	entries, err := os.ReadDir(h.Run.Path(path))
	if err != nil {
		return nil, errno(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Mkdir creates a cgroup in the run.
func (h *Host) Mkdir(path string) error { return errno(syscall.Mkdir(h.Run.Path(path), 0o755)) }

// Rmdir removes a cgroup of the run; the run's own cgroup is never removed
// by a killer (EBUSY), so that Close finds it.
func (h *Host) Rmdir(path string) error {
	if path == "/" || path == "" {
		return model.EBUSY
	}
	return errno(syscall.Rmdir(h.Run.Path(path)))
}

// Kill is kill(2), made safe: sig 0 only checks existence; any other
// signal goes through pidfd_open, the run check and pidfd_send_signal.
func (h *Host) Kill(pid int32, sig model.Signal) error {
	if sig == 0 {
		return errno(syscall.Kill(int(pid), 0))
	}
	fd, _, e := syscall.Syscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if e != 0 {
		return model.Errno(e)
	}
	defer syscall.Close(int(fd))
	return h.PidfdSendSignal(killer.NewPidfd(int64(fd)), sig)
}

// PidfdOpen is pidfd_open(2).
func (h *Host) PidfdOpen(pid int32) (killer.Pidfd, error) {
	fd, _, e := syscall.Syscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if e != 0 {
		return killer.NewPidfd(-1), model.Errno(e)
	}
	h.fds = append(h.fds, int(fd))
	return killer.NewPidfd(int64(fd)), nil
}

// PidfdSendSignal is pidfd_send_signal(2) after checking that the pinned
// process is inside the run.
func (h *Host) PidfdSendSignal(fd killer.Pidfd, sig model.Signal) error {
	if sig != 0 {
		pid := pidOfPidfd(int(fd.Handle()))
		if pid <= 0 {
			return model.ESRCH // the pinned process is gone
		}
		if !h.inRun(pid) {
			h.Refused = append(h.Refused, model.Signal(sig).String()+" to pid "+strconv.Itoa(pid)+", outside the run")
			return model.EPERM
		}
	}
	_, _, e := syscall.Syscall6(sysPidfdSendSignal, uintptr(fd.Handle()), uintptr(sig), 0, 0, 0, 0)
	if e != 0 {
		return model.Errno(e)
	}
	return nil
}

// Waitpid is wait4(2).
func (h *Host) Waitpid(pid int32, flags uint32) (int32, error) {
	var ws syscall.WaitStatus
	r, err := syscall.Wait4(int(pid), &ws, int(flags), nil)
	return int32(r), errno(err)
}

// Sleep sleeps n milliseconds (a step of the simulator is about that
// much of a killer's polling interval).
func (h *Host) Sleep(n int) { time.Sleep(time.Duration(n) * time.Millisecond) }

// inRun reports whether pid's cgroup is inside the run.
func (h *Host) inRun(pid int) bool {
	cg, ok := procCgroup(pid)
	return ok && h.Run.Contains(cg)
}

// procCgroup reads the cgroup v2 path of pid ("0::/path").
func procCgroup(pid int) (string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return "", false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "0::"); ok {
			return rest, true
		}
	}
	return "", false
}

// pidOfPidfd reads the pid a pidfd pins from /proc/self/fdinfo (-1 once
// the process has been reaped).
func pidOfPidfd(fd int) int {
	b, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Pid:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}
