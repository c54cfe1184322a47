package scenarios

import "cgsim/model"

// Setup is how a scenario file's machine was set up, in the order the
// builder did it: the cgroups (created and written by init, in file
// order), then the tasks (forked by their parents, in file order). It is
// what a run of the scenario on the real kernel recreates.
type Setup struct {
	Cgroups []SetupCgroup
	// Tasks are in creation order; Tasks[0] is the scenario's init.
	Tasks []SetupTask
	// Hosts are the tasks above the scenario's init when it was built
	// below the initial pid namespace (BuildSetup's initLevel > 0): the
	// global init and the init of every namespace between, each forked
	// with CLONE_NEWPID by the one above, unnamed, in the root cgroup,
	// pausing forever with SIGCHLD at its default (so a dead scenario init
	// stays a zombie, as the harness's child does on the real kernel).
	// No program can name or see them; an observer leaves them out.
	Hosts []model.TaskID
}

// SetupCgroup is a cgroup of the cgroups section and the interface files
// written at setup, in order.
type SetupCgroup struct {
	Path   string
	Writes []SetupWrite
}

// SetupWrite is one write of a cgroup interface file at setup.
type SetupWrite struct {
	File  model.CgroupFile
	Value string
}

// SetupTask is one task of the tasks section.
type SetupTask struct {
	Name string
	// ID is the task in the built world; Prog the program it runs there
	// (World.Progs index; 0 for a kernel thread).
	ID   model.TaskID
	Prog int32
	// Parent is the name of the task that forked it ("" for init).
	Parent string
	// Cgroup is the cgroup it is cloned into (CLONE_INTO_CGROUP), or ""
	// for its parent's.
	Cgroup string
	// NewPidNS: cloned with CLONE_NEWPID. SetnsTo: its parent joined the
	// pid namespace of the task of that name (setns) before the clone.
	NewPidNS bool
	SetnsTo  string
	// Threads is the number of extra threads created at setup.
	Threads int
	// Kthread: a kernel thread (no parent, no program). Killer: a
	// userspace killer of package killer drives it.
	Kthread, Killer bool
	// Settle: it ran alone at setup until it went to sleep.
	Settle bool
	// V1 names the cgroups of the v1 hierarchies the task's process was
	// placed in after it was created ("" for the roots): on a machine with
	// v1 hierarchies, processes of one v2 cgroup with different V1 sit on
	// different css_sets.
	V1 string
	// OomScoreAdj is the oom_score_adj written for the task's process
	// after it was created (0: left as inherited).
	OomScoreAdj int
	// CoreUnlimited: the task's process was given an unlimited RLIMIT_CORE
	// (setrlimit) after it was created, so a core dump writes a core file.
	CoreUnlimited bool
}
