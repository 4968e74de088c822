// replay_test.cpp — traces converted to programs and replayed on the checked
// model: clean replays pass, the trace's own misuse is judged as misuse, and a
// planted allocator bug makes the replay name the invariant and the trace line.
#include "trace/replay.h"

#include <gtest/gtest.h>

#include "ops/binary_codec.h"
#include "ops/kmf_text.h"
#include "trace/tests/trace_lines.h"

namespace kmf::trace {
namespace {

using namespace testing;

Conversion convert_text(const std::string& text, const Trace** keep = nullptr) {
  static Trace t;
  t = read_trace_text(text, "t.txt");
  if (keep) *keep = &t;
  const Pairing p = pair_events(t);
  return convert(t, p, auto_machine(t, p));
}

/// A workload of every family: 12 pages live at once, slab churn, a cache, vmalloc.
std::string workload() {
  std::string s;
  for (int i = 0; i < 12; ++i) s += page_alloc(0x1000 + 8 * i, i % 3);
  for (int i = 0; i < 20; ++i) s += kmalloc(i % 2, 0xffff888100000000 + 0x400 * i, 100 + 37 * i, 512);
  s += kmalloc(0, 0xffff888200000000, 72, 80, "alloc_inode+0x20/0x80", "kmem_cache_alloc");
  s += vmap_alloc(0xffffc90000000000, 3 * 4096);
  for (int i = 0; i < 20; i += 2) s += kfree(1, 0xffff888100000000 + 0x400 * i);
  for (int i = 0; i < 12; ++i) s += page_free(0x1000 + 8 * i, i % 3);
  s += vmap_free(0xffffc90000000000);
  s += head(0) + "kmem_cache_free: call_site=destroy_inode+0x3/0x9 ptr=ffff888200000000 name=inode_cache\n";
  return s;
}

TEST(Convert, maps_every_family_to_ops_with_their_trace_lines) {
  const Trace* t = nullptr;
  const Conversion c = convert_text(workload(), &t);
  // 12 + 20 + 1 cache create + 1 object + 1 vmalloc + 10 kfree + 12 free_pages + vfree + cache free.
  EXPECT_EQ(c.program.ops.size(), 12u + 20 + 2 + 1 + 10 + 12 + 1 + 1);
  EXPECT_EQ(c.op_line.size(), c.program.ops.size());
  EXPECT_EQ(c.op_line[0], 1u);
  const std::string kmf = print_kmf(c.program);
  EXPECT_NE(kmf.find("a0 = alloc_pages order=0 gfp=GFP_KERNEL\n"), std::string::npos) << kmf;
  EXPECT_NE(kmf.find("k12 = kmalloc 100 gfp=GFP_KERNEL\n"), std::string::npos) << kmf;
  // Canonical names carry the slot number. The cache is named from the kmem_cache_free's name= field, learned
  // through the pairing.
  EXPECT_NE(kmf.find("c32 = kmem_cache_create name=inode_cache size=72 align=8\n"), std::string::npos) << kmf;
  EXPECT_NE(kmf.find("v34 = vmalloc 8K\n"), std::string::npos) << kmf;  // the guard page is the model's
  EXPECT_NE(kmf.find("kmem_cache_free c32 o33\n"), std::string::npos) << kmf;
  // The .kmf text reads back to the same program, and it has a binary (seed) form.
  const ParseResult back = parse_kmf(conversion_to_kmf(c, *t));
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back.program(), c.program);
  std::size_t dropped = 99;
  const auto bytes = encode_program(c.program, {}, &dropped);
  EXPECT_EQ(dropped, 0u);
  EXPECT_FALSE(bytes.empty());
}

TEST(Replay, a_clean_workload_passes_with_buddyinfo_along_the_way) {
  const Conversion c = convert_text(workload());
  ReplayOptions opt;
  opt.every = 10;
  const ReplayResult r = replay(c, opt);
  ASSERT_TRUE(r.exec.ok()) << format_violation(*r.exec.violation);
  EXPECT_EQ(r.snapshots.size(), c.program.ops.size() / 10);
  EXPECT_NE(r.snapshots[0].find("after op 10 (trace line 10):\nNode 0, zone      DMA"), std::string::npos)
      << r.snapshots[0];
  EXPECT_NE(r.final_buddyinfo.find("Node 0, zone"), std::string::npos);
  EXPECT_NE(format_replay(c, r, "t.txt").find("PASS t.txt: 59 ops replayed, no invariant broken"),
            std::string::npos);
}

TEST(Replay, a_planted_buddy_bug_is_named_with_the_trace_line) {
  // BuddyAllocator's hand_out_twice: every 8th allocation returns the
  // previous block again, so two live page allocations share frames.
  std::string text;
  for (int i = 0; i < 10; ++i) text += page_alloc(0x2000 + i, 0);
  const Conversion c = convert_text(text);
  ReplayOptions clean;
  EXPECT_TRUE(replay(c, clean).exec.ok());
  ReplayOptions bugged;
  bugged.after_boot = [](Kernel& k) {
    k.buddy_for_testing().plant_bug_for_testing(BuddyAllocator::BugForTesting::hand_out_twice);
  };
  const ReplayResult r = replay(c, bugged);
  ASSERT_FALSE(r.exec.ok());
  const Violation& v = *r.exec.violation;
  EXPECT_EQ(v.id, Inv::NO_OVERLAP) << format_violation(v);
  EXPECT_EQ(line_of_op(c, v.op_index), v.op_index + 1);  // one op per line here
  const std::string report = format_replay(c, r, "t.txt");
  EXPECT_NE(report.find("VIOLATION NO-OVERLAP replaying trace line " + std::to_string(v.op_index + 1)),
            std::string::npos)
      << report;
}

TEST(Replay, a_planted_gfp_zero_bug_is_found_through_a_traced_gfp_flag) {
  // Kernel's ignore_gfp_zero: __GFP_ZERO memory is not zeroed. The trace frees
  // an object and allocates the same size again with __GFP_ZERO: the object is
  // reused with the first one's payload still in it.
  const std::uint64_t A = 0xffff888100001000;
  const std::string text = kmalloc(0, A, 100, 128) + kfree(0, A) + head(0) +
                           "kmalloc: call_site=x+0x1/0x2 ptr=ffff888100001000 bytes_req=100 bytes_alloc=128 "
                           "gfp_flags=GFP_KERNEL|__GFP_ZERO node=-1 accounted=false\n";
  const Conversion c = convert_text(text);
  EXPECT_TRUE(replay(c).exec.ok());
  ReplayOptions bugged;
  bugged.after_boot = [](Kernel& k) { k.plant_bug_for_testing(Kernel::BugForTesting::ignore_gfp_zero); };
  const ReplayResult r = replay(c, bugged);
  ASSERT_FALSE(r.exec.ok());
  EXPECT_EQ(r.exec.violation->id, Inv::ZERO) << format_violation(*r.exec.violation);
  EXPECT_EQ(line_of_op(c, r.exec.violation->op_index), 3u);
}

TEST(Replay, the_traces_double_free_and_wrong_order_are_misuse_the_model_reports) {
  std::string text = kmalloc(0, 0xffff888100001000, 64, 64) + kfree(0, 0xffff888100001000) +
                     kfree(0, 0xffff888100001000) + page_alloc(0x300, 2) + page_free(0x300, 1);
  const Conversion c = convert_text(text);
  const std::string kmf = print_kmf(c.program);
  EXPECT_NE(kmf.find("kfree k0\nkfree k0\n"), std::string::npos) << kmf;
  EXPECT_NE(kmf.find("free_pages a1 order=1\n"), std::string::npos) << kmf;
  ExecOptions opt;
  opt.trace = true;
  const ExecResult r = execute(c.program, opt);
  ASSERT_TRUE(r.ok()) << format_violation(*r.violation);
  EXPECT_NE(r.trace[2].find("double_free"), std::string::npos) << r.trace[2];
  EXPECT_NE(r.trace[4].find("bad_order"), std::string::npos) << r.trace[4];
  // The replay report lists them by trace line.
  const ReplayResult rr = replay(c);
  ASSERT_TRUE(rr.exec.ok());
  const std::string report = format_replay(c, rr, "t.txt");
  EXPECT_NE(report.find("the model reported 2 thing(s) while replaying (the trace's own misuse, or a limit "
                        "of the model):\n  trace line 3: double_free: "),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("\n  trace line 5: bad_order: "), std::string::npos) << report;
}

TEST(Convert, an_unnamed_object_joins_the_named_cache_of_its_sizes) {
  // The first object's free names its cache (Linux 5.12+); the second is never
  // freed, so only its sizes say which cache it came from.
  const std::string text = kmalloc(0, 0xffff888100001000, 192, 192, "d_alloc+0x2e/0xa0", "kmem_cache_alloc") +
                           kmalloc(0, 0xffff888100002000, 192, 192, "d_alloc+0x2e/0xa0", "kmem_cache_alloc") +
                           head(0) +
                           "kmem_cache_free: call_site=x+0x1/0x2 ptr=ffff888100001000 name=dentry\n";
  const Conversion c = convert_text(text);
  EXPECT_EQ(print_kmf(c.program).substr(print_kmf(c.program).find('\n') + 1),
            "c0 = kmem_cache_create name=dentry size=192 align=8\n"
            "o1 = kmem_cache_alloc c0 gfp=GFP_KERNEL\n"
            "o2 = kmem_cache_alloc c0 gfp=GFP_KERNEL\n"
            "kmem_cache_free c0 o1\n");
}

TEST(Convert, a_seed_holds_the_first_ops_a_binary_input_can) {
  // At most 100 objects live at once: a binary slot field (one byte) picks
  // among up to 256 live candidates, so every op has a binary form.
  std::string text;
  for (int i = 0; i < 2200; ++i) {
    text += kmalloc(0, 0xffff888100000000 + 0x100 * i, 17 + i % 300, 512);
    if (i >= 100) text += kfree(0, 0xffff888100000000 + 0x100 * (i - 100));
  }
  const Conversion c = convert_text(text);
  ASSERT_EQ(c.program.ops.size(), 4300u);
  std::size_t kept = 0, dropped = 99;
  const std::vector<std::uint8_t> seed = conversion_to_seed(c, &kept, &dropped);
  EXPECT_EQ(kept, MAX_DECODED_OPS);
  EXPECT_EQ(dropped, 0u);
  const Program back = decode_program(seed, codec_options_for_target("fuzz_kernel"));
  ASSERT_EQ(back.ops.size(), MAX_DECODED_OPS);
  for (std::size_t i = 0; i < back.ops.size(); ++i) ASSERT_EQ(back.ops[i], c.program.ops[i]) << "op " << i;
  EXPECT_EQ(back.machine.mem_bytes, c.program.machine.mem_bytes);
  EXPECT_TRUE(execute(back).ok());
}

TEST(Convert, a_seed_drops_and_counts_frees_among_more_live_objects_than_a_slot_byte_picks) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += kmalloc(0, 0xffff888100000000 + 0x100 * i, 64, 64);
  for (int i = 299; i >= 0; --i) text += kfree(0, 0xffff888100000000 + 0x100 * i);  // newest first
  const Conversion c = convert_text(text);
  std::size_t kept = 0, dropped = 0;
  conversion_to_seed(c, &kept, &dropped);
  EXPECT_EQ(kept, 600u);
  EXPECT_GT(dropped, 0u);
  EXPECT_LT(dropped, 300u);
}

