#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Swapping, with the module reloaded around a pool of POOL_KB so that
# segments a few times larger must be swapped out and paged back in
# (swap_test), three times: to the memory area, to a swap file, and to the
# memory area compressed with lz4 (the tests whose pages go through it).
# Then unloaded, with pages swapped out right up to it (a persistent
# segment's, unlinked last): the swap area and the swap file are empty, and
# the kernel's free memory returns to where it was before the load, within
# pool_load.sh's slack.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
need_module
POOL_KB=4096
SLACK_KB=4096
# A debug kernel's stack depot (KASAN, page_owner) keeps every allocation
# stack it sees, and this run shows it new ones; kmemleak, which such a
# kernel has and the VM runner reads, is the leak check there.
[ -e /sys/kernel/debug/kmemleak ] && SLACK_KB=16384
SWAP=/sys/kernel/debug/shmpool/swap

CTL=../tools/shmpoolctl/shmpoolctl
# A failure half-way must not leave a persistent segment holding the
# module for the scripts after this one.
cleanup() {
	local s
	for s in swap-selftest bg-selftest; do
		$CTL unlink $s 2>/dev/null
	done
}
at_exit cleanup

rmmod shmpool 2>/dev/null
trace_expand 8192
before=$(memfree)
reload pool_init_kb=1024 pool_min_kb=1024 pool_max_kb=$POOL_KB \
	pool_low_kb=0 pool_high_kb=$POOL_KB swap_max_kb=65536
trace_start shmpool_swap_out shmpool_swap_in shmpool_purge shmpool_reclaim \
	shmpool_fault shmpool_fail
./swap_test
ret=$?
# A failure says why the module refused: every refusal of the run (the
# tests that expect one make some too) and the counts by reason.  A
# SIGBUS with no refusal of op=fault among them (faults_sigbus counts
# only those) came from the kernel's insertion of the PFN instead.
if [ $ret != 0 ]; then
	echo "# swap_test failed; the module's refusals (shmpool_fail):"
	grep " shmpool_fail: " $TRACEFS/trace | tail -n 40 | sed 's/^/# /'
	grep -E "^(fail_|faults_sigbus )" /sys/kernel/debug/shmpool/stats | sed 's/^/# /'
	grep -E "^(frames|frames_free|frames_pcp|limit)" $STATS | sed 's/^/# /'
fi
trace_expect "shmpool_swap_out: seg=[0-9]+ index=[0-9]+ slot=[1-9][0-9]* ns=[0-9]+" \
	"shmpool_swap_in: seg=[0-9]+ index=[0-9]+ slot=[1-9][0-9]* ns=[0-9]+" \
	"shmpool_purge: seg=[0-9]+ index=[0-9]+ swapped=[01]" \
	"shmpool_reclaim: want=32 freed=[0-9]+ scanned=[0-9]+ ns=[0-9]+ background=0" \
	"shmpool_fault: seg=[0-9]+ index=[0-9]+ major=1 ns=[0-9]+"
swap_stat() { awk -v k="$1" '$1 == k { print $2 }' $SWAP; }
slots=$(swap_stat swap_slots)
[ "$slots" = 0 ] || fail "$slots swap slots left after the tests"

# A persistent segment four pools large, populated: most of it is swapped
# out, and stays so with nobody holding it but its name.
$CTL create swap-selftest $((4 * POOL_KB))K --overcommit --populate >/dev/null ||
	fail "populating a segment four pools large"
slots=$(swap_stat swap_slots)
[ "$slots" -ge $((POOL_KB / 2)) ] || fail "only $slots pages swapped out"
rmmod shmpool 2>/dev/null && fail "rmmod with a persistent segment"
$CTL unlink swap-selftest || fail "unlink"
[ "$(swap_stat swap_slots):$(swap_stat swap_bytes)" = 0:0 ] ||
	fail "the unlinked segment left $(swap_stat swap_slots) slots"
unload || fail "rmmod after the swap tests"
expect_memfree_back "$before" $SLACK_KB ""
echo "ok: $slots pages swapped out until the unload; MemFree $before KiB before the load, $after KiB after the unload"

# Background reclaim: the pool at pool_max_kb with less than pool_low_kb
# free has cold pages swapped out, without a fault asking, until the middle
# watermark (low + (high - low) / 2, at most half the pool) is free.
reload pool_init_kb=1024 pool_min_kb=1024 pool_max_kb=$POOL_KB \
	pool_low_kb=512 pool_high_kb=$POOL_KB swap_max_kb=65536
trace_start
page_kb=$(( $(getconf PAGESIZE) / 1024 ))
low=$(( 512 / page_kb ))
mid=$(( (512 + (POOL_KB - 512) / 2) / page_kb ))
half=$(( POOL_KB / 2 / page_kb ))
[ $mid -le $half ] || mid=$half
pool_free() { echo $(( $(stat_of frames_free) + $(stat_of frames_pcp) )); }

