#!/usr/bin/env python3
"""make_big_trace.py N OUT [SEED]: writes a generated ftrace-format kmem trace of N events.

For throughput measurements of `kmemfuzz trace import|replay` (the output is
large: never commit it). The workload keeps a bounded live set: kmalloc/kfree
of mixed sizes (60 %), one kmem_cache (15 %), order-0..3 pages (20 %) and vmap
areas (5 %), across 4 CPUs; every allocation is freed before the end except
what is still live when N is reached. Deterministic for a seed (printed).
"""
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
print(f"make_big_trace: {n} events, seed={seed}", file=sys.stderr)
rng = random.Random(seed)
CLASSES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192]
LIVE_MAX = 4000
live = {"slab": [], "cache": [], "page": [], "vmap": []}
next_ptr = 0xffff888100000000
next_pfn = 0x100000
next_va = 0xffffc90000000000
ts = 1000.0
with open(out, "w") as f:
    f.write("# tracer: nop\n#\n")
    for _ in range(n):
        ts += 0.000001
        cpu = rng.randrange(4)
        h = f"   kworker/{cpu}:1-{100 + cpu:<6} [{cpu:03d}] ..... {ts:.6f}: "
        r = rng.random()
        fam = "slab" if r < 0.60 else "cache" if r < 0.75 else "page" if r < 0.95 else "vmap"
        pool = live[fam]
        if pool and (len(pool) >= LIVE_MAX // 4 or rng.random() < 0.5):
            item = pool.pop(rng.randrange(len(pool)))
            if fam == "slab":
                f.write(h + f"kfree: call_site=skb_free_head+0x{rng.randrange(16) * 8:x}/0x90 ptr={item:016x}\n")
            elif fam == "cache":
                f.write(h + f"kmem_cache_free: call_site=__dentry_kill+0x13d/0x190 ptr={item:016x} name=dentry\n")
            elif fam == "page":
                pfn, order = item
                f.write(h + f"mm_page_free: page=00000000{pfn:08x} pfn=0x{pfn:x} order={order}\n")
            else:
                f.write(h + f"free_vmap_area_noflush: va_start=0x{item:x} nr_lazy=1 nr_lazy_max=32768\n")
            continue
        if fam == "slab":
            size = rng.choice(CLASSES)
            req = rng.randrange(size // 2 + 1, size + 1)
            next_ptr += 0x2000
            pool.append(next_ptr)
            f.write(h + f"kmalloc: call_site=__alloc_skb+0x{rng.randrange(16) * 8:x}/0x1d0 ptr={next_ptr:016x} "
                    f"bytes_req={req} bytes_alloc={size} gfp_flags=GFP_KERNEL node=-1 accounted=false\n")
        elif fam == "cache":
            next_ptr += 0x2000
            pool.append(next_ptr)
            f.write(h + f"kmem_cache_alloc: call_site=d_alloc+0x2e/0xa0 ptr={next_ptr:016x} bytes_req=192 "
                    f"bytes_alloc=192 gfp_flags=GFP_KERNEL node=-1 accounted=false\n")
        elif fam == "page":
            order = rng.choice([0, 0, 0, 0, 1, 2, 3])
            next_pfn += 8
            pool.append((next_pfn, order))
            f.write(h + f"mm_page_alloc: page=00000000{next_pfn:08x} pfn=0x{next_pfn:x} order={order} "
                    f"migratetype={rng.choice([0, 1, 2])} gfp_flags=GFP_KERNEL\n")
        else:
            pages = rng.randrange(1, 9)
            next_va += 0x20000
            pool.append(next_va)
            f.write(h + f"alloc_vmap_area: va_start: {next_va} size={(pages + 1) * 4096} align=1 "
                    f"vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0\n")
