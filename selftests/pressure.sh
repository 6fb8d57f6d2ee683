#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pressure: segments filled through a mapping keep every byte while
# stress-ng drives the guest into reclaim (--vm, --mmap, --pageswap) and
# the pool's shrinker gives its free chunks back.  Each segment's SHA-256,
# taken through a fresh mapping, is checked again and again during the
# storm and once after it.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
need_module
command -v stress-ng >/dev/null || { echo "SKIP: no stress-ng"; exit $ksft_skip; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit $ksft_skip; }

ctl=../tools/shmpoolctl/shmpoolctl
[ -x $ctl ] || fail "build the tool first (make tool)"
# A pool that keeps what it grows: only the shrinker gives memory back.
reload pool_init_kb=4096 pool_min_kb=4096 pool_max_kb=196608 \
	pool_low_kb=0 pool_high_kb=196608
used=$(stat_of frames_used)
size=$((4 << 20))
segs=8

# map_sha NAME [fill]: the SHA-256 of segment NAME read through a shared
# mapping of fd 3; with "fill", random bytes are written through it first.
map_sha() {
	$ctl open ${2:+--write} "$1" -- python3 -c '
import hashlib, mmap, os, sys
m = mmap.mmap(3, '"$size"', mmap.MAP_SHARED,
              mmap.PROT_READ | (mmap.PROT_WRITE if len(sys.argv) > 1 else 0))
if len(sys.argv) > 1:
    m[:] = os.urandom(len(m))
print(hashlib.sha256(m).hexdigest())
' ${2:+fill}
}

cleanup() {
	local i
	for i in $(seq 0 $((segs - 1))); do
		$ctl unlink "pressure.$$.$i" >/dev/null 2>&1
	done
}
at_exit cleanup

declare -a sums
for i in $(seq 0 $((segs - 1))); do
	$ctl create "pressure.$$.$i" $size >/dev/null || fail "create segment $i"
	sums[i]=$(map_sha "pressure.$$.$i" fill) || fail "fill segment $i"
done
[ "$(stat_of frames_used)" -ge $((used + segs * size / 4096)) ] ||
	fail "the segments do not hold their frames"

# Free chunks for the shrinker to find, then the storm.
grow_pool 32
scans=$(stat_of reclaim_scans)
# The storm: stress-ng churning anonymous memory, mappings and MADV_PAGEOUT,
# and a hog holding 48 MiB more than is free (anonymous memory that cannot
# be swapped) so that reclaim, and with it the shrinkers, runs throughout.
# (stress-ng's own --vm silently does nothing when asked for more than the
# memory it considers available, so the hog is a plain python process.)
free_kb=$(awk '/MemFree/ { print $2 }' /proc/meminfo)
stress-ng --vm 1 --vm-bytes 64m --mmap 1 --mmap-bytes 32m --pageswap 1 \
	--timeout 20s --temp-path /tmp --quiet >/dev/null 2>&1 &
storm=$!
python3 -c '
import mmap, time
m = mmap.mmap(-1, '$((free_kb + 49152))' * 1024)
for i in range(0, len(m), 4096):
    m[i] = 1
time.sleep(15)
' &
hog=$!

rounds=0
while kill -0 $storm 2>/dev/null; do
	for i in $(seq 0 $((segs - 1))); do
		sum=$(map_sha "pressure.$$.$i") || fail "map segment $i under pressure"
		[ "$sum" = "${sums[i]}" ] || fail "segment $i changed under pressure"
	done
	rounds=$((rounds + 1))
done
wait $storm
wait $hog
for i in $(seq 0 $((segs - 1))); do
	[ "$(map_sha "pressure.$$.$i")" = "${sums[i]}" ] ||
		fail "segment $i changed after the pressure"
done
[ "$(stat_of reclaim_scans)" -gt "$scans" ] || fail "the shrinker never ran"
echo "ok: $segs segments of $size bytes intact over $rounds rounds of checks," \
	"$(($(stat_of reclaim_scans) - scans)) shrinker scans"

cleanup
[ "$(stat_of frames_used)" = "$used" ] || fail "frames_used $used -> $(stat_of frames_used)"
reload
echo "PASS: segment data survived memory pressure and reclaim"
