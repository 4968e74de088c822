// segfit.h — example 3: a segregated good-fit arena allocator (the TLSF
// family) and its kmemfuzz adapter, with one planted bug per oracle the
// generic engine gained: the allocator's own check, hostile requests judged
// by a contract, calloc, the segregated reference model, the model-free
// RESTORE probe and metadata that must stay inside the arena.
//
//   base                                                            base + size
//   [hdr|payload][hdr|free ......][hdr|payload ][hdr|free ....][sentinel hdr)
//    ^ 16-byte headers: payload size | FREE bit, and the previous block's size
//
// Free blocks sit in one list per size class: below 64 bytes the classes
// are 16 bytes apart, above each power of two [2^f, 2^(f+1)) is split into
// 4 classes. alloc rounds a request up to the start of the next class and
// takes the first block of the first non-empty class at or above it (good
// fit), splitting off the rest; free merges with both free neighbours. The
// zero-size sentinel header at the end is the allocator's metadata.
//
// SegFit(bug) plants one bug:
//   rounding_overflow  the size rounding (n + 15) & ~15 wraps for n near
//                      2^64: a 16-byte block for a request of SIZE_MAX bytes  → CONTRACT
//   no_backward_merge  free merges only with the next block                   → NO-SPURIOUS-FAILURE / RESTORE
//   calloc_product     calloc multiplies n * size without an overflow check    → CALLOC
//   wrong_list         free inserts a block whose size starts a class into the
//                      class below (invisible to the caller; check() sees it)  → SELF-CHECK
//   metadata_past_end  a shrink moves the last block's end but leaves the
//                      sentinel where the old end was                          → METADATA
//   stats_div0         the mean-block metric divides by the number of used
//                      blocks, which is 0 on an empty heap                     → STATS
//   init_keeps_heap    a second init of the same arena "succeeds" but keeps
//                      the old heap, though the contract says it starts over  → EMPTY / WALK
//   half_init          init records the arena before checking it: after a
//                      failed init, stats() walks a heap never laid out       → CRASH (SIGSEGV)
//   pool_wrong_class   add_pool lists the pool's free block by the pool's size,
//                      not its payload's: a class above the block, so a request
//                      of that class gets a block too small for it              → SELF-CHECK / IN-BOUNDS
//   shrink_spin        realloc shrinking in place loops until the excess is
//                      split off, forever when it is too small for a block    → HANG
//
// add_pool(base, size) lays out another region (TLSF's tlsf_add_pool): its
// own blocks and sentinel, its free blocks in the same class lists; a block
// never merges across regions (a region's first block has prev_size 0).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "check/subjects/arena_subject.h"

namespace example {

class SegFit {
 public:
  enum class Bug {
    none,
    rounding_overflow,
    no_backward_merge,
    calloc_product,
    wrong_list,
    metadata_past_end,
    stats_div0,
    init_keeps_heap,
    half_init,
    pool_wrong_class,
    shrink_spin
  };
  static constexpr std::size_t MAX_POOLS = 4;
  static constexpr std::size_t HEADER = 16, GRANULE = 16, MIN_BLOCK = 16, SL_LOG2 = 2;
  static constexpr std::size_t SMALL = GRANULE << SL_LOG2;  // 64: below it classes are one granule apart
  static constexpr std::size_t MAX_BLOCK = std::size_t{1} << 40;
  static constexpr std::size_t NR_CLASSES = SMALL / GRANULE + (41 - 6) * (1u << SL_LOG2);

  explicit SegFit(Bug bug = Bug::none) : bug_(bug) {}

  bool init(void* base, std::size_t size) {
    if (bug_ == Bug::init_keeps_heap && base_ == base && size == arena_size())
      return true;  // BUG: "already set up" — but the caller was promised a fresh heap
    if (bug_ == Bug::half_init) base_ = static_cast<std::byte*>(base);  // BUG: recorded before the checks
    if (reinterpret_cast<std::uintptr_t>(base) % GRANULE || size % GRANULE || size < 2 * HEADER + MIN_BLOCK ||
        size - 2 * HEADER > MAX_BLOCK)
      return false;
    base_ = static_cast<std::byte*>(base);
    nr_pools_ = 0;
    heads_.fill(nullptr);
    set_sentinel(base_ + size - HEADER, size - 2 * HEADER);
    Block* b = at(base_);
    *b = {size - 2 * HEADER, 0};
    insert(b);
    return true;
  }

