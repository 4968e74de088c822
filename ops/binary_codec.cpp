// binary_codec.cpp — decoding fuzz bytes into Programs and encoding them back.
//
// One Decoder::step turns one op record into at most one op; the encoder
// writes a record and then runs that same step on it, so the two can never
// disagree about slot state: the encoder's SlotTracker *is* the decoder's.
//
// Op records ([opcode] then fields; "slot(SET)" is an index into SET):
//   alloc_pages     order gfp                 get_free_pages  order gfp
//   free_pages      slot(live pages)          kmalloc/kzalloc size gfp
//   krealloc        slot(live kmalloc) size gfp
//   kfree           slot(live kmalloc)        cache_create    size align flags(u8 & 0x1f)
//   cache_alloc     slot(live cache) gfp      cache_free      slot(live object)   (its own cache)
//   cache_destroy   slot(live cache)          cache_shrink    slot(live cache)
//   vmalloc/vzalloc size (≤ 4 MiB)            vfree           slot(live vmalloc)
//   ioremap         phys(u32) size (≤ 4 MiB)  iounmap         slot(live ioremap)
//   write           slot(live, not ioremap) off(u24) len(u16) byte
//                   off = off % E, len = 1 + len % min(E - off, 4096), E = min(size, 16 MiB) > 0
//   atomic          u8 & 1
//   fail            flags(bit0 slab, bit1 set and bit4 clear: ignore_gfp_wait, bit2 ignore_gfp_highmem)
//                   prob(≥ 0x80 → 100, else 100 - b % 101)  interval(≥ 0x80 → 2 + ((0xff - b) & 15),
//                   else 1)  times({-1,1,2,3,4,6,0,1}[b % 8])  space(≥ 0x80 → (0xff - b) × 4096, else 0)
//                   min_order(< 0x80 → b & 1, else (0xff - b) % 12): 0x00… and 0xff… are both aggressive
//                   (slab keeps min_order=1 and ignore_gfp_highmem=yes; with flags bit 3 its last
//                   byte names the cache filter: < 0x80 a live cache (candidate b), else or with
//                   none the kmalloc class (b & 0x3f) % classes)
//   repeat          count(< 0x80 → 2 + (c & 31), else 8 × (c − 0x7c)) then one record, decoded
//                   that many times (slots resolved anew each time; copy k of a short repeat picks
//                   candidate raw + k × ((c >> 5) & 3); a repeat inside is its count only)
//   fail_off        —
//   wrong_order     slot(live pages) order    (an order equal to the binding's becomes order+1 mod 64)
//   double_free     slot(freed memory)        (its own API; an object whose cache is gone: skipped)
//   interior_free   slot(live kmalloc|object|vmalloc) off(u16): +1 + off % (min(size, 65536) - 1),
//                   strictly inside: 1 .. size-1 (skipped for size 0 or 1)
//   wrong_api       slot(live memory) api(u8 % 5: kfree, free_pages, vfree, iounmap,
//                   kmem_cache_free) slot(live cache, used by kmem_cache_free only)
//   wrong_cache     slot(live cache) slot(live object)
//   double_destroy  slot(destroyed cache)
//   scribble        slot(writable kinds, live or freed) off(u24) len(u16) byte
//                   bit 23 of off clear: off % (E + 64); set: A + delta(off & 0x7f) (≥ 0),
//                   delta(d) = -1 - d below 32, d - 32 from 32; A = the slot's end (kmalloc size
//                   class, object size, vmalloc pages, block), with bit 22 its stride (a slab
//                   object's red zone end; twice the end otherwise); len = 1 + len % 64
// Fields are read in full before candidates are resolved, so a record's
// length never depends on slot state.
#include "ops/binary_codec.h"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string>

#include "alloc/slab.h"
#include "check/kernel_checker.h"
#include "ops/slot_tracker.h"

namespace kmf {
namespace {

using detail::freed;
using detail::live;
using detail::SlotKind;
using detail::SlotSet;
using detail::SlotTracker;

enum class BinOp : std::uint8_t {
  alloc_pages,
  get_free_pages,
  free_pages,
  kmalloc,
  kzalloc,
  krealloc,
  kfree,
  cache_create,
  cache_alloc,
  cache_free,
  cache_destroy,
  cache_shrink,
  vmalloc,
  vzalloc,
  vfree,
  ioremap,
  iounmap,
  write,
  atomic,
  fail,
  fail_off,
  wrong_order,
  double_free,
  interior_free,
  wrong_api,
  wrong_cache,
  double_destroy,
  scribble,
  repeat,
};
constexpr std::size_t NR_BINOPS = 29;

struct BinOpInfo {
  std::uint32_t families;  ///< all of these must be enabled
  std::uint8_t weight;     ///< share of the opcode table
};

// Allocation and proper frees dominate; misuse and fault ops are a seasoning.
constexpr std::array<BinOpInfo, NR_BINOPS> INFO{{
    {FAMILY_PAGES, 8},                  // alloc_pages
    {FAMILY_PAGES, 8},                  // get_free_pages
    {FAMILY_PAGES, 10},                 // free_pages
    {FAMILY_SLAB, 10},                  // kmalloc
    {FAMILY_SLAB, 4},                   // kzalloc
    {FAMILY_SLAB, 4},                   // krealloc
    {FAMILY_SLAB, 10},                  // kfree
    {FAMILY_SLAB, 3},                   // cache_create
    {FAMILY_SLAB, 8},                   // cache_alloc
    {FAMILY_SLAB, 8},                   // cache_free
    {FAMILY_SLAB, 2},                   // cache_destroy
    {FAMILY_SLAB, 2},                   // cache_shrink
    {FAMILY_VMALLOC, 6},                // vmalloc
    {FAMILY_VMALLOC, 3},                // vzalloc
    {FAMILY_VMALLOC, 6},                // vfree
    {FAMILY_VMALLOC, 3},                // ioremap
    {FAMILY_VMALLOC, 3},                // iounmap
    {FAMILY_MEMORY, 8},                 // write
    {FAMILY_FAULTS, 2},                 // atomic
    {FAMILY_FAULTS, 5},                 // fail (a quarter of the zoo's bugs are in fault injection)
    {FAMILY_FAULTS, 1},                 // fail_off
    {FAMILY_MISUSE | FAMILY_PAGES, 2},  // wrong_order
    {FAMILY_MISUSE, 2},                 // double_free
    {FAMILY_MISUSE, 2},                 // interior_free
    {FAMILY_MISUSE, 2},                 // wrong_api
    {FAMILY_MISUSE | FAMILY_SLAB, 2},   // wrong_cache
    {FAMILY_MISUSE | FAMILY_SLAB, 1},   // double_destroy
    {FAMILY_MISUSE, 2},                 // scribble
    {0, 8},                             // repeat (every target)
}};

/// opcode % size → op type, for one set of enabled families.
struct OpTable {
  std::array<BinOp, 256> ops{};
  unsigned size = 0;
  std::array<int, NR_BINOPS> first{};  ///< the smallest opcode of each type, -1 when disabled

