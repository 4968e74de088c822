// slab_debug_test.cpp — slab_debug (alloc/slab_debug.cpp): the fill bytes,
// and each detection — a write past an object, a write after free, a double
// free, a free to the wrong cache, a pointer inside an object — is one
// slub-style report naming the cache and the object, the state is left
// intact, and the next valid allocation works.
#include <gtest/gtest.h>

#include <vector>

#include "alloc/slab.h"
#include "alloc/tests/slab_test_util.h"

namespace kmf {
namespace {

using testing::bytes_at;
using testing::expect_one_report_and_no_change;
using testing::fill;
using testing::hex;
using testing::slab_snapshot;
using testing::snapshot;

std::vector<std::byte> repeat(std::byte b, std::size_t n) { return std::vector<std::byte>(n, b); }

TEST(SlabDebug, free_objects_are_poisoned_and_red_zones_mark_the_state) {
  Kernel k;
  const VirtAddr p = k.kmalloc(128, GFP_KERNEL);
  const VirtAddr next = p + 256;  // the neighbour in the size-128 slab, still free
  // Free: 0x6b … 0xa5, then an inactive red zone.
  std::vector<std::byte> poison = repeat(POISON_FREE, 127);
  poison.push_back(POISON_END);
  EXPECT_EQ(bytes_at(k, next, 128), poison);
  EXPECT_EQ(bytes_at(k, next + 128, 128), repeat(RED_INACTIVE, 128));
  // Live: SLUB leaves the poison for the caller to overwrite; the red zone is active.
  EXPECT_EQ(bytes_at(k, p, 128), poison);
  EXPECT_EQ(bytes_at(k, p + 128, 128), repeat(RED_ACTIVE, 128));
  fill(k, p, 128, std::byte{0x11});
  k.kfree(p);
  EXPECT_EQ(bytes_at(k, p, 128), poison);
  EXPECT_EQ(bytes_at(k, p + 128, 128), repeat(RED_INACTIVE, 128));
  EXPECT_TRUE(k.reports().empty());
}

TEST(SlabDebug, a_write_past_an_object_is_reported_on_free_and_the_object_kept) {
  Kernel k;
  const auto boot = snapshot(k);
  const VirtAddr p = k.kmalloc(100, GFP_KERNEL);
  fill(k, p + 128, 4, std::byte{0x41});  // four bytes past the 128-byte object
  const std::string msg = expect_one_report_and_no_change(k, ReportKind::redzone, [&] { k.kfree(p); });
  EXPECT_EQ(msg.rfind("BUG size-128 (Not tainted): Redzone overwritten", 0), 0u) << msg;
  EXPECT_NE(msg.find(hex(p.value + 128) + "-" + hex(p.value + 131) +
                     " @offset=128. First byte 0x41 instead of 0xcc"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("Object " + hex(p.value) + " (size 128, allocated)"), std::string::npos) << msg;
  EXPECT_EQ(k.reports().back().addr, p.value);
  EXPECT_TRUE(k.slab().is_live_object(p));  // SLUB: "Object not freed"
  // The cache works on.
  const VirtAddr q = k.kmalloc(100, GFP_KERNEL);
  ASSERT_TRUE(q);
  EXPECT_NE(q, p);
  k.kfree(q);
  // Once the red zone is repaired, the object frees normally.
  fill(k, p + 128, 4, RED_ACTIVE);
  k.kfree(p);
  k.drop_slab();
  EXPECT_EQ(k.reports().size(), 1u);
  EXPECT_EQ(snapshot(k), boot);
}

TEST(SlabDebug, a_write_after_free_is_reported_when_the_object_is_handed_out_again) {
  Kernel k;
  KmemCache* c = k.kmem_cache_create("uaf", 64, 0, SLAB_NONE);
  const VirtAddr keep = k.kmem_cache_alloc(c, GFP_KERNEL);
  const VirtAddr p = k.kmem_cache_alloc(c, GFP_KERNEL);
  k.kmem_cache_free(c, p);
  fill(k, p + 8, 2, std::byte{0});  // use after free
  const std::size_t n = k.reports().size();
  const VirtAddr again = k.kmem_cache_alloc(c, GFP_KERNEL);
  ASSERT_EQ(k.reports().size(), n + 1);
  const Report& r = k.reports().back();
  EXPECT_EQ(r.kind, ReportKind::poison);
  EXPECT_EQ(r.addr, p.value);
  EXPECT_EQ(
      r.message.rfind("BUG uaf (Not tainted): Poison overwritten (found on allocation): " + hex(p.value + 8) +
                          "-" + hex(p.value + 9) + " @offset=8. First byte 0x00 instead of 0x6b",
                      0),
      0u)
      << r.message;
  EXPECT_NE(r.message.find("Object " + hex(p.value)), std::string::npos);
  // The allocation itself is valid: the object is reinitialised and handed out.
  EXPECT_EQ(again, p);
  EXPECT_EQ(bytes_at(k, p + 64, 8), repeat(RED_ACTIVE, 8));
  const VirtAddr next = k.kmem_cache_alloc(c, GFP_KERNEL);
  EXPECT_TRUE(next);
  EXPECT_EQ(k.reports().size(), n + 1);
  for (VirtAddr o : {keep, again, next}) k.kmem_cache_free(c, o);
  k.kmem_cache_destroy(c);
  EXPECT_EQ(k.reports().size(), n + 1);
}

TEST(SlabDebug, a_write_after_free_is_found_before_the_slab_goes_back) {
  Kernel k;
  const auto boot = snapshot(k);
  KmemCache* c = k.kmem_cache_create("late", 64, 0, SLAB_NONE);
  const VirtAddr p = k.kmem_cache_alloc(c, GFP_KERNEL);
  k.kmem_cache_free(c, p);
  fill(k, p + 63, 1, std::byte{0x6b});  // the final 0xa5 overwritten
  fill(k, p + 70, 1, std::byte{0x00});  // and the inactive red zone: still one report per object
  k.kmem_cache_destroy(c);
  ASSERT_EQ(k.reports().size(), 1u);
  EXPECT_EQ(k.reports()[0].kind, ReportKind::poison);
  EXPECT_NE(k.reports()[0].message.find("First byte 0x6b instead of 0xa5"), std::string::npos)
      << k.reports()[0].message;
  EXPECT_NE(k.reports()[0].message.find("when its slab was released"), std::string::npos);
  EXPECT_EQ(snapshot(k), boot);  // the slab went back all the same
}

TEST(SlabDebug, a_red_zone_write_on_a_free_object_is_reported_on_allocation) {
  Kernel k;
  const VirtAddr keep = k.kmalloc(64, GFP_KERNEL);
  const VirtAddr p = k.kmalloc(64, GFP_KERNEL);
  k.kfree(p);
  fill(k, p + 100, 1, std::byte{0x7f});
  const VirtAddr again = k.kmalloc(64, GFP_KERNEL);
  EXPECT_EQ(again, p);
  ASSERT_EQ(k.reports().size(), 1u);
  EXPECT_EQ(k.reports()[0].kind, ReportKind::redzone);
  EXPECT_NE(k.reports()[0].message.find("@offset=100. First byte 0x7f instead of 0xbb"), std::string::npos)
      << k.reports()[0].message;
  k.kfree(again);
  k.kfree(keep);
  EXPECT_EQ(k.reports().size(), 1u);
}

TEST(SlabDebug, a_double_free_is_reported_and_changes_nothing) {
  Kernel k;
  const VirtAddr keep = k.kmalloc(100, GFP_KERNEL);
  const VirtAddr p = k.kmalloc(100, GFP_KERNEL);
  k.kfree(p);
  const std::string msg = expect_one_report_and_no_change(k, ReportKind::double_free, [&] { k.kfree(p); });
  EXPECT_EQ(msg, "BUG size-128 (Not tainted): kfree: Object already free; Object " + hex(p.value) +
                     " (size 128, free) in slab " + hex(keep.value) + " (objects=16 used=1)");
  KmemCache* c = k.kmem_cache_create("twice", 40, 0, SLAB_NONE);
  const VirtAddr o = k.kmem_cache_alloc(c, GFP_KERNEL);
  const VirtAddr o2 = k.kmem_cache_alloc(c, GFP_KERNEL);
  k.kmem_cache_free(c, o);
  expect_one_report_and_no_change(k, ReportKind::double_free, [&] { k.kmem_cache_free(c, o); });
  EXPECT_TRUE(k.kmalloc(100, GFP_KERNEL));  // a following allocation works
  k.kmem_cache_free(c, o2);
}

TEST(SlabDebug, a_free_to_the_wrong_cache_names_both_caches_and_changes_nothing) {
  Kernel k;
  KmemCache* a = k.kmem_cache_create("cache_a", 64, 0, SLAB_NONE);
  KmemCache* b = k.kmem_cache_create("cache_b", 64, 0, SLAB_NONE);
  const VirtAddr obj = k.kmem_cache_alloc(a, GFP_KERNEL);
  const std::string msg =
      expect_one_report_and_no_change(k, ReportKind::wrong_cache, [&] { k.kmem_cache_free(b, obj); });
  EXPECT_EQ(msg.rfind("BUG cache_a (Not tainted): kmem_cache_free: Wrong slab cache. cache_b but object " +
                          hex(obj.value) + " is from cache_a; Object " + hex(obj.value),
                      0),
            0u)
      << msg;
  const VirtAddr k100 = k.kmalloc(100, GFP_KERNEL);  // a kmalloc object is not cache_b's either
  expect_one_report_and_no_change(k, ReportKind::wrong_cache, [&] { k.kmem_cache_free(b, k100); });
  k.kmem_cache_free(a, obj);
  k.kfree(k100);
  EXPECT_TRUE(k.kmem_cache_alloc(b, GFP_KERNEL));
}

TEST(SlabDebug, a_pointer_inside_an_object_is_reported_and_changes_nothing) {
  Kernel k;
  const VirtAddr keep = k.kmalloc(100, GFP_KERNEL);
  const VirtAddr p = k.kmalloc(100, GFP_KERNEL);
  std::string msg = expect_one_report_and_no_change(k, ReportKind::invalid_free, [&] { k.kfree(p + 8); });
  EXPECT_EQ(msg.rfind("BUG size-128 (Not tainted): kfree: Invalid object pointer " + hex(p.value + 8) +
                          ": 8 bytes inside the object; Object " + hex(p.value),
                      0),
            0u)
      << msg;
  msg = expect_one_report_and_no_change(k, ReportKind::invalid_free, [&] { k.kfree(p + 130); });
  EXPECT_NE(msg.find("in the red zone/padding, 130 bytes after the start of the object"), std::string::npos)
      << msg;
  // A slab's unused tail: 4 objects of 1008 bytes leave 64 bytes of the page.
  KmemCache* c = k.kmem_cache_create("tail", 1000, 0, SLAB_NONE);  // 4 × 1008 bytes, 64 left over
  const VirtAddr o = k.kmem_cache_alloc(c, GFP_KERNEL);
  msg = expect_one_report_and_no_change(k, ReportKind::invalid_free,
                                        [&] { k.kmem_cache_free(c, o + 4 * 1008); });
  EXPECT_NE(msg.find("in the unused tail of slab " + hex(o.value)), std::string::npos) << msg;
  expect_one_report_and_no_change(k, ReportKind::invalid_free,
                                  [&] { k.kmem_cache_free(c, VirtAddr{0x1234}); });
  k.kfree(p);
  k.kfree(keep);
  k.kmem_cache_free(c, o);
  EXPECT_TRUE(k.kmalloc(100, GFP_KERNEL));
}

TEST(SlabDebug, without_slab_debug_there_are_no_red_zones_but_misuse_is_still_caught) {
  Kernel k(MachineConfig{.slab_debug = false});
  const VirtAddr p = k.kmalloc(100, GFP_KERNEL);
  const VirtAddr q = k.kmalloc(100, GFP_KERNEL);
  EXPECT_EQ(q, p + 128);                 // packed at the size class
  fill(k, p + 128, 4, std::byte{0x41});  // lands in q, unseen without red zones
  k.kfree(p);
  EXPECT_TRUE(k.reports().empty());
  expect_one_report_and_no_change(k, ReportKind::double_free, [&] { k.kfree(p); });
  expect_one_report_and_no_change(k, ReportKind::invalid_free, [&] { k.kfree(q + 1); });
  k.kfree(q);
}

TEST(SlabDebug, a_64_KiB_object_keeps_its_red_zone_and_128_KiB_goes_without) {
  Kernel k;
  const VirtAddr p = k.kmalloc(65536, GFP_KERNEL);
  EXPECT_TRUE(k.slab().live_object_cache(p)->red_zone());
  fill(k, p + 65536 + 60000, 1, std::byte{0});
  expect_one_report_and_no_change(k, ReportKind::redzone, [&] { k.kfree(p); });
  const VirtAddr big = k.kmalloc(131072, GFP_KERNEL);
  EXPECT_FALSE(k.slab().live_object_cache(big)->red_zone());
  EXPECT_TRUE(k.slab().live_object_cache(big)->poison());
  k.kfree(big);
  EXPECT_EQ(bytes_at(k, big + 131071, 1), repeat(POISON_END, 1));
}

}  // namespace
}  // namespace kmf