  /// Another region for the same heap; false when it is unusable or the
  /// pool table is full.
  bool add_pool(void* base, std::size_t size) {
    if (!base_ || nr_pools_ == MAX_POOLS || reinterpret_cast<std::uintptr_t>(base) % GRANULE ||
        size % GRANULE || size < 2 * HEADER + MIN_BLOCK || size - 2 * HEADER > MAX_BLOCK)
      return false;
    std::byte* lo = static_cast<std::byte*>(base);
    const std::size_t payload_bytes = size - 2 * HEADER;
    Block* end = at(lo + HEADER + payload_bytes);
    *end = {0, payload_bytes};
    pools_[nr_pools_++] = {lo, end};
    Block* b = at(lo);
    *b = {payload_bytes, 0};
    insert(b, bug_ == Bug::pool_wrong_class ? size : payload_bytes);  // BUG: listed by the pool's size
    return true;
  }

  void* alloc(std::size_t n) {
    if (!base_) return nullptr;  // before init, or after a failed one
    std::size_t need;
    if (bug_ == Bug::rounding_overflow) {
      need = std::max((n + GRANULE - 1) & ~(GRANULE - 1), MIN_BLOCK);  // BUG: wraps near 2^64
    } else {
      if (n > MAX_BLOCK) return nullptr;
      need = std::max((n + GRANULE - 1) & ~(GRANULE - 1), MIN_BLOCK);
    }
    if (need > MAX_BLOCK) return nullptr;
    const std::size_t want = search_size(need);
    for (std::size_t c = class_of(want); c < NR_CLASSES; ++c) {
      Block* b = heads_[c];
      if (!b) continue;
      remove(b);
      if (b->size() >= need + HEADER + MIN_BLOCK) {  // split: the rest becomes a free block
        Block* rest = at(payload(b) + need);
        *rest = {b->size() - need - HEADER, need};
        b->size_flags = need;
        fix_prev_of(next(rest), rest->size());
        insert(rest);
      }
      b->size_flags = b->size();  // used
      return payload(b);
    }
    return nullptr;
  }

  void free(void* p) {
    if (!base_) return;
    Block* b = block_of(p);
    if (!b || b->is_free()) return;
    Block* n = next(b);
    if (n->is_free()) {  // merge forward (a sentinel is never free)
      remove(n);
      b->size_flags = b->size() + HEADER + n->size();
    }
    if (bug_ != Bug::no_backward_merge && b->prev_size != 0) {  // (the BUG skips the backward merge)
      Block* pv = prev(b);
      if (pv->is_free()) {
        remove(pv);
        pv->size_flags = pv->size() + HEADER + b->size();
        b = pv;
      }
    }
    fix_prev_of(next(b), b->size());
    insert(b);
  }

  void* realloc(void* p, std::size_t n) {
    if (!p) return alloc(n);
    if (!base_) return nullptr;
    Block* b = block_of(p);
    if (!b || b->is_free()) return nullptr;
    if (n == 0) {  // frees and returns null
      free(p);
      return nullptr;
    }
    if (n <= b->size()) {  // in place: the excess becomes a free block when it can hold one
      const std::size_t need = std::max((n + GRANULE - 1) & ~(GRANULE - 1), MIN_BLOCK);
      if (bug_ == Bug::shrink_spin) {
        while (b->size() > need)  // BUG: spins when the excess is too small to split off
          if (b->size() >= need + HEADER + MIN_BLOCK) split_off(b, need);
      } else if (b->size() >= need + HEADER + MIN_BLOCK) {
        split_off(b, need);
      }
      return p;
    }
    void* q = alloc(n);
    if (!q) return nullptr;
    std::memcpy(q, p, std::min(b->size(), block_of(q)->size()));  // what both blocks hold
    free(p);
    return q;
  }