  explicit OpTable(std::uint32_t families) {
    first.fill(-1);
    for (std::size_t i = 0; i < NR_BINOPS; ++i) {
      if ((INFO[i].families & families) != INFO[i].families) continue;
      first[i] = static_cast<int>(size);
      for (unsigned w = 0; w < INFO[i].weight; ++w) ops[size++] = static_cast<BinOp>(i);
    }
  }
};

// ---- bytes ---------------------------------------------------------------------------

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool empty() const { return pos_ >= bytes_.size(); }
  std::size_t pos() const { return pos_; }
  std::uint8_t u8() { return pos_ < bytes_.size() ? bytes_[pos_++] : 0; }
  std::uint32_t u16() {
    const std::uint32_t lo = u8();
    return lo | (std::uint32_t{u8()} << 8);
  }
  std::uint32_t u24() {
    const std::uint32_t lo = u16();
    return lo | (std::uint32_t{u8()} << 16);
  }
  std::uint32_t u32() {
    const std::uint32_t lo = u16();
    return lo | (u16() << 16);
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
  void u8(std::uint64_t v) { out_.push_back(static_cast<std::uint8_t>(v)); }
  void u16(std::uint64_t v) {
    u8(v);
    u8(v >> 8);
  }
  void u24(std::uint64_t v) {
    u16(v);
    u8(v >> 16);
  }
  void u32(std::uint64_t v) {
    u16(v);
    u16(v >> 16);
  }

 private:
  std::vector<std::uint8_t>& out_;
};

// ---- shaped fields ---------------------------------------------------------------------

constexpr std::uint8_t ESC = 0xf0;  ///< a table byte at or above this escapes to a raw value
constexpr std::uint64_t U32_MAX = std::numeric_limits<std::uint32_t>::max();

constexpr std::array<unsigned, 16> ORDERS{0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 9, 10, 11};
constexpr unsigned MAX_ORDER_FIELD = 63;

unsigned read_order(Reader& r) {
  const std::uint8_t b = r.u8();
  return b < ESC ? ORDERS[b % ORDERS.size()] : r.u8() % (MAX_ORDER_FIELD + 1);
}
void write_order(Writer& w, unsigned order) {
  order = std::min(order, MAX_ORDER_FIELD);
  for (std::size_t i = 0; i < ORDERS.size(); ++i) {
    if (ORDERS[i] == order) {
      w.u8(i);
      return;
    }
  }
  w.u8(ESC);
  w.u8(order);
}

// Atomic requests (GFP_HIGH without blocking) are a quarter: only they may
// take a zone below its min watermark, into the reserve (the watermark window).
constexpr std::array<gfp_t, 16> GFPS{
    GFP_KERNEL,
    GFP_ATOMIC,
    GFP_ATOMIC,
    GFP_NOWAIT,
    GFP_KERNEL | GFP_ZERO,
    GFP_KERNEL | GFP_DMA,
    GFP_ATOMIC | GFP_DMA,
    GFP_HIGHUSER,
    GFP_KERNEL | GFP_HIGHMEM,
    GFP_USER,
    GFP_KERNEL | GFP_DMA32,
    GFP_KERNEL | GFP_NOWARN,
    GFP_KERNEL | GFP_NOFAIL,
    GFP_ATOMIC | GFP_ZERO,
    0,
    GFP_HIGHUSER | GFP_ZERO,
};

gfp_t read_gfp(Reader& r) {
  const std::uint8_t b = r.u8();
  return b < ESC ? GFPS[b % GFPS.size()] : (r.u16() & GFP_VALID_MASK);
}
void write_gfp(Writer& w, gfp_t gfp) {
  gfp &= GFP_VALID_MASK;
  for (std::size_t i = 0; i < GFPS.size(); ++i) {
    if (GFPS[i] == gfp) {
      w.u8(i);
      return;
    }
  }
  w.u8(ESC);
  w.u16(gfp);
}

constexpr std::array<std::uint32_t, 16> ALIGNS{0, 0, 8, 16, 32, 64,  128,  4096,
                                               1, 2, 4, 3,  24, 256, 1024, 2048};

std::uint64_t read_align(Reader& r) {
  const std::uint8_t b = r.u8();
  return b < ESC ? ALIGNS[b % ALIGNS.size()] : r.u32();
}
void write_align(Writer& w, std::uint64_t align) {
  align = std::min(align, U32_MAX);
  for (std::size_t i = 0; i < ALIGNS.size(); ++i) {
    if (ALIGNS[i] == align) {
      w.u8(i);
      return;
    }
  }
  w.u8(ESC);
  w.u32(align);
}

// Sizes: 2^k-1, 2^k, 2^k+1 for k ≤ 23 (every kmalloc class edge and profile
// limit: 8K, 128K, 4M), small sizes linearly, a table of odd sizes, raw u32.
constexpr unsigned POW2_FORMS = 72;  // k = 0..23, three deltas each
constexpr std::uint8_t SMALL_BASE = 0x80;
constexpr std::uint8_t ODD_BASE = 0xc0;
constexpr std::uint64_t SMALL_LIMIT = 1u << 14;  // small sizes: 0 .. SMALL_LIMIT-1
constexpr std::array<std::uint32_t, 32> ODD_SIZES{
    24,    40,    48,    56,    72,    80,     96,     100,    112,     160,    192,
    200,   384,   500,   768,   1000,  1500,   1536,   3000,   3072,    5000,   6144,
    10000, 12288, 24576, 49152, 98304, 100000, 196608, 393216, 1000000, 3145728};

std::uint64_t pow2_form(unsigned i) { return (std::uint64_t{1} << (i / 3)) + (i % 3) - 1; }

std::uint64_t read_size(Reader& r) {
  const std::uint8_t m = r.u8();
  if (m < SMALL_BASE) return pow2_form(m % POW2_FORMS);
  if (m < ODD_BASE) {
    const std::uint64_t hi = m & 0x3f;
    return hi << 8 | r.u8();
  }
  if (m < ESC) return ODD_SIZES[(m - ODD_BASE) % ODD_SIZES.size()];
  return r.u32();
}
void write_size(Writer& w, std::uint64_t size) {
  size = std::min(size, U32_MAX);
  for (unsigned i = 0; i < POW2_FORMS; ++i) {
    if (pow2_form(i) == size) {
      w.u8(i);
      return;
    }
  }
  if (size < SMALL_LIMIT) {
    w.u8(SMALL_BASE | (size >> 8));
    w.u8(size & 0xff);
    return;
  }
  for (std::size_t i = 0; i < ODD_SIZES.size(); ++i) {
    if (ODD_SIZES[i] == size) {
      w.u8(ODD_BASE + i);
      return;
    }
  }
  w.u8(ESC);
  w.u32(size);
}

// Repeat counts: c < 0x80 → 2 + (c & 31) (2 … 33: churn); else 8 × (c − 0x7c)
// (32 … 1048: enough order-10 blocks to drain 4 GiB, every order-0 page of a
// small machine, or two slabs of any cache).
unsigned repeat_count(std::uint8_t c) { return c < 0x80 ? 2u + (c & 31u) : 8u * (c - 0x7cu); }
// Short repeats spread their slot picks: copy k picks candidate raw + k × stride,
// stride = bits 5-6 (0 … 3): stride 2 frees every other page of a drained
// zone, which fragments it (free pages that cannot serve a higher order).
unsigned repeat_stride(std::uint8_t c) { return c < 0x80 ? (c >> 5) & 3u : 0; }

// Memory-op shaping.
constexpr std::uint64_t MEM_SPAN = 16 * MiB;       ///< offsets reach the first 16 MiB of an allocation
constexpr std::uint64_t MAX_WRITE = 4096;          ///< write length, inclusive
constexpr std::uint64_t SCRIBBLE_SLACK = 64;       ///< scribbles reach this far past the end
constexpr std::uint64_t MAX_SCRIBBLE = 64;         ///< scribble length, inclusive
constexpr std::uint64_t INTERIOR_SPAN = 1u << 16;  ///< interior offsets: 1 .. min(size, 64 KiB) - 1
constexpr std::uint64_t SPACE_UNIT = 4096;         ///< fail space= granularity
constexpr unsigned MAX_FAIL_MIN_ORDER = 11;  ///< fail min_order=, inclusive: 11 already spares every order

constexpr SlotSet INTERIOR_SET = live(SlotKind::kmalloc) | live(SlotKind::object) | live(SlotKind::vmalloc);
constexpr SlotSet SCRIBBLE_SET = detail::LIVE_WRITABLE | detail::FREED_WRITABLE;

std::uint64_t mem_extent(const detail::SlotState& st) { return std::min(st.size, MEM_SPAN); }
/// Interior offsets are 1 .. interior_span: strictly inside the object (an
/// offset equal to the size is the next object or page, not this one's
/// interior); 0 when the object has no interior byte (size 0 or 1).
std::uint64_t interior_span(const detail::SlotState& st) {
  const std::uint64_t n = std::min(st.size, INTERIOR_SPAN);
  return n > 1 ? n - 1 : 0;
}

/// Scribbles: bit 23 of the offset field clear → off % (E + SCRIBBLE_SLACK)
/// from the start; set → anchor + delta(field & 0x7f) with the anchor at the
/// end of the object's slot: the kmalloc size class (the red zone starts
/// there, so a kmalloc(100) scribble reaches both its slack 100..127 and the
/// red zone past 128), a cache object's size, a vmalloc area's last page
/// (its guard page follows), a page block's end. With bit 22 set the anchor
/// is the slot's stride instead: a slab object's red zone's end (the next
/// object starts there; the slab geometry of its cache with slab_debug), twice
/// the end for everything else (a one-page area's guard page's end).
/// delta(d) = -1 - d for d < 32 (-1 … -32), d - 32 above (0 … 95): a zero
/// byte is the last byte before the anchor, the red zone's last byte.
constexpr std::uint64_t SCRIBBLE_ANCHORED = 1u << 23;
constexpr std::uint64_t ANCHOR_BEFORE = 32;  ///< anchored offsets: anchor - 32 .. anchor + 95
constexpr std::uint64_t ANCHOR_SPAN = 128;

constexpr std::uint64_t SCRIBBLE_FAR = 1u << 22;  ///< anchored at the slot's stride

/// The anchored offset for field bits 0-6 (`d`), or nullopt below 0.
std::optional<std::uint64_t> anchored_offset(std::uint64_t anchor, std::uint64_t d) {
  if (d < ANCHOR_BEFORE) {
    if (anchor < d + 1) return std::nullopt;
    return anchor - 1 - d;
  }
  return anchor + (d - ANCHOR_BEFORE);
}
/// The inverse: the field bits for `off`, when it is within reach of `anchor`.
std::optional<std::uint64_t> anchored_field(std::uint64_t anchor, std::uint64_t off) {
  if (off < anchor) {
    if (anchor - off > ANCHOR_BEFORE) return std::nullopt;
    return anchor - 1 - off;
  }
  if (off - anchor >= ANCHOR_SPAN - ANCHOR_BEFORE) return std::nullopt;
  return off - anchor + ANCHOR_BEFORE;
}

/// A slab object's stride (object, padding and red zone) under slab_debug,
/// or 0 when the geometry has none.
std::uint64_t slab_stride(std::uint64_t size, std::uint64_t align, SlabFlags flags, const MachineConfig& m) {
  const auto g = cache_geometry(size, align, flags, false, m.slab_debug, m.kmalloc);
  return g ? g->size : 0;
}
std::uint64_t kmalloc_stride(std::uint64_t cls, const MachineConfig& m) {
  const auto classes = kmalloc_size_classes(m.kmalloc);
  if (cls == 0 || classes.empty() || cls > classes.back()) return 0;  // a large kmalloc: pages
  return slab_stride(cls, cls & (~cls + 1), SLAB_NONE, m);
}

/// The slot's end (see above), or with `far` its stride; `cache_stride` is
/// the stride of an object's cache (0: unknown).
std::uint64_t scribble_anchor(const detail::SlotState& st, const MachineConfig& m, bool far,
                              std::uint64_t cache_stride) {
  std::uint64_t end = st.size;
  if (st.kind == SlotKind::kmalloc) {
    const std::uint64_t cls = kmalloc_size_class(m.kmalloc, st.size);
    end = cls ? cls : st.size;
    if (far) {
      const std::uint64_t stride = kmalloc_stride(cls, m);
      return stride ? stride : 2 * end;
    }
  } else if (st.kind == SlotKind::vmalloc) {
    end = page_align_up(st.size);
  } else if (st.kind == SlotKind::object && far && cache_stride) {
    return cache_stride;
  }
  return far ? 2 * end : end;
}
/// fail min_order: b < 0x80 → b & 1 (0: every order, 1: the kernel's
/// default; order-0 requests dominate, so the other orders are rarer), else (b & 0x7f) % 12.
unsigned min_order_of(std::uint8_t b) { return b < 0x80 ? b & 1u : (0xffu - b) % (MAX_FAIL_MIN_ORDER + 1); }

// fail fields are shaped so that both a zero-filled and a 0xff-filled record
// are an aggressive attribute (probability 100, every call or every second,
// no space budget, times unlimited or 1, no gfp exemption): the values
// libFuzzer inserts most often then reach an injection, not a dormant one.
constexpr std::array<std::int64_t, 8> FAIL_TIMES{-1, 1, 2, 3, 4, 6, 0, 1};

bool is_page_kind(SlotKind k) { return k == SlotKind::pages_pfn || k == SlotKind::pages_va; }

// ---- decoding ----------------------------------------------------------------------------

class Decoder {
 public:
  Decoder(Program& out, const OpTable& table) : out_(out), table_(table) {}
  const SlotTracker& slots() const { return t_; }

