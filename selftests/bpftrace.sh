#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Each script in tools/bpftrace attaches to the shmpool tracepoints and
# prints what it is for while a workload runs: a segment four times a 4 MiB
# pool, written and read through a mapping round after round, so that it
# faults, allocates, swaps out and pages in.  Each script's output is
# printed (the examples in tools/bpftrace/examples come from it).  Skipped
# where bpftrace or the kernel's BPF is missing (the debug kernel).
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
need_module
command -v bpftrace >/dev/null || { echo "SKIP: no bpftrace"; exit $ksft_skip; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit $ksft_skip; }
bpftrace -e 'BEGIN { exit(); }' >/dev/null 2>&1 ||
	{ echo "SKIP: this kernel runs no BPF programs"; exit $ksft_skip; }
CTL=../tools/shmpoolctl/shmpoolctl
BT=../tools/bpftrace
SEG=bpftrace-selftest
bt=""

# stuck PID WHAT: print where PID, its children and their threads wait,
# then fail.  A hang ends the test here, with its reason, rather than at
# the runner's timeout with the module still held by what hung.
stuck() {
	local p t
	echo "# $2 has not finished; where it waits:"
	for p in "$1" $(pgrep -P "$1"); do
		for t in /proc/"$p"/task/*; do
			echo "# pid $p task ${t##*/} $(cut -d' ' -f2,3 "$t/stat" 2>/dev/null)"
			sed 's/^/#   /' "$t/stack" 2>/dev/null
		done
	done
	fail "$2 hung"
}

# finish PID WHAT: wait for PID, at most a minute.
finish() {
	local i
	for i in $(seq 600); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && stuck "$1" "$2"
	wait "$1"
}

cleanup() {
	[ -z "$bt" ] || kill -KILL "$bt" 2>/dev/null
	wait 2>/dev/null
	$CTL unlink $SEG 2>/dev/null
	rm -f /run/bpftrace-selftest.*
}
at_exit cleanup

# workload SECONDS: write, then read, every page of the segment, in rounds.
workload() {
	local pid
	$CTL open $SEG --write -- python3 -c '
import mmap, os, sys, time
size = os.fstat(3).st_size
m = mmap.mmap(3, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
end = time.monotonic() + float(sys.argv[1])
r = 0
while time.monotonic() < end:
    r += 1
    for off in range(0, size, mmap.PAGESIZE):
        m[off] = r & 0xff
    for off in range(0, size, mmap.PAGESIZE):
        if m[off] != r & 0xff:
            sys.exit("page %d lost round %d" % (off // mmap.PAGESIZE, r))
' "$1" &
	pid=$!
	finish $pid "the workload" || fail "the workload"
}

# trace NAME PATTERN...: run NAME.bt over the workload; its output must say
# it attached and match every extended regex PATTERN.
trace() {
	local name=$1 out=/run/bpftrace-selftest.$1 want
	shift
	bpftrace $BT/$name.bt > "$out" 2>&1 &
	bt=$!
	for _ in $(seq 600); do
		grep -q '^Attaching [0-9]* probe' "$out" && break
		kill -0 $bt 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^Attaching [0-9]* probe' "$out" || { cat "$out"; fail "$name.bt did not attach"; }
	workload 6
	kill -INT $bt
	finish $bt "$name.bt, after SIGINT,"
	bt=""
	echo "# $name.bt:"
	sed 's/^/# | /' "$out"
	for want in "$@"; do
		grep -Eq "$want" "$out" || fail "$name.bt printed no line like '$want'"
	done
	echo "ok: $name.bt attached and printed its data"
}

reload pool_init_kb=1024 pool_min_kb=1024 pool_max_kb=4096 \
	pool_low_kb=512 pool_high_kb=4096 swap_max_kb=65536
$CTL create $SEG 16M --overcommit >/dev/null || fail "create $SEG"

trace fault_latency '^@us\[python3, [0-9]+\]: ?$' '^\[[0-9]+, [0-9]+\) +[1-9][0-9]* \|' \
	'^@major\[python3, [0-9]+\]: [1-9][0-9]*$'
trace alloc_rate '^[0-9:]{8} +[1-9][0-9]* +[0-9]+ +[0-9]+ +[0-9]+ +[1-9][0-9]*$' \
	'^@by_cpu\[[0-9]+\]: [1-9][0-9]*$'
trace swap_timeline '^[0-9:]{8} +[1-9][0-9]* +[0-9]+ +[1-9][0-9]* +[0-9]+ +[1-9][0-9]* +[0-9]+ +[1-9][0-9]*$' \
	'^@in_us: ?$'
trace top_segments '^@faults_by_segment\[[0-9]+\]: [1-9][0-9]*$' \
	'^@faults_by_process\[[0-9]+, python3\]: [1-9][0-9]*$'
$CTL unlink $SEG || fail "unlink"
reload
