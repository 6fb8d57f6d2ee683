#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pool_test drives the pool through the test module's shmpool/pool/test:
# load shmpool_test.ko for it and unload it afterwards, as the kernel's
# test_hmm.sh does for hmm-tests.  Skipped where there is no test module.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
need_module
grep -q '^shmpool ' /proc/modules || reload
test_module_load
./pool_test
ret=$?
test_module_unload || fail "rmmod shmpool_test"
exit $ret
