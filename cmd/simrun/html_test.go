package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestHTMLPage checks the page simrun html writes without a browser: one
// self-contained file (nothing it loads from elsewhere), a lane per task,
// the race window and the coverage point marked on the right steps.
func TestHTMLPage(t *testing.T) {
	page := htmlOfFlagEscape(t)
	data, err := os.ReadFile(page)
	require.NoError(t, err)
	html := string(data)
	require.NotRegexp(t, `(?i)<(script|img|link|iframe)[^>]+(src|href)=`, html, "the page loads nothing")
	require.NotContains(t, html, "@import")
	for _, lane := range []string{"0 init", "1 forker", "2 writer", "3 T3"} {
		require.Contains(t, html, `">`+lane+`<br>`)
	}
	// The window: the forker's fork between its commit (step 2) and
	// cgroup_post_fork (step 8).
	for step := 1; step <= 8; step++ {
		row := regexp.MustCompile(`(?s)<tr class="step[^"]*" id="step-` + fmt.Sprint(step) + `".*?</tr>`).FindString(html)
		require.NotEmpty(t, row, "step %d", step)
		require.Equal(t, step >= 2 && step <= 7, strings.Contains(row, "in-window"), "step %d: %s", step, row)
	}
	require.Regexp(t, `(?s)id="step-6".*?<div class="reached">fork-passed-sigcheck-before-kill</div>`, html)
	require.Regexp(t, `<a class="fn" href="docs/model.md#L[0-9]+" title="docs/model.md line [0-9]+">cgroup_post_fork</a>`, html)
}

// htmlOfFlagEscape finds the kill=flag escape of fork-vs-kill, draws it
// and returns the page's path.
func htmlOfFlagEscape(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sched := filepath.Join(dir, "fvk.schedule")
	code, out, errs := run("explore", "fork-vs-kill", "-kill=flag", "-q", "-o", sched)
	require.Equal(t, exitOK, code, out+errs)
	page := filepath.Join(dir, "run.html")
	code, out, errs = run("html", sched, "-o", page)
	require.Equal(t, exitOK, code, out+errs)
	require.Equal(t, "wrote "+page+": 8 steps, 4 tasks; open it in a browser\n", out)
	return page
}

// TestHTMLInChromium loads the page in headless Chromium and checks what a
// person sees: the lanes, the highlighted race window, and the machine's
// state after a step once that step is clicked. It skips where Chromium is
// not installed (.ci/run installs Debian's chromium package).
func TestHTMLInChromium(t *testing.T) {
	bin := findChromium()
	if bin == "" {
		t.Skip("no chromium (or chromium-browser, google-chrome) on PATH: apt-get install chromium to run this test")
	}
	page := htmlOfFlagEscape(t)
	b := startBrowser(t, bin)
	abs, err := filepath.Abs(page)
	require.NoError(t, err)
	tab := b.open(t, "file://"+abs)

	// The lanes, as shown.
	var lanes []string
	tab.eval(t, `[...document.querySelectorAll("th.lane")].map(e => e.innerText.replace(/\s+/g, " ").trim())`, &lanes)
	require.Equal(t, []string{"0 init pid 1", "1 forker pid 2", "2 writer pid 3", "3 T3 pid 4"}, lanes)

	// The race window: the forker's lane from step 2 to step 7, painted
	// in the highlight colour and on screen.
	var window []string
	tab.eval(t, `[...document.querySelectorAll("td.window")].map(td => {
		const row = td.closest("tr"), lane = document.querySelectorAll("th.lane")[td.cellIndex - 1];
		const r = td.getBoundingClientRect();
		return row.dataset.step + " " + lane.dataset.task + " " + getComputedStyle(td).backgroundColor + " " + (r.width > 0 && r.height > 0);
	})`, &window)
	var want []string
	for step := 2; step <= 7; step++ {
		want = append(want, fmt.Sprintf("%d 1 rgb(255, 232, 163) true", step))
	}
	require.Equal(t, want, window)
	var reached string
	tab.eval(t, `document.querySelector("#step-6 .reached").innerText`, &reached)
	require.Equal(t, "fork-passed-sigcheck-before-kill", reached)

	// Before any click: the machine before the first step.
	var title string
	tab.eval(t, `document.getElementById("panel-title").innerText`, &title)
	require.Equal(t, "The machine before the first step", title)

	// Click step 3, as a person does (a real mouse event at the row's place
	// on screen): the panel shows the machine after it.
	tab.click(t, "#step-3 td.stepno")
	tab.eval(t, `document.getElementById("panel-title").innerText`, &title)
	require.Equal(t, "The machine after step 3: writer[pid 3] __cgroup_kill", title)
	var changed []string
	tab.eval(t, `[...document.querySelectorAll("#state .fact.changed")].map(e => e.innerText)`, &changed)
	require.Equal(t, []string{
		"task writer: writer[pid 3] (child of init); next: css_task_iter_start, cgroup /\nwas: writer[pid 3] (child of init); next: user: write, cgroup /",
		"cgroup /test: type domain, populated 1, frozen 0, kill_seq 0, CGRP_KILL set\nwas: type domain, populated 1, frozen 0",
		"cgroup_mutex: held by writer[pid 3]",
	}, changed)
	var selected []string
	tab.eval(t, `[...document.querySelectorAll("tr.selected")].map(e => e.id)`, &selected)
	require.Equal(t, []string{"step-3"}, selected)
	var fninfo string
	tab.eval(t, `document.getElementById("fninfo").innerText`, &fninfo)
	require.Contains(t, fninfo, "__cgroup_kill in docs/model.md line ")

	// The arrow key moves to the next step.
	tab.key(t, "ArrowDown")
	tab.eval(t, `document.getElementById("panel-title").innerText`, &title)
	require.Equal(t, "The machine after step 4: writer[pid 3] css_task_iter_start", title)
}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ending in a NUL byte, commands on
// the browser's fd 3, replies and events on its fd 4), so that the test
// needs no websocket library.
type browser struct {
	cmd     *exec.Cmd
	send    io.WriteCloser
	replies chan cdpMessage
	nextID  int
}

