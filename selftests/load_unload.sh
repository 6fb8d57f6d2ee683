#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload shmpool 20 times and check that each unload leaves no
# trace: no module, no device node, no misc or debugfs entry, and one
# "loaded"/"unloaded" pair in the kernel log per cycle and nothing else.
# The module is loaded again at the end with the run's parameters.
#
# Needs SHMPOOL_KO (set by tools/vm/run); exits 4 (skip) without it.
set -u
ksft_skip=4
CYCLES=20

[ -n "${SHMPOOL_KO:-}" ] && [ -r "$SHMPOOL_KO" ] || {
	echo "SKIP: SHMPOOL_KO is not set (run inside tools/vm/run)"
	exit $ksft_skip
}
read -r -a params <<< "${SHMPOOL_PARAMS:-}"

fail() { echo "FAIL: $*"; exit 1; }

gone() {
	! grep -q '^shmpool ' /proc/modules || fail "cycle $1: module still listed"
	[ ! -e /dev/shmpool ] || fail "cycle $1: /dev/shmpool remains"
	[ ! -e /sys/kernel/debug/shmpool ] || fail "cycle $1: debugfs directory remains"
	! grep -qw shmpool /proc/misc || fail "cycle $1: misc minor remains"
}

if grep -q '^shmpool ' /proc/modules; then
	rmmod shmpool || fail "initial rmmod"
fi
gone 0
mark="shmpool-load-unload-$$"
echo "$mark" > /dev/kmsg

for i in $(seq 1 $CYCLES); do
	insmod "$SHMPOOL_KO" "${params[@]}" || fail "cycle $i: insmod"
	[ -c /dev/shmpool ] || fail "cycle $i: no /dev/shmpool"
	[ -d /sys/kernel/debug/shmpool ] || fail "cycle $i: no debugfs directory"
	rmmod shmpool || fail "cycle $i: rmmod"
	gone "$i"
done

log=$(dmesg | sed -n "/$mark/,\$p" | grep 'shmpool: ')
loads=$(grep -c 'shmpool: loaded' <<< "$log")
unloads=$(grep -c 'shmpool: unloaded' <<< "$log")
others=$(grep -v taint <<< "$log" | grep -vc 'shmpool: \(loaded\|unloaded\)')
[ "$loads" = $CYCLES ] || fail "$loads load messages, expected $CYCLES"
[ "$unloads" = $CYCLES ] || fail "$unloads unload messages, expected $CYCLES"
[ "$others" = 0 ] || fail "unexpected messages: $(grep -v 'shmpool: \(loaded\|unloaded\)' <<< "$log")"

insmod "$SHMPOOL_KO" "${params[@]}" || fail "final insmod"
echo "PASS: $CYCLES load/unload cycles left no trace"
