// slab_test.cpp — kmem_cache (alloc/slab.h): geometry and order choice,
// packing, lists, ctor, shrink and destroy, misuse of cache pointers, atomic
// context, failslab, the read-only view and its test hooks, /proc/slabinfo.
#include "alloc/slab.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <vector>

#include "alloc/tests/slab_test_util.h"

namespace kmf {
namespace {

using testing::expect_one_report_and_no_change;
using testing::hex;
using testing::slab_snapshot;
using testing::snapshot;

constexpr auto OLD = KmallocProfile::linux_2_6_18;
constexpr auto MODERN = KmallocProfile::modern;

std::uint32_t slab_of(const Kernel& k, VirtAddr obj) { return k.slab().object_containing(obj)->slab; }

// ---- geometry -------------------------------------------------------------------------

TEST(CacheGeometry, order_grows_until_at_most_an_eighth_of_the_slab_is_wasted) {
  // 3000 B: order 0 holds 1 (1096 B wasted > 512), order 1 holds 2 (2192 > 1024),
  // order 2 holds 5 (1384 <= 2048).
  const auto g = cache_geometry(3000, 0, SLAB_NONE, false, false, OLD);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->size, 3000u);
  EXPECT_EQ(g->order, 2u);
  EXPECT_EQ(g->objects, 5u);
  // 700 B → stride 704: order 0 holds 5 (576 > 512), order 1 holds 11 (448 <= 1024).
  EXPECT_EQ(cache_geometry(700, 0, SLAB_NONE, false, false, OLD)->order, 1u);
  EXPECT_EQ(cache_geometry(700, 0, SLAB_NONE, false, false, OLD)->objects, 11u);
  // Nothing reaches 1/8 within the preferred orders: the smallest fraction wins.
  const auto big = cache_geometry(40000, 0, SLAB_NONE, false, false, OLD);
  EXPECT_EQ(big->order, 4u);
  EXPECT_EQ(big->objects, 1u);
}

TEST(CacheGeometry, slab_debug_adds_a_red_zone_rounded_to_the_alignment) {
  const auto g = cache_geometry(72, 0, SLAB_NONE, false, true, OLD);
  EXPECT_EQ(g->size, 80u);  // 72 + 8 red zone
  EXPECT_TRUE(g->red_zone);
  EXPECT_TRUE(g->poison);
  EXPECT_EQ(g->objects, 51u);  // 4096 / 80, 16 B left
  // A naturally aligned 128-byte object needs a whole second 128 bytes.
  EXPECT_EQ(cache_geometry(128, 128, SLAB_NONE, false, true, OLD)->size, 256u);
  // The 2.6.18 128 KiB object has no room for one: it goes without.
  const auto max = cache_geometry(131072, 131072, SLAB_NONE, false, true, OLD);
  EXPECT_FALSE(max->red_zone);
  EXPECT_EQ(max->size, 131072u);
  EXPECT_EQ(max->order, 5u);
  // A constructor turns poisoning off: poison would destroy the constructed state.
  EXPECT_FALSE(cache_geometry(72, 0, SLAB_NONE, true, true, OLD)->poison);
}

TEST(CacheGeometry, hwcache_align_uses_the_line_but_small_objects_share_it) {
  EXPECT_EQ(cache_geometry(100, 0, SLAB_HWCACHE_ALIGN, false, false, OLD)->align, 64u);
  EXPECT_EQ(cache_geometry(100, 0, SLAB_HWCACHE_ALIGN, false, false, OLD)->size, 128u);
  EXPECT_EQ(cache_geometry(20, 0, SLAB_HWCACHE_ALIGN, false, false, OLD)->align, 32u);
  EXPECT_EQ(cache_geometry(4, 0, SLAB_HWCACHE_ALIGN, false, false, OLD)->align, 8u);
  EXPECT_EQ(cache_geometry(24, 24, SLAB_NONE, false, false, OLD)->align, 32u);  // rounded to a power of two
}

TEST(CacheGeometry, limits_follow_the_profile) {
  EXPECT_TRUE(cache_geometry(131072, 0, SLAB_NONE, false, true, OLD));
  EXPECT_FALSE(cache_geometry(131073, 0, SLAB_NONE, false, true, OLD));
  EXPECT_FALSE(cache_geometry(64, 256 * KiB, SLAB_NONE, false, true, OLD));
  const auto four = cache_geometry(4 * MiB, 0, SLAB_NONE, false, true, MODERN);
  ASSERT_TRUE(four);
  EXPECT_EQ(four->order, 10u);
  EXPECT_FALSE(cache_geometry(4 * MiB + 1, 0, SLAB_NONE, false, true, MODERN));
}

// ---- kmem_cache ---------------------------------------------------------------------------

TEST(KmemCache, objects_are_packed_into_a_slab_at_multiples_of_the_stride) {
  Kernel k;
  const auto boot = snapshot(k);
  KmemCache* c = k.kmem_cache_create("foo", 72, 0, SLAB_NONE);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->size(), 80u);
  ASSERT_EQ(c->objects_per_slab(), 51u);
  std::vector<VirtAddr> objs;
  for (int i = 0; i < 52; ++i) objs.push_back(k.kmem_cache_alloc(c, GFP_KERNEL));
  const VirtAddr base = objs[0];
  EXPECT_EQ(base.value % PAGE_SIZE, 0u);
  for (std::uint64_t i = 0; i < 51; ++i) EXPECT_EQ(objs[i], base + i * 80);
  EXPECT_NE(k.virt_to_pfn(objs[51]), k.virt_to_pfn(base));
  EXPECT_EQ(c->nr_slabs(SlabList::full), 1u);
  EXPECT_EQ(c->nr_slabs(SlabList::partial), 1u);
  EXPECT_EQ(k.slab().slab_pages(), 2u);
  for (VirtAddr o : objs) {
    EXPECT_EQ(k.slab().live_object_cache(o), c);
    const Page& p = k.mem().page(k.virt_to_pfn(o).value);
    EXPECT_EQ(p.owner, PageOwner::slab);
    EXPECT_EQ(p.priv, slab_of(k, o));
  }
  for (VirtAddr o : objs) k.kmem_cache_free(c, o);
  k.kmem_cache_destroy(c);
  EXPECT_TRUE(k.reports().empty());
  EXPECT_EQ(snapshot(k), boot);
}

