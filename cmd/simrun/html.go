package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"slices"
	"strings"

	"cgsim/docs"
	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

const htmlHelp = `usage: simrun html SCHEDULE|NAME|FILE [flags]

Draw a run as one self-contained HTML file (no network): a lane per task
and a row per step with the kernel function it modelled (a link to its
line in docs/model.md) and what it changed; the race window highlighted
(the steps during which a fork's child is committed but not yet in its
cgroup, invisible to every css_set walk) and the coverage points the run
reached marked; click a step (or use the arrow keys) to see the machine's
state after it, with what the step changed. A schedule file gives the run
it holds, exactly; a scenario gives the run of -seed, -schedule or round
robin, as simrun run does.

Exit status 0, or 2 for bad input (html draws; it does not judge).
`

//go:embed html.tmpl
var htmlTemplate string

var htmlPageTemplate = template.Must(template.New("run").Parse(htmlTemplate))

// htmlMaxSteps is the default limit on the steps one page draws.
const htmlMaxSteps = 5000

// htmlPage is what html.tmpl draws.
type htmlPage struct {
	Title, Options, Schedule, TaskKey, Verdict string
	Violation                                  bool
	Docs                                       string
	Lanes                                      []htmlLane
	Rows                                       []htmlRow
	// StepsJSON is htmlStep 0 (the machine before the first step) to N.
	StepsJSON template.JS
}

type htmlLane struct {
	ID    int32
	Label string
	Pids  string
}

type htmlRow struct {
	Step      int
	InWindow  bool
	Reached   bool
	Violation bool
	Cells     []htmlCell
}

// htmlCell is one task's lane in one step: the actor's holds the step.
type htmlCell struct {
	Actor   bool
	Window  bool
	Func    string
	Line    int
	What    []string
	Reached []string
}

// htmlStep is what the state panel shows for a step.
type htmlStep struct {
	Actor   string       `json:"actor,omitempty"`
	Func    string       `json:"func,omitempty"`
	Line    int          `json:"line,omitempty"`
	Doc     string       `json:"doc,omitempty"`
	State   []sim.Fact   `json:"state"`
	Changes []sim.Change `json:"changes,omitempty"`
}

func cmdHTML(args []string, stdout, stderr io.Writer) (int, error) {
	c := newCommand("html", htmlHelp, stdout)
	kf := c.addKernelFlags()
	outFile := c.fs.String("o", "", "write the page to this file (default: NAME.html)")
	seed := c.fs.Uint64("seed", 0, "a scenario: follow the random schedule of this seed (default: round robin)")
	sched := c.fs.String("schedule", "", "a scenario: follow this schedule (task ids separated by spaces)")
	maxSteps := c.fs.Int("max-steps", htmlMaxSteps, "draw at most this many steps (a page per step of a long random run is not readable)")
	docsURL := c.fs.String("docs", "docs/model.md", "where the kernel function links point: docs/model.md as seen from the page (the default fits a page written at the top of the repository)")
	c.positive = []string{"seed", "max-steps"}
	pos, err := c.parseFlags(args)
	if err != nil {
		return exitBadInput, err
	}
	var (
		s     *scenarios.Scenario
		opts  model.Options
		w     *sim.World
		steps explore.Schedule
		mode  = sim.Continue
	)
	if len(pos) == 1 && isScheduleFile(pos[0]) {
		if kf.any() || *seed != 0 || *sched != "" {
			return exitBadInput, fmt.Errorf("html: a schedule file fixes the scenario, the options and the schedule: -kill, -zap, -populated, -fix, -seed and -schedule are for NAME|FILE")
		}
		sf, sc, warn, err := readSchedule(pos[0])
		if err != nil {
			return exitBadInput, err
		}
		if warn != "" {
			fmt.Fprintln(stderr, "simrun: warning:", warn)
		}
		if sf.Steps > *maxSteps {
			return exitBadInput, fmt.Errorf("html: the schedule has %d steps, more than -max-steps %d", sf.Steps, *maxSteps)
		}
		s, opts, steps, mode = sc, sf.Options, sf.Schedule, sim.Exact
		if w, err = s.Build(opts); err != nil {
			return exitBadInput, err
		}
		if _, _, err := sf.follow(w); err != nil {
			return exitBadInput, err
		}
	} else {
		if _, s, opts, w, err = c.load(kf, args); err != nil {
			return exitBadInput, err
		}
		if *sched != "" && *seed != 0 {
			return exitBadInput, fmt.Errorf("html: -seed and -schedule: give one")
		}
		if steps, err = pickSchedule(w, *sched, *seed, *maxSteps); err != nil {
			return exitBadInput, fmt.Errorf("html: -schedule: %v", err)
		}
	}
	rec, err := sim.RecordRun(w, steps, *maxSteps, mode)
	if err != nil {
		return exitBadInput, fmt.Errorf("html: the schedule does not fit %s under %s: %v", s.Name, opts, err)
	}
	page, err := htmlRun(s, opts, w, rec, *docsURL)
	if err != nil {
		return exitBadInput, err
	}
	file := *outFile
	if file == "" {
		file = s.Name + ".html"
	}
	if err := os.WriteFile(file, page, 0o644); err != nil {
		return exitBadInput, err
	}
	fmt.Fprintf(stdout, "wrote %s: %d steps, %d tasks; open it in a browser\n", file, len(rec.Frames), htmlLaneCount(w, rec))
	return exitOK, nil
}

