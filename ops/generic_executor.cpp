// generic_executor.cpp — one Run per program: the shared ledger and oracles,
// then one runner per subject kind.
#include "ops/generic_executor.h"

#include <sys/mman.h>
#include <unistd.h>

// ASan's poisoning interface, looked up at run time: weak references are
// null unless an ASan runtime is in the process. So a kmemfuzz built without
// ASan still poisons a user's arena when their fuzz target is built with it
// (KMEMFUZZ_SANITIZE=address links the runtime), and costs nothing otherwise.
extern "C" {
void __asan_poison_memory_region(void const volatile* addr, std::size_t size) __attribute__((weak));
void __asan_unpoison_memory_region(void const volatile* addr, std::size_t size) __attribute__((weak));
}

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <span>
#include <unordered_map>

#include "alloc/format.h"
#include "check/fit_model.h"
#include "check/kernel_checker.h"  // stamp_bytes
#include "ops/generic_text.h"

namespace kmf {
namespace {

using detail::hex;

std::uint64_t round_up(std::uint64_t v, std::uint64_t g) { return g <= 1 ? v : (v + g - 1) / g * g; }

std::uint64_t addr_of(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }
void* ptr_of(std::uint64_t a) { return reinterpret_cast<void*>(static_cast<std::uintptr_t>(a)); }

/// Zero-filled host memory for an arena, from mmap: pages nobody touches
/// cost nothing, so a large max_size costs only what a program uses.
class Mapping {
 public:
  explicit Mapping(std::size_t bytes) : bytes_(bytes) {
    void* p =
        ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<std::byte*>(p);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    // Shadow outlives munmap: a later mapping at these addresses must not inherit the poison.
    if (poisoned_hi_ && __asan_unpoison_memory_region)
      __asan_unpoison_memory_region(data_, poisoned_hi_ - addr_of(data_));
    ::munmap(data_, bytes_);
  }
  std::byte* data() const { return data_; }

  /// With an ASan runtime in the process: makes [a, a + n) unreadable (no-ops otherwise).
  void poison(std::uint64_t a, std::uint64_t n) {
    if (!__asan_poison_memory_region) return;
    __asan_poison_memory_region(ptr_of(a), n);
    poisoned_hi_ = std::max(poisoned_hi_, a + n);
  }
  void unpoison(std::uint64_t a, std::uint64_t n) {
    if (__asan_unpoison_memory_region) __asan_unpoison_memory_region(ptr_of(a), n);
  }

  /// Zeroes [a, a + n): whole pages are dropped (they read back as zero).
  static void zero(std::uint64_t a, std::uint64_t n) {
    const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t lo = round_up(a, page), hi = (a + n) / page * page;
    if (lo >= hi) {
      std::memset(ptr_of(a), 0, n);
      return;
    }
    std::memset(ptr_of(a), 0, lo - a);
    ::madvise(ptr_of(lo), hi - lo, MADV_DONTNEED);
    std::memset(ptr_of(hi), 0, a + n - hi);
  }

 private:
  std::size_t bytes_;
  std::byte* data_ = nullptr;
  std::uint64_t poisoned_hi_ = 0;
};

enum class State : std::uint8_t { unbound, null, live, freed };

struct Rec {
  State state = State::unbound;
  std::uint64_t addr = 0;
  std::uint64_t size = 0;  ///< requested bytes (stamped)
  std::uint64_t span = 0;  ///< bytes the block owns for NO-OVERLAP (≥ 1)
  std::uint64_t align = 0;
  std::optional<std::uint64_t> usable;
  std::uint32_t id = 0;
  unsigned order = 0;  ///< page subjects
  unsigned heap = 0;   ///< arenas with CAP_HEAPS: the heap it came from
  unsigned pool = 0;   ///< arenas with CAP_POOLS: 0 the arena, k the k-th pool added
};

/// A live range: slot `index`, or reservation `index` when `reserve`.
struct Ref {
  bool reserve = false;
  std::size_t index = 0;
};

/// Why `c` promises null for a request of `size` bytes aligned to `align`
/// (0: the default), or "": above max_block, above max_align, or an
/// alignment that is not a power of two where the contract refuses those.
/// Arenas add their own size limit (the arena) in front of it.
std::string contract_refusal(const Contract& c, std::uint64_t size, std::uint64_t align) {
  if (c.max_block && size > c.max_block)
    return "the request is above the contract's max_block " + std::to_string(c.max_block);
  if (align > c.max_align)
    return "the alignment is above the contract's max_align " + std::to_string(c.max_align);
  if (align && !std::has_single_bit(align) && c.non_pow2_align == Contract::NonPow2::refused)
    return "the alignment is not a power of two";
  return {};
}

// ---- the shared run ---------------------------------------------------------------------

class Run {
 public:
  Run(const GenericProgram& p, const GenericExecOptions& o, std::string_view subject)
      : p_(p), opt_(o), subject_(subject), recs_(p.nr_slots()) {}
  virtual ~Run() = default;

  GenericResult finish() { return std::move(result_); }

  /// Runs every op, then the teardown; stops at the first violation.
  void run_all() {
    if (!setup()) return;
    for (op_index_ = 0; op_index_ < p_.ops.size(); ++op_index_) {
      const GenericOp& op = p_.ops[op_index_];
      op_text_ = print_generic_op(op, p_);
      note_.clear();
      if (opt_.on_op_start) opt_.on_op_start(op_index_, result_);
      if (!run_op(op) || !after_op()) return;
      if (opt_.trace) result_.trace.push_back(std::to_string(op_index_) + ": " + op_text_ + note_);
    }
    op_index_ = p_.ops.size();
    op_text_.clear();
    note_.clear();
    if (opt_.on_op_start) opt_.on_op_start(op_index_, result_);
    teardown();
    if (opt_.trace && result_.ok()) result_.trace.push_back("teardown: ok" + note_);
  }

 protected:
  virtual bool setup() { return true; }
  virtual bool run_op(const GenericOp& op) = 0;
  virtual bool after_op() { return true; }
  virtual void teardown() = 0;
  /// Memory access for stamps; host-memory subjects use the address itself.
  virtual bool can_touch() const { return true; }
  virtual bool write_mem(std::uint64_t addr, std::span<const std::byte> in) {
    std::memcpy(ptr_of(addr), in.data(), in.size());
    return true;
  }
  virtual bool read_mem(std::uint64_t addr, std::span<std::byte> out) {
    std::memcpy(out.data(), ptr_of(addr), out.size());
    return true;
  }

  // ---- verdicts --------------------------------------------------------------------------
  bool fail(Inv id, std::vector<std::uint64_t> addrs, std::string text) {
    if (stale_op_ && (id == Inv::NO_OVERLAP || id == Inv::INTEGRITY)) {
      text += " — after the double free at op " + std::to_string(*stale_op_) + " (`" + stale_text_ + "`)";
      id = Inv::STALE_FREE;
    }
    for (std::uint64_t& a : addrs) a -= origin_;
    result_.violation =
        Violation{id, op_index_, op_text_, std::move(addrs), std::string(subject_) + ": " + text};
    if (opt_.trace)
      result_.trace.push_back(std::to_string(op_index_) + ": " + op_text_ + note_ + "  <-- violation");
    return false;
  }
  void note(const std::string& s) { note_ += "  " + s; }
  /// An op that does nothing here (the trace says why); the run goes on.
  bool skip(const std::string& why) {
    note("(" + why + ": skipped)");
    return true;
  }
  /// An op whose binding got no block (failed, or skipped): later ops naming it are skipped.
  bool no_block(Slot dst, const std::string& why) {
    bind_null(dst);
    note(why);
    return true;
  }
  /// An address for messages: arenas print offsets from their base, so a
  /// report reads the same on every run.
  std::string at(std::uint64_t a) const {
    if (!origin_) return hex(a);
    return a >= origin_ ? "base+" + hex(a - origin_) : "base-" + hex(origin_ - a);
  }
  std::string name(Slot s) const { return p_.names[static_cast<std::size_t>(s)]; }
  std::string describe(const Ref& r) const {
    const Rec& b = rec(r);
    return (r.reserve ? "reservation" : "block " + name(static_cast<Slot>(r.index))) + " [" + at(b.addr) +
           ", +" + std::to_string(b.span) + ")";
  }

  // ---- the ledger -------------------------------------------------------------------------
  Rec& rec(const Ref& r) { return r.reserve ? reserves_[r.index] : recs_[r.index]; }
  const Rec& rec(const Ref& r) const { return r.reserve ? reserves_[r.index] : recs_[r.index]; }
  Rec& slot(Slot s) { return recs_[static_cast<std::size_t>(s)]; }

  /// The live range overlapping [lo, hi), if any (live ranges are disjoint).
  std::optional<Ref> overlapping(std::uint64_t lo, std::uint64_t hi) const {
    auto it = live_.lower_bound(hi);
    if (it == live_.begin()) return std::nullopt;
    --it;
    const Rec& b = rec(it->second);
    if (b.addr + b.span > lo) return it->second;
    return std::nullopt;
  }
  std::optional<Ref> starting_at(std::uint64_t a) const {
    const auto it = live_.find(a);
    return it == live_.end() ? std::nullopt : std::optional<Ref>(it->second);
  }
  void bind(Slot s, Rec b) {
    b.state = State::live;
    b.id = next_id_++;
    recs_[static_cast<std::size_t>(s)] = b;
    live_.emplace(b.addr, Ref{false, static_cast<std::size_t>(s)});
  }
  void bind_null(Slot s) { recs_[static_cast<std::size_t>(s)].state = State::null; }
  void add_reserve(Rec b) {
    b.state = State::live;
    b.id = next_id_++;
    reserves_.push_back(b);
    live_.emplace(b.addr, Ref{true, reserves_.size() - 1});
  }
  void unbind(Slot s) {
    Rec& b = slot(s);
    live_.erase(b.addr);
    b.state = State::freed;
  }
  bool any_live_slot() const {
    return std::any_of(live_.begin(), live_.end(), [](const auto& kv) { return !kv.second.reserve; });
  }