  void* calloc(std::size_t n, std::size_t size) {
    std::size_t bytes;
    if (bug_ == Bug::calloc_product)
      bytes = n * size;  // BUG: the product wraps
    else if (__builtin_mul_overflow(n, size, &bytes))
      return nullptr;
    void* p = alloc(bytes);
    if (p) std::memset(p, 0, block_of(p)->size());  // the whole block, which holds `bytes`
    return p;
  }

  /// Grows or shrinks the arena's end; a shrink needs the last block free
  /// and either at least MIN_BLOCK bytes left of it or nothing at all.
  bool resize(std::size_t new_size) {
    if (!base_) return false;
    const std::size_t old_size =
        static_cast<std::size_t>(reinterpret_cast<std::byte*>(sentinel_) + HEADER - base_);
    if (new_size % GRANULE || new_size < 2 * HEADER + MIN_BLOCK) return false;
    Block* last = prev(sentinel_);
    if (new_size == old_size) return true;
    if (new_size > old_size) {
      const std::size_t delta = new_size - old_size;
      if (!last->is_free() && delta >= HEADER + MIN_BLOCK) {  // the old sentinel becomes a free block
        Block* b = sentinel_;
        *b = {delta - HEADER, last->size()};
        set_sentinel(base_ + new_size - HEADER, b->size());
        insert(b);
        return true;
      }
      // Too little for a block of its own: the last block (free or not) grows.
      const bool was_free = last->is_free();
      if (was_free) remove(last);
      last->size_flags = last->size() + delta;
      set_sentinel(base_ + new_size - HEADER, last->size());
      if (was_free) insert(last);
      return true;
    }
    const std::size_t cut = old_size - new_size;
    if (!last->is_free()) return false;
    if (last->size() >= cut + MIN_BLOCK) {
      remove(last);
      last->size_flags = (last->size() - cut) | FREE;
      insert(last);
      if (bug_ == Bug::metadata_past_end) {  // BUG: the sentinel stays at the old end
        sentinel_->prev_size = last->size();
        sentinel_ = at(payload(last) + last->size());  // the walk stops here…
        sentinel_meta_ = base_ + old_size - HEADER;    // …but the header written is still the old one
        return true;
      }
      set_sentinel(payload(last) + last->size(), last->size());
      return true;
    }
    if (last->size() + HEADER == cut && last != first()) {  // the whole last block goes
      remove(last);
      set_sentinel(reinterpret_cast<std::byte*>(last), last->prev_size);
      return true;
    }
    return false;
  }

  /// Whether resize(new_size) would shrink the arena (the same rule, nothing changed).
  bool can_shrink(std::size_t new_size) const {
    const std::size_t old_size = arena_size();
    if (!base_ || new_size % GRANULE || new_size < 2 * HEADER + MIN_BLOCK || new_size >= old_size)
      return false;
    const std::size_t cut = old_size - new_size;
    const Block* last = prev(sentinel_);
    return last->is_free() &&
           (last->size() >= cut + MIN_BLOCK || (last->size() + HEADER == cut && last != first()));
  }
  std::size_t usable_size(const void* p) const { return block_of(p)->size(); }
  bool is_empty() const {
    if (!base_) return true;
    bool empty = true;
    for_regions([&](Block* lo, Block* end) {
      for (Block* b = lo; b != end; b = next(b))
        if (!b->is_free()) empty = false;
    });
    return empty;
  }
  template <class Visit>
  void walk(Visit visit) const {
    for_regions([&](Block* lo, Block* end) {
      for (Block* b = lo; b != end; b = next(b))
        if (!b->is_free()) visit(payload(b), b->size());
    });
  }
  struct Stats {
    std::size_t used_blocks = 0, used_bytes = 0, free_bytes = 0, largest_free = 0;
    double mean_used_block = 0;
  };
  /// One walk over the blocks (payload bytes; headers count as neither).
  Stats stats() const {
    Stats st;
    if (!base_) return st;
    for_regions([&](Block* lo, Block* end) {
      for (Block* b = lo; b != end; b = next(b)) {
        if (b->is_free()) {
          st.free_bytes += b->size();
          st.largest_free = std::max(st.largest_free, b->size());
        } else {
          ++st.used_blocks;
          st.used_bytes += b->size();
        }
      }
    });
    if (bug_ == Bug::stats_div0 || st.used_blocks != 0)  // BUG: 0/0 on an empty heap
      st.mean_used_block = static_cast<double>(st.used_bytes) / static_cast<double>(st.used_blocks);
    return st;
  }

