#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# No SIGBUS or ENOMEM while memory can still be had, under contention: the
# swap tests that race for frames (threads faulting a huge segment twice
# the pool, writers and faulters of a segment twice the pool, allocations
# after a swap-and-purge sequence) run ROUNDS times with CPU hogs inside
# the guest, as many as it has CPUs, preempting the faulting tasks and
# reclaim at random points.  Every failure the module gives back is
# counted by reason (debugfs stats, fail_REASON): none may be for want of
# a frame (fail_pool) or of room to commit a size (fail_commit).
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
need_module
POOL_KB=4096
# One round on the debug kernel (kmemleak marks it), whose KASAN makes
# each several times as long.
ROUNDS=2
[ -e /sys/kernel/debug/kmemleak ] && ROUNDS=1
ALL=/sys/kernel/debug/shmpool/stats

fail_count() { awk -v k="fail_$1" '$1 == k { print $2 }' "$ALL"; }

hogs=()
cleanup() {
	[ ${#hogs[@]} -gt 0 ] && kill "${hogs[@]}" 2>/dev/null
	wait 2>/dev/null
}
at_exit cleanup

reload pool_init_kb=1024 pool_min_kb=1024 pool_max_kb=$POOL_KB \
	pool_low_kb=0 pool_high_kb=$POOL_KB swap_max_kb=65536
pool0=$(fail_count pool)
commit0=$(fail_count commit)
[ -n "$pool0" ] && [ -n "$commit0" ] || fail "no fail_pool or fail_commit in $ALL"

for _ in $(seq "$(nproc)"); do
	( while :; do :; done ) &
	hogs+=($!)
done

for round in $(seq $ROUNDS); do
	./swap_test -t allocate_after_swap_and_purge \
		-t huge_segment_racing_threads -t concurrent_writes_and_faults ||
		fail "round $round: swap_test failed"
	pool=$(fail_count pool)
	commit=$(fail_count commit)
	[ "$pool" = "$pool0" ] ||
		fail "round $round: $((pool - pool0)) failures for want of a frame"
	[ "$commit" = "$commit0" ] ||
		fail "round $round: $((commit - commit0)) sizes refused with the pool free"
done
echo "ok: $ROUNDS rounds under $(nproc) CPU hogs, no failure for want of a frame"
cleanup
reload