  /// NO-OVERLAP for a new range (the caller has unbound whatever it replaces).
  bool check_overlap(std::uint64_t a, std::uint64_t span, const std::string& what) {
    if (const auto o = overlapping(a, a + span))
      return fail(Inv::NO_OVERLAP, {a, rec(*o).addr},
                  what + " [" + at(a) + ", +" + std::to_string(span) + ") overlaps live " + describe(*o));
    return true;
  }

  /// WALK: `seen` (address, bytes) names every live block once, no other
  /// address, and at least the requested bytes of each.
  /// `in_scope(block)`: the blocks this walk covers (an arena's default heap).
  template <class InScope>
  bool check_walk(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& seen, InScope in_scope) {
    std::set<std::uint64_t> reported;
    for (const auto& [a, n] : seen) {
      const auto r = starting_at(a);
      if (!r || !in_scope(*r))
        return fail(Inv::WALK, {a},
                    "walk reported a block at " + at(a) + " (" + std::to_string(n) +
                        " bytes) where no live block starts");
      if (!reported.insert(a).second) return fail(Inv::WALK, {a}, "walk reported " + describe(*r) + " twice");
      if (!r->reserve && n < rec(*r).size)
        return fail(Inv::WALK, {a},
                    "walk reported " + describe(*r) + " with " + std::to_string(n) +
                        " bytes, less than its " + std::to_string(rec(*r).size) + " requested");
    }
    for (const auto& [a, r] : live_)
      if (!r.reserve && in_scope(r) && !reported.count(a))
        return fail(Inv::WALK, {a}, "walk did not report live " + describe(r));
    note("(walk: " + std::to_string(seen.size()) + " blocks)");
    return true;
  }
  bool check_walk(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& seen) {
    return check_walk(seen, [](const auto&) { return true; });
  }

  // ---- stamps -----------------------------------------------------------------------------
  /// The byte ranges of a block of `size` bytes that carry stamps: all of
  /// it up to SPARSE_ABOVE, else its first and last SPARSE_EDGE bytes (a
  /// block of gigabytes in a lazily reserved arena is not written whole).
  static constexpr std::uint64_t SPARSE_ABOVE = 256 << 10, SPARSE_EDGE = 64 << 10;
  static std::vector<AddrRange> stamped(std::uint64_t size) {
    if (size <= SPARSE_ABOVE) return {{0, size}};
    return {{0, SPARSE_EDGE}, {size - SPARSE_EDGE, size}};
  }
  void stamp(const Rec& b) {
    if (!can_touch() || b.size == 0) return;
    std::vector<std::byte> buf(std::min<std::uint64_t>(b.size, 1 << 16));
    for (const AddrRange& r : stamped(b.size))
      for (std::uint64_t off = r.lo; off < r.hi; off += buf.size()) {
        const std::uint64_t n = std::min<std::uint64_t>(buf.size(), r.hi - off);
        stamp_bytes(b.id, off, {buf.data(), n});
        write_mem(b.addr + off, {buf.data(), n});
      }
  }
  /// realloc moved `before` to `b`: the common prefix must read back with the
  /// old block's stamps. `what` names the call in the message.
  bool kept_prefix(const Rec& before, const Rec& b, std::uint64_t new_size, const std::string& what) {
    Rec carried = before;
    carried.addr = b.addr;
    if (const auto off = changed(carried, std::min(before.size, new_size)))
      return fail(Inv::INTEGRITY, {b.addr + *off},
                  what + " did not keep byte " + std::to_string(*off) + " of the common prefix");
    return true;
  }

  /// The first of the first `len` bytes of b that no longer holds its stamp.
  std::optional<std::uint64_t> changed(const Rec& b, std::uint64_t len) {
    if (!can_touch()) return std::nullopt;
    std::vector<std::byte> buf(std::min<std::uint64_t>(std::max<std::uint64_t>(len, 1), 1 << 16));
    for (const AddrRange& r : stamped(b.size))
      for (std::uint64_t off = r.lo; off < std::min(r.hi, len); off += buf.size()) {
        const std::uint64_t n = std::min<std::uint64_t>(buf.size(), std::min(r.hi, len) - off);
        if (!read_mem(b.addr + off, {buf.data(), n})) return off;
        for (std::uint64_t i = 0; i < n; ++i)
          if (buf[i] != std::byte{stamp_byte(b.id, off + i)}) return off + i;
      }
    return std::nullopt;
  }
  bool verify(const Ref& r, const std::string& when) {
    const Rec& b = rec(r);
    if (const auto off = changed(b, b.size))
      return fail(Inv::INTEGRITY, {b.addr + *off},
                  "byte " + std::to_string(*off) + " of " + describe(r) + " changed while it was live (" +
                      when + ")");
    return true;
  }
  bool verify_all(const std::string& when) {
    for (const auto& [a, r] : live_)
      if (!verify(r, when)) return false;
    return true;
  }

  /// A double free: marks the run so later overlaps and changes are STALE-FREE.
  bool after_stale_free() {
    stale_op_ = op_index_;
    stale_text_ = op_text_;
    return verify_all("re-read after the double free");
  }

  const GenericProgram& p_;
  const GenericExecOptions& opt_;
  std::string_view subject_;
  std::vector<Rec> recs_;
  std::vector<Rec> reserves_;
  std::map<std::uint64_t, Ref> live_;
  std::uint32_t next_id_ = 0;
  std::size_t op_index_ = 0;
  std::string op_text_, note_;
  std::optional<std::size_t> stale_op_;
  std::string stale_text_;
  std::uint64_t origin_ = 0;  ///< arenas: the base; addresses in violations are offsets from it
  GenericResult result_;
};

// ---- arenas ------------------------------------------------------------------------------------

class ArenaRun : public Run {
 public:
  ArenaRun(ArenaSubject& s, const GenericProgram& p, const GenericExecOptions& o)
      : Run(p, o, s.name()), s_(s), caps_(s.capabilities()), geo_(s.geometry()) {}

 private:
  // ---- heaps: 0 is the arena (init, alloc, free, …), 1..n CAP_HEAPS's (init_heap, alloc_in, …) ----
  struct Space {
    std::optional<Mapping> memory;
    std::uint64_t base = 0, size = 0;
    std::uint64_t end() const { return base + size; }
    AddrRange range() const { return {base, base + size}; }
  };
  unsigned nr_heaps() const { return static_cast<unsigned>(spaces_.size()); }
  Space& space(unsigned h) { return spaces_[h]; }
  const Space& space(unsigned h) const { return spaces_[h]; }
  std::uint64_t end() const { return space(0).end(); }
  AddrRange arena() const { return space(0).range(); }
  /// The space of heap h.
  AddrRange heap_range(unsigned h) const { return space(h).range(); }
  /// "" for heap 0, " in heap h" else: appended to messages.
  static std::string in_text(unsigned h) { return h ? " in heap " + std::to_string(h) : std::string(); }
  /// "the arena" / "heap h's arena".
  static std::string arena_text(unsigned h) {
    return h ? "heap " + std::to_string(h) + "'s arena" : std::string("the arena");
  }

  // The subject's calls, heap by heap (the *_in twins for h > 0).
  void* call_alloc(unsigned h, std::uint64_t size, std::uint64_t align) {
    return h ? s_.alloc_in(h, size, align) : s_.alloc(size, align);
  }
  void call_free(unsigned h, void* p) { h ? s_.free_in(h, p) : s_.free(p); }
  void* call_realloc(unsigned h, void* p, std::uint64_t size, std::uint64_t align) {
    if (align) return h ? s_.realloc_aligned_in(h, p, size, align) : s_.realloc_aligned(p, size, align);
    return h ? s_.realloc_in(h, p, size) : s_.realloc(p, size);
  }
  void* call_calloc(unsigned h, std::uint64_t n, std::uint64_t size) {
    return h ? s_.calloc_in(h, n, size) : s_.calloc(n, size);
  }
  std::uint64_t call_usable(unsigned h, std::uint64_t a) const {
    return h ? s_.usable_size_in(h, ptr_of(a)) : s_.usable_size(ptr_of(a));
  }
  bool call_is_empty(unsigned h) const { return h ? s_.is_empty_in(h) : s_.is_empty(); }
  ArenaStats call_stats(unsigned h) const { return h ? s_.stats_in(h) : s_.stats(); }

  std::vector<AddrRange> metadata(unsigned h) const {
    std::vector<AddrRange> m;
    if (!(caps_ & CAP_METADATA)) return m;
    auto visit = [&](const void* p, std::size_t n) { m.push_back({addr_of(p), addr_of(p) + n}); };
    if (h)
      s_.metadata_in(h, visit);
    else
      s_.metadata(visit);
    return m;
  }
  AddrRange extent(const Rec& b) const { return model_extent(model_, b.addr, b.size, b.usable); }
  /// Whether a live range belongs to heap h (reservations are heap 0's).
  bool in_heap(const Ref& r, unsigned h) const { return r.reserve ? h == 0 : rec(r).heap == h; }
  std::vector<AddrRange> occupied(unsigned h) const {
    std::vector<AddrRange> occ = metadata(h);
    for (const auto& [a, r] : live_)
      if (in_heap(r, h)) occ.push_back(extent(rec(r)));
    return occ;
  }
  std::size_t live_in(unsigned h) const {
    return static_cast<std::size_t>(
        std::count_if(live_.begin(), live_.end(), [&](const auto& kv) { return in_heap(kv.second, h); }));
  }
  std::string model_text() const { return "the " + to_string(model_) + " model"; }
  std::string fit_text(std::uint64_t size, std::uint64_t align) const {
    return explain_fit(model_, size, align, init_.align);
  }
  std::string largest_gap_text(unsigned h) const {
    AddrRange best{};
    for (const AddrRange& g : free_gaps(heap_range(h), occupied(h)))
      if (g.size() > best.size()) best = g;
    return best.size() ? "its largest gap is [" + at(best.lo) + ", " + at(best.hi) + ") (" +
                             std::to_string(best.size()) + " bytes)"
                       : "it has no gap";
  }