  /// The sentinel header: the only metadata inside the arena.
  const std::byte* sentinel() const { return sentinel_meta_; }

  /// The allocator's own validator: the tiles add up, prev sizes match, no
  /// two free neighbours, every free block in the list of its class and
  /// every listed block free.
  std::optional<std::string> check() const {
    if (!base_) return std::nullopt;
    std::size_t free_blocks = 0;
    std::optional<std::string> bad;
    for_regions([&](Block* lo, Block* end) {
      bool prev_free = false;
      std::size_t prev_size = 0;
      for (Block* b = lo; b != end && !bad; b = next(b)) {
        if (end == sentinel_ && reinterpret_cast<std::byte*>(b) >= sentinel_meta_)
          bad = "a block lies past the sentinel";
        else if (b->prev_size != prev_size)
          bad = "a block's prev_size disagrees with the block before it";
        else if (b->is_free() && prev_free)
          bad = "two free blocks are neighbours";
        else if (b->is_free() && (++free_blocks, !listed(b, class_of(b->size()))))
          bad = "a free block of " + std::to_string(b->size()) + " bytes is not in the list of its class " +
                std::to_string(class_of(b->size()));
        prev_free = b->is_free();
        prev_size = b->size();
      }
    });
    if (bad) return bad;
    std::size_t listed_blocks = 0;
    for (Block* h : heads_)
      for (Block* b = h; b; b = b->next_free()) {
        if (!b->is_free()) return "a used block is on a free list";
        ++listed_blocks;
      }
    if (listed_blocks != free_blocks)
      return std::to_string(listed_blocks) + " blocks are listed free, but the heap holds " +
             std::to_string(free_blocks);
    return std::nullopt;
  }

 private:
  static constexpr std::size_t FREE = 1;
  struct Block {
    std::size_t size_flags;  // payload bytes | FREE
    std::size_t prev_size;   // payload bytes of the block before it; 0 for the first block
    std::size_t size() const { return size_flags & ~FREE; }
    bool is_free() const { return size_flags & FREE; }
    Block*& next_free() { return reinterpret_cast<Block**>(this + 1)[0]; }
    Block*& prev_free() { return reinterpret_cast<Block**>(this + 1)[1]; }
  };
  static_assert(sizeof(Block) == HEADER);

  /// The class a block of `size` bytes is listed in.
  static std::size_t class_of(std::size_t size) {
    if (size < SMALL) return size / GRANULE;
    const std::size_t f = static_cast<std::size_t>(std::bit_width(size)) - 1;
    const std::size_t sl = (size >> (f - SL_LOG2)) & ((1u << SL_LOG2) - 1);
    return SMALL / GRANULE + (f - 6) * (1u << SL_LOG2) + sl;
  }
  /// `need` rounded up to the start of the next class: every block listed
  /// there holds it.
  static std::size_t search_size(std::size_t need) {
    if (need < SMALL) return need;
    const std::size_t f = static_cast<std::size_t>(std::bit_width(need)) - 1;
    const std::size_t w = std::size_t{1} << (f - SL_LOG2);
    return (need + w - 1) & ~(w - 1);
  }