  /// Decodes one op record, appending at most one op (a repeat record: up
  /// to its count, each copy's slots resolved against the state it meets).
  void step(Reader& r, bool nested = false) {
    const std::uint8_t code = r.u8();
    if (table_.size == 0) return;
    switch (table_.ops[code % table_.size]) {
      case BinOp::repeat: {
        const std::uint8_t c = r.u8();
        if (nested) break;  // a repeat inside a repeat is only its count byte
        const unsigned reps = repeat_count(c);
        const unsigned stride = repeat_stride(c);
        const Reader start = r;
        for (unsigned k = 0; k < reps; ++k) {
          if (k > 0 && out_.ops.size() >= MAX_DECODED_OPS) break;
          r = start;  // every copy reads the same bytes: a record's length never depends on slot state
          bias_ = k * stride;
          step(r, true);
        }
        bias_ = 0;
        break;
      }
      case BinOp::alloc_pages:
      case BinOp::get_free_pages: {
        const bool pfn = table_.ops[code % table_.size] == BinOp::alloc_pages;
        const unsigned order = read_order(r);
        const gfp_t gfp = read_gfp(r);
        if (pfn)
          emit(AllocPagesOp{NO_SLOT, order, gfp});
        else
          emit(GetFreePagesOp{NO_SLOT, order, gfp});
        break;
      }
      case BinOp::free_pages: {
        const Slot s = pick(detail::LIVE_PAGES, r.u8());
        if (s != NO_SLOT) emit(FreePagesOp{s, std::nullopt});
        break;
      }
      case BinOp::kmalloc:
      case BinOp::kzalloc: {
        const bool zeroed = table_.ops[code % table_.size] == BinOp::kzalloc;
        const std::uint64_t size = read_size(r);
        const gfp_t gfp = read_gfp(r);
        emit(KmallocOp{NO_SLOT, size, gfp, zeroed});
        break;
      }
      case BinOp::krealloc: {
        const std::uint8_t i = r.u8();
        const std::uint64_t size = read_size(r);
        const gfp_t gfp = read_gfp(r);
        const Slot s = pick(live(SlotKind::kmalloc), i);
        if (s != NO_SLOT) emit(KreallocOp{NO_SLOT, s, size, gfp});
        break;
      }
      case BinOp::kfree: {
        const Slot s = pick(live(SlotKind::kmalloc), r.u8());
        if (s != NO_SLOT) emit(KfreeOp{s, 0});
        break;
      }
      case BinOp::cache_create: {
        const std::uint64_t size = read_size(r);
        const std::uint64_t align = read_align(r);
        const SlabFlags flags = r.u8() & 0x1fu;
        // The cache is named after its binding (c<slot>), so the name costs no bytes.
        const auto slot = static_cast<Slot>(out_.nr_slots());
        CacheCreateOp op{NO_SLOT, {}, size, align, flags};
        op.name = canonical_name(op, slot);
        emit(std::move(op));
        break;
      }
      case BinOp::cache_alloc: {
        const std::uint8_t i = r.u8();
        const gfp_t gfp = read_gfp(r);
        const Slot c = pick(live(SlotKind::cache), i);
        if (c != NO_SLOT) emit(CacheAllocOp{NO_SLOT, c, gfp});
        break;
      }
      case BinOp::cache_free: {
        const Slot o = pick(live(SlotKind::object), r.u8());
        if (o != NO_SLOT) emit(CacheFreeOp{t_[o].owner, o, 0});
        break;
      }
      case BinOp::cache_destroy: {
        const Slot c = pick(live(SlotKind::cache), r.u8());
        if (c != NO_SLOT) emit(CacheDestroyOp{c});
        break;
      }
      case BinOp::cache_shrink: {
        const Slot c = pick(live(SlotKind::cache), r.u8());
        if (c != NO_SLOT) emit(CacheShrinkOp{c});
        break;
      }
      case BinOp::vmalloc:
      case BinOp::vzalloc: {
        const bool zeroed = table_.ops[code % table_.size] == BinOp::vzalloc;
        emit(VmallocOp{NO_SLOT, std::min(read_size(r), MAX_DECODED_MAP_BYTES), zeroed});
        break;
      }
      case BinOp::vfree: {
        const Slot s = pick(live(SlotKind::vmalloc), r.u8());
        if (s != NO_SLOT) emit(VfreeOp{s, 0});
        break;
      }
      case BinOp::ioremap: {
        const std::uint64_t phys = r.u32();
        const std::uint64_t size = std::min(read_size(r), MAX_DECODED_MAP_BYTES);
        emit(IoremapOp{NO_SLOT, phys, size});
        break;
      }
      case BinOp::iounmap: {
        const Slot s = pick(live(SlotKind::ioremap), r.u8());
        if (s != NO_SLOT) emit(IounmapOp{s});
        break;
      }
      case BinOp::write:
      case BinOp::scribble: {
        const bool write = table_.ops[code % table_.size] == BinOp::write;
        const std::uint8_t i = r.u8();
        const std::uint64_t off = r.u24();
        const std::uint64_t len = r.u16();
        const std::uint8_t byte = r.u8();
        const Slot s = pick(write ? detail::LIVE_WRITABLE : SCRIBBLE_SET, i);
        if (s == NO_SLOT) break;
        const std::uint64_t extent = mem_extent(t_[s]);
        if (write) {
          if (extent == 0) break;
          const std::uint64_t o = off % extent;
          emit(MemOp{MemVerb::write, s, o, 1 + len % std::min(extent - o, MAX_WRITE), byte});
        } else {
          std::uint64_t o = off % (extent + SCRIBBLE_SLACK);
          if (off & SCRIBBLE_ANCHORED)
            o = anchored_offset(anchor(s, (off & SCRIBBLE_FAR) != 0), off % ANCHOR_SPAN).value_or(0);
          emit(MemOp{MemVerb::scribble, s, o, 1 + len % MAX_SCRIBBLE, byte});
        }
        break;
      }
      case BinOp::atomic: emit(AtomicOp{(r.u8() & 1) != 0}); break;
      case BinOp::fail: {
        const std::uint8_t flags = r.u8();
        FailOp f = FAIL_OFF;
        f.off = false;
        f.target = (flags & 1) ? FaultTarget::slab : FaultTarget::page_alloc;
        f.ignore_gfp_wait = (flags & 0x12) == 0x02;  // bit 1 alone: 0x00 and 0xff both fail sleeping calls
        const std::uint8_t probability = r.u8();
        f.probability = probability >= 0x80 ? 100 : 100 - probability % 101u;
        const std::uint8_t interval = r.u8();
        f.interval = interval >= 0x80 ? 2 + ((0xffu - interval) & 0x0f) : 1;
        f.times = FAIL_TIMES[r.u8() % FAIL_TIMES.size()];
        const std::uint8_t space = r.u8();
        f.space = space >= 0x80 ? (0xffu - space) * SPACE_UNIT : 0;
        const std::uint8_t last = r.u8();
        if (f.target == FaultTarget::page_alloc) {  // slab keeps the page_alloc-only fields at default
          f.min_order = min_order_of(last);
          f.ignore_gfp_highmem = (flags & 4) != 0;
        } else if (flags & 8) {  // failslab's cache filter, from the byte page_alloc reads min_order from
          f.cache_filter = cache_filter_name(last);
        }
        emit(f);
        break;
      }
      case BinOp::fail_off: emit(FAIL_OFF); break;
      case BinOp::wrong_order: {
        const std::uint8_t i = r.u8();
        unsigned order = read_order(r);
        const Slot s = pick(detail::LIVE_PAGES, i);
        if (s == NO_SLOT) break;
        if (order == t_[s].order) order = (order + 1) % (MAX_ORDER_FIELD + 1);
        emit(FreePagesOp{s, order});
        break;
      }
      case BinOp::double_free: {
        const Slot s = pick(detail::FREED_MEMORY, r.u8());
        if (s == NO_SLOT) break;
        switch (t_[s].kind) {
          case SlotKind::pages_pfn:
          case SlotKind::pages_va: emit(FreePagesOp{s, std::nullopt}); break;
          case SlotKind::kmalloc: emit(KfreeOp{s, 0}); break;
          case SlotKind::object:
            if (t_.in(live(SlotKind::cache), t_[s].owner)) emit(CacheFreeOp{t_[s].owner, s, 0});
            break;
          case SlotKind::vmalloc: emit(VfreeOp{s, 0}); break;
          case SlotKind::ioremap: emit(IounmapOp{s}); break;
          case SlotKind::cache: break;
        }
        break;
      }
      case BinOp::interior_free: {
        const std::uint8_t i = r.u8();
        const std::uint64_t raw = r.u16();
        const Slot s = pick(INTERIOR_SET, i);
        if (s == NO_SLOT) break;
        if (interior_span(t_[s]) == 0) break;  // no byte strictly inside
        const std::uint64_t off = 1 + raw % interior_span(t_[s]);
        if (t_[s].kind == SlotKind::kmalloc)
          emit(KfreeOp{s, off});
        else if (t_[s].kind == SlotKind::vmalloc)
          emit(VfreeOp{s, off});
        else
          emit(CacheFreeOp{t_[s].owner, s, off});
        break;
      }
      case BinOp::wrong_api: {
        const std::uint8_t i = r.u8();
        const std::uint8_t api = r.u8() % 5;
        const std::uint8_t ci = r.u8();
        const Slot s = pick(detail::LIVE_MEMORY, i);
        if (s == NO_SLOT) break;
        switch (api) {
          case 0: emit(KfreeOp{s, 0}); break;
          case 1:
            emit(FreePagesOp{s, is_page_kind(t_[s].kind) ? std::nullopt : std::optional<unsigned>{0}});
            break;
          case 2: emit(VfreeOp{s, 0}); break;
          case 3: emit(IounmapOp{s}); break;
          default: {
            const Slot c = pick(live(SlotKind::cache), ci);
            if (c != NO_SLOT) emit(CacheFreeOp{c, s, 0});
          }
        }
        break;
      }
      case BinOp::wrong_cache: {
        const std::uint8_t ci = r.u8();
        const std::uint8_t oi = r.u8();
        const Slot c = pick(live(SlotKind::cache), ci);
        const Slot o = pick(live(SlotKind::object), oi);
        if (c != NO_SLOT && o != NO_SLOT) emit(CacheFreeOp{c, o, 0});
        break;
      }
      case BinOp::double_destroy: {
        const Slot c = pick(freed(SlotKind::cache), r.u8());
        if (c != NO_SLOT) emit(CacheDestroyOp{c});
        break;
      }
    }
  }

