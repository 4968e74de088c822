#!/usr/bin/env bash
# make_inputs.sh DIR: writes the bad inputs the CLI tests feed the tool.
set -eu
d="$1"; mkdir -p "$d/adir"
: > "$d/empty.kmf"
head -c 4096 /dev/urandom > /dev/null  # (never used: garbage below is fixed bytes)
printf '\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe\x00\x01garbage\x00\x00' > "$d/garbage.kmf"
truncate -s 100M "$d/huge.kmf"
{ printf 'k0 = kmalloc 100 gfp=GFP_KERNEL '; head -c 1048576 /dev/zero | tr '\0' 'x'; printf '\n'; } > "$d/longline.kmf"
printf 'machine mem=16M\nk0 = kmalloc 100 gfp=GFP_KERNEL\nk1 = frobnicate 3\n' > "$d/unknown-op.kmf"
printf 'machine mem=16M\nkfree k9\n' > "$d/unbound.kmf"
printf 'machine mem=16M\nk0 = kmalloc 100\nk0 = kmalloc 200\n' > "$d/reused.kmf"
printf 'machine mem=16M\nk0 = kmalloc 18446744073709551616\n' > "$d/overflow.kmf"
printf 'machine mem=16M\na0 = alloc_pages order=-1 gfp=GFP_KERNEL\n' > "$d/negative-order.kmf"
printf 'machine mem=16M\nk0 = kmalloc 100\nkfree k0\nwrite k0 0 4 0x11\n' > "$d/freed-name.kmf"
# A 200-op script that passes until one wrong expectation near the end.
{
  echo "machine mem=32M profile=i386 kmalloc=2.6.18 seed=3"
  for i in $(seq 0 98); do echo "k$i = kmalloc $((i * 37 % 3000 + 1)) gfp=GFP_KERNEL"; done
  for i in $(seq 0 2 98); do echo "kfree k$i"; done
  for i in $(seq 0 48); do echo "p$i = get_free_pages order=$((i % 3)) gfp=GFP_KERNEL"; done
  echo "expect k51 ksize 4096"
} > "$d/long-failing.kmf"
# Binary input: any bytes decode to a valid program.
printf '\x13\x37\x00\xde\xad\xbe\xef\x01\x02\x03\x04\x05\x06\x07\x08\x09\xff\xf0\x80' > "$d/garbage-bytes.bin"
# A program that leaves things live: `kmemfuzz proc` shows them before teardown.
printf 'machine mem=160M profile=i386 kmalloc=2.6.18 seed=1\np = get_free_pages order=0 gfp=GFP_KERNEL\nk = kmalloc 100 gfp=GFP_KERNEL\nv = vmalloc 1000000\n' > "$d/live.kmf"