  static Block* at(std::byte* p) { return reinterpret_cast<Block*>(p); }
  static std::byte* payload(Block* b) { return reinterpret_cast<std::byte*>(b) + HEADER; }
  Block* first() const { return at(base_); }
  Block* next(Block* b) const { return at(payload(b) + b->size()); }
  Block* prev(Block* b) const { return at(reinterpret_cast<std::byte*>(b) - b->prev_size - HEADER); }
  void fix_prev_of(Block* b, std::size_t size) { b->prev_size = size; }
  void set_sentinel(std::byte* p, std::size_t prev_size) {
    sentinel_ = at(p);
    *sentinel_ = {0, prev_size};
    sentinel_meta_ = p;
  }
  /// The used block whose payload starts at p, or nullptr (frees are
  /// validated by a walk, so stale pointers are harmless).
  Block* block_of(const void* p) const {
    Block* found = nullptr;
    for_regions([&](Block* lo, Block* end) {
      for (Block* b = lo; b != end && !found; b = next(b))
        if (payload(b) == p) found = b;
    });
    return found;
  }
  /// f(first block, end sentinel) for the arena, then every pool.
  template <class F>
  void for_regions(F f) const {
    f(first(), sentinel_);
    for (std::size_t i = 0; i < nr_pools_; ++i) f(at(pools_[i].base), pools_[i].end);
  }
  /// The used block b keeps `need` bytes; the rest becomes a free block
  /// (merged with a free block after it).
  void split_off(Block* b, std::size_t need) {
    Block* rest = at(payload(b) + need);
    *rest = {b->size() - need - HEADER, need};  // used, so free() below merges it
    b->size_flags = need;
    fix_prev_of(next(rest), rest->size());
    free(payload(rest));
  }
  std::size_t arena_size() const {
    return base_ && sentinel_
               ? static_cast<std::size_t>(reinterpret_cast<std::byte*>(sentinel_) + HEADER - base_)
               : 0;
  }
  bool listed(Block* b, std::size_t c) const {
    for (Block* x = heads_[c]; x; x = x->next_free())
      if (x == b) return true;
    return false;
  }
  void insert(Block* b) { insert(b, b->size()); }
  /// Lists b in the class of `by_size` (its own size, unless a bug says otherwise).
  void insert(Block* b, std::size_t by_size) {
    b->size_flags = b->size() | FREE;
    std::size_t c = class_of(by_size);
    if (bug_ == Bug::wrong_list && b->size() >= SMALL && class_of(b->size() - 1) != c) c -= 1;  // BUG
    b->next_free() = heads_[c];
    b->prev_free() = nullptr;
    if (heads_[c]) heads_[c]->prev_free() = b;
    heads_[c] = b;
  }
  void remove(Block* b) {
    if (b->prev_free())
      b->prev_free()->next_free() = b->next_free();
    else
      for (Block*& h : heads_)
        if (h == b) h = b->next_free();
    if (b->next_free()) b->next_free()->prev_free() = b->prev_free();
  }
  Bug bug_;
  std::byte* base_ = nullptr;
  Block* sentinel_ = nullptr;
  std::byte* sentinel_meta_ = nullptr;
  std::array<Block*, NR_CLASSES> heads_{};
  struct Region {
    std::byte* base;
    Block* end;  ///< the pool's sentinel
  };
  std::array<Region, MAX_POOLS> pools_{};
  std::size_t nr_pools_ = 0;
};

/// The adapter. `self_check` off shows that the model finds the merge bug
/// without the allocator's own validator; `model` off too, that RESTORE
/// (the model-free oracle) does.
class SegFitSubject : public kmf::ArenaSubject {
 public:
  explicit SegFitSubject(SegFit::Bug bug = SegFit::Bug::none, bool self_check = true, bool model = true)
      : heap_(bug), self_check_(self_check), model_(model) {}
  explicit SegFitSubject(int bug, bool self_check = true, bool model = true)
      : SegFitSubject(static_cast<SegFit::Bug>(bug), self_check, model) {}
  std::string_view name() const override { return "segregated-fit example"; }
  kmf::Caps capabilities() const override {
    return kmf::CAP_ALIGN | kmf::CAP_REALLOC | kmf::CAP_USABLE_SIZE | kmf::CAP_IS_EMPTY | kmf::CAP_WALK |
           kmf::CAP_RESIZE | kmf::CAP_METADATA | kmf::CAP_STALE_FREE | kmf::CAP_CONTRACT | kmf::CAP_CALLOC |
           kmf::CAP_STATS | kmf::CAP_POOLS | (self_check_ ? kmf::Caps{kmf::CAP_SELF_CHECK} : 0);
  }
  kmf::ArenaGeometry geometry() const override {
    return {.min_size = 256,
            .max_size = 64 << 10,
            .size_granule = 64,  // grows of 64+ bytes: every grow holds a block of its own
            .base_align = 16,
            .min_align = 16,
            .max_align = 16};
  }
  // Classes as SegFit rounds them; each block costs a 16-byte header.
  kmf::FitModel fit_model() const override {
    if (!model_) return {};
    return kmf::FitModel::segregated(SegFit::SL_LOG2, SegFit::MIN_BLOCK, SegFit::HEADER, SegFit::GRANULE);
  }
  // Oversized requests and alignments above 16 return null; size 0 returns a
  // unique (16-byte) block; realloc(p, 0) frees p and returns null; calls
  // before init are refused; a second init starts the heap over.
  kmf::Contract contract() const override {
    return {.zero_size = kmf::Contract::ZeroSize::unique,
            .realloc_null = kmf::Contract::ReallocNull::allocates,
            .realloc_zero = kmf::Contract::ReallocZero::frees,
            .non_pow2_align = kmf::Contract::NonPow2::refused,
            .max_block = SegFit::MAX_BLOCK,
            .max_align = SegFit::GRANULE,
            .before_init = kmf::Contract::BeforeInit::refused,
            .second_init = kmf::Contract::SecondInit::resets};
  }

