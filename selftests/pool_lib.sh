#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for the shell selftests; sourced, not run.
ksft_skip=4
STATS=/sys/kernel/debug/shmpool/pool/stats

fail() { echo "FAIL: $*"; exit 1; }
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$STATS"; }

# The module a script loads: the file SHMPOOL_KO names (tools/vm/run sets
# it to the module it built), or else the installed one, by modprobe.  Skip
# only when there is neither.
need_module() {
	if [ -n "${SHMPOOL_KO:-}" ]; then
		[ -r "$SHMPOOL_KO" ] || fail "SHMPOOL_KO=$SHMPOOL_KO is not readable"
	elif ! modinfo shmpool >/dev/null 2>&1; then
		echo "SKIP: no shmpool module: SHMPOOL_KO is not set and none is installed"
		exit $ksft_skip
	fi
}

# What a script must undo however it ends: passing, failing or
# interrupted.  at_exit CMD registers CMD; at exit the commands run, the
# last registered first, and then, if the module is not as the suite
# loaded it (reload with parameters, an unload or a load of its own), it
# is loaded again with the suite's parameters, SHMPOOL_PARAMS, so that
# the tests after this one find it as they expect.  Scripts register here
# rather than with a trap of their own, which would replace this one; a
# command must not exit (fail), which would end the script there.
exit_cmds=()
module_changed=
at_exit() { exit_cmds=("$*" "${exit_cmds[@]}"); }
run_at_exit() {
	local rc=$? cmd fd

	trap - EXIT
	# A file of the module the script still has open (grow_pool's fd 7,
	# when it is interrupted there) would keep the module, or the test
	# module, from unloading.
	for fd in /proc/$BASHPID/fd/*; do
		case $(readlink "$fd") in
		/dev/shmpool | /sys/kernel/debug/shmpool/*)
			fd=${fd##*/}
			exec {fd}>&-
			;;
		esac
	done
	for cmd in "${exit_cmds[@]}"; do
		eval "$cmd"
	done
	if [ -n "$module_changed" ]; then
		echo "# loading shmpool again with the suite's parameters"
		(reload) || rc=1
	fi
	exit $rc
}
trap run_at_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Load the module, with exactly the parameters given: SHMPOOL_KO by insmod
# or the installed module by modprobe (need_module).
load_module() {
	module_changed=1
	if [ -n "${SHMPOOL_KO:-}" ]; then
		insmod "$SHMPOOL_KO" "$@"
	else
		modprobe shmpool "$@"
	fi
}

# The pool's test module (shmpool/pool/test and pool/bench): the file
# SHMPOOL_TEST_KO names (tools/vm/run copies it beside shmpool.ko), or else
# the installed one, by modprobe.  A test that uses its files loads it
# (test_module_load, or grow_pool), which unloads it again at exit;
# unload below takes it out first, since it holds shmpool.
SHMPOOL_TEST_KO=${SHMPOOL_TEST_KO:-${SHMPOOL_KO:+$(dirname "$SHMPOOL_KO")/shmpool_test.ko}}

test_module_load() {
	grep -q '^shmpool_test ' /proc/modules && return 0
	if [ -r "${SHMPOOL_TEST_KO:-}" ]; then
		insmod "$SHMPOOL_TEST_KO" || fail "insmod $SHMPOOL_TEST_KO"
	elif [ -z "${SHMPOOL_KO:-}" ] && modinfo shmpool_test >/dev/null 2>&1; then
		modprobe shmpool_test || fail "modprobe shmpool_test"
	else
		echo "SKIP: no shmpool_test module beside SHMPOOL_KO or installed"
		exit $ksft_skip
	fi
	at_exit test_module_unload
}

test_module_unload() {
	! grep -q '^shmpool_test ' /proc/modules || rmmod shmpool_test
}

