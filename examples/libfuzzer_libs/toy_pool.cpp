// toy_pool.cpp — see toy_pool.h. Built twice: toy_pool, and toy_pool_buggy
// with TOY_PLANTED_BUG=1 (a split large span gives back one page too many,
// so the next allocation overlaps a live block: NO-OVERLAP).
#include "toy_pool.h"

#include <cstdint>

namespace toy {

namespace {
constexpr std::size_t LARGE = 100;
std::size_t class_of(std::size_t size) {
  std::size_t c = 1;
  for (std::size_t n = 16; n < size; n *= 2) ++c;
  return c;  // 1: 16 bytes … 6: 512 bytes
}
std::size_t class_size(std::size_t c) { return std::size_t{8} << c; }
}  // namespace

Pool::Pool() {
  for (auto& c : page_class_) c = 0;
  spans_[0] = {0, PAGES, nullptr};
  free_spans_ = &spans_[0];
}

void* Pool::alloc_pages(std::size_t pages) {
  for (Span** link = &free_spans_; *link; link = &(*link)->next) {
    Span* s = *link;
    if (s->pages < pages) continue;
    const std::size_t first = s->first;
    if (s->pages == pages) {
      *link = s->next;
    } else {
#if TOY_PLANTED_BUG
      const std::size_t taken = pages > 2 ? pages - 1 : pages;  // the bug: keeps a page it handed out
#else
      const std::size_t taken = pages;
#endif
      Span* rest = &spans_[first + taken];
      *rest = {first + taken, s->pages - taken, s->next};
      *link = rest;
    }
    page_class_[first] = static_cast<unsigned short>(LARGE + pages);
    for (std::size_t i = 1; i < pages; ++i) page_class_[first + i] = LARGE;
    return mem_ + first * PAGE;
  }
  return nullptr;
}

void Pool::free_pages(std::size_t first, std::size_t pages) {
  for (std::size_t i = 0; i < pages; ++i) page_class_[first + i] = 0;
  Span** link = &free_spans_;
  while (*link && (*link)->first < first) link = &(*link)->next;
  Span* s = &spans_[first];
  *s = {first, pages, *link};
  if (s->next && s->next->first == first + pages) {  // merge with the next free span
    s->pages += s->next->pages;
    s->next = s->next->next;
  }
  *link = s;
}

void* Pool::alloc(std::size_t size) {
  if (size == 0) return nullptr;
  if (size > class_size(6)) return alloc_pages((size + PAGE - 1) / PAGE);
  const std::size_t c = class_of(size);
  if (!small_free_[c - 1]) {
    unsigned char* page = static_cast<unsigned char*>(alloc_pages(1));
    if (!page) return nullptr;
    page_class_[(page - mem_) / PAGE] = static_cast<unsigned short>(c);
    for (std::size_t off = PAGE; off >= class_size(c); off -= class_size(c)) {
      void* chunk = page + off - class_size(c);
      *static_cast<void**>(chunk) = small_free_[c - 1];
      small_free_[c - 1] = chunk;
    }
  }
  void* p = small_free_[c - 1];
  small_free_[c - 1] = *static_cast<void**>(p);
  return p;
}

void Pool::free(void* p) {
  const std::size_t page = static_cast<std::size_t>(static_cast<unsigned char*>(p) - mem_) / PAGE;
  const std::size_t c = page_class_[page];
  if (c > LARGE) return free_pages(page, c - LARGE);
  *static_cast<void**>(p) = small_free_[c - 1];  // small pages stay with their class
  small_free_[c - 1] = p;
}

std::size_t Pool::usable_size(const void* p) const {
  const std::size_t page = static_cast<std::size_t>(static_cast<const unsigned char*>(p) - mem_) / PAGE;
  const std::size_t c = page_class_[page];
  return c > LARGE ? (c - LARGE) * PAGE : class_size(c);
}

}  // namespace toy