  bool init(void* base, std::size_t size, std::size_t) override { return heap_.init(base, size); }
  void* alloc(std::size_t size, std::size_t align) override {
    if (align > SegFit::GRANULE || (align != 0 && !std::has_single_bit(align))) return nullptr;
    return heap_.alloc(size);
  }
  void free(void* p) override { heap_.free(p); }
  bool add_pool(void* base, std::size_t size) override { return heap_.add_pool(base, size); }
  void* realloc(void* p, std::size_t size) override { return heap_.realloc(p, size); }
  void* calloc(std::size_t n, std::size_t size) override { return heap_.calloc(n, size); }
  bool resize(std::size_t new_size) override { return heap_.resize(new_size); }
  bool can_shrink(std::size_t new_size) const override { return heap_.can_shrink(new_size); }
  std::size_t usable_size(const void* p) const override { return heap_.usable_size(p); }
  bool is_empty() const override { return heap_.is_empty(); }
  void walk(const BlockVisitor& visit) const override { heap_.walk(visit); }
  void metadata(const BlockVisitor& visit) const override { visit(heap_.sentinel(), SegFit::HEADER); }
  std::optional<std::string> check() const override { return heap_.check(); }
  kmf::ArenaStats stats() const override { return to_stats(heap_.stats()); }
  // A block's payload exceeds its request by under 16 (rounding) + 32 (an
  // unsplit tail); every block and the sentinel cost a 16-byte header.
  kmf::StatsTolerance stats_tolerance() const override { return {.per_block = 48, .fixed = 64}; }

 protected:
  static kmf::ArenaStats to_stats(const SegFit::Stats& st) {
    return {.used_blocks = st.used_blocks,
            .used_bytes = st.used_bytes,
            .free_bytes = st.free_bytes,
            .largest_free = st.largest_free,
            .metrics = {{"mean_used_block", st.mean_used_block}}};
  }

