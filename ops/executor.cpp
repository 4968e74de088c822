// executor.cpp — runs a Program on a fresh Kernel under the KernelChecker.
//
// Each op handler returns the first Finding (or nothing). The shape of every
// handler is the same:
//   1. note the state the op must not change if it fails or is a misuse
//      (fingerprint, report count, fault counters, zones for B-AVAIL);
//   2. run the op on the subject;
//   3. judge the outcome: a misuse op must yield exactly its report and
//      change nothing (MISUSE); an injected fault must return null and change
//      nothing (FAULT); a valid op must produce no report;
//   4. record successes in the Ledger, stamp them, run the incremental checks.
#include "ops/executor.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <span>
#include <sstream>
#include <stdexcept>

#include "alloc/format.h"
#include "alloc/slab.h"
#include "alloc/vmalloc.h"
#include "check/fault_shadow.h"
#include "check/kernel_checker.h"
#include "check/ledger.h"

namespace kmf {

std::string print_kmf(const Program& program);  // ops/kmf_text.h

namespace {

using detail::hex;

/// A physical address as the kernel prints it: 8 digits on i386.
std::string phys_hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%08" PRIx64, v);
  return buf;
}

/// Calls fn(first_pfn, count) for each run of consecutive frames.
template <typename Fn>
void for_each_run(const std::vector<std::uint64_t>& frames, Fn&& fn) {
  for (std::size_t i = 0; i < frames.size();) {
    std::size_t j = i + 1;
    while (j < frames.size() && frames[j] == frames[j - 1] + 1) ++j;
    fn(frames[i], j - i);
    i = j;
  }
}

/// The frames behind a vmalloc area's pages, compressed into runs of
/// consecutive pfns: `pfn 0x9a00-0x9a3f (64), 0x9b00 (1)`. At most
/// `max_runs` runs are listed; the rest are counted.
std::string frame_runs(const std::vector<std::uint64_t>& frames, std::size_t max_runs) {
  std::string out = "pfn";
  std::size_t runs = 0, i = 0;
  while (i < frames.size()) {
    std::size_t j = i + 1;
    while (j < frames.size() && frames[j] == frames[j - 1] + 1) ++j;
    if (runs == max_runs) {
      std::size_t rest = 0;
      for (std::size_t k = i; k < frames.size(); ++k) rest += k == i || frames[k] != frames[k - 1] + 1;
      return out + ", ... " + std::to_string(rest) + " more runs";
    }
    out += runs ? ", " : " ";
    out += hex(frames[i]);
    if (j - i > 1) out += "-" + hex(frames[j - 1]);
    out += " (" + std::to_string(j - i) + ")";
    ++runs;
    i = j;
  }
  return out;
}

Finding fail(Inv id, std::vector<std::uint64_t> addrs, std::string text) {
  return Finding{id, std::move(addrs), std::move(text)};
}

bool is_slab_kind(EntryKind k) { return k == EntryKind::kmalloc || k == EntryKind::object; }

class Runner {
 public:
  Runner(const Program& p, const ExecOptions& o, Kernel& k)
      : prog_(p), opt_(o), k_(k), chk_(k), shadow_(k.config().seed) {
    ledger_.resize(p.nr_slots());
    // Each call that reaches an injection point is judged as it happens;
    // the first wrong decision of an op is its FAULT finding (judge_faults).
    k_.observe_fault_calls([this](const FaultCall& call) {
      if (opt_.level != CheckLevel::none && !fault_finding_) fault_finding_ = shadow_.judge({&call, 1});
    });
  }
  ~Runner() { k_.observe_fault_calls({}); }
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  ExecResult run() {
    ExecResult result;
    if (opt_.trace) split_lines();
    for (std::size_t i = 0; i < prog_.ops.size(); ++i) {
      op_index_ = i;
      reports_at_op_start_ = k_.reports().size();
      trace_suffix_.clear();
      Check c = over_budget(prog_.ops[i]);
      if (!c) {
        c = std::visit([&](const auto& op) { return handle(op); }, prog_.ops[i]);
        if (!c) c = judge_faults();
      }
      if (opt_.after_op) opt_.after_op(k_, i);
      if (!c) c = accept_debug_reports();
      if (!c && opt_.level == CheckLevel::full) c = chk_.sweep(ledger_);
      // `expect report KIND` judges the last op that ran on the subject:
      // expectations and prints do not replace it.
      if (!std::holds_alternative<ExpectOp>(prog_.ops[i]) && !std::holds_alternative<PrintOp>(prog_.ops[i]))
        last_op_reports_.assign(k_.reports().begin() + static_cast<std::ptrdiff_t>(reports_at_op_start_),
                                k_.reports().end());
      if (opt_.trace) result.trace.push_back(op_text(i) + trace_suffix_);
      ++result.ops_run;
      if (c) {
        result.violation = to_violation(*c, i);
        result.script_error = std::move(script_error_);
        result.printed = std::move(printed_);
        result.reports.assign(k_.reports().begin(), k_.reports().end());
        return result;
      }
      if (opt_.observe) opt_.observe(k_, i, ledger_);
    }
    op_index_ = prog_.ops.size();
    k_.set_atomic(false);
    atomic_ = false;
    k_.fail_page_alloc().disable();
    k_.failslab().disable();
    shadow_.off();
    if (opt_.before_teardown) opt_.before_teardown(k_);
    if (opt_.observe) opt_.observe(k_, prog_.ops.size(), ledger_);
    result.reports.assign(k_.reports().begin(), k_.reports().end());
    result.leaks = leaks();
    Check c;
    if (opt_.level != CheckLevel::none) c = chk_.sweep(ledger_);
    if (!c && opt_.teardown) c = teardown();
    if (c) result.violation = to_violation(*c, prog_.ops.size());
    result.printed = std::move(printed_);
    return result;
  }

 private:
  // ---- helpers ---------------------------------------------------------------------

  void split_lines() {
    std::istringstream in(print_kmf(prog_));
    std::string line;
    std::getline(in, line);  // the machine line
    while (std::getline(in, line)) lines_.push_back(line);
  }

  std::string op_text(std::size_t i) {
    if (lines_.empty()) split_lines();
    return i < lines_.size() ? lines_[i] : std::string();
  }

  Violation to_violation(const Finding& f, std::size_t i) {
    return Violation{f.id, i, i < prog_.ops.size() ? op_text(i) : std::string(), f.addrs, f.explanation};
  }

  // ---- host memory budget ------------------------------------------------------------

  /// Host bytes an op may add at most: what the executor and the model keep
  /// per page (frame metadata, a PTE, the area's and the ledger's frame
  /// lists: about 40 bytes, counted as 48) plus the sampled stamps, or the
  /// bytes a write makes resident.
  std::uint64_t host_cost(const Op& op) const {
    constexpr std::uint64_t STAMPS = (SAMPLED_PAGES + 2) * PAGE_SIZE;
    if (const auto* v = std::get_if<VmallocOp>(&op))
      return (page_align_up(v->size) >> PAGE_SHIFT) * 48 + STAMPS;
    if (const auto* m = std::get_if<MemOp>(&op))
      return m->verb == MemVerb::write ? page_align_up(m->length) : 0;
    const auto block = [&](unsigned order) -> std::uint64_t {
      if (order >= 40) return 0;  // fails: no such block
      const std::uint64_t stamped =
          stamped_pages_ > STAMP_PAGE_BUDGET
              ? 2
              : std::min<std::uint64_t>(std::uint64_t{1} << order, SAMPLED_PAGES + 2);
      return (std::uint64_t{16} << order) + stamped * PAGE_SIZE;
    };
    if (const auto* p = std::get_if<AllocPagesOp>(&op)) return block(p->order);
    if (const auto* p = std::get_if<GetFreePagesOp>(&op)) return block(p->order);
    if (const auto* r = std::get_if<IoremapOp>(&op)) return (page_align_up(r->size) >> PAGE_SHIFT) * 8;
    return 64 * KiB;
  }

  static std::uint64_t resident_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long long size = 0, resident = 0;
    const int n = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    return n == 2 ? resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
  }

  /// Stops before an op that would take the process above the budget.
  /// Large ops are checked each time; small ones every 1024 ops.
  Check over_budget(const Op& op) {
    if (opt_.max_host_bytes == 0) return std::nullopt;
    const std::uint64_t cost = host_cost(op);
    if (cost < 1 * MiB && (op_index_ & 1023) != 0) return std::nullopt;
    const std::uint64_t rss = resident_bytes();
    if (rss + cost <= opt_.max_host_bytes) return std::nullopt;
    return script_error(
        0, "this op would take host memory above the budget of " + std::to_string(opt_.max_host_bytes >> 20) +
               " MiB (" + std::to_string(rss >> 20) + " MiB in use, up to " + std::to_string(cost >> 20) +
               " MiB more); raise --max-host-mem or shrink the program");
  }

  /// The script is wrong (not the subject): argument `arg` of the current op.
  Finding script_error(std::size_t arg, std::string message) {
    script_error_ = ScriptError{op_index_, arg, message};
    return fail(Inv::EXPECT, {}, std::move(message));
  }

