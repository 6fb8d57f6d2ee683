#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# shmpoolctl: its JSON parses and agrees with debugfs, its tables have the
# documented columns, --output/--raw/--noheadings/--color do what they say,
# and misuse exits 2 with a message.  Names of every character a name may
# hold, 63 of them, come back whole and exact from every command that
# shows names, in JSON, in tables and in the map's legend and SVG.  Its segment
# commands create, describe, fill, read back, list, seal, resize and unlink
# a segment, whose frames then go back to the pool.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
ctl=../tools/shmpoolctl/shmpoolctl
[ -x $ctl ] || { echo "SKIP: $ctl not built"; exit $ksft_skip; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit $ksft_skip; }

abi=$(awk '$2 == "SHMPOOL_ABI_VERSION" { print $3 }' ../module/uapi/linux/shmpool.h)
$ctl version --json | python3 -c '
import json, sys
v = json.load(sys.stdin)["version"][0]
assert v["abi"] == int(sys.argv[1]) and v["page_size"] == 4096 and v["max_order"] >= 9, v
' "$abi" || fail "version --json"

frames=$(stat_of frames)
$ctl stats --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["stats"][0]
assert s["frames"] == int(sys.argv[1]), (s["frames"], sys.argv[1])
assert s["frames"] == s["frames_free"] + s["frames_pcp"] + s["frames_used"], s
assert all("free_blocks_order%d" % o in s for o in range(10)), s
' "$frames" || fail "stats --json"

$ctl map --json | python3 -c '
import json, sys
m = json.load(sys.stdin)["map"]
assert m, "empty map"
# Lent frames stay in the map but belong to the kernel: not in "frames".
assert sum(e["frames"] for e in m if e["state"] != "lent") == int(sys.argv[1]), "extents do not add up"
assert all(e["state"] in ("free", "pcp", "used", "lent") for e in m), m
assert all(e["use"] in ("-", "swappable", "purgeable", "pinned") for e in m), m
assert all(e["use"] == "-" for e in m if e["state"] != "used"), m
' "$frames" || fail "map --json"

$ctl map --list | grep -v '^#' | head -n 1 | grep -Eq '^PFN +FRAMES +STATE +ORDER +OWNER +USE$' ||
	fail "map --list header"
# --raw: one line a row, single spaces; the summary (# lines) only for a person.
$ctl map --raw | python3 -c '
import json, sys
rows = [l.split() for l in sys.stdin.read().splitlines()]
assert rows[0] == ["PFN", "FRAMES", "STATE", "ORDER", "OWNER", "USE"], rows[0]
assert rows[1:] and all(len(r) == 6 for r in rows[1:]), rows
assert sum(int(r[1]) for r in rows[1:] if r[2] != "lent") == int(sys.argv[1]), rows
' "$frames" || fail "map --raw"
$ctl stats --watch 0.1 --count 3 --json | python3 -c '
import json, sys
views = [json.loads(l)["stats"][0] for l in sys.stdin]
assert len(views) == 3 and all("frames" in v and "faults" in v for v in views), views
' || fail "stats --watch 0.1 --count 3 --json"
$ctl stats --watch 0.1 --count 0 >/dev/null 2>&1 && fail "stats --count 0 accepted"
$ctl stats --watch 0 >/dev/null 2>&1 && fail "stats --watch 0 accepted"
$ctl stats | grep -q '^frames  *[0-9][0-9]*$' || fail "stats table"
# --output picks, in its order, case-insensitively; --noheadings leaves values.
[ "$($ctl stats --output FRAMES,frames_used --noheadings | wc -l)" = 2 ] &&
	[ "$($ctl stats -o frames --noheadings)" = "$frames" ] || fail "stats --output --noheadings"