TEST(Convert, skipped_events_are_counted) {
  std::string text = kfree(0, 0xffff888100005000) + head(0) + "kfree: call_site=x+0x1/0x2 ptr=  (null)\n" +
                     head(0) +
                     "mm_page_alloc: page=  (null) pfn=0 order=3 migratetype=0 gfp_flags=GFP_KERNEL\n" +
                     kmalloc(0, 0x10, 0, 0) + head(0) +
                     "purge_vmap_area_lazy: start=0xffffc90000000000 end=0xffffc90000004000 num_purged=1\n";
  const Conversion c = convert_text(text);
  EXPECT_TRUE(c.program.ops.empty());
  EXPECT_EQ(c.skipped_unknown_frees, 1u);
  EXPECT_EQ(c.skipped_null_frees, 1u);
  EXPECT_EQ(c.skipped_failed, 1u);
  EXPECT_EQ(c.skipped_zero_size, 1u);
  EXPECT_EQ(c.skipped_purges, 1u);
}

TEST(Machine, sized_to_the_traces_peak_and_overridable) {
  const Trace t = read_trace_text(page_alloc(0, 10) + page_alloc(1024, 10) + page_free(0, 10));
  const Pairing p = pair_events(t);
  EXPECT_EQ(peak_live_bytes(t, p), 8u * MiB);
  const MachineConfig m = auto_machine(t, p);
  EXPECT_EQ(m.mem_bytes, 64u * MiB);  // ≥ 4 × 8 MiB + 16 MiB
  EXPECT_EQ(m.profile, Profile::x86_64);
  const MachineConfig o = machine_from_spec("mem=256M profile=i386", m);
  EXPECT_EQ(o.mem_bytes, 256u * MiB);
  EXPECT_EQ(o.profile, Profile::i386);
  EXPECT_EQ(o.kmalloc, KmallocProfile::modern);
  EXPECT_THROW(machine_from_spec("ram=1G", m), BadMachineSpec);
  EXPECT_THROW(machine_from_spec("mem", m), BadMachineSpec);
  EXPECT_THROW(machine_from_spec("profile=sparc", m), BadMachineSpec);
}

}  // namespace
}  // namespace kmf::trace
