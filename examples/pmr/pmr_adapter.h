// pmr_adapter.h — example 3: any Boost.Container pmr memory resource as a
// kmemfuzz object subject. An allocator nobody here wrote, held to the
// generic invariants: NO-OVERLAP, ALIGNMENT, INTEGRITY, NO-LEAK and, for
// hostile requests, CONTRACT.
//
// The resource draws from a counting upstream, so after the last block is
// freed and the resource is destroyed, the executor can ask whether every
// byte went back (NO-LEAK).
//
// A finding kept from check/tests/object_checker_test.cpp: Boost 1.74's pool
// resources pool by size only and ignore alignments above
// alignof(std::max_align_t). So this adapter does not declare CAP_ALIGN;
// declare it and the fuzz target reports ALIGNMENT within a few inputs.
//
// Hostile requests (CAP_CONTRACT): sizes above PTRDIFF_MAX reach the
// upstream, whose operator new throws bad_alloc (nullptr here), and size 0
// is asked too. They found a bug in this adapter's first upstream: it
// counted the bytes before operator new threw, so one refused request left
// 2^63 bytes "outstanding" (NO-LEAK on a leak that never was).
#pragma once

#include <boost/container/pmr/memory_resource.hpp>
#include <boost/container/pmr/synchronized_pool_resource.hpp>
#include <boost/container/pmr/unsynchronized_pool_resource.hpp>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>

#include "check/subjects/object_subject.h"

namespace example {

/// new/delete, counting the bytes that are out.
class CountingUpstream : public boost::container::pmr::memory_resource {
 public:
  std::size_t outstanding() const { return outstanding_; }

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    void* p = ::operator new (bytes, std::align_val_t{align});
    outstanding_ += bytes;  // after: a request that throws took nothing
    return p;
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    outstanding_ -= bytes;
    ::operator delete (p, std::align_val_t{align});
  }
  bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }
  std::size_t outstanding_ = 0;
};

/// `Resource` is any pmr resource constructible from an upstream pointer.
template <class Resource>
class PmrAdapter : public kmf::ObjectSubject {
 public:
  PmrAdapter() { resource_.emplace(&upstream_); }
  std::string_view name() const override { return "Boost.Container pmr resource"; }
  // deallocate() is told the size, as pmr requires; the contract is what
  // operator new promises: nothing above PTRDIFF_MAX (the default contract
  // leaves size 0 free to be null or a block, and asks no odd alignment).
  kmf::Caps capabilities() const override { return kmf::CAP_SIZED_FREE | kmf::CAP_CONTRACT; }
  kmf::Contract contract() const override {
    kmf::Contract c;
    c.max_block = ~std::uint64_t{0} >> 1;
    return c;
  }

  void* allocate(std::size_t size, std::size_t align) override {
    try {
      return resource_->allocate(size, align);
    } catch (const std::bad_alloc&) {
      return nullptr;  // kmemfuzz expects failure as nullptr
    }
  }
  void deallocate(void* p, std::size_t size, std::size_t align) override {
    resource_->deallocate(p, size, align);
  }

  // Teardown: pool resources keep their bookkeeping until they die, so the
  // final release destroys the resource; then every byte must be back.
  void release() override { resource_.reset(); }
  std::optional<std::size_t> outstanding() const override { return upstream_.outstanding(); }

 private:
  CountingUpstream upstream_;
  std::optional<Resource> resource_;
};

using UnsynchronizedPool = PmrAdapter<boost::container::pmr::unsynchronized_pool_resource>;
using SynchronizedPool = PmrAdapter<boost::container::pmr::synchronized_pool_resource>;

}  // namespace example