  /// What is live after the last op, oldest first (kmemleak's list).
  std::vector<Leak> leaks() const {
    std::vector<std::size_t> bound_at(ledger_.size(), 0);
    for (std::size_t i = 0; i < prog_.ops.size(); ++i)
      if (const Slot d = op_dst(prog_.ops[i]); d != NO_SLOT) bound_at[static_cast<std::size_t>(d)] = i;
    std::vector<Leak> out;
    for (std::size_t s = 0; s < ledger_.size(); ++s) {
      const Entry& e = ledger_[s];
      if (!e.live) continue;
      std::string d;
      switch (e.kind) {
        case EntryKind::pages:
          d = "alloc_pages order " + std::to_string(e.order) + ", pfn " + hex(e.pfn.value);
          break;
        case EntryKind::free_pages:
          d = "get_free_pages order " + std::to_string(e.order) + " at " + hex(e.va.value);
          break;
        case EntryKind::kmalloc:
          d = e.zero_size_ptr ? "kmalloc 0 bytes (ZERO_SIZE_PTR)"
                              : "kmalloc " + std::to_string(e.size) + " bytes at " + hex(e.va.value) +
                                    " (ksize " + std::to_string(e.span) + ")";
          break;
        case EntryKind::object:
          d = "kmem_cache_alloc object of " + std::to_string(e.size) + " bytes at " + hex(e.va.value) +
              " (cache " + prog_.names[static_cast<std::size_t>(e.cache_slot)] + ")";
          break;
        case EntryKind::cache: d = "kmem_cache (never destroyed)"; break;
        case EntryKind::vmalloc:
          d = "vmalloc " + std::to_string(e.size) + " bytes at " + hex(e.va.value) + " (" +
              std::to_string(e.frames.size()) + " pages)";
          break;
        case EntryKind::ioremap:
          d = "ioremap " + std::to_string(e.size) + " bytes at " + hex(e.va.value) + " (phys " +
              hex(e.phys.value) + ")";
          break;
      }
      out.push_back(Leak{bound_at[s], prog_.names[s], std::move(d)});
    }
    return out;
  }

  Entry& slot(Slot s) { return ledger_[static_cast<std::size_t>(s)]; }
  const std::string& name(Slot s) const { return prog_.names[static_cast<std::size_t>(s)]; }

  std::size_t new_reports() const { return k_.reports().size() - reports_at_op_start_; }

  /// Reports of a valid op: none allowed, except red-zone / poison reports
  /// while a scribbled object waits to be noticed (DEBUG-DETECT).
  Check no_report() {
    for (std::size_t i = reports_at_op_start_; i < k_.reports().size(); ++i) {
      const Report& r = k_.reports()[i];
      if (scribbled_ && (r.kind == ReportKind::redzone || r.kind == ReportKind::poison)) continue;
      if (scribbled_ && r.kind == ReportKind::page_fault) continue;
      return fail(
          Inv::MISUSE, {r.addr},
          "a valid op produced a report: [" + std::string(report_kind_name(r.kind)) + "] " + r.message);
    }
    return std::nullopt;
  }

  /// A misuse op: exactly one report, of one of `kinds`, and no state change.
  Check misuse(const Fingerprint& before, std::initializer_list<ReportKind> kinds, const char* what) {
    const auto expected = [&] {  // for a finding only
      std::string out;
      for (ReportKind kd : kinds) out += (out.empty() ? "" : " or ") + std::string(report_kind_name(kd));
      return out;
    };
    if (new_reports() != 1)
      return fail(Inv::MISUSE, {},
                  std::string(what) + " must yield exactly one report (" + expected() + "); it yielded " +
                      std::to_string(new_reports()));
    const Report& r = k_.reports().back();
    if (std::find(kinds.begin(), kinds.end(), r.kind) == kinds.end())
      return fail(Inv::MISUSE, {r.addr},
                  std::string(what) + " must be reported as " + expected() + "; it was reported as " +
                      std::string(report_kind_name(r.kind)) + ": " + r.message);
    if (chk_.fingerprint() != before)
      return fail(Inv::MISUSE, {r.addr}, std::string(what) + " was reported but changed allocator state");
    if (opt_.trace) trace_suffix_ = " -> report " + std::string(report_kind_name(r.kind));
    return std::nullopt;
  }

  std::uint64_t faults() const { return k_.fail_page_alloc().failures + k_.failslab().failures; }

  /// A request that returned null: an injected fault or a clean failure must
  /// leave the state unchanged.
  Check clean_failure(const Fingerprint& before, std::uint64_t faults_before) {
    if (chk_.fingerprint() != before)
      return fail(faults() != faults_before ? Inv::FAULT : Inv::MISUSE, {},
                  faults() != faults_before ? "an injected failure returned null but changed allocator state"
                                            : "a failed request changed allocator state");
    if (opt_.trace) trace_suffix_ = faults() != faults_before ? " -> NULL (injected fault)" : " -> NULL";
    return std::nullopt;
  }

  bool sleeping_in_atomic(gfp_t gfp) const { return atomic_ && (gfp & GFP_DIRECT_RECLAIM); }

  // ---- stamps (INTEGRITY) and zero checks (ZERO) ------------------------------------------

  /// Where an allocation carries stamps (Pattern::words):
  ///  - at most FULL_BYTES (1 KiB): every byte;
  ///  - larger: the first HEAD_BYTES and the last TAIL_BYTES, and two 8-byte
  ///    words per page: one at each page boundary inside the allocation
  ///    (where a page-wide memset, a page's first object and its free-list
  ///    link start) and one at an 8-aligned offset into that page derived
  ///    from the allocation's id and the page's index (a write into the
  ///    middle of a page is caught where the allocator cannot predict it);
  ///    the first, partial page gets a derived word after the head too.
  ///    Stamping costs O(1) per page and dirties one 64-byte granule of a
  ///    frame per word (alloc/phys_mem.h), not the frame.
  ///  - above SAMPLED_PAGES pages (a huge vmalloc or page block) only a
  ///    bounded, deterministic sample of pages carries words: the first and
  ///    last EDGE_PAGES pages and SPREAD_PAGES pages spread evenly between, so
  ///    host memory and time follow what the program touches, not what the
  ///    area spans (a 60 GiB vmalloc stamps 256 pages, not 15 million);
  ///  - Pattern::ends: head and tail only, for allocations made while live
  ///    ones hold STAMP_PAGE_BUDGET units.
  /// Zeroed memory is not stamped; it is read back over Pattern::wide (head,
  /// tail and the first 64 bytes of each sampled page: reads dirty nothing).
  /// Overlaps stay exact: NO-OVERLAP compares every frame through the
  /// ledger; verify_stamps also reads back every range the program wrote into
  /// a huge area.
  enum class Pattern : std::uint8_t { words, wide, ends };
  static constexpr std::uint64_t FULL_BYTES = 1024, HEAD_BYTES = 256, TAIL_BYTES = 64, WORD = 8, WIDE = 64;
  static constexpr std::uint64_t SAMPLED_PAGES = 1024, EDGE_PAGES = 64, SPREAD_PAGES = 128;
  /// Stamp units (a page of an allocation, or its head or tail: about a 4 KiB
  /// host page each: 256 MiB) live allocations may carry before new ones are
  /// stamped at head and tail only.
  static constexpr std::uint64_t STAMP_PAGE_BUDGET = 65536;

  /// Page `page`'s second word: 8-aligned, in [8, PAGE_SIZE - 16] from the page's start.
  static std::uint64_t derived_offset(std::uint32_t id, std::uint64_t page) {
    std::uint64_t x = (std::uint64_t{id} + 1) * 0x9E3779B97F4A7C15ULL ^ (page + 1) * 0xC2B2AE3D27D4EB4FULL;
    x ^= x >> 31;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 29;
    return WORD * (1 + x % (PAGE_SIZE / WORD - 2));
  }

  /// Calls fn(offset, length) for each segment of `pattern` over an
  /// allocation of `size` bytes whose first byte lies `phase` bytes into a
  /// page (stamp `id` places the derived words), clipped to [lo, hi), until
  /// fn returns false. Only the pages meeting [lo, hi) are visited. Returns
  /// false when fn stopped it.
  template <typename Fn>
  static bool for_each_segment(Pattern pattern, std::uint64_t size, std::uint64_t phase, std::uint32_t id,
                               std::uint64_t lo, std::uint64_t hi, Fn&& fn) {
    hi = std::min(hi, size);
    if (lo >= hi) return true;
    const auto seg = [&](std::uint64_t off, std::uint64_t len) {
      const std::uint64_t from = std::max(off, lo), to = std::min(off + len, hi);
      return from >= to || fn(from, to - from);
    };
    if (size <= FULL_BYTES) return seg(0, size);
    if (!seg(0, HEAD_BYTES)) return false;
    if (pattern != Pattern::ends) {
      const std::uint64_t first = PAGE_SIZE - phase;  // the first page boundary after offset 0
      const std::uint64_t body_end = size - TAIL_BYTES;
      const std::uint64_t pages = first + TAIL_BYTES <= size ? (body_end - first) / PAGE_SIZE + 1 : 0;
      if (pattern == Pattern::words) {
        const std::uint64_t room = std::min(first, body_end);
        if (room >= HEAD_BYTES + WORD &&
            !seg(HEAD_BYTES + WORD * (derived_offset(id, pages) / WORD % ((room - HEAD_BYTES) / WORD)), WORD))
          return false;
      }
      const auto page = [&](std::uint64_t i) {
        const std::uint64_t b = first + i * PAGE_SIZE;
        if (pattern == Pattern::wide) return seg(b, WIDE);
        if (!seg(b, WORD)) return false;
        const std::uint64_t w = b + derived_offset(id, i);
        return w + WORD > body_end || seg(w, WORD);
      };
      // Page i spans [first + i * PAGE_SIZE, + PAGE_SIZE): those meeting [lo, hi).
      const std::uint64_t i_lo = lo < first + PAGE_SIZE ? 0 : (lo - first) / PAGE_SIZE;
      const std::uint64_t i_hi = hi <= first ? 0 : std::min(pages, (hi - first - 1) / PAGE_SIZE + 1);
      if (pages <= SAMPLED_PAGES) {
        for (std::uint64_t i = i_lo; i < i_hi; ++i)
          if (!page(i)) return false;
      } else {
        for (std::uint64_t i = i_lo; i < std::min(i_hi, EDGE_PAGES); ++i)
          if (!page(i)) return false;
        const std::uint64_t middle = pages - 2 * EDGE_PAGES;
        for (std::uint64_t j = 0; j < SPREAD_PAGES; ++j) {
          const std::uint64_t i = EDGE_PAGES + j * middle / SPREAD_PAGES;
          if (i >= i_hi) break;
          if (i >= i_lo && !page(i)) return false;
        }
        for (std::uint64_t i = std::max(i_lo, pages - EDGE_PAGES); i < i_hi; ++i)
          if (!page(i)) return false;
      }
    }
    return seg(size - TAIL_BYTES, TAIL_BYTES);
  }

