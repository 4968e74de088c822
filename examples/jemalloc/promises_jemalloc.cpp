// promises_jemalloc.cpp — JEMALLOC_PROMISES held against the real library
// through the adapter (size 0 is the adapter's answer, mallocx(0) being
// undefined): each promise declared for hostile requests, asked directly.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "jemalloc_adapter.h"

namespace {

/// A size the compiler cannot see (GCC rejects a constant above PTRDIFF_MAX
/// handed to an alloc_size function at compile time).
std::size_t opaque(std::size_t n) {
  volatile std::size_t v = n;
  return v;
}

constexpr auto& P = example::JEMALLOC_PROMISES;

TEST(JemallocPromises, oversized_and_overflowing_sizes_return_null) {
  ASSERT_TRUE(P.oversize_returns_null);
  example::JemallocSubject s;
  for (const std::size_t n : {SIZE_MAX, SIZE_MAX / 2 + 1, std::size_t{1} << 62})
    EXPECT_EQ(s.allocate(opaque(n), 16), nullptr) << n;
}

TEST(JemallocPromises, an_alignment_above_ptrdiff_max_returns_null) {
  ASSERT_TRUE(P.oversize_align_returns_null);
  example::JemallocSubject s;
  EXPECT_EQ(s.allocate(64, opaque(std::size_t{1} << 63)), nullptr);
}

TEST(JemallocPromises, size_zero_is_a_distinct_block) {
  ASSERT_TRUE(P.zero_size_unique_block);
  example::JemallocSubject s;
  void* a = s.allocate(0, 16);
  void* b = s.allocate(0, 16);
  ASSERT_NE(a, nullptr);
  EXPECT_NE(a, b);
  s.deallocate(a, 0, 16);
  s.deallocate(b, 0, 16);
}

TEST(JemallocPromises, a_failed_realloc_keeps_the_block_and_realloc_keeps_alignment) {
  ASSERT_TRUE(P.failed_realloc_keeps_block && P.realloc_keeps_alignment);
  example::JemallocSubject s;
  auto* p = static_cast<unsigned char*>(s.allocate(100, 64));
  std::memset(p, 0xab, 100);
  EXPECT_EQ(s.reallocate(p, 100, opaque(SIZE_MAX / 2 + 1), 64), nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(p[i], 0xab) << i;  // still live and intact
  void* q = s.reallocate(p, 100, 5000, 256);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q) % 256, 0u);
  s.deallocate(q, 5000, 256);
  s.release();
  EXPECT_EQ(s.outstanding(), std::size_t{0});
}

}  // namespace
