package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTutorial runs every command of docs/tutorial.md, in order, in an
// empty directory, and requires the output the page shows. A console
// block holds commands ("$ simrun ...", optionally piped into head -n N,
// tail -n N or grep [-E] PATTERN, or "$ cat FILE") each followed by its
// output; a yaml block after a line that says "Save this as `FILE`" is
// written to FILE. The only other command allowed is the first, "go
// install ./cmd/simrun" (the test runs simrun in this process).
// `go test ./cmd/simrun -run TestTutorial -update` rewrites the outputs
// from the runs; review the diff.
func TestTutorial(t *testing.T) {
	page, err := filepath.Abs("../../docs/tutorial.md")
	require.NoError(t, err)
	data, err := os.ReadFile(page)
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	lines := strings.Split(string(data), "\n")
	var out []string // the page, with outputs as run (for -update)
	saveAs := regexp.MustCompile("Save this as `([^`]+)`")
	installed, ran := false, 0
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		out = append(out, line)
		switch {
		case line == "```yaml":
			name := ""
			for j := i - 1; j >= 0 && j >= i-3; j-- {
				if m := saveAs.FindStringSubmatch(lines[j]); m != nil {
					name = m[1]
					break
				}
			}
			var body []string
			for i++; i < len(lines) && lines[i] != "```"; i++ {
				body = append(body, lines[i])
				out = append(out, lines[i])
			}
			out = append(out, "```")
			if name != "" {
				require.NoError(t, os.WriteFile(name, []byte(strings.Join(body, "\n")+"\n"), 0o644))
			}
		case line == "```console":
			i++
			for i < len(lines) && lines[i] != "```" {
				cmd := lines[i]
				require.True(t, strings.HasPrefix(cmd, "$ "), "%s:%d: a console block starts with a command ($ ...), got %q", page, i+1, cmd)
				out = append(out, cmd)
				var want []string
				for i++; i < len(lines) && lines[i] != "```" && !strings.HasPrefix(lines[i], "$ "); i++ {
					want = append(want, lines[i])
				}
				if strings.TrimPrefix(cmd, "$ ") == "go install ./cmd/simrun" {
					require.False(t, installed || ran > 0, "%s: go install ./cmd/simrun comes once, first", page)
					installed = true
					out = append(out, want...)
					continue
				}
				got := tutorialCommand(t, strings.TrimPrefix(cmd, "$ "), page, i)
				ran++
				out = append(out, got...)
				if !*update {
					require.Equal(t, strings.Join(want, "\n"), strings.Join(got, "\n"), "%s: the output of %q", page, cmd)
				}
			}
			out = append(out, "```")
		}
	}
	require.True(t, installed, "%s: the tutorial starts with go install ./cmd/simrun", page)
	require.Greater(t, ran, 10)
	if *update {
		require.NoError(t, os.WriteFile(page, []byte(strings.Join(out, "\n")), 0o644))
	}
}

// tutorialCommand runs one command line of the tutorial and returns its
// output lines.
func tutorialCommand(t *testing.T, line, page string, at int) []string {
	t.Helper()
	stages := strings.Split(line, " | ")
	args := shellWords(t, stages[0])
	var text string
	switch args[0] {
	case "simrun":
		var stdout, stderr bytes.Buffer
		Main(args[1:], &stdout, &stderr)
		// Progress lines of a long search (paced by the clock) may come on
		// a slow machine; nothing else may.
		progress := regexp.MustCompile(`(?m)^simrun: .* \([0-9]+s\)\n`)
		require.Empty(t, progress.ReplaceAllString(stderr.String(), ""), "%s:%d: %s wrote to stderr", page, at, line)
		text = stdout.String()
	case "cat":
		require.Len(t, args, 2)
		data, err := os.ReadFile(args[1])
		require.NoError(t, err)
		text = string(data)
	default:
		t.Fatalf("%s:%d: the test runs simrun and cat only, not %q", page, at, line)
	}
	got := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for _, st := range stages[1:] {
		f := shellWords(t, st)
		switch {
		case (f[0] == "head" || f[0] == "tail") && len(f) == 3 && f[1] == "-n":
			n, err := strconv.Atoi(f[2])
			require.NoError(t, err)
			n = min(n, len(got))
			if f[0] == "head" {
				got = got[:n]
			} else {
				got = got[len(got)-n:]
			}
		case f[0] == "grep" && (len(f) == 2 || len(f) == 3 && f[1] == "-E"):
			re := regexp.MustCompile(f[len(f)-1])
			var kept []string
			for _, l := range got {
				if re.MatchString(l) {
					kept = append(kept, l)
				}
			}
			got = kept
		default:
			t.Fatalf("%s:%d: unknown filter %q (head -n N, tail -n N, grep [-E] PATTERN)", page, at, st)
		}
	}
	return got
}

// shellWords splits a command line as a shell would, for the quoting the
// tutorial uses: words separated by spaces, '...' and "..." quoted.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case '\'', '"':
			j := strings.IndexByte(s[i+1:], c)
			require.GreaterOrEqual(t, j, 0, "unterminated quote in %q", s)
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	require.NotEmpty(t, words, "empty command")
	return words
}
