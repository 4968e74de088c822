// promises_mimalloc.cpp — MIMALLOC_PROMISES held against the real library:
// each promise the adapter declares for hostile requests, asked directly.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "mimalloc_adapter.h"

namespace {

/// A size the compiler cannot see (GCC rejects a constant above PTRDIFF_MAX
/// handed to an alloc_size function at compile time).
std::size_t opaque(std::size_t n) {
  volatile std::size_t v = n;
  return v;
}

constexpr auto& P = example::MIMALLOC_PROMISES;

struct Heap {
  mi_heap_t* h = mi_heap_new();
  ~Heap() { mi_heap_destroy(h); }
};

TEST(MimallocPromises, oversized_and_overflowing_sizes_return_null) {
  ASSERT_TRUE(P.oversize_returns_null);
  Heap heap;
  for (const std::size_t n : {SIZE_MAX, SIZE_MAX / 2 + 1, std::size_t{1} << 62})
    EXPECT_EQ(mi_heap_malloc_aligned_at(heap.h, opaque(n), 16, 0), nullptr) << n;
}

TEST(MimallocPromises, an_alignment_above_ptrdiff_max_returns_null) {
  ASSERT_TRUE(P.oversize_align_returns_null);
  Heap heap;
  EXPECT_EQ(mi_heap_malloc_aligned_at(heap.h, 64, opaque(std::size_t{1} << 63), 0), nullptr);
  EXPECT_EQ(mi_heap_malloc_aligned(heap.h, 64, opaque(std::size_t{1} << 63)), nullptr);
}

TEST(MimallocPromises, size_zero_is_a_distinct_block) {
  ASSERT_TRUE(P.zero_size_unique_block);
  Heap heap;
  void* a = mi_heap_malloc_aligned_at(heap.h, 0, 16, 0);
  void* b = mi_heap_malloc_aligned_at(heap.h, 0, 16, 0);
  ASSERT_NE(a, nullptr);
  EXPECT_NE(a, b);
}

TEST(MimallocPromises, an_alignment_that_is_not_a_power_of_two_returns_null) {
  ASSERT_TRUE(P.bad_align_returns_null);
  Heap heap;
  for (const std::size_t a : {std::size_t{3}, std::size_t{48}, std::size_t{4097}, SIZE_MAX})
    EXPECT_EQ(mi_heap_malloc_aligned(heap.h, 64, opaque(a)), nullptr) << a;
}

TEST(MimallocPromises, realloc_corner_cases) {
  ASSERT_TRUE(P.failed_realloc_keeps_block && P.realloc_null_allocates && P.realloc_zero_gives_block);
  Heap heap;
  auto* p = static_cast<unsigned char*>(mi_heap_malloc_aligned_at(heap.h, 100, 64, 0));
  std::memset(p, 0xab, 100);
  EXPECT_EQ(mi_heap_realloc_aligned(heap.h, p, opaque(SIZE_MAX / 2 + 1), 64), nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(p[i], 0xab) << i;  // still live and intact
  void* fresh = mi_heap_realloc_aligned(heap.h, nullptr, 40, 64);
  EXPECT_NE(fresh, nullptr);
  // The block's own alignment is kept (realloc_keeps_alignment is false:
  // only a larger alignment is lost, see MIMALLOC_PROMISES).
  void* q = mi_heap_realloc_aligned(heap.h, p, 5000, 64);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q) % 64, 0u);
  EXPECT_NE(mi_heap_realloc_aligned(heap.h, q, 0, 64), nullptr);
}

}  // namespace