  bool setup() override {
    init_ = normalize(p_.arena.value_or(ArenaInit{}), geo_);
    capacity_ = (caps_ & CAP_RESIZE) ? std::max(init_.size, geo_.max_size) : init_.size;
    align_ = std::bit_ceil(std::max<std::uint64_t>(geo_.base_align, 1));
    Space& s0 = spaces_.emplace_back();
    s0.base = place(s0.memory, capacity_, align_);
    s0.size = init_.size;
    origin_ = s0.base;
    poison_outside(0);
    op_text_ = "arena_init size=" + std::to_string(init_.size) + " align=" + std::to_string(init_.align);
    if (p_.arena && p_.arena->early && !early_calls()) return false;
    if (!s_.init(ptr_of(s0.base), init_.size, init_.align))
      return fail(Inv::NO_SPURIOUS_FAILURE, {s0.base},
                  "init refused an arena of " + std::to_string(init_.size) + " bytes aligned to " +
                      std::to_string(init_.align) + " at " + hex(s0.base) +
                      ", inside the adapter's geometry");
    note("base " + hex(s0.base));
    model_ = s_.fit_model();  // asked after init: it may depend on init's alignment
    if (caps_ & CAP_HEAPS)
      for (unsigned h = 1; h <= std::min(s_.extra_heaps(), 255u); ++h) {
        Space& heap = spaces_.emplace_back();
        heap.base = place(heap.memory, capacity_, align_);
        heap.size = init_.size;
        poison_outside(h);
        if (!s_.init_heap(h, ptr_of(heap.base), init_.size, init_.align))
          return fail(Inv::NO_SPURIOUS_FAILURE, {heap.base},
                      "init_heap(" + std::to_string(h) + ") refused an arena of " +
                          std::to_string(init_.size) + " bytes, inside the adapter's geometry");
        note("heap " + std::to_string(h) + " at " + at(heap.base));
      }
    if (caps_ & CAP_STATS)
      for (unsigned h = 0; h < nr_heaps(); ++h)
        if (!check_stats("right after init", h)) return false;
    if (opt_.trace) result_.trace.push_back("init: " + op_text_ + note_);
    return true;
  }

  /// Contract::before_init: the API before init and after a failed init
  /// (of 0 bytes) answers null and does not crash.
  bool early_calls() {
    if (!contract() || s_.contract().before_init != Contract::BeforeInit::refused) {
      note("(early=1: the contract does not test calls before init: skipped)");
      return true;
    }
    const std::string base_text = op_text_;
    auto refused = [&](const std::string& when) {
      op_text_ = base_text + " (" + when + ")";
      if (void* p = s_.alloc(64, 0))
        return fail(Inv::CONTRACT, {addr_of(p)},
                    "alloc of 64 bytes " + when + " returned " + at(addr_of(p)) +
                        ", but the contract says calls before init are refused (null)");
      if (caps_ & CAP_CALLOC)
        if (void* p = s_.calloc(1, 64))
          return fail(
              Inv::CONTRACT, {addr_of(p)},
              "calloc(1, 64) " + when + " returned " + at(addr_of(p)) + ", but the contract says null");
      if ((caps_ & CAP_REALLOC))
        if (void* p = s_.realloc(nullptr, 64))
          return fail(Inv::CONTRACT, {addr_of(p)},
                      "realloc(nullptr, 64) " + when + " returned " + at(addr_of(p)) +
                          ", but the contract says null");
      if (caps_ & CAP_STATS) (void)s_.stats();  // must not crash; no numbers are promised
      if (caps_ & CAP_IS_EMPTY) (void)s_.is_empty();
      return true;
    };
    if (!refused("before init")) return false;
    op_text_ = base_text + " (init of 0 bytes)";
    if (s_.init(ptr_of(space(0).base), 0, init_.align))
      return fail(Inv::CONTRACT, {space(0).base}, "init of a 0-byte arena succeeded, but it must fail");
    if (!refused("after a failed init")) return false;
    op_text_ = base_text;
    note("(early calls refused)");
    return true;
  }

  /// CAP_POOLS: a fresh region of op.size bytes joins the heap.
  bool add_pool(const GenericOp& op) {
    if (!(caps_ & CAP_POOLS)) return skip("no pools");
    Pool& pool = pools_.emplace_back();
    pool.base = place(pool.memory, op.size, align_);
    pool.size = op.size;
    if (!s_.add_pool(ptr_of(pool.base), op.size)) {
      pools_.pop_back();
      note("-> refused");
      return true;
    }
    note("-> pool " + std::to_string(pools_.size()) + " at " + at(pool.base));
    return true;
  }

  /// Contract::second_init: a second init on the live arena (heap 0).
  bool reinit() {
    if (!contract() || s_.contract().second_init == Contract::SecondInit::untested)
      return skip("the contract does not test a second init");
    const bool resets = s_.contract().second_init == Contract::SecondInit::resets;
    const bool ok = s_.init(ptr_of(space(0).base), space(0).size, init_.align);
    note(ok ? "-> ok" : "-> refused");
    if (ok != resets)
      return fail(Inv::CONTRACT, {space(0).base},
                  std::string("a second init ") + (ok ? "succeeded" : "was refused") +
                      ", but the contract says it " + (resets ? "resets the heap" : "is refused"));
    if (!resets) {
      if (verify_all("read back after the refused second init")) return true;
      result_.violation->id = Inv::CONTRACT;  // the refused init changed a live block
      return false;
    }
    // The heap starts over: every block and reservation is gone, not freed.
    for (auto& r : recs_)
      if (r.state == State::live && r.heap == 0) {
        live_.erase(r.addr);
        r.state = State::freed;
      }
    for (const Rec& r : reserves_) live_.erase(r.addr);
    reserves_.clear();
    // The other heaps are untouched by it.
    if (verify_all("read back after the second init of the default heap")) return true;
    result_.violation->id = Inv::CONTRACT;
    return false;
  }

  /// Maps `capacity` bytes plus guards and returns a base aligned to exactly
  /// `align` (a multiple of align, not of 2·align): an allocator that assumes
  /// more alignment than it declared shows it.
  static std::uint64_t place(std::optional<Mapping>& memory, std::uint64_t capacity, std::uint64_t align) {
    const std::uint64_t guard = std::max<std::uint64_t>(align, GUARD);
    memory.emplace(capacity + 2 * align + 2 * guard);
    const std::uint64_t lo = addr_of(memory->data()) + guard;
    return round_up(lo, 2 * align) + align;
  }

  /// Under ASan everything of a heap's mapping outside its current arena is
  /// poisoned (the guard before the base, the guard after the end, the
  /// tail a shrink gave back), so the allocator touching it is an ASan
  /// report. Only the guards and the tail are poisoned, never the whole
  /// reservation (an 8 GiB arena's shadow is not written).
  void poison_outside(unsigned h) {
    Space& s = space(h);
    const std::uint64_t lo = addr_of(s.memory->data());
    s.memory->poison(lo, s.base - lo);
    s.memory->poison(s.end(), GUARD);
  }
  void poison_tail(unsigned h, std::uint64_t old_size) {
    Space& s = space(h);
    if (old_size > s.size)
      s.memory->poison(s.end(), old_size - s.size);
    else
      s.memory->unpoison(s.base + old_size, s.size - old_size);
    s.memory->poison(s.end(), GUARD);
  }

  /// ALIGNMENT, IN-BOUNDS, USABLE-SIZE, NO-OVERLAP for a block handed out
  /// (usable_size is asked only about a block inside its heap).
  bool check_block(Rec& b, const std::string& what) {
    if (b.align && b.addr % b.align != 0)
      return fail(Inv::ALIGNMENT, {b.addr},
                  what + " at " + at(b.addr) + " is not aligned to " + std::to_string(b.align));
    AddrRange space = heap_range(b.heap);
    if (b.heap == 0 && !space.contains(b.addr))  // CAP_POOLS: the block may come from a pool
      for (std::size_t k = 0; k < pools_.size(); ++k)
        if (AddrRange{pools_[k].base, pools_[k].base + pools_[k].size}.contains(b.addr)) {
          space = {pools_[k].base, pools_[k].base + pools_[k].size};
          b.pool = static_cast<unsigned>(k + 1);
        }
    auto outside = [&](std::uint64_t span) {
      return fail(Inv::IN_BOUNDS, {b.addr},
                  what + " [" + at(b.addr) + ", +" + std::to_string(span) + ") is not inside " +
                      (b.heap   ? "heap " + std::to_string(b.heap) + "'s arena ["
                       : b.pool ? "pool " + std::to_string(b.pool) + " ["
                                : std::string("the arena [")) +
                      at(space.lo) + ", " + at(space.hi) + ")" +
                      (pools_.empty() || b.pool || b.heap ? std::string() : " or any pool"));
    };
    b.span = std::max<std::uint64_t>(b.size, 1);
    if (b.addr < space.lo || b.addr >= space.hi || b.span > space.hi - b.addr) return outside(b.span);
    if (caps_ & CAP_USABLE_SIZE) {
      b.usable = call_usable(b.heap, b.addr);
      if (*b.usable < b.size)
        return fail(Inv::USABLE_SIZE, {b.addr},
                    std::string(b.heap ? "usable_size_in(" + std::to_string(b.heap) + ", " : "usable_size(") +
                        at(b.addr) + ") is " + std::to_string(*b.usable) + " for a request of " +
                        std::to_string(b.size) + " bytes");
      b.span = std::max(b.span, *b.usable);
      if (b.span > space.hi - b.addr) return outside(b.span);
    }
    for (const AddrRange& m : metadata(b.heap))
      if (m.overlaps({b.addr, b.addr + b.span}))
        return fail(Inv::IN_BOUNDS, {b.addr, m.lo},
                    what + " [" + at(b.addr) + ", +" + std::to_string(b.span) +
                        ") overlaps the allocator's " +
                        (b.heap ? "heap " + std::to_string(b.heap) + " " : std::string()) + "metadata [" +
                        at(m.lo) + ", " + at(m.hi) + ")");
    return check_overlap(b.addr, b.span, what);
  }

