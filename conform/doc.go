// Package conform runs a scenario file twice, in the simulator and on the
// machine's real kernel (real processes of a small C interpreter
// executing the same programs, package hostlinux), and compares what both
// can observe: the result of every labelled call, how every process ended
// (alive and in which cgroup, or dead, of which signal or exit status,
// reaped or a zombie) and the state of every cgroup at the end. The real
// outcome must be one the simulator reaches on some schedule; over
// several real runs, Coverage says which of the simulator's outcomes they
// reached and how often.
//
// Linux only, as package hostlinux it runs on: on other systems the package
// is empty, and simrun conform says it runs only on Linux.
package conform