TEST(KmemCache, every_frame_of_a_multi_page_slab_names_the_slab) {
  Kernel k;
  KmemCache* c = k.kmem_cache_create("order2", 3000, 0, SLAB_NONE);
  ASSERT_EQ(c->order(), 2u);  // 3008-byte stride with slab_debug: 5 per order-2 slab
  const VirtAddr a = k.kmem_cache_alloc(c, GFP_KERNEL);
  const Slab& s = k.slab().slab(slab_of(k, a));
  EXPECT_EQ(s.head_pfn % 4, 0u);
  for (std::uint64_t f = 0; f < 4; ++f) {
    EXPECT_EQ(k.mem().page(s.head_pfn + f).owner, PageOwner::slab);
    EXPECT_EQ(k.mem().page(s.head_pfn + f).priv, slab_of(k, a));
  }
  // An object straddling a page boundary is one contiguous run of bytes.
  const VirtAddr last = k.slab().object_address(slab_of(k, a), s.objects - 1);
  for (std::uint64_t i = 0; i < c->object_size(); ++i)
    ASSERT_EQ(k.translate(last + i)->value, k.virt_to_phys(last).value + i);
  k.kmem_cache_free(c, a);
  k.kmem_cache_destroy(c);
  for (std::uint64_t f = 1; f < 4; ++f) EXPECT_EQ(k.mem().page(s.head_pfn + f).owner, PageOwner::none);
}

TEST(KmemCache, an_object_over_128_KiB_is_refused_in_the_2_6_18_profile) {
  Kernel k;
  const std::string msg = expect_one_report_and_no_change(k, ReportKind::oversized, [&] {
    EXPECT_EQ(k.kmem_cache_create("huge", 131073, 0, SLAB_NONE), nullptr);
  });
  EXPECT_NE(msg.find("kmem_cache_create(huge): object size 131073"), std::string::npos) << msg;
  expect_one_report_and_no_change(k, ReportKind::oversized, [&] {
    EXPECT_EQ(k.kmem_cache_create("aligned", 64, 256 * KiB, SLAB_NONE), nullptr);
  });
  KmemCache* max = k.kmem_cache_create("max", 131072, 0, SLAB_NONE);
  ASSERT_NE(max, nullptr);
  EXPECT_EQ(max->order(), 5u);
  const VirtAddr a = k.kmem_cache_alloc(max, GFP_KERNEL);
  ASSERT_TRUE(a);
  k.kmem_cache_free(max, a);
  k.kmem_cache_destroy(max);
  EXPECT_EQ(k.reports().size(), 2u);
}

TEST(KmemCache, the_modern_profile_takes_objects_up_to_4_MiB) {
  Kernel k(MachineConfig{.kmalloc = MODERN});
  KmemCache* c = k.kmem_cache_create("four", 4 * MiB, 0, SLAB_NONE);
  ASSERT_NE(c, nullptr);
  const VirtAddr a = k.kmem_cache_alloc(c, GFP_KERNEL);
  ASSERT_TRUE(a);
  k.kmem_cache_free(c, a);
  k.kmem_cache_destroy(c);
  expect_one_report_and_no_change(k, ReportKind::oversized, [&] {
    EXPECT_EQ(k.kmem_cache_create("over", 4 * MiB + 1, 0, SLAB_NONE), nullptr);
  });
}