  /// Stamp-budget units of a record: the segments of its pattern (a page's
  /// words counting once) that meet its region.
  static std::uint32_t units(const Entry::Stamp& st) {
    const std::uint64_t size = st.pattern_size;
    if (st.offset == 0 && st.length == size) {  // a whole allocation: head, tail and its sampled pages
      if (size == 0) return 0;
      if (size <= FULL_BYTES) return 1;
      if (st.ends_only) return 2;
      const std::uint64_t first = PAGE_SIZE - st.phase;
      const std::uint64_t pages =
          first + TAIL_BYTES <= size ? (size - TAIL_BYTES - first) / PAGE_SIZE + 1 : 0;
      return static_cast<std::uint32_t>(2 + (pages <= SAMPLED_PAGES ? pages : 2 * EDGE_PAGES + SPREAD_PAGES));
    }
    std::uint32_t n = 0;
    for_each_segment(st.ends_only ? Pattern::ends : Pattern::wide, st.pattern_size, st.phase, st.id,
                     st.offset, st.offset + st.length,
                     [&](std::uint64_t, std::uint64_t) { return ++n, true; });
    return n;
  }

  static std::uint16_t phase_of(const Entry& e) {
    return static_cast<std::uint16_t>(e.va.value & (PAGE_SIZE - 1));
  }

  /// The page a stamp or verification pass translated last. Nothing runs on
  /// the subject within one pass, so its words on one page share one
  /// page-table walk (a pass starts with an empty cache).
  struct PageCache {
    std::uint64_t va_page = ~std::uint64_t{0};
    PhysAddr pa{};
  };

  /// access() through `cache`: the same bytes, the same faults (an unmapped
  /// or page-crossing access goes through access() itself).
  bool access(const Entry& e, std::uint64_t off, std::span<std::byte> buf, bool write, PageCache& cache) {
    const std::uint64_t va = e.va.value + off;
    if (e.kind == EntryKind::pages || (va & (PAGE_SIZE - 1)) + buf.size() > PAGE_SIZE)
      return access(e, off, buf, write);
    if ((va & PAGE_MASK) != cache.va_page) {
      const auto pa = k_.translate(VirtAddr{va & PAGE_MASK});
      if (!pa) return access(e, off, buf, write);  // the subject reports the fault
      cache = {va & PAGE_MASK, *pa};
    }
    const PhysAddr pa = cache.pa + (va & (PAGE_SIZE - 1));
    if (write)
      k_.write_phys(pa, buf);  // as Kernel::write: a write to device space is dropped
    else if (!k_.read_phys(pa, buf))
      std::memset(buf.data(), 0xff, buf.size());  // as Kernel::read: no RAM reads ones
    return true;
  }

  bool access(const Entry& e, std::uint64_t off, std::span<std::byte> buf, bool write) {
    if (e.kind == EntryKind::pages) {
      const PhysAddr pa = pfn_to_phys(e.pfn) + off;
      return write ? k_.write_phys(pa, buf) : k_.read_phys(pa, buf);
    }
    return write ? k_.write(e.va + off, buf) : k_.read(e.va + off, buf);
  }

  /// Stamps [from, size) of a new allocation (one record, Pattern::words).
  /// Zeroed memory is not stamped: its defined content is zero, which the
  /// program may check.
  void stamp(Entry& e, std::uint64_t from = 0) {
    if (e.zeroed) {
      e.writes.push_back({from, e.size - from, 0});
      return;
    }
    Entry::Stamp st{0, e.size, e.id, e.size, phase_of(e), false, 0};
    // Host memory stays bounded over the whole program too: while live
    // allocations carry more than STAMP_PAGE_BUDGET units (each stamped page
    // is a resident host page), new ones are stamped at their head and tail
    // only (overlaps stay exact through the ledger; a scribble into the head
    // or tail is still seen). Small machines never get there.
    const std::uint32_t all = units(st);
    st.ends_only = stamped_pages_ > STAMP_PAGE_BUDGET && all > 2;
    stamped_pages_ += st.ends_only ? 2 : all;
    st.offset = from;
    st.length = e.size > from ? e.size - from : 0;
    st.units = units(st);
    if (st.units == 0) return;
    PageCache cache;
    for_each_segment(st.ends_only ? Pattern::ends : Pattern::words, e.size, st.phase, e.id, from, e.size,
                     [&](std::uint64_t off, std::uint64_t len) {
                       const std::span<std::byte> out(want_.data(), len);
                       stamp_bytes(e.id, off, out);
                       access(e, off, out, true, cache);
                       return true;
                     });
    e.stamps.push_back(st);
  }

  /// A byte that does not read what it should: where, what was read, what was expected.
  struct Mismatch {
    std::uint64_t offset;
    bool unreadable;
    std::uint8_t got = 0, want = 0;
  };

  /// Reads [off, off + len) with read(off, span) and compares it with want_
  /// where defined_ is 1, after the program's writes were laid over want_.
  template <typename Read>
  std::optional<Mismatch> compare(const std::vector<Entry::Write>& writes, std::uint64_t off,
                                  std::uint64_t len, Read&& read) {
    const std::span<std::byte> got(got_.data(), len);
    if (!read(off, got)) return Mismatch{off, true};
    for (const Entry::Write& w : writes) {
      const std::uint64_t from = std::max(w.offset, off), to = std::min(w.offset + w.length, off + len);
      if (from >= to) continue;
      std::memset(want_.data() + (from - off), w.byte, to - from);
      std::memset(defined_.data() + (from - off), 1, to - from);
    }
    if (std::memcmp(got.data(), want_.data(), len) == 0) return std::nullopt;
    for (std::uint64_t i = 0; i < len; ++i)
      if (defined_[i] && got[i] != want_[i])
        return Mismatch{off + i, false, std::to_integer<std::uint8_t>(got[i]),
                        std::to_integer<std::uint8_t>(want_[i])};
    return std::nullopt;
  }

  /// Every stamped segment of `e` below `limit` against its stamp and the
  /// program's writes over it; without stamps (zeroed memory) the wide
  /// sample against the writes. O(segments x writes), segments O(1) per page.
  template <typename Read>
  std::optional<Mismatch> check_stamps(const Entry& e, std::uint64_t limit, Read&& read) {
    std::optional<Mismatch> m;
    if (e.stamps.empty()) {
      for_each_segment(Pattern::wide, e.size, phase_of(e), 0, 0, limit,
                       [&](std::uint64_t off, std::uint64_t len) {
                         std::memset(defined_.data(), 0, len);
                         m = compare(e.writes, off, len, read);
                         return !m;
                       });
      return m;
    }
    for (const Entry::Stamp& st : e.stamps) {
      for_each_segment(st.ends_only ? Pattern::ends : Pattern::words, st.pattern_size, st.phase, st.id,
                       st.offset, std::min(st.offset + st.length, limit),
                       [&](std::uint64_t off, std::uint64_t len) {
                         stamp_bytes(st.id, off, {want_.data(), len});
                         std::memset(defined_.data(), 1, len);
                         m = compare(e.writes, off, len, read);
                         return !m;
                       });
      if (m) return m;
    }
    return m;
  }

  /// A huge area's written ranges that no stamp covers are read back too: a
  /// write's first and last 64 bytes and the first 64 bytes of up to 64
  /// pages it touched (bounded for huge writes), each against every stamp
  /// that reaches into it and the writes.
  template <typename Read>
  std::optional<Mismatch> check_written(const Entry& e, Read&& read) {
    std::optional<Mismatch> m;
    const auto window = [&](std::uint64_t off, std::uint64_t len) {
      std::memset(defined_.data(), 0, len);
      for (const Entry::Stamp& st : e.stamps)
        for_each_segment(st.ends_only ? Pattern::ends : Pattern::words, st.pattern_size, st.phase, st.id,
                         std::max(st.offset, off), std::min(st.offset + st.length, off + len),
                         [&](std::uint64_t from, std::uint64_t n) {
                           stamp_bytes(st.id, from, {want_.data() + (from - off), n});
                           std::memset(defined_.data() + (from - off), 1, n);
                           return true;
                         });
      m = compare(e.writes, off, len, read);
      return !m;
    };
    for (const Entry::Write& w : e.writes) {
      if (w.length == 0) continue;
      if (!window(w.offset, std::min<std::uint64_t>(w.length, 64))) return m;
      if (w.length > 64 && !window(w.offset + w.length - 64, 64)) return m;
      const std::uint64_t step = std::max<std::uint64_t>(PAGE_SIZE, page_align_up(w.length / 64));
      for (std::uint64_t off = page_align_up(w.offset + 1); off + 64 <= w.offset + w.length; off += step)
        if (!window(off, 64)) return m;
    }
    return m;
  }

  Check verify_stamps(Slot s) {
    Entry& e = slot(s);
    if (scribbled_) return std::nullopt;  // a misuse write may have hit anything
    PageCache cache;
    const auto read = [&](std::uint64_t off, std::span<std::byte> out) {
      return access(e, off, out, false, cache);
    };
    std::optional<Mismatch> m = check_stamps(e, e.size, read);
    if (!m && e.size > SAMPLED_PAGES * PAGE_SIZE) m = check_written(e, read);
    if (!m) return std::nullopt;
    if (m->unreadable)
      return fail(Inv::INTEGRITY, {e.va.value + m->offset},
                  "the payload of " + name(s) + " cannot be read back");
    return fail(Inv::INTEGRITY, {e.va.value + m->offset},
                "byte " + std::to_string(m->offset) + " of " + name(s) + " (" +
                    std::string(entry_kind_name(e.kind)) + ", " + std::to_string(e.size) + " bytes) reads " +
                    hex(m->got) + ", stamped " + hex(m->want) +
                    ": something else wrote into it while it was live");
  }

