package scenarios_test

import (
	"testing"
)

// TestPidChild: `pid: child` in kill and wait is the pid the caller's last
// successful fork returned to it, in every explored run: none before the
// first fork (ESRCH, ECHILD), unchanged by a failed fork, inherited by a
// forked child; a number still names a pid as the caller sees it.
func TestPidChild(t *testing.T) {
	for _, c := range []struct{ name, program string }{
		{"kill and wait the child", `
      - fork: {into: /t, label: clone, expect: OK, child: [pause]}
      - kill: {pid: child, label: kill, expect: OK}
      - wait: {pid: child, label: wait, expect: OK}
      - await: {unpopulated: /t}
`},
		{"no child before the first fork", `
      - kill: {pid: child, label: kill, expect: ESRCH}
      - wait: {pid: child, label: wait, expect: ECHILD}
      - fork: {label: clone, expect: OK, child: [exit]}
      - wait: {pid: child, label: reap, expect: OK}
`},
		{"a failed fork changes nothing", `
      - fork: {into: /t, label: clone, expect: OK, child: [pause]}
      - fork: {into: /gone, label: clone-fails, expect: ENOENT, child: [exit]}
      - kill: {pid: child, signal: SIGTERM, label: kill, expect: OK}
      - wait: {pid: child, label: wait, expect: OK}
      - await: {unpopulated: /t}
`},
		{"a child inherits its parent's last child", `
      - fork: {into: /t, label: clone-a, expect: OK, child: [pause]}
      - fork: {label: clone-b, expect: OK, child: [{kill: {pid: child, label: b-kills-a, expect: OK}}]}
      - wait: {pid: child, label: reap-b, expect: OK}
      - wait: {pid: 3, label: reap-a, expect: OK}
      - await: {unpopulated: /t}
`},
	} {
		t.Run(c.name, func(t *testing.T) {
			requireHolds(t, "c.yaml", `version: 1
cgroups: [{path: /t}]
tasks:
  - {name: init, program: ignore-sigchld}
  - name: test
    program:
      - sigaction: {signal: SIGCHLD, action: default}`+c.program+`      - pause
expect:
  properties:
    - alive: test
`)
		})
	}
}