TEST(KmemCache, a_constructor_runs_on_every_new_object) {
  Kernel k;
  int calls = 0;
  KmemCache* c = k.kmem_cache_create("ctor", 100, 0, SLAB_NONE, [&](std::span<std::byte> obj) {
    ++calls;
    EXPECT_EQ(obj.size(), 100u);
    std::fill(obj.begin(), obj.end(), std::byte{0x42});
  });
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->poison());
  EXPECT_EQ(calls, 0);  // no slab yet
  std::vector<VirtAddr> objs;
  for (std::uint32_t i = 0; i <= c->objects_per_slab(); ++i)
    objs.push_back(k.kmem_cache_alloc(c, GFP_KERNEL));
  EXPECT_EQ(calls, static_cast<int>(2 * c->objects_per_slab()));  // two slabs, every object constructed
  for (VirtAddr o : objs)
    for (std::byte b : testing::bytes_at(k, o, 100)) ASSERT_EQ(b, std::byte{0x42});
  for (VirtAddr o : objs) k.kmem_cache_free(c, o);
  k.kmem_cache_destroy(c);
  EXPECT_TRUE(k.reports().empty());
}

TEST(KmemCache, destroy_with_a_live_object_reports_the_leak_and_keeps_the_cache) {
  Kernel k;
  const auto boot = snapshot(k);
  KmemCache* c = k.kmem_cache_create("leaky", 64, 0, SLAB_NONE);
  const VirtAddr a = k.kmem_cache_alloc(c, GFP_KERNEL);
  const VirtAddr b = k.kmem_cache_alloc(c, GFP_KERNEL);
  k.kmem_cache_free(c, a);
  const std::string msg =
      expect_one_report_and_no_change(k, ReportKind::cache_leak, [&] { k.kmem_cache_destroy(c); });
  EXPECT_EQ(msg.rfind("BUG leaky (Not tainted): Objects remaining in leaky", 0), 0u) << msg;
  EXPECT_NE(msg.find("Object " + hex(b.value)), std::string::npos) << msg;
  EXPECT_EQ(k.reports().back().addr, b.value);
  EXPECT_FALSE(c->is_dead());
  const VirtAddr again = k.kmem_cache_alloc(c, GFP_KERNEL);  // still a working cache
  ASSERT_TRUE(again);
  k.kmem_cache_free(c, again);
  k.kmem_cache_free(c, b);
  k.kmem_cache_destroy(c);
  EXPECT_TRUE(c->is_dead());
  EXPECT_EQ(k.slab().slab_pages(), 0u);
  EXPECT_EQ(snapshot(k), boot);
  EXPECT_EQ(k.reports().size(), 1u);
}

TEST(KmemCache, shrink_gives_empty_slabs_back_to_the_buddy_allocator) {
  Kernel k;
  const auto boot = snapshot(k);
  KmemCache* c = k.kmem_cache_create("shrinkme", 1000, 0, SLAB_NONE);
  ASSERT_EQ(c->objects_per_slab(), 4u);  // 1008-byte stride
  std::vector<VirtAddr> objs;
  for (int i = 0; i < 12; ++i) objs.push_back(k.kmem_cache_alloc(c, GFP_KERNEL));
  EXPECT_EQ(c->nr_slabs(SlabList::full), 3u);
  EXPECT_NE(k.proc_meminfo().find("Slab:                 12 kB\n"), std::string::npos) << k.proc_meminfo();
  for (VirtAddr o : objs) k.kmem_cache_free(c, o);
  // One empty slab is kept for the next allocation; the others went back at once.
  EXPECT_EQ(c->nr_slabs(SlabList::empty), SLAB_EMPTY_KEPT);
  EXPECT_EQ(c->nr_slabs(), SLAB_EMPTY_KEPT);
  EXPECT_EQ(k.slab().slab_pages(), 1u);
  EXPECT_NE(k.proc_meminfo().find("Slab:                  4 kB\n"), std::string::npos);
  k.kmem_cache_shrink(c);
  EXPECT_EQ(c->nr_slabs(), 0u);
  EXPECT_EQ(snapshot(k), boot);
  EXPECT_TRUE(k.kmem_cache_alloc(c, GFP_KERNEL));  // the cache lives on
  EXPECT_TRUE(k.reports().empty());
}

TEST(KmemCache, slab_cache_dma_takes_every_slab_below_16_MiB) {
  Kernel k;
  KmemCache* c = k.kmem_cache_create("dmabuf", 512, 0, SLAB_CACHE_DMA);
  std::vector<VirtAddr> objs;
  for (int i = 0; i < 100; ++i) {
    objs.push_back(k.kmem_cache_alloc(c, GFP_KERNEL));
    EXPECT_LT(k.virt_to_phys(objs.back()).value, 16 * MiB);
  }
  for (VirtAddr o : objs) k.kmem_cache_free(c, o);
  k.kmem_cache_destroy(c);
}

TEST(KmemCache, hwcache_aligned_objects_start_on_a_cache_line) {
  Kernel k;
  KmemCache* c = k.kmem_cache_create("lines", 100, 0, SLAB_HWCACHE_ALIGN);
  EXPECT_EQ(c->align(), 64u);
  std::vector<VirtAddr> objs;
  for (int i = 0; i < 40; ++i) {
    objs.push_back(k.kmem_cache_alloc(c, GFP_KERNEL));
    EXPECT_EQ(objs.back().value % 64, 0u);
  }
  for (VirtAddr o : objs) k.kmem_cache_free(c, o);
  k.kmem_cache_destroy(c);
}

