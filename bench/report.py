#!/usr/bin/env python3
"""report.py — the table of medians and ratios from kmf_bench's JSON output.

Usage: report.py BENCH.json [FUZZ_RATIO.tsv...]

Each FUZZ_RATIO.tsv is what `ci/fuzz-ratio.sh --out` wrote for one preset
(fuzz_kernel and the trivial libFuzzer target, same build, same session; ci/bench.sh
writes one for `fuzz` and one for `fuzz-fast`); without any the fuzzing ratio
of issue #19 prints as not measured.

Reads Google Benchmark's JSON (--benchmark_out_format=json, run with
repetitions and --benchmark_report_aggregates_only=true), takes the median of
every benchmark and prints Markdown: one table per group with the peers side
by side and the ratios, then the goals of issue #9 with met / missed.
Stdlib only.

Times are CPU time of the measured region: for the manually timed benchmarks
(names ending in /manual_time) the "real_time" field holds this thread's CPU
time of the timed part (see bench/cpu_clock.h); for the others, cpu_time.
"""
import json
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(path):
    with open(path) as f:
        data = json.load(f)
    med, cv, single = {}, {}, {}
    for b in data["benchmarks"]:
        if "error_occurred" in b and b["error_occurred"]:
            continue
        name = b["run_name"].removesuffix("/manual_time")
        manual = b["run_name"].endswith("/manual_time")
        t = (b["real_time"] if manual else b["cpu_time"]) * UNIT_NS[b.get("time_unit", "ns")]
        entry = dict(b)
        entry["ns"] = t
        if b.get("run_type") != "aggregate":
            single.setdefault(name, []).append(entry)
        elif b["aggregate_name"] == "median":
            med[name] = entry
        elif b["aggregate_name"] == "cv":
            cv[name] = b["real_time"] if manual else b["cpu_time"]  # a fraction, unitless
    # One repetition has no aggregates: its run stands for the median.
    for name, runs in single.items():
        if name not in med and len(runs) == 1:
            med[name] = runs[0]
    return data.get("context", {}), med, cv


def load_fuzz(path):
    """ci/fuzz-ratio.sh --out: `preset NAME`, `seconds N`, then `target runs exec/s peak_rss_mb` rows."""
    rows = {}
    with open(path) as f:
        for line in f:
            cells = line.rstrip("\n").split("\t")
            if cells[0] in ("preset", "seconds"):
                rows[cells[0]] = [cells[1]]
            elif len(cells) == 4:
                rows[cells[0]] = [int(cells[1] or 0), int(cells[2] or 0), cells[3] or "?"]
            else:
                sys.exit(f"report.py: {path}: a line that is not a ci/fuzz-ratio.sh row: {line!r}")
    if "fuzz_trivial" not in rows or "preset" not in rows or len(rows) != 4:
        sys.exit(f"report.py: {path}: not a ci/fuzz-ratio.sh --out file")
    return rows


def fmt_ns(ns):
    if ns is None:
        return "—"
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.1f} ns"


def fmt_ratio(a, b):
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


def fmt_bytes(n):
    if n is None or n < 0:
        return "—"
    for unit, div in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= div:
            return f"{n / div:.1f} {unit}"
    return f"{n:.0f} B"


