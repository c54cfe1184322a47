//go:build linux

package main

import "cgsim/hostlinux"

// maybeHelper turns this process into a helper process of a real-kernel
// run when it was started as one (simrun re-executes itself).
func maybeHelper() { hostlinux.MaybeHelper() }

// realKernel says why real-kernel commands cannot run here (nil: they can):
// root and a writable cgroup v2 hierarchy with cgroup.kill are needed.
func realKernel() error { return hostlinux.Check() }

// haveCC says why the C helpers cannot be built here (nil: they can).
func haveCC() error { return hostlinux.HaveCC() }