  Check verify_zero(Slot s) {
    Entry& e = slot(s);
    Check c;
    PageCache cache;
    for_each_segment(Pattern::wide, e.size, phase_of(e), 0, 0, e.size,
                     [&](std::uint64_t off, std::uint64_t n) {
                       const std::span<std::byte> got(got_.data(), n);
                       access(e, off, got, false, cache);
                       static constexpr std::array<std::byte, FULL_BYTES> zeros{};
                       if (std::memcmp(got.data(), zeros.data(), n) == 0) return true;
                       for (std::uint64_t i = 0; i < n; ++i)
                         if (got[i] != std::byte{0}) {
                           c = fail(Inv::ZERO, {e.va.value + off + i},
                                    "byte " + std::to_string(off + i) + " of zeroed allocation " + name(s) +
                                        " reads " + hex(std::to_integer<std::uint8_t>(got[i])));
                           return false;
                         }
                       return true;
                     });
    return c;
  }

  // ---- recording ------------------------------------------------------------------------

  void index(Slot s) {
    Entry& e = slot(s);
    switch (e.kind) {
      case EntryKind::pages:
      case EntryKind::free_pages:
        ledger_.add_phys(e.pfn.value << PAGE_SHIFT, (e.pfn.value << PAGE_SHIFT) + e.span, s);
        break;
      case EntryKind::kmalloc:
      case EntryKind::object: {
        const std::uint64_t pa = k_.layout().pa(e.va).value;
        ledger_.add_phys(pa, pa + std::max<std::uint64_t>(e.span, 1), s);
        break;
      }
      case EntryKind::vmalloc:
        // One range per run of consecutive frames: a huge area costs its
        // runs, not its pages.
        for_each_run(e.frames, [&](std::uint64_t pfn, std::uint64_t n) {
          ledger_.add_phys(pfn << PAGE_SHIFT, (pfn + n) << PAGE_SHIFT, s);
        });
        ledger_.add_virt(e.va.value, e.va.value + e.span, s);
        break;
      case EntryKind::ioremap:
        ledger_.add_virt(e.va.value & PAGE_MASK, page_align_up(e.va.value + e.size), s);
        break;
      case EntryKind::cache: break;
    }
  }

  void unindex(Slot s) {
    Entry& e = slot(s);
    std::uint64_t held = 0;
    for (const Entry::Stamp& st : e.stamps) held += st.units;
    stamped_pages_ -= std::min(stamped_pages_, held);
    switch (e.kind) {
      case EntryKind::pages:
      case EntryKind::free_pages: ledger_.remove_phys(e.pfn.value << PAGE_SHIFT, s); break;
      case EntryKind::kmalloc:
      case EntryKind::object: ledger_.remove_phys(k_.layout().pa(e.va).value, s); break;
      case EntryKind::vmalloc:
        for_each_run(e.frames,
                     [&](std::uint64_t pfn, std::uint64_t) { ledger_.remove_phys(pfn << PAGE_SHIFT, s); });
        ledger_.remove_virt(e.va.value, s);
        break;
      case EntryKind::ioremap: ledger_.remove_virt(e.va.value & PAGE_MASK, s); break;
      case EntryKind::cache: break;
    }
  }

  /// A new live entry: overlap, per-entry invariants, zero check, stamps.
  Check admit(Slot s, bool fresh = true) {
    Entry& e = slot(s);
    e.bound = true;
    e.live = true;
    e.id = next_id_++;
    if (e.kind != EntryKind::cache) {
      if (opt_.level != CheckLevel::none) {
        if (auto c = chk_.overlap(ledger_, s)) return c;
        if (auto c = chk_.entry(ledger_, s)) return c;
      }
      index(s);
      if (fresh) {
        if (e.zeroed)
          if (auto c = verify_zero(s)) return c;
        stamp(e);
      }
    }
    describe(s);
    return std::nullopt;
  }

  void describe(Slot s) {
    if (!opt_.trace) return;
    const Entry& e = slot(s);
    switch (e.kind) {
      case EntryKind::pages:
        trace_suffix_ = " -> pfn " + hex(e.pfn.value) + " (phys " + hex(e.pfn.value << PAGE_SHIFT) + ")";
        break;
      case EntryKind::free_pages:
      case EntryKind::kmalloc:
      case EntryKind::object:
        trace_suffix_ = " -> " + hex(e.va.value) + " (phys " + phys_hex(k_.layout().pa(e.va).value);
        if (is_slab_kind(e.kind)) {
          // The owner, as slabinfo names it: size-128, kmalloc-64, foo.
          const auto ref = k_.slab().object_containing(e.va);
          if (ref && ref->cache)
            trace_suffix_ += ", " + std::string(ref->cache->name());
          else
            trace_suffix_ += ", page allocator, " + std::to_string(e.span) + " bytes";
        } else {
          trace_suffix_ += ", order " + std::to_string(e.order);
        }
        trace_suffix_ += ")";
        break;
      case EntryKind::vmalloc:
        trace_suffix_ = " -> " + hex(e.va.value) + " (" + std::to_string(e.frames.size()) + " pages; " +
                        frame_runs(e.frames, 8) + ")";
        break;
      case EntryKind::ioremap:
        trace_suffix_ = " -> " + hex(e.va.value) + " (phys " + hex(e.phys.value) + ")";
        break;
      case EntryKind::cache: trace_suffix_ = " -> cache"; break;
    }
  }

  /// The live entry (other than `s`) whose memory covers what `s` had, if any:
  /// a second free of `s` would then free someone else's memory, which the
  /// subject cannot tell from a valid free. Such ops are skipped.
  bool reused(Slot s) {
    Entry& e = slot(s);
    switch (e.kind) {
      case EntryKind::pages:
      case EntryKind::free_pages:
        return ledger_.phys_overlap(e.pfn.value << PAGE_SHIFT, (e.pfn.value << PAGE_SHIFT) + e.span)
            .has_value();
      case EntryKind::kmalloc:
      case EntryKind::object: {
        const std::uint64_t pa = k_.layout().pa(e.va).value;
        return ledger_.phys_overlap(pa, pa + std::max<std::uint64_t>(e.span, 1)).has_value();
      }
      case EntryKind::vmalloc: return ledger_.virt_overlap(e.va.value, e.va.value + e.span).has_value();
      case EntryKind::ioremap:
        return ledger_.virt_overlap(e.va.value & PAGE_MASK, page_align_up(e.va.value + e.size)).has_value();
      case EntryKind::cache: return false;
    }
    return false;
  }

  Check skip(const char* why) {
    if (opt_.trace) trace_suffix_ = std::string(" -> skipped: ") + why;
    return std::nullopt;
  }

  /// After a valid free of a live entry: the entry leaves the ledger.
  Check released(Slot s) {
    Entry& e = slot(s);
    e.live = false;
    unindex(s);
    if (auto c = no_report()) return c;
    if (opt_.level != CheckLevel::none)
      if (auto c = chk_.after_release(e)) return c;
    return std::nullopt;
  }

  /// A use-after-free scribble is noticed when the object is handed out
  /// again or its slab is released: any poison or red-zone report clears the
  /// freed objects waiting to be noticed.
  Check accept_debug_reports() {
    if (!pending_debug_) return std::nullopt;
    for (std::size_t i = reports_at_op_start_; i < k_.reports().size(); ++i) {
      const ReportKind kd = k_.reports()[i].kind;
      if (kd == ReportKind::redzone || kd == ReportKind::poison)
        for (std::size_t s = 0; s < ledger_.size(); ++s)
          if (!ledger_[s].live) ledger_[s].corrupted = false;
    }
    refresh_pending();
    return std::nullopt;
  }

  void refresh_pending() {
    pending_debug_ = false;
    for (std::size_t s = 0; s < ledger_.size(); ++s) pending_debug_ |= ledger_[s].corrupted;
  }

  // ---- page allocator ---------------------------------------------------------------------

  Check page_alloc(Slot dst, gfp_t gfp, unsigned order, bool virt) {
    const Fingerprint before = chk_.fingerprint();
    const std::uint64_t f0 = faults();
    // The zones before the request, into a member: no host allocation per op.
    pre_zones_.assign(k_.buddy().zones().begin(), k_.buddy().zones().end());
    const std::vector<Zone>& pre = pre_zones_;
    // Linux rejects order > MAX_PAGE_ORDER before it checks the context.
    const bool misuse_sleep = sleeping_in_atomic(gfp) && order <= MAX_PAGE_ORDER;
    Pfn pfn = Pfn::none();
    VirtAddr va{0};
    if (virt) {
      va = k_.get_free_pages(gfp, order);
      if (va) pfn = k_.virt_to_pfn(va);
    } else {
      pfn = k_.alloc_pages(gfp, order);
    }
    if (misuse_sleep) {
      if (pfn) return fail(Inv::MISUSE, {}, "a sleeping request in atomic context succeeded");
      return misuse(before, {ReportKind::sleep_in_atomic}, "a sleeping request in atomic context");
    }
    if (auto c = no_report()) return c;
    const gfp_t eff = virt ? (gfp & ~GFP_HIGHMEM) : gfp;
    if (!pfn) {
      if (auto c = clean_failure(before, f0)) return c;
      if (faults() == f0 && opt_.level != CheckLevel::none) return chk_.page_failure(pre, eff, order);
      return std::nullopt;
    }
    if (faults() != f0) return fail(Inv::FAULT, {}, "an injected failure did not return null");
    if (opt_.level != CheckLevel::none)
      if (auto c = chk_.page_success(pre, eff, order, pfn)) return c;
    Entry& e = slot(dst);
    e.kind = virt ? EntryKind::free_pages : EntryKind::pages;
    e.pfn = pfn;
    e.va = va;
    e.order = order;
    e.gfp = eff;
    e.size = e.span = PAGE_SIZE << order;
    e.zeroed = (gfp & GFP_ZERO) != 0;
    return admit(dst);
  }

  Check handle(const AllocPagesOp& op) { return page_alloc(op.dst, op.gfp, op.order, false); }
  Check handle(const GetFreePagesOp& op) { return page_alloc(op.dst, op.gfp, op.order, true); }

