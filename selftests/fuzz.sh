#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzzing: trinity, as an unprivileged user, throws random ioctl, mmap,
# mprotect, mremap, madvise, munmap, read and write calls at /dev/shmpool
# (its only victim file) for a bounded number of calls; then seg_fuzz, as
# the same user, does the same to segment fds, which trinity cannot reach
# (they have no path).  Afterwards the
# pool's accounting must be where it was and the module must still work;
# the VM runner fails the run on any kernel splat or kmemleak report.
# SHMPOOL_FUZZ_CALLS sets the number of calls (default 3000; under TCG
# trinity manages about 30 a second, mostly waiting on its own children).
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
need_module
command -v trinity >/dev/null || { echo "SKIP: no trinity"; exit $ksft_skip; }

# Everyone may open the device: the fuzzer runs as nobody.
reload dev_mode=0666
used=$(stat_of frames_used)
calls=${SHMPOOL_FUZZ_CALLS:-3000}
work=$(mktemp -d)
chmod 777 "$work"

# A fixed seed makes a failure reproducible; every fd kind but the victim
# files is off, so the calls land on /dev/shmpool (and what it returns).
(cd "$work" && setpriv --reuid=65534 --regid=65534 --clear-groups \
	trinity -q -l off -s 20261124 -C 2 -N "$calls" -V /dev/shmpool \
	--disable-fds=sockets,pipes,perf,epoll,eventfd,pseudo,timerfd,testfile,memfd,drm \
	-c ioctl -c mmap -c mprotect -c mremap -c madvise -c munmap -c read -c write \
	> "$work/log" 2>&1)
rc=$?
tail -n 5 "$work/log" | sed 's/^/# trinity: /'
[ $rc = 0 ] || fail "trinity exited with $rc"
[ "$(stat_of frames_used)" = "$used" ] ||
	fail "frames_used $used -> $(stat_of frames_used) after trinity"

segcalls=${SHMPOOL_SEG_FUZZ_CALLS:-20000}
setpriv --reuid=65534 --regid=65534 --clear-groups ./seg_fuzz 20261124 "$segcalls" ||
	fail "seg_fuzz failed"
# A persistent segment whose mode denies its owner read cannot be unlinked
# by that owner (UNLINK needs what OPEN needs; see security.rst): root
# removes what the fuzzer left.
awk '/persist=1/ && / uid=65534 / { sub("name=", "", $2); print $2 }' \
	/sys/kernel/debug/shmpool/segments | while read -r name; do
	../tools/shmpoolctl/shmpoolctl unlink "$name" || fail "unlink $name"
done

[ "$(stat_of frames_used)" = "$used" ] ||
	fail "frames_used $used -> $(stat_of frames_used) after fuzzing"
# Still working: a segment, a frame, and back.
../tools/shmpoolctl/shmpoolctl create "fuzz.$$" 4096 >/dev/null || fail "create after fuzzing"
../tools/shmpoolctl/shmpoolctl unlink "fuzz.$$" || fail "unlink after fuzzing"
[ "$(stat_of frames_used)" = "$used" ] || fail "frames_used moved after the check"
rm -rf "$work"
reload
echo "PASS: $calls trinity calls on /dev/shmpool, $segcalls seg_fuzz calls on segments, as nobody"