TEST(KmemCache, poison_and_red_zone_flags_work_without_slab_debug) {
  Kernel k(MachineConfig{.slab_debug = false});
  KmemCache* plain = k.kmem_cache_create("plain", 64, 0, SLAB_NONE);
  EXPECT_FALSE(plain->red_zone());
  EXPECT_FALSE(plain->poison());
  EXPECT_EQ(plain->size(), 64u);
  KmemCache* dbg = k.kmem_cache_create("checked", 64, 0, SLAB_POISON | SLAB_RED_ZONE);
  EXPECT_TRUE(dbg->red_zone());
  EXPECT_TRUE(dbg->poison());
  EXPECT_EQ(dbg->size(), 72u);
  const VirtAddr a = k.kmem_cache_alloc(dbg, GFP_KERNEL);
  testing::fill(k, a + 64, 1, std::byte{0});
  expect_one_report_and_no_change(k, ReportKind::redzone, [&] { k.kmem_cache_free(dbg, a); });
}

TEST(KmemCache, gfp_zone_bits_do_not_move_a_cache_out_of_its_zone) {
  Kernel k(MachineConfig{.mem_bytes = 1 * GiB});
  KmemCache* c = k.kmem_cache_create("normal", 64, 0, SLAB_NONE);
  const VirtAddr a = k.kmem_cache_alloc(c, GFP_HIGHUSER);  // never highmem: slabs are direct-mapped
  ASSERT_TRUE(a);
  EXPECT_TRUE(k.layout().in_direct_map(a));
  EXPECT_GE(k.virt_to_phys(a).value, 16 * MiB);
  k.kmem_cache_free(c, a);
}

TEST(KmemCache, freed_objects_come_back_last_in_first_out) {
  Kernel k;
  KmemCache* c = k.kmem_cache_create("lifo", 64, 0, SLAB_NONE);
  const VirtAddr a = k.kmem_cache_alloc(c, GFP_KERNEL);
  const VirtAddr b = k.kmem_cache_alloc(c, GFP_KERNEL);
  const VirtAddr d = k.kmem_cache_alloc(c, GFP_KERNEL);
  k.kmem_cache_free(c, b);
  k.kmem_cache_free(c, a);
  const std::uint32_t id = slab_of(k, a);
  const auto fl = k.slab().free_list(id, 1000);
  ASSERT_GE(fl.size(), 3u);
  EXPECT_EQ(fl[0], 0u);  // a
  EXPECT_EQ(fl[1], 1u);  // b
  EXPECT_EQ(fl[2], 3u);  // the never-used rest, in address order
  EXPECT_EQ(fl.size(), c->objects_per_slab() - 1);
  EXPECT_EQ(k.kmem_cache_alloc(c, GFP_KERNEL), a);
  EXPECT_EQ(k.kmem_cache_alloc(c, GFP_KERNEL), b);
  for (VirtAddr o : {a, b, d}) k.kmem_cache_free(c, o);
}

// ---- misuse of cache pointers -----------------------------------------------------------------

TEST(KmemCacheMisuse, bad_cache_pointers_are_reported_and_never_followed) {
  Kernel k;
  KmemCache* gone = k.kmem_cache_create("gone", 32, 0, SLAB_NONE);
  KmemCache* live = k.kmem_cache_create("live", 32, 0, SLAB_NONE);
  k.kmem_cache_destroy(gone);
  const VirtAddr obj = k.kmem_cache_alloc(live, GFP_KERNEL);
  auto* garbage = reinterpret_cast<KmemCache*>(std::uintptr_t{0xdeadbee0});
  using R = ReportKind;
  expect_one_report_and_no_change(k, R::bad_address,
                                  [&] { EXPECT_FALSE(k.kmem_cache_alloc(nullptr, GFP_KERNEL)); });
  expect_one_report_and_no_change(k, R::bad_address,
                                  [&] { EXPECT_FALSE(k.kmem_cache_alloc(gone, GFP_KERNEL)); });
  expect_one_report_and_no_change(k, R::bad_address,
                                  [&] { EXPECT_FALSE(k.kmem_cache_alloc(garbage, GFP_KERNEL)); });
  expect_one_report_and_no_change(k, R::wrong_cache, [&] { k.kmem_cache_free(gone, obj); });
  expect_one_report_and_no_change(k, R::wrong_cache, [&] { k.kmem_cache_free(nullptr, obj); });
  expect_one_report_and_no_change(k, R::wrong_cache, [&] { k.kmem_cache_free(garbage, obj); });
  expect_one_report_and_no_change(k, R::double_free, [&] { k.kmem_cache_destroy(gone); });
  expect_one_report_and_no_change(k, R::bad_address, [&] { k.kmem_cache_destroy(garbage); });
  expect_one_report_and_no_change(k, R::bad_address, [&] { k.kmem_cache_shrink(gone); });
  const std::string msg =
      expect_one_report_and_no_change(k, R::bad_address, [&] { k.kmem_cache_shrink(nullptr); });
  EXPECT_EQ(msg, "BUG: kmem_cache_shrink: NULL is not a kmem_cache");
  // kmem_cache_destroy(NULL) does nothing, as in Linux.
  const std::size_t n = k.reports().size();
  k.kmem_cache_destroy(nullptr);
  EXPECT_EQ(k.reports().size(), n);
  // The kmalloc caches belong to the kernel.
  ASSERT_TRUE(k.kmalloc(100, GFP_KERNEL));
  auto* size128 = const_cast<KmemCache*>(k.slab().kmalloc_cache(100, false));
  ASSERT_NE(size128, nullptr);
  expect_one_report_and_no_change(k, R::bad_address, [&] { k.kmem_cache_destroy(size128); });
  k.kmem_cache_free(live, obj);
  EXPECT_EQ(k.reports().size(), n + 1);
}

