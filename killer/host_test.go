package killer

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// TestHostErrnos: the simulated Host returns the kernel's errno for bad
// requests, each from one system call of the killer's own task.
func TestHostErrnos(t *testing.T) {
	b := newBench(model.DefaultOptions(), "/t", "/d", "/d/th")
	b.write("/d/th", model.FileType, "threaded")
	b.spawn(b.init, "member", "/t", 0, pause)
	b.spawn(b.init, "threaded-member", "/d/th", 0, pause)
	short := b.spawn(b.init, "short", "", 0, []sim.Instr{{Op: sim.OpExitGroup}})
	kt := b.spawn(b.init, "host", "", 0, pause)
	require.NoError(t, b.err)
	shortPid := b.w.K.PidIn(short, model.RootNS)

	type call struct {
		what string
		err  error
	}
	var got []call
	note := func(what string, err error) { got = append(got, call{what, err}) }
	b.w.Drive(kt, func(sys *sim.Sys) int32 {
		h := &simHost{sys: sys}
		_, err := h.ReadFile("/nope/cgroup.procs")
		note("read of a missing cgroup", err)
		note("write to a missing cgroup", h.WriteFile("/nope/cgroup.kill", "1"))
		note("rmdir of a missing cgroup", h.Rmdir("/nope"))
		_, err = h.ReadDir("/nope")
		note("readdir of a missing cgroup", err)
		note("rmdir of a populated cgroup", h.Rmdir("/t"))
		note("rmdir of a cgroup with children", h.Rmdir("/d"))
		note("mkdir of an existing cgroup", h.Mkdir("/t"))
		note("cgroup.kill of a threaded cgroup", h.WriteFile("/d/th/cgroup.kill", "1"))
		_, err = h.ReadFile("/d/th/cgroup.procs")
		note("cgroup.procs read of a threaded cgroup", err)
		note("cgroup.kill of the root", h.WriteFile("/cgroup.kill", "1"))
		note("cgroup.kill with 2", h.WriteFile("/t/cgroup.kill", "2"))
		h.Sleep(20) // let "short" exit and be reaped
		note("kill of a freed pid", h.Kill(shortPid, model.SIGKILL))
		_, err = h.PidfdOpen(shortPid)
		note("pidfd_open of a freed pid", err)
		_, err = h.Waitpid(-1, 0)
		note("wait4 without children", err)
		procs, err := h.ReadFile("/t/cgroup.procs")
		note("cgroup.procs read", err)
		pid := ParsePids(procs)[0]
		fd, err := h.PidfdOpen(pid)
		note("pidfd_open of a member", err)
		note("pidfd_send_signal", h.PidfdSendSignal(fd, model.SIGKILL))
		h.Sleep(20) // the member dies and init reaps it
		note("pidfd_send_signal after the process is gone", h.PidfdSendSignal(fd, model.SIGKILL))
		note("kill with signal 0 of the gone pid", h.Kill(pid, 0))
		return 0
	})
	res := explore.RoundRobin(b.w, 10000)
	require.False(t, res.Truncated)
	want := []call{
		{"read of a missing cgroup", model.ENOENT},
		{"write to a missing cgroup", model.ENOENT},
		{"rmdir of a missing cgroup", model.ENOENT},
		{"readdir of a missing cgroup", model.ENOENT},
		{"rmdir of a populated cgroup", model.EBUSY},
		{"rmdir of a cgroup with children", model.EBUSY},
		{"mkdir of an existing cgroup", model.EEXIST},
		{"cgroup.kill of a threaded cgroup", model.EOPNOTSUPP},
		{"cgroup.procs read of a threaded cgroup", model.EOPNOTSUPP},
		{"cgroup.kill of the root", model.ENOENT},
		{"cgroup.kill with 2", model.ERANGE},
		{"kill of a freed pid", model.ESRCH},
		{"pidfd_open of a freed pid", model.ESRCH},
		{"wait4 without children", model.ECHILD},
		{"cgroup.procs read", nil},
		{"pidfd_open of a member", nil},
		{"pidfd_send_signal", nil},
		{"pidfd_send_signal after the process is gone", model.ESRCH},
		{"kill with signal 0 of the gone pid", model.ESRCH},
	}
	require.Equal(t, want, got)
}