// htmlLanes lists the tasks that appear: those named at setup and every
// task that takes a step, by id.
func htmlLanes(w *sim.World, rec *sim.Recording) []htmlLane {
	pids := map[int32]string{}
	var ids []int32
	add := func(id int32, p []int32) {
		if _, ok := pids[id]; ok {
			return
		}
		var ps []string
		for _, n := range p {
			ps = append(ps, fmt.Sprint(n))
		}
		pids[id] = "pid " + strings.Join(ps, "/")
		ids = append(ids, id)
	}
	for _, t := range w.TaskNames() {
		add(t.ID, w.K.Pids(model.TaskID(t.ID)))
	}
	for _, f := range rec.Frames {
		add(f.Event.Task, f.Event.Pids)
	}
	// Tasks forked during the run that never took a step (a child that
	// escaped, still TASK_NEW) have a lane too.
	k := rec.Final.K
	for t := 0; t < k.NumTasks(); t++ {
		if k.Task(model.TaskID(t)).Group != model.NoGroup {
			add(int32(t), k.Pids(model.TaskID(t)))
		}
	}
	slices.Sort(ids)
	var out []htmlLane
	for _, id := range ids {
		label := w.Name(model.TaskID(id))
		if label == "" {
			label = fmt.Sprintf("T%d", id)
		}
		out = append(out, htmlLane{ID: id, Label: fmt.Sprintf("%d %s", id, label), Pids: pids[id]})
	}
	return out
}

func htmlLaneCount(w *sim.World, rec *sim.Recording) int { return len(htmlLanes(w, rec)) }

// htmlRun renders the page of a recorded run of s under opts from w.
func htmlRun(s *scenarios.Scenario, opts model.Options, w *sim.World, rec *sim.Recording, docsURL string) ([]byte, error) {
	lanes := htmlLanes(w, rec)
	lane := map[int32]int{}
	for i, l := range lanes {
		lane[l.ID] = i
	}
	sched := rec.Result.Schedule.String()
	if len(rec.Result.Schedule) > 200 {
		sched = fmt.Sprintf("(%d steps)", len(rec.Result.Schedule))
	}
	var key []string
	for _, t := range w.TaskNames() {
		key = append(key, fmt.Sprintf("%d %s", t.ID, t.Name))
	}
	violation := rec.Final.MapNames(rec.Result.Violation)
	verdict := "every property held"
	switch {
	case violation != "":
		verdict = "VIOLATION: " + violation
	case rec.Result.Truncated:
		verdict = fmt.Sprintf("no violation in %d steps (stopped at -max-steps)", rec.Result.Steps)
	}
	page := htmlPage{
		Title:   fmt.Sprintf("cgsim: %s, %d steps", s.Name, len(rec.Frames)),
		Options: opts.String(), Schedule: sched, Verdict: verdict, Violation: violation != "",
		TaskKey: strings.Join(key, ", ") + "; tasks forked during the run are T<id>",
		Docs:    docsURL, Lanes: lanes,
	}
	steps := []htmlStep{{State: rec.Initial}}
	for i, f := range rec.Frames {
		e := f.Event
		line := docs.ModelLine(e.Func)
		row := htmlRow{Step: e.Step, Cells: make([]htmlCell, len(lanes)), Reached: len(f.Reached) > 0, Violation: violation != "" && i == len(rec.Frames)-1}
		for _, t := range f.Window {
			if j, ok := lane[t]; ok {
				row.Cells[j].Window = true
				row.InWindow = true
			}
		}
		a := &row.Cells[lane[e.Task]]
		a.Actor, a.Func, a.Line, a.What, a.Reached = true, e.Func, line, e.What, f.Reached
		page.Rows = append(page.Rows, row)
		st := htmlStep{Actor: sim.ActorString(e), Func: e.Func, Line: line, State: f.State, Changes: f.Changes}
		if line > 0 {
			st.Doc = docs.ModelExcerpt(line, 8)
		}
		steps = append(steps, st)
	}
	js, err := json.Marshal(steps) // escapes <, > and & for a script element
	if err != nil {
		return nil, err
	}
	page.StepsJSON = template.JS(js)
	var b bytes.Buffer
	if err := htmlPageTemplate.Execute(&b, page); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
