// report.cpp — names of report kinds.
#include "alloc/report.h"

#include <array>

namespace kmf {
namespace {
constexpr std::array<std::string_view, NR_REPORT_KINDS> NAMES{
    "double_free", "bad_order", "invalid_free", "wrong_cache", "page_fault", "sleep_in_atomic",
    "cache_leak",  "redzone",   "poison",       "oversized",   "bad_page",   "bad_address",
};
}  // namespace

std::string_view report_kind_name(ReportKind kind) { return NAMES[static_cast<std::size_t>(kind)]; }

std::optional<ReportKind> report_kind_from_name(std::string_view name) {
  for (std::size_t i = 0; i < NAMES.size(); ++i)
    if (NAMES[i] == name) return static_cast<ReportKind>(i);
  return std::nullopt;
}

}  // namespace kmf