TEST(KmemCacheMisuse, a_sleeping_call_in_atomic_context_is_reported_and_changes_nothing) {
  Kernel k;
  KmemCache* c = k.kmem_cache_create("atomic", 64, 0, SLAB_NONE);
  const VirtAddr keep = k.kmem_cache_alloc(c, GFP_KERNEL);
  k.set_atomic(true);
  const std::string msg = expect_one_report_and_no_change(
      k, ReportKind::sleep_in_atomic, [&] { EXPECT_FALSE(k.kmem_cache_alloc(c, GFP_KERNEL)); });
  EXPECT_NE(msg.find("sleeping function called from invalid context: kmem_cache_alloc"), std::string::npos);
  expect_one_report_and_no_change(k, ReportKind::sleep_in_atomic,
                                  [&] { EXPECT_EQ(k.kmem_cache_create("x", 8, 0, SLAB_NONE), nullptr); });
  expect_one_report_and_no_change(k, ReportKind::sleep_in_atomic, [&] { k.kmem_cache_destroy(c); });
  expect_one_report_and_no_change(k, ReportKind::sleep_in_atomic, [&] { k.kmem_cache_shrink(c); });
  const std::size_t n = k.reports().size();
  const VirtAddr atomic = k.kmem_cache_alloc(c, GFP_ATOMIC);  // legal in atomic context
  EXPECT_TRUE(atomic);
  k.kmem_cache_free(c, atomic);  // so is freeing
  k.set_atomic(false);
  k.kmem_cache_free(c, keep);
  EXPECT_EQ(k.reports().size(), n);
}

// ---- failslab ---------------------------------------------------------------------------------

FaultAttr& arm_failslab(Kernel& k) {
  FaultAttr& f = k.failslab();
  f.probability = 100;
  f.times = -1;
  f.ignore_gfp_wait = false;
  return f;
}

/// Which of `n` allocations from `c` failed (1-based); frees the rest.
std::vector<int> failing_allocs(Kernel& k, KmemCache* c, int n, gfp_t gfp) {
  std::vector<int> failed;
  std::vector<VirtAddr> got;
  for (int i = 1; i <= n; ++i) {
    const VirtAddr a = k.kmem_cache_alloc(c, gfp);
    if (a)
      got.push_back(a);
    else
      failed.push_back(i);
  }
  for (VirtAddr a : got) k.kmem_cache_free(c, a);
  return failed;
}

TEST(Failslab, an_injected_failure_returns_null_and_changes_nothing) {
  Kernel k;
  KmemCache* c = k.kmem_cache_create("victim", 100, 0, SLAB_NONE);
  const VirtAddr keep = k.kmem_cache_alloc(c, GFP_KERNEL);
  arm_failslab(k);
  const auto before = slab_snapshot(k);
  EXPECT_FALSE(k.kmem_cache_alloc(c, GFP_KERNEL));
  EXPECT_FALSE(k.kmalloc(64, GFP_KERNEL));
  EXPECT_TRUE(slab_snapshot(k) == before);
  EXPECT_TRUE(k.reports().empty());
  EXPECT_EQ(k.failslab().failures, 2u);
  k.failslab().disable();
  k.kmem_cache_free(c, keep);
}

