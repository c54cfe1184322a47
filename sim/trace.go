package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"cgsim/model"
)

// Version is cgsim's version. Schedule files and JSON traces record it, and
// `simrun version` prints it. It changes when the model or the formats
// change in a way that can make an old schedule replay differently.
const Version = "0.14.0"

// TraceSchema is the version of the JSON Lines schema written by WriteJSONL
// and the simrun commands' -json modes (docs/trace-format.md). It changes
// only when a field is removed or changes meaning; new fields may appear
// in any version.
const TraceSchema = 1

// TraceEvent is one step of a run: the global step number, the acting
// task (its id, scenario name and pid at every namespace level, root
// first), the kernel function the step modelled and what changed. Task
// ids in What are written as the tasks' scenario names where they have
// one ("writer[pid 3]"), as in Name, and as T<id> otherwise ("T4[pid 5]",
// a task forked during the run), the number a schedule uses.
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
	var what []string
	if len(ev.What) > 0 {
		what = make([]string, len(ev.What))
		for i, s := range ev.What {
			what[i] = w.MapNames(s)
		}
	}
	return TraceEvent{
		Step: w.Steps, Task: int32(t), Name: w.Name(t),
		Pids: append([]int32(nil), w.K.Pids(t)...), Func: fn, What: what,
	}
}

// MapNames rewrites the task ids the kernel writes as T<id> ("T1[pid 2]")
// into the tasks' scenario names ("tester[pid 2]") where they have one, so
// that a message names every task the way the trace's actor column does.
// Tasks without a name (forked during the run) keep T<id>.
func (w *World) MapNames(s string) string {
	if len(w.Names) == 0 || !strings.Contains(s, "T") {
		return s
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		j := i
		if s[i] == 'T' && (i == 0 || !isWordByte(s[i-1])) {
			j = i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j > i+1 && (j == len(s) || !isWordByte(s[j])) {
				id, err := strconv.Atoi(s[i+1 : j])
				if name := w.Name(model.TaskID(id)); err == nil && name != "" {
					b.WriteString(name)
					i = j
					continue
				}
			}
			j = i
		}
		b.WriteByte(s[j])
		i = j + 1
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// TaskName maps a task id of a schedule to its scenario name.
type TaskName struct {
	ID   int32  `json:"id"`
	Name string `json:"name"`
}

// TaskNames lists the tasks named at setup, by id: the key to the numbers
// of a schedule.
func (w *World) TaskNames() []TaskName {
	var out []TaskName
	for id, n := range w.Names {
		if n != "" {
			out = append(out, TaskName{ID: int32(id), Name: n})
		}
	}
	return out
}

// TraceHeader is the first record of a JSON Lines output: what produced
// it. Type is "header" (WriteJSONL sets it and the schema, and Cgsim when
// empty).
type TraceHeader struct {
	Type    string `json:"type"`
	Schema  int    `json:"schema"`
	Cgsim   string `json:"cgsim"`
	Command string `json:"command,omitempty"`
	// Scenario is the scenario's name; File the scenario file it was
	// read from, if any.
	Scenario string `json:"scenario,omitempty"`
	File     string `json:"file,omitempty"`
	Options  string `json:"options"`
	// Kernel is the real kernel's release (conform, hunt).
	Kernel string `json:"kernel,omitempty"`
	Seed   uint64 `json:"seed,omitempty"`
	// Schedule is the schedule that ran, every step (task ids).
	Schedule string `json:"schedule,omitempty"`
	// Tasks maps the ids of the tasks named at setup to their names.
	Tasks []TaskName `json:"tasks,omitempty"`
}

// stepRecord is a TraceEvent as a JSON Lines record.
type stepRecord struct {
	Type string `json:"type"`
	TraceEvent
}

// WriteJSONL writes the header and one JSON object per event, one per
// line (records of type "header", then "step"). The caller writes the
// final "verdict" record (WriteRecord).
func WriteJSONL(out io.Writer, h TraceHeader, events []TraceEvent) error {
	enc := json.NewEncoder(out)
	if err := WriteHeader(out, h); err != nil {
		return err
	}
	for _, e := range events {
		if err := enc.Encode(stepRecord{Type: "step", TraceEvent: e}); err != nil {
			return err
		}
	}
	return nil
}

// WriteHeader writes h as the header record of a JSON Lines output:
// type "header", the schema version, and the cgsim version when h has none.
func WriteHeader(out io.Writer, h TraceHeader) error {
	h.Type, h.Schema = "header", TraceSchema
	if h.Cgsim == "" {
		h.Cgsim = Version
	}
	return json.NewEncoder(out).Encode(h)
}

// WriteRecord writes one JSON Lines record (a verdict, a matrix cell, ...).
func WriteRecord(out io.Writer, rec any) error {
	return json.NewEncoder(out).Encode(rec)
}

// WriteText writes the trace for people: a header of '#' lines (the
// scenario, the options, the schedule and which task each of its numbers
// is), then one block per step,
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
	if len(h.Tasks) > 0 {
		b.WriteString("# tasks")
		for i, t := range h.Tasks {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, " %d %s", t.ID, t.Name)
		}
		b.WriteString("; tasks forked during the run are T<id>\n")
	}
	for _, e := range events {
		writeEvent(&b, e)
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// writeEvent writes one step as WriteText does.
func writeEvent(b *strings.Builder, e TraceEvent) {
	fmt.Fprintf(b, "%5d %s %s\n", e.Step, ActorString(e), e.Func)
	for _, w := range e.What {
		fmt.Fprintf(b, "      %s\n", w)
	}
}

// EventText is one step as WriteText writes it.
func EventText(e TraceEvent) string {
	var b strings.Builder
	writeEvent(&b, e)
	return b.String()
}

// ActorString names the acting task of an event: "writer[pid 3]" or,
// for a task without a scenario name, "T4[pid 5/1]".
func ActorString(e TraceEvent) string {
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
