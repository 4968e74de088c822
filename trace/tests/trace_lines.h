// trace_lines.h — test helpers: ftrace lines of the kmem events (Linux 6.x print formats).
#pragma once

#include <cinttypes>
#include <cstdio>
#include <string>

namespace kmf::trace::testing {

inline std::string head(int cpu) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "  kworker/%d:1-42  [%03d] ..... 100.000000: ", cpu, cpu);
  return buf;
}
inline std::string kmalloc(int cpu, std::uint64_t ptr, unsigned req, unsigned alloc,
                           const char* site = "foo+0x10/0x40", const char* event = "kmalloc") {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%s: call_site=%s ptr=%016" PRIx64
                " bytes_req=%u bytes_alloc=%u gfp_flags=GFP_KERNEL node=-1 accounted=false\n",
                event, site, ptr, req, alloc);
  return head(cpu) + buf;
}
inline std::string kfree(int cpu, std::uint64_t ptr, const char* event = "kfree") {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s: call_site=bar+0x8/0x20 ptr=%016" PRIx64 "\n", event, ptr);
  return head(cpu) + buf;
}
inline std::string page_alloc(std::uint64_t pfn, unsigned order, int migratetype = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "mm_page_alloc: page=00000000deadbeef pfn=0x%" PRIx64
                " order=%u migratetype=%d gfp_flags=GFP_KERNEL\n",
                pfn, order, migratetype);
  return head(0) + buf;
}
inline std::string page_free(std::uint64_t pfn, unsigned order, const char* event = "mm_page_free") {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%s: page=00000000deadbeef pfn=0x%" PRIx64 " order=%u\n", event, pfn, order);
  return head(0) + buf;
}
inline std::string vmap_alloc(std::uint64_t start, std::uint64_t size) {
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "alloc_vmap_area: va_start: %" PRIu64 " size=%" PRIu64
                " align=1 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0\n",
                start, size);
  return head(0) + buf;
}
inline std::string vmap_free(std::uint64_t start) {
  char buf[128];
  std::snprintf(buf, sizeof buf,
                "free_vmap_area_noflush: va_start=0x%" PRIx64 " nr_lazy=1 nr_lazy_max=32768\n", start);
  return head(0) + buf;
}

}  // namespace kmf::trace::testing