# rmmod, once the module's references are gone: the last segment's can
# outlive it by a jiffy when a kernel thread (reclaim's work) dropped the
# segment last, since the VFS then lets the segments' mount, which holds
# the module, go from a work item.  A reference that stays is still a
# failure: rmmod fails after the wait.
unload() {
	local i refcnt=/sys/module/shmpool/refcnt

	module_changed=1
	# First: while loaded, the test module holds a reference of its own.
	test_module_unload || return
	for i in $(seq 50); do
		[ "$(cat $refcnt 2>/dev/null)" != 0 ] || break
		sleep 0.02
	done
	rmmod shmpool
}

# Reload the module with the run's parameters followed by "$@"; without
# arguments, that puts it back as the suite loaded it.
reload() {
	local params
	read -r -a params <<< "${SHMPOOL_PARAMS:-}"
	if grep -q '^shmpool ' /proc/modules; then
		unload || fail "rmmod"
	fi
	load_module "${params[@]}" "$@" || fail "load with ${params[*]} $*"
	[ $# != 0 ] || module_changed=
}

# The kernel's free memory in KiB, counting the pages in the page
# allocator's per-CPU lists too (/proc/zoneinfo), where freed frames land
# first; page and slab caches dropped first so that they do not blur it.
memfree() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	awk '$1 == "nr_free_pages" { free += $2 } $1 == "count:" { free += $2 }
	     END { print free * 4 }' /proc/zoneinfo
}

# After an unload: free memory must be back within SLACK KiB of BEFORE,
# or the test fails saying WHAT.  Sets $after for the caller's report.
expect_memfree_back() {
	local before=$1 slack=$2 what=$3 diff
	after=$(memfree)
	diff=$((before - after))
	[ "${diff#-}" -le "$slack" ] ||
		fail "${what}MemFree $after KiB after unload, $before before"
}

# Trace shmpool's events from now on (into an emptied buffer).
TRACEFS=/sys/kernel/tracing

# The ring buffer is tiny until tracing is first used, and then grows by
# megabytes, for good: grow it now, before measuring free memory; to KB
# per CPU if given, for a long run whose early events are checked.
trace_expand() {
	local kb=${1:-}
	[ -n "$kb" ] ||
		kb=$(sed -n 's/.*expanded: \([0-9]*\).*/\1/p' $TRACEFS/buffer_size_kb)
	[ -z "$kb" ] || echo "$kb" > $TRACEFS/buffer_size_kb
}

# Start tracing the shmpool events named, or all of them: a long run
# should name the ones it checks, so that the busiest (every allocation
# and free) do not push them out of the ring buffer.
trace_start() {
	local e
	echo 0 > $TRACEFS/tracing_on
	echo > $TRACEFS/trace
	if [ $# = 0 ]; then
		echo 1 > $TRACEFS/events/shmpool/enable ||
			fail "cannot enable the shmpool events"
	fi
	for e in "$@"; do
		echo 1 > $TRACEFS/events/shmpool/$e/enable || fail "cannot enable $e"
	done
	echo 1 > $TRACEFS/tracing_on
}

# Stop tracing; fail unless each event named was seen with its fields,
# given as "event: regex of the fields".
trace_expect() {
	local want
	echo 0 > $TRACEFS/tracing_on
	echo 0 > $TRACEFS/events/shmpool/enable
	for want in "$@"; do
		grep -Eq " ${want}\$" $TRACEFS/trace || fail "no trace line '$want'"
	done
	echo "ok: trace events: ${*%%:*}"
}

# Grow the pool by allocating and freeing COUNT order-9 blocks, holding
# them all at once so that the pool must grow to hold them (through the
# test module, which this loads: the caller's EXIT trap unloads it).
grow_pool() {
	test_module_load
	exec 7<> /sys/kernel/debug/shmpool/pool/test
	echo "alloc 9 $1" >&7 || fail "alloc 9 $1"
	exec 7>&-
}

# Wait (up to 10 s) for the background balancing to settle.
settle() {
	local i prev=-1 cur
	for i in $(seq 1 50); do
		cur=$(stat_of frames)
		[ "$cur" = "$prev" ] && return 0
		prev=$cur
		sleep 0.2
	done
}
