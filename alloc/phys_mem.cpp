// phys_mem.cpp — mmap-backed RAM and frame metadata.
#include "alloc/phys_mem.h"

#include <sys/mman.h>
#include <unistd.h>

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
  mem_ = static_cast<std::byte*>(reserve(bytes_));
  pages_map_bytes_ = nr_frames() * sizeof(Page);
  try {
    pages_ = static_cast<Page*>(reserve(pages_map_bytes_));
  } catch (...) {
    ::munmap(mem_, bytes_);
    throw;
  }
}

PhysMem::~PhysMem() {
  ::munmap(pages_, pages_map_bytes_);
  ::munmap(mem_, bytes_);
}

void PhysMem::zero(PhysAddr pa, std::uint64_t len) { std::memset(mem_ + pa.value, 0, len); }

void PhysMem::fill(PhysAddr pa, std::uint64_t len, std::byte value) {
  std::memset(mem_ + pa.value, static_cast<int>(value), len);
}

std::uint64_t PhysMem::resident_bytes() const {
  return resident(mem_, bytes_) + resident(pages_, pages_map_bytes_);
}

}  // namespace kmf
