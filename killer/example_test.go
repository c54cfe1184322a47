package killer_test

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"cgsim/killer"
	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// killAndWait is a killer of one's own, written against killer.Host the
// way a container runtime's Go code is written against the real cgroup
// files: cgroup.kill, then poll cgroup.events until the cgroup is empty,
// and report EBUSY rather than success if it never is.
var killAndWait = killer.Killer{
	ID:   "kill-and-wait",
	Name: "cgroup.kill, then wait for populated 0",
	Run: func(h killer.Host, t killer.Target) error {
		if err := h.WriteFile(cgroupFile(t.Cgroup, "cgroup.kill"), "1"); err != nil {
			return err
		}
		for i := 0; i < 50; i++ {
			events, err := h.ReadFile(cgroupFile(t.Cgroup, "cgroup.events"))
			if err != nil {
				return err
			}
			if strings.Contains(events, "populated 0") {
				return nil
			}
			h.Sleep(5)
		}
		return model.EBUSY
	},
}

// cgroupFile is the path of a file of the cgroup at dir.
func cgroupFile(dir, name string) string {
	return strings.TrimSuffix(dir, "/") + "/" + name
}

// Example_ownKiller runs a killer of one's own against every race of the
// catalogue (docs/killers.md), five random schedules each under today's
// kernel, and prints the worst outcome of each: where it contains its
// target, and where it honestly gives up instead of reporting a success
// that is not one.
func Example_ownKiller() {
	c := killer.Campaign{Options: model.DefaultOptions(), Seeds: 5, MaxSteps: 10000}
	for _, r := range killer.Races {
		cell, err := c.Run(r, killAndWait)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-26s %s\n", r.Name, cell.Outcome)
	}
	// Output:
	// fork-during-snapshot       gave up
	// fork-bomb-small-pid-space  did not terminate
	// pid-reuse-outside          contained
	// migration-into-visited     contained
	// zombie-leader              gave up
	// exec-during-kill           gave up
	// kthread-in-target          gave up
	// killer-inside-target       killer died
	// threaded-target            gave up
	// private-pidns-outsider     contained
	// rmdir-after-kill           contained
	// freeze-not-awaited         gave up
}

// outcome runs killer k against race r on the random schedule of seed and
// says how it ended, with the trace's last steps for a failure message.
func outcome(r killer.Race, k killer.Killer, seed uint64) (killer.Outcome, string, error) {
	m, err := r.Build(model.DefaultOptions(), k)
	if err != nil {
		return 0, "", err
	}
	steps := 10000
	if r.MaxSteps > 0 {
		steps = r.MaxSteps
	}
	res, final := explore.RandomFinal(m.W, seed, steps)
	out, detail := killer.Classify(final.(*sim.World), m.Killer, k, m.Target, res.Truncated)
	return out, detail, nil
}

// TestKillAndWaitIsHonest checks a property of the killer with rapid,
// over any race of the catalogue and any schedule: it never signals a
// process outside its target, and it never reports success while
// something of the target survives. rapid draws the race and the seed,
// and on a failure shrinks them to a small case and prints the command
// that replays it (simrun race RACE KILLER -seed N replays a built-in
// killer's).
func TestKillAndWaitIsHonest(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		r := rapid.SampledFrom(killer.Races).Draw(rt, "race")
		seed := rapid.Uint64Range(1, 1<<32).Draw(rt, "seed")
		out, detail, err := outcome(r, killAndWait, seed)
		if err != nil {
			rt.Fatal(err)
		}
		if out == killer.WrongKill || out == killer.Escaped {
			rt.Fatalf("%s against %s, seed %d: %s (%s)", killAndWait.ID, r.Name, seed, out, detail)
		}
	})
}

// TestNaiveIsNotHonest holds the same property against the naive
// one-pass killer over seeds 1-50 and requires it to fail there: a
// property that no bad killer fails proves nothing.
func TestNaiveIsNotHonest(t *testing.T) {
	found := false
	for seed := uint64(1); seed <= 50 && !found; seed++ {
		for _, r := range killer.Races {
			out, _, err := outcome(r, killer.Naive, seed)
			if err != nil {
				t.Fatal(err)
			}
			if out == killer.WrongKill || out == killer.Escaped {
				found = true
				break
			}
		}
	}
	if !found {
		t.Fatal("the naive killer neither escaped nor killed a stranger on seeds 1-50: the property would not catch a bad killer")
	}
}
