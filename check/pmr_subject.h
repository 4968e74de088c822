// pmr_subject.h — Boost.Container's unsynchronized_pool_resource as an
// ObjectSubject: a real allocator no one here wrote, held to the generic
// invariants. Its upstream counts bytes so NO-LEAK can be judged.
#pragma once

#include <boost/container/pmr/memory_resource.hpp>
#include <boost/container/pmr/unsynchronized_pool_resource.hpp>
#include <cstddef>
#include <optional>

#include "check/subject.h"

namespace kmf {

/// An upstream resource that forwards to new/delete and counts what is out.
class CountingResource : public boost::container::pmr::memory_resource {
 public:
  std::size_t outstanding() const { return outstanding_; }

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override;
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override;
  bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }
  std::size_t outstanding_ = 0;
};

class PmrPoolSubject : public ObjectSubject {
 public:
  PmrPoolSubject() { pool_.emplace(&upstream_); }
  std::string_view name() const override { return "boost::container::pmr::unsynchronized_pool_resource"; }
  void* allocate(std::size_t size, std::size_t align) override;
  void deallocate(void* p, std::size_t size, std::size_t align) override {
    pool_->deallocate(p, size, align);
  }
  /// pmr `release()` keeps the pool's own descriptor array until the resource
  /// dies, so the final release destroys the resource: then every byte taken
  /// from upstream must be back.
  void release() override { pool_.reset(); }
  std::optional<std::size_t> outstanding() const override { return upstream_.outstanding(); }

 private:
  CountingResource upstream_;
  std::optional<boost::container::pmr::unsynchronized_pool_resource> pool_;
};

}  // namespace kmf
