//go:build linux

package hostlinux

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// HelperEnv names the helper program a re-executed binary runs (see
// MaybeHelper).
const HelperEnv = "CGSIM_HELPER"

// MaybeHelper runs the helper program named by $CGSIM_HELPER and exits;
// without it, it returns at once. Binaries that start helpers (simrun, the
// test binaries of this package) call it first thing. Programs:
//
//	pause              sleep in pause(2) until killed
//	exit:N             exit(N)
//	fork:N             fork N sleeping children (clone, then exec of
//	                   "pause"), then pause
//	orphan-run         create a Run with two sleeping helpers, print its
//	                   cgroup path, and pause (a test kills it in the middle)
//	clone-into:PATH    clone a child into the cgroup PATH (clone3 with
//	                   CLONE_INTO_CGROUP) that exits 0 at once, reap it and
//	                   print its wait status ("exited 0", "signal 9")
func MaybeHelper() {
	prog, ok := os.LookupEnv(HelperEnv)
	if !ok {
		return
	}
	os.Exit(helper(prog))
}

func helper(prog string) int {
	name, arg, _ := strings.Cut(prog, ":")
	switch name {
	case "pause":
		for {
			syscall.Syscall6(syscall.SYS_PPOLL, 0, 0, 0, 0, 0, 0) // pause(2), which arm64 lacks
		}
	case "exit":
		n, _ := strconv.Atoi(arg)
		return n
	case "fork":
		n, _ := strconv.Atoi(arg)
		for i := 0; i < n; i++ {
			if _, err := spawnSelf("pause", nil); err != nil {
				fmt.Fprintln(os.Stderr, "fork:", err)
			}
		}
		return helper("pause")
	case "orphan-run":
		r, err := NewRun("orphan")
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		for i := 0; i < 2; i++ {
			if _, err := r.Start("/", "pause"); err != nil {
				fmt.Println("error:", err)
				return 1
			}
		}
		fmt.Println(r.Base)
		return helper("pause")
	case "clone-into":
		fd, err := syscall.Open(arg, oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			fmt.Println("open:", err)
			return 1
		}
		p, err := spawnSelf("exit:0", &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd})
		if err != nil {
			fmt.Println("clone3:", errName(err))
			return 1
		}
		st, err := p.Wait()
		if err != nil {
			fmt.Println("wait:", err)
			return 1
		}
		fmt.Println(waitStatus(st.Sys().(syscall.WaitStatus)))
		return 0
	}
	fmt.Fprintf(os.Stderr, "cgsim helper: unknown program %q\n", prog)
	return 2
}

// spawnSelf starts this binary as the helper prog.
func spawnSelf(prog string, attr *syscall.SysProcAttr, extra ...*os.File) (*os.Process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), HelperEnv+"="+prog)
	cmd.SysProcAttr = attr
	cmd.ExtraFiles = extra
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd.Process, nil
}

func errName(err error) string {
	if e := errno(err); e != nil {
		return e.Error()
	}
	return "OK"
}

// waitStatus renders a wait status as "exited N" or "signal N".
func waitStatus(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return fmt.Sprintf("signal %d", int(ws.Signal()))
	}
	return fmt.Sprintf("exited %d", ws.ExitStatus())
}

// Start starts helper prog as a child of this process, born in the run's
// cgroup cg (clone3 with CLONE_INTO_CGROUP), and tracks it. extra files
// become fds 3, 4, ...
func (r *Run) Start(cg, prog string, extra ...*os.File) (*os.Process, error) {
	return r.StartFlags(cg, prog, 0, extra...)
}

// StartFlags is Start with extra clone flags (CLONE_NEWPID: the helper is
// pid 1 of a new pid namespace).
func (r *Run) StartFlags(cg, prog string, cloneflags uintptr, extra ...*os.File) (*os.Process, error) {
	fd, err := syscall.Open(r.Path(cg), oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	p, err := spawnSelf(prog, &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd, Cloneflags: cloneflags}, extra...)
	if err != nil {
		return nil, err
	}
	r.Track(p)
	return p, nil
}

// oPath is O_PATH (include/uapi/asm-generic/fcntl.h), which package
// syscall does not name.
const oPath = 0x200000
