// first_fit.h — example 1: a first-fit arena allocator and its kmemfuzz adapter.
//
// The allocator tiles a caller-given arena with blocks, each a 16-byte
// header followed by its payload; free blocks are found by walking the tiles
// from the start (first fit) and neighbouring free blocks are merged.
//
//   base                                                        base + size
//   [hdr|payload 48 ][hdr|free 96          ][hdr|payload 32][hdr|free ...]
//
// The planted bug (FirstFit{true}): free() merges a block only with the
// block after it. Free a block, then the one before it, and two free
// neighbours stay apart: a request that fits their union fails although
// nothing is live there. No crash, no corrupted byte; kmemfuzz's first-fit
// reference model says the request must fit, so NO-SPURIOUS-FAILURE fires.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "check/subjects/arena_subject.h"

namespace example {

class FirstFit {
 public:
  static constexpr std::size_t HEADER = 16;  // also the granule: payloads are multiples of 16

  explicit FirstFit(bool planted_bug = false) : planted_bug_(planted_bug) {}

  bool init(void* base, std::size_t size) {
    if (reinterpret_cast<std::uintptr_t>(base) % HEADER || size % HEADER || size < 2 * HEADER) return false;
    base_ = static_cast<std::byte*>(base);
    end_ = base_ + size;
    *at(base_) = {size - HEADER, FREE};
    return true;
  }

  void* alloc(std::size_t size) {
    const std::size_t need = round(size);
    for (Header* h = first(); h; h = next(h)) {
      if (h->state != FREE || h->size < need) continue;
      if (h->size >= need + 2 * HEADER) {  // split when the rest holds a header and a granule
        *at(payload(h) + need) = {h->size - need - HEADER, FREE};
        h->size = need;
      }
      h->state = USED;
      return payload(h);
    }
    return nullptr;
  }

  void free(void* p) {
    Header* h = block_of(p);
    if (!h || h->state != USED) return;  // not a block start, or freed already: ignore
    h->state = FREE;
    if (planted_bug_)
      merge_with_next(h);  // BUG: a free block before h stays separate
    else
      for (Header* b = first(); b; b = next(b)) merge_with_next(b);
  }

  void* realloc(void* p, std::size_t size) {
    Header* h = block_of(p);
    if (!h || h->state != USED) return nullptr;
    if (round(size) <= h->size) return p;
    void* q = alloc(size);
    if (!q) return nullptr;
    std::memcpy(q, p, h->size);
    free(p);
    return q;
  }

  /// Keeps [p, p + size) for the caller forever (a device window, a boot
  /// table): carves a RESERVED block out of the free block holding it.
  bool reserve(void* p, std::size_t size) {
    std::byte* hdr = static_cast<std::byte*>(p) - HEADER;
    const std::size_t need = round(size);
    for (Header* h = first(); h; h = next(h)) {
      std::byte* lo = reinterpret_cast<std::byte*>(h);
      if (h->state != FREE || hdr < lo || hdr + HEADER + need > payload(h) + h->size) continue;
      const std::size_t left = hdr - lo, right = payload(h) + h->size - (hdr + HEADER + need);
      if ((left && left < 2 * HEADER) || (right && right < 2 * HEADER) || (hdr - base_) % HEADER)
        return false;
      if (right) *at(hdr + HEADER + need) = {right - HEADER, FREE};
      if (left) h->size = left - HEADER;
      *at(hdr) = {need, RESERVED};
      return true;
    }
    return false;
  }

  std::size_t usable_size(const void* p) const { return block_of(p)->size; }
  bool is_empty() const {
    for (Header* h = first(); h; h = next(h))
      if (h->state != FREE) return false;
    return true;
  }
  template <class Visit>
  void walk(Visit visit) const {
    for (Header* h = first(); h; h = next(h))
      if (h->state == USED) visit(payload(h), h->size);
  }

 private:
  enum State : std::uint32_t { FREE = 1, USED = 2, RESERVED = 3 };
  struct Header {
    std::size_t size;  // payload bytes
    State state;
  };
  static_assert(sizeof(Header) <= HEADER);

  static std::size_t round(std::size_t n) { return (n + HEADER - 1) / HEADER * HEADER + (n == 0) * HEADER; }
  static Header* at(std::byte* p) { return reinterpret_cast<Header*>(p); }
  static std::byte* payload(Header* h) { return reinterpret_cast<std::byte*>(h) + HEADER; }
  Header* first() const { return at(base_); }
  Header* next(Header* h) const {
    std::byte* n = payload(h) + h->size;
    return n < end_ ? at(n) : nullptr;
  }
  /// The header of the block whose payload starts at p, or nullptr: frees
  /// are validated by walking the tiles, so stale pointers are harmless.
  Header* block_of(const void* p) const {
    for (Header* h = first(); h; h = next(h))
      if (payload(h) == p) return h;
    return nullptr;
  }
  void merge_with_next(Header* h) {
    for (Header* n = next(h); h->state == FREE && n && n->state == FREE; n = next(h))
      h->size += HEADER + n->size;
  }

  bool planted_bug_;
  std::byte* base_ = nullptr;
  std::byte* end_ = nullptr;
};

/// The adapter: what kmemfuzz needs to drive FirstFit and judge it.
class FirstFitSubject : public kmf::ArenaSubject {
 public:
  explicit FirstFitSubject(bool planted_bug = false) : heap_(planted_bug) {}
  std::string_view name() const override { return "first-fit example"; }
  kmf::Caps capabilities() const override {
    return kmf::CAP_REALLOC | kmf::CAP_USABLE_SIZE | kmf::CAP_IS_EMPTY | kmf::CAP_WALK | kmf::CAP_RESERVE |
           kmf::CAP_STALE_FREE;
  }
  kmf::ArenaGeometry geometry() const override {
    return {.min_size = 256,
            .max_size = 16 << 10,
            .size_granule = 16,
            .base_align = 16,
            .min_align = 16,
            .max_align = 16};
  }
  // Each block costs a 16-byte header and its size rounded up to 16 bytes.
  kmf::FitModel fit_model() const override { return kmf::FitModel::first_fit(16, 16); }

  bool init(void* base, std::size_t size, std::size_t) override { return heap_.init(base, size); }
  void* alloc(std::size_t size, std::size_t) override { return heap_.alloc(size); }
  void free(void* p) override { heap_.free(p); }
  void* realloc(void* p, std::size_t size) override { return heap_.realloc(p, size); }
  std::size_t usable_size(const void* p) const override { return heap_.usable_size(p); }
  bool is_empty() const override { return heap_.is_empty(); }
  void walk(const BlockVisitor& visit) const override { heap_.walk(visit); }
  bool reserve(void* p, std::size_t size) override { return heap_.reserve(p, size); }

 private:
  FirstFit heap_;
};

}  // namespace example
