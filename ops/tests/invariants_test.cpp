// invariants_test.cpp — every catalog id can fire. Each test plants a bug in
// a running machine (a `*_for_testing` hook, a corrupted ledger entry, or a
// test-only BugForTesting) and checks that exactly that id is named. The
// buddy ids' negative tests are in check/tests/checker_test.cpp; here are the
// slab, vmalloc and executor-judged ids.
#include <gtest/gtest.h>

#include "alloc/fault.h"
#include "alloc/kernel.h"
#include "alloc/phys_mem.h"
#include "alloc/slab.h"
#include "alloc/vmalloc.h"
#include "check/kernel_checker.h"
#include "ops/binary_codec.h"
#include "ops/executor.h"
#include "ops/kmf_text.h"

namespace kmf {
namespace {

Program script(const char* text) {
  ParseResult r = parse_kmf(text, "test.kmf");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return std::move(r).program();
}

void expect_violation(const ExecResult& r, Inv id) {
  ASSERT_FALSE(r.ok()) << "expected " << invariant_name(id) << " to fire";
  EXPECT_EQ(invariant_name(r.violation->id), invariant_name(id)) << format_violation(*r.violation);
}

void expect_fires(const Check& c, Inv id) {
  ASSERT_TRUE(c.has_value()) << "expected " << invariant_name(id) << " to fire";
  EXPECT_EQ(invariant_name(c->id), invariant_name(id)) << c->explanation;
}

ExecOptions with_bug(Kernel::BugForTesting bug, CheckLevel level = CheckLevel::incremental) {
  ExecOptions o;
  o.level = level;
  o.after_boot = [bug](Kernel& k) { k.plant_bug_for_testing(bug); };
  return o;
}

/// A live ledger entry for an allocation made directly on `k`.
Entry& entry(Ledger& l, EntryKind kind, VirtAddr va, std::uint64_t size, std::uint64_t span) {
  l.resize(l.size() + 1);
  Entry& e = l[l.size() - 1];
  e.kind = kind;
  e.bound = e.live = true;
  e.va = va;
  e.size = size;
  e.span = span;
  return e;
}

// ---- slab ----------------------------------------------------------------------------

TEST(Invariants, s_object_fires_for_an_address_that_is_not_an_object_start) {
  Kernel k;
  KernelChecker chk(k);
  Ledger l;
  KmemCache* c = k.kmem_cache_create("c", 64, 8, SLAB_NONE);
  const VirtAddr o = k.kmem_cache_alloc(c, GFP_KERNEL);
  Entry& e = entry(l, EntryKind::object, o, 64, 64);
  e.cache = c;
  e.align = 8;
  EXPECT_FALSE(chk.entry(l, 0));
  e.va = o + 8;  // aligned, inside the object, not its start
  expect_fires(chk.entry(l, 0), Inv::S_OBJECT);
  k.kmem_cache_free(c, o);
  k.kmem_cache_destroy(c);
}

TEST(Invariants, s_object_fires_for_an_object_of_another_cache) {
  Kernel k;
  KernelChecker chk(k);
  Ledger l;
  KmemCache* a = k.kmem_cache_create("a", 64, 8, SLAB_NONE);
  KmemCache* b = k.kmem_cache_create("b", 64, 8, SLAB_NONE);
  const VirtAddr o = k.kmem_cache_alloc(a, GFP_KERNEL);
  Entry& e = entry(l, EntryKind::object, o, 64, 64);
  e.cache = b;  // the ledger says b: the slab says a
  expect_fires(chk.entry(l, 0), Inv::S_OBJECT);
  k.kmem_cache_free(a, o);
  k.kmem_cache_destroy(a);
  k.kmem_cache_destroy(b);
}

TEST(Invariants, s_freelist_fires_for_a_cycle_and_for_a_duplicate) {
  for (int variant = 0; variant < 2; ++variant) {
    Kernel k;
    KernelChecker chk(k);
    Ledger l;
    const VirtAddr p = k.kmalloc(64, GFP_KERNEL);
    const auto ref = k.slab().object_containing(p);
    ASSERT_TRUE(ref);
    EXPECT_FALSE(chk.sweep(l));
    if (variant == 0)
      k.slab_for_testing().freelist_cycle_for_testing(ref->slab);
    else
      k.slab_for_testing().push_free_for_testing(ref->slab, ref->index + 1);  // already free
    expect_fires(chk.sweep(l), Inv::S_FREELIST);
  }
}

TEST(Invariants, s_freelist_fires_when_the_in_use_count_drifts) {
  Kernel k;
  KernelChecker chk(k);
  Ledger l;
  const VirtAddr p = k.kmalloc(64, GFP_KERNEL);
  k.slab_for_testing().bump_inuse_for_testing(k.slab().object_containing(p)->slab, 1);
  expect_fires(chk.sweep(l), Inv::S_FREELIST);
}

TEST(Invariants, s_limit_fires_when_kmalloc_serves_above_the_limit) {
  expect_violation(execute(script("k = kmalloc 131073\n"), with_bug(Kernel::BugForTesting::no_kmalloc_limit)),
                   Inv::S_LIMIT);
  // (The modern limit, 4 MiB, is also the largest buddy block: nothing can
  // serve 4 MiB + 1, planted bug or not.)
}

TEST(Invariants, s_ksize_fires_when_ksize_is_not_the_size_class) {
  Kernel k;
  KernelChecker chk(k);
  Ledger l;
  const VirtAddr p = k.kmalloc(100, GFP_KERNEL);
  entry(l, EntryKind::kmalloc, p, 100, 96);  // below the request
  expect_fires(chk.entry(l, 0), Inv::S_KSIZE);
  l[0].span = 256;  // above it, but not the class (128)
  expect_fires(chk.entry(l, 0), Inv::S_KSIZE);
  k.kfree(p);
}

TEST(Invariants, s_align_fires_for_an_object_off_its_alignment) {
  Kernel k;
  KernelChecker chk(k);
  Ledger l;
  KmemCache* c = k.kmem_cache_create("c", 40, 8, SLAB_NONE);
  VirtAddr o = k.kmem_cache_alloc(c, GFP_KERNEL);
  o = k.kmem_cache_alloc(c, GFP_KERNEL);  // the second object: 8- but not 4096-aligned
  Entry& e = entry(l, EntryKind::object, o, 40, 40);
  e.cache = c;
  e.align = 4096;
  expect_fires(chk.entry(l, 0), Inv::S_ALIGN);
}

TEST(Invariants, phys_contig_fires_for_kmalloc_memory_that_is_only_virtually_contiguous) {
  Kernel k(MachineConfig{.mem_bytes = 4 * MiB});
  KernelChecker chk(k);
  Ledger l;
  // Fragment: the vmalloc frames cannot be consecutive.
  std::vector<Pfn> held;
  while (const Pfn p = k.alloc_pages(GFP_KERNEL, 0)) held.push_back(p);
  for (std::size_t i = 0; i < held.size(); i += 2) k.free_pages(held[i], 0);
  const VirtAddr v = k.vmalloc(8 * PAGE_SIZE);
  ASSERT_TRUE(v);
  entry(l, EntryKind::kmalloc, v, 8 * PAGE_SIZE, 8 * PAGE_SIZE);  // "kmalloc" handed out vmalloc memory
  expect_fires(chk.entry(l, 0), Inv::PHYS_CONTIG);
}

TEST(Invariants, zero_fires_when_gfp_zero_memory_is_dirty) {
  const Program p = script("k = kmalloc 64\nwrite k 0 64 0xff\nkfree k\nz = kzalloc 64\n");
  EXPECT_TRUE(execute(p).ok());
  expect_violation(execute(p, with_bug(Kernel::BugForTesting::ignore_gfp_zero)), Inv::ZERO);
  const Program q = script(
      "a = get_free_pages order=0\nwrite a 0 4096 0x5a\nfree_pages a\n"
      "z = get_free_pages order=0 gfp=GFP_KERNEL|GFP_ZERO\n");
  expect_violation(execute(q, with_bug(Kernel::BugForTesting::ignore_gfp_zero)), Inv::ZERO);
}

TEST(Invariants, debug_detect_fires_when_a_red_zone_write_goes_unnoticed) {
  const Program p = script("k = kmalloc 128\nscribble k 128 4 0x41\nkfree k\n");
  const ExecResult clean = execute(p);
  EXPECT_TRUE(clean.ok()) << format_violation(*clean.violation);
  expect_violation(execute(p, with_bug(Kernel::BugForTesting::skip_redzone_check)), Inv::DEBUG_DETECT);
}

TEST(Invariants, debug_detect_fires_when_kfree_of_a_scribbled_cache_object_goes_unnoticed) {
  // kfree of a kmem_cache object is legal (modern); its cache must still see
  // the red zone written past the object, and keep the object.
  const char* head = "machine mem=16M profile=x86_64 kmalloc=modern slab_debug=on\n";
  const std::string text = std::string(head) +
                           "c = kmem_cache_create name=c size=40 align=8 flags=SLAB_RED_ZONE\n"
                           "o = kmem_cache_alloc c\nscribble o 40 4 0x32\nkfree o\n";
  const Program p = script(text.c_str());
  const ExecResult clean = execute(p);
  EXPECT_TRUE(clean.ok()) << format_violation(*clean.violation);
  expect_violation(execute(p, with_bug(Kernel::BugForTesting::skip_redzone_check)), Inv::DEBUG_DETECT);
}

TEST(Invariants, fault_fires_when_an_injected_failure_still_returns_memory) {
  const Program p = script(
      "fail page_alloc probability=100 times=-1 min_order=0 ignore_gfp_wait=no\n"
      "a = alloc_pages order=0\n");
  EXPECT_TRUE(execute(p).ok());
  expect_violation(execute(p, with_bug(Kernel::BugForTesting::ignore_injected_faults)), Inv::FAULT);
  const Program q = script("fail slab probability=100 times=-1 ignore_gfp_wait=no\nk = kmalloc 64\n");
  EXPECT_TRUE(execute(q).ok());
  expect_violation(execute(q, with_bug(Kernel::BugForTesting::ignore_injected_faults)), Inv::FAULT);
}

TEST(Invariants, misuse_fires_for_a_report_on_a_valid_op) {
  ExecOptions o;
  o.after_boot = [](Kernel& k) { k.set_atomic(true); };  // the program does not know
  expect_violation(execute(script("a = alloc_pages order=0 gfp=GFP_KERNEL\n"), o), Inv::MISUSE);
}

TEST(Invariants, misuse_fires_when_a_misuse_op_changes_state_or_is_not_reported) {
  // A double free the subject takes as valid: the block is reused between
  // the frees by the kernel itself, behind the ledger's back, then freed.
  ExecOptions o;
  o.after_op = [](Kernel& k, std::size_t i) {
    if (i == 1) k.buddy_for_testing().plant_bug_for_testing(BuddyAllocator::BugForTesting::hand_out_twice);
  };
  Program p;
  const Slot a = p.add(AllocPagesOp{NO_SLOT, 0, GFP_KERNEL});
  p.add(FreePagesOp{a, 2});  // wrong order: exactly bad_order and nothing changed
  EXPECT_TRUE(execute(p).ok());
}

TEST(Invariants, integrity_fires_when_krealloc_does_not_keep_the_prefix) {
  // Grown out of its size class, the object moves; the planted bug leaves
  // its first byte behind, and the kept-prefix check must name that byte.
  const char* text = "k0 = kmalloc 100 gfp=GFP_KERNEL\nk1 = krealloc k0 3000 gfp=GFP_KERNEL\n";
  EXPECT_TRUE(execute(script(text)).ok());
  const ExecResult r = execute(script(text), with_bug(Kernel::BugForTesting::krealloc_short_copy));
  expect_violation(r, Inv::INTEGRITY);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.violation->explanation.find("krealloc did not keep byte 0 of k0"), std::string::npos)
      << r.violation->explanation;
}

TEST(Invariants, integrity_fires_when_one_block_is_handed_out_twice) {
  Program p;
  std::vector<Slot> s;
  for (int i = 0; i < 60; ++i) s.push_back(p.add(AllocPagesOp{NO_SLOT, 0, GFP_KERNEL}));
  for (Slot x : s) p.add(FreePagesOp{x, std::nullopt});
  ExecOptions o;
  o.level = CheckLevel::none;  // overlap checks off: the stamps alone must notice
  o.after_boot = [](Kernel& k) {
    k.buddy_for_testing().plant_bug_for_testing(BuddyAllocator::BugForTesting::hand_out_twice);
  };
  expect_violation(execute(p, o), Inv::INTEGRITY);
  o.level = CheckLevel::incremental;  // with checks on, the overlap is seen first
  expect_violation(execute(p, o), Inv::NO_OVERLAP);
}

// A huge area stamps a bounded sample of its pages (host memory follows what
// a program touches): a scribble into a sampled page, and into a range the
// program wrote outside the sample, must still be INTEGRITY at vfree.
TEST(Invariants, integrity_fires_for_a_scribble_into_a_sampled_page_of_a_huge_area) {
  const Program p = script("machine mem=256M\nv = vmalloc 64M\nvfree v\n");
  ASSERT_TRUE(execute(p).ok());
  ExecOptions o;
  o.after_op = [](Kernel& k, std::size_t i) {
    if (i != 0) return;
    VirtAddr va{0};
    k.vmap().for_each_area([&](const VmArea& a) { va = a.start; });
    const std::byte junk[1]{std::byte{0x42}};
    k.write(va + 5 * PAGE_SIZE + 3, junk);  // page 5: one of the first sampled pages
  };
  expect_violation(execute(p, o), Inv::INTEGRITY);
}

TEST(Invariants, integrity_fires_for_a_scribble_into_a_written_range_outside_the_sample) {
  // Page 9765 of 16384 is not in the sample (pages 0..63, 64 + 127j, the
  // last 64); the program's write makes its bytes defined.
  const Program p = script("machine mem=256M\nv = vmalloc 64M\nwrite v 40000000 100 0x77\nvfree v\n");
  ASSERT_TRUE(execute(p).ok());
  ExecOptions o;
  o.after_op = [](Kernel& k, std::size_t i) {
    if (i != 1) return;
    VirtAddr va{0};
    k.vmap().for_each_area([&](const VmArea& a) { va = a.start; });
    const std::byte junk[1]{std::byte{0x42}};
    k.write(va + 40000050, junk);
  };
  expect_violation(execute(p, o), Inv::INTEGRITY);
}

TEST(Invariants, integrity_fires_for_a_scribble_into_the_head_of_a_block_past_the_stamp_budget) {
  // 64 live order-10 blocks carry 1026 stamp ranges each (65664 > the 65536
  // budget): the 65th is stamped at head and tail only, and a scribble into
  // its head is still INTEGRITY when it is freed.
  std::string text = "machine mem=512M\n";
  for (int i = 0; i < 65; ++i) text += "p" + std::to_string(i) + " = get_free_pages order=10\n";
  text += "free_pages p64\n";
  const Program p = script(text.c_str());
  ASSERT_TRUE(execute(p).ok());
  ExecOptions o;
  o.after_op = [](Kernel& k, std::size_t i) {
    if (i != 64) return;
    // The newest block is the highest allocated order-10 head (lowest-first allocation).
    std::uint64_t head = 0;
    for (std::uint64_t pfn = 0; pfn < k.mem().nr_frames(); pfn += 1024)
      if (k.mem().page(pfn).state == PageState::allocated && k.mem().page(pfn).order == 10) head = pfn;
    const std::byte junk[1]{std::byte{0x42}};
    k.write(k.layout().va(PhysAddr{head << PAGE_SHIFT}) + 3, junk);
  };
  const ExecResult r = execute(p, o);
  expect_violation(r, Inv::INTEGRITY);
  EXPECT_EQ(r.violation->op_index, 65u) << "found when p64 itself is freed, not at teardown";
}

// Above 1 KiB an allocation is stamped at its head (256 bytes), its tail
// (64) and two 8-byte words per page: at the page boundary and at an offset
// derived from its id and the page. Each of these writes misses the head,
// the tail and every page boundary, and must still be INTEGRITY at the free.
ExecOptions write_into_block_after(std::size_t op, std::uint64_t offset, std::uint64_t len) {
  ExecOptions o;
  o.level = CheckLevel::none;  // the stamps alone must notice
  o.after_op = [=](Kernel& k, std::size_t i) {
    if (i != op) return;
    std::uint64_t head = 0;  // the only allocated order-2 block
    for (std::uint64_t pfn = 0; pfn < k.mem().nr_frames(); pfn += 4)
      if (k.mem().page(pfn).state == PageState::allocated && k.mem().page(pfn).order == 2) head = pfn;
    const std::vector<std::byte> junk(len, std::byte{0x5a});
    ASSERT_TRUE(k.write_phys(PhysAddr{(head << PAGE_SHIFT) + offset}, junk));
  };
  return o;
}

TEST(Invariants, integrity_fires_for_a_memset_of_a_page_but_its_first_word) {
  const Program p = script("p = alloc_pages order=2\nfree_pages p\n");
  ASSERT_TRUE(execute(p).ok());
  // Page 2 from byte 8 to its end: only the derived word can see it.
  const ExecResult r = execute(p, write_into_block_after(0, 2 * PAGE_SIZE + 8, PAGE_SIZE - 8));
  expect_violation(r, Inv::INTEGRITY);
  EXPECT_EQ(r.violation->op_index, 1u);
}

TEST(Invariants, integrity_fires_for_a_free_list_link_written_at_a_page_start) {
  const Program p = script("p = alloc_pages order=2\nfree_pages p\n");
  const ExecResult r = execute(p, write_into_block_after(0, 3 * PAGE_SIZE, 8));
  expect_violation(r, Inv::INTEGRITY);
  EXPECT_NE(r.violation->explanation.find("byte " + std::to_string(3 * PAGE_SIZE) + " of p"),
            std::string::npos)
      << r.violation->explanation;
}

TEST(Invariants, integrity_fires_for_half_a_page_written_from_its_middle) {
  // Bytes [2048, 4096) of page 1: the derived word of page 1 lies there for
  // about half of all allocation ids; over 16 blocks (ids 0..15) some must.
  std::string text;
  for (int i = 0; i < 16; ++i)
    text += "p" + std::to_string(i) + " = alloc_pages order=2\nfree_pages p" + std::to_string(i) + "\n";
  const Program p = script(text.c_str());
  ASSERT_TRUE(execute(p).ok());
  std::size_t caught = 0;
  for (std::size_t op = 0; op < 32; op += 2) {
    const ExecResult r = execute(p, write_into_block_after(op, PAGE_SIZE + 2048, 2048));
    if (!r.ok() && r.violation->id == Inv::INTEGRITY && r.violation->op_index == op + 1) ++caught;
  }
  EXPECT_GE(caught, 4u) << "the derived words should land in the written half for about half of the ids";
  EXPECT_LT(caught, 16u) << "a derived word at a fixed offset would make this all or nothing";
}

// ---- vmalloc -----------------------------------------------------------------------------

ExecOptions corrupt_after(std::size_t op, std::function<void(Kernel&)> fn) {
  ExecOptions o;
  o.level = CheckLevel::full;
  o.after_op = [op, fn](Kernel& k, std::size_t i) {
    if (i == op) fn(k);
  };
  return o;
}

VirtAddr first_area(const Kernel& k) {
  VirtAddr va{0};
  k.vmap().for_each_area([&](const VmArea& a) {
    if (!va) va = a.start;
  });
  return va;
}

TEST(Invariants, v_contig_fires_when_a_page_of_an_area_is_unmapped) {
  const Program p = script("v = vmalloc 16K\n");
  expect_violation(
      execute(p, corrupt_after(0,
                               [](Kernel& k) {
                                 k.vmap_for_testing().clear_pte_for_testing(first_area(k) + PAGE_SIZE);
                               })),
      Inv::V_CONTIG);
}

TEST(Invariants, v_guard_fires_when_the_guard_page_is_mapped) {
  const Program p = script("v = vmalloc 16K\n");
  expect_violation(execute(p, corrupt_after(0,
                                            [](Kernel& k) {
                                              const VirtAddr v = first_area(k);
                                              const Pfn any = k.vmalloc_to_pfn(v);
                                              k.vmap_for_testing().map_pte_for_testing(v + 4 * PAGE_SIZE,
                                                                                       any);
                                            })),
                   Inv::V_GUARD);
}

TEST(Invariants, v_frames_fires_for_a_page_backed_by_a_free_frame) {
  Kernel k;
  KernelChecker chk(k);
  Ledger l;
  const VirtAddr v = k.vmalloc(2 * PAGE_SIZE);
  const std::uint64_t free_pfn = k.buddy().free_blocks().back().first;
  k.vmap_for_testing().map_pte_for_testing(v, Pfn{free_pfn});
  Entry& e = entry(l, EntryKind::vmalloc, v, 2 * PAGE_SIZE, 2 * PAGE_SIZE);
  e.frames = {free_pfn, k.vmalloc_to_pfn(v + PAGE_SIZE).value};
  expect_fires(chk.entry(l, 0), Inv::V_FRAMES);
}

TEST(Invariants, v_unmap_fires_when_a_pte_survives_vfree) {
  Kernel k;
  KernelChecker chk(k);
  Ledger l;
  const VirtAddr v = k.vmalloc(PAGE_SIZE);
  Entry& e = entry(l, EntryKind::vmalloc, v, PAGE_SIZE, PAGE_SIZE);
  e.frames = {k.vmalloc_to_pfn(v).value};
  k.vfree(v);
  EXPECT_FALSE(chk.after_release(e));
  const Pfn held = k.alloc_pages(GFP_KERNEL, 0);
  k.vmap_for_testing().map_pte_for_testing(v, held);  // left behind
  expect_fires(chk.after_release(e), Inv::V_UNMAP);
}

TEST(Invariants, ioremap_fires_when_the_mapping_is_off_by_a_page) {
  Kernel k;
  KernelChecker chk(k);
  Ledger l;
  const VirtAddr r = k.ioremap(PhysAddr{0xfebf0010}, 8 * KiB);
  ASSERT_TRUE(r);
  Entry& e = entry(l, EntryKind::ioremap, r, 8 * KiB, 8 * KiB);
  e.phys = PhysAddr{0xfebf0010};
  EXPECT_FALSE(chk.entry(l, 0));
  e.phys = PhysAddr{0xfebf1010};
  expect_fires(chk.entry(l, 0), Inv::IOREMAP);
}

TEST(Invariants, layout_fires_for_a_vmalloc_address_below_vmalloc_start) {
  Kernel k;
  KernelChecker chk(k);
  Ledger l;
  Entry& e = entry(l, EntryKind::vmalloc, VirtAddr{k.layout().high_memory}, PAGE_SIZE, PAGE_SIZE);
  e.frames = {1};
  const Check c = chk.entry(l, 0);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->id == Inv::V_CONTIG || c->id == Inv::LAYOUT) << invariant_name(c->id);
}

TEST(Invariants, no_false_positives_in_100000_random_valid_ops_in_either_profile) {
  // Decoded programs without misuse or fault ops: every op is valid, so
  // nothing may fire.
  const CodecOptions valid{FAMILY_PAGES | FAMILY_SLAB | FAMILY_VMALLOC | FAMILY_MEMORY};
  for (Profile profile : {Profile::i386, Profile::x86_64}) {
    std::uint64_t ops = 0, seed = 1;
    while (ops < 100000) {
      Rng rng(seed++);
      std::vector<std::uint8_t> bytes(2048);
      for (auto& b : bytes) b = static_cast<std::uint8_t>(rng.next());
      Program p = decode_program(bytes, valid);
      p.machine.profile = profile;
      const ExecResult r = execute(p);
      ASSERT_TRUE(r.ok()) << "seed " << seed - 1 << "\n" << format_violation(*r.violation) << print_kmf(p);
      ops += p.ops.size();
    }
  }
}

}  // namespace
}  // namespace kmf