 private:
  SegFit heap_;
  bool self_check_;
  bool model_;
};

/// The segregated-fit allocator behind a heap-handle API: the default heap
/// (init/alloc/free) and EXTRA more, each a SegFit over its own arena, with
/// every per-heap call (alloc_in, realloc_in, calloc_in, walk_in, stats_in …).
/// Planted bugs (HeapBug): one per-heap function forgets its handle and
/// works on the default heap — alloc_in, calloc_in or realloc_in hand out
/// a block of heap 0's arena (IN-BOUNDS), walk_in walks heap 0 (WALK),
/// stats_in counts heap 0 (STATS), is_empty_in asks heap 0 (EMPTY).
/// `heap_bug` plants a SegFit::Bug in the extra heaps only (the default
/// heap stays correct), to show every oracle runs per heap.
class SegFitHeapsSubject : public SegFitSubject {
 public:
  enum class HeapBug {
    none,
    alloc_default,
    calloc_default,
    realloc_default,
    walk_default,
    stats_default,
    empty_default
  };
  static constexpr unsigned EXTRA = 2;
  explicit SegFitHeapsSubject(HeapBug bug = HeapBug::none, SegFit::Bug heap_bug = SegFit::Bug::none,
                              bool self_check = true, bool model = true)
      : SegFitSubject(SegFit::Bug::none, self_check, model),
        bug_(bug),
        heaps_{SegFit(heap_bug), SegFit(heap_bug)} {}
  explicit SegFitHeapsSubject(int bug) : SegFitHeapsSubject(static_cast<HeapBug>(bug)) {}
  std::string_view name() const override { return "segregated-fit heaps example"; }
  kmf::Caps capabilities() const override { return SegFitSubject::capabilities() | kmf::CAP_HEAPS; }
  unsigned extra_heaps() const override { return EXTRA; }
  bool init_heap(unsigned h, void* base, std::size_t size, std::size_t) override {
    return valid(h) && heaps_[h - 1].init(base, size);
  }
  void* alloc_in(unsigned h, std::size_t size, std::size_t align) override {
    if (!valid(h) || align > SegFit::GRANULE || (align != 0 && !std::has_single_bit(align))) return nullptr;
    if (bug_ == HeapBug::alloc_default) return SegFitSubject::alloc(size, align);  // BUG: the default heap
    return heaps_[h - 1].alloc(size);
  }
  void free_in(unsigned h, void* p) override {
    if (valid(h)) heaps_[h - 1].free(p);
  }
  void* realloc_in(unsigned h, void* p, std::size_t size) override {
    if (!valid(h)) return nullptr;
    if (bug_ == HeapBug::realloc_default && p && size > heaps_[h - 1].usable_size(p)) {
      void* q = SegFitSubject::alloc(size, 0);  // BUG: a growing block moves to the default heap
      if (!q) return nullptr;
      std::memcpy(q, p, heaps_[h - 1].usable_size(p));
      heaps_[h - 1].free(p);
      return q;
    }
    return heaps_[h - 1].realloc(p, size);
  }
  void* calloc_in(unsigned h, std::size_t n, std::size_t size) override {
    if (!valid(h)) return nullptr;
    if (bug_ == HeapBug::calloc_default) return SegFitSubject::calloc(n, size);  // BUG: the default heap
    return heaps_[h - 1].calloc(n, size);
  }
  std::size_t usable_size_in(unsigned h, const void* p) const override {
    return valid(h) ? heaps_[h - 1].usable_size(p) : 0;
  }
  bool resize_in(unsigned h, std::size_t new_size) override {
    return valid(h) && heaps_[h - 1].resize(new_size);
  }
  bool can_shrink_in(unsigned h, std::size_t new_size) const override {
    return valid(h) && heaps_[h - 1].can_shrink(new_size);
  }
  bool is_empty_in(unsigned h) const override {
    if (bug_ == HeapBug::empty_default) return SegFitSubject::is_empty();  // BUG: the default heap
    return valid(h) && heaps_[h - 1].is_empty();
  }
  void walk_in(unsigned h, const BlockVisitor& visit) const override {
    if (bug_ == HeapBug::walk_default) return SegFitSubject::walk(visit);  // BUG: the default heap
    if (valid(h)) heaps_[h - 1].walk(visit);
  }
  void metadata_in(unsigned h, const BlockVisitor& visit) const override {
    if (valid(h)) visit(heaps_[h - 1].sentinel(), SegFit::HEADER);
  }
  kmf::ArenaStats stats_in(unsigned h) const override {
    if (bug_ == HeapBug::stats_default) return SegFitSubject::stats();  // BUG: the default heap
    return valid(h) ? to_stats(heaps_[h - 1].stats()) : kmf::ArenaStats{};
  }
  std::optional<std::string> check() const override {
    for (unsigned h = 1; h <= EXTRA; ++h)
      if (auto msg = heaps_[h - 1].check()) return "heap " + std::to_string(h) + ": " + *msg;
    return SegFitSubject::check();
  }

 private:
  static bool valid(unsigned h) { return h >= 1 && h <= EXTRA; }
  HeapBug bug_;
  std::array<SegFit, EXTRA> heaps_;
};

}  // namespace example