  /// The heap an op names: 0 without CAP_HEAPS; nullopt (the op is
  /// skipped) when the subject has fewer heaps.
  std::optional<unsigned> heap_of(const GenericOp& op) const {
    const unsigned h = (caps_ & CAP_HEAPS) ? op.heap : 0;
    if (h >= nr_heaps()) return std::nullopt;
    return h;
  }

  bool run_op(const GenericOp& op) override {
    const std::optional<unsigned> h = heap_of(op);
    if (!h) {
      const std::string why = "no heap " + std::to_string(op.heap);
      return binds(op.verb) ? no_block(op.dst, "(" + why + ": skipped)") : skip(why);
    }
    switch (op.verb) {
      case GenericVerb::alloc: return alloc(op, *h);
      case GenericVerb::free: return free(op);
      case GenericVerb::realloc: return realloc(op);
      case GenericVerb::calloc: return calloc(op, *h);
      case GenericVerb::resize: return resize(op, *h);
      case GenericVerb::walk: return (caps_ & CAP_WALK) ? walk(*h) : skip("no walk");
      case GenericVerb::stats: return (caps_ & CAP_STATS) ? check_stats("at this op", *h) : skip("no stats");
      case GenericVerb::init: return reinit();
      case GenericVerb::add_pool: return add_pool(op);
      case GenericVerb::reserve: return reserve(op);
    }
    return true;
  }

  // ---- the contract (check/subjects/contract.h) ----------------------------------------
  bool contract() const { return (caps_ & CAP_CONTRACT) != 0; }
  /// Why a request to heap h can never be served, or "" when it might be:
  /// then the contract promises null. Without CAP_CONTRACT no promise is made.
  std::string unservable(std::uint64_t size, std::uint64_t align, unsigned h) const {
    if (!contract()) return {};
    const Contract c = s_.contract();
    const std::uint64_t room = largest_region(h);
    if (size > room)
      return "the request is larger than " +
             (h                ? "heap " + std::to_string(h) + "'s "
              : pools_.empty() ? std::string("the ")
                               : "the largest ") +
             std::to_string(room) + "-byte " +
             (pools_.empty() || h ? "arena" : "region (the arena or a pool)");
    return contract_refusal(c, size, align);
  }
  /// The largest block heap h could ever hand out: its arena, or for heap 0
  /// a larger pool.
  std::uint64_t largest_region(unsigned h) const {
    std::uint64_t room = space(h).size;
    if (h == 0)
      for (const Pool& pool : pools_) room = std::max(room, pool.size);
    return room;
  }
  /// Requests only a contract makes runnable: size 0 and alignments that
  /// are not powers of two. "" when the op may run.
  std::string not_runnable(std::uint64_t size, std::uint64_t align) const {
    if (size == 0 && !contract()) return "size 0 needs CAP_CONTRACT";
    if (align && !std::has_single_bit(align) &&
        (!contract() || s_.contract().non_pow2_align == Contract::NonPow2::skip))
      return "an alignment that is not a power of two needs a contract that takes it";
    return {};
  }
  std::string request_text(std::string_view call, std::uint64_t size, std::uint64_t align) const {
    return std::string(call) + " of " + std::to_string(size) + " bytes" +
           (align ? " aligned to " + std::to_string(align) : std::string());
  }
  /// The verdict on a block returned for a request: CONTRACT when the
  /// contract promised null (an unservable request, size 0 under
  /// ZeroSize::null).
  bool judge_returned(const std::string& call, std::uint64_t addr, std::uint64_t size, std::uint64_t align,
                      unsigned h) {
    const std::string why = unservable(size, align, h);
    if (!why.empty())
      return fail(Inv::CONTRACT, {addr},
                  call + " returned " + at(addr) + ", but " + why + ": the contract promises null");
    if (size == 0 && contract() && s_.contract().zero_size == Contract::ZeroSize::null)
      return fail(Inv::CONTRACT, {addr},
                  call + " returned " + at(addr) + ", but the contract says size 0 returns null");
    return true;
  }
  /// The verdict on a null answer from heap h: NO-SPURIOUS-FAILURE when the
  /// model says the request must fit; CONTRACT when size 0 must give a
  /// unique block and the model says one fits.
  bool judge_null(const std::string& call, std::uint64_t size, std::uint64_t align,
                  std::vector<std::uint64_t> addrs, unsigned h) {
    if (!unservable(size, align, h).empty()) return true;
    if (align && !std::has_single_bit(align)) return true;  // the models know powers of two only
    if (size == 0) {
      if (contract() && s_.contract().zero_size == Contract::ZeroSize::unique && model_ &&
          must_fit(model_, heap_range(h), occupied(h), 1, align, init_.align))
        return fail(Inv::CONTRACT, std::move(addrs),
                    call + " returned null, but the contract says size 0 returns a unique block and " +
                        model_text() + " says a 1-byte block fits" + in_text(h) + ": " + largest_gap_text(h));
      return true;
    }
    if (model_ && must_fit(model_, heap_range(h), occupied(h), size, align, init_.align))
      return fail(Inv::NO_SPURIOUS_FAILURE, std::move(addrs),
                  call + " failed, but " + model_text() + " says it must fit" + in_text(h) + ": " +
                      fit_text(size, align) + "; " + largest_gap_text(h));
    return true;
  }

  bool alloc(const GenericOp& op, unsigned heap) {
    const std::uint64_t align = (caps_ & CAP_ALIGN) ? op.align : 0;
    if (const std::string why = not_runnable(op.size, align); !why.empty())
      return no_block(op.dst, "(" + why + ": skipped)");
    const std::string call = request_text(
        heap ? "alloc_in(heap " + std::to_string(heap) + ")" : std::string("alloc"), op.size, align);
    void* p = call_alloc(heap, op.size, align);
    if (!p) {
      bind_null(op.dst);
      note("-> null");
      return judge_null(call, op.size, align, {}, heap);
    }
    Rec b;
    b.addr = addr_of(p);
    b.size = op.size;
    b.align = std::max(align, init_.align);
    b.heap = heap;
    note("-> " + at(b.addr));
    if (!judge_returned(call, b.addr, op.size, align, heap)) return false;
    if (!check_block(b, "the new block " + name(op.dst))) return false;
    bind(op.dst, b);
    stamp(slot(op.dst));
    return true;
  }

  bool calloc(const GenericOp& op, unsigned heap) {
    if (!(caps_ & CAP_CALLOC)) return no_block(op.dst, "(no calloc: skipped)");
    std::uint64_t product = 0;
    const bool overflow = __builtin_mul_overflow(op.count, op.size, &product);
    if (!overflow && product == 0 && !contract())
      return no_block(op.dst, "(a zero product needs CAP_CONTRACT: skipped)");
    const std::string call = std::string(heap ? "calloc_in(" + std::to_string(heap) + ", " : "calloc(") +
                             std::to_string(op.count) + ", " + std::to_string(op.size) + ")";
    const std::uint64_t room = largest_region(heap);
    void* p = call_calloc(heap, op.count, op.size);
    if (!p) {
      bind_null(op.dst);
      note("-> null");
      return overflow || product > room || judge_null(call, product, 0, {}, heap);
    }
    const std::uint64_t a = addr_of(p);
    note("-> " + at(a));
    if (overflow)
      return fail(Inv::CALLOC, {a},
                  call + " returned " + at(a) + ", but the product overflows 64 bits (it wraps to " +
                      std::to_string(op.count * op.size) + "): it must return null");
    if (product > room)
      return fail(
          Inv::CALLOC, {a},
          call + " returned " + at(a) + ", but the product " + std::to_string(product) + " is larger than " +
              (heap ? "heap " + std::to_string(heap) + "'s " : std::string("the ")) + std::to_string(room) +
              "-byte " + (pools_.empty() || heap ? "arena" : "largest region") + ": it must return null");
    if (!judge_returned(call, a, product, 0, heap)) return false;
    Rec b;
    b.addr = a;
    b.size = product;
    b.align = init_.align;
    b.heap = heap;
    if (!check_block(b, "the calloc'ed block " + name(op.dst))) return false;
    std::vector<std::byte> buf(std::min<std::uint64_t>(std::max<std::uint64_t>(product, 1), 1 << 16));
    for (const AddrRange& r : stamped(product))
      for (std::uint64_t off = r.lo; off < r.hi; off += buf.size()) {
        const std::uint64_t n = std::min<std::uint64_t>(buf.size(), r.hi - off);
        std::memcpy(buf.data(), ptr_of(a + off), n);
        for (std::uint64_t i = 0; i < n; ++i)
          if (buf[i] != std::byte{0})
            return fail(Inv::CALLOC, {a + off + i},
                        "byte " + std::to_string(off + i) + " of the calloc'ed block " + name(op.dst) +
                            " reads " + hex(std::to_integer<unsigned>(buf[i])) + ", not zero");
      }
    bind(op.dst, b);
    stamp(slot(op.dst));
    return true;
  }

  /// Hands a block back through its heap.
  void release(const Rec& b) { call_free(b.heap, ptr_of(b.addr)); }

  bool free(const GenericOp& op) {
    Rec& b = slot(op.src);
    if (b.state == State::null) return skip("null");
    if (b.state == State::live) {
      if (!verify({false, static_cast<std::size_t>(op.src)}, "read back at free")) return false;
      unbind(op.src);
      release(b);
      return true;
    }
    if (!(caps_ & CAP_STALE_FREE)) return skip("double free: the adapter does not tolerate it");
    if (starting_at(b.addr)) return skip("double free of an address now live again");
    note("(double free)");
    release(b);
    return after_stale_free();
  }

