#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The pool's KUnit tests (module/shmpool_kunit.c): loading the module next
# to shmpool.ko runs them; their KTAP results are read back from debugfs
# before it is unloaded.  Skipped, with the reason, where the kernel has no
# KUnit (the Debian kernels); the debug kernel has it (make check-debug).
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh

[ -d /sys/kernel/debug/kunit ] || {
	echo "SKIP: this kernel has no KUnit (CONFIG_KUNIT); make check-debug runs it"
	exit $ksft_skip
}
need_module
# Built beside shmpool.ko, or installed with it (make install).
if [ -n "${SHMPOOL_KO:-}" ]; then
	ko=$(dirname "$SHMPOOL_KO")/shmpool_kunit.ko
	[ -r "$ko" ] || fail "$ko is missing: the module was built without CONFIG_KUNIT"
	load_kunit() { insmod "$ko"; }
else
	ko=shmpool_kunit
	modinfo $ko >/dev/null 2>&1 ||
		{ echo "SKIP: $ko is not installed (make install)"; exit $ksft_skip; }
	load_kunit() { modprobe $ko; }
fi
grep -q '^shmpool ' /proc/modules || reload

used=$(stat_of frames_used)
load_kunit || fail "loading $ko"
results=$(cat /sys/kernel/debug/kunit/shmpool_pool/results)
rmmod shmpool_kunit || fail "rmmod shmpool_kunit"
echo "$results" | sed 's/^/# /'

cases=$(grep -c 'KUNIT_CASE(' ../module/shmpool_kunit.c)
passed=$(echo "$results" | grep -cE '^[[:space:]]*ok [0-9]+ [a-z0-9_]+$')
echo "$results" | grep -q 'not ok' && fail "a KUnit case failed"
# The suite's own line counts as one more "ok".
[ "$passed" -eq $((cases + 1)) ] || fail "$passed ok lines for $cases cases"
[ "$(stat_of frames_used)" = "$used" ] || fail "frames_used $used -> $(stat_of frames_used)"
echo "PASS: $cases KUnit cases of shmpool_pool"