TEST(Failslab, cache_filter_limits_failures_to_the_named_cache) {
  Kernel k;
  KmemCache* victim = k.kmem_cache_create("victim", 100, 0, SLAB_NONE);
  KmemCache* other = k.kmem_cache_create("bystander", 100, 0, SLAB_NONE);
  arm_failslab(k).cache_filter = "victim";
  EXPECT_EQ(failing_allocs(k, victim, 3, GFP_KERNEL), (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(failing_allocs(k, other, 3, GFP_KERNEL).empty());
  const VirtAddr a = k.kmalloc(100, GFP_KERNEL);
  EXPECT_TRUE(a);
  k.kfree(a);
  k.failslab().cache_filter = "size-128";  // kmalloc caches go by their names too
  EXPECT_FALSE(k.kmalloc(100, GFP_KERNEL));
  EXPECT_TRUE(k.kmalloc(200, GFP_KERNEL));
}

TEST(Failslab, ignore_gfp_wait_spares_sleeping_calls) {
  Kernel k;
  KmemCache* c = k.kmem_cache_create("c", 100, 0, SLAB_NONE);
  arm_failslab(k).ignore_gfp_wait = true;
  EXPECT_TRUE(failing_allocs(k, c, 3, GFP_KERNEL).empty());
  EXPECT_EQ(failing_allocs(k, c, 2, GFP_ATOMIC), (std::vector<int>{1, 2}));
  EXPECT_TRUE(failing_allocs(k, c, 2, GFP_ATOMIC | GFP_NOFAIL).empty());
}

TEST(Failslab, interval_times_and_space_follow_linux_order) {
  Kernel k;
  KmemCache* c = k.kmem_cache_create("c", 100, 0, SLAB_NONE);
  arm_failslab(k).interval = 3;
  EXPECT_EQ(failing_allocs(k, c, 10, GFP_KERNEL), (std::vector<int>{3, 6, 9}));
  k.failslab().disable();
  arm_failslab(k).times = 2;
  EXPECT_EQ(failing_allocs(k, c, 5, GFP_KERNEL), (std::vector<int>{1, 2}));
  k.failslab().disable();
  arm_failslab(k).space = 250;  // two 100-byte objects pass first
  EXPECT_EQ(failing_allocs(k, c, 4, GFP_KERNEL), (std::vector<int>{3, 4}));
}

TEST(Failslab, probability_rolls_are_deterministic_from_the_machine_seed) {
  const std::uint64_t seed = testing::test_seed(3);
  auto pattern = [](std::uint64_t s) {
    Kernel k(MachineConfig{.mem_bytes = 16 * MiB, .seed = s});
    KmemCache* c = k.kmem_cache_create("c", 64, 0, SLAB_NONE);
    arm_failslab(k).probability = 25;
    return failing_allocs(k, c, 200, GFP_KERNEL);
  };
  const auto a = pattern(seed);
  EXPECT_EQ(a, pattern(seed));
  EXPECT_NE(a, pattern(seed + 1));
  EXPECT_GT(a.size(), 20u);  // about 50 expected
  EXPECT_LT(a.size(), 90u);
}

// ---- read-only view and test hooks ----------------------------------------------------------

TEST(SlabTestHooks, corruptions_show_in_the_read_only_view) {
  Kernel k;
  KmemCache* c = k.kmem_cache_create("victim", 64, 0, SLAB_NONE);
  const VirtAddr a = k.kmem_cache_alloc(c, GFP_KERNEL);
  const VirtAddr b = k.kmem_cache_alloc(c, GFP_KERNEL);
  const std::uint32_t id = slab_of(k, a);
  const std::uint32_t objects = c->objects_per_slab();
  SlabAllocator& sa = k.slab_for_testing();
  ASSERT_EQ(sa.free_list(id, objects + 1).size(), objects - 2);

  sa.freelist_cycle_for_testing(id);  // a walk never ends: longer than the free count
  EXPECT_EQ(sa.free_list(id, objects + 1).size(), objects + 1);

  Kernel k2;
  KmemCache* c2 = k2.kmem_cache_create("victim", 64, 0, SLAB_NONE);
  const VirtAddr x = k2.kmem_cache_alloc(c2, GFP_KERNEL);
  const std::uint32_t id2 = k2.slab().object_containing(x)->slab;
  k2.slab_for_testing().push_free_for_testing(id2, 0);  // a live object on the free list
  EXPECT_EQ(k2.slab().free_list(id2, objects + 1).front(), 0u);
  EXPECT_EQ(k2.slab().slab(id2).live[0], 1u);

  sa.bump_inuse_for_testing(id, 5);
  EXPECT_EQ(k.slab().slab(id).inuse, 7u);
  EXPECT_EQ(c->active_objs(), 7u);
  sa.move_slab_for_testing(id, SlabList::full);
  EXPECT_EQ(c->list_head(SlabList::full), id);
  EXPECT_EQ(c->nr_slabs(SlabList::partial), 0u);
  (void)b;
}

TEST(SlabIntrospection, object_containing_finds_the_object_of_any_inner_address) {
  Kernel k;
  KmemCache* c = k.kmem_cache_create("inner", 100, 0, SLAB_NONE);
  const VirtAddr a = k.kmem_cache_alloc(c, GFP_KERNEL);
  for (std::uint64_t off : {0ull, 1ull, 99ull, 100ull, 103ull}) {
    const auto ref = k.slab().object_containing(a + off);
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref->start, a);
    EXPECT_EQ(ref->offset, off);
    EXPECT_EQ(ref->cache, c);
    EXPECT_TRUE(ref->live);
  }
  EXPECT_TRUE(k.slab().is_live_object(a));
  EXPECT_FALSE(k.slab().is_live_object(a + 1));
  EXPECT_FALSE(k.slab().is_live_object(a + c->size()));  // a free neighbour
  EXPECT_FALSE(k.slab().object_containing(VirtAddr{0x1000}));
  k.kmem_cache_free(c, a);
  EXPECT_FALSE(k.slab().is_live_object(a));
}

TEST(SlabIntrospection, every_byte_of_a_slab_maps_to_the_right_object) {
  // Objects are found by a multiply-and-shift in place of a division: check it
  // against the division for every byte of slabs with awkward strides.
  Kernel k(MachineConfig{.kmalloc = KmallocProfile::modern});
  for (std::size_t size : {1u, 24u, 1000u, 3000u, 40000u, 700000u}) {
    KmemCache* c = k.kmem_cache_create("stride", size, 0, SLAB_NONE);
    const VirtAddr a = k.kmem_cache_alloc(c, GFP_KERNEL);
    const VirtAddr base = k.pfn_to_virt(Pfn{k.slab().slab(slab_of(k, a)).head_pfn});
    const std::uint64_t used = std::uint64_t{c->objects_per_slab()} * c->size();
    for (std::uint64_t off = 0; off < used; ++off) {
      const auto ref = k.slab().object_containing(base + off);
      ASSERT_TRUE(ref) << size << " " << off;
      ASSERT_EQ(ref->index, off / c->size()) << size << " " << off;
      ASSERT_EQ(ref->offset, off % c->size()) << size << " " << off;
    }
    EXPECT_FALSE(k.slab().object_containing(base + used));  // the unused tail, if any
    k.kmem_cache_free(c, a);
    k.kmem_cache_destroy(c);
  }
  EXPECT_TRUE(k.reports().empty());
}

// ---- whole-layer properties -----------------------------------------------------------------

TEST(KmemCache, random_use_keeps_objects_disjoint_intact_and_restores_boot_state) {
  const std::uint64_t seed = testing::test_seed(11);
  Kernel k(MachineConfig{.mem_bytes = 32 * MiB, .seed = seed});
  const auto boot = snapshot(k);
  Rng rng(seed);
  std::vector<KmemCache*> caches;
  for (std::size_t size : {1u, 8u, 72u, 200u, 1000u, 5000u, 40000u})
    caches.push_back(k.kmem_cache_create("c" + std::to_string(size), size, 0, SLAB_NONE));
  struct Live {
    KmemCache* cache;
    VirtAddr addr;
    std::byte stamp;
  };
  std::vector<Live> live;
  std::map<std::uint64_t, std::uint64_t> extents;  // start → end, to prove disjointness
  for (int op = 0; op < 4000; ++op) {
    if (live.empty() || rng.below(100) < 55) {
      KmemCache* c = caches[rng.below(caches.size())];
      const VirtAddr a = k.kmem_cache_alloc(c, GFP_KERNEL);
      ASSERT_TRUE(a);
      ASSERT_EQ(a.value % c->align(), 0u);
      const auto [it, fresh] = extents.emplace(a.value, a.value + c->object_size());
      ASSERT_TRUE(fresh);
      if (it != extents.begin()) {
        ASSERT_LE(std::prev(it)->second, a.value);
      }
      if (std::next(it) != extents.end()) {
        ASSERT_LE(it->second, std::next(it)->first);
      }
      const auto stamp = static_cast<std::byte>(rng.below(256));
      testing::fill(k, a, c->object_size(), stamp);
      live.push_back({c, a, stamp});
    } else {
      const std::size_t i = rng.below(live.size());
      const Live l = live[i];
      for (std::byte b : testing::bytes_at(k, l.addr, l.cache->object_size())) ASSERT_EQ(b, l.stamp);
      ASSERT_EQ(k.slab().live_object_cache(l.addr), l.cache);
      k.kmem_cache_free(l.cache, l.addr);
      extents.erase(l.addr.value);
      live[i] = live.back();
      live.pop_back();
    }
  }
  for (const Live& l : live) k.kmem_cache_free(l.cache, l.addr);
  for (KmemCache* c : caches) k.kmem_cache_destroy(c);
  EXPECT_TRUE(k.reports().empty());
  EXPECT_EQ(k.slab().slab_pages(), 0u);
  EXPECT_EQ(snapshot(k), boot);
}

TEST(KmemCache, the_same_calls_give_the_same_addresses) {
  auto run = [] {
    Kernel k(MachineConfig{.mem_bytes = 16 * MiB, .seed = 5});
    KmemCache* c = k.kmem_cache_create("det", 96, 0, SLAB_NONE);
    Rng rng(21);
    std::vector<std::uint64_t> out;
    std::vector<VirtAddr> live;
    for (int i = 0; i < 500; ++i) {
      if (live.empty() || rng.below(3)) {
        live.push_back(rng.below(2) ? k.kmem_cache_alloc(c, GFP_KERNEL)
                                    : k.kmalloc(rng.below(3000), GFP_KERNEL));
        out.push_back(live.back().value);
      } else {
        const std::size_t j = rng.below(live.size());
        k.kfree(live[j]);  // kfree takes kmem_cache objects too
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(j));
      }
    }
    out.push_back(k.reports().size());
    return std::make_pair(out, k.proc_slabinfo());
  };
  EXPECT_EQ(run(), run());
}