$ctl stats -o frames,frames_free --raw | python3 -c '
import sys
lines = sys.stdin.read().splitlines()
assert lines[0] == "frames frames_free" and lines[1].split()[0] == sys.argv[1], lines
' "$frames" || fail "stats --raw"
# An unknown column: exit 1, and the message names it.
$ctl stats --output frames,nosuch >/dev/null 2>/tmp/tool_sh_err; rc=$?
[ $rc = 1 ] && grep -q "unknown column 'nosuch'" /tmp/tool_sh_err || fail "stats --output nosuch: exit $rc"
$ctl list --output ID,BOGUS >/dev/null 2>/tmp/tool_sh_err; rc=$?
[ $rc = 1 ] && grep -q "unknown column 'BOGUS'" /tmp/tool_sh_err || fail "list --output BOGUS: exit $rc"
rm -f /tmp/tool_sh_err
# Colour: always even into a pipe, never, auto (not a terminal: none).
$ctl version --color=always | grep -q $'\e\[' || fail "version --color=always has no colour"
$ctl version --color | grep -q $'\e\[' || fail "version --color has no colour"
$ctl version --color=never | grep -q $'\e' && fail "version --color=never has colour"
$ctl version | grep -q $'\e' && fail "version coloured into a pipe"
$ctl map --color=always | grep -q $'\e\[' || fail "map --color=always has no colour"
NO_COLOR=1 $ctl map | grep -q $'\e' && fail "map coloured with NO_COLOR set"
$ctl version --color=sometimes >/dev/null 2>&1; [ $? = 2 ] || fail "--color=sometimes does not exit 2"

$ctl frobnicate 2>/dev/null; [ $? = 2 ] || fail "unknown command does not exit 2"
$ctl stats --bogus 2>/dev/null; [ $? = 2 ] || fail "unknown option does not exit 2"
$ctl stats --help | grep -q '^Usage: shmpoolctl stats' || fail "stats --help"

# Segments.  A persistent segment outlives each shmpoolctl run until it is
# unlinked; then its frames go back to the pool.
seg=tool_sh_seg
tmp=$(mktemp -d) || fail "mktemp"
at_exit '$ctl unlink $seg 2>/dev/null; rm -rf "$tmp"'
$ctl unlink $seg 2>/dev/null	# left over from an aborted run
used0=$(stat_of frames_used)

# info_ok EXPR: the Python expression EXPR holds for i, $seg's info --json.
info_ok() {
	$ctl info $seg --json | python3 -c '
import json, sys
i = json.load(sys.stdin)["segments"][0]
# libsmartcols before 2.41 prints an empty array as [null].
i["seals"] = [s for s in i["seals"] if s is not None]
assert eval("(" + sys.argv[1] + ")"), i
' "$1"
}
# fails_with ERRNO CMD...: CMD exits 1 and names ERRNO ("... (EPERM)").
fails_with() {
	local want=$1 rc
	shift
	"$@" 2>"$tmp/err" >/dev/null
	rc=$?
	[ $rc = 1 ] && grep -q "($want)\$" "$tmp/err" ||
		fail "$* exits $rc, not 1 with $want: $(cat "$tmp/err")"
}

id=$($ctl create $seg 64K --mode 0640) || fail "create $seg"
[[ $id =~ ^[0-9]+$ ]] || fail "create printed '$id', not an id"
info_ok "i['id'] == $id and i['name'] == '$seg' and i['size'] == 65536 and
	 i['resident'] == 0 and i['mode'] == '0640' and i['prot'] == 'rw' and
	 i['fd_prot'] == 'r' and i['seals'] == [] and i['cache'] == 'wb' and
	 i['uid'] == 0 and i['maps'] == 0 and i['persist'] is True and
	 i['offered_uid'] is None" || fail "info --json after create"
fails_with EEXIST $ctl create $seg 4K
$ctl create ${seg}2 1Q 2>/dev/null; [ $? = 2 ] || fail "create with a bad SIZE does not exit 2"
$ctl create --help | grep -q '^Usage: shmpoolctl create NAME SIZE' || fail "create --help"

# What write puts in, read gives back; writes never grow a segment.
head -c 65536 /dev/urandom > "$tmp/data"
$ctl write $seg < "$tmp/data" || fail "write"
$ctl read $seg > "$tmp/back" || fail "read"
cmp -s "$tmp/data" "$tmp/back" || fail "read does not give back what write wrote"
$ctl read $seg --offset 4K --length 100 | cmp -s - <(tail -c +4097 "$tmp/data" | head -c 100) ||
	fail "read --offset 4K --length 100"
{ cat "$tmp/data"; echo more; } > "$tmp/long"
fails_with ENOSPC $ctl write $seg < "$tmp/long"
info_ok "i['size'] == 65536 and i['resident'] == 16" ||
	fail "not 16 frames resident after writing 64 KiB"