  bool realloc(const GenericOp& op) {
    if (!(caps_ & CAP_REALLOC)) return no_block(op.dst, "(no realloc: skipped)");
    const std::uint64_t align = (caps_ & CAP_REALLOC_ALIGN) ? op.align : 0;
    if (const std::string why = not_runnable(op.size, align); !why.empty())
      return no_block(op.dst, "(" + why + ": skipped)");
    const bool from_null = op.src == NO_SLOT;
    if (from_null && (!contract() || s_.contract().realloc_null == Contract::ReallocNull::untested))
      return no_block(op.dst, "(realloc(nullptr) needs a contract that tests it: skipped)");
    if (!from_null && slot(op.src).state != State::live)
      return no_block(op.dst, "(source not live: skipped)");
    // A block is realloc'ed through its own heap; realloc(nullptr) through the op's.
    const unsigned heap = from_null ? *heap_of(op) : slot(op.src).heap;
    const Contract c = s_.contract();
    const std::string what = heap ? "realloc_in(heap " + std::to_string(heap) + ")" : std::string("realloc");
    const std::string call =
        request_text(from_null ? what + "(nullptr)" : what + " of " + name(op.src), op.size, align);
    std::optional<Rec> before;
    if (!from_null) {
      if (!verify({false, static_cast<std::size_t>(op.src)}, "read back at realloc")) return false;
      before = slot(op.src);
    }
    void* old = before ? ptr_of(before->addr) : nullptr;
    void* q = call_realloc(heap, old, op.size, align);
    if (!q) {
      bind_null(op.dst);
      if (before && op.size == 0 && contract() && c.realloc_zero != Contract::ReallocZero::minimal) {
        unbind(op.src);  // realloc(p, 0) freed p
        note("-> null (" + name(op.src) + " freed)");
        return true;
      }
      if (!before) {
        note("-> null");
        if (c.realloc_null == Contract::ReallocNull::refuses) return true;
        return judge_null(call, op.size, align, {}, heap);
      }
      note("-> null (" + name(op.src) + " stays live)");
      if (contract())
        if (const auto off = changed(*before, before->size))
          return fail(Inv::CONTRACT, {before->addr + *off},
                      call + " failed, but byte " + std::to_string(*off) + " of " + name(op.src) +
                          " changed: a failed realloc must leave the block intact");
      return judge_null(call, op.size, align, {before->addr}, heap);
    }
    const std::uint64_t a = addr_of(q);
    note("-> " + at(a));
    if (!before && c.realloc_null == Contract::ReallocNull::refuses)
      return fail(Inv::CONTRACT, {a},
                  call + " returned " + at(a) + ", but the contract says it returns null");
    if (before && op.size == 0 && contract() && c.realloc_zero == Contract::ReallocZero::frees)
      return fail(
          Inv::CONTRACT, {a},
          call + " returned " + at(a) + ", but the contract says realloc(p, 0) frees p and returns null");
    if (!judge_returned(call, a, op.size, align, heap)) return false;
    if (before) unbind(op.src);
    Rec b;
    b.addr = a;
    b.size = op.size;
    b.align = std::max(align, init_.align);
    b.heap = heap;
    if (!check_block(b, "the reallocated block " + name(op.dst))) return false;
    if (before && !kept_prefix(*before, b, op.size,
                               "realloc of " + name(op.src) + " from " + std::to_string(before->size) +
                                   " to " + std::to_string(op.size) + " bytes"))
      return false;
    bind(op.dst, b);
    stamp(slot(op.dst));
    return true;
  }

  bool resize(const GenericOp& op, unsigned h) {
    if (!(caps_ & CAP_RESIZE)) return skip("no resize");
    Space& sp = space(h);
    const std::uint64_t n = normalize_arena_size(op.size, geo_);
    const bool shrink = n < sp.size;
    // The ledger's verdict: which live block must keep the shrink from
    // happening, and whether everything fits below the new end.
    std::optional<Ref> stranded;
    std::uint64_t top = sp.base;
    for (const auto& [a, r] : live_) {
      if (!in_heap(r, h) || (!r.reserve && rec(r).pool != 0)) continue;  // other heaps and pools stay put
      const Rec& b = rec(r);
      if (b.addr + std::max<std::uint64_t>(b.size, 1) > sp.base + n && !stranded) stranded = r;
      top = std::max(top, extent(b).hi);
    }
    for (const AddrRange& m : metadata(h)) top = std::max(top, m.hi);
    const std::uint64_t left = sp.base + n >= top ? sp.base + n - top : 0;
    const bool room = model_.kind != FitModel::Kind::first_fit || left == 0 ||
                      left >= model_.header + model_.granule + model_.slack;
    const bool must_succeed = !shrink || (!stranded && top <= sp.base + n && room);
    std::optional<bool> said;
    if (shrink && (caps_ & CAP_CAN_SHRINK)) said = h ? s_.can_shrink_in(h, n) : s_.can_shrink(n);
    if (!shrink) sp.memory->unpoison(sp.end(), n - sp.size);  // a grow hands the bytes over first
    const bool ok = h ? s_.resize_in(h, n) : s_.resize(n);
    if (!ok && !shrink) poison_tail(h, n);  // refused: they are the harness's again
    const std::string call = h ? "resize_in(" + std::to_string(h) + ", " + std::to_string(n) + ")"
                               : "resize(" + std::to_string(n) + ")";
    note(std::string(ok ? "-> ok" : "-> refused") + " (" + std::to_string(sp.size) + " -> " +
         std::to_string(n) + ")");
    if (ok && shrink && stranded)
      return fail(Inv::RESIZE, {rec(*stranded).addr, sp.base + n},
                  "the shrink " + call + " succeeded, but live " + describe(*stranded) +
                      " lies beyond the new end " + at(sp.base + n));
    if (!ok && must_succeed)
      return fail(Inv::RESIZE, {sp.base + n},
                  std::string(shrink ? "the shrink " : "the grow ") + call +
                      " was refused, but every live block (and the metadata) ends by " + at(top) +
                      (shrink ? ", below the new end " + at(sp.base + n) : std::string()));
    if (said && *said != ok)
      return fail(Inv::EMPTY, {sp.base + n},
                  std::string(h ? "can_shrink_in(" + std::to_string(h) + ", " : "can_shrink(") +
                      std::to_string(n) + ") said " + (*said ? "yes" : "no") + " but " + call + " " +
                      (ok ? "succeeded" : "refused"));
    if (!ok) return true;
    if (shrink) Mapping::zero(sp.base + n, sp.size - n);  // the caller takes the tail back
    const std::uint64_t old_size = sp.size;
    sp.size = n;
    poison_tail(h, old_size);
    if (verify_all("read back after the resize")) return true;
    if (result_.violation->id == Inv::INTEGRITY) result_.violation->id = Inv::RESIZE;  // the resize moved it
    return false;
  }

  bool walk(unsigned h) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
    auto visit = [&](const void* p, std::size_t n) { seen.emplace_back(addr_of(p), n); };
    if (h)
      s_.walk_in(h, visit);
    else
      s_.walk(visit);
    if (!check_walk(seen, [&](const auto& r) { return in_heap(r, h); })) {
      if (h) result_.violation->explanation += " (the walk of heap " + std::to_string(h) + ")";
      return false;
    }
    return true;
  }

  bool reserve(const GenericOp& op) {
    if (!(caps_ & CAP_RESERVE)) return skip("no reserve");
    const std::uint64_t a = space(0).base + op.offset;
    const bool ok = op.offset < space(0).size && s_.reserve(ptr_of(a), op.size);
    note(ok ? "-> ok" : "-> refused");
    if (!ok) {
      if (model_ && op.offset < space(0).size && must_fit_at(model_, arena(), occupied(0), {a, a + op.size}))
        return fail(Inv::NO_SPURIOUS_FAILURE, {a},
                    "reserve [" + at(a) + ", +" + std::to_string(op.size) + ") was refused, but " +
                        model_text() + " says the range is free with room around it");
      return true;
    }
    Rec b;
    b.addr = a;
    b.size = op.size;
    b.span = op.size;
    if (a + op.size > end())
      return fail(Inv::IN_BOUNDS, {a},
                  "reserve [" + at(a) + ", +" + std::to_string(op.size) +
                      ") succeeded past the arena's end " + at(end()));
    for (const AddrRange& m : metadata(0))
      if (m.overlaps({a, a + op.size}))
        return fail(Inv::IN_BOUNDS, {a, m.lo},
                    "reserve [" + at(a) + ", +" + std::to_string(op.size) +
                        ") succeeded over the metadata [" + at(m.lo) + ", " + at(m.hi) + ")");
    if (!check_overlap(a, op.size, "the reserved range")) return false;
    add_reserve(b);
    stamp(reserves_.back());
    return true;
  }

