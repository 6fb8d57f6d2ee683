#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Compaction, with the module reloaded around an 8 MiB pool that can
# neither grow nor swap, so that only moving frames makes an order-9
# block (compact_test); then the run's own parameters again.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
need_module

reload pool_init_kb=8192 pool_min_kb=8192 pool_max_kb=8192 \
	pool_low_kb=0 pool_high_kb=8192 swap_max_kb=0
test_module_load
trace_start
./compact_test
ret=$?
trace_expect "shmpool_compact_move: seg=[0-9]+ index=[0-9]+ old_pfn=0x[0-9a-f]+ new_pfn=0x[0-9a-f]+ ns=[0-9]+" \
	"shmpool_compact: frag_before=[0-9]+ frag_after=-1000 moved=[1-9][0-9]* failed=0 ns=[0-9]+"
reload
exit $ret