[ "$(stat_of frames_used)" -ge $((used0 + 16)) ] || fail "frames_used did not grow by 16"

$ctl list | head -n 1 |
	grep -Eq '^ *ID +NAME +SIZE +RESIDENT +OWNER +GROUP +MODE +PROT +SEALS +CACHE +MAPS$' ||
	fail "list header"
$ctl list | awk -v id="$id" -v n=$seg '
	$1 == id && $2 == n && $3 == 65536 && $4 == 16 && $5 == "root" &&
	$7 == "0640" && $8 == "rw" && $9 == "-" && $10 == "wb" { ok = 1 }
	END { exit !ok }' || fail "list does not show $seg"
$ctl list --json | python3 -c '
import json, sys
l = [s for s in json.load(sys.stdin)["segments"] if s["name"] == sys.argv[1]]
assert len(l) == 1 and l[0]["size"] == 65536 and l[0]["resident"] == 16, l
' $seg || fail "list --json"

# F_SEAL_GROW refuses growing and allows shrinking, which frees frames.
$ctl seal $seg grow || fail "seal grow"
info_ok "i['seals'] == ['grow']" || fail "info does not show the grow seal"
$ctl seal $seg bogus 2>/dev/null; [ $? = 2 ] || fail "an unknown seal does not exit 2"
fails_with EPERM $ctl resize $seg 128K
$ctl resize $seg 32K || fail "resize to 32K"
info_ok "i['size'] == 32768 and i['resident'] == 8" || fail "not 32 KiB and 8 frames after resize"
$ctl read $seg | cmp -s - <(head -c 32768 "$tmp/data") || fail "contents after resize"

# open: plain tools on the segment through fd 3
echo "through dd" | $ctl open --write $seg -- sh -c 'dd bs=4K status=none >&3' ||
	fail "open --write with dd"
[ "$($ctl open $seg -- sh -c 'head -c 10 <&3')" = "through dd" ] ||
	fail "open with head does not read what dd wrote"
! $ctl open $seg -- sh -c 'echo no >&3' 2>/dev/null ||
	fail "a read-only open lets its command write"

$ctl unlink $seg || fail "unlink"
fails_with ENOENT $ctl info $seg
$ctl list | awk -v n=$seg '$2 == n { found = 1 } END { exit found }' ||
	fail "list still shows $seg"
# The last reference went with the unlink: the frames are back already.
[ "$(stat_of frames_used)" = "$used0" ] ||
	fail "frames_used $(stat_of frames_used) after unlink, not $used0"

# Overcommit and noswap show in info; swap shows the swap area's counters.
fails_with ENOMEM $ctl create ${seg}3 $(( $(stat_of limit_max) * 4 + 4 ))K
$ctl create ${seg}3 64K --overcommit --noswap >/dev/null || fail "create --overcommit --noswap"
$ctl info --json ${seg}3 | python3 -c '
import json, sys
i = json.load(sys.stdin)["segments"][0]
assert i["overcommit"] is True and i["noswap"] is True and i["swapped"] == 0, i
assert i["huge"] is False, i
' || fail "info --json after create --overcommit --noswap"
$ctl create ${seg}h 4M --huge >/dev/null || fail "create --huge"
$ctl info ${seg}h | grep -Eqx 'huge +yes' || fail "info: huge segment not huge"
fails_with EINVAL $ctl create ${seg}x 4M --huge --cache wc
$ctl unlink ${seg}h || fail "unlink ${seg}h"
$ctl write ${seg}3 < <(head -c 16K /dev/zero) || fail "write ${seg}3"
$ctl unpin ${seg}3 --offset 4K --length 8K || fail "unpin"
$ctl info --json ${seg}3 | python3 -c '
import json, sys
i = json.load(sys.stdin)["segments"][0]
assert i["purgeable"] == 2 and i["purged"] == 0, i
' || fail "info --json after unpin"
# The map tells the frames apart: a NOSWAP segment's are pinned but for
# the unpinned range's, which are purgeable; a plain segment's swappable.
$ctl create ${seg}4 16K >/dev/null || fail "create ${seg}4"
$ctl write ${seg}4 < <(head -c 16K /dev/zero) || fail "write ${seg}4"
seg_id() { $ctl info -o id --noheadings "$1"; }
# map_has ID USE N...: segment ID has N used frames of each USE given.
map_has() {
	$ctl map --json | python3 -c '
import json, sys
m = json.load(sys.stdin)["map"]
owner, want = int(sys.argv[1]), sys.argv[2:]
for use, n in zip(want[::2], want[1::2]):
    got = sum(e["frames"] for e in m if e["state"] == "used" and
              e["owner"] == owner and e["use"] == use)
    assert got == int(n), (owner, use, got, n, m)
' "$@"
}
map_has "$(seg_id ${seg}3)" pinned 2 purgeable 2 || fail "map: noswap segment with an unpinned range"
map_has "$(seg_id ${seg}4)" swappable 4 || fail "map: swappable segment"