  bool after_op() override {
    for (unsigned h = 0; h < nr_heaps(); ++h) {
      if (caps_ & CAP_IS_EMPTY) {
        const std::size_t live = live_in(h);
        const bool empty = live == 0;
        if (call_is_empty(h) != empty)
          return fail(Inv::EMPTY, {},
                      std::string(h ? "is_empty_in(" + std::to_string(h) + ")" : "is_empty()") + " says " +
                          (empty ? "no" : "yes") + " while " +
                          (empty ? "nothing is live" : std::to_string(live) + " blocks are live") +
                          in_text(h));
      }
      if (caps_ & CAP_METADATA)
        for (const AddrRange& m : metadata(h)) {
          const Space& sp = space(h);
          if (m.lo < sp.base || m.hi > sp.end() || m.hi < m.lo)
            return fail(Inv::METADATA, {m.lo},
                        "the allocator's metadata [" + at(m.lo) + ", " + at(m.hi) +
                            ") is not inside the current " + arena_text(h).substr(h ? 0 : 4) + " [" +
                            at(sp.base) + ", " + at(sp.end()) + ")");
          if (const auto o = overlapping(m.lo, m.hi))
            return fail(Inv::IN_BOUNDS, {m.lo, rec(*o).addr},
                        "the allocator's metadata [" + at(m.lo) + ", " + at(m.hi) + ")" + in_text(h) +
                            " now overlaps live " + describe(*o));
        }
    }
    return self_check();
  }
  /// STATS: heap h's counters against the ledger (ArenaSubject::stats).
  bool check_stats(const std::string& when, unsigned h) {
    const ArenaStats st = call_stats(h);
    const StatsTolerance tol = s_.stats_tolerance();
    const std::uint64_t arena_size = space(h).size;
    std::uint64_t live = 0, requested = 0, held = 0;  // held: with usable sizes where known
    for (const auto& [a, r] : live_)
      if (!r.reserve && in_heap(r, h)) {
        ++live;
        requested += rec(r).size;
        held += std::max(rec(r).size, rec(r).usable.value_or(0));
      }
    // Reservations: the allocator may count them either way; pools: the
    // counters cover more than the arena (both are heap 0's).
    const bool exact = h != 0 || (reserves_.empty() && pools_.empty());
    const std::string call = h ? "stats_in(" + std::to_string(h) + ")" : "stats()";
    auto bad = [&](const std::string& what) {
      return fail(Inv::STATS, {},
                  call + " " + when + ": " + what + " (the ledger: " + std::to_string(live) +
                      " live blocks, " + std::to_string(requested) + " bytes requested, a " +
                      std::to_string(arena_size) + "-byte arena; tolerance " + std::to_string(tol.per_block) +
                      " bytes per block + " + std::to_string(tol.fixed) + ")");
    };
    for (const auto& [metric, v] : st.metrics)
      if (!std::isfinite(v))
        return bad("the metric " + metric + " is " + (std::isnan(v) ? "NaN" : "infinite"));
    const std::uint64_t used_max = held + tol.per_block * live + tol.fixed;
    if (st.used_blocks && exact && *st.used_blocks != live)
      return bad("used_blocks is " + std::to_string(*st.used_blocks));
    if (st.used_bytes && exact && (*st.used_bytes < requested || *st.used_bytes > used_max))
      return bad("used_bytes is " + std::to_string(*st.used_bytes) + ", outside [" +
                 std::to_string(requested) + ", " + std::to_string(used_max) + "]");
    if (st.free_bytes && exact) {
      if (st.used_bytes && *st.used_bytes + *st.free_bytes > arena_size)
        return bad("used_bytes + free_bytes is " + std::to_string(*st.used_bytes + *st.free_bytes) +
                   ", more than the arena");
      const std::uint64_t overhead = held + tol.per_block * (2 * live + 1) + tol.fixed;
      const std::uint64_t free_min = arena_size > overhead ? arena_size - overhead : 0;
      if (*st.free_bytes < free_min || *st.free_bytes > arena_size)
        return bad("free_bytes is " + std::to_string(*st.free_bytes) + ", outside [" +
                   std::to_string(free_min) + ", " + std::to_string(arena_size) + "]");
    }
    if (st.largest_free && st.free_bytes && *st.largest_free > *st.free_bytes)
      return bad("largest_free " + std::to_string(*st.largest_free) + " is more than free_bytes " +
                 std::to_string(*st.free_bytes));
    note("(stats agree)");
    return true;
  }

  bool self_check() {
    if (!(caps_ & CAP_SELF_CHECK)) return true;
    if (const std::optional<std::string> msg = s_.check())
      return fail(Inv::SELF_CHECK, {}, "the allocator's own check failed: " + *msg);
    return true;
  }

  void teardown() override {
    if (caps_ & CAP_WALK)
      for (unsigned h = 0; h < nr_heaps(); ++h)
        if (!walk(h)) return;
    if (!verify_all("read back at teardown")) return;
    std::vector<Slot> order;
    for (const auto& [a, r] : live_)
      if (!r.reserve) order.push_back(static_cast<Slot>(r.index));
    std::sort(order.rbegin(), order.rend());
    for (Slot s : order) {
      unbind(s);
      release(slot(s));
      if (!self_check()) {
        result_.violation->explanation += " (after the teardown freed " + name(s) + ")";
        return;
      }
    }
    if (!after_op()) return;
    for (unsigned h = 0; h < nr_heaps(); ++h) {
      if ((caps_ & CAP_WALK) && !walk(h)) return;
      if ((caps_ & CAP_STATS) && !check_stats("on the emptied arena", h)) return;
      // The emptied arena serves the largest request the model says fits it
      // (NO-SPURIOUS-FAILURE at teardown: a lost merge or leaked space shows here).
      const std::uint64_t probe = largest_must_fit(model_, heap_range(h), occupied(h), init_.align);
      if (probe != 0 &&
          !teardown_probe(h, probe, Inv::NO_SPURIOUS_FAILURE,
                          model_text() + " says it fits the emptied " + arena_text(h).substr(h ? 0 : 4) +
                              ": " + fit_text(probe, 0) + "; " + largest_gap_text(h)))
        return;
      if (!restore(h)) return;
    }
  }

  /// Allocates `size` bytes on heap h's emptied arena, checks the block and
  /// frees it; a failure is `id` with `why` as the reason it had to succeed.
  bool teardown_probe(unsigned h, std::uint64_t size, Inv id, const std::string& why) {
    void* p = call_alloc(h, size, 0);
    note("(probe " + (h ? "heap " + std::to_string(h) + " " : std::string()) + "alloc " +
         std::to_string(size) + " -> " + (p ? at(addr_of(p)) : std::string("null")) + ")");
    if (!p)
      return fail(id, {},
                  "after every block was freed, a request of " + std::to_string(size) + " bytes" +
                      in_text(h) + " failed, but " + why);
    Rec b;
    b.addr = addr_of(p);
    b.size = size;
    b.align = init_.align;
    b.heap = h;
    if (!check_block(b, "the teardown probe")) return false;
    call_free(h, p);
    return self_check();
  }

  /// RESTORE, the model-free oracle: heap h's emptied arena must serve the
  /// largest request a fresh arena of the same size and alignment serves,
  /// found by bisection with a fresh twin per probe (so a twin's own bugs
  /// cannot shrink the answer). Off without a twin factory, with
  /// CAP_KEEPS_CACHE, and (heap 0) when a reservation keeps part of the arena.
  bool restore(unsigned h) {
    if (!opt_.twin || (caps_ & CAP_KEEPS_CACHE) || (h == 0 && !reserves_.empty())) return true;
    const std::uint64_t size = space(h).size;
    std::uint64_t lo = 0, hi = size;  // a fresh twin serves lo (0: nothing yet); bisect (lo, hi]
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo + 1) / 2;
      if (twin_serves(h, mid))
        lo = mid;
      else
        hi = mid - 1;
    }
    note("(fresh twin serves " + std::to_string(lo) + in_text(h) + ")");
    if (lo == 0) return true;
    return teardown_probe(
        h, lo, Inv::RESTORE,
        "a fresh " + std::string(h ? "heap of " : "arena of ") + std::to_string(size) + " bytes aligned to " +
            std::to_string(init_.align) + " serves it (" + std::to_string(lo) +
            " bytes is the largest request a fresh twin serves)" +
            (model_ ? "; " + model_text() + " computes: " + largest_gap_text(h) : std::string()));
  }
  /// Whether a fresh twin serves `size` bytes from heap h (of heap h's
  /// current size; heap 0 of the program's size beside it).
  bool twin_serves(unsigned h, std::uint64_t size) const {
    const std::unique_ptr<ArenaSubject> twin = opt_.twin();
    if (!twin) return false;
    const std::uint64_t heap_size = space(h).size;
    std::optional<Mapping> memory, heap_memory;
    const std::uint64_t base = place(memory, h ? init_.size : heap_size, align_);
    if (!twin->init(ptr_of(base), h ? init_.size : heap_size, init_.align)) return false;
    std::uint64_t hb = base;
    if (h) {
      hb = place(heap_memory, heap_size, align_);
      if (!twin->init_heap(h, ptr_of(hb), heap_size, init_.align)) return false;
    }
    void* p = h ? twin->alloc_in(h, size, 0) : twin->alloc(size, 0);
    return p != nullptr && addr_of(p) >= hb && addr_of(p) < hb + heap_size &&
           size <= hb + heap_size - addr_of(p);
  }

  static constexpr std::uint64_t GUARD = 4096;  ///< bytes poisoned beyond each end under ASan

  ArenaSubject& s_;
  Caps caps_;
  ArenaGeometry geo_;
  FitModel model_;
  ArenaInit init_;
  std::uint64_t capacity_ = 0, align_ = 16;
  std::deque<Space> spaces_;  ///< heap 0 (the arena), then CAP_HEAPS's 1..n (a deque: a Mapping never moves)
  struct Pool {
    std::optional<Mapping> memory;
    std::uint64_t base = 0, size = 0;
  };
  std::deque<Pool> pools_;  ///< CAP_POOLS: pools 1..n
};

// ---- objects -----------------------------------------------------------------------------------

class ObjectRun : public Run {
 public:
  ObjectRun(ObjectSubject& s, const GenericProgram& p, const GenericExecOptions& o)
      : Run(p, o, s.name()),
        s_(s),
        caps_(s.capabilities()),
        c_((caps_ & CAP_CONTRACT) ? s.contract() : Contract{}) {}

 private:
  std::uint64_t align_of(std::uint64_t a) const {
    constexpr std::uint64_t DEFAULT = alignof(std::max_align_t);
    if (!(caps_ & CAP_ALIGN) || !a) return DEFAULT;
    return std::has_single_bit(a) ? std::max(a, DEFAULT)
                                  : a;  // a non-power of two goes as asked (CAP_CONTRACT)
  }
  bool check_block(Rec& b, const std::string& what) {
    if (b.addr % b.align != 0)
      return fail(Inv::ALIGNMENT, {b.addr},
                  what + " at " + hex(b.addr) + " is not aligned to " + std::to_string(b.align));
    if (caps_ & CAP_USABLE_SIZE) {
      b.usable = s_.usable_size(ptr_of(b.addr));
      if (*b.usable < b.size)
        return fail(Inv::USABLE_SIZE, {b.addr},
                    "usable_size(" + hex(b.addr) + ") is " + std::to_string(*b.usable) +
                        " for a request of " + std::to_string(b.size) + " bytes");
    }
    b.span = std::max<std::uint64_t>({b.size, b.usable.value_or(0), 1});
    if (const auto o = overlapping(b.addr, b.addr + b.span); o && !o->reserve) {
      const auto kept = kept_.find(static_cast<Slot>(o->index));
      if (kept != kept_.end())
        return fail(Inv::CONTRACT, {b.addr, rec(*o).addr},
                    what + " [" + hex(b.addr) + ", +" + std::to_string(b.span) + ") overlaps " +
                        describe(*o) + ", which the failed realloc at op " + std::to_string(kept->second) +
                        " had to leave live: the allocator released it");
    }
    return check_overlap(b.addr, b.span, what);
  }

