#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload shmpool 20 times and check that each unload leaves no
# trace: no module, no device node, no misc or debugfs entry, and one
# "loaded"/"unloaded" pair in the kernel log per cycle and nothing else.
# Then rmmod races the last close of a segment, which must not unload the
# module under the segment's eviction.
# The module is loaded again at the end with the run's parameters, and
# on a failure too (pool_lib.sh).
#
# Loads SHMPOOL_KO (set by tools/vm/run) or else the installed module;
# exits 4 (skip) without either.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
CYCLES=20
RACES=8

need_module
read -r -a params <<< "${SHMPOOL_PARAMS:-}"

gone() {
	! grep -q '^shmpool ' /proc/modules || fail "cycle $1: module still listed"
	[ ! -e /dev/shmpool ] || fail "cycle $1: /dev/shmpool remains"
	[ ! -e /sys/kernel/debug/shmpool ] || fail "cycle $1: debugfs directory remains"
	! grep -qw shmpool /proc/misc || fail "cycle $1: misc minor remains"
}

if grep -q '^shmpool ' /proc/modules; then
	unload || fail "initial rmmod"
fi
gone 0
mark="shmpool-load-unload-$$"
echo "$mark" > /dev/kmsg

for i in $(seq 1 $CYCLES); do
	load_module "${params[@]}" || fail "cycle $i: load"
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

# rmmod racing the close of a segment's last fd.  fput() drops the file's
# module reference before the segment's inode is evicted, and evicting
# 64 MiB of frames takes a while: rmmod, tried over and over meanwhile,
# must wait for the eviction (the superblock holds the module), not run
# the module's exit under it.
ctl=../tools/shmpoolctl/shmpoolctl
for i in $(seq 1 $RACES); do
	load_module "${params[@]}" || fail "race $i: load"
	"$ctl" create race 64M --populate > /dev/null || fail "race $i: create"
	# The shell's fd 3 is the last reference once the name is gone.
	"$ctl" open race -- sh -c "'$ctl' unlink race && exec sleep 0.$i" &
	holder=$!
	tries=0
	until rmmod shmpool 2> /dev/null; do
		tries=$((tries + 1))
		[ "$tries" -lt 100000 ] || fail "race $i: rmmod never succeeded"
	done
	wait $holder || fail "race $i: the holder failed"
	gone "race $i"
done

reload
echo "PASS: $CYCLES load/unload cycles and $RACES rmmod races left no trace"