  /// failslab's cache filter for byte `b`: b < 0x80 with a live cache: that
  /// cache's name (candidate b); otherwise the kmalloc cache of size class
  /// (b & 0x3f) modulo the profile's classes.
  std::string cache_filter_name(std::uint8_t b) const {
    if (const std::size_t n = t_.count(live(SlotKind::cache)); b < 0x80 && n > 0) {
      const Slot c = t_.pick(live(SlotKind::cache), b % n);  // not spread: b < 0x80 names a cache
      if (c != NO_SLOT && static_cast<std::size_t>(c) < names_.size())
        return names_[static_cast<std::size_t>(c)];
    }
    const auto classes = kmalloc_size_classes(out_.machine.kmalloc);
    return kmalloc_cache_name(out_.machine.kmalloc, classes[(b & 0x3fu) % classes.size()], false);
  }

  /// A scribble's anchor for slot `s` (see scribble_anchor).
  std::uint64_t anchor(Slot s, bool far) const {
    const detail::SlotState& st = t_[s];
    std::uint64_t stride = 0;
    if (st.kind == SlotKind::object && st.owner >= 0 && static_cast<std::size_t>(st.owner) < strides_.size())
      stride = strides_[static_cast<std::size_t>(st.owner)];
    return scribble_anchor(st, out_.machine, far, stride);
  }

