// slab_debug.cpp — red zones and poisoning (slub_debug Z and P), and the
// slub-style messages that name the cache and the object.
//
//   stride of a free object:  | 6b 6b 6b … 6b a5 | bb bb … bb |
//   stride of a live object:  | caller's bytes   | cc cc … cc |
//                              0          object_size        size
//
// A write past a live object changes a 0xcc byte (found when it is freed); a
// write after free changes a 0x6b/0xa5 byte or a 0xbb byte (found when the
// object is handed out again or its slab is released). Keeps DEBUG-DETECT.
// The checks only read; a finding is one report whose address is the object.
#include <cstdio>
#include <cstring>

#include "alloc/format.h"
#include "alloc/slab.h"

namespace kmf {
namespace {

using detail::format;
using detail::ull;

/// Index of the first byte of [p, p+n) that is not `v`; n when all are.
std::size_t first_mismatch(const std::byte* p, std::size_t n, std::byte v) {
  const std::uint64_t pattern = 0x0101010101010101ULL * std::to_integer<std::uint64_t>(v);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {  // a word at a time: a 64 KiB red zone is checked on every free
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w != pattern) break;
  }
  for (; i < n; ++i)
    if (p[i] != v) return i;
  return n;
}

/// Index of the last byte of [p, p+n) that is not `v` (one exists).
std::size_t last_mismatch(const std::byte* p, std::size_t n, std::byte v) {
  while (n > 0 && p[n - 1] == v) --n;
  return n - 1;
}

unsigned hex(std::byte b) { return std::to_integer<unsigned>(b); }

}  // namespace

void SlabAllocator::debug_init_slab(const KmemCache& c, std::uint32_t slab_id) {
  const Slab& s = slabs_[slab_id];
  for (std::uint32_t i = 0; i < s.objects; ++i) debug_mark_free(c, object_bytes(s, c, i));
}

void SlabAllocator::debug_mark_free(const KmemCache& c, std::byte* obj) {
  const std::size_t n = c.object_size();
  if (c.poison()) {
    std::memset(obj, static_cast<int>(POISON_FREE), n - 1);
    obj[n - 1] = POISON_END;
  }
  if (c.red_zone()) std::memset(obj + n, static_cast<int>(RED_INACTIVE), c.size() - n);
}

std::string SlabAllocator::describe_object(const KmemCache& c, std::uint32_t slab_id,
                                           std::uint32_t index) const {
  const Slab& s = slabs_[slab_id];
  const VirtAddr obj = object_address(slab_id, index);
  const VirtAddr base = k_.layout_.va(PhysAddr{s.head_pfn << PAGE_SHIFT});
  return format("Object 0x%llx (size %llu, %s) in slab 0x%llx (objects=%u used=%u)", ull(obj.value),
                ull(c.object_size()), s.live[index] ? "allocated" : "free", ull(base.value), s.objects,
                s.inuse);
}

void SlabAllocator::report_object(ReportKind kind, const KmemCache& c, std::uint32_t slab_id,
                                  std::uint32_t index, const std::string& what) {
  k_.reports_.add(kind, object_address(slab_id, index).value,
                  "BUG " + c.name_ + " (Not tainted): " + what + "; " + describe_object(c, slab_id, index));
}

bool SlabAllocator::debug_check_free(const KmemCache& c, std::uint32_t slab_id, std::uint32_t index,
                                     const char* when) {
  const std::byte* obj = object_bytes(slabs_[slab_id], c, index);
  const std::uint64_t va = object_address(slab_id, index).value;
  const std::size_t n = c.object_size();
  auto report = [&](ReportKind kind, const char* what, std::size_t first, std::size_t last, std::byte want) {
    report_object(
        kind, c, slab_id, index,
        format("%s (found %s): 0x%llx-0x%llx @offset=%llu. First byte 0x%02x instead of 0x%02x", what, when,
               ull(va + first), ull(va + last), ull(first), hex(obj[first]), hex(want)));
  };
  if (c.poison()) {
    const std::size_t first = first_mismatch(obj, n - 1, POISON_FREE);
    const bool end_bad = obj[n - 1] != POISON_END;
    if (first < n - 1 || end_bad) {
      const std::size_t last = end_bad ? n - 1 : last_mismatch(obj, n - 1, POISON_FREE);
      report(ReportKind::poison, "Poison overwritten", first, last, first < n - 1 ? POISON_FREE : POISON_END);
      return false;
    }
  }
  if (c.red_zone()) {
    const std::size_t rz = c.size() - n;
    const std::size_t first = first_mismatch(obj + n, rz, RED_INACTIVE);
    if (first < rz) {
      report(ReportKind::redzone, "Redzone overwritten", n + first,
             n + last_mismatch(obj + n, rz, RED_INACTIVE), RED_INACTIVE);
      return false;
    }
  }
  return true;
}

bool SlabAllocator::debug_check_live(const KmemCache& c, std::uint32_t slab_id, std::uint32_t index) {
  const std::byte* obj = object_bytes(slabs_[slab_id], c, index);
  const std::size_t n = c.object_size();
  const std::size_t rz = c.size() - n;
  const std::size_t first = first_mismatch(obj + n, rz, RED_ACTIVE);
  if (first == rz) return true;
  const std::size_t last = last_mismatch(obj + n, rz, RED_ACTIVE);
  const std::uint64_t va = object_address(slab_id, index).value;
  report_object(
      ReportKind::redzone, c, slab_id, index,
      format("Redzone overwritten (found on free; the object is not freed): 0x%llx-0x%llx @offset=%llu. "
             "First byte 0x%02x instead of 0x%02x",
             ull(va + n + first), ull(va + n + last), ull(n + first), hex(obj[n + first]), hex(RED_ACTIVE)));
  return false;
}

}  // namespace kmf