# The picture, without colour (not a terminal): a-z swappable, A-Z
# pinned, ~ purgeable, a legend naming the segments; and the same as SVG.
pic=$($ctl map --svg /run/shmpool-map.svg) || fail "map --svg"
echo "$pic" | head -n 1 | grep -Eq '^[0-9]+ frames, one cell = 1 frame, in physical order$' ||
	fail "map: the picture's first line"
letter3=$(echo "$pic" | sed -n "s/^  \([a-z]\)  segment $(seg_id ${seg}3) (${seg}3)\$/\1/p")
letter4=$(echo "$pic" | sed -n "s/^  \([a-z]\)  segment $(seg_id ${seg}4) (${seg}4)\$/\1/p")
[ -n "$letter3" ] && [ -n "$letter4" ] || { echo "$pic"; fail "map: the legend does not name both segments"; }
cells() { echo "$pic" | grep '^ *[0-9]* [.,a-zA-Z~#iL*]*$' | cut -d' ' -f2- | tr -d ' \n' | tr -cd "$1" | wc -c; }
upper3=$(echo "$letter3" | tr a-z A-Z)
[ "$(cells "$upper3")" = 2 ] && [ "$(cells '~')" = 2 ] && [ "$(cells "$letter4")" = 4 ] ||
	{ echo "$pic"; fail "map: not 2 pinned, 2 purgeable and 4 swappable cells"; }
python3 -c '
import sys, xml.etree.ElementTree as ET
svg = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
# Cells of each colour: a rectangle is a run of cells 12 pixels wide.
cells = {}
for r in svg.findall(ns + "rect")[1:]:
    if r.get("stroke") == "white":
        cells[r.get("fill")] = cells.get(r.get("fill"), 0) + int(r.get("width")) // 12
assert cells.get("#ef6548") == 2 and cells.get("#fdd049") == 2 and cells.get("#74c476", 0) >= 4, cells
' /run/shmpool-map.svg || fail "map --svg: not the same picture"
rm -f /run/shmpool-map.svg

# top: the segments, largest first; JSON parses.
$ctl top --count 1 --json | python3 -c '
import json, sys
v = json.load(sys.stdin)["segments"]
res = [s["resident"] for s in v]
assert res == sorted(res, reverse=True), v
assert {"id", "name", "resident", "swapped", "faults", "faults_per_sec", "maps", "files", "uid"} <= set(v[0]), v
assert any(s["name"] == sys.argv[1] and s["resident"] == 4 for s in v), v
' "${seg}4" || fail "top --json"
$ctl top --count 2 --watch 0.1 --sort faults |
	grep -Eq '^ *ID +NAME +SIZE +RESIDENT +SWAPPED +FAULTS_PER_SEC +MAPS +FILES +UID$' ||
	fail "top table header"
