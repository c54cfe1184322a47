// Package hostlinux runs cgsim's workloads on the real kernel of the
// machine: a killer.Host on real cgroup files and system calls, helper
// processes that execute simple programs, and the probes that tell which
// kernel behaviour options the machine has. It is the judge of the model.
//
// Safety. Everything a Run creates lives under one uniquely named cgroup,
// <cgroup2 mount>/cgsim-<tag>-<pid>-<n>, created by the Run; nothing outside
// it is written. The Host refuses to signal or move a process that is not
// inside the Run's cgroup (it pins the process with a pidfd first, then
// checks /proc/PID/cgroup, then signals through the pidfd). Close kills
// the whole subtree through its own cgroup.kill and removes it leaves
// first; SweepStale does the same for runs whose creating process has
// died (a run killed in the middle).
//
// Linux only: the package uses Linux system calls (pidfds, clone3 into a
// cgroup, cgroup v2 files) and builds its C helpers with gcc at run time.
// On other systems it is empty, and simrun's real-kernel commands (hunt,
// conform) say they run only on Linux.
package hostlinux
