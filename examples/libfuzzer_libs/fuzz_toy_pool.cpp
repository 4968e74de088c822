// fuzz_toy_pool.cpp — toy::Pool (a separate library) as an object subject.
#include <memory>

#include "check/subjects/object_subject.h"
#include "front/fuzz_target.h"
#include "toy_pool.h"

class ToyPoolSubject : public kmf::ObjectSubject {
 public:
  std::string_view name() const override { return "toy::Pool"; }
  kmf::Caps capabilities() const override { return kmf::CAP_USABLE_SIZE; }
  void* allocate(std::size_t size, std::size_t) override { return pool_->alloc(size); }
  void deallocate(void* p, std::size_t, std::size_t) override { pool_->free(p); }
  std::size_t usable_size(const void* p) const override { return pool_->usable_size(p); }

 private:
  std::unique_ptr<toy::Pool> pool_ = std::make_unique<toy::Pool>();
};

KMF_FUZZ_TARGET(ToyPoolSubject)
