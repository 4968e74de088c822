// blind_spots_test.cpp — the checks that close the kernel model's blind
// spots can fire: every frame of every block (B-ACCOUNT), vmalloc frames as
// order-0 blocks of their own area (V-FRAMES), the frame budget per zone and
// in total (B-ACCOUNT), and the shadow model of fault injection (FAULT). Each
// negative test corrupts a running machine through a `*_for_testing` hook or
// a public fault attribute and checks the id named; each positive test shows
// the same program passes untouched.
#include <gtest/gtest.h>

#include "alloc/fault.h"
#include "alloc/kernel.h"
#include "alloc/slab.h"
#include "alloc/vmalloc.h"
#include "check/fault_shadow.h"
#include "check/kernel_checker.h"
#include "ops/executor.h"
#include "ops/kmf_text.h"

namespace kmf {
namespace {

Program script(const char* text) {
  ParseResult r = parse_kmf(text, "test.kmf");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return std::move(r).program();
}

void expect_violation(const ExecResult& r, Inv id, const char* says = "") {
  ASSERT_FALSE(r.ok()) << "expected " << invariant_name(id) << " to fire";
  EXPECT_EQ(invariant_name(r.violation->id), invariant_name(id)) << format_violation(*r.violation);
  EXPECT_NE(r.violation->explanation.find(says), std::string::npos) << r.violation->explanation;
}

/// Runs `p` with `corrupt` applied after op `at` (full sweeps after every op).
ExecResult corrupted(const Program& p, std::size_t at, std::function<void(Kernel&)> corrupt) {
  ExecOptions o;
  o.level = CheckLevel::full;
  o.after_op = [at, corrupt](Kernel& k, std::size_t i) {
    if (i == at) corrupt(k);
  };
  return execute(p, o);
}

/// The first frame of the zone that holds `pfn`-like memory: a free block of at least `order`.
std::uint64_t free_block_of_order(const Kernel& k, unsigned order) {
  for (auto [pfn, o] : k.buddy().free_blocks())
    if (o >= order) return pfn;
  return 0;
}

// ---- every frame of every block -------------------------------------------------------

TEST(BlindSpots, a_tail_of_a_free_block_marked_as_a_head_is_b_account) {
  const Program p = script("machine mem=32M\na = alloc_pages order=0\n");
  EXPECT_TRUE(execute(p, {.level = CheckLevel::full}).ok());
  expect_violation(corrupted(p, 0,
                             [](Kernel& k) {
                               const std::uint64_t head = free_block_of_order(k, 3);
                               k.mem_for_testing().page(head + 5).state = PageState::allocated;
                             }),
                   Inv::B_ACCOUNT, "inside the free order-");
}

TEST(BlindSpots, a_tail_of_a_free_block_with_an_owner_is_b_account) {
  const Program p = script("machine mem=32M\na = alloc_pages order=0\n");
  expect_violation(corrupted(p, 0,
                             [](Kernel& k) {
                               const std::uint64_t head = free_block_of_order(k, 10);
                               k.mem_for_testing().page(head + 700).owner = PageOwner::slab;
                             }),
                   Inv::B_ACCOUNT, "is marked as owned by a slab");
}

TEST(BlindSpots, a_tail_of_an_allocated_block_marked_free_is_b_account) {
  const Program p = script("machine mem=32M\na = alloc_pages order=2\nb = alloc_pages order=0\n");
  expect_violation(
      corrupted(p, 1,
                [](Kernel& k) {
                  // a is the lowest order-2 block handed out: find it by its owner.
                  for (std::uint64_t pfn = 0; pfn < k.mem().nr_frames(); ++pfn)
                    if (k.mem().page(pfn).state == PageState::allocated && k.mem().page(pfn).order == 2) {
                      k.mem_for_testing().page(pfn + 3).state = PageState::free;
                      return;
                    }
                }),
      Inv::B_ACCOUNT, "inside the allocated order-2");
}

TEST(BlindSpots, a_slab_tail_that_forgot_its_slab_is_b_account) {
  // An order-1 slab (a 4096-byte object with red zones needs two pages).
  const Program p =
      script("machine mem=32M\nc = kmem_cache_create name=big size=3000 align=8\no = kmem_cache_alloc c\n");
  EXPECT_TRUE(execute(p, {.level = CheckLevel::full}).ok());
  expect_violation(corrupted(p, 1,
                             [](Kernel& k) {
                               const Slab& s = k.slab().slab(0);
                               ASSERT_GT(s.order, 0u);
                               k.mem_for_testing().page(s.head_pfn + 1).owner = PageOwner::none;
                             }),
                   Inv::B_ACCOUNT, "(owner a slab)");
}

// ---- vmalloc frames ----------------------------------------------------------------------

TEST(BlindSpots, a_vmalloc_frame_owned_by_another_area_is_v_frames) {
  const Program p = script("machine mem=32M\nv = vmalloc 8K\nw = vmalloc 4K\n");
  EXPECT_TRUE(execute(p, {.level = CheckLevel::full}).ok());
  expect_violation(corrupted(p, 1,
                             [](Kernel& k) {
                               const Pfn f = k.vmalloc_to_pfn(VirtAddr{k.layout().vmalloc_start});
                               k.mem_for_testing().page(f.value).priv += 1;  // the other area's id
                             }),
                   Inv::V_FRAMES, "names area id 2, which does not hold it");
}

TEST(BlindSpots, a_vmalloc_frame_heading_an_order_1_block_is_v_frames) {
  const Program p = script("machine mem=32M\nv = vmalloc 8K\n");
  expect_violation(corrupted(p, 0,
                             [](Kernel& k) {
                               // The frame after the first vmalloc frame is taken too, as if
                               // vmalloc had asked for an order-1 block.
                               std::optional<std::uint64_t> f;
                               k.vmap().for_each_area([&](const VmArea& a) { f = a.pages[0].value; });
                               ASSERT_TRUE(f);
                               k.mem_for_testing().page(*f).order = 1;
                             }),
                   Inv::V_FRAMES);
}

// ---- the frame budget -------------------------------------------------------------------

TEST(BlindSpots, a_frame_allocated_behind_everyones_back_breaks_the_budget) {
  // A vmalloc that takes one frame more than it maps (double the frame cost
  // of a one-page area) passes every per-entry check; the budget sees it.
  const Program p = script("machine mem=32M\nv = vmalloc 4K\nk = kmalloc 100\n");
  EXPECT_TRUE(execute(p, {.level = CheckLevel::full}).ok());
  expect_violation(corrupted(p, 0,
                             [](Kernel& k) {
                               const Pfn extra = k.buddy_for_testing().alloc(GFP_KERNEL, 0, PageOwner::pages);
                               ASSERT_TRUE(extra);
                             }),
                   Inv::B_ACCOUNT, "allocated frames, but live page blocks");
}

TEST(BlindSpots, a_slab_owned_frame_on_no_slab_list_is_s_object) {
  const Program p = script("machine mem=32M\nk = kmalloc 100\n");
  expect_violation(corrupted(p, 0,
                             [](Kernel& k) {
                               // A frame marked as a slab's but on no cache's list.
                               const Pfn extra = k.buddy_for_testing().alloc(GFP_KERNEL, 0, PageOwner::slab);
                               ASSERT_TRUE(extra);
                               k.mem_for_testing().page(extra.value).priv = 0;
                             }),
                   Inv::S_OBJECT);
}

TEST(BlindSpots, highmem_and_lowmem_budgets_hold_on_a_1536_mib_i386_machine) {
  const Program p = script(
      "machine mem=1536M profile=i386\n"
      "h = alloc_pages order=3 gfp=GFP_HIGHUSER\n"
      "v = vmalloc 64K\n"
      "k = kmalloc 4096\n"
      "g = get_free_pages order=1\n");
  const ExecResult r = execute(p, {.level = CheckLevel::full});
  ASSERT_TRUE(r.ok()) << format_violation(*r.violation);
  expect_violation(corrupted(p, 3,
                             [](Kernel& k) {
                               const Pfn extra =
                                   k.buddy_for_testing().alloc(GFP_HIGHUSER, 0, PageOwner::vmalloc);
                               ASSERT_TRUE(extra);
                               ASSERT_GE(extra.value << PAGE_SHIFT, 896 * MiB);  // a highmem frame
                             }),
                   Inv::V_FRAMES, "names area id");
}

TEST(BlindSpots, zones_that_disagree_with_the_machine_size_are_b_zone) {
  for (Profile profile : {Profile::i386, Profile::x86_64}) {
    Kernel k(MachineConfig{.mem_bytes = (profile == Profile::i386 ? 1024 : 4200) * MiB, .profile = profile});
    KernelChecker chk(k);
    Ledger l;
    ASSERT_FALSE(chk.sweep(l));
    // The upper zone starts one order-10 block early (a NORMAL that runs past
    // 896 MiB, a DMA32 past 4 GiB moved the other way): the spans no longer
    // match the facts, whatever the free lists say.
    Zone& upper = k.buddy_for_testing().zone_for_testing(k.buddy().zones().size() - 1);
    upper.start_pfn += 1024;
    const Check c = chk.sweep(l);
    ASSERT_TRUE(c);
    EXPECT_EQ(invariant_name(c->id), "B-ZONE") << c->explanation;
  }
}

// ---- the shadow model of fault injection ----------------------------------------------------

TEST(BlindSpots, a_fault_attr_that_counts_a_filtered_call_is_fault) {
  // interval=2: the 2nd, 4th … eligible call fails. An attribute that also
  // counted the call its filter excluded fails a different call.
  const Program p = script(
      "fail page_alloc probability=100 interval=2 times=-1 min_order=1 ignore_gfp_wait=no\n"
      "a = alloc_pages order=1\n"
      "b = alloc_pages order=1\n"
      "c = alloc_pages order=1\n"
      "d = alloc_pages order=1\n");
  const ExecResult clean = execute(p, {.trace = true});
  ASSERT_TRUE(clean.ok()) << format_violation(*clean.violation);
  EXPECT_NE(clean.trace[2].find("injected fault"), std::string::npos) << clean.trace[2];
  EXPECT_NE(clean.trace[4].find("injected fault"), std::string::npos) << clean.trace[4];
  expect_violation(corrupted(p, 1, [](Kernel& k) { ++k.fail_page_alloc().calls; }), Inv::FAULT,
                   "#2: the shadow model says it must fail");
}

TEST(BlindSpots, a_fault_attr_that_forgets_times_is_fault) {
  const Program p = script(
      "fail slab probability=100 times=1 ignore_gfp_wait=no\n"
      "a = kmalloc 64\n"
      "b = kmalloc 64\n");
  ASSERT_TRUE(execute(p).ok());
  expect_violation(corrupted(p, 1, [](Kernel& k) { k.failslab().times = 1; }), Inv::FAULT,
                   "the shadow model says it must pass");
}

TEST(BlindSpots, a_fault_attr_that_skips_a_due_failure_is_fault) {
  const Program p = script(
      "fail page_alloc probability=100 times=2 min_order=0 ignore_gfp_wait=no\n"
      "a = alloc_pages order=0\n"
      "b = alloc_pages order=0\n");
  ASSERT_TRUE(execute(p).ok());
  expect_violation(corrupted(p, 0, [](Kernel& k) { k.fail_page_alloc().probability = 0; }), Inv::FAULT,
                   "the shadow model says it must fail");
}

TEST(BlindSpots, a_fail_op_with_a_cache_filter_spares_the_other_caches_and_is_judged_by_the_shadow) {
  // `fail slab … cache=victim`: only the victim's allocations fail. A
  // subject whose filter is lost (emptied after the fail op) fails the
  // kmalloc too, against the shadow's prediction: FAULT.
  const Program p = script(
      "c = kmem_cache_create name=victim size=64\n"
      "fail slab probability=100 times=-1 ignore_gfp_wait=no cache=victim\n"
      "k = kmalloc 64\n"
      "o = kmem_cache_alloc c\n"
      "expect k not null\n"
      "expect o null\n");
  const ExecResult clean = execute(p, {.level = CheckLevel::full});
  EXPECT_TRUE(clean.ok()) << format_violation(*clean.violation);
  expect_violation(corrupted(p, 1, [](Kernel& k) { k.failslab().cache_filter.clear(); }), Inv::FAULT);
  // The other way: the subject's filter names another cache, so the victim's
  // allocation passes where the shadow says it must fail.
  expect_violation(corrupted(p, 1, [](Kernel& k) { k.failslab().cache_filter = "size-64"; }), Inv::FAULT);
  // A kmalloc cache by name.
  const Program km = script(
      "fail slab probability=100 times=-1 ignore_gfp_wait=no cache=size-128\n"
      "a = kmalloc 64\n"
      "b = kmalloc 100\n"
      "expect a not null\n"
      "expect b null\n");
  const ExecResult r = execute(km, {.level = CheckLevel::full});
  EXPECT_TRUE(r.ok()) << format_violation(*r.violation);
}

// ---- the shadow against the subject, filters with interval and times --------------------

/// Drives `k` and a shadow side by side; returns which calls failed.
struct Duo {
  Kernel k;
  FaultShadow shadow;
  explicit Duo(std::uint64_t seed) : k(MachineConfig{.mem_bytes = 64 * MiB, .seed = seed}), shadow(seed) {
    k.record_fault_calls(true);
  }
  void set(bool slab, const FaultConfig& c) {
    FaultAttr& f = slab ? k.failslab() : k.fail_page_alloc();
    f.probability = c.probability;
    f.interval = c.interval;
    f.times = c.times;
    f.space = c.space;
    f.ignore_gfp_wait = c.ignore_gfp_wait;
    f.ignore_gfp_highmem = c.ignore_gfp_highmem;
    f.min_order = c.min_order;
    f.cache_filter = c.cache_filter;
    shadow.configure(slab, c);
  }
  /// The subject's decisions since the last call, checked against the shadow.
  std::string decisions() {
    std::string s;
    for (const FaultCall& c : k.fault_calls()) s += c.failed ? 'F' : '.';
    EXPECT_FALSE(shadow.judge(k.fault_calls())) << s;
    k.clear_fault_calls();
    return s;
  }
};

TEST(FaultShadow, page_alloc_order_and_highmem_filters_with_interval_and_times) {
  Duo d(7);
  d.set(false, FaultConfig{.probability = 100,
                           .interval = 2,
                           .times = 2,
                           .ignore_gfp_wait = false,
                           .ignore_gfp_highmem = true,
                           .min_order = 2,
                           .cache_filter = {}});
  // Order 0/1 and highmem requests are filtered: neither counted nor failed.
  // Eligible calls: #1 pass, #2 fail, #3 pass, #4 fail, then times is spent.
  const std::pair<gfp_t, unsigned> calls[] = {{GFP_KERNEL, 2},   {GFP_KERNEL, 0}, {GFP_HIGHUSER, 3},
                                              {GFP_KERNEL, 3},   {GFP_KERNEL, 1}, {GFP_KERNEL, 2},
                                              {GFP_HIGHUSER, 2}, {GFP_KERNEL, 4}, {GFP_ATOMIC, 2},
                                              {GFP_KERNEL, 2},   {GFP_KERNEL, 2}};
  std::string got;
  for (auto [gfp, order] : calls) {
    const Pfn p = d.k.alloc_pages(gfp, order);
    got += d.decisions();
    if (p) d.k.free_pages(p, order);
  }
  // Calls: 1 o2 counted #1 pass; 2 o0 filtered; 3 highmem filtered; 4 o3
  // counted #2 FAIL; 5 o1 filtered; 6 o2 #3 pass; 7 highmem filtered; 8 o4
  // #4 FAIL (times spent); 9-11 pass.
  EXPECT_EQ(got, "...F...F...");
}

TEST(FaultShadow, failslab_cache_filter_with_space_interval_and_times) {
  Duo d(11);
  KmemCache* a = d.k.kmem_cache_create("alpha", 256, 8, 0);
  KmemCache* b = d.k.kmem_cache_create("beta", 256, 8, 0);
  ASSERT_TRUE(a && b);
  // Only alpha; the first 512 bytes pass (two objects); then every 3rd
  // counted call fails, twice.
  d.set(true, FaultConfig{.probability = 100,
                          .interval = 3,
                          .times = 2,
                          .space = 512,
                          .ignore_gfp_wait = true,
                          .cache_filter = "alpha"});
  std::string got;
  std::vector<std::pair<KmemCache*, VirtAddr>> live;
  for (int i = 0; i < 14; ++i) {
    KmemCache* c = i % 2 ? b : a;
    // Sleeping requests are spared (ignore_gfp_wait): GFP_ATOMIC for alpha except every 4th.
    const gfp_t gfp = (c == a && i % 8 != 6) ? GFP_ATOMIC : GFP_KERNEL;
    const VirtAddr v = d.k.kmem_cache_alloc(c, gfp);
    for (const FaultCall& fc : d.k.fault_calls())
      if (fc.slab) got += fc.failed ? 'F' : (fc.cache == "alpha" ? 'a' : 'b');
    d.decisions();
    if (v) live.emplace_back(c, v);
  }
  // alpha GFP_ATOMIC calls at i = 0, 2, 4, 8, 10, 12 (i = 6 sleeps: spared;
  // beta is filtered out). i = 0: space 512 > 256, it passes and leaves 256;
  // i = 2: 256 is not more than 256, so it is counted (#1, pass); i = 4 #2
  // pass; i = 8 #3 FAIL; i = 10 #4, i = 12 #5 pass (interval).
  EXPECT_EQ(got, "ababababFbabab");
  for (auto [c, v] : live) d.k.kmem_cache_free(c, v);
}

TEST(FaultShadow, probability_rolls_follow_the_machine_seed_and_fail_off_restarts_them) {
  for (std::uint64_t seed : {1u, 2u, 99u}) {
    Duo d(seed);
    d.set(false,
          FaultConfig{
              .probability = 40, .times = -1, .ignore_gfp_wait = false, .min_order = 0, .cache_filter = {}});
    std::string first;
    for (int i = 0; i < 40; ++i) {
      const Pfn p = d.k.alloc_pages(GFP_KERNEL, 0);
      first += d.decisions();
      if (p) d.k.free_pages(p, 0);
    }
    EXPECT_NE(first.find('F'), std::string::npos);
    EXPECT_NE(first.find('.'), std::string::npos);
    // fail off, then the same configuration: the same decisions again.
    d.k.fail_page_alloc().disable();
    d.shadow.off();
    d.set(false,
          FaultConfig{
              .probability = 40, .times = -1, .ignore_gfp_wait = false, .min_order = 0, .cache_filter = {}});
    std::string again;
    for (int i = 0; i < 40; ++i) {
      const Pfn p = d.k.alloc_pages(GFP_KERNEL, 0);
      again += d.decisions();
      if (p) d.k.free_pages(p, 0);
    }
    EXPECT_EQ(first, again) << "seed " << seed;
  }
}

TEST(FaultShadow, internal_frame_allocations_are_judged_too) {
  // vmalloc's frames and page tables and a slab's growth reach
  // fail_page_alloc; with min_order=0 and ignore_gfp_wait=no each is a call.
  Duo d(3);
  d.set(false, FaultConfig{.probability = 100,
                           .interval = 5,
                           .times = 1,
                           .ignore_gfp_wait = false,
                           .ignore_gfp_highmem = false,
                           .min_order = 0,
                           .cache_filter = {}});
  const VirtAddr v = d.k.vmalloc(8 * PAGE_SIZE);
  const std::string s = d.decisions();
  EXPECT_GE(s.size(), 5u) << s;  // eight frames at least, maybe page tables
  EXPECT_EQ(s.find('F'), 4u) << s;
  EXPECT_FALSE(v);  // the 5th frame failed: the whole vmalloc fails
}

}  // namespace
}  // namespace kmf
