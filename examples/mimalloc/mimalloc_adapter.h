// mimalloc_adapter.h — example 3: mimalloc (Debian's libmimalloc) as a
// kmemfuzz object subject, on a private heap of its own.
//
//   allocate    mi_heap_malloc_aligned_at(heap, size, align, 0) CAP_ALIGN
//   reallocate  mi_heap_realloc_aligned(heap, p, size, align)   CAP_REALLOC
//   usable_size mi_usable_size(p)                               CAP_USABLE_SIZE
//   walk        mi_heap_visit_blocks(heap, true, …)             CAP_WALK
//   deallocate  mi_free(p)                (the size is not used: no CAP_SIZED_FREE)
//   contract    MIMALLOC_PROMISES                               CAP_CONTRACT
//   teardown    mi_heap_destroy(heap): whatever a failed run left goes at once
//
// A real bug this adapter found: Debian's mimalloc 2.0.9 answers
// mi_heap_malloc_aligned(heap, n, a) for a power-of-two n of 256 to 1024
// bytes and a ≤ n from a small-block fast path whose blocks are not
// n-aligned (`b0 = alloc 512 align=512` → an address ≡ 384 mod 512; upstream
// issue 700, fixed in 2.1). The campaign names it ALIGNMENT within a few
// inputs (Mode::aligned). The default mode asks mi_heap_malloc_aligned_at
// with offset 0 — the same request, past that fast path — so the clean
// campaign keeps looking for other bugs.
//
// Hostile requests (CAP_CONTRACT): the campaign also asks for 0 bytes,
// sizes and alignments above PTRDIFF_MAX, alignments like 24 or 3,
// realloc(nullptr, n), realloc(p, 0) and reallocs that must fail, and holds
// each answer to MIMALLOC_PROMISES (CONTRACT). Sizes and alignments mimalloc
// would serve are sent only up to the host bounds: it really maps what is
// asked (an alignment of 2^45 reserves 64 TiB of address space).
//
// Not declared: CAP_STALE_FREE (a release build does not promise to notice
// a double free, so the fuzzer must not make one).
//
// Isolation. Every block under test comes from a heap created for this
// subject alone, so the harness's own allocations never share a page with
// them and the walk sees only the program's blocks. Linking libmimalloc
// also replaces malloc for the whole process (Debian builds it that way);
// in these dedicated example binaries that is harmless — the harness's
// std::vector and std::string then live in mimalloc's default heap, a heap
// the program never touches. (Under ASan, ASan's malloc wins instead.) The
// kmemfuzz tool must not have its malloc replaced, so it dlopen()s
// libmimalloc RTLD_LOCAL and fills a MimallocApi with dlsym: the same
// adapter, no interposition.
#pragma once

#include <mimalloc.h>

#include <cstddef>
#include <cstdint>
#include <map>

#include "../hostile_promises.h"
#include "check/subjects/object_subject.h"

namespace example {

/// The mimalloc calls the adapter makes, as function pointers.
struct MimallocApi {
  decltype(&mi_heap_new) heap_new = nullptr;
  decltype(&mi_heap_malloc_aligned) heap_malloc_aligned = nullptr;
  decltype(&mi_heap_malloc_aligned_at) heap_malloc_aligned_at = nullptr;
  decltype(&mi_heap_realloc_aligned) heap_realloc_aligned = nullptr;
  decltype(&mi_usable_size) usable_size = nullptr;
  decltype(&mi_free) free = nullptr;
  decltype(&mi_heap_visit_blocks) heap_visit_blocks = nullptr;
  decltype(&mi_heap_destroy) heap_destroy = nullptr;
};

/// The symbols of the libmimalloc this program is linked with.
inline MimallocApi linked_mimalloc() {
  return {&mi_heap_new,
          &mi_heap_malloc_aligned,
          &mi_heap_malloc_aligned_at,
          &mi_heap_realloc_aligned,
          &mi_usable_size,
          &mi_free,
          &mi_heap_visit_blocks,
          &mi_heap_destroy};
}

/// mimalloc 2.0.9's answers to hostile requests, each one checked against
/// the library by promises_mimalloc.cpp.
inline constexpr HostilePromises MIMALLOC_PROMISES{
    .oversize_returns_null = true,        // above PTRDIFF_MAX: NULL (EOVERFLOW)
    .oversize_align_returns_null = true,  // 2^63: NULL (in fact everything above 2^45 here)
    .zero_size_unique_block = true,       // malloc(0) is a real, distinct block
    .bad_align_returns_null = true,       // not a power of two: NULL (0 is taken as "no alignment")
    .failed_realloc_keeps_block = true,   // p stays live and intact
    .realloc_null_allocates = true,
    .realloc_zero_gives_block = true,  // realloc(p, 0) returns a minimal block (not NULL)
    // Only to the block's own alignment (all kmemfuzz asks): to a larger one
    // mi_heap_realloc_aligned keeps p's offset (upstream issue 603), e.g. a
    // 64-aligned block reallocated with alignment 256 lands at 128 mod 256.
    .realloc_keeps_alignment = false,
};

enum class MimallocMode {
  aligned_at,               ///< mi_heap_malloc_aligned_at(…, 0): clean on Debian's 2.0.9
  aligned,                  ///< mi_heap_malloc_aligned: upstream issue 700 on mimalloc < 2.1
  usable_size_one_short,    ///< a deliberately broken wrapper, for the test that it is found
  frees_on_failed_realloc,  ///< a broken wrapper that releases p when a realloc fails (CONTRACT)
};

class MimallocSubject : public kmf::ObjectSubject {
 public:
  explicit MimallocSubject(MimallocMode mode = MimallocMode::aligned_at, MimallocApi api = linked_mimalloc())
      : mi_(api), mode_(mode), heap_(mi_.heap_new()) {}
  MimallocSubject(MimallocSubject&& o) noexcept
      : mi_(o.mi_), mode_(o.mode_), heap_(o.heap_), live_(std::move(o.live_)) {
    o.heap_ = nullptr;
  }
  MimallocSubject& operator=(MimallocSubject&&) = delete;
  ~MimallocSubject() override { release(); }

