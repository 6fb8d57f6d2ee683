#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# shmpoolctl: its JSON parses and agrees with debugfs, its tables have the
# documented columns, and misuse exits 2 with a message.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
ctl=../tools/shmpoolctl/shmpoolctl
[ -x $ctl ] || { echo "SKIP: $ctl not built"; exit $ksft_skip; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit $ksft_skip; }

$ctl version --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
assert v["abi"] == 1 and v["page_size"] == 4096 and v["max_order"] >= 9, v
' || fail "version --json"

frames=$(stat_of frames)
$ctl stats --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["frames"] == int(sys.argv[1]), (s["frames"], sys.argv[1])
assert s["frames"] == s["frames_free"] + s["frames_pcp"] + s["frames_used"], s
assert all("free_blocks_order%d" % o in s for o in range(10)), s
' "$frames" || fail "stats --json"

$ctl map --json | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert m, "empty map"
assert sum(e["frames"] for e in m) == int(sys.argv[1]), "extents do not add up"
assert all(e["state"] in ("free", "pcp", "used") for e in m), m
' "$frames" || fail "map --json"

$ctl map | head -n 1 | grep -q '^PFN *FRAMES STATE ORDER  OWNER$' || fail "map header"
$ctl stats | grep -q '^frames  *[0-9][0-9]*$' || fail "stats table"

$ctl frobnicate 2>/dev/null; [ $? = 2 ] || fail "unknown command does not exit 2"
$ctl stats --bogus 2>/dev/null; [ $? = 2 ] || fail "unknown option does not exit 2"
$ctl stats --help | grep -q '^Usage: shmpoolctl stats' || fail "stats --help"
echo "PASS: shmpoolctl version, stats and map"