// ---- /proc/slabinfo -------------------------------------------------------------------------

const std::string SLABINFO_HEADER =
    "slabinfo - version: 2.1\n"
    "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> "
    "<batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n";

TEST(ProcSlabinfo, matches_the_2_1_format_on_the_documents_machine) {
  Kernel k;  // 2.6.18 profile, slab_debug: every size-N is naturally aligned, so its red zone doubles it
  KmemCache* foo = k.kmem_cache_create("foo", 72, 0, SLAB_NONE);                  // stride 80, 51 per page
  KmemCache* big = k.kmem_cache_create("a_long_cache_name", 3000, 0, SLAB_NONE);  // 3008, 5 per order 2
  for (int i = 0; i < 3; ++i) k.kmem_cache_alloc(foo, GFP_KERNEL);
  k.kmem_cache_alloc(big, GFP_KERNEL);
  for (int i = 0; i < 17; ++i) k.kmalloc(100, GFP_KERNEL);  // a full size-128 slab and one more object
  k.kmalloc(5000, GFP_DMA);
  const std::string expected = SLABINFO_HEADER +
                               "a_long_cache_name      1      5   3008    5    4 : tunables    0    0    0 : "
                               "slabdata      1      1      0\n"
                               "foo                    3     51     80   51    1 : tunables    0    0    0 : "
                               "slabdata      1      1      0\n"
                               "size-131072(DMA)       0      0 131072    1   32 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-131072            0      0 131072    1   32 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-65536(DMA)        0      0 131072    1   32 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-65536             0      0 131072    1   32 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-32768(DMA)        0      0  65536    1   16 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-32768             0      0  65536    1   16 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-16384(DMA)        0      0  32768    1    8 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-16384             0      0  32768    1    8 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-8192(DMA)         1      1  16384    1    4 : tunables    0    0    0 : "
                               "slabdata      1      1      0\n"
                               "size-8192              0      0  16384    1    4 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-4096(DMA)         0      0   8192    1    2 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-4096              0      0   8192    1    2 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-2048(DMA)         0      0   4096    1    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-2048              0      0   4096    1    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-1024(DMA)         0      0   2048    2    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-1024              0      0   2048    2    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-512(DMA)          0      0   1024    4    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-512               0      0   1024    4    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-256(DMA)          0      0    512    8    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-256               0      0    512    8    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-192(DMA)          0      0    256   16    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-192               0      0    256   16    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-128(DMA)          0      0    256   16    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-128              17     32    256   16    1 : tunables    0    0    0 : "
                               "slabdata      2      2      0\n"
                               "size-64(DMA)           0      0    128   32    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-64                0      0    128   32    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-32(DMA)           0      0     64   64    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n"
                               "size-32                0      0     64   64    1 : tunables    0    0    0 : "
                               "slabdata      0      0      0\n";
  EXPECT_EQ(k.proc_slabinfo(), expected);
}

