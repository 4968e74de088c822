// report.h — typed, always-on reports of caller misuse (BUG/WARN-style).
//
// Misuse is never absorbed silently and never crashes the host: the
// allocator appends one Report and leaves its state exactly as it was. The
// kinds are the vocabulary of `.kmf` scripts (`expect report double_free`),
// of `--json` output and of messages.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kmf {

enum class ReportKind : std::uint8_t {
  double_free,      ///< freeing something already free
  bad_order,        ///< free with an order other than the allocation's
  invalid_free,     ///< freeing an address the allocator never handed out
  wrong_cache,      ///< kmem_cache_free to a cache that does not own the object
  page_fault,       ///< access to an unmapped virtual address
  sleep_in_atomic,  ///< a sleeping allocation in atomic context
  cache_leak,       ///< kmem_cache_destroy with live objects
  redzone,          ///< slab red zone overwritten
  poison,           ///< slab poison overwritten (use after free)
  oversized,        ///< kmem_cache_create of an object larger than allowed
  bad_page,         ///< page state inconsistent with the request (reserved, in use by another owner)
  bad_address,      ///< an address outside the region an API accepts
};

inline constexpr std::size_t NR_REPORT_KINDS = 12;

std::string_view report_kind_name(ReportKind kind);
std::optional<ReportKind> report_kind_from_name(std::string_view name);

struct Report {
  ReportKind kind;
  std::uint64_t addr;   ///< the address (virtual or physical, per message) involved
  std::string message;  ///< kernel-style, e.g. "BUG: Bad page state in process kmemfuzz  pfn:0x01234"
};

/// The machine's report log: append-only during a run.
class ReportLog {
 public:
  void add(ReportKind kind, std::uint64_t addr, std::string message) {
    reports_.push_back(Report{kind, addr, std::move(message)});
  }
  std::span<const Report> all() const { return reports_; }
  std::size_t size() const { return reports_.size(); }
  const Report* last() const { return reports_.empty() ? nullptr : &reports_.back(); }
  void clear() { reports_.clear(); }

 private:
  std::vector<Report> reports_;
};

}  // namespace kmf
