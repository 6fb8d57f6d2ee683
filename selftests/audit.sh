#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debugfs views of processes and the isolation auditor.  Three
# segments, one NOSWAP, are mapped by three processes, one of them through
# a read-only fd: "mappings" must show each process's mapping (its pid,
# command, protections and resident pages), "stats" the faults they took
# and each user's share, "map" must be the memory map, and the auditor must
# find nothing.  On a kernel with fault injection the auditor must then
# find a frame planted under a wrong owner, exactly that, and nothing once
# it is healed.
set -u
cd "$(dirname "$0")" && . ./pool_lib.sh
need_module
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit $ksft_skip; }
CTL=../tools/shmpoolctl/shmpoolctl
D=/sys/kernel/debug/shmpool
AUDIT=$D/audit
pids=()

cleanup() {
	# The churner too, if a failure left it running: wait would hang.
	touch /run/audit-ready.stop
	echo heal > $AUDIT 2>/dev/null
	[ ${#pids[@]} = 0 ] || kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
	for s in audit-a audit-b; do
		$CTL unlink $s 2>/dev/null
	done
	rm -f /run/audit-ready.*
}
at_exit cleanup

# mapper NAME [--write]: map NAME through "shmpoolctl open" (fd 3), touch
# every page (writing with --write), say so, and wait to be killed.
mapper() {
	local name=$1 write=${2:-}
	rm -f /run/audit-ready.$name$write
	$CTL open "$name" $write -- python3 -c '
import mmap, os, sys, time
w = sys.argv[1] == "x--write"
size = os.fstat(3).st_size
m = mmap.mmap(3, size, mmap.MAP_SHARED,
              mmap.PROT_READ | (mmap.PROT_WRITE if w else 0))
for off in range(0, size, mmap.PAGESIZE):
    if w:
        m[off] = 0x5a
    else:
        m[off]
open(sys.argv[2], "w").close()
time.sleep(600)
' "x$write" "/run/audit-ready.$name$write" &
	pids+=($!)
}

wait_ready() {
	local f
	for f in "$@"; do
		for _ in $(seq 100); do
			[ -e "$f" ] && break
			sleep 0.1
		done
		[ -e "$f" ] || fail "a mapper did not start ($f)"
	done
}

audit() {
	echo run > $AUDIT || fail "echo run > audit"
	cat $AUDIT
}

findings() { audit | sed -n '1s/.* findings=\([0-9]*\).*/\1/p'; }

reload
$CTL create audit-a 64K >/dev/null || fail "create audit-a"
$CTL create audit-b 32K --noswap >/dev/null || fail "create audit-b"
mapper audit-a --write
mapper audit-a
mapper audit-b --write
wait_ready /run/audit-ready.audit-a--write /run/audit-ready.audit-a \
	/run/audit-ready.audit-b--write

# mappings: one line per mapping, its process and what it has resident.
lines=$(grep -c '^seg=' $D/mappings)
[ "$lines" = 3 ] || { cat $D/mappings; fail "$lines mappings listed, not 3"; }
for p in "${pids[@]}"; do
	grep -Eq "^seg=[0-9]+ pid=$p comm=python3 start=0x[0-9a-f]+ end=0x[0-9a-f]+ pgoff=0 prot=r[-w]-s max=r[-w]- resident=(16|8)$" $D/mappings ||
		{ cat $D/mappings; fail "mappings lacks a well-formed line"; }
done
grep -q 'prot=r--s max=r-- resident=16$' $D/mappings ||
	{ cat $D/mappings; fail "the read-only fd's mapping is not r--s, max r--"; }
echo "ok: mappings lists the 3 mappings with their processes"

# stats: everything, with the faults and the users.
for k in frames_free swap_slots faults faults_major faults_around segments cpu0_allocs cpu0_pcp_hits \
	 user0_segments user0_kb cpu0_pcp; do
	grep -q "^$k [0-9][0-9]*$" $D/stats || fail "stats has no '$k N' line"
done
[ "$(awk '$1 == "segments" {print $2}' $D/stats)" = 2 ] || fail "stats: segments is not 2"
[ "$(awk '$1 == "user0_kb" {print $2}' $D/stats)" = 96 ] || fail "stats: user0_kb is not 96"
cmp -s $D/map $D/pool/map || fail "map is not the memory map"
echo "ok: stats has the faults and the users; map is the memory map"

n=$(findings)
[ "$n" = 0 ] || { audit; fail "$n findings on a healthy system"; }
audit | head -n 1 | grep -Eq '^run=[0-9]+ segments=2 mappings=3 frames=[1-9][0-9]* findings=0$' ||
	{ audit; fail "the audit summary"; }
echo "ok: the auditor finds nothing: $(audit | head -n 1)"

# Fault injection's debugfs directory says the kernel has the hook.
planted=0
echo plant > $AUDIT 2>/dev/null && planted=1
[ -d /sys/kernel/debug/fail_page_alloc ] && [ $planted = 0 ] &&
	fail "plant refused on a kernel with fault injection"
if [ $planted = 1 ]; then
	report=$(audit)
	echo "$report" | grep -Eq '^kind=frame-owner seg=[0-9]+ index=0 state=used owner=2147483648$' ||
		{ echo "$report"; fail "the planted frame was not found"; }
	echo "$report" | grep -Eq '^kind=frames-owned seg=[0-9]+ pool=15 segment=16$' ||
		{ echo "$report"; fail "the planted frame's count was not found"; }
	echo "$report" | grep -Eq '^kind=orphan owner=2147483648 frames=1$' ||
		{ echo "$report"; fail "the planted frame's owner was not found an orphan"; }
	n=$(echo "$report" | sed -n '1s/.* findings=\([0-9]*\).*/\1/p')
	[ "$n" = 3 ] || { echo "$report"; fail "$n findings for one planted frame, not 3"; }
	echo heal > $AUDIT || fail "heal"
	n=$(findings)
	[ "$n" = 0 ] || { audit; fail "$n findings once healed"; }
	echo "ok: a frame planted under a wrong owner found (3 findings), none once healed"
else
	echo "# no 'plant' on this kernel (it needs CONFIG_FAULT_INJECTION)"
fi
echo bad > $AUDIT 2>/dev/null && fail "audit accepted 'bad'"

# Every view read over and over while segments come and go and the
# mappers' pages are touched: each read whole, every line well formed.
churn() {
	local i=0
	while [ ! -e /run/audit-ready.stop ]; do
		$CTL create audit-churn$((i % 4)) 64K --populate >/dev/null 2>&1
		$CTL unlink audit-churn$(((i + 2) % 4)) 2>/dev/null
		i=$((i + 1))
	done
	for i in 0 1 2 3; do
		$CTL unlink audit-churn$i 2>/dev/null
	done
}
# well_formed FILE REGEX: FILE reads, and every line of it matches.
well_formed() {
	local out bad
	out=$(cat "$1") || fail "$1 unreadable under load"
	bad=$(printf '%s\n' "$out" | grep -Ev "$2" | grep -v '^$' | head -n 1)
	[ -z "$bad" ] || fail "a malformed line of $1 under load: $bad"
}

rm -f /run/audit-ready.stop
churn &
churner=$!
reads=0
for _ in $(seq 30); do
	awk 'NF != 2 || $2 !~ /^-?[0-9]+(\.[0-9]+)?$/ { bad = 1; print } END { exit bad }' $D/stats ||
		fail "a malformed stats line under load"
	well_formed $D/map '^(# .*|pfn=(-|0x[0-9a-f]+-0x[0-9a-f]+) frames=[0-9]+ state=[a-z]+ order=[0-9]+ owner=[0-9]+ use=[-a-z]+)$'
	well_formed $D/segments '^id=[0-9]+ name=[^ ]+ size=[0-9]+ .* files=[0-9]+ faults=[0-9]+ ipcns=[0-9]+$'
	well_formed $D/mappings '^seg=[0-9]+ pid=[0-9]+ comm=[^ ]+ start=0x[0-9a-f]+ end=0x[0-9a-f]+ pgoff=[0-9]+ prot=[-r][-w][-x][sp] max=[-r][-w][-x] resident=[0-9]+$'
	echo run > $AUDIT || fail "audit under load"
	reads=$((reads + 1))
done
touch /run/audit-ready.stop
wait $churner
echo "ok: stats, map, segments, mappings and the auditor read $reads times under churn, every line well formed"
n=$(findings)
[ "$n" = 0 ] || { audit; fail "$n findings after the churn"; }
exit 0