  std::string_view name() const override { return "mimalloc private heap"; }
  kmf::Caps capabilities() const override {
    return kmf::CAP_ALIGN | kmf::CAP_REALLOC | kmf::CAP_USABLE_SIZE | kmf::CAP_WALK | kmf::CAP_CONTRACT;
  }
  kmf::Contract contract() const override { return example::contract(MIMALLOC_PROMISES); }

  void* allocate(std::size_t size, std::size_t align) override {
    return remember(mode_ == MimallocMode::aligned ? mi_.heap_malloc_aligned(heap_, size, align)
                                                   : mi_.heap_malloc_aligned_at(heap_, size, align, 0));
  }
  void deallocate(void* p, std::size_t /*size*/, std::size_t /*align*/) override {
    live_.erase(addr(p));
    mi_.free(p);
  }
  void* reallocate(void* p, std::size_t /*old_size*/, std::size_t new_size, std::size_t align) override {
    // Always the aligned realloc: plain mi_heap_realloc gives blocks of at
    // most 8 bytes an 8-byte alignment (C17 allows it for objects that
    // small), while kmemfuzz holds every block to at least
    // alignof(std::max_align_t), the alignment `align` carries by default.
    // p may be nullptr (it allocates) and new_size 0 (a minimal block).
    void* q = mi_.heap_realloc_aligned(heap_, p, new_size, align);
    if (q || mode_ == MimallocMode::frees_on_failed_realloc) live_.erase(addr(p));
    if (!q && p && mode_ == MimallocMode::frees_on_failed_realloc) mi_.free(p);  // the planted bug
    return remember(q);
  }
  std::size_t usable_size(const void* p) const override {
    const std::size_t n = mi_.usable_size(p);
    return mode_ == MimallocMode::usable_size_one_short ? n - 1 : n;
  }

  // mimalloc visits blocks, not the pointers it handed out: an aligned
  // allocation may be an interior pointer of a larger block. Each visited
  // block is reported at the live pointer inside it, if there is one, else
  // at its own start (which WALK then rejects); `live_` only translates,
  // mimalloc alone decides which blocks are visited.
  void walk(const BlockVisitor& visit) const override {
    struct Ctx {
      const MimallocSubject* self;
      const BlockVisitor* visit;
    } ctx{this, &visit};
    mi_.heap_visit_blocks(
        heap_, true,
        [](const mi_heap_t*, const mi_heap_area_t*, void* block, std::size_t bytes, void* arg) {
          if (block == nullptr) return true;  // the area itself, before its blocks
          const auto& [self, out] = *static_cast<Ctx*>(arg);
          std::uintptr_t p = addr(block);
          const auto it = self->live_.upper_bound(p + bytes - 1);
          if (it != self->live_.begin() && std::prev(it)->first >= p) p = std::prev(it)->first;
          (*out)(reinterpret_cast<const void*>(p), addr(block) + bytes - p);
          return true;
        },
        &ctx);
  }

  // Teardown: the executor has freed every block (and walked the empty heap);
  // destroying the heap returns its pages to mimalloc's segment cache.
  void release() override {
    if (heap_) mi_.heap_destroy(heap_);
    heap_ = nullptr;
  }

 private:
  static std::uintptr_t addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }
  void* remember(void* p) {
    if (p) live_.emplace(addr(p), true);
    return p;
  }

  MimallocApi mi_;
  MimallocMode mode_;
  mi_heap_t* heap_;
  std::map<std::uintptr_t, bool> live_;  ///< the pointers handed out, for walk()
};

}  // namespace example
