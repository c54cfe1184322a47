package docs

import (
	"strings"
	"testing"
)

func TestModelLine(t *testing.T) {
	lines := strings.Split(ModelMD, "\n")
	for _, tc := range []struct {
		fn   string
		want string // a text the line must contain; "" for no line
	}{
		{"copy_process", "`copy_process"},
		{"cgroup_post_fork", "cgroup_post_fork"},
		{"__cgroup_kill", "__cgroup_kill"},
		{"zap_pid_ns_processes", "zap_pid_ns_processes"},
		{"user", "**How tasks run"},
		{"no_such_function_anywhere", ""},
	} {
		n := ModelLine(tc.fn)
		if tc.want == "" {
			if n != 0 {
				t.Errorf("ModelLine(%q) = %d, want 0", tc.fn, n)
			}
			continue
		}
		if n == 0 || !strings.Contains(lines[n-1], tc.want) {
			t.Errorf("ModelLine(%q) = %d, a line without %q", tc.fn, n, tc.want)
		}
		if ex := ModelExcerpt(n, 6); !strings.HasPrefix(ex, lines[n-1]) {
			t.Errorf("ModelExcerpt(%d) does not start at the line: %q", n, ex)
		}
	}
}
