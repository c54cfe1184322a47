#!/bin/sh
# Compile every cgsim kernel probe (docs/probes/*.c) into a temp dir and run
# them one after another. Each probe prints "FACT name: value" lines.
#
# Needs root and a cgroup v2 mount that has cgroup.kill (Linux >= 5.14).
# All cgroups are created under ONE new directory <cgroup2 mount>/cgsim-probe-<pid>
# (passed to the probes as $CGSIM_PROBE_PARENT). Each probe runs inside its
# own runner cgroup run-<probe> there, so every process it creates stays in
# our subtree; at the end the whole subtree is killed through its own
# cgroup.kill and removed leaves first. Nothing outside it is written.
set -u

die() { echo "run.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (cgroup.kill, clone(CLONE_NEWPID), setns)"
command -v gcc >/dev/null 2>&1 || die "gcc not found"

# cgroup2 mount point: field 5 of the mountinfo line whose fs type (after " - ") is cgroup2
MNT=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' \
	/proc/self/mountinfo | head -n 1)
[ -n "$MNT" ] || die "no cgroup2 mount in /proc/self/mountinfo"

PARENT="$MNT/cgsim-probe-$$"
mkdir "$PARENT" || die "cannot create $PARENT"
if [ ! -e "$PARENT/cgroup.kill" ]; then
	rmdir "$PARENT"
	die "cgroup2 at $MNT has no cgroup.kill (kernel older than 5.14?)"
fi

DIR=$(cd "$(dirname "$0")" && pwd)
BIN=$(mktemp -d /tmp/cgsim-probes.XXXXXX) || die "mktemp failed"

cleanup() {
	if [ -d "$PARENT" ]; then
		echo 1 > "$PARENT/cgroup.kill" 2>/dev/null
		i=0
		while grep -q '^populated 1' "$PARENT/cgroup.events" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		find "$PARENT" -depth -type d -exec rmdir {} \; 2>/dev/null
	fi
	rm -rf "$BIN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== kernel: $(uname -r); cgroup2 at $MNT; parent $PARENT"
fail=0
for src in "$DIR"/*.c; do
	name=$(basename "$src" .c)
	gcc -O1 -Wall -pthread -o "$BIN/$name" "$src" || { echo "run.sh: compile failed: $name" >&2; fail=1; }
done

for exe in "$BIN"/*; do
	[ -x "$exe" ] || continue
	name=$(basename "$exe")
	run="$PARENT/run-$name"
	mkdir "$run" || { fail=1; continue; }
	echo "== $name"
	# the subshell moves itself into run-<probe> ("0" = the writer), then becomes the probe
	( echo 0 > "$run/cgroup.procs" && CGSIM_PROBE_PARENT="$PARENT" exec "$exe" )
	rc=$?
	[ $rc -eq 0 ] || { echo "run.sh: $name exited with status $rc" >&2; fail=1; }
	# leftovers of this probe (there should be none)
	if grep -q '^populated 1' "$run/cgroup.events"; then
		echo "run.sh: $name left processes behind; killing them" >&2
		echo 1 > "$run/cgroup.kill"
		sleep 0.5
		fail=1
	fi
	rmdir "$run" 2>/dev/null || { echo "run.sh: cannot remove $run" >&2; fail=1; }
done

cleanup
trap - EXIT
left=$(ls -d "$MNT"/cgsim-probe-$$ 2>/dev/null)
procs=$(ps -eo pid=,args= | grep -F "$BIN/" | grep -v grep)
if [ -n "$left" ] || [ -n "$procs" ]; then
	echo "run.sh: LEFT BEHIND: cgroups [$left] processes [$procs]" >&2
	fail=1
else
	echo "== nothing left behind (no cgroup under $MNT/cgsim-probe-$$, no probe process)"
fi
exit $fail
