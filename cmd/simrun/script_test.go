package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/script from the output")

// TestMain lets the scripts run simrun as a command ("exec simrun ...")
// without building it first.
func TestMain(m *testing.M) {
	maybeHelper() // real-kernel runs re-execute this binary as helpers
	testscript.Main(m, map[string]func(){
		"simrun": func() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the golden tests in testdata/script: every subcommand,
// good and bad input, with the exact output where it is short and
// deterministic. `go test ./cmd/simrun -run TestScripts -update` rewrites
// the goldens after an intended change; review the diff.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup:               scriptEnv,
		// [realkernel]: root and a writable cgroup v2 hierarchy with
		// cgroup.kill, so that real-kernel commands can run. [cc]: a C
		// compiler, for the interpreter scenario files run in on real
		// processes.
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "realkernel":
				return realKernel() == nil, nil
			case "cc":
				return haveCC() == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// sleep DURATION: wait (to let a background search get going
			// before it is interrupted).
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: sleep DURATION")
				}
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
			// status N cmd args...: run cmd and require exit status N
			// (exec only tells zero from non-zero; simrun's 1 and 2 mean
			// different things).
			"status": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: status N command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var ee *exec.ExitError
				switch {
				case errors.As(err, &ee):
					got = ee.ExitCode()
				case err != nil:
					ts.Fatalf("%v", err)
				}
				if got != want {
					ts.Fatalf("exit status %d, want %d", got, want)
				}
			},
		},
	})
}

// scriptEnv gives the scripts what a go command inside them needs to build
// a module of its own offline against this checkout: $CGSIM_ROOT, the
// build and module caches of the go command running the tests, no proxy,
// no toolchain download.
func scriptEnv(env *testscript.Env) error {
	root, err := filepath.Abs("../..")
	if err != nil {
		return err
	}
	env.Setenv("CGSIM_ROOT", root)
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			return fmt.Errorf("go env %s: %v", v, err)
		}
		env.Setenv(v, strings.TrimSpace(string(out)))
	}
	env.Setenv("GOPROXY", "off")
	env.Setenv("GOFLAGS", "-mod=mod")
	env.Setenv("GOTOOLCHAIN", "local")
	return nil
}