TEST(ProcSlabinfo, without_slab_debug_strides_are_the_size_classes) {
  Kernel k(MachineConfig{.slab_debug = false});
  const std::string s = k.proc_slabinfo();
  EXPECT_NE(s.find("\nsize-131072            0      0 131072    1   32 :"), std::string::npos) << s;
  EXPECT_NE(s.find("\nsize-4096              0      0   4096    1    1 :"), std::string::npos) << s;
  EXPECT_NE(s.find("\nsize-192               0      0    192   21    1 :"), std::string::npos) << s;
  EXPECT_NE(s.find("\nsize-128               0      0    128   32    1 :"), std::string::npos) << s;
  EXPECT_NE(s.find("\nsize-32                0      0     32  128    1 :"), std::string::npos) << s;
}

TEST(ProcSlabinfo, the_modern_profile_lists_kmalloc_and_dma_kmalloc_caches) {
  Kernel k(MachineConfig{.kmalloc = MODERN, .slab_debug = false});
  const std::string s = k.proc_slabinfo();
  ASSERT_EQ(s.rfind(SLABINFO_HEADER, 0), 0u);
  const std::string rows = s.substr(SLABINFO_HEADER.size());
  EXPECT_EQ(rows.rfind("dma-kmalloc-8k         0      0   8192    1    2 :", 0), 0u) << rows;
  EXPECT_NE(rows.find("\nkmalloc-8k             0      0   8192    1    2 :"), std::string::npos);
  EXPECT_NE(rows.find("\nkmalloc-96             0      0     96   42    1 :"), std::string::npos);
  EXPECT_NE(
      rows.find(
          "\nkmalloc-8              0      0      8  512    1 : tunables    0    0    0 : slabdata      0 "
          "     0      0\n"),
      std::string::npos);
  // Every row has the kernel's shape, so slabtop and vmstat -m can read it.
  const std::regex line(
      R"([^ ]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ : tunables +0 +0 +0 : slabdata +[0-9]+ +[0-9]+ +0)");
  std::istringstream in(rows);
  int n = 0;
  for (std::string l; std::getline(in, l); ++n) EXPECT_TRUE(std::regex_match(l, line)) << l;
  EXPECT_EQ(n, 26);
}

TEST(ProcSlabinfo, destroyed_caches_disappear) {
  Kernel k;
  KmemCache* c = k.kmem_cache_create("ephemeral", 64, 0, SLAB_NONE);
  EXPECT_NE(k.proc_slabinfo().find("\nephemeral "), std::string::npos);
  k.kmem_cache_destroy(c);
  EXPECT_EQ(k.proc_slabinfo().find("\nephemeral "), std::string::npos);
}

}  // namespace
}  // namespace kmf
