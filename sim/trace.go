package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"cgsim/model"
)

// TraceEvent is one step of a run: the global step number, the acting
// task (its id, scenario name and pid at every namespace level, root
// first), the kernel function the step modelled and what changed.
type TraceEvent struct {
	Step int      `json:"step"`
	Task int32    `json:"task"`
	Name string   `json:"name,omitempty"`
	Pids []int32  `json:"pids"`
	Func string   `json:"func"`
	What []string `json:"what,omitempty"`
}

func (w *World) traceEvent(t model.TaskID, ev model.Event) TraceEvent {
	fn := ev.Func
	if fn == "" {
		fn = "schedule"
	}
	return TraceEvent{
		Step: w.Steps, Task: int32(t), Name: w.Name(t),
		Pids: append([]int32(nil), w.K.Pids(t)...), Func: fn, What: ev.What,
	}
}

// TraceHeader is the first line of a JSON Lines trace: what produced it.
type TraceHeader struct {
	Scenario string `json:"scenario,omitempty"`
	Options  string `json:"options"`
	Seed     uint64 `json:"seed,omitempty"`
	Schedule string `json:"schedule,omitempty"`
}

// WriteJSONL writes the header and one JSON object per event, one per line.
func WriteJSONL(out io.Writer, h TraceHeader, events []TraceEvent) error {
	enc := json.NewEncoder(out)
	if err := enc.Encode(h); err != nil {
		return err
	}
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return nil
}

// WriteText writes the trace for people: one block per step,
//
//	12 writer[pid 3] __cgroup_kill
//	     SIGKILL queued on T4[pid 5] (private, force=false)
func WriteText(out io.Writer, h TraceHeader, events []TraceEvent) error {
	var b strings.Builder
	if h.Scenario != "" {
		fmt.Fprintf(&b, "# scenario %s\n", h.Scenario)
	}
	fmt.Fprintf(&b, "# options %s\n", h.Options)
	if h.Schedule != "" {
		fmt.Fprintf(&b, "# schedule %s\n", h.Schedule)
	}
	for _, e := range events {
		fmt.Fprintf(&b, "%5d %s %s\n", e.Step, actorString(e), e.Func)
		for _, w := range e.What {
			fmt.Fprintf(&b, "      %s\n", w)
		}
	}
	_, err := io.WriteString(out, b.String())
	return err
}

func actorString(e TraceEvent) string {
	var p []string
	for _, n := range e.Pids {
		p = append(p, fmt.Sprint(n))
	}
	name := e.Name
	if name == "" {
		name = fmt.Sprintf("T%d", e.Task)
	}
	return fmt.Sprintf("%s[pid %s]", name, strings.Join(p, "/"))
}