  // ---- the contract (check/subjects/contract.h) ----------------------------------------
  bool contract() const { return (caps_ & CAP_CONTRACT) != 0; }
  /// Why the contract promises null for a request, or "" when it does not.
  std::string refused(std::uint64_t size, std::uint64_t align) const {
    return contract() ? contract_refusal(c_, size, align) : std::string();
  }
  /// Why a request is not sent, or "" when it may be: size 0 and odd
  /// alignments need a contract that takes them, and a request above the
  /// host bounds is sent only when the contract promises null for it.
  std::string not_runnable(std::uint64_t size, std::uint64_t align) const {
    if (size == 0 && !contract()) return "size 0 needs CAP_CONTRACT";
    if (!std::has_single_bit(align) && (!contract() || c_.non_pow2_align == Contract::NonPow2::skip))
      return "an alignment that is not a power of two needs a contract that takes it";
    if (!host_safe_request(c_, contract(), size, align))
      return "a request above " + std::to_string(HOST_MAX_REQUEST) + " bytes or aligned above " +
             std::to_string(HOST_MAX_ALIGN) + " is sent only when the contract promises null for it";
    return {};
  }
  static std::string request_text(const std::string& call, std::uint64_t size, std::uint64_t align) {
    return call + " of " + std::to_string(size) + " bytes aligned to " + std::to_string(align);
  }
  /// A block came back: CONTRACT when the contract promised null.
  bool judge_returned(const std::string& call, std::uint64_t a, std::uint64_t size, std::uint64_t align) {
    if (const std::string why = refused(size, align); !why.empty())
      return fail(Inv::CONTRACT, {a},
                  call + " returned " + hex(a) + ", but " + why + ": the contract promises null");
    if (size == 0 && contract() && c_.zero_size == Contract::ZeroSize::null)
      return fail(Inv::CONTRACT, {a},
                  call + " returned " + hex(a) + ", but the contract says size 0 returns null");
    return true;
  }
  /// Null came back: CONTRACT when size 0 must give a unique block (an
  /// object heap grows: no model is needed to say one fits).
  bool judge_null(const std::string& call, std::uint64_t size, std::uint64_t align) {
    if (size == 0 && contract() && c_.zero_size == Contract::ZeroSize::unique && refused(size, align).empty())
      return fail(Inv::CONTRACT, {},
                  call + " returned null, but the contract says size 0 returns a unique block");
    return true;
  }

  bool alloc(const GenericOp& op) {
    Rec b;
    b.size = op.size;
    b.align = align_of(op.align);
    if (const std::string why = not_runnable(op.size, b.align); !why.empty())
      return no_block(op.dst, "(" + why + ": skipped)");
    const std::string call = request_text("allocate", op.size, b.align);
    void* p = s_.allocate(op.size, b.align);
    if (!p) {
      bind_null(op.dst);
      note("-> null");
      return judge_null(call, op.size, b.align);
    }
    b.addr = addr_of(p);
    note("-> " + hex(b.addr));
    if (!judge_returned(call, b.addr, op.size, b.align)) return false;
    if (!check_block(b, "the new block " + name(op.dst))) return false;
    bind(op.dst, b);
    stamp(slot(op.dst));
    return true;
  }

  bool realloc(const GenericOp& op) {
    if (!(caps_ & CAP_REALLOC)) return no_block(op.dst, "(no realloc: skipped)");
    const bool from_null = op.src == NO_SLOT;
    if (from_null && (!contract() || c_.realloc_null == Contract::ReallocNull::untested))
      return no_block(op.dst, "(realloc(nullptr) needs a contract that tests it: skipped)");
    if (!from_null && slot(op.src).state != State::live)
      return no_block(op.dst, "(source not live: skipped)");
    const std::uint64_t align = from_null ? align_of(0) : slot(op.src).align;
    if (const std::string why = not_runnable(op.size, align); !why.empty())
      return no_block(op.dst, "(" + why + ": skipped)");
    std::optional<Rec> before;
    if (!from_null) {
      if (!verify({false, static_cast<std::size_t>(op.src)}, "read back at realloc")) return false;
      before = slot(op.src);
    }
    const std::string call = request_text(
        from_null ? std::string("reallocate(nullptr)") : "reallocate of " + name(op.src), op.size, align);
    void* q =
        s_.reallocate(before ? ptr_of(before->addr) : nullptr, before ? before->size : 0, op.size, align);
    if (!q) {
      bind_null(op.dst);
      if (!before) {
        note("-> null");
        return c_.realloc_null == Contract::ReallocNull::refuses || judge_null(call, op.size, align);
      }
      if (op.size == 0 && contract()) {
        if (c_.realloc_zero == Contract::ReallocZero::minimal)
          return fail(Inv::CONTRACT, {before->addr},
                      call + " returned null, but the contract says realloc(p, 0) returns a minimal block");
        unbind(op.src);  // realloc(p, 0) freed p
        kept_.erase(op.src);
        note("-> null (" + name(op.src) + " freed)");
        return true;
      }
      note("-> null (" + name(op.src) + " stays live)");
      if (!contract()) return true;
      if (const auto off = changed(*before, before->size))
        return fail(Inv::CONTRACT, {before->addr + *off},
                    call + " failed, but byte " + std::to_string(*off) + " of " + name(op.src) +
                        " changed: a failed realloc must leave the block live and intact");
      if (caps_ & CAP_WALK) {  // a block with no stamps (size 0) shows only here
        bool reported = false;
        s_.walk([&](const void* p, std::size_t) { reported = reported || addr_of(p) == before->addr; });
        if (!reported)
          return fail(Inv::CONTRACT, {before->addr},
                      call + " failed, but the walk no longer reports " + name(op.src) +
                          ": a failed realloc must leave the block live");
      }
      kept_.emplace(op.src, op_index_);
      return true;
    }
    const std::uint64_t a = addr_of(q);
    note("-> " + hex(a));
    if (!before && c_.realloc_null == Contract::ReallocNull::refuses)
      return fail(Inv::CONTRACT, {a},
                  call + " returned " + hex(a) + ", but the contract says it returns null");
    if (before && op.size == 0 && contract() && c_.realloc_zero == Contract::ReallocZero::frees)
      return fail(
          Inv::CONTRACT, {a},
          call + " returned " + hex(a) + ", but the contract says realloc(p, 0) frees p and returns null");
    if (!judge_returned(call, a, op.size, align)) return false;
    if (before) {
      unbind(op.src);
      kept_.erase(op.src);
    }
    Rec b;
    b.addr = a;
    b.size = op.size;
    b.align = align;
    if (!check_block(b, "the reallocated block " + name(op.dst))) return false;
    if (before && !kept_prefix(*before, b, op.size, "realloc of " + name(op.src))) return false;
    bind(op.dst, b);
    stamp(slot(op.dst));
    return true;
  }

  bool run_op(const GenericOp& op) override {
    switch (op.verb) {
      case GenericVerb::alloc: return alloc(op);
      case GenericVerb::free: {
        Rec& b = slot(op.src);
        if (b.state == State::null) return skip("null");
        if (b.state == State::live) {
          if (!verify({false, static_cast<std::size_t>(op.src)}, "read back at free")) return false;
          unbind(op.src);
          kept_.erase(op.src);
          s_.deallocate(ptr_of(b.addr), b.size, b.align);
          return true;
        }
        if (!(caps_ & CAP_STALE_FREE)) return skip("double free: not tolerated");
        if (starting_at(b.addr)) return skip("double free of an address now live again");
        note("(double free)");
        s_.deallocate(ptr_of(b.addr), b.size, b.align);
        return after_stale_free();
      }
      case GenericVerb::realloc: return realloc(op);
      case GenericVerb::walk: return (caps_ & CAP_WALK) ? walk() : skip("no walk");
      default: return skip("not an object op");
    }
  }
  bool walk() {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
    s_.walk([&](const void* p, std::size_t n) { seen.emplace_back(addr_of(p), n); });
    return check_walk(seen);
  }
  void teardown() override {
    if ((caps_ & CAP_WALK) && !walk()) return;
    std::vector<Slot> order;
    for (const auto& [a, r] : live_) order.push_back(static_cast<Slot>(r.index));
    std::sort(order.rbegin(), order.rend());
    for (Slot s : order) {
      if (!verify({false, static_cast<std::size_t>(s)}, "read back at teardown")) return;
      unbind(s);
      s_.deallocate(ptr_of(slot(s).addr), slot(s).size, slot(s).align);
    }
    if ((caps_ & CAP_WALK) && !walk()) return;  // the emptied heap: nothing may be reported
    s_.release();
    if (const auto held = s_.outstanding(); held && *held != 0)
      fail(Inv::NO_LEAK, {},
           "after every block was freed and release() ran, " + std::to_string(*held) +
               " bytes are still held from upstream");
  }

  ObjectSubject& s_;
  Caps caps_;
  Contract c_;                        ///< with CAP_CONTRACT, else the default (no promise is judged)
  std::map<Slot, std::size_t> kept_;  ///< live blocks a failed realloc kept, and that op's index
};

// ---- pages -------------------------------------------------------------------------------------

class PageRun : public Run {
 public:
  PageRun(PageSubject& s, const GenericProgram& p, const GenericExecOptions& o)
      : Run(p, o, s.name()), s_(s), caps_(s.capabilities()), page_(s.page_size()), model_(s.fit_model()) {}

 private:
  // Addresses are frame * page_size; memory goes through the subject.
  bool can_touch() const override { return (caps_ & CAP_MEMORY) != 0; }
  bool write_mem(std::uint64_t a, std::span<const std::byte> in) override {
    return s_.write(a / page_, a % page_, in);
  }
  bool read_mem(std::uint64_t a, std::span<std::byte> out) override {
    return s_.read(a / page_, a % page_, out);
  }

  unsigned order_for(std::uint64_t bytes) const {
    const std::uint64_t pages = std::max<std::uint64_t>((bytes + page_ - 1) / page_, 1);
    return static_cast<unsigned>(std::countr_zero(std::bit_ceil(pages)));
  }
  std::vector<AddrRange> occupied() const {  // in frames
    std::vector<AddrRange> occ;
    for (const auto& [a, r] : live_)
      occ.push_back({a / page_, a / page_ + (std::uint64_t{1} << rec(r).order)});
    return occ;
  }