 private:
  Slot pick(SlotSet set, std::uint8_t raw) const {
    const std::size_t n = t_.count(set);
    // The spread stays a byte: every pick is one a single record can make.
    return n == 0 ? NO_SLOT : t_.pick(set, static_cast<std::uint8_t>(raw + bias_) % n);
  }
  void emit(Op op) {
    out_.add(std::move(op));
    t_.apply(out_.ops.back());
    if (const auto* c = std::get_if<CacheCreateOp>(&out_.ops.back()); c && c->dst >= 0) {
      const auto i = static_cast<std::size_t>(c->dst);
      if (strides_.size() <= i) strides_.resize(i + 1, 0);
      strides_[i] = slab_stride(c->size, c->align, c->flags, out_.machine);
      if (names_.size() <= i) names_.resize(i + 1);
      names_[i] = c->name;
    }
  }

  Program& out_;
  const OpTable& table_;
  SlotTracker t_;
  std::vector<std::uint64_t> strides_;  ///< by cache slot: its objects' stride (0: none)
  std::vector<std::string> names_;      ///< by cache slot: its name
  std::size_t bias_ = 0;                ///< added to slot picks: copy k of a spread repeat
};

// Machine sizes (MiB) by header bits 0-5. Three quarters are small (1–64 MiB:
// every input runs fast and memory runs out within a few ops); the rest
// straddle the boundaries: lowmem's end at 896 MiB on i386 (ZONE_HIGHMEM
// above), 1.5 GiB and more of highmem, DMA32's end at 4 GiB on x86_64
// (ZONE_NORMAL above), up to 8 GiB. Host memory is reserved, not committed
// (mmap NORESERVE), so a large machine costs only the frames it touches.
constexpr std::array<std::uint32_t, 64> MACHINE_MIB{
    16,  1,   2,    3,    4,    5,    6,    7,    8,    9,    10,   11,   12,   13,   14,   15,
    17,  18,  19,   20,   21,   22,   23,   24,   25,   26,   27,   28,   29,   30,   31,   32,
    40,  48,  56,   64,   96,   128,  160,  192,  256,  384,  512,  768,  880,  895,  896,  897,
    900, 960, 1000, 1024, 1152, 1280, 1536, 1537, 2048, 2560, 3072, 3584, 4096, 4097, 6144, 8192};

MachineConfig read_machine(Reader& r) {
  const std::uint8_t cfg = r.u8();
  MachineConfig m{};
  m.mem_bytes = std::uint64_t{MACHINE_MIB[cfg % 64u]} * MiB;
  m.profile = (cfg & 0x40) ? Profile::x86_64 : Profile::i386;
  m.kmalloc = (cfg & 0x80) ? KmallocProfile::modern : KmallocProfile::linux_2_6_18;
  const std::uint64_t lo = r.u8();
  const std::uint64_t hi = r.u8();
  // Bit 7 of the seed's high byte turns slab_debug off: without red zones a
  // cache's stride is its aligned size alone (a stride that ignores the
  // alignment only shows there).
  m.slab_debug = (hi & 0x80) == 0;
  m.seed = lo | (hi & 0x7f) << 8;
  return m;
}

void write_machine(Writer& w, const MachineConfig& m) {
  // The largest table size at most the machine's (1 MiB for less).
  const std::uint64_t mib = m.mem_bytes / MiB;
  std::uint64_t cfg = 1;
  for (std::size_t i = 0; i < MACHINE_MIB.size(); ++i)
    if (MACHINE_MIB[i] <= mib && MACHINE_MIB[i] > MACHINE_MIB[cfg]) cfg = i;
  if (m.profile == Profile::x86_64) cfg |= 0x40;
  if (m.kmalloc == KmallocProfile::modern) cfg |= 0x80;
  w.u8(cfg);
  w.u8(m.seed & 0xff);
  w.u8(((m.seed >> 8) & 0x7f) | (m.slab_debug ? 0 : 0x80));
}

Program decode(std::span<const std::uint8_t> bytes, const CodecOptions& options,
               std::vector<std::size_t>* offsets) {
  Program p;
  Reader r(bytes);
  p.machine = read_machine(r);
  const std::size_t guess = std::min(bytes.size() / 2, MAX_DECODED_OPS);
  p.ops.reserve(guess);
  p.names.reserve(guess);
  const OpTable table(options.families);
  Decoder d(p, table);
  while (!r.empty() && p.ops.size() < MAX_DECODED_OPS) {
    if (offsets) offsets->push_back(r.pos());
    d.step(r);
  }
  return p;
}

// ---- encoding ----------------------------------------------------------------------------

/// Writes the record that decodes to one op (slots already in decoder numbering), or says there is none.
class Recorder {
 public:
  Recorder(const Decoder& d, const OpTable& table, std::vector<std::uint8_t>& rec)
      : d_(d), t_(d.slots()), table_(table), w_(rec) {}

