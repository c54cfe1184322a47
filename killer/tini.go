package killer

import "cgsim/model"

// The container inits that forward signals: tini (krallin/tini
// src/tini.c) and dumb-init (Yelp/dumb-init dumb-init.c). Each is pid 1
// of the container, runs one main child (tini's spawn puts it in its own
// process group, isolate_child's setpgid(0, 0); dumb-init's child calls
// setsid() unless --single-child), forwards every signal the runtime
// sends it to that child, and exits once the child is reaped, which, as
// the namespace's init, makes the kernel kill everything left in it
// (zap_pid_ns_processes).
//
// The matrix runs a killer as a task outside its target, so these rows
// are what the init does, driven from there: the forward as the init
// sends it (wait_and_forward_signal: kill(child_pid, sig), or
// kill(-child_pid, sig) with tini -g or dumb-init's default setsid
// mode), the init's reap loop polling for the main child's end
// (reap_zombies), and, where the target has a private pid namespace, the
// init's exit stood for by its death (the kernel treats both alike: the
// init's do_exit zaps the namespace). Without a private namespace nothing
// zaps: what the forward missed survives.

// forwardAndExit is the shape tini and dumb-init share; group selects
// kill(-child_pid) over kill(child_pid).
func forwardAndExit(h Host, t Target, group bool) error {
	if t.MainPid == 0 {
		return model.ESRCH
	}
	pid := t.MainPid
	if group {
		pid = -pid
	}
	// "Child was dead when forwarding signal" is a warning, not an error.
	if err := h.Kill(pid, t.sig()); err != nil && err != model.ESRCH {
		return err
	}
	// reap_zombies: the main child's end; the init goes on waiting for it
	// (it is the main child's parent in a container; here a poll of the
	// pid stands for its waitpid).
	for polls := 0; ; polls++ {
		if err := h.Kill(t.MainPid, 0); err == model.ESRCH {
			break
		}
		if polls == forwardPolls {
			return model.EBUSY // the main child outlived the forwarded signal
		}
		h.Sleep(1)
	}
	if t.InitPid == 0 {
		return nil
	}
	// return child_exitcode from main: pid 1 exits, the namespace is zapped.
	if err := h.Kill(t.InitPid, model.SIGKILL); err != nil && err != model.ESRCH {
		return err
	}
	return nil
}

// forwardPolls bounds the wait for the main child: a main process that
// handles or ignores the forwarded signal keeps a real tini waiting for
// ever (until the runtime's SIGKILL of the init); here the row gives up.
const forwardPolls = 200

// Tini is tini without -g: the signal goes to the main child only.
var Tini = Killer{
	ID:       "tini",
	Name:     "tini (forward to the child)",
	Source:   "krallin/tini src/tini.c wait_and_forward_signal kill(child_pid, sig), reap_zombies, exit of pid 1 (zap)",
	Weakness: "signals the main child only: its children and the rest of the cgroup survive unless the init's exit zaps a private pid namespace",
	NotReal:  notRealGroup,
	Run:      func(h Host, t Target) error { return forwardAndExit(h, t, false) },
}

// TiniGroup is tini -g (TINI_KILL_PROCESS_GROUP) and dumb-init's default
// setsid mode: the signal goes to the main child's process group.
var TiniGroup = Killer{
	ID:       "tini-g",
	Name:     "tini -g / dumb-init (forward to the group)",
	Source:   "tini -g: kill(-child_pid, sig); Yelp/dumb-init forward_signal: kill(use_setsid ? -child_pid : child_pid, sig); then the init's exit (zap)",
	Weakness: "a process that left the child's process group or session, or entered the cgroup from elsewhere, survives unless the init's exit zaps a private pid namespace",
	NotReal:  notRealGroup,
	Run:      func(h Host, t Target) error { return forwardAndExit(h, t, true) },
}
