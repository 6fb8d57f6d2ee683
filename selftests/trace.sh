#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every event of the shmpool trace system fires, with its fields, when what
# it describes happens (the swap, purge, reclaim and compaction events are
# checked by swap.sh and compact.sh, where those happen).  A pool of 1 MiB
# that gives back above 2 MiB free grows for a populated segment and
# shrinks once it is gone; segment_test, which tries every refused access,
# supplies faults, segments and denials; the frame events, one per
# allocation, are traced alone over a small segment so that the ring
# buffer keeps them all.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
need_module
CTL=../tools/shmpoolctl/shmpoolctl
EVENTS=$TRACEFS/events/shmpool

reload pool_init_kb=1024 pool_min_kb=1024 pool_low_kb=0 pool_high_kb=2048
trace_start
echo 0 > $EVENTS/shmpool_alloc/enable
echo 0 > $EVENTS/shmpool_free/enable
$CTL create trace-selftest 8M --populate >/dev/null || fail "create 8M --populate"
$CTL unlink trace-selftest || fail "unlink"
settle
out=$(./segment_test 2>&1) ||
	{ grep -E 'not ok|Expected|FAIL|SKIP' <<< "$out"; fail "segment_test"; }
trace_expect \
	"shmpool_grow: pfn=0x[0-9a-f]+ order=[0-9]+ frames=[1-9][0-9]* charged=0" \
	"shmpool_shrink: pfn=0x[0-9a-f]+ order=[0-9]+ frames=[1-9][0-9]* charged=0" \
	"shmpool_seg_create: seg=[1-9][0-9]* size=8388608 uid=0 flags=0x[0-9a-f]+" \
	"shmpool_seg_destroy: seg=[1-9][0-9]* size=8388608 uid=0 flags=(0|0x[0-9a-f]+)" \
	"shmpool_fault: seg=[1-9][0-9]* index=[0-9]+ major=0 ns=[0-9]+" \
	"shmpool_denied: seg=[1-9][0-9]* op=mmap err=13 pid=[1-9][0-9]* uid=[0-9]+" \
	"shmpool_denied: seg=[1-9][0-9]* op=open err=2 pid=[1-9][0-9]* uid=[0-9]+" \
	"shmpool_denied: seg=[1-9][0-9]* op=restrict err=13 pid=[1-9][0-9]* uid=[0-9]+"

trace_start
for e in $EVENTS/*/enable; do
	echo 0 > "$e"
done
echo 1 > $EVENTS/shmpool_alloc/enable
echo 1 > $EVENTS/shmpool_free/enable
id=$($CTL create trace-selftest 64K --populate) || fail "create 64K --populate"
$CTL unlink trace-selftest || fail "unlink"
trace_expect \
	"shmpool_alloc: pfn=0x[0-9a-f]+ order=0 owner=$id cached=[01]" \
	"shmpool_free: pfn=0x[0-9a-f]+ order=0 owner=$id cached=[01]"
n=$(grep -c "shmpool_alloc: .* owner=$id " $TRACEFS/trace)
[ "$n" = 16 ] || fail "$n shmpool_alloc events for 16 frames"
n=$(grep -c "shmpool_free: .* owner=$id " $TRACEFS/trace)
[ "$n" = 16 ] || fail "$n shmpool_free events for 16 frames"
echo "ok: 16 frames, 16 shmpool_alloc and 16 shmpool_free events"
reload