# Reclaim runs after the allocation that takes the pool below low.  On a
# slow kernel the populate's last allocations may follow the last run and
# leave the pool between low and the middle watermark, where nothing is
# due: so take frames of the pool's own, held while we wait, down to half
# of low.  Taking them is not one step: a run that the first of them
# starts may be over before the last (it preempts us on our own CPU), and
# those then leave the pool between low and the middle watermark again,
# rightly with nothing due.  Then the attempt proves nothing and starts
# over with the frames given back and a new segment: the old one has too
# few pages left in memory to make up for what we would take.
bg_attempt() {
	$CTL create bg-selftest $((2 * POOL_KB))K --overcommit --populate \
		>/dev/null || fail "populating a segment twice the pool"
	test_module_load
	exec 8<> /sys/kernel/debug/shmpool/pool/test
	take=$(( $(pool_free) - low / 2 ))
	if [ $take -gt 0 ]; then
		echo "alloc 0 $take" >&8 ||
			fail "taking $take frames below the low watermark"
	fi
	# Up to 30 s: the debug kernel swaps slowly.
	for _ in $(seq 300); do
		free=$(pool_free)
		[ "$free" -ge $mid ] && break
		sleep 0.1
	done
	runs=$(stat_of bg_reclaim_runs)
	exec 8>&-
	$CTL unlink bg-selftest || fail "unlink"
	[ "$free" -ge $mid ] && return 0
	[ "$free" -ge $low ] && return 1
	fail "$free frames free after background reclaim, not $mid"
}
for attempt in 1 2 3 4 5; do
	bg_attempt && break
	echo "# attempt $attempt: the last frames taken followed the run; again"
done
[ "$free" -ge $mid ] || fail "$free frames free after background reclaim, not $mid"
[ "$runs" -gt 0 ] || fail "no background reclaim run"
trace_expect "shmpool_reclaim: want=[0-9]+ freed=[0-9]+ scanned=[0-9]+ ns=[0-9]+ background=1"
echo "ok: background reclaim ($runs runs) left $free frames free, the middle watermark $mid"
# A segment closed while reclaim holds it is evicted by reclaim: its
# frames are still to be had by the faults and creates right after.
./swap_test -t closed_segment_frames_can_be_had
ret4=$?
unload || fail "rmmod after background reclaim"

# Again with a swap file: the same tests, the pages going through the file.
file=/var/tmp/shmpool-selftest.swap
rm -f $file
reload pool_init_kb=1024 pool_min_kb=1024 pool_max_kb=$POOL_KB \
	pool_low_kb=0 pool_high_kb=$POOL_KB swap_max_kb=65536 swapfile=$file
[ "$(stat -c %a:%s $file)" = 600:0 ] || fail "the swap file is not a new empty 0600 file"
# Not the tests of purging and of allocating after it, which do not
# depend on where pages go (and are the slowest on the debug kernel).
./swap_test -T purge_stops_at_a_seen_write_seal -T allocate_after_swap_and_purge
ret2=$?
written=$(stat -c %s $file)
[ "$written" -gt $((POOL_KB * 1024)) ] || fail "only $written bytes went to the swap file"
errors=$(awk '$1 == "swap_io_errors" { print $2 }' $SWAP)
[ "$errors" = 0 ] || fail "$errors swap file I/O errors"
unload || fail "rmmod with a swap file"
[ "$(stat -c %s $file)" = 0 ] || fail "the swap file was not emptied at unload"
echo "ok: $written bytes went through the swap file, emptied at unload"
head -c 8192 /dev/urandom > $file
load_module swapfile=$file || fail "insmod with an existing swap file"
[ "$(stat -c %s $file)" = 0 ] || fail "an existing swap file was not emptied at load"
unload || fail "rmmod"
rm -f $file
# A swap file that is not a regular file refuses the load.
load_module swapfile=/dev/null 2>/dev/null && fail "swapfile=/dev/null loaded"
echo "ok: swapfile=/dev/null refused"

# Again compressed: lz4, from the guest kernel's own modules when it has it
# as one.  The same tests, and the one that needs a compressor.
if [ -n "${SHMPOOL_KROOT:-}" ]; then
	modprobe -q -d "$SHMPOOL_KROOT" lz4 2>/dev/null
else
	modprobe -q lz4 2>/dev/null
fi
ret3=0
if grep -qx 'name *: lz4' /proc/crypto; then
	reload pool_init_kb=1024 pool_min_kb=1024 pool_max_kb=$POOL_KB \
		pool_low_kb=0 pool_high_kb=$POOL_KB swap_max_kb=65536 swap_compressor=lz4
	# The tests whose pages go through the area; the others do not
	# depend on how it stores them.
	./swap_test -t four_times_the_pool -t concurrent_writes_and_faults \
		-t truncate_drops_slots -t compressed_area_is_smaller \
		-t incompressible_pages
	ret3=$?
	n=$(swap_stat swap_compressions)
	[ "$n" -gt $((POOL_KB / 4)) ] || fail "only $n pages compressed"
	unload || fail "rmmod with a compressor"
	echo "ok: $n pages compressed with lz4"
	load_module swap_compressor=no-such-alg 2>/dev/null &&
		fail "swap_compressor=no-such-alg loaded"
	load_module swap_compressor=lz4 swapfile=$file 2>/dev/null &&
		fail "swap_compressor with a swapfile loaded"
	rm -f $file
	echo "ok: an unknown compressor and a compressor with a swap file refused"
else
	echo "SKIP: this kernel has no lz4 compressor: no compressed round"
fi
reload
for r in $ret $ret2 $ret3 $ret4; do
	[ "$r" = 0 ] || exit "$r"
done
exit 0