  Check handle(const FreePagesOp& op) {
    Entry& e = slot(op.src);
    if (!e.bound) return skip("the allocation failed");
    const Fingerprint before = chk_.fingerprint();
    const unsigned order = op.order.value_or(e.order);
    auto do_free = [&] {
      if (e.kind == EntryKind::pages)
        k_.free_pages(e.pfn, order);
      else
        k_.free_pages(e.va, order);
    };
    const bool page_kind = e.kind == EntryKind::pages || e.kind == EntryKind::free_pages;
    if (!page_kind) {
      if (!e.live && reused(op.src)) return skip("its memory was reused");
      if (e.kind == EntryKind::cache || e.kind == EntryKind::pages) return skip("not an address");
      // A freed slab object whose slab went back to the buddy allocator: its
      // frame is free now, and "page already free" is the right answer too
      // (found by fuzz_kernel -fork=2).
      const bool frame_free =
          !e.live && (e.kind == EntryKind::kmalloc || e.kind == EntryKind::object) && !e.zero_size_ptr &&
          k_.buddy().free_block_containing(k_.layout().pa(e.va).value >> PAGE_SHIFT) != PFN_NIL;
      k_.free_pages(e.va, order);
      if (frame_free)
        return misuse(
            before,
            {ReportKind::double_free, ReportKind::invalid_free, ReportKind::bad_page, ReportKind::bad_order},
            "free_pages of a freed slab object whose frame is free again");
      return misuse(before, {ReportKind::invalid_free, ReportKind::bad_page, ReportKind::bad_order},
                    "free_pages of memory that get_free_pages did not return");
    }
    if (!e.live) {
      if (reused(op.src)) return skip("its memory was reused");
      // The frame may since have gone to the kernel itself (a page table, a
      // slab, a vmalloc page): then it is "not yours" rather than "free".
      const bool still_free = k_.buddy().free_block_containing(e.pfn.value) != PFN_NIL;
      do_free();
      if (still_free) return misuse(before, {ReportKind::double_free}, "a double free_pages");
      return misuse(before, {ReportKind::bad_page, ReportKind::invalid_free, ReportKind::bad_order},
                    "a double free_pages of a frame the kernel reused");
    }
    if (order != e.order) {
      do_free();
      return misuse(before, {ReportKind::bad_order}, "free_pages with the wrong order");
    }
    if (auto c = verify_stamps(op.src)) return c;
    do_free();
    return released(op.src);
  }

  // ---- slab ----------------------------------------------------------------------------

  Check object_alloc(Slot dst, EntryKind kind, VirtAddr va, std::uint64_t size, gfp_t gfp, Slot cache,
                     const Fingerprint& before, std::uint64_t f0) {
    if (sleeping_in_atomic(gfp)) {
      if (va) return fail(Inv::MISUSE, {va.value}, "a sleeping allocation in atomic context succeeded");
      return misuse(before, {ReportKind::sleep_in_atomic}, "a sleeping allocation in atomic context");
    }
    if (auto c = no_report()) return c;
    if (kind == EntryKind::kmalloc && size > k_.kmalloc_max_size()) {
      if (va)
        return fail(Inv::S_LIMIT, {va.value},
                    "kmalloc(" + std::to_string(size) + ") succeeded above the profile's limit of " +
                        std::to_string(k_.kmalloc_max_size()));
      return clean_failure(before, f0);
    }
    if (!va) return clean_failure(before, f0);
    if (faults() != f0) return fail(Inv::FAULT, {va.value}, "an injected failure did not return null");
    Entry& e = slot(dst);
    if (kind == EntryKind::kmalloc && size == 0 && va.value == 16 &&
        k_.config().kmalloc == KmallocProfile::modern) {
      // ZERO_SIZE_PTR: not NULL, owns no memory; kfree takes it back silently.
      e.kind = kind;
      e.va = va;
      e.zero_size_ptr = true;
      e.bound = e.live = true;
      if (opt_.trace) trace_suffix_ = " -> ZERO_SIZE_PTR";
      if (chk_.fingerprint() != before)
        return fail(Inv::MISUSE, {va.value}, "kmalloc(0) changed allocator state");
      return std::nullopt;
    }
    e.kind = kind;
    e.va = va;
    e.size = size;
    e.gfp = gfp;
    e.zeroed = (gfp & GFP_ZERO) != 0;
    e.span = kind == EntryKind::kmalloc ? k_.ksize(va) : size;
    if (kind == EntryKind::object) {
      e.cache_slot = cache;
      e.cache = slot(cache).cache;
      e.align = slot(cache).align;
      e.zeroed = e.zeroed || false;
    }
    if (kind == EntryKind::kmalloc && (gfp & GFP_DMA) && k_.layout().pa(va).value + size > 16 * MiB)
      return fail(Inv::B_ZONE, {va.value}, "a GFP_DMA kmalloc lies above 16 MiB");
    return admit(dst);
  }

  Check handle(const KmallocOp& op) {
    const Fingerprint before = chk_.fingerprint();
    const std::uint64_t f0 = faults();
    const gfp_t gfp = op.zeroed ? (op.gfp | GFP_ZERO) : op.gfp;
    const VirtAddr va = k_.kmalloc(op.size, gfp);
    return object_alloc(op.dst, EntryKind::kmalloc, va, op.size, gfp, NO_SLOT, before, f0);
  }

  Check handle(const KreallocOp& op) {
    Entry& old = slot(op.src);
    if (!old.live || old.kind != EntryKind::kmalloc) return skip("the source is not a live kmalloc object");
    if (op.size == 0) return skip("krealloc to size 0 frees; use kfree");
    if (auto c = verify_stamps(op.src)) return c;
    const Fingerprint before = chk_.fingerprint();
    const std::uint64_t f0 = faults();
    const VirtAddr va = k_.krealloc(old.va, op.size, op.gfp);
    if (sleeping_in_atomic(op.gfp) || !va || op.size > k_.kmalloc_max_size())
      return object_alloc(op.dst, EntryKind::kmalloc, va, op.size, op.gfp, NO_SLOT, before, f0);
    // Success: the old object is gone; the common prefix must have moved along.
    const std::uint64_t keep = std::min(old.size, op.size);
    Entry moved = old;
    old.live = false;
    unindex(op.src);
    if (auto c = no_report()) return c;
    buf_.resize(keep);
    if (!k_.read(va, buf_)) return fail(Inv::INTEGRITY, {va.value}, "the reallocated object cannot be read");
    if (!scribbled_) {
      const auto kept = [&](std::uint64_t off, std::span<std::byte> out) {
        std::memcpy(out.data(), buf_.data() + off, out.size());
        return true;
      };
      if (const auto m = check_stamps(moved, keep, kept))
        return fail(Inv::INTEGRITY, {va.value + m->offset},
                    "krealloc did not keep byte " + std::to_string(m->offset) + " of " + name(op.src));
    }
    Entry& e = slot(op.dst);
    e.kind = EntryKind::kmalloc;
    e.va = va;
    e.size = op.size;
    e.gfp = op.gfp;
    e.span = k_.ksize(va);
    e.kept_in_place = va == moved.va;
    // The prefix carries the old content (and what it should be); the rest is new.
    e.id = 0;
    for (const Entry::Write& w : moved.writes)
      if (w.offset < keep) e.writes.push_back({w.offset, std::min(w.length, keep - w.offset), w.byte});
    for (const Entry::Stamp& st : moved.stamps) {
      if (st.offset >= keep) continue;
      Entry::Stamp kept = st;
      kept.length = std::min(st.length, keep - st.offset);
      kept.units = units(kept);
      if (kept.units > 0) e.stamps.push_back(kept);
    }
    if (auto c = admit(op.dst, /*fresh=*/false)) return c;
    stamp(e, keep);
    return std::nullopt;
  }

