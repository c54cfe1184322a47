//go:build linux

package hostlinux

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// This file builds the small C programs that run on the real kernel where
// a Go process cannot stand in for a C one: a Go process is always
// multi-threaded (its runtime threads are listed in cgroup.threads, keep a
// zombie leader's process listed while they exit, and slow fork down), and
// a race hunt needs a forker that forks in a tight loop.

// ccMu serialises builds; ccBuilt caches the binary of each source.
var (
	ccMu    sync.Mutex
	ccBuilt = map[string]string{}
)

// HaveCC returns nil when a C compiler is on PATH, else an error fit for
// a test's skip message.
func HaveCC() error {
	if _, err := exec.LookPath("gcc"); err != nil {
		return errors.New("no C compiler (gcc) on PATH: the real-kernel C helpers cannot be built")
	}
	return nil
}

// BuildC compiles a single-file C program and returns the path of the
// binary. The binary is cached by the source's hash under the user cache
// directory (or the temporary directory), so tests and hunts pay for the
// build once per source version. extra are more gcc arguments (such as
// "-lpthread").
func BuildC(name string, src []byte, extra ...string) (string, error) {
	if err := HaveCC(); err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write(src)
	for _, a := range extra {
		h.Write([]byte{0})
		h.Write([]byte(a))
	}
	key := name + "-" + hex.EncodeToString(h.Sum(nil))[:16]
	ccMu.Lock()
	defer ccMu.Unlock()
	if p, ok := ccBuilt[key]; ok {
		return p, nil
	}
	base, err := os.UserCacheDir()
	if err != nil || os.MkdirAll(base, 0o755) != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "cgsim-cc")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, key)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		ccBuilt[key] = bin
		return bin, nil
	}
	srcPath := bin + ".c"
	if err := os.WriteFile(srcPath, src, 0o644); err != nil {
		return "", err
	}
	// Build to a temporary name and rename, so that a concurrent build by
	// another process never leaves a half-written binary under bin.
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	args := append([]string{"-O2", "-Wall", "-o", tmp, srcPath}, extra...)
	out, err := exec.Command("gcc", args...).CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("gcc %s: %v\n%s", name, err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	ccBuilt[key] = bin
	return bin, nil
}
