// stat_test.cpp — perf kmem stat's numbers for a small trace, computed by hand.
#include "trace/stat.h"

#include <gtest/gtest.h>

#include "trace/tests/trace_lines.h"

namespace kmf::trace {
namespace {

using namespace testing;

constexpr std::uint64_t A = 0xffff888100001000, B = 0xffff888100002000, C = 0xffff888100003000,
                        Z = 0xffff888100009000;

// SLAB: requested 100 + 30 + 72 = 202, allocated 128 + 32 + 80 = 240,
// freed 128 (A) + 80 (C) = 208 (the free of Z is not in the trace's
// allocations, so perf does not count it), net 32, wasted 38,
// fragmentation 100 − 100 × 202/240 = 15.833333 %; A was allocated on CPU 0
// and freed on CPU 1, C allocated on 1 and freed on 0: 2 of 3 cross-CPU.
// Call sites: foo+0x10 160/80 130/65 hit 2 ping-pong 1, frag 100 − 100 × 130/160 = 18.75 %;
//             bar+0x20  80/80  72/72 hit 1 ping-pong 1, frag 10 %.
// Pages: allocations 4 K (order 0) + 16 K + 16 K = 36 K in 3 requests, one
// failure of order 3 (32 K); frees 16 K (0x20) + 8 K (0x99, never
// allocated) + 4 K (0x10, batched) = 28 K in 3; alloc+freed 0x10 and 0x20 =
// 2 (20 K); alloc-only 1 (16 K); free-only 1 (8 K).
// Per order: order 0 migratetype 0 once, order 2 migratetype 2 twice.
std::string hand_trace() {
  return kmalloc(0, A, 100, 128) + kmalloc(0, B, 30, 32) +
         kmalloc(1, C, 72, 80, "bar+0x20/0x80", "kmem_cache_alloc") + kfree(1, A) +
         kfree(0, C, "kmem_cache_free") + kfree(0, Z) + page_alloc(0x10, 0, 0) + page_alloc(0x20, 2, 2) +
         page_alloc(0x40, 2, 2) + head(0) +
         "mm_page_alloc: page=0000000000000000 pfn=0x0 order=3 migratetype=1 gfp_flags=GFP_KERNEL\n" +
         page_free(0x20, 2) + page_free(0x99, 1) + page_free(0x10, 0, "mm_page_free_batched");
}

TEST(Stat, slab_summary_numbers_match_the_hand_computation) {
  const Trace t = read_trace_text(hand_trace());
  const SlabSummary s = slab_summary(t, pair_events(t));
  EXPECT_EQ(s.requested, 202u);
  EXPECT_EQ(s.allocated, 240u);
  EXPECT_EQ(s.freed, 208u);
  EXPECT_EQ(s.nr_allocs, 3u);
  EXPECT_EQ(s.cross_cpu, 2u);
}

TEST(Stat, page_summary_numbers_match_the_hand_computation) {
  const Trace t = read_trace_text(hand_trace());
  const PageSummary s = page_summary(t, pair_events(t));
  EXPECT_EQ(s.nr_alloc, 3u);
  EXPECT_EQ(s.alloc_bytes, 36u * 1024);
  EXPECT_EQ(s.nr_free, 3u);
  EXPECT_EQ(s.free_bytes, 28u * 1024);
  EXPECT_EQ(s.nr_alloc_freed, 2u);
  EXPECT_EQ(s.alloc_freed_bytes, 20u * 1024);
  EXPECT_EQ(s.nr_fail, 1u);
  EXPECT_EQ(s.fail_bytes, 32u * 1024);
  EXPECT_EQ(s.by_order[0][0], 1u);
  EXPECT_EQ(s.by_order[2][2], 2u);
}

TEST(Stat, report_prints_perfs_blocks) {
  const Trace t = read_trace_text(hand_trace());
  const std::string o = format_stat(t, pair_events(t), 20);
  for (const char* want : {
           " foo+0x10                           |       160/80    |       130/65    |        2 |         1 | "
           "18.750%\n",
           " bar+0x20                           |        80/80    |        72/72    |        1 |         1 | "
           "10.000%\n",
           "SUMMARY (SLAB allocator)\n========================\n",
           "Total bytes requested: 202\n",
           "Total bytes allocated: 240\n",
           "Total bytes freed:     208\n",
           "Net total bytes allocated: 32\n",
           "Total bytes wasted on internal fragmentation: 38\n",
           "Internal fragmentation: 15.833333%\n",
           "Cross CPU allocations: 2/3\n",
           "SUMMARY (page allocator)\n========================\n",
           "Total allocation requests     :                3   [               36 KB ]\n",
           "Total free requests           :                3   [               28 KB ]\n",
           "Total alloc+freed requests    :                2   [               20 KB ]\n",
           "Total alloc-only requests     :                1   [               16 KB ]\n",
           "Total free-only requests      :                1   [                8 KB ]\n",
           "Total allocation failures     :                1   [               32 KB ]\n",
           "Order     Unmovable   Reclaimable       Movable      Reserved  CMA/Isolated\n",
           "    0             1             .             .             .             .\n",
           "    1             .             .             .             .             .\n",
           "    2             .             .             2             .             .\n",
       })
    EXPECT_NE(o.find(want), std::string::npos) << "missing: " << want << "\n--- report ---\n" << o;
  // The call-site table is sorted by bytes allocated.
  EXPECT_LT(o.find(" foo+0x10"), o.find(" bar+0x20"));
}

TEST(Stat, without_a_cpu_column_cross_cpu_is_unknown) {
  const Trace t = read_trace_text(
      "  perf  12     1.000000: kmem:kmalloc: call_site=ffffffff81000000 ptr=0xffff880000001000 bytes_req=8 "
      "bytes_alloc=8 gfp_flags=GFP_KERNEL\n");
  EXPECT_FALSE(t.cpu_known);
  EXPECT_NE(
      format_stat(t, pair_events(t), 20).find("Cross CPU allocations: unknown (the trace has no CPU column)"),
      std::string::npos);
}

}  // namespace
}  // namespace kmf::trace
