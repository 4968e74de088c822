// phys_mem.cpp — mmap-backed RAM and frame metadata.
#include "alloc/phys_mem.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <vector>

namespace kmf {
namespace {

void* reserve(std::size_t bytes) {
  void* p =
      ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

std::uint64_t resident(const void* addr, std::size_t bytes) {
  const std::size_t host_page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t n = (bytes + host_page - 1) / host_page;
  std::vector<unsigned char> vec(n);
  if (::mincore(const_cast<void*>(addr), bytes, vec.data()) != 0) return 0;
  std::uint64_t count = 0;
  for (unsigned char c : vec) count += c & 1;
  return count * host_page;
}

void unmap(void* p, std::size_t bytes) { ::munmap(p, bytes); }

constexpr std::size_t POOLED_MEM_BYTES = PhysMem::POOLED_BYTES;
constexpr std::size_t POOLED_PAGES_BYTES = (PhysMem::POOLED_BYTES >> PAGE_SHIFT) * sizeof(Page);
constexpr std::size_t POOLED_GRAINS_BYTES = (PhysMem::POOLED_BYTES >> PAGE_SHIFT) * sizeof(std::uint64_t);
/// Two machines alive at once (a subject and a reference, a test's pair) is
/// the most any caller uses; more simply map and unmap as before.
constexpr std::size_t POOL_CAPACITY = 2;

struct Mapping {
  std::byte* mem;
  Page* pages;
  std::uint64_t* grains;  ///< the dirty-granule masks, zero while pooled
};

void unmap(const Mapping& m) {
  unmap(m.grains, POOLED_GRAINS_BYTES);
  unmap(m.pages, POOLED_PAGES_BYTES);
  unmap(m.mem, POOLED_MEM_BYTES);
}

/// Zeroed host mappings waiting for the next small machine on this thread.
struct Pool {
  std::vector<Mapping> ready;

  Pool() { ready.reserve(POOL_CAPACITY); }
  ~Pool() { drain(); }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Mapping take() {
    if (!ready.empty()) {
      const Mapping m = ready.back();
      ready.pop_back();
      return m;
    }
    Mapping m{static_cast<std::byte*>(reserve(POOLED_MEM_BYTES)), nullptr, nullptr};
    try {
      m.pages = static_cast<Page*>(reserve(POOLED_PAGES_BYTES));
      m.grains = static_cast<std::uint64_t*>(reserve(POOLED_GRAINS_BYTES));
    } catch (...) {
      if (m.pages) unmap(m.pages, POOLED_PAGES_BYTES);
      unmap(m.mem, POOLED_MEM_BYTES);
      throw;
    }
    return m;
  }

  void drain() {
    for (const Mapping& m : ready) unmap(m);
    ready.clear();
  }

  void give_back(Mapping m) {
    if (ready.size() < POOL_CAPACITY) {
      ready.push_back(m);
      return;
    }
    unmap(m);
  }
};

Pool& pool() {
  thread_local Pool p;
  return p;
}

bool all_zero(const std::byte* p, std::size_t n) {
  const std::byte* end = p + n;
  for (; p != end; ++p)
    if (*p != std::byte{0}) return false;
  return true;
}

}  // namespace

const char* page_owner_name(PageOwner o) {
  switch (o) {
    case PageOwner::none: return "nobody";
    case PageOwner::pages: return "the page allocator's caller";
    case PageOwner::slab: return "a slab";
    case PageOwner::vmalloc: return "a vmalloc area";
    case PageOwner::pagetable: return "a page table";
    case PageOwner::large_kmalloc: return "a large kmalloc";
  }
  return "?";
}

PhysMem::PhysMem(std::uint64_t bytes) : bytes_(bytes & PAGE_MASK) {
  if (bytes_ <= POOLED_BYTES) {
    const Mapping m = pool().take();
    mem_ = m.mem;
    pages_ = m.pages;
    grains_ = m.grains;
    mem_map_bytes_ = POOLED_MEM_BYTES;
    pages_map_bytes_ = POOLED_PAGES_BYTES;
    pooled_ = true;
    dirty_.assign((nr_frames() + 63) / 64, 0);
    return;
  }
  dirty_.assign((nr_frames() + 63) / 64, 0);
  mem_map_bytes_ = bytes_;
  mem_ = static_cast<std::byte*>(reserve(mem_map_bytes_));
  pages_map_bytes_ = nr_frames() * sizeof(Page);
  try {
    pages_ = static_cast<Page*>(reserve(pages_map_bytes_));
  } catch (...) {
    unmap(mem_, mem_map_bytes_);
    throw;
  }
}

PhysMem::~PhysMem() {
  if (!pooled_) {
    unmap(pages_, pages_map_bytes_);
    unmap(mem_, mem_map_bytes_);
    return;
  }
  // Zero what this machine wrote: each dirty frame's runs of dirty granules,
  // runs that continue into the next frame merged into one memset (a slab's
  // poisoned frames are one call).
  std::uint64_t run_lo = 0, run_hi = 0;
  const auto flush = [&] {
    if (run_hi > run_lo) std::memset(mem_ + run_lo, 0, run_hi - run_lo);
  };
  for (std::size_t w = 0; w < dirty_.size(); ++w) {
    for (std::uint64_t frames = dirty_[w]; frames != 0; frames &= frames - 1) {
      const std::uint64_t f = w * 64 + static_cast<std::uint64_t>(std::countr_zero(frames));
      std::uint64_t m = grains_[f];
      grains_[f] = 0;
      while (m != 0) {
        const int g = std::countr_zero(m);
        const int n = std::countr_one(m >> g);
        const std::uint64_t lo = (f << PAGE_SHIFT) + static_cast<std::uint64_t>(g) * GRANULE;
        const std::uint64_t hi = lo + static_cast<std::uint64_t>(n) * GRANULE;
        if (lo != run_hi) {
          flush();
          run_lo = lo;
        }
        run_hi = hi;
        m &= ~granule_bits(static_cast<std::uint64_t>(g), static_cast<std::uint64_t>(g + n));
      }
    }
  }
  flush();
  std::memset(pages_, 0, nr_frames() * sizeof(Page));
  pool().give_back({mem_, pages_, grains_});
}

// A frame never written still reads zero (fresh anonymous memory): zeroing
// it would only make the host back it. So a 60 GiB vzalloc costs the host
// nothing for its data; only frames written before are cleared.
void PhysMem::zero(PhysAddr pa, std::uint64_t len) {
  if (len == 0) return;
  const std::uint64_t end = pa.value + len;
  std::uint64_t f = pa.value >> PAGE_SHIFT;
  const std::uint64_t last = (end - 1) >> PAGE_SHIFT;
  while (f <= last) {
    if (dirty_[f >> 6] == 0) {  // a clean word: 64 frames that read zero
      f = (f | 63) + 1;
      continue;
    }
    if ((dirty_[f >> 6] >> (f & 63) & 1) == 0) {
      ++f;
      continue;
    }
    // Within the frame, [lo, hi): clear its dirty granules there; those the
    // range covers whole are clean again.
    const std::uint64_t base = f << PAGE_SHIFT;
    const std::uint64_t lo = std::max(pa.value, base) - base;
    const std::uint64_t hi = std::min(end, base + PAGE_SIZE) - base;
    const std::uint64_t touched = granule_bits(lo / GRANULE, (hi - 1) / GRANULE + 1);
    if (!grains_) {  // whole frames: zero the range's part, the frame stays dirty
      std::memset(mem_ + base + lo, 0, hi - lo);
      ++f;
      continue;
    }
    std::uint64_t m = grains_[f] & touched;
    while (m != 0) {
      const int g = std::countr_zero(m);
      const int n = std::countr_one(m >> g);
      const std::uint64_t from = std::max(lo, static_cast<std::uint64_t>(g) * GRANULE);
      const std::uint64_t to = std::min(hi, static_cast<std::uint64_t>(g + n) * GRANULE);
      std::memset(mem_ + base + from, 0, to - from);
      m &= ~granule_bits(static_cast<std::uint64_t>(g), static_cast<std::uint64_t>(g + n));
    }
    const std::uint64_t whole_lo = (lo + GRANULE - 1) / GRANULE, whole_hi = hi / GRANULE;
    if (whole_hi > whole_lo) grains_[f] &= ~granule_bits(whole_lo, whole_hi);
    if (grains_[f] == 0) dirty_[f >> 6] &= ~(std::uint64_t{1} << (f & 63));
    ++f;
  }
}

void PhysMem::fill(PhysAddr pa, std::uint64_t len, std::byte value) {
  std::memset(writable(pa, len), static_cast<int>(value), len);
}

std::uint64_t PhysMem::resident_bytes() const {
  return resident(mem_, pooled_ ? bytes_ : mem_map_bytes_) +
         resident(pages_, pooled_ ? nr_frames() * sizeof(Page) : pages_map_bytes_);
}

bool PhysMem::pool_is_clean_for_testing() {
  for (const Mapping& m : pool().ready)
    if (!all_zero(m.mem, POOLED_MEM_BYTES) ||
        !all_zero(reinterpret_cast<const std::byte*>(m.pages), POOLED_PAGES_BYTES) ||
        !all_zero(reinterpret_cast<const std::byte*>(m.grains), POOLED_GRAINS_BYTES))
      return false;
  return true;
}

std::size_t PhysMem::pooled_mappings_for_testing() { return pool().ready.size(); }

void PhysMem::drain_pool() { pool().drain(); }

}  // namespace kmf
