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
# issue 17: silent traps.
printf 'machine mem=16M\nk = kmalloc 100\nwrite k 0 200 0x11\n' > "$d/write-past.kmf"
printf 'machine mem=16M\nk = kmalloc 100\nwrite k 300 2 0x11\n' > "$d/write-offset-past.kmf"
printf 'machine mem=16M\nk = kmalloc 100\ncheck k 64 65 0x00\n' > "$d/check-past.kmf"
printf 'machine mem=16M\np = get_free_pages order=1\nfree_pages p order=0\nk = kmalloc 100\nkfree k\nkfree k\nv = vmalloc 9000\nprint slabinfo\n' > "$d/leaky.kmf"
printf '\xef\xbb\xbfmachine mem=16M\n' > "$d/bom.kmf"
printf 'machine mem=16M\nc = kmem_cache_create name=big size=200000000\nexpect c null\nexpect report oversized\nprint buddyinfo\nexpect report oversized\n' > "$d/report-after-expect.kmf"
printf 'machine mem=16M\nk = kmalloc 100\nexpect k ok\nexpect report oversized\n' > "$d/report-none.kmf"
printf 'machine mem=16M\na = kmalloc 10\nb = vmalloc 5000\nk = kmalloc 100\nc = kmalloc 30\nexpect k ksize 64\n' > "$d/ksize-100.kmf"
printf 'machine mem=16M seed=3\nk = kmalloc 100\nkfree k\n' > "$d/exact-binary.kmf"
printf 'machine mem=16M\nv = vmalloc 8192\nexpect v in direct_map\n' > "$d/in-direct-map.kmf"
printf 'machine mem=16M\nk = kmalloc 100\nexpect k in vmalloc\n' > "$d/in-vmalloc.kmf"
# issue 17: the kernel's own names for the allocation calls.
cat > "$d/kernel-names.kmf" <<'KMF'
machine mem=16M profile=i386
k = kcalloc 10 10
check k 0 100 0x00
j = kmalloc_array 4294967296 4294967297
expect j null
m = kmalloc_array 3 20
expect m ksize 64
v = vmalloc_32 10000
u = vmalloc_user 5000
check u 0 5000 0x00
p = alloc_page
__free_pages p order=0
z = get_zeroed_page
check z 0 4096 0x00
free_page z
g = get_free_page
check g 0 4096 0x00
free_page g
q = __get_free_pages order=2 gfp=GFP_KERNEL
free_pages q order=2
w = __get_free_page gfp=GFP_ATOMIC
__free_page w
vfree v
vfree u
kfree k
kfree m
KMF
printf 'machine mem=6G profile=x86_64\nv = vmalloc_32 1M\nvfree v\n' > "$d/vmalloc32-x86_64.kmf"
printf 'machine mem=16M\np = alloc_page\n__free_pages p\n' > "$d/free-pages-no-order.kmf"
