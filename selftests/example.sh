#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/examples/share, the worked example Documentation/userspace-api.rst
# includes, does what the page says: it exits 0, prints each step (a
# segment created and written, a read-only fd passed, the message read,
# mmap and mprotect refused with EACCES) and leaves nothing behind: no
# segment, no frame in use.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
share=../tools/examples/share
[ -x $share ] || { echo "SKIP: $share not built (make examples)"; exit $ksft_skip; }
[ -c /dev/shmpool ] || { echo "SKIP: /dev/shmpool missing"; exit $ksft_skip; }

segments() { awk '$1 == "segments" { print $2 }' /sys/kernel/debug/shmpool/stats; }
segs=$(segments)
used=$(stat_of frames_used)

out=$($share 2>&1) || fail "share exited $?: $out"
echo "$out"
# The lines in this order: the parent prints before it sends the fd, the
# child only once it has it, and the parent last after waiting for it.
diff -u - <(sed 's/segment [0-9]*,/segment N,/' <<< "$out") <<'EOF' ||
parent: created segment N, 4096 bytes
parent: wrote "hello from the writer"
parent: sending the child a read-only fd
child: read "hello from the writer"
child: mmap(PROT_WRITE) refused: Permission denied
child: mprotect(PROT_WRITE) refused: Permission denied
parent: done, the segment is gone with its last fd
EOF
	fail "share's output is not the one documented"

[ "$(segments)" = "$segs" ] || fail "segments $segs -> $(segments)"
[ "$(stat_of frames_used)" = "$used" ] ||
	fail "frames_used $used -> $(stat_of frames_used)"
echo "ok: the example ran as documented and left the pool as it was"
