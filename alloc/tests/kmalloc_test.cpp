// kmalloc_test.cpp — kmalloc, kzalloc, kfree, ksize, krealloc on both
// profiles (alloc/kmalloc.cpp): the documents' experiment, the limits, size
// classes, physical contiguity, zeroing, DMA, large modern requests, misuse.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "alloc/slab.h"
#include "alloc/tests/slab_test_util.h"

namespace kmf {
namespace {

using testing::expect_one_report_and_no_change;
using testing::slab_snapshot;
using testing::snapshot;

constexpr auto OLD = KmallocProfile::linux_2_6_18;
constexpr auto MODERN = KmallocProfile::modern;

MachineConfig modern(std::uint64_t mem = 160 * MiB) {
  return MachineConfig{.mem_bytes = mem, .kmalloc = MODERN};
}

/// Frees everything given, drops the kept empty slabs, and checks that the
/// page allocator is back at its boot state with no report on the way.
void expect_restored(Kernel& k, const testing::BuddySnapshot& boot, const std::vector<VirtAddr>& live) {
  const std::size_t reports = k.reports().size();
  for (VirtAddr a : live) k.kfree(a);
  k.drop_slab();
  EXPECT_EQ(k.reports().size(), reports);
  EXPECT_EQ(k.slab().slab_pages(), 0u);
  EXPECT_EQ(snapshot(k), boot);
}

TEST(Kmalloc, the_documents_kmalloc_100_is_a_direct_mapped_128_byte_object) {
  Kernel k;  // 160 MiB i386, 2.6.18 profile, slab_debug on
  const auto boot = snapshot(k);
  const VirtAddr p = k.kmalloc(100, GFP_KERNEL);
  ASSERT_TRUE(p);
  EXPECT_TRUE(k.layout().in_direct_map(p));
  EXPECT_GE(p.value, 0xC0000000ULL);
  EXPECT_LT(p.value, 0xC0000000ULL + 160 * MiB);
  EXPECT_EQ(k.virt_to_phys(p).value, p.value - 0xC0000000ULL);
  EXPECT_EQ(k.ksize(p), 128u);
  EXPECT_EQ((p.value & (PAGE_SIZE - 1)) % 128, 0u);
  EXPECT_EQ(k.slab().live_object_cache(p)->name(), "size-128");
  expect_restored(k, boot, {p});
}

TEST(Kmalloc, the_2_6_18_limit_is_128_KiB) {
  Kernel k;
  const auto boot = snapshot(k);
  EXPECT_EQ(k.kmalloc_max_size(), 131072u);
  const VirtAddr max = k.kmalloc(131072, GFP_KERNEL);
  ASSERT_TRUE(max);
  EXPECT_EQ(k.ksize(max), 131072u);
  const auto before = slab_snapshot(k);
  EXPECT_FALSE(k.kmalloc(131073, GFP_KERNEL));
  EXPECT_FALSE(k.kmalloc(SIZE_MAX, GFP_KERNEL));
  EXPECT_TRUE(slab_snapshot(k) == before);
  EXPECT_TRUE(k.reports().empty());  // a failure, not a misuse
  expect_restored(k, boot, {max});
}

TEST(Kmalloc, the_modern_limit_is_4_MiB_straight_from_the_page_allocator) {
  Kernel k(modern());
  const auto boot = snapshot(k);
  EXPECT_EQ(k.kmalloc_max_size(), 4 * MiB);
  const VirtAddr max = k.kmalloc(4 * MiB, GFP_KERNEL);
  ASSERT_TRUE(max);
  EXPECT_EQ(k.ksize(max), 4 * MiB);
  const Page& head = k.mem().page(k.virt_to_pfn(max).value);
  EXPECT_EQ(head.owner, PageOwner::large_kmalloc);
  EXPECT_EQ(head.order, 10u);
  EXPECT_EQ(k.slab().slab_pages(), 0u);  // not slab memory
  EXPECT_FALSE(k.kmalloc(4 * MiB + 1, GFP_KERNEL));
  EXPECT_TRUE(k.reports().empty());
  // 8 KiB is the last slab class; one byte more is 3 pages, rounded to order 2.
  const VirtAddr slab = k.kmalloc(8192, GFP_KERNEL);
  EXPECT_EQ(k.slab().live_object_cache(slab)->name(), "kmalloc-8k");
  const VirtAddr large = k.kmalloc(8193, GFP_KERNEL);
  EXPECT_EQ(k.slab().live_object_cache(large), nullptr);
  EXPECT_EQ(k.ksize(large), 16384u);
  EXPECT_TRUE(k.slab().is_live_object(large));
  expect_restored(k, boot, {max, slab, large});
}

TEST(Kmalloc, every_byte_of_every_size_class_is_physically_contiguous) {
  for (KmallocProfile prof : {OLD, MODERN}) {
    for (bool debug : {true, false}) {
      Kernel k(MachineConfig{.kmalloc = prof, .slab_debug = debug});
      const auto boot = snapshot(k);
      std::vector<VirtAddr> live;
      std::vector<std::size_t> sizes(kmalloc_size_classes(prof).begin(), kmalloc_size_classes(prof).end());
      if (prof == MODERN) sizes.insert(sizes.end(), {8193, 64 * KiB, 128 * KiB, 4 * MiB});
      for (std::size_t size : sizes) {
        for (gfp_t gfp : {GFP_KERNEL, GFP_KERNEL | GFP_DMA}) {
          const VirtAddr p = k.kmalloc(size, gfp);
          ASSERT_TRUE(p) << size;
          live.push_back(p);
          EXPECT_GE(k.ksize(p), size);
          const std::uint64_t phys = k.virt_to_phys(p).value;
          for (std::uint64_t i = 0; i < size; ++i) ASSERT_EQ(k.translate(p + i)->value, phys + i) << size;
          if (gfp & GFP_DMA) {
            EXPECT_LE(phys + size, 16 * MiB) << size;
          }
          // Power-of-two classes are naturally aligned (in the page, or to the page).
          if ((size & (size - 1)) == 0) {
            EXPECT_EQ(p.value % std::min<std::uint64_t>(size, PAGE_SIZE), 0u) << size;
          }
        }
      }
      expect_restored(k, boot, live);
    }
  }
}

TEST(Kmalloc, ksize_is_the_smallest_class_that_fits) {
  Kernel k;
  struct Case {
    std::size_t request, ksize;
  };
  for (Case c : {Case{0, 32},
                 {1, 32},
                 {32, 32},
                 {33, 64},
                 {65, 128},
                 {96, 128},
                 {129, 192},
                 {192, 192},
                 {193, 256},
                 {4095, 4096},
                 {4097, 8192},
                 {65537, 131072}}) {
    const VirtAddr p = k.kmalloc(c.request, GFP_KERNEL);
    EXPECT_EQ(k.ksize(p), c.ksize) << c.request;
    k.kfree(p);
  }
  Kernel m(modern());
  for (Case c : {Case{1, 8},
                 {8, 8},
                 {9, 16},
                 {65, 96},
                 {96, 96},
                 {97, 128},
                 {129, 192},
                 {193, 256},
                 {1025, 2048},
                 {8192, 8192},
                 {8193, 16384},
                 {4 * MiB - 1, 4 * MiB}}) {
    const VirtAddr p = m.kmalloc(c.request, GFP_KERNEL);
    EXPECT_EQ(m.ksize(p), c.ksize) << c.request;
    m.kfree(p);
  }
  EXPECT_TRUE(k.reports().empty());
  EXPECT_TRUE(m.reports().empty());
}

TEST(Kmalloc, kzalloc_reads_zero_even_after_the_object_was_dirtied_and_freed) {
  for (KmallocProfile prof : {OLD, MODERN}) {
    for (bool debug : {true, false}) {
      Kernel k(MachineConfig{.kmalloc = prof, .slab_debug = debug});
      for (std::size_t size : {100u, 4000u, 20000u}) {
        const VirtAddr dirty = k.kmalloc(size, GFP_KERNEL);
        testing::fill(k, dirty, size, std::byte{0xa7});
        k.kfree(dirty);
        const VirtAddr z = k.kzalloc(size, GFP_KERNEL);
        ASSERT_EQ(z, dirty);  // LIFO: the very same object comes back
        for (std::byte b : testing::bytes_at(k, z, k.ksize(z))) ASSERT_EQ(b, std::byte{0}) << size;
        k.kfree(z);
      }
      EXPECT_TRUE(k.reports().empty());
    }
  }
}

TEST(Kmalloc, gfp_dma_memory_lies_below_16_MiB) {
  for (KmallocProfile prof : {OLD, MODERN}) {
    Kernel k(MachineConfig{.mem_bytes = 1 * GiB, .kmalloc = prof});
    std::vector<VirtAddr> live;
    for (std::size_t size : {8u, 100u, 3000u, 8000u, 20000u}) {
      const VirtAddr p = k.kmalloc(size, GFP_KERNEL | GFP_DMA);
      ASSERT_TRUE(p);
      EXPECT_LT(k.virt_to_phys(p).value + size, 16 * MiB);
      if (const KmemCache* c = k.slab().live_object_cache(p)) {
        EXPECT_TRUE(c->is_dma());
        EXPECT_NE(c->name().find(prof == OLD ? "(DMA)" : "dma-kmalloc-"), std::string_view::npos);
      }
      live.push_back(p);
      const VirtAddr normal = k.kmalloc(size, GFP_KERNEL);
      EXPECT_GE(k.virt_to_phys(normal).value, 16 * MiB);
      live.push_back(normal);
    }
    for (VirtAddr p : live) k.kfree(p);
  }
}

TEST(Kmalloc, zero_sizes_and_null_follow_each_profile) {
  Kernel m(modern());
  EXPECT_EQ(m.kmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
  EXPECT_EQ(m.ksize(ZERO_SIZE_PTR), 0u);
  m.kfree(ZERO_SIZE_PTR);
  m.kfree(VirtAddr{0});
  EXPECT_TRUE(m.reports().empty());
  EXPECT_EQ(m.slab().nr_caches(), 0u);
  Kernel k;  // 2.6.18 predates ZERO_SIZE_PTR: kmalloc(0) is a size-32 object
  const VirtAddr p = k.kmalloc(0, GFP_KERNEL);
  EXPECT_EQ(k.ksize(p), 32u);
  k.kfree(p);
  k.kfree(VirtAddr{0});
  EXPECT_TRUE(k.reports().empty());
}

TEST(Kmalloc, booting_creates_no_cache_and_takes_no_frame) {
  Kernel k;
  EXPECT_EQ(k.slab().nr_caches(), 0u);
  EXPECT_EQ(k.slab().kmalloc_cache(100, false), nullptr);
  const auto before = snapshot(k);
  (void)k.proc_slabinfo();  // lists every kmalloc cache without creating one
  EXPECT_EQ(k.slab().nr_caches(), 0u);
  EXPECT_EQ(snapshot(k), before);
}

TEST(Krealloc, growing_keeps_the_contents) {
  for (KmallocProfile prof : {OLD, MODERN}) {
    Kernel k(MachineConfig{.kmalloc = prof});
    const auto boot = snapshot(k);
    VirtAddr p = k.kmalloc(50, GFP_KERNEL);
    std::vector<std::byte> pattern(50);
    for (std::size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<std::byte>(i * 7 + 1);
    ASSERT_TRUE(k.write(p, pattern));
    for (std::size_t size : {60u, 64u, 100u, 3000u, 70000u}) {
      const VirtAddr q = k.krealloc(p, size, GFP_KERNEL);
      ASSERT_TRUE(q) << size;
      EXPECT_GE(k.ksize(q), size);
      EXPECT_EQ(testing::bytes_at(k, q, 50), pattern) << size;
      if (size <= 64) {  // still fits its 64-byte class
        EXPECT_EQ(q, p);
      }
      p = q;
    }
    // Shrinking keeps the object where it is.
    EXPECT_EQ(k.krealloc(p, 10, GFP_KERNEL), p);
    EXPECT_EQ(testing::bytes_at(k, p, 50), pattern);
    EXPECT_TRUE(k.reports().empty());
    expect_restored(k, boot, {p});
  }
}

TEST(Krealloc, null_zero_and_failure_follow_linux) {
  Kernel k(modern());
  const VirtAddr p = k.krealloc(VirtAddr{0}, 100, GFP_KERNEL);  // krealloc(NULL) is kmalloc
  EXPECT_EQ(k.ksize(p), 128u);
  EXPECT_FALSE(k.krealloc(p, 4 * MiB + 1, GFP_KERNEL));  // too big: the old object stays
  EXPECT_TRUE(k.slab().is_live_object(p));
  EXPECT_EQ(k.krealloc(p, 0, GFP_KERNEL), ZERO_SIZE_PTR);  // size 0 frees
  EXPECT_FALSE(k.slab().is_live_object(p));
  EXPECT_TRUE(k.reports().empty());
  // Reallocating something already freed is the kfree misuse it would be.
  expect_one_report_and_no_change(k, ReportKind::double_free,
                                  [&] { EXPECT_FALSE(k.krealloc(p, 200, GFP_KERNEL)); });
}

TEST(KmallocMisuse, a_sleeping_kmalloc_in_atomic_context_is_reported_and_fails) {
  Kernel k;
  const VirtAddr keep = k.kmalloc(100, GFP_KERNEL);
  k.set_atomic(true);
  const std::string msg = expect_one_report_and_no_change(k, ReportKind::sleep_in_atomic,
                                                          [&] { EXPECT_FALSE(k.kmalloc(100, GFP_KERNEL)); });
  EXPECT_NE(msg.find("sleeping function called from invalid context: kmalloc"), std::string::npos) << msg;
  expect_one_report_and_no_change(k, ReportKind::sleep_in_atomic,
                                  [&] { EXPECT_FALSE(k.krealloc(keep, 1000, GFP_KERNEL)); });
  const std::size_t n = k.reports().size();
  const VirtAddr atomic = k.kmalloc(100, GFP_ATOMIC);
  EXPECT_TRUE(atomic);
  k.kfree(atomic);
  k.kfree(keep);
  k.set_atomic(false);
  EXPECT_EQ(k.reports().size(), n);
}

TEST(KmallocMisuse, kfree_of_what_kmalloc_never_gave_is_reported_and_changes_nothing) {
  Kernel k(MachineConfig{.mem_bytes = 1 * GiB});
  const VirtAddr page = k.get_free_page(GFP_KERNEL);
  const VirtAddr obj = k.kmalloc(100, GFP_KERNEL);
  using R = ReportKind;
  std::string msg = expect_one_report_and_no_change(k, R::invalid_free, [&] { k.kfree(page); });
  EXPECT_NE(msg.find("is not a kmalloc object: frame"), std::string::npos) << msg;
  EXPECT_NE(msg.find("belongs to the page allocator's caller"), std::string::npos) << msg;
  expect_one_report_and_no_change(k, R::invalid_free, [&] { k.kfree(VirtAddr{0x08048000}); });  // user space
  expect_one_report_and_no_change(k, R::invalid_free, [&] { k.kfree(VirtAddr{0xC0000000ULL + 500 * MiB}); });
  expect_one_report_and_no_change(k, R::invalid_free, [&] { k.kfree(VirtAddr{0xFFFFF000}); });
  expect_one_report_and_no_change(k, R::invalid_free,
                                  [&] { k.kfree(VirtAddr{16}); });  // no ZERO_SIZE_PTR in 2.6.18
  expect_one_report_and_no_change(k, R::invalid_free, [&] { k.kfree(obj + 4); });
  expect_one_report_and_no_change(k, R::bad_address, [&] { EXPECT_EQ(k.ksize(obj + 4), 0u); });
  expect_one_report_and_no_change(k, R::bad_address, [&] { EXPECT_EQ(k.ksize(page), 0u); });
  k.kfree(obj);
  expect_one_report_and_no_change(k, R::double_free, [&] { k.kfree(obj); });
  expect_one_report_and_no_change(k, R::bad_address, [&] { EXPECT_EQ(k.ksize(obj), 0u); });
  k.free_page(page);
}

TEST(KmallocMisuse, large_modern_kmalloc_misuse_is_reported_and_changes_nothing) {
  Kernel k(modern());
  const VirtAddr keep = k.kmalloc(100, GFP_KERNEL);  // keeps the buddy from merging everything back
  const VirtAddr big = k.kmalloc(5 * PAGE_SIZE, GFP_KERNEL);
  ASSERT_EQ(k.ksize(big), 8 * PAGE_SIZE);
  using R = ReportKind;
  expect_one_report_and_no_change(k, R::invalid_free, [&] { k.kfree(big + PAGE_SIZE); });
  expect_one_report_and_no_change(k, R::invalid_free, [&] { k.kfree(big + 10); });
  expect_one_report_and_no_change(k, R::bad_page, [&] { k.free_pages(big, 3); });  // not the page API's
  const auto ref = k.slab().object_containing(big + 3 * PAGE_SIZE + 5);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->start, big);
  EXPECT_EQ(ref->cache, nullptr);
  k.kfree(big);
  for (std::uint64_t f = 0; f < 8; ++f)
    EXPECT_EQ(k.mem().page(k.virt_to_pfn(big).value + f).owner, PageOwner::none);
  expect_one_report_and_no_change(k, R::double_free, [&] { k.kfree(big); });
  k.kfree(keep);
}

}  // namespace
}  // namespace kmf