class Report:
    def __init__(self, med, cv):
        self.med, self.cv = med, cv
        self.goals = []

    def per(self, name, counter):
        """Median time of `name` divided by its `counter` (pairs or ops), in ns."""
        b = self.med.get(name)
        if b is None:
            return None
        return b["ns"] / b[counter] if counter else b["ns"]

    def noise(self, *names):
        vals = [self.cv[n] for n in names if n in self.cv]
        return f"{100 * max(vals):.0f} %" if vals else "—"

    def goal(self, text, value, ok):
        self.goals.append((text, value, "—" if ok is None else ("met" if ok else "**missed**")))

    # ---- sections -------------------------------------------------------------------
    def page(self):
        print("### Page level: buddy (Kernel::alloc_pages/free_pages) vs naive bitmap first-fit baseline\n")
        print("| trace | unit | buddy | bitmap baseline | buddy / baseline | max CV |")
        print("|---|---|---:|---:|---:|---:|")
        for trace, unit, counter in (("order0_lifo", "per alloc+free pair", "pairs"),
                                     ("order0_fifo", "per alloc+free pair", "pairs"),
                                     ("order0_random", "per alloc+free pair", "pairs"),
                                     ("churn_occ50", "per op", "ops"), ("churn_occ90", "per op", "ops")):
            a, b = f"page/{trace}/buddy", f"page/{trace}/bitmap_baseline"
            x, y = self.per(a, counter), self.per(b, counter)
            print(f"| {trace} | {unit} | {fmt_ns(x)} | {fmt_ns(y)} | {fmt_ratio(x, y)} | {self.noise(a, b)} |")
        print()
        worst = [self.per(f"page/order0_{p}/buddy", "pairs") for p in ("lifo", "fifo", "random")]
        worst = None if None in worst else max(worst)
        self.goal("buddy order-0 alloc+free pair ≤ 40 ns (worst of LIFO/FIFO/random)", fmt_ns(worst),
                  None if worst is None else worst <= 40)

    def objects(self):
        print("### Object level: time per alloc+touch+free pair (4096 objects per trace)\n")
        print("| trace | kmf | kmf (slab_debug) | glibc | std pmr | boost pmr "
              "| kmf / glibc | kmf / std pmr | kmf / boost pmr | max CV |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for what in ("cache64", "kmalloc_mixed"):
            for pattern in ("lifo_batches", "fifo", "random_free", "sliding_window"):
                base = f"object/{what}_{pattern}/"
                names = [base + s for s in ("kmf", "kmf_debug", "glibc", "std_pmr", "boost_pmr")]
                v = [self.per(n, "pairs") for n in names]
                print(f"| {what} {pattern} | " + " | ".join(fmt_ns(x) for x in v) + " | "
                      + " | ".join(fmt_ratio(v[0], v[i]) for i in (2, 3, 4)) + f" | {self.noise(*names)} |")
        touch = self.per("object/touch/kmf_write", None)
        print(f"\nThe kmf columns include one Kernel::write of one byte per object "
              f"(object/touch/kmf_write alone: {fmt_ns(touch)}); the host allocators store one byte "
              f"through the pointer.\n")
        for pattern, label in (("lifo_batches", "LIFO"), ("random_free", "random free")):
            k = self.per(f"object/cache64_{pattern}/kmf", "pairs")
            g = self.per(f"object/cache64_{pattern}/glibc", "pairs")
            self.goal(f"kmem_cache 64 B {label} pair no slower than glibc's",
                      f"{fmt_ns(k)} vs {fmt_ns(g)} ({fmt_ratio(k, g)})",
                      None if k is None or g is None else k <= g)

    def vmalloc(self):
        print("### vmalloc + vfree pair, by live areas\n")
        print("| size | 0 live | 100 live | 15,000 live | 15,000 / 100 | max CV |")
        print("|---|---:|---:|---:|---:|---:|")
        for pages in (1, 64):
            names = [f"vmalloc/pages{pages}/live{n}" for n in (0, 100, 15000)]
            v = [self.per(n, None) for n in names]
            print(f"| {pages} page{'s' if pages > 1 else ''} | " + " | ".join(fmt_ns(x) for x in v)
                  + f" | {fmt_ratio(v[2], v[1])} | {self.noise(*names)} |")
        print()
        one = self.per("vmalloc/pages1/live0", None)
        self.goal("vmalloc 1-page pair ≤ 1 µs", fmt_ns(one), None if one is None else one <= 1000)
        a, b = self.per("vmalloc/pages1/live15000", None), self.per("vmalloc/pages1/live100", None)
        self.goal("vmalloc 1-page pair with 15,000 live areas ≤ 2× the pair with 100", fmt_ratio(a, b),
                  None if a is None or b is None else a <= 2 * b)

    def machine(self):
        print("### Machine boot and host memory\n")
        print("| machine | boot (CPU) | resident after boot | resident / simulated | maxrss delta (child) | CV |")
        print("|---|---:|---:|---:|---:|---:|")
        for m in ("16MiB_i386", "1GiB_i386", "64GiB_x86_64"):
            n = f"machine/boot/{m}"
            b = self.med.get(n)
            if b is None:
                print(f"| {m} | — | — | — | — | — |")
                continue
            print(f"| {m} | {fmt_ns(b['ns'])} | {fmt_bytes(b['resident_bytes'])} | {b['resident_pct']:.3f} % "
                  f"| {fmt_bytes(b['maxrss_delta'])} | {self.noise(n)} |")
        print()
        small = self.med.get("machine/boot/16MiB_i386")
        self.goal("boot 16 MiB ≤ 50 µs", fmt_ns(small["ns"] if small else None),
                  None if small is None else small["ns"] <= 50e3)
        big = self.med.get("machine/boot/64GiB_x86_64")
        if big:
            host = max(big["resident_bytes"], big["maxrss_delta"])
            pct = 100 * host / big["sim_bytes"]
            self.goal("boot 64 GiB ≤ 2 s", fmt_ns(big["ns"]), big["ns"] <= 2e9)
            self.goal("64 GiB host memory ≤ 1.5 % of simulated (larger of resident and maxrss delta)",
                      f"{fmt_bytes(host)} = {pct:.3f} %", pct <= 1.5)

    def checker(self):
        print("### Checker and fuzzing throughput\n")
        print("| run | ops/s | vs no checks | CV |")
        print("|---|---:|---:|---:|")
        base = self.med.get("checker/exec/none")
        for level, label in (("none", "no checks"), ("incremental", "incremental checks"),
                             ("full", "a full sweep per op")):
            n = f"checker/exec/{level}"
            b = self.med.get(n)
            r = b and base and b["ops_per_s"] / base["ops_per_s"]
            print(f"| executor, {label} | {b['ops_per_s']:,.0f} | {r:.1%} | {self.noise(n)} |"
                  if b else f"| executor, {label} | — | — | — |")
        f = self.med.get("checker/fuzz_kernel_proxy")
        if f:
            print(f"| fuzz_kernel in-process proxy (4096-byte inputs) | {f['inputs_per_s']:,.0f} inputs/s "
                  f"| | {self.noise('checker/fuzz_kernel_proxy')} |")
        print()
        inc = self.med.get("checker/exec/incremental")
        r = inc and base and inc["ops_per_s"] / base["ops_per_s"]
        self.goal("incremental checking keeps ≥ 20 % of unchecked speed", "—" if r is None else f"{r:.1%}",
                  None if r is None else r >= 0.2)

    def throughput(self, fuzzes):
        """Issue #19's two ratios: a checked op vs a buddy order-0 op (this run), fuzz_kernel vs the
        trivial libFuzzer target (ci/fuzz-ratio.sh, its own run)."""
        print("### Issue #19: checked programs vs the allocator and vs a trivial fuzz target\n")
        print("| figure | this run | reference | ratio | goal |")
        print("|---|---:|---:|---:|---|")
        # The reference: items/s of the buddy order-0 LIFO trace (an item is an alloc+free pair).
        bb = self.med.get("page/order0_lifo/buddy")
        buddy = bb.get("items_per_second") if bb else None
        for level, want in (("incremental", 10), ("none", 3)):
            b = self.med.get(f"checker/exec/{level}")
            ops = b["ops_per_s"] if b else None
            r = buddy / ops if buddy and ops else None
            print(f"| checker/exec/{level} ops/s vs page/order0_lifo/buddy items/s (alloc+free pairs) | "
                  f"{'—' if ops is None else f'{ops:,.0f}'} | {'—' if buddy is None else f'{buddy:,.0f}'} | "
                  f"{'—' if r is None else f'{r:.0f}× slower'} | within {want}× |")
            self.goal(f"checker/exec/{level} within {want}× of a buddy order-0 op (issue #19)",
                      "—" if r is None else f"{r:.0f}×", None if r is None else r <= want)
        for fuzz in fuzzes:
            target = next(k for k in fuzz if k not in ("fuzz_trivial", "preset", "seconds"))
            t, triv = fuzz[target], fuzz["fuzz_trivial"]
            pct = 100 * t[1] / triv[1] if triv[1] else None
            want = 4 if fuzz["preset"][0] == "fuzz-fast" else 1
            print(f"| {target} exec/s vs fuzz_trivial exec/s ({fuzz['preset'][0]} build, "
                  f"{fuzz['seconds'][0]} s each; peak RSS {t[2]} / {triv[2]} MB) | {t[1]:,} | {triv[1]:,} "
                  f"| {'—' if pct is None else f'{pct:.3f} %'} | ≥ {want} % |")
            self.goal(f"{target} ≥ {want} % of the trivial target's exec/s ({fuzz['preset'][0]}, issue #19)",
                      "—" if pct is None else f"{pct:.3f} %", None if pct is None else pct >= want)
        if not fuzzes:
            print("| fuzz_kernel exec/s vs fuzz_trivial exec/s | not measured (no clang, or "
                  "KMF_BENCH_FUZZ=0) | | | ≥ 1 % |")
        print()

    def print_goals(self):
        print("### Goals (issues #9 and #19)\n")
        print("| goal | this run | |")
        print("|---|---|---|")
        for text, value, verdict in self.goals:
            print(f"| {text} | {value} | {verdict} |")
        print()


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: report.py BENCH.json [FUZZ_RATIO.tsv...]")
    ctx, med, cv = load(sys.argv[1])
    fuzzes = [load_fuzz(path) for path in sys.argv[2:]]
    print(f"Run {ctx.get('date', '?')} on {ctx.get('host_name', '?')}: {ctx.get('num_cpus', '?')} CPUs "
          f"at {ctx.get('mhz_per_cpu', '?')} MHz, load average {ctx.get('load_avg', '?')}; "
          f"medians of the repetitions, CV = coefficient of variation across them.\n")
    r = Report(med, cv)
    r.page()
    r.objects()
    r.vmalloc()
    r.machine()
    r.checker()
    r.throughput(fuzzes)
    r.print_goals()


if __name__ == "__main__":
    main()
