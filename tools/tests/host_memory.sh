#!/usr/bin/env bash
# host_memory.sh KMEMFUZZ DIR: host memory follows what a program touches.
# `vmalloc 60G` on a 64 GiB x86_64 machine must pass in seconds under an
# address-space limit of 66 GiB (the machine's RAM is a 64 GiB
# MAP_NORESERVE reservation; everything else must fit in the 2 GiB left)
# with a peak resident size below 1 GiB; a write that would make 10 GiB
# resident stops at the --max-host-mem budget with exit 2; a limit too tight
# for the program is exit 2 with a message, never a kill.
set -u
k="$1"; d="$2"; mkdir -p "$d"
fail() { printf 'FAIL: %s\n' "$*"; exit 1; }
printf 'machine mem=64G profile=x86_64\nv = vmalloc 60G\nexpect v in vmalloc\nwrite v 0 1M 0x5a\ncheck v 0 1M 0x5a\nwrite v 64424505344 4096 0xa5\nvfree v\n' > "$d/vmalloc-60G.kmf"
printf 'machine mem=64G profile=x86_64\nv = vmalloc 60G\nwrite v 0 10G 0x11\n' > "$d/write-10G.kmf"
# On a terminal a long run shows progress on stderr: run it under a pty
# (script(1)) when there is one to be had, and look for it.
run60="'$k' run --stats --max-host-mem 1G '$d/vmalloc-60G.kmf'"
if command -v script >/dev/null; then
  raw=$( (ulimit -v $((66 * 1024 * 1024)); script -qec "$run60" /dev/null) 2>&1); code=$?
  grep -q 'op 1 of 6 \.\.\.' <<<"$raw" || fail "no progress line on a terminal: $raw"
  out=$(tr -d '\r' <<<"$raw" | sed 's/\x1b\[K//g; s/^kmemfuzz: [^ ]*: op [0-9]* of [0-9]* \.\.\.//')
else
  out=$( (ulimit -v $((66 * 1024 * 1024)); sh -c "$run60") 2>&1); code=$?
fi
printf '%s\n' "$out"
[ "$code" -eq 0 ] || fail "vmalloc 60G exited $code"
grep -q '^PASS .*vmalloc-60G.kmf (6 ops)$' <<<"$out" || fail "no PASS line"
mib=$(sed -n 's/.*peak host memory \([0-9]*\) MiB.*/\1/p' <<<"$out")
secs=$(sed -n 's/.*: \([0-9.]*\) s, peak host memory.*/\1/p' <<<"$out")
[ -n "$mib" ] && [ "$mib" -lt 1024 ] || fail "peak host memory ${mib:-?} MiB, want < 1024"
awk -v s="$secs" 'BEGIN { exit !(s < 60) }' || fail "took $secs s"
out=$("$k" run --max-host-mem 1G "$d/write-10G.kmf" 2>&1); code=$?
[ "$code" -eq 2 ] || fail "a 10 GiB write under a 1 GiB budget exited $code: $out"
grep -q 'write-10G.kmf:3:1: this op would take host memory above the budget of 1024 MiB' <<<"$out" || fail "$out"
out=$( (ulimit -v $((64 * 1024 * 1024 + 300 * 1024)); "$k" run "$d/vmalloc-60G.kmf") 2>&1); code=$?
[ "$code" -eq 2 ] || fail "a too-tight ulimit exited $code: $out"
grep -q 'out of host memory' <<<"$out" || fail "$out"
# Every frame of the machine handed out in 4 MiB blocks: stamps stay
# bounded over the whole program, not only per allocation.
{ echo "machine mem=64G profile=x86_64"
  for i in $(seq 1 15000); do echo "p$i = get_free_pages order=10"; done
  for i in $(seq 1 15000); do echo "free_pages p$i"; done; } > "$d/blocks-60G.kmf"
out=$("$k" run --stats --max-host-mem 1G "$d/blocks-60G.kmf" 2>&1); code=$?
[ "$code" -eq 0 ] || fail "15000 order-10 blocks exited $code: $out"
bmib=$(sed -n 's/.*peak host memory \([0-9]*\) MiB.*/\1/p' <<<"$out")
[ -n "$bmib" ] && [ "$bmib" -lt 1024 ] || fail "15000 blocks: peak host memory ${bmib:-?} MiB"
echo "ok: vmalloc 60G in $secs s, peak $mib MiB; 60 GiB of order-10 blocks, peak $bmib MiB"