  /// Frees of slab memory through kfree or kmem_cache_free.
  Check slab_free(Slot src, std::uint64_t offset, bool via_kfree, Slot cache) {
    Entry& e = slot(src);
    if (!e.bound) return skip("the allocation failed");
    if (e.zero_size_ptr) {
      if (!via_kfree || offset != 0 || !e.live) return skip("ZERO_SIZE_PTR owns no memory");
      k_.kfree(e.va);
      e.live = false;
      return no_report();
    }
    if (e.kind == EntryKind::cache) return skip("a cache is not an object");
    const Fingerprint before = chk_.fingerprint();
    const VirtAddr addr = e.kind == EntryKind::pages ? VirtAddr{0} : e.va + offset;
    if (e.kind == EntryKind::pages) return skip("alloc_pages memory has no address");
    auto call = [&] {
      if (via_kfree)
        k_.kfree(addr);
      else
        k_.kmem_cache_free(slot(cache).cache, addr);
    };
    if (!e.live && reused(src)) return skip("its memory was reused");
    if (!is_slab_kind(e.kind)) {
      call();
      if (via_kfree)
        return misuse(before, {ReportKind::invalid_free, ReportKind::bad_page, ReportKind::bad_address},
                      "kfree of memory kmalloc did not return");
      return misuse(before, {ReportKind::invalid_free, ReportKind::wrong_cache, ReportKind::bad_address},
                    "kmem_cache_free of memory the cache did not return");
    }
    if (!e.live) {
      // Once the object's slab went back to the page allocator the slab layer
      // cannot tell a double free from a wild pointer: either report is right.
      // If the slab was released and its frames reused by another cache, the
      // address is someone else's object now (wrong_cache, or an address
      // inside an object).
      const PageOwner owner = k_.mem().page(k_.layout().pa(e.va).value >> PAGE_SHIFT).owner;
      const auto ref = k_.slab().object_containing(e.va);
      const bool same_object =
          ref && ref->start == e.va && !ref->live && (e.kind != EntryKind::object || ref->cache == e.cache);
      const bool slab_gone = (owner != PageOwner::slab && owner != PageOwner::large_kmalloc) ||
                             (owner == PageOwner::slab && !same_object);
      call();
      if (slab_gone)
        return misuse(before,
                      {ReportKind::double_free, ReportKind::invalid_free, ReportKind::bad_page,
                       ReportKind::wrong_cache},
                      "a double free after the object's slab was released");
      // An address inside the freed object is not an object pointer at all:
      // the pointer check comes before the free-list check, as in SLUB
      // (found by fuzz_kernel).
      if (offset != 0)
        return misuse(before, {ReportKind::invalid_free}, "a free of an address inside a freed object");
      // Freed again through another cache: the cache check may come first.
      const bool names_other_cache = !via_kfree && !(e.kind == EntryKind::object && e.cache_slot == cache);
      if (names_other_cache)
        return misuse(before, {ReportKind::double_free, ReportKind::wrong_cache},
                      "a double free through another cache");
      return misuse(before, {ReportKind::double_free}, "a double free");
    }
    if (offset != 0) {
      call();
      return misuse(before, {ReportKind::invalid_free}, "a free of an address inside an object");
    }
    const bool right_api =
        via_kfree ? e.kind == EntryKind::kmalloc : (e.kind == EntryKind::object && e.cache_slot == cache);
    if (!via_kfree && !slot(cache).live) return skip("the cache was destroyed");
    if (!right_api) {
      // kfree of a kmem_cache object is legal in modern kernels; anything
      // else names the wrong cache. The stamps are read before the call: a
      // successful free poisons the object (found by fuzz_kernel).
      const bool may_be_valid = via_kfree && e.kind == EntryKind::object;
      if (may_be_valid)
        if (auto c = verify_stamps(src)) return c;
      call();
      if (new_reports() == 0 && may_be_valid) {
        if (e.corrupted)
          return fail(
              Inv::DEBUG_DETECT, {e.va.value},
              name(src) + " was written past its end, and slab_debug did not notice when it was freed");
        return released(src);
      }
      // The object's own cache checks its red zone first and keeps the
      // object, as on any free of a scribbled object (found by fuzz_kernel:
      // a kfree of a kmem_cache object written past its end).
      if (e.corrupted)
        return misuse(before, {ReportKind::wrong_cache, ReportKind::invalid_free, ReportKind::redzone},
                      "a free to the wrong cache of an object written past its end");
      return misuse(before, {ReportKind::wrong_cache, ReportKind::invalid_free}, "a free to the wrong cache");
    }
    if (auto c = verify_stamps(src)) return c;
    const bool corrupted = e.corrupted;
    call();
    if (corrupted) {
      // The red zone was overwritten: slab_debug must say so now, and (like
      // SLUB's "Object not freed") keep the object. Repair what was
      // scribbled past the object with the active red-zone byte and free it
      // again: that free must be clean.
      bool seen = false;
      for (std::size_t i = reports_at_op_start_; i < k_.reports().size(); ++i)
        seen |= k_.reports()[i].kind == ReportKind::redzone;
      if (!seen)
        return fail(Inv::DEBUG_DETECT, {e.va.value},
                    name(src) + " was written past its end, and slab_debug did not notice when it was freed");
      if (opt_.trace) trace_suffix_ = " -> report redzone (object kept; zone repaired and freed)";
      for (const Entry::Write& w : e.scribbles) {
        const std::uint64_t lo = std::max(w.offset, k_.slab().object_containing(e.va)->cache->object_size());
        if (lo >= w.offset + w.length) continue;
        buf_.assign(w.offset + w.length - lo, std::byte{0xcc});
        k_.write(e.va + lo, buf_);
      }
      e.corrupted = false;
      e.scribbles.clear();
      refresh_pending();
      const std::size_t mark = k_.reports().size();
      call();
      if (k_.reports().size() != mark)
        return fail(Inv::DEBUG_DETECT, {e.va.value},
                    "freeing " + name(src) +
                        " after its red zone was repaired still reported: " + k_.reports().back().message);
      e.live = false;
      unindex(src);
      return std::nullopt;
    }
    return released(src);
  }

  Check handle(const KfreeOp& op) {
    if (op.src == NO_SLOT) {
      const Fingerprint before = chk_.fingerprint();
      k_.kfree(VirtAddr{op.offset});
      if (op.offset == 0) {
        if (auto c = no_report()) return c;
        if (chk_.fingerprint() != before) return fail(Inv::MISUSE, {}, "kfree(NULL) changed state");
        return std::nullopt;
      }
      return misuse(before, {ReportKind::invalid_free, ReportKind::bad_address}, "kfree of a wild address");
    }
    return slab_free(op.src, op.offset, true, NO_SLOT);
  }

  Check handle(const CacheCreateOp& op) {
    const Fingerprint before = chk_.fingerprint();
    KmemCache* c = k_.kmem_cache_create(op.name, op.size, op.align, op.flags);
    if (atomic_) {
      if (c) return fail(Inv::MISUSE, {}, "kmem_cache_create in atomic context succeeded");
      return misuse(before, {ReportKind::sleep_in_atomic}, "kmem_cache_create in atomic context");
    }
    if (!c) {
      if (new_reports() == 1 && (k_.reports().back().kind == ReportKind::oversized ||
                                 k_.reports().back().kind == ReportKind::bad_address))
        return misuse(before, {ReportKind::oversized, ReportKind::bad_address},
                      "an invalid kmem_cache_create");
      if (auto r = no_report()) return r;
      return clean_failure(before, faults());
    }
    if (auto r = no_report()) return r;
    Entry& e = slot(op.dst);
    e.kind = EntryKind::cache;
    e.cache = c;
    e.size = op.size;
    e.align = op.align;
    return admit(op.dst);
  }

  Check handle(const CacheAllocOp& op) {
    Entry& c = slot(op.cache);
    if (!c.live || c.kind != EntryKind::cache) return skip("the cache is not live");
    const Fingerprint before = chk_.fingerprint();
    const std::uint64_t f0 = faults();
    const VirtAddr va = k_.kmem_cache_alloc(c.cache, op.gfp);
    return object_alloc(op.dst, EntryKind::object, va, c.size, op.gfp, op.cache, before, f0);
  }

  Check handle(const CacheFreeOp& op) {
    if (slot(op.cache).kind != EntryKind::cache || !slot(op.cache).bound) return skip("not a cache");
    if (!slot(op.cache).live) return skip("the cache was destroyed");
    return slab_free(op.obj, op.offset, false, op.cache);
  }

  Check handle(const CacheDestroyOp& op) {
    Entry& c = slot(op.cache);
    if (!c.bound || c.kind != EntryKind::cache) return skip("not a cache");
    const Fingerprint before = chk_.fingerprint();
    if (!c.live) {
      k_.kmem_cache_destroy(c.cache);
      return misuse(before, {ReportKind::double_free, ReportKind::invalid_free, ReportKind::sleep_in_atomic},
                    "a second kmem_cache_destroy");
    }
    bool has_live = false;
    for (std::size_t s = 0; s < ledger_.size(); ++s)
      has_live |=
          ledger_[s].live && ledger_[s].kind == EntryKind::object && ledger_[s].cache_slot == op.cache;
    k_.kmem_cache_destroy(c.cache);
    if (atomic_) return misuse(before, {ReportKind::sleep_in_atomic}, "kmem_cache_destroy in atomic context");
    if (has_live) return misuse(before, {ReportKind::cache_leak}, "kmem_cache_destroy with live objects");
    c.live = false;
    return no_report();
  }

  Check handle(const CacheShrinkOp& op) {
    Entry& c = slot(op.cache);
    if (!c.live || c.kind != EntryKind::cache) return skip("the cache is not live");
    const Fingerprint before = chk_.fingerprint();
    k_.kmem_cache_shrink(c.cache);
    if (atomic_) return misuse(before, {ReportKind::sleep_in_atomic}, "kmem_cache_shrink in atomic context");
    return no_report();
  }

  // ---- vmalloc -------------------------------------------------------------------------

  Check handle(const VmallocOp& op) {
    const Fingerprint before = chk_.fingerprint();
    const std::uint64_t f0 = faults();
    VirtAddr va{0};
    if (op.dma32) {
      // vmalloc_32: frames a 32-bit device can address. x86_64 asks for
      // ZONE_DMA32; i386's vmalloc frames are below 4 GiB already (above it
      // a PTE without PAE cannot map them, so vmalloc stays in lowmem).
      const gfp_t g = (k_.layout().profile == Profile::x86_64 ? GFP_KERNEL | GFP_DMA32 : GFP_KERNEL) |
                      (op.zeroed ? GFP_ZERO : 0);
      va = k_.vmalloc_node_range(op.size, PAGE_SIZE, g, VM_NONE);
    } else {
      va = op.zeroed ? k_.vzalloc(op.size) : k_.vmalloc(op.size);
    }
    if (atomic_) {
      if (va) return fail(Inv::MISUSE, {va.value}, "vmalloc in atomic context succeeded");
      return misuse(before, {ReportKind::sleep_in_atomic}, "vmalloc in atomic context");
    }
    if (auto c = no_report()) return c;
    if (!va) return clean_failure(before, f0);
    if (faults() != f0) return fail(Inv::FAULT, {va.value}, "an injected failure did not return null");
    Entry& e = slot(op.dst);
    e.kind = EntryKind::vmalloc;
    e.va = va;
    e.size = op.size;
    e.span = page_align_up(op.size);
    e.zeroed = op.zeroed;
    e.frames.clear();
    e.frames.reserve(e.span >> PAGE_SHIFT);
    for (std::uint64_t off = 0; off < e.span; off += PAGE_SIZE) {
      const auto t = k_.translate(va + off);
      if (!t)
        return fail(Inv::V_CONTIG, {va.value + off},
                    "page at offset " + std::to_string(off) + " of " + name(op.dst) + " is not mapped");
      e.frames.push_back(t->value >> PAGE_SHIFT);
      if (op.dma32 && t->value + PAGE_SIZE > 4 * GiB)
        return fail(Inv::B_ZONE, {va.value + off, t->value},
                    "page at offset " + std::to_string(off) + " of vmalloc_32 area " + name(op.dst) +
                        " is at phys " + hex(t->value) + ", above the 32-bit limit 0x100000000");
    }
    return admit(op.dst);
  }