  bool run_op(const GenericOp& op) override {
    switch (op.verb) {
      case GenericVerb::alloc: {
        const unsigned order = order_for(op.size);
        const auto frame = s_.alloc_pages(order);
        if (!frame) {
          bind_null(op.dst);
          note("-> none (order " + std::to_string(order) + ")");
          if (model_ && order <= s_.max_order() &&
              must_fit(model_, {0, s_.nr_frames()}, occupied(), std::uint64_t{1} << order, 0, 1))
            return fail(Inv::NO_SPURIOUS_FAILURE, {},
                        "an order-" + std::to_string(order) + " request failed, but the " +
                            to_string(model_) + " model over " + std::to_string(s_.nr_frames()) +
                            " frames says a free aligned block exists");
          return true;
        }
        const std::uint64_t frames = std::uint64_t{1} << order;
        note("-> frame " + std::to_string(*frame) + " (order " + std::to_string(order) + ")");
        if (*frame + frames > s_.nr_frames() || *frame + frames < *frame)
          return fail(Inv::IN_BOUNDS, {*frame * page_},
                      "order-" + std::to_string(order) + " block at frame " + std::to_string(*frame) +
                          " runs past the last frame " + std::to_string(s_.nr_frames()));
        if ((caps_ & CAP_ALIGN) && *frame % frames != 0)
          return fail(Inv::ALIGNMENT, {*frame * page_},
                      "order-" + std::to_string(order) + " block at frame " + std::to_string(*frame) +
                          " is not a multiple of " + std::to_string(frames));
        Rec b;
        b.addr = *frame * page_;
        b.size = op.size;
        b.span = frames * page_;
        b.order = order;
        if (!check_overlap(b.addr, b.span, "the new block " + name(op.dst))) return false;
        bind(op.dst, b);
        stamp(slot(op.dst));
        return true;
      }
      case GenericVerb::free: {
        Rec& b = slot(op.src);
        if (b.state != State::live) return skip("not live");
        if (!verify({false, static_cast<std::size_t>(op.src)}, "read back at free")) return false;
        unbind(op.src);
        s_.free_pages(b.addr / page_, b.order);
        return true;
      }
      default: return skip("not a page op");
    }
  }
  void teardown() override {
    if (!verify_all("read back at teardown")) return;
    std::vector<Slot> order;
    for (const auto& [a, r] : live_) order.push_back(static_cast<Slot>(r.index));
    std::sort(order.rbegin(), order.rend());
    for (Slot s : order) {
      unbind(s);
      s_.free_pages(slot(s).addr / page_, slot(s).order);
    }
    if (!model_) return;
    unsigned k = s_.max_order() + 1;
    while (k-- > 0)
      if (must_fit(model_, {0, s_.nr_frames()}, {}, std::uint64_t{1} << k, 0, 1)) break;
    if (k > s_.max_order()) return;
    const auto f = s_.alloc_pages(k);
    note("(probe order " + std::to_string(k) + ")");
    if (!f) {
      fail(Inv::NO_SPURIOUS_FAILURE, {},
           "after every block was freed, an order-" + std::to_string(k) + " request failed, but the " +
               to_string(model_) + " model says the emptied frames hold one: frames leaked");
      return;
    }
    s_.free_pages(*f, k);
  }

  PageSubject& s_;
  Caps caps_;
  std::uint64_t page_;
  FitModel model_;
};

// ---- virtual ranges ----------------------------------------------------------------------------

class VirtualRun : public Run {
 public:
  VirtualRun(VirtualSubject& s, const GenericProgram& p, const GenericExecOptions& o)
      : Run(p, o, s.name()), s_(s), caps_(s.capabilities()), page_(s.page_size()) {}

 private:
  bool can_touch() const override { return (caps_ & CAP_MEMORY) != 0; }
  bool write_mem(std::uint64_t a, std::span<const std::byte> in) override { return s_.write(a, in); }
  bool read_mem(std::uint64_t a, std::span<std::byte> out) override { return s_.read(a, out); }

  bool map_pages(Slot s, const Rec& b) {
    for (std::uint64_t va = b.addr; va < b.addr + b.span; va += page_) {
      const auto pa = s_.translate(va);
      if (!pa)
        return fail(Inv::TRANSLATE, {va},
                    "page " + hex(va) + " of the new range " + name(s) + " [" + hex(b.addr) + ", +" +
                        std::to_string(b.span) + ") does not translate");
      const std::uint64_t frame = *pa / page_;
      const auto [it, fresh] = frames_.emplace(frame, std::make_pair(s, va));
      if (!fresh)
        return fail(Inv::TRANSLATE, {va, it->second.second},
                    "page " + hex(va) + " of " + name(s) + " and page " + hex(it->second.second) + " of " +
                        name(it->second.first) + " both translate to physical " + hex(frame * page_));
    }
    return true;
  }
  bool unmap_pages(Slot s, const Rec& b) {
    for (std::uint64_t va = b.addr; va < b.addr + b.span; va += page_) {
      if (const auto pa = s_.translate(va))
        return fail(
            Inv::TRANSLATE, {va},
            "page " + hex(va) + " of the freed range " + name(s) + " still translates to " + hex(*pa));
    }
    std::erase_if(frames_, [&](const auto& kv) { return kv.second.first == s; });
    return true;
  }

  bool run_op(const GenericOp& op) override {
    switch (op.verb) {
      case GenericVerb::alloc: {
        const std::uint64_t align = (caps_ & CAP_ALIGN) ? op.align : 0;
        const std::uint64_t start = s_.alloc(op.size, align);
        if (!start) return no_block(op.dst, "-> null");
        note("-> " + hex(start));
        Rec b;
        b.addr = start;
        b.size = op.size;
        b.span = round_up(std::max<std::uint64_t>(op.size, 1), page_);
        b.align = std::max(align, page_);
        const AddrRange w = s_.window();
        if (b.addr % b.align != 0)
          return fail(Inv::ALIGNMENT, {b.addr},
                      "the new range " + name(op.dst) + " at " + hex(b.addr) + " is not aligned to " +
                          std::to_string(b.align));
        if (!w.contains(AddrRange{b.addr, b.addr + b.span}))
          return fail(Inv::IN_BOUNDS, {b.addr},
                      "the new range " + name(op.dst) + " [" + hex(b.addr) + ", +" + std::to_string(b.span) +
                          ") is not inside the window [" + hex(w.lo) + ", " + hex(w.hi) + ")");
        if (!check_overlap(b.addr, b.span, "the new range " + name(op.dst))) return false;
        if ((caps_ & CAP_TRANSLATE) && !map_pages(op.dst, b)) return false;
        bind(op.dst, b);
        stamp(slot(op.dst));
        return true;
      }
      case GenericVerb::free: {
        Rec& b = slot(op.src);
        if (b.state != State::live) return skip("not live");
        if (!verify({false, static_cast<std::size_t>(op.src)}, "read back at free")) return false;
        unbind(op.src);
        s_.free(b.addr);
        return !(caps_ & CAP_TRANSLATE) || unmap_pages(op.src, b);
      }
      default: return skip("not a virtual op");
    }
  }
  void teardown() override {
    if (!verify_all("read back at teardown")) return;
    std::vector<Slot> order;
    for (const auto& [a, r] : live_) order.push_back(static_cast<Slot>(r.index));
    std::sort(order.rbegin(), order.rend());
    for (Slot s : order) {
      unbind(s);
      s_.free(slot(s).addr);
      if ((caps_ & CAP_TRANSLATE) && !unmap_pages(s, slot(s))) return;
    }
  }

  VirtualSubject& s_;
  Caps caps_;
  std::uint64_t page_;
  std::unordered_map<std::uint64_t, std::pair<Slot, std::uint64_t>> frames_;  // physical page → (slot, va)
};

template <class R, class S>
GenericResult run(S& subject, const GenericProgram& program, const GenericExecOptions& options) {
  R r(subject, program, options);
  r.run_all();
  return r.finish();
}

}  // namespace

GenericTarget generic_target(const ArenaSubject& s) {
  GenericTarget t;
  t.kind = SubjectKind::arena;
  t.caps = s.capabilities();
  t.geometry = s.geometry();
  t.max_request = t.geometry.max_size;
  if (t.caps & CAP_CONTRACT) t.contract = s.contract();
  if (t.caps & CAP_HEAPS) t.extra_heaps = s.extra_heaps();
  return t;
}

GenericTarget generic_target(const ObjectSubject& s) {
  GenericTarget t;
  t.kind = SubjectKind::object;
  t.caps = s.capabilities();
  if (t.caps & CAP_CONTRACT) t.contract = s.contract();
  return t;
}

GenericTarget generic_target(const PageSubject& s) {
  GenericTarget t;
  t.kind = SubjectKind::page;
  t.caps = s.capabilities() & (CAP_ALIGN | CAP_MEMORY);
  t.max_request = s.page_size() << std::min(s.max_order() + 1, 40u);  // one order above the limit too
  return t;
}

GenericTarget generic_target(const VirtualSubject& s) {
  GenericTarget t;
  t.kind = SubjectKind::virt;
  t.caps = s.capabilities() & (CAP_ALIGN | CAP_MEMORY | CAP_TRANSLATE);
  t.max_request = 1 << 20;
  return t;
}

GenericResult execute_generic(ArenaSubject& s, const GenericProgram& p, const GenericExecOptions& o) {
  return run<ArenaRun>(s, p, o);
}
GenericResult execute_generic(ObjectSubject& s, const GenericProgram& p, const GenericExecOptions& o) {
  return run<ObjectRun>(s, p, o);
}
GenericResult execute_generic(PageSubject& s, const GenericProgram& p, const GenericExecOptions& o) {
  return run<PageRun>(s, p, o);
}
GenericResult execute_generic(VirtualSubject& s, const GenericProgram& p, const GenericExecOptions& o) {
  return run<VirtualRun>(s, p, o);
}

}  // namespace kmf