  bool operator()(const AllocPagesOp& o) {
    return opcode(BinOp::alloc_pages) && order(o.order) && gfp(o.gfp);
  }
  bool operator()(const GetFreePagesOp& o) {
    return opcode(BinOp::get_free_pages) && order(o.order) && gfp(o.gfp);
  }
  bool operator()(const FreePagesOp& o) {
    if (t_.in(detail::LIVE_PAGES, o.src)) {
      if (!o.order || *o.order == t_[o.src].order)
        return opcode(BinOp::free_pages) && slot(detail::LIVE_PAGES, o.src);
      return opcode(BinOp::wrong_order) && slot(detail::LIVE_PAGES, o.src) && order(*o.order);
    }
    if (!o.order && t_.in(freed(SlotKind::pages_pfn) | freed(SlotKind::pages_va), o.src))
      return opcode(BinOp::double_free) && slot(detail::FREED_MEMORY, o.src);
    if (o.order == 0u && t_.in(detail::LIVE_MEMORY, o.src)) return wrong_api(o.src, 1, NO_SLOT);
    return false;
  }
  bool operator()(const KmallocOp& o) {
    return opcode(o.zeroed ? BinOp::kzalloc : BinOp::kmalloc) && size(o.size) && gfp(o.gfp);
  }
  bool operator()(const KreallocOp& o) {
    return opcode(BinOp::krealloc) && slot(live(SlotKind::kmalloc), o.src) && size(o.size) && gfp(o.gfp);
  }
  bool operator()(const KfreeOp& o) { return free_by(SlotKind::kmalloc, BinOp::kfree, o.src, o.offset, 0); }
  bool operator()(const CacheCreateOp& o) {
    if (!opcode(BinOp::cache_create) || !size(o.size)) return false;
    write_align(w_, o.align);
    w_.u8(o.flags & 0x1fu);
    return true;
  }
  bool operator()(const CacheAllocOp& o) {
    return opcode(BinOp::cache_alloc) && slot(live(SlotKind::cache), o.cache) && gfp(o.gfp);
  }
  bool operator()(const CacheFreeOp& o) {
    const bool own = t_.valid(o.obj) && t_[o.obj].owner == o.cache;
    if (own && t_.in(live(SlotKind::object), o.obj)) {
      if (o.offset == 0) return opcode(BinOp::cache_free) && slot(live(SlotKind::object), o.obj);
      return interior(o.obj, o.offset);
    }
    if (o.offset != 0) return false;
    if (own && t_.in(freed(SlotKind::object), o.obj) && t_.in(live(SlotKind::cache), o.cache))
      return opcode(BinOp::double_free) && slot(detail::FREED_MEMORY, o.obj);
    if (t_.in(live(SlotKind::object), o.obj))
      return opcode(BinOp::wrong_cache) && slot(live(SlotKind::cache), o.cache) &&
             slot(live(SlotKind::object), o.obj);
    if (t_.in(detail::LIVE_MEMORY, o.obj) && t_.in(live(SlotKind::cache), o.cache))
      return wrong_api(o.obj, 4, o.cache);
    return false;
  }
  bool operator()(const CacheDestroyOp& o) {
    if (t_.in(live(SlotKind::cache), o.cache))
      return opcode(BinOp::cache_destroy) && slot(live(SlotKind::cache), o.cache);
    return opcode(BinOp::double_destroy) && slot(freed(SlotKind::cache), o.cache);
  }
  bool operator()(const CacheShrinkOp& o) {
    return opcode(BinOp::cache_shrink) && slot(live(SlotKind::cache), o.cache);
  }
  bool operator()(const VmallocOp& o) {
    return opcode(o.zeroed ? BinOp::vzalloc : BinOp::vmalloc) &&
           size(std::min(o.size, MAX_DECODED_MAP_BYTES));
  }
  bool operator()(const VfreeOp& o) { return free_by(SlotKind::vmalloc, BinOp::vfree, o.src, o.offset, 2); }
  bool operator()(const IoremapOp& o) {
    if (o.phys > U32_MAX || !opcode(BinOp::ioremap)) return false;
    w_.u32(o.phys);
    return size(std::min(o.size, MAX_DECODED_MAP_BYTES));
  }
  bool operator()(const IounmapOp& o) { return free_by(SlotKind::ioremap, BinOp::iounmap, o.src, 0, 3); }
  bool operator()(const MemOp& o) {
    if (o.verb == MemVerb::check || o.length == 0) return false;
    const bool write = o.verb == MemVerb::write;
    const SlotSet set = write ? detail::LIVE_WRITABLE : SCRIBBLE_SET;
    if (!t_.in(set, o.src)) return false;
    const std::uint64_t extent = mem_extent(t_[o.src]);
    if (write && (o.offset >= extent || o.length > std::min(extent - o.offset, MAX_WRITE))) return false;
    std::uint64_t field = o.offset;
    if (!write) {
      if (o.length > MAX_SCRIBBLE) return false;
      if (o.offset >= std::min(extent + SCRIBBLE_SLACK, SCRIBBLE_ANCHORED)) {
        bool found = false;
        for (const bool far : {false, true}) {
          const auto d = anchored_field(d_.anchor(o.src, far), o.offset);
          if (!d) continue;
          field = SCRIBBLE_ANCHORED | (far ? SCRIBBLE_FAR : 0) | *d;
          found = true;
          break;
        }
        if (!found) return false;
      }
    }
    if (!opcode(write ? BinOp::write : BinOp::scribble) || !slot(set, o.src)) return false;
    w_.u24(field);
    w_.u16(o.length - 1);
    w_.u8(o.byte);
    return true;
  }
  bool operator()(const AtomicOp& o) {
    if (!opcode(BinOp::atomic)) return false;
    w_.u8(o.on ? 1 : 0);
    return true;
  }
  bool operator()(const FailOp& o) {
    if (o.off) return opcode(BinOp::fail_off);
    if (!opcode(BinOp::fail)) return false;
    const bool slab = o.target == FaultTarget::slab;
    int filter = -1;  // the byte that names o.cache_filter
    if (slab && !o.cache_filter.empty()) {
      for (int b = 0; b < 256 && filter < 0; ++b)
        if (d_.cache_filter_name(static_cast<std::uint8_t>(b)) == o.cache_filter) filter = b;
      if (filter < 0) return false;  // a name neither a live cache nor a kmalloc class has
    }
    w_.u8((slab ? 1 : 0) | (o.ignore_gfp_wait ? 2 : 0) | (slab || o.ignore_gfp_highmem ? 4 : 0) |
          (filter >= 0 ? 8 : 0));
    w_.u8(100 - std::min(o.probability, 100u));
    w_.u8(o.interval <= 1 ? 0 : 0xff - (std::min(o.interval, 17u) - 2));
    // times: the table's entry, else the largest one below (-1 for any negative).
    const std::int64_t times = o.times < 0 ? -1 : o.times == 5 ? 4 : std::min<std::int64_t>(o.times, 6);
    w_.u8(static_cast<std::uint64_t>(std::find(FAIL_TIMES.begin(), FAIL_TIMES.end(), times) -
                                     FAIL_TIMES.begin()));
    w_.u8(o.space == 0 ? 0 : 0xff - std::min<std::uint64_t>(o.space / SPACE_UNIT, 0x7f));
    if (slab) {
      w_.u8(filter >= 0 ? filter : 1);
      return true;
    }
    const unsigned min_order = std::min(o.min_order, MAX_FAIL_MIN_ORDER);
    w_.u8(min_order <= 1 ? min_order : 0xff - min_order);
    return true;
  }
  bool operator()(const ExpectOp&) { return false; }
  bool operator()(const PrintOp&) { return false; }