type cdpMessage struct {
	ID        int             `json:"id"`
	Method    string          `json:"method"`
	SessionID string          `json:"sessionId"`
	Result    json.RawMessage `json:"result"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func startBrowser(t *testing.T, bin string) *browser {
	t.Helper()
	toBrowser, cmdW, err := os.Pipe()
	require.NoError(t, err)
	replyR, fromBrowser, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "--window-size=1400,900", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	toBrowser.Close()
	fromBrowser.Close()
	b := &browser{cmd: cmd, send: cmdW, replies: make(chan cdpMessage, 64)}
	go func() {
		r := bufio.NewReader(replyR)
		for {
			msg, err := r.ReadBytes(0)
			if err != nil {
				close(b.replies)
				return
			}
			var m cdpMessage
			if json.Unmarshal(msg[:len(msg)-1], &m) == nil && m.ID != 0 {
				b.replies <- m
			}
		}
	}()
	t.Cleanup(func() {
		b.call(t, "", "Browser.close", nil, nil)
		cmdW.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("chromium stderr:\n%s", stderr.String())
		}
	})
	return b
}

// call sends a DevTools command (to a page when session is set) and
// decodes its result into out.
func (b *browser) call(t *testing.T, session, method string, params, out any) {
	t.Helper()
	b.nextID++
	id := b.nextID
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	require.NoError(t, err)
	_, err = b.send.Write(append(data, 0))
	require.NoError(t, err, method)
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-b.replies:
			require.True(t, ok, "chromium closed the pipe during %s", method)
			if m.ID != id {
				continue
			}
			require.Nil(t, m.Error, "%s: %+v", method, m.Error)
			if out != nil {
				require.NoError(t, json.Unmarshal(m.Result, out), method)
			}
			return
		case <-timeout:
			t.Fatalf("chromium did not answer %s in 30s", method)
		}
	}
}

// tab is one page of the browser.
type tab struct {
	b       *browser
	session string
}

// open loads url in a new tab and waits for it to finish loading.
func (b *browser) open(t *testing.T, url string) *tab {
	t.Helper()
	var created struct {
		TargetID string `json:"targetId"`
	}
	b.call(t, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &created)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	b.call(t, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached)
	tb := &tab{b: b, session: attached.SessionID}
	b.call(t, tb.session, "Page.navigate", map[string]any{"url": url}, nil)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var state string
		tb.eval(t, `location.href + " " + document.readyState`, &state)
		if state == url+" complete" {
			return tb
		}
		require.True(t, time.Now().Before(deadline), "the page did not load in 20s (%q)", state)
		time.Sleep(50 * time.Millisecond)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func (tb *tab) eval(t *testing.T, expr string, out any) {
	t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	tb.b.call(t, tb.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res)
	require.Nil(t, res.ExceptionDetails, "%s: %+v", expr, res.ExceptionDetails)
	require.NoError(t, json.Unmarshal(res.Result.Value, out), "%s: %s", expr, res.Result.Value)
}

// click presses and releases the left mouse button in the middle of the
// element selector picks, after scrolling it into view.
func (tb *tab) click(t *testing.T, selector string) {
	t.Helper()
	var at []float64
	tb.eval(t, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.scrollIntoView({block: "center"});
		const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`, selector), &at)
	require.Len(t, at, 2)
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		p := map[string]any{"type": typ, "x": at[0], "y": at[1]}
		if typ != "mouseMoved" {
			p["button"], p["clickCount"] = "left", 1
		}
		tb.b.call(t, tb.session, "Input.dispatchMouseEvent", p, nil)
	}
}

// key presses and releases a key such as "ArrowDown".
func (tb *tab) key(t *testing.T, key string) {
	t.Helper()
	for _, typ := range []string{"rawKeyDown", "keyUp"} {
		tb.b.call(t, tb.session, "Input.dispatchKeyEvent", map[string]any{"type": typ, "key": key, "code": key}, nil)
	}
}