  Check handle(const VfreeOp& op) {
    Entry& e = slot(op.src);
    if (!e.bound) return skip("the allocation failed");
    if (e.kind == EntryKind::cache || e.kind == EntryKind::pages) return skip("not an address");
    const Fingerprint before = chk_.fingerprint();
    if (!e.live && reused(op.src)) return skip("its memory was reused");
    if (e.kind != EntryKind::vmalloc) {
      k_.vfree(e.va + op.offset);
      return misuse(before, {ReportKind::invalid_free, ReportKind::bad_address},
                    "vfree of a non-vmalloc address");
    }
    if (!e.live) {
      k_.vfree(e.va + op.offset);
      return misuse(before, {ReportKind::double_free, ReportKind::invalid_free}, "a double vfree");
    }
    if (op.offset != 0) {
      k_.vfree(e.va + op.offset);
      return misuse(before, {ReportKind::invalid_free}, "vfree of an address inside an area");
    }
    if (auto c = verify_stamps(op.src)) return c;
    k_.vfree(e.va);
    return released(op.src);
  }

  Check handle(const IoremapOp& op) {
    const Fingerprint before = chk_.fingerprint();
    const std::uint64_t free0 = k_.nr_free_pages();
    const std::uint64_t pt0 = k_.vmap().pagetable_pages();
    const VirtAddr va = k_.ioremap(PhysAddr{op.phys}, op.size);
    if (new_reports() > 0) {
      if (va) return fail(Inv::MISUSE, {va.value}, "an ioremap that was reported still returned an address");
      return misuse(before, {ReportKind::bad_address, ReportKind::sleep_in_atomic, ReportKind::invalid_free},
                    "an invalid ioremap");
    }
    if (!va) return clean_failure(before, faults());
    const std::uint64_t pt1 = k_.vmap().pagetable_pages();
    if (free0 - k_.nr_free_pages() != pt1 - pt0)
      return fail(Inv::IOREMAP, {va.value},
                  "ioremap took " + std::to_string(free0 - k_.nr_free_pages()) + " frames, " +
                      std::to_string(pt1 - pt0) + " of them page tables: it must allocate no data frames");
    Entry& e = slot(op.dst);
    e.kind = EntryKind::ioremap;
    e.va = va;
    e.phys = PhysAddr{op.phys};
    e.size = op.size;
    e.span = op.size;
    // Not stamped: device memory is not ours to scribble on.
    e.bound = e.live = true;
    e.id = next_id_++;
    if (opt_.level != CheckLevel::none) {
      if (auto c = chk_.overlap(ledger_, op.dst)) return c;
      if (auto c = chk_.entry(ledger_, op.dst)) return c;
    }
    index(op.dst);
    describe(op.dst);
    return std::nullopt;
  }

  Check handle(const IounmapOp& op) {
    Entry& e = slot(op.src);
    if (!e.bound || e.kind == EntryKind::cache || e.kind == EntryKind::pages) return skip("not an address");
    const Fingerprint before = chk_.fingerprint();
    if (!e.live && reused(op.src)) return skip("its memory was reused");
    if (e.kind != EntryKind::ioremap || !e.live) {
      k_.iounmap(e.va);
      return misuse(
          before, {ReportKind::invalid_free, ReportKind::double_free, ReportKind::bad_address},
          e.kind != EntryKind::ioremap ? "iounmap of an address ioremap did not return" : "a double iounmap");
    }
    k_.iounmap(e.va);
    e.live = false;
    unindex(op.src);
    if (auto c = no_report()) return c;
    if (opt_.level != CheckLevel::none) return chk_.after_release(e);
    return std::nullopt;
  }

  // ---- memory --------------------------------------------------------------------------------