$ctl top --sort nothing >/dev/null 2>&1 && fail "top --sort nothing accepted"
$ctl unlink ${seg}4 || fail "unlink ${seg}4"
[ "$($ctl pin ${seg}3)" = kept ] || fail "pin does not say kept"
map_has "$(seg_id ${seg}3)" pinned 4 purgeable 0 || fail "map: pinned again"
fails_with EINVAL $ctl unpin ${seg}3 --offset 1
$ctl unlink ${seg}3 || fail "unlink ${seg}3"
$ctl swap | grep -q '^swap_slots  *[0-9][0-9]*$' || fail "swap table"
$ctl swap --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["swap"][0]
assert s["swap_max_slots"] >= 0 and "reclaim_scanned" in s, s
' || fail "swap --json"
$ctl compact | grep -Eq '^result +(done|nothing-to-do)$' || fail "compact"
$ctl compact --json | python3 -c '
import json, sys
c = json.load(sys.stdin)["compact"][0]
assert c["result"] in ("done", "nothing-to-do") and c["frag_index_order9_before"] >= -1, c
' || fail "compact --json"
# Names.  A name is up to 63 printable ASCII characters but '/' (the uapi
# header's SHMPOOL_NAME_MAX and shmpool_seg_name_check()): '"' and '\'
# among them, which JSON must escape, '<' and '&', which SVG must.  Three
# names hold every such character between them; two are 63 long.
mapfile -t names < <(python3 -c '
chars = "".join(chr(c) for c in range(0x21, 0x7f) if chr(c) != "/")
assert len(chars) == 93
print(chars[:63])
print(chars[63:] + chars[:33])
print("q\"b\\s<&>x")
')
[ ${#names[0]} = 63 ] && [ ${#names[1]} = 63 ] || fail "the test's names are not 63 long"
unlink_names() { for n in "${names[@]}"; do $ctl unlink "$n" 2>/dev/null; done; }
unlink_names
at_exit unlink_names
# names_in WHAT: the JSON on stdin parses and holds each of the names exactly.
names_in() {
	python3 -c '
import json, sys
what, want = sys.argv[1], sys.argv[2:]
doc = json.load(sys.stdin)
got = [s["name"] for s in doc["segments"]]
for n in want:
    assert n in got, (what, n, got)
' "$@" "${names[@]}"
}
for n in "${names[@]}"; do
	$ctl create "$n" 8K --json | python3 -c '
import json, sys
c = json.load(sys.stdin)["segments"]
assert len(c) == 1 and c[0]["name"] == sys.argv[1] and c[0]["size"] == 8192, c
' "$n" || fail "create --json: name $n"
	$ctl info "$n" --json | python3 -c '
import json, sys
i = json.load(sys.stdin)["segments"]
assert len(i) == 1 and i[0]["name"] == sys.argv[1], (i, sys.argv[1])
' "$n" || fail "info --json: name $n"
	# Segments have frames, so that the map's legend names them.
	head -c 8192 /dev/zero | $ctl write "$n" || fail "write $n"
done
$ctl list --json | names_in "list --json" || fail "list --json: the names"
$ctl top --count 1 --json | names_in "top --json" || fail "top --json: the names"
$ctl top --count 2 --watch 0.1 --json | python3 -c '
import json, sys
views = [json.loads(l)["segments"] for l in sys.stdin]
assert len(views) == 2, views
for n in sys.argv[1:]:
    assert all(n in [s["name"] for s in v] for v in views), n
' "${names[@]}" || fail "top --watch --json: one view a line, the names in each"
# Tables: the whole name, in the default table and as the only column.
for n in "${names[@]}"; do
	$ctl list | grep -qF -- " $n " || fail "list: no whole '$n'"
	$ctl list -o name --noheadings | grep -qxF -- "$n" || fail "list -o name: no '$n'"
	$ctl top --count 1 | grep -qF -- " $n " || fail "top: no whole '$n'"
	$ctl top --count 1 -o NAME --noheadings | grep -qxF -- "$n" ||
		fail "top -o NAME: no '$n'"
	$ctl info "$n" | N=$n awk '$1 == "name" && $2 == ENVIRON["N"] { ok = 1 }
		END { exit !ok }' || fail "info: no 'name $n'"
done
# The map's legend and its SVG name them whole; the SVG parses.
$ctl map --svg "$tmp/names.svg" > "$tmp/pic" || fail "map --svg with the names"
for n in "${names[@]}"; do
	grep -qF -- "segment $($ctl info -o id --noheadings "$n") ($n)" "$tmp/pic" ||
		{ cat "$tmp/pic"; fail "map: the legend does not name '$n'"; }
done
python3 -c '
import sys, xml.etree.ElementTree as ET
svg = ET.parse(sys.argv[1]).getroot()
text = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
for n in sys.argv[2:]:
    assert any(t.endswith("(" + n + ")") for t in text), (n, text)
' "$tmp/names.svg" "${names[@]}" || fail "map --svg: the names"
unlink_names
echo "PASS: shmpoolctl version, stats, map, swap, compact, segments and names"
