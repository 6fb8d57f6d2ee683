#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Swapping, with the module reloaded around a pool of POOL_KB so that
# segments a few times larger must be swapped out and paged back in
# (swap_test), then unloaded: with every segment gone the swap area is
# empty, and unloading gives every page back - the kernel's free memory
# returns to where it was before the load, within pool_load.sh's slack.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
need_module_file
POOL_KB=4096
SLACK_KB=4096
# A debug kernel's stack depot (KASAN, page_owner) keeps every allocation
# stack it sees, and this run shows it new ones; kmemleak, which such a
# kernel has and the VM runner reads, is the leak check there.
[ -e /sys/kernel/debug/kmemleak ] && SLACK_KB=16384
SWAP=/sys/kernel/debug/shmpool/swap

rmmod shmpool 2>/dev/null
trace_expand
before=$(memfree)
reload pool_init_kb=1024 pool_min_kb=1024 pool_max_kb=$POOL_KB \
	pool_low_kb=0 pool_high_kb=$POOL_KB swap_max_kb=65536
trace_start
./swap_test
ret=$?
trace_expect "shmpool_swap_out: seg=[0-9]+ index=[0-9]+ slot=[1-9][0-9]* ns=[0-9]+" \
	"shmpool_swap_in: seg=[0-9]+ index=[0-9]+ slot=[1-9][0-9]* ns=[0-9]+" \
	"shmpool_purge: seg=[0-9]+ index=[0-9]+ swapped=[01]" \
	"shmpool_reclaim: want=32 freed=[0-9]+ scanned=[0-9]+ ns=[0-9]+"
slots=$(awk '$1 == "swap_slots" { print $2 }' $SWAP)
[ "$slots" = 0 ] || fail "$slots swap slots left after the tests"
rmmod shmpool || fail "rmmod after the swap tests"
expect_memfree_back "$before" $SLACK_KB ""
echo "ok: MemFree $before KiB before the load, $after KiB after the unload"

# Again with a swap file: the same tests, the pages going through the file.
file=/var/tmp/shmpool-selftest.swap
rm -f $file
reload pool_init_kb=1024 pool_min_kb=1024 pool_max_kb=$POOL_KB \
	pool_low_kb=0 pool_high_kb=$POOL_KB swap_max_kb=65536 swapfile=$file
[ "$(stat -c %a:%s $file)" = 600:0 ] || fail "the swap file is not a new empty 0600 file"
./swap_test
ret2=$?
written=$(stat -c %s $file)
[ "$written" -gt $((POOL_KB * 1024)) ] || fail "only $written bytes went to the swap file"
errors=$(awk '$1 == "swap_io_errors" { print $2 }' $SWAP)
[ "$errors" = 0 ] || fail "$errors swap file I/O errors"
rmmod shmpool || fail "rmmod with a swap file"
[ "$(stat -c %s $file)" = 0 ] || fail "the swap file was not emptied at unload"
echo "ok: $written bytes went through the swap file, emptied at unload"
head -c 8192 /dev/urandom > $file
insmod "$SHMPOOL_KO" swapfile=$file || fail "insmod with an existing swap file"
[ "$(stat -c %s $file)" = 0 ] || fail "an existing swap file was not emptied at load"
rmmod shmpool || fail "rmmod"
rm -f $file
# A swap file that is not a regular file refuses the load.
insmod "$SHMPOOL_KO" swapfile=/dev/null 2>/dev/null && fail "swapfile=/dev/null loaded"
echo "ok: swapfile=/dev/null refused"
reload
[ $ret = 0 ] && exit $ret2
exit $ret