  Check handle(const MemOp& op) {
    Entry& e = slot(op.src);
    if (!e.bound || e.kind == EntryKind::cache) return skip("nothing to access");
    if (e.kind == EntryKind::ioremap && op.verb != MemVerb::check) return skip("device memory");
    const std::uint64_t len = op.length;
    // A write or check outside the object is a mistake in the script (a
    // misuse write is `scribble`): argument 2 is the offset, 3 the length.
    const auto outside = [&](const char* verb) -> std::optional<Finding> {
      const std::string what = std::string(verb) + " " + name(op.src) + ": ";
      const std::string usable = std::to_string(e.span) + " usable bytes";
      if (op.offset > e.span)
        return script_error(2, what + "offset " + std::to_string(op.offset) + " is beyond its " + usable +
                                   (op.verb == MemVerb::write ? " (scribble writes outside an object)" : ""));
      if (len > e.span - op.offset)
        return script_error(3, what + "length " + std::to_string(len) + " at offset " +
                                   std::to_string(op.offset) + " runs " +
                                   std::to_string(len - (e.span - op.offset)) + " bytes past its " + usable +
                                   (op.verb == MemVerb::write ? " (scribble writes outside an object)" : ""));
      return std::nullopt;
    };
    // Long ranges go in 1 MiB chunks: host memory stays bounded.
    constexpr std::uint64_t CHUNK = 1 * MiB;
    switch (op.verb) {
      case MemVerb::write: {
        if (!e.live) return skip("freed");
        if (auto c = outside("write")) return c;
        for (std::uint64_t done = 0; done < len; done += CHUNK) {
          buf_.assign(std::min(CHUNK, len - done), std::byte{op.byte});
          if (!access(e, op.offset + done, buf_, true)) return no_report();
        }
        e.writes.push_back({op.offset, len, op.byte});
        return no_report();
      }
      case MemVerb::check: {
        if (!e.live) return skip("freed");
        if (auto c = outside("check")) return c;
        for (std::uint64_t done = 0; done < len; done += CHUNK) {
          buf_.resize(std::min(CHUNK, len - done));
          if (!access(e, op.offset + done, buf_, false)) return no_report();
          for (std::uint64_t i = 0; i < buf_.size(); ++i)
            if (std::to_integer<std::uint8_t>(buf_[i]) != op.byte)
              return fail(Inv::EXPECT, {e.va.value + op.offset + done + i},
                          "check " + name(op.src) + ": byte " + std::to_string(op.offset + done + i) +
                              " reads " + hex(std::to_integer<std::uint8_t>(buf_[i])) + ", expected " +
                              hex(op.byte));
        }
        return no_report();
      }
      case MemVerb::scribble: {
        // A deliberate bad write (overflow, use after free). The slab's
        // debug checks must notice it on a slab object (DEBUG-DETECT);
        // payload integrity is no longer judged (the write may hit anything).
        // Scribbles model the bugs slab_debug exists for, so they stay on one
        // slab object: past its end only into its own red zone, after free
        // only inside the (poisoned) object. Anything wider would land in a
        // neighbour, a page table or another owner (found by fuzz_kernel).
        if (!is_slab_kind(e.kind) || e.zero_size_ptr) return skip("only slab objects are scribbled on");
        if (!e.live && reused(op.src)) return skip("its memory was reused");
        const auto ref = k_.slab().object_containing(e.va);
        if (!ref || !ref->cache || ref->start != e.va || ref->live != e.live)
          return skip("the object's slab is gone");
        const CacheGeometry& g = ref->cache->geometry();
        const std::uint64_t room = e.live ? g.size : g.object_size;
        if (op.offset >= room) return skip("beyond the object's stride");
        const std::uint64_t n = std::min<std::uint64_t>(len, room - op.offset);
        // What slab_debug can notice: a changed byte of the red zone (live)
        // or of the poison (freed). Writing the byte already there (0xcc
        // over an active red zone, 0x6b over poison) changes nothing, and
        // nothing can be noticed (found by the fuzz_kernel proxy benchmark).
        const std::uint64_t watched_from =
            e.live ? std::max<std::uint64_t>(op.offset, g.object_size) : op.offset;
        const bool watched = e.live ? g.red_zone : g.poison;
        bool changes = false;
        if (watched && watched_from < op.offset + n) {
          buf_.resize(op.offset + n - watched_from);  // what is there now
          k_.read(e.va + watched_from, buf_);
          for (std::byte b : buf_) changes |= std::to_integer<std::uint8_t>(b) != op.byte;
        }
        buf_.assign(n, std::byte{op.byte});
        k_.write(e.va + op.offset, buf_);
        scribbled_ = true;
        const bool noticed = watched && changes;
        if (noticed) {
          e.corrupted = true;
          if (e.live) e.scribbles.push_back({op.offset, n, op.byte});
          pending_debug_ = true;
        }
        if (e.live && g.red_zone && e.corrupted && watched_from < op.offset + n) {
          // A later scribble of the active byte may restore the whole red
          // zone: then there is nothing left to notice (found by fuzz_kernel
          // -fork=2: 0xd3 over the red zone, then 0xcc over it again).
          buf_.resize(g.size - g.object_size);
          k_.read(e.va + g.object_size, buf_);
          bool intact = true;
          for (std::byte b : buf_) intact &= b == RED_ACTIVE;
          if (intact) {
            e.corrupted = false;
            e.scribbles.clear();
            refresh_pending();
          }
        }
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  // ---- context ---------------------------------------------------------------------------

  Check handle(const AtomicOp& op) {
    k_.set_atomic(op.on);
    atomic_ = op.on;  // the program's view: what the subject must be told
    return std::nullopt;
  }

  Check handle(const FailOp& op) {
    if (op.off) {
      k_.fail_page_alloc().disable();
      k_.failslab().disable();
      shadow_.off();
      return std::nullopt;
    }
    FaultAttr& f = op.target == FaultTarget::page_alloc ? k_.fail_page_alloc() : k_.failslab();
    f.probability = op.probability;
    f.interval = op.interval;
    f.times = op.times;
    f.space = op.space;
    f.min_order = op.min_order;
    f.ignore_gfp_wait = op.ignore_gfp_wait;
    f.ignore_gfp_highmem = op.ignore_gfp_highmem;
    f.cache_filter = op.cache_filter;
    shadow_.configure(op.target == FaultTarget::slab,
                      FaultConfig{op.probability, op.interval, op.times, op.space, op.ignore_gfp_wait,
                                  op.ignore_gfp_highmem, op.min_order, op.cache_filter});
    return std::nullopt;
  }

  /// FAULT: every call that reached an injection point during the op was
  /// decided as the shadow model predicts (check/fault_shadow.h).
  Check judge_faults() {
    Check c = std::move(fault_finding_);
    fault_finding_.reset();
    return c;
  }

  // ---- expectations -------------------------------------------------------------------------

  Check handle(const ExpectOp& op) {
    auto failed = [&](const std::string& why) {
      return fail(Inv::EXPECT, {}, op_text(op_index_) + ": " + why);
    };
    bool holds = false;
    std::string got;
    switch (op.kind) {
      case ExpectKind::report: {
        std::string kinds;
        for (const Report& r : last_op_reports_) {
          holds |= r.kind == op.report;
          kinds += " " + std::string(report_kind_name(r.kind));
        }
        got = last_op_reports_.empty() ? "the last op produced no report" : "the last op reported" + kinds;
        break;
      }
      case ExpectKind::free_pages:
        holds = k_.nr_free_pages() == op.value;
        got = std::to_string(k_.nr_free_pages()) + " frames are free";
        break;
      case ExpectKind::null:
      case ExpectKind::ok: {
        const Entry& e = slot(op.src);
        holds = op.kind == ExpectKind::null ? !e.bound : e.bound;
        got = name(op.src) + (e.bound ? " was allocated" : " is NULL");
        break;
      }
      default: {
        const Entry& e = slot(op.src);
        if (!e.bound) return failed(name(op.src) + " is NULL");
        const Layout& l = k_.layout();
        const std::uint64_t addr = e.kind == EntryKind::pages ? pfn_to_phys(e.pfn).value : e.va.value;
        got = name(op.src) + " is at " + hex(addr);
        auto phys_range = [&](std::uint64_t& lo, std::uint64_t& hi) {
          if (e.kind == EntryKind::pages) {
            lo = pfn_to_phys(e.pfn).value;
            hi = lo + e.span;
          } else if (e.kind == EntryKind::vmalloc) {
            lo = ~std::uint64_t{0};
            hi = 0;
            for (std::uint64_t pfn : e.frames) {
              lo = std::min(lo, pfn << PAGE_SHIFT);
              hi = std::max(hi, (pfn + 1) << PAGE_SHIFT);
            }
          } else if (e.kind == EntryKind::ioremap) {
            lo = e.phys.value;
            hi = lo + e.size;
          } else {
            lo = l.pa(e.va).value;
            hi = lo + e.span;
          }
        };
        std::uint64_t lo = 0, hi = 0;
        phys_range(lo, hi);
        switch (op.kind) {
          // A failing region test names the range it compared against.
          case ExpectKind::in_direct_map:
            if (e.kind == EntryKind::pages) {
              holds = l.is_lowmem(PhysAddr{lo});
              got = name(op.src) + " is at phys " + hex(lo) + "; the direct map covers phys [0x0, " +
                    hex(l.lowmem_bytes) + ")";
            } else {
              holds = l.in_direct_map(e.va);
              got += "; the direct map is [" + hex(l.page_offset) + ", " + hex(l.high_memory) + ")";
            }
            break;
          case ExpectKind::in_vmalloc:
            holds = e.kind != EntryKind::pages && l.in_vmalloc(e.va);
            got += "; the vmalloc window is [" + hex(l.vmalloc_start) + ", " + hex(l.vmalloc_end) + ")";
            break;
          case ExpectKind::in_dma:
            holds = hi <= 16 * MiB;
            got = name(op.src) + " spans phys [" + hex(lo) + ", " + hex(hi) + "); ZONE_DMA is phys [0x0, " +
                  hex(16 * MiB) + ")";
            break;
          case ExpectKind::in_lowmem:
            holds = hi <= l.lowmem_bytes;
            got = name(op.src) + " spans phys [" + hex(lo) + ", " + hex(hi) + "); lowmem is phys [0x0, " +
                  hex(l.lowmem_bytes) + ")";
            break;
          case ExpectKind::in_highmem:
            holds = lo >= l.lowmem_bytes;
            got = name(op.src) + " spans phys [" + hex(lo) + ", " + hex(hi) + "); highmem is phys [" +
                  hex(l.lowmem_bytes) + ", " + hex(l.max_pfn << PAGE_SHIFT) + ")";
            break;
          case ExpectKind::phys_contiguous: {
            holds = true;
            if (e.kind == EntryKind::vmalloc) {
              for (std::size_t i = 1; i < e.frames.size(); ++i) holds &= e.frames[i] == e.frames[i - 1] + 1;
            } else if (e.kind != EntryKind::pages) {
              const auto base = k_.translate(e.va);
              for (std::uint64_t off = 0; holds && base && off < e.span; off += PAGE_SIZE) {
                const auto t = k_.translate(e.va + off);
                holds = t && t->value == base->value + off;
              }
            }
            got = name(op.src) + (holds ? " is" : " is not") + " physically contiguous";
            break;
          }
          case ExpectKind::aligned: holds = op.value != 0 && addr % op.value == 0; break;
          case ExpectKind::ksize:
            holds = e.span == op.value;
            got = name(op.src) + " has ksize " + std::to_string(e.span);
            break;
          case ExpectKind::in_range:
            holds = addr >= op.value && addr < op.value2;
            got += "; the range is [" + hex(op.value) + ", " + hex(op.value2) + ")";
            break;
          default: break;
        }
      }
    }
    if (op.negated) holds = !holds;
    if (!holds) return failed(got);
    return std::nullopt;
  }

  Check handle(const PrintOp& op) {
    switch (op.what) {
      case PrintWhat::buddyinfo: printed_.push_back(k_.proc_buddyinfo()); break;
      case PrintWhat::slabinfo: printed_.push_back(k_.proc_slabinfo()); break;
      case PrintWhat::vmallocinfo: printed_.push_back(k_.proc_vmallocinfo()); break;
      case PrintWhat::meminfo: printed_.push_back(k_.proc_meminfo()); break;
      case PrintWhat::binding: {
        const Entry& e = slot(op.src);
        std::string s = name(op.src) + ": " + std::string(entry_kind_name(e.kind));
        if (!e.bound)
          s += " NULL";
        else if (e.kind == EntryKind::pages)
          s += " pfn " + hex(e.pfn.value);
        else
          s += " " + hex(e.va.value) + " size " + std::to_string(e.size);
        if (e.bound && e.kind == EntryKind::vmalloc)
          s += " pages " + std::to_string(e.frames.size()) + " " + frame_runs(e.frames, 64);
        if (e.bound && !e.live) s += " (freed)";
        printed_.push_back(s + "\n");
        break;
      }
    }
    return std::nullopt;
  }

  // ---- teardown ---------------------------------------------------------------------------

  Check teardown() {
    const std::size_t teardown_reports = k_.reports().size();
    // Objects and pages first (newest first), caches last.
    for (std::size_t i = ledger_.size(); i-- > 0;) {
      const auto s = static_cast<Slot>(i);
      Entry& e = ledger_[i];
      if (!e.live || e.kind == EntryKind::cache) continue;
      reports_at_op_start_ = k_.reports().size();
      Check c;
      switch (e.kind) {
        case EntryKind::pages:
        case EntryKind::free_pages: c = handle(FreePagesOp{s, std::nullopt}); break;
        case EntryKind::kmalloc: c = slab_free(s, 0, true, NO_SLOT); break;
        case EntryKind::object: c = slab_free(s, 0, false, e.cache_slot); break;
        case EntryKind::vmalloc: c = handle(VfreeOp{s, 0}); break;
        case EntryKind::ioremap: c = handle(IounmapOp{s}); break;
        case EntryKind::cache: break;
      }
      if (c) return c;
    }
    for (std::size_t i = ledger_.size(); i-- > 0;) {
      Entry& e = ledger_[i];
      if (!e.live || e.kind != EntryKind::cache) continue;
      reports_at_op_start_ = k_.reports().size();
      k_.kmem_cache_destroy(e.cache);
      e.live = false;
      if (auto c = no_report()) return c;
    }
    // Releasing the empty slabs checks every free object once more; a
    // destroyed cache's slabs were checked as they went. Any poison report
    // since teardown began counts.
    reports_at_op_start_ = k_.reports().size();
    k_.drop_slab();
    if (auto c = no_report()) return c;
    reports_at_op_start_ = teardown_reports;
    if (auto c = accept_debug_reports()) return c;
    if (pending_debug_)
      return fail(Inv::DEBUG_DETECT, {},
                  "a slab object was written after it was freed and slab_debug never reported the poison");
    if (opt_.level == CheckLevel::none) return std::nullopt;
    return chk_.restored();
  }

  const Program& prog_;
  const ExecOptions& opt_;
  Kernel& k_;
  KernelChecker chk_;
  FaultShadow shadow_;   ///< predicts each injected fault (FAULT)
  Check fault_finding_;  ///< the op's first wrong fault decision, until judge_faults
  Ledger ledger_;
  std::vector<std::string> lines_;
  std::vector<std::string> printed_;
  std::vector<Report> last_op_reports_;
  std::vector<Zone> pre_zones_;  ///< page_alloc: the zones before the request
  std::vector<std::byte> buf_;
  // A stamp segment is at most FULL_BYTES: fixed buffers, no host allocation per op.
  std::array<std::byte, FULL_BYTES> want_{};        ///< what a segment must read (stamp, then writes)
  std::array<std::byte, FULL_BYTES> got_{};         ///< what it reads
  std::array<std::uint8_t, FULL_BYTES> defined_{};  ///< which of want_ is defined
  std::optional<ScriptError> script_error_;
  std::uint64_t stamped_pages_ = 0;  ///< stamp ranges of live allocations (about one host page each)
  std::string trace_suffix_;
  std::size_t op_index_ = 0;
  std::size_t reports_at_op_start_ = 0;
  std::uint32_t next_id_ = 0;
  bool scribbled_ = false;
  bool atomic_ = false;
  bool pending_debug_ = false;
};

}  // namespace

ExecResult execute(const Program& program, const ExecOptions& options) {
  std::optional<Kernel> k;
  try {
    k.emplace(program.machine);
  } catch (const std::exception& e) {
    ExecResult r;
    r.violation =
        Violation{Inv::EXPECT, 0, "machine", {}, std::string("the machine cannot boot: ") + e.what()};
    return r;
  }
  if (options.after_boot) options.after_boot(*k);
  Runner runner(program, options, *k);
  return runner.run();
}

}  // namespace kmf