 private:
  bool opcode(BinOp op) {
    const int code = table_.first[static_cast<std::size_t>(op)];
    if (code < 0) return false;
    w_.u8(static_cast<std::uint64_t>(code));
    return true;
  }
  bool slot(SlotSet set, Slot s) {
    if (!t_.in(set, s)) return false;
    const std::size_t index = t_.index_of(set, s);
    if (index > 255) return false;
    w_.u8(index);
    return true;
  }
  bool order(unsigned o) {
    write_order(w_, o);
    return true;
  }
  bool gfp(gfp_t g) {
    write_gfp(w_, g);
    return true;
  }
  bool size(std::uint64_t s) {
    write_size(w_, s);
    return true;
  }
  bool interior(Slot s, std::uint64_t off) {
    if (off == 0 || off > interior_span(t_[s])) return false;
    if (!opcode(BinOp::interior_free) || !slot(INTERIOR_SET, s)) return false;
    w_.u16(off - 1);
    return true;
  }
  bool wrong_api(Slot s, unsigned api, Slot cache) {
    if (!opcode(BinOp::wrong_api) || !slot(detail::LIVE_MEMORY, s)) return false;
    w_.u8(api);
    if (cache == NO_SLOT) {
      w_.u8(0);
      return true;
    }
    return slot(live(SlotKind::cache), cache);
  }
  /// kfree / vfree / iounmap of `s` at `off`: the proper free, an interior
  /// pointer, a double free, or the wrong API (`api` in wrong_api's numbering).
  bool free_by(SlotKind own, BinOp proper, Slot s, std::uint64_t off, unsigned api) {
    if (t_.in(live(own), s)) return off == 0 ? opcode(proper) && slot(live(own), s) : interior(s, off);
    if (off != 0) return false;
    if (t_.in(freed(own), s)) return opcode(BinOp::double_free) && slot(detail::FREED_MEMORY, s);
    if (t_.in(detail::LIVE_MEMORY, s)) return wrong_api(s, api, NO_SLOT);
    return false;
  }

