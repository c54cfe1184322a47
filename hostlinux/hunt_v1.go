//go:build linux

package hostlinux

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Throw-away cgroups in v1 hierarchies. A hunt that needs one (fork-vs-kill
// gives its forker a css_set of its own through a v1 cgroup; fork-bomb
// holds its bomb with a v1 pids.max where the pids controller is bound to
// v1) creates <v1 mount>/<the run's name>, the same unique name as its v2
// run cgroup, and removes it at the end. SweepStaleV1 removes those of
// runs whose creator died, as SweepStale does for v2.

// v1Mounts maps each v1 hierarchy to its mount point: by controller
// ("freezer", "pids", ...) and by name ("name=systemd").
func v1Mounts() map[string]string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for i, fl := range fields {
			if fl != "-" || i+3 >= len(fields) || fields[i+1] != "cgroup" || len(fields) <= 4 {
				continue
			}
			for _, opt := range strings.Split(fields[i+3], ",") {
				if opt != "rw" && opt != "ro" && !strings.HasPrefix(opt, "release_agent") {
					if _, dup := out[opt]; !dup {
						out[opt] = fields[4]
					}
				}
			}
		}
	}
	return out
}

// newV1Dir creates the throw-away cgroup rel (a run's "/cgsim-…" name) in
// the v1 hierarchy of controller ctl.
func newV1Dir(ctl, rel string) (string, error) {
	mnt, ok := v1Mounts()[ctl]
	if !ok {
		return "", fmt.Errorf("no cgroup v1 hierarchy %q is mounted here (the hunt needs one for its throw-away cgroup)", ctl)
	}
	if !runNameRE.MatchString(strings.TrimPrefix(rel, "/")) {
		return "", fmt.Errorf("v1 cgroup %q: not a run's name", rel)
	}
	dir := filepath.Join(mnt, rel)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	return dir, nil
}

// removeV1Dir removes a throw-away v1 cgroup and what the hunter created
// under it, leaves first. Its processes are gone by then (the run's v2
// cgroup held them all); a directory still busy is retried for a second.
func removeV1Dir(dir string) error {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	var first error
	for _, d := range dirs {
		var err error
		for i := 0; i < 100; i++ {
			if err = syscall.Rmdir(d); err == nil || errors.Is(err, syscall.ENOENT) {
				err = nil
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil && first == nil {
			first = fmt.Errorf("rmdir %s: %w", d, err)
		}
	}
	return first
}

// SweepStaleV1 removes the throw-away v1 cgroups of hunts created in this
// pid namespace by a process that is gone, and returns their paths. Like
// SweepStale it never touches another namespace's or a live creator's
// cgroups, nor anything not named like a run.
func SweepStaleV1() []string {
	ns := strconv.FormatUint(pidNS(), 10)
	var swept []string
	for _, mnt := range uniqueMounts() {
		entries, err := os.ReadDir(mnt)
		if err != nil {
			continue
		}
		for _, e := range entries {
			m := runNameRE.FindStringSubmatch(e.Name())
			if !e.IsDir() || m == nil || m[1] != ns {
				continue
			}
			pid, err := strconv.Atoi(m[2])
			if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
				continue
			}
			if removeV1Dir(filepath.Join(mnt, e.Name())) == nil {
				swept = append(swept, filepath.Join(mnt, e.Name()))
			}
		}
	}
	return swept
}

// V1Leftovers lists the throw-away v1 cgroups of runs created by process
// pid, in every v1 hierarchy.
func V1Leftovers(pid int) []string {
	ns := strconv.FormatUint(pidNS(), 10)
	var out []string
	for _, mnt := range uniqueMounts() {
		entries, _ := os.ReadDir(mnt)
		for _, e := range entries {
			if m := runNameRE.FindStringSubmatch(e.Name()); m != nil && m[1] == ns && m[2] == strconv.Itoa(pid) {
				out = append(out, filepath.Join(mnt, e.Name()))
			}
		}
	}
	return out
}

// uniqueMounts is the v1 mount points, each once, in order.
func uniqueMounts() []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range v1Mounts() {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// CloseHunts ends every real-kernel run of this process (CloseAll) and
// removes its throw-away v1 cgroups: what `simrun hunt` does when it is
// interrupted.
func CloseHunts() {
	CloseAll()
	for _, d := range V1Leftovers(os.Getpid()) {
		_ = removeV1Dir(d)
	}
}
