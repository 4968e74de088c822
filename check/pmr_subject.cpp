// pmr_subject.cpp — the counting upstream and the pool adapter.
#include "check/pmr_subject.h"

#include <new>

namespace kmf {

void* CountingResource::do_allocate(std::size_t bytes, std::size_t align) {
  void* p = ::operator new (bytes, std::align_val_t{align});
  outstanding_ += bytes;
  return p;
}

void CountingResource::do_deallocate(void* p, std::size_t bytes, std::size_t align) {
  ::operator delete (p, std::align_val_t{align});
  outstanding_ -= bytes;
}

void* PmrPoolSubject::allocate(std::size_t size, std::size_t align) {
  try {
    return pool_->allocate(size, align);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

}  // namespace kmf
