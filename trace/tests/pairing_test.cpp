// pairing_test.cpp — each trace-level finding, with its line numbers.
#include "trace/pairing.h"

#include <gtest/gtest.h>

#include "trace/tests/trace_lines.h"

namespace kmf::trace {
namespace {

using namespace testing;

constexpr std::uint64_t A = 0xffff888100001000, B = 0xffff888100002000, C = 0xffff888100003000;

TEST(Pairing, pairs_an_allocation_with_its_free_by_pointer) {
  const Trace t = read_trace_text(kmalloc(0, A, 100, 128) + kfree(0, A));
  const Pairing p = pair_events(t);
  EXPECT_EQ(p.partner[0], 1u);
  EXPECT_EQ(p.partner[1], 0u);
  EXPECT_TRUE(p.findings.empty());
}

TEST(Pairing, double_free_names_both_frees_and_the_allocation) {
  const Trace t = read_trace_text(kmalloc(0, A, 100, 128) + kfree(0, A) + kfree(1, A));
  const Pairing p = pair_events(t);
  ASSERT_EQ(p.of(FindingKind::double_free), 1u);
  EXPECT_EQ(p.findings[0].event, 2u);
  EXPECT_EQ(p.findings[0].other, 1u);
  EXPECT_NE(describe_findings(t, p, 10).find(
                "double free: 1\n  line 3: kfree ptr=0xffff888100001000 call_site=bar+0x8 "
                "(freed before at line 2, allocated at line 1)"),
            std::string::npos)
      << describe_findings(t, p, 10);
}

TEST(Pairing, unknown_frees_are_summarised_with_the_first_few) {
  std::string text;
  for (int i = 0; i < 7; ++i) text += kfree(0, B + 64 * i);
  text += kmalloc(0, A, 8, 8) + kfree(0, A);
  const Trace t = read_trace_text(text);
  const Pairing p = pair_events(t);
  EXPECT_EQ(p.of(FindingKind::unknown_free), 7u);
  EXPECT_EQ(p.of(FindingKind::double_free), 0u);
  const std::string d = describe_findings(t, p, 5);
  EXPECT_NE(d.find("free of a never-allocated address: 7 (allocated before the trace began"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("line 5: kfree ptr=0xffff888100002100"), std::string::npos) << d;
  EXPECT_EQ(d.find("line 6: kfree"), std::string::npos) << d;
  EXPECT_NE(d.find("… and 2 more"), std::string::npos) << d;
}

TEST(Pairing, page_free_with_another_order_than_the_allocation) {
  const Trace t = read_trace_text(page_alloc(0x100, 2) + page_free(0x100, 1));
  const Pairing p = pair_events(t);
  ASSERT_EQ(p.of(FindingKind::order_mismatch), 1u);
  EXPECT_NE(describe_findings(t, p, 10).find(
                "line 2: mm_page_free pfn=0x100 order=1 (allocated with order 2 at line 1)"),
            std::string::npos);
}

TEST(Pairing, batched_and_old_free_names_pair_by_pfn) {
  const Trace t =
      read_trace_text(page_alloc(0x10, 0) + page_alloc(0x11, 0) + page_alloc(0x12, 0) +
                      page_free(0x10, 0, "mm_page_free_batched") + page_free(0x11, 0, "mm_pagevec_free") +
                      page_free(0x12, 0, "mm_page_free_direct"));
  const Pairing p = pair_events(t);
  EXPECT_TRUE(p.findings.empty());
  EXPECT_EQ(p.partner[0], 3u);
  EXPECT_EQ(p.partner[2], 5u);
}

TEST(Pairing, still_allocated_at_the_end_in_allocation_order) {
  const Trace t = read_trace_text(kmalloc(0, C, 8, 8) + kmalloc(0, A, 64, 64) +
                                  vmap_alloc(0xffffc90000000000, 8192) + page_alloc(0x40, 3));
  const Pairing p = pair_events(t);
  ASSERT_EQ(p.of(FindingKind::still_allocated), 4u);
  const std::string d = describe_findings(t, p, 10);
  EXPECT_NE(d.find("still allocated at the end: 4\n  line 1: kmalloc ptr=0xffff888100003000 bytes_req=8 "
                   "bytes_alloc=8"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("line 3: alloc_vmap_area va_start=0xffffc90000000000 size=8192"), std::string::npos) << d;
  EXPECT_NE(d.find("line 4: mm_page_alloc pfn=0x40 order=3"), std::string::npos) << d;
}

TEST(Pairing, findings_show_a_perf_script_callchain_as_a_backtrace) {
  const Trace t = read_trace_text(
      "  sshd  1432 [000]  812.500020: kmem:kmalloc: call_site=ffffffff811d3b1d ptr=0xffff88003a5c4000 "
      "bytes_req=24 "
      "bytes_alloc=64 gfp_flags=GFP_KERNEL\n"
      "\tffffffff811d3b1d __kmalloc+0x10d ([kernel.kallsyms])\n"
      "\tffffffff815a1c27 sock_alloc_send_pskb+0x87 ([kernel.kallsyms])\n"
      "\n"
      "  sshd  1432 [000]  812.500040: sched:sched_switch: prev_comm=sshd\n"
      "\tffffffff81000001 schedule+0x1 ([kernel.kallsyms])\n");
  EXPECT_EQ(t.callchain_frames, 3u);
  ASSERT_EQ(t.callchains.size(), 1u);  // the sched_switch frame is not the kmalloc's
  const std::string d = describe_findings(t, pair_events(t), 10);
  EXPECT_NE(d.find("  line 1: kmalloc ptr=0xffff88003a5c4000 bytes_req=24 bytes_alloc=64 "
                   "call_site=0xffffffff811d3b1d\n"
                   "    backtrace:\n"
                   "      __kmalloc+0x10d ([kernel.kallsyms])\n"
                   "      sock_alloc_send_pskb+0x87 ([kernel.kallsyms])\n"),
            std::string::npos)
      << d;
}

TEST(Pairing, allocation_over_a_live_address_means_a_missing_free) {
  const Trace t = read_trace_text(kmalloc(0, A, 8, 8) + kmalloc(0, A, 16, 16) + kfree(0, A));
  const Pairing p = pair_events(t);
  ASSERT_EQ(p.of(FindingKind::alloc_over_live), 1u);
  EXPECT_EQ(p.partner[1], 2u);
  EXPECT_NE(
      describe_findings(t, p, 10).find("line 2: kmalloc ptr=0xffff888100001000 bytes_req=16 bytes_alloc=16 "
                                       "call_site=foo+0x10 (live since line 1, never freed)"),
      std::string::npos);
}

TEST(Pairing, vmap_areas_pair_by_start_and_a_second_free_is_a_double_free) {
  const std::uint64_t va = 0xffffc90000004000;
  const Trace t = read_trace_text(vmap_alloc(va, 12288) + vmap_free(va) + vmap_free(va));
  const Pairing p = pair_events(t);
  EXPECT_EQ(p.partner[0], 1u);
  EXPECT_EQ(p.of(FindingKind::double_free), 1u);
}

TEST(Pairing, frees_of_null_and_kmalloc_zero_are_no_findings) {
  const Trace t = read_trace_text(head(0) + "kfree: call_site=bar+0x8/0x20 ptr=          (null)\n" +
                                  kmalloc(0, 0x10, 0, 0) + kfree(0, 0x10));
  const Pairing p = pair_events(t);
  EXPECT_TRUE(p.findings.empty());
  EXPECT_EQ(p.null_frees, 2u);
  EXPECT_EQ(p.zero_size, 1u);
}

}  // namespace
}  // namespace kmf::trace
