#!/usr/bin/env bash
# make_subject_inputs.sh DIR: the inputs of the --subject CLI tests.
set -eu
d="$1"; mkdir -p "$d"
# A generic text program every subject kind runs (objects, pages, virtual, arenas).
printf '# every kind\nb0 = alloc 100\nb1 = alloc 300 align=256\nb2 = realloc b0 3000\nfree b1\nb3 = alloc 64\nwalk\n' > "$d/prog.kmfa"
# Generic binary input: any bytes decode for any subject (fixed bytes, not random).
printf '\x10\x41\x00\x22\x05\x13\x03\x00\x31\x40\x02\x17\x00\x0b\x90\x07\x26\x01\xc4\x00\x08\x55' > "$d/prog.bin"
# The same program and bytes without telling extensions.
cp "$d/prog.kmfa" "$d/generic-text.txt"
cp "$d/prog.kmfa" "$d/generic-text.bin"   # .bin: bytes, though they read as text
# A program that fails on mimalloc < 2.1 (upstream issue 700), buried in noise.
{
  echo "a0 = alloc 100"; echo "a1 = alloc 7"; echo "free a0"; echo "a2 = alloc 3000 align=64"
  echo "a3 = alloc 512 align=512"
  echo "a4 = alloc 33"; echo "free a4"; echo "free a1"
} > "$d/issue700.kmfa"
# Arena programs are not programs for other kinds.
printf 'arena_init size=8K align=16\nb0 = alloc 100\n' > "$d/arena.kmfa"
# A broken text program.
printf 'b0 = alloc 100\nfree b9\n' > "$d/unbound.kmfa"
# A kernel script, and the same without its extension.
printf 'machine mem=16M\nk0 = kmalloc 100 gfp=GFP_KERNEL\nkfree k0\n' > "$d/kernel.kmf"
cp "$d/kernel.kmf" "$d/kernel-script.txt"
