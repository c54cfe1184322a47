package scenarios

import (
	"fmt"
	"strings"

	"cgsim/model"
)

// Fix is a candidate kernel fix the model can run under: not a behaviour
// of any released kernel, but a change a reviewer wants to try against the
// races of the catalogue. Name is how the options line of a trace or a
// schedule file spells it ("post_fork_kill_if_parent_killed=1"), and how
// `-fix=` and a scenario file's `kernel: {fixes: [...]}` name it.
type Fix struct {
	Name  string
	About string
	// On reports whether o has the fix; Set turns it on or off in o.
	On  func(o model.Options) bool
	Set func(o *model.Options, on bool)
}

// Fixes lists every candidate fix, in the order Options.String writes them.
var Fixes = []Fix{
	{
		Name:  "post_fork_kill_if_parent_killed",
		About: "cgroup_post_fork also SIGKILLs the child when the parent already has SIGKILL pending (closes the residual kill_seq window)",
		On:    func(o model.Options) bool { return o.PostForkKillIfParentKilled },
		Set:   func(o *model.Options, on bool) { o.PostForkKillIfParentKilled = on },
	},
	{
		Name:  "kill_signal_under_css_set_lock",
		About: "__cgroup_kill sends each SIGKILL inside the css_task_iter_next critical section (closes the gap in which a yielded task commits a fork)",
		On:    func(o model.Options) bool { return o.KillSignalUnderCssSetLock },
		Set:   func(o *model.Options, on bool) { o.KillSignalUnderCssSetLock = on },
	},
}

// FixNames lists the fixes' names.
func FixNames() []string {
	var out []string
	for _, f := range Fixes {
		out = append(out, f.Name)
	}
	return out
}

// LookupFix returns the fix called name.
func LookupFix(name string) (Fix, bool) {
	for _, f := range Fixes {
		if f.Name == name {
			return f, true
		}
	}
	return Fix{}, false
}

// ApplyFixes turns on in o the fixes of list, a comma-separated list of
// names; "none" turns every fix off instead (to run a scenario file that
// names fixes without them).
func ApplyFixes(o model.Options, list string) (model.Options, error) {
	if strings.TrimSpace(list) == "none" {
		for _, f := range Fixes {
			f.Set(&o, false)
		}
		return o, nil
	}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		f, ok := LookupFix(name)
		if !ok {
			return o, fmt.Errorf("unknown fix %q (want one of %s, comma-separated, or none)", name, strings.Join(FixNames(), ", "))
		}
		f.Set(&o, true)
	}
	return o, nil
}