  const Decoder& d_;
  const SlotTracker& t_;
  const OpTable& table_;
  Writer w_;
};

/// Rewrites an op's slot references (not its dst) through `map`; false when one has no image.
bool remap(Op& op, const std::vector<Slot>& map) {
  bool ok = true;
  auto fix = [&](Slot& s) {
    if (s == NO_SLOT) return;
    if (s < 0 || static_cast<std::size_t>(s) >= map.size() || map[static_cast<std::size_t>(s)] == NO_SLOT) {
      ok = false;
      return;
    }
    s = map[static_cast<std::size_t>(s)];
  };
  std::visit(
      [&](auto& o) {
        if constexpr (requires { o.src; }) fix(o.src);
        if constexpr (requires { o.cache; }) fix(o.cache);
        if constexpr (requires { o.obj; }) fix(o.obj);
      },
      op);
  return ok;
}

}  // namespace

Program decode_program(std::span<const std::uint8_t> bytes, const CodecOptions& options) {
  return decode(bytes, options, nullptr);
}

std::vector<std::size_t> op_record_offsets(std::span<const std::uint8_t> bytes, const CodecOptions& options) {
  std::vector<std::size_t> offsets;
  decode(bytes, options, &offsets);
  return offsets;
}

std::vector<std::uint8_t> encode_program(const Program& program, const CodecOptions& options,
                                         std::size_t* dropped_ops) {
  std::vector<std::uint8_t> out;
  Writer w(out);
  write_machine(w, program.machine);

  const OpTable table(options.families);
  Program replay;  // what decode will see, op by op
  {
    Reader header(out);
    replay.machine = read_machine(header);
  }
  Decoder decoder(replay, table);
  std::vector<Slot> map;  // program slot → replay slot
  std::vector<std::uint8_t> record;
  std::size_t dropped = 0;
  for (const Op& original : program.ops) {
    const Slot dst = op_dst(original);
    if (dst >= 0 && static_cast<std::size_t>(dst) >= map.size())
      map.resize(static_cast<std::size_t>(dst) + 1, NO_SLOT);
    Op op = original;
    record.clear();
    bool ok = replay.ops.size() < MAX_DECODED_OPS && remap(op, map);
    if (ok) ok = std::visit(Recorder(decoder, table, record), op);
    const std::size_t before = replay.ops.size();
    if (ok) {
      Reader r(record);
      decoder.step(r);
      ok = replay.ops.size() == before + 1;
    }
    if (!ok) {
      ++dropped;
      continue;
    }
    out.insert(out.end(), record.begin(), record.end());
    if (dst >= 0) map[static_cast<std::size_t>(dst)] = op_dst(replay.ops.back());
  }
  if (dropped_ops) *dropped_ops = dropped;
  return out;
}

int repeat_opcode(const CodecOptions& options) {
  return OpTable(options.families).first[static_cast<std::size_t>(BinOp::repeat)];
}

CodecOptions codec_options_for_target(std::string_view target) {
  if (target == "fuzz_buddy") return {FAMILY_PAGES | FAMILY_MEMORY};
  if (target == "fuzz_slab") return {FAMILY_SLAB | FAMILY_MEMORY};
  if (target == "fuzz_vmalloc") return {FAMILY_VMALLOC | FAMILY_MEMORY};
  return {FAMILY_ALL};
}

}  // namespace kmf
