package killer

import "cgsim/model"

// Target is what a killer is asked to take down.
type Target struct {
	// Cgroup is the cgroup path ("/t").
	Cgroup string
	// InitPid is the pid, as the killer sees it, of the container's init
	// when the container has a private pid namespace (runc, crun and
	// containerd then kill the init and rely on zap_pid_ns_processes); 0
	// otherwise.
	InitPid int32
	// MainPid is the pid of the service's main process (systemd's MainPID),
	// 0 if none.
	MainPid int32
	// Signal is the signal to send (SIGKILL where zero).
	Signal model.Signal
}

func (t Target) sig() model.Signal {
	if t.Signal == 0 {
		return model.SIGKILL
	}
	return t.Signal
}

func (t Target) file(name string) string { return join(t.Cgroup, name) }

func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// A Killer takes down a target from a host. It returns nil when it
// believes it succeeded, else the error it would report.
type Killer struct {
	// ID names it on the command line ("systemd-cg-kill").
	ID string
	// Name is the row of the matrix ("systemd cg_kill_recursive").
	Name string
	// Source says what the code follows (project, file, function, version).
	Source string
	// Weakness is the known weakness the reference gives for it.
	Weakness string
	// Removes is true for killers that also remove the cgroup.
	Removes bool
	// NotReal, if set, is why the killer does not run on the real kernel
	// (`simrun conform killers`): the real Host only signals processes it
	// can prove are inside the run.
	NotReal string
	// Run is the algorithm.
	Run func(h Host, t Target) error
}

// Lookup returns the killer with the given ID.
func Lookup(id string) (Killer, bool) {
	for _, k := range Killers {
		if k.ID == id {
			return k, true
		}
	}
	return Killer{}, false
}

// LookupRace returns the race with the given name.
func LookupRace(name string) (Race, bool) {
	for _, r := range Races {
		if r.Name == name {
			return r, true
		}
	}
	return Race{}, false
}
