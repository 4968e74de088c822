// toy_pool.h — a small allocator compiled as a library of its own
// (toy_pool.cpp → libtoy_pool.a), the way most users' allocators are: the
// fuzz target sees only this header, so libFuzzer sees the allocator's
// code only if kmemfuzz_add_fuzzer(… LIBS toy_pool) instruments it.
//
//   small  1..512 bytes: size classes 16, 32, …, 512, each a free list of
//          chunks cut from 4 KiB pages
//   large  above 512: whole pages, first fit over a list of free spans,
//          split on allocation, merged with the next span on free
#pragma once

#include <cstddef>

namespace toy {

class Pool {
 public:
  static constexpr std::size_t PAGE = 4096;
  static constexpr std::size_t PAGES = 64;  ///< the pool: 256 KiB

  Pool();
  void* alloc(std::size_t size);
  void free(void* p);
  std::size_t usable_size(const void* p) const;

 private:
  struct Span {
    std::size_t first = 0, pages = 0;
    Span* next = nullptr;
  };
  void* alloc_pages(std::size_t pages);
  void free_pages(std::size_t first, std::size_t pages);

  alignas(PAGE) unsigned char mem_[PAGE * PAGES];
  unsigned short page_class_[PAGES];  ///< 0 free, 1..6 a small class's page, 100 + n a large block of n pages
  void* small_free_[6] = {};
  Span spans_[PAGES];
  Span* free_spans_ = nullptr;
};

}  // namespace toy
