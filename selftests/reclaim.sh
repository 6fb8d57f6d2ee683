#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Reclaim: the shrinker gives wholly free chunks back to the kernel, down to
# the pool's minimum, when the kernel asks (drop_caches) and under real
# memory pressure (stress-ng), and counts what it did.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
need_module

# A pool whose watermarks keep what it grows: only reclaim gives memory back.
reload pool_init_kb=4096 pool_min_kb=4096 pool_max_kb=196608 \
	pool_low_kb=0 pool_high_kb=196608
min=$(stat_of limit_min)

check_shrunk() {	# check_shrunk HOW SCANS_BEFORE RETURNED_BEFORE
	local frames scans reclaimed
	frames=$(stat_of frames)
	scans=$(stat_of reclaim_scans)
	reclaimed=$(stat_of reclaim_frames)
	[ "$frames" -ge "$min" ] || fail "$1: pool $frames below its minimum $min"
	[ "$frames" -lt $((min + 512)) ] || fail "$1: pool still $frames frames (min $min)"
	[ "$scans" -gt "$2" ] || fail "$1: no reclaim scan counted"
	[ "$reclaimed" -gt "$3" ] || fail "$1: no reclaimed frames counted"
	[ "$(stat_of frames_used)" = 0 ] || fail "$1: frames in use"
	echo "ok: $1: pool back to $frames frames (min $min), $scans scans, $reclaimed frames reclaimed"
}

# 1. drop_caches runs every shrinker.
grow_pool 48
[ "$(stat_of frames)" -ge $((48 * 512)) ] || fail "pool did not grow"
scans=$(stat_of reclaim_scans) reclaimed=$(stat_of reclaim_frames)
echo 2 > /proc/sys/vm/drop_caches
check_shrunk "drop_caches" "$scans" "$reclaimed"

# 2. Real pressure: anonymous memory that cannot be swapped, 48 MiB more
#    than the kernel has free, pushes it into reclaim, which asks the
#    shrinkers; the pool's free chunks are what lets it succeed.  One
#    pass over the memory (--vm-ops 1), however long it takes, not a
#    time: on a slow, busy debug kernel a fixed 15 s once ended before
#    the pass reached the memory that was not free.
command -v stress-ng >/dev/null || { echo "SKIP: no stress-ng"; exit $ksft_skip; }
grow_pool 48
scans=$(stat_of reclaim_scans) reclaimed=$(stat_of reclaim_frames)
free_kb=$(awk '/MemFree/ { print $2 }' /proc/meminfo)
stress-ng --vm 1 --vm-bytes $((free_kb + 49152))k --vm-keep --vm-populate \
	--vm-ops 1 --timeout 300s --temp-path /tmp --quiet >/dev/null 2>&1
check_shrunk "stress-ng --vm" "$scans" "$reclaimed"

reload
echo "PASS: the shrinker returned frames down to the minimum"
