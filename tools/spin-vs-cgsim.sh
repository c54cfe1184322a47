#!/bin/sh
# spin-vs-cgsim.sh: SPIN and cgsim on the same fork/kill question, side by
# side (docs/performance.md). For 1..MAXF forking tasks in one cgroup and a
# task writing its cgroup.kill, under kill=seq (kill_seq, 6.14+) and
# kill=atomic, both tools explore every interleaving (SPIN: pan -c0, which
# goes on past assertion failures; cgsim: keep-going, keyed by state as
# pan is: -key-by-state) and report the
# states, the wall time and the peak memory (max RSS).
#
# SPIN runs the project's reference abstraction (forkkill.pml, VARIANT 2 =
# kill_seq, 3 = atomic). cgsim runs the bundled fork-vs-kill scenario with
# N forkers four ways: as the scenario asks it (kill-gate on, no
# reduction), gated with symmetry reduction over the forkers, and without
# the gate, unreduced and with partial-order reduction (-reduce=por; the
# gate rules it out).
#
# Usage: tools/spin-vs-cgsim.sh [MAXF [TIMEOUT_SECONDS [MAX_MEMORY]]]
# (defaults 4, 60, 4GiB). A run that hits TIMEOUT is stopped with SIGINT
# and reported with ">" and the states it had reached; one that hits
# MAX_MEMORY is reported "mem".
set -eu
MAXF=${1:-4}
TIMEOUT=${2:-60}
MAXMEM=${3:-4GiB}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PML=${PML:-}
if [ -z "$PML" ]; then
	for p in "$ROOT/tools/forkkill.pml" /work/shared/reference/spin/forkkill.pml; do
		[ -f "$p" ] && PML=$p && break
	done
fi
command -v spin >/dev/null || { echo "spin not found (Debian package spin)" >&2; exit 2; }
[ -n "$PML" ] || { echo "forkkill.pml not found: set PML" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/simrun" ./cmd/simrun)

# scenario N GATE: the fork-vs-kill scenario with N forkers, with or
# without its kill-gate, exploring to the end.
scenario() {
	f=$WORK/fvk$1-$2.yaml
	{
		printf 'version: 1\nsummary: %s forkers against cgroup.kill\ncgroups:\n  - path: /test\ntasks:\n  - name: init\n    program: ignore-sigchld\n' "$1"
		i=0
		while [ $i -lt "$1" ]; do
			printf '  - name: forker%s\n    cgroup: /test\n    program:\n      - fork: {label: fork}\n      - pause\n' $i
			i=$((i + 1))
		done
		printf '  - name: writer\n    program:\n      - write: {file: /test/cgroup.kill, value: "1", label: kill}\n      - pause\n'
		printf 'expect:\n  violation: true\n  under:\n    - {kill: atomic, violation: false}\n  properties:\n    - empty-after-kill: {cgroup: /test, after: kill}\n'
		printf 'explore:\n  mode: exhaustive\n  keep-going: true\n'
		[ "$2" = gated ] && printf '  kill-gate: kill\n'
	} >"$f"
	echo "$f"
}

# measure CMD...: run with a timeout (SIGINT) under /usr/bin/time; prints
# "seconds maxrss_kib" on the last line of $WORK/time.
measure() {
	/usr/bin/time -f '%e %M' -o "$WORK/time" timeout -s INT "$TIMEOUT" "$@" >"$WORK/out" 2>"$WORK/err" || true
}

printf '%-7s %-2s | %-34s | %-34s | %-34s | %-34s | %-34s\n' kill F "SPIN (pan -c0, POR on)" "cgsim gated, no reduction" "cgsim gated, -reduce=symmetry" "cgsim ungated, no reduction" "cgsim ungated, -reduce=por"
printf '%-7s %-2s | %-34s | %-34s | %-34s | %-34s | %-34s\n' "" "" "states  s  MiB  errors" "states  s  MiB  verdict" "states  s  MiB  verdict" "states  s  MiB  verdict" "states  s  MiB  verdict"
for kill in seq atomic; do
	variant=2
	[ $kill = atomic ] && variant=3
	f=1
	while [ $f -le "$MAXF" ]; do
		# SPIN.
		(cd "$WORK" && spin -DVARIANT=$variant -DNF=$f -DNO=0 -a "$PML" >/dev/null &&
			gcc -O2 -DSAFETY -DMEMLIM=4096 -o pan pan.c 2>/dev/null)
		(cd "$WORK" && measure ./pan -c0 -n)
		sst=$(awk '/states, stored/ {print $1; exit}' "$WORK/out")
		serr=$(awk '/errors:/ {print $NF; exit}' "$WORK/out")
		set -- $(tail -1 "$WORK/time")
		spin_col=$(printf '%s %s %d %s' "${sst:-?}" "$1" $(($2 / 1024)) "${serr:-?}")
		cols=""
		for how in gated:none gated:symmetry ungated:none ungated:por; do
			gate=${how%%:*}
			red=${how#*:}
			y=$(scenario $f $gate)
			measure "$WORK/simrun" explore "$y" -kill=$kill -reduce=$red -key-by-state -max-memory "$MAXMEM" -q -o "$WORK/x.schedule"
			st=$(awk '/^explored/ {print $2; exit}' "$WORK/out")
			v=ok
			grep -q '^VIOLATION' "$WORK/out" && v=violation
			grep -q '^interrupted' "$WORK/out" && st=">$st" && v="timeout"
			grep -q 'cut by the bounds: memory' "$WORK/out" && v=mem
			grep -q '^reduction: none' "$WORK/out" && [ $red != none ] && v="$v(no $red)"
			set -- $(tail -1 "$WORK/time")
			cols="$cols | $(printf '%-34s' "$(printf '%s %s %d %s' "${st:-?}" "$1" $(($2 / 1024)) "$v")")"
		done
		printf '%-7s %-2s | %-34s%s\n' $kill $f "$spin_col" "$cols"
		f=$((f + 1))
	done
done
