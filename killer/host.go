// Package killer holds userspace cgroup killers (systemd, Nomad, runc,
// crun, kubelet, Mesos, a naive one-pass killer, plain cgroup.kill),
// written as straight-line Go against Host: the system calls and cgroup
// files a userspace program really uses. Each killer's file cites the
// source it follows (../shared/reference/userspace-killers.md has the
// step lists) and reads like it, so that a reviewer can hold one against
// the other.
//
// Run executes a killer as the code of a simulated task (sim.Drive): each
// Host call is one system call of that task, a scheduling point, and the
// task lives in a cgroup and can be killed like any other.
package killer

import (
	"strconv"
	"strings"

	"cgsim/model"
	"cgsim/sim"
)

// Host is what a userspace killer calls. Paths are cgroup paths from the
// root of the hierarchy ("/test", "/test/cgroup.procs"). Errors are
// model.Errno values, as the kernel returns them; nil is success.
type Host interface {
	// Getpid is getpid(2): the caller's pid in its own pid namespace.
	Getpid() int32
	// ReadFile reads a cgroup file (open + read).
	ReadFile(path string) (string, error)
	// WriteFile writes a cgroup file (open + write).
	WriteFile(path, value string) error
	// ReadDir lists the child cgroups of a cgroup directory (getdents64).
	ReadDir(path string) ([]string, error)
	// Mkdir and Rmdir create and remove a cgroup.
	Mkdir(path string) error
	Rmdir(path string) error
	// Kill is kill(2).
	Kill(pid int32, sig model.Signal) error
	// PidfdOpen is pidfd_open(2); PidfdSendSignal is pidfd_send_signal(2).
	PidfdOpen(pid int32) (Pidfd, error)
	PidfdSendSignal(fd Pidfd, sig model.Signal) error
	// Waitpid is wait4(pid, NULL, flags, NULL); it returns the reaped pid.
	Waitpid(pid int32, flags uint32) (int32, error)
	// Sleep lets n steps of the caller pass doing nothing (a short sleep
	// or a busy loop; the model has no clock).
	Sleep(n int)
}

// Pidfd is an open pidfd: it names one process for ever, whatever number
// that process had. Its handle is the Host's own (a task id in the
// simulator, a file descriptor on the real kernel).
type Pidfd struct{ h int64 }

// NewPidfd wraps a Host's handle; Handle returns it. They are for Host
// implementations.
func NewPidfd(h int64) Pidfd { return Pidfd{h} }

// Handle is the Host's handle of the pidfd.
func (p Pidfd) Handle() int64 { return p.h }

// ParsePids parses the contents of cgroup.procs or cgroup.threads.
func ParsePids(s string) []int32 {
	var out []int32
	for _, f := range strings.Fields(s) {
		if n, err := strconv.ParseInt(f, 10, 32); err == nil {
			out = append(out, int32(n))
		}
	}
	return out
}

// Errno returns err as an errno (OK for nil).
func Errno(err error) model.Errno {
	if err == nil {
		return model.OK
	}
	if e, ok := err.(model.Errno); ok {
		return e
	}
	return model.EINVAL
}

// simHost is Host on a simulated task: each call is one system call of
// the task, made through sim.Sys.
type simHost struct {
	sys *sim.Sys
	// onSignal, if set, is told of every signal the killer is about to
	// send, with the task it will reach (NoTask if none), so that the
	// harness can check that only the target is signalled.
	onSignal func(victim model.TaskID, sig model.Signal)
}

func res(r sim.Result) error {
	if r.Err != model.OK {
		return r.Err
	}
	return nil
}

func splitFile(path string) (string, model.CgroupFile, bool) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", 0, false
	}
	f, ok := model.ParseCgroupFile(path[i+1:])
	dir := path[:i]
	if dir == "" {
		dir = "/"
	}
	return dir, f, ok
}

func (h *simHost) Getpid() int32 {
	k := h.sys.Kernel()
	return k.PidIn(h.sys.Task(), k.Task(h.sys.Task()).NS)
}

func (h *simHost) ReadFile(path string) (string, error) {
	dir, f, ok := splitFile(path)
	if !ok {
		return "", model.ENOENT
	}
	r := h.sys.Call(sim.Instr{Op: sim.OpRead, Path: dir, File: f})
	return r.Data, res(r)
}

func (h *simHost) WriteFile(path, value string) error {
	dir, f, ok := splitFile(path)
	if !ok {
		return model.ENOENT
	}
	return res(h.sys.Call(sim.Instr{Op: sim.OpWrite, Path: dir, File: f, Str: value}))
}

func (h *simHost) ReadDir(path string) ([]string, error) {
	r := h.sys.Call(sim.Instr{Op: sim.OpReaddir, Path: path})
	if r.Err != model.OK || r.Data == "" {
		return nil, res(r)
	}
	return strings.Split(r.Data, "\n"), nil
}

func (h *simHost) Mkdir(path string) error {
	return res(h.sys.Call(sim.Instr{Op: sim.OpMkdir, Path: path}))
}

func (h *simHost) Rmdir(path string) error {
	return res(h.sys.Call(sim.Instr{Op: sim.OpRmdir, Path: path}))
}

func (h *simHost) Kill(pid int32, sig model.Signal) error {
	if h.onSignal != nil && sig != 0 {
		k := h.sys.Kernel()
		for _, v := range k.KillTargets(h.sys.Task(), pid) {
			h.onSignal(v, sig)
		}
		if pid > 0 && len(k.KillTargets(h.sys.Task(), pid)) == 0 {
			h.onSignal(model.NoTask, sig)
		}
	}
	return res(h.sys.Call(sim.Instr{Op: sim.OpKill, A: pid, B: int32(sig), Target: model.NoTask}))
}

func (h *simHost) PidfdOpen(pid int32) (Pidfd, error) {
	r := h.sys.Call(sim.Instr{Op: sim.OpPidfdOpen, A: pid})
	if r.Err != model.OK {
		return Pidfd{int64(model.NoTask)}, r.Err
	}
	return Pidfd{int64(r.Ret)}, nil
}

func (h *simHost) PidfdSendSignal(fd Pidfd, sig model.Signal) error {
	if h.onSignal != nil && sig != 0 {
		v := model.TaskID(fd.h)
		if k := h.sys.Kernel(); v >= 0 && k.Task(v).Exit == model.ExitDead {
			v = model.NoTask
		}
		h.onSignal(v, sig)
	}
	return res(h.sys.Call(sim.Instr{Op: sim.OpPidfdSend, Target: model.TaskID(fd.h), B: int32(sig)}))
}

func (h *simHost) Waitpid(pid int32, flags uint32) (int32, error) {
	r := h.sys.Call(sim.Instr{Op: sim.OpWait, A: pid, B: int32(flags)})
	return r.Ret, res(r)
}

func (h *simHost) Sleep(n int) {
	for i := 0; i < n; i++ {
		h.sys.Call(sim.Instr{Op: sim.OpSpin})
	}
}
