//go:build !linux

package main

import (
	"fmt"
	"io"
	"runtime"
)

// errNotLinux is what the real-kernel commands say elsewhere.
var errNotLinux = fmt.Errorf("only on Linux: this command runs real processes in real cgroups of a Linux kernel (this is %s/%s); the simulator (run, explore, replay, explain, ...) works everywhere", runtime.GOOS, runtime.GOARCH)

func maybeHelper() {}

func realKernel() error { return errNotLinux }

func haveCC() error { return errNotLinux }

func cmdHunt(args []string, stdout, stderr io.Writer) (int, error) {
	return 2, fmt.Errorf("hunt: %w", errNotLinux)
}

func cmdConform(args []string, stdout, stderr io.Writer) (int, error) {
	return 2, fmt.Errorf("conform: %w", errNotLinux)
}
