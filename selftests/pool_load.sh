#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Loading and unloading with the pool large and with it empty returns
# every frame: after unload the kernel's free memory is back where it was,
# within a slack of 4 MiB (slab caches move a little on their own).  Free
# memory counts the pages in the kernel allocator's per-CPU lists too
# (/proc/zoneinfo), where freed frames land first.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
need_module
SLACK_KB=4096

rmmod shmpool 2>/dev/null
before=$(memfree)

for size in 131072 0; do
	reload pool_init_kb=$size pool_min_kb=$size pool_max_kb=$((size + 4096)) \
		pool_low_kb=0 pool_high_kb=$((size + 4096))
	frames=$(stat_of frames)
	[ "$frames" = $((size / 4)) ] || fail "pool of $size KiB has $frames frames"
	loaded=$(memfree)
	[ $((before - loaded)) -ge $((size - SLACK_KB)) ] ||
		fail "$size KiB pool: MemFree fell only $((before - loaded)) KiB"
	unload || fail "rmmod with a $size KiB pool"
	expect_memfree_back "$before" $SLACK_KB "$size KiB pool: "
	echo "ok: $size KiB pool: MemFree $before -> $loaded -> $after KiB"
done

reload
echo "PASS: unloading returned every frame"
