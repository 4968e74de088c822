// kernel_model_props.cpp — a model-based test (rc::state) of the whole
// Kernel: page, kmalloc and vmalloc commands interleaved. The model knows
// what is live and predicts each command's outcome: success or NULL
// (order > 10, kmalloc above the profile limit), the kmalloc size class, and
// the pages vmalloc holds. Totals stay far below the machine's memory, so
// "memory allows" always holds and a NULL below the limits is a failure.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <ostream>
#include <vector>

#include "alloc/kernel.h"
#include "alloc/vmalloc.h"
#include "props/generators.h"

namespace kmf::props {
namespace {

constexpr std::uint64_t BUDGET = 24 * MiB;  // live bytes at most, on a 160 MiB machine

struct Model {
  KmallocProfile profile = KmallocProfile::linux_2_6_18;
  std::vector<std::uint64_t> kmallocs;  // requested sizes
  std::vector<std::uint64_t> vmallocs;  // pages
  std::vector<unsigned> pages;          // orders
  std::uint64_t bytes = 0;
  std::uint64_t limit() const { return profile == KmallocProfile::linux_2_6_18 ? 128 * KiB : 4 * MiB; }
  /// The size class, from the kernel's kmalloc tables (README: slab layer).
  std::uint64_t size_class(std::uint64_t n) const {
    const std::vector<std::uint64_t> small = profile == KmallocProfile::linux_2_6_18
                                                 ? std::vector<std::uint64_t>{32, 64, 128, 192}
                                                 : std::vector<std::uint64_t>{8, 16, 32, 64, 96, 128, 192};
    for (std::uint64_t c : small)
      if (n <= c) return c;
    std::uint64_t c = 256;
    while (c < n) c <<= 1;
    return c;
  }
};

struct Sut {
  explicit Sut(const MachineConfig& m) : k(m), boot(k.buddy().free_blocks()) {}
  Kernel k;
  std::vector<std::pair<std::uint64_t, unsigned>> boot;
  std::vector<VirtAddr> kmallocs, vmallocs;
  std::vector<std::pair<Pfn, unsigned>> pages;
};

using Cmd = rc::state::Command<Model, Sut>;

struct Kmalloc : Cmd {
  std::uint64_t size = *gen_size();
  void checkPreconditions(const Model& m) const override {
    RC_PRE(m.bytes + size <= BUDGET || size > m.limit());
  }
  void apply(Model& m) const override {
    if (size <= m.limit()) {
      m.kmallocs.push_back(size);
      m.bytes += size;
    }
  }
  void run(const Model& m, Sut& s) const override {
    const VirtAddr p = s.k.kmalloc(size, GFP_KERNEL);
    RC_ASSERT(s.k.reports().empty());
    if (size > m.limit()) {
      RC_ASSERT(!p);
      return;
    }
    RC_ASSERT(static_cast<bool>(p));
    RC_ASSERT(s.k.ksize(p) == m.size_class(size));
    s.kmallocs.push_back(p);
  }
  void show(std::ostream& os) const override { os << "kmalloc " << size; }
};

struct Kfree : Cmd {
  std::size_t pick = *rc::gen::arbitrary<std::size_t>();
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.kmallocs.empty()); }
  void apply(Model& m) const override {
    const std::size_t i = pick % m.kmallocs.size();
    m.bytes -= m.kmallocs[i];
    m.kmallocs.erase(m.kmallocs.begin() + static_cast<std::ptrdiff_t>(i));
  }
  void run(const Model& m, Sut& s) const override {
    const std::size_t i = pick % m.kmallocs.size();
    s.k.kfree(s.kmallocs[i]);
    s.kmallocs.erase(s.kmallocs.begin() + static_cast<std::ptrdiff_t>(i));
    RC_ASSERT(s.k.reports().empty());
  }
  void show(std::ostream& os) const override { os << "kfree #" << pick; }
};

struct Vmalloc : Cmd {
  std::uint64_t pages = *rc::gen::inRange<std::uint64_t>(1, 65);
  void checkPreconditions(const Model& m) const override { RC_PRE(m.bytes + pages * PAGE_SIZE <= BUDGET); }
  void apply(Model& m) const override {
    m.vmallocs.push_back(pages);
    m.bytes += pages * PAGE_SIZE;
  }
  void run(const Model& m, Sut& s) const override {
    const VirtAddr v = s.k.vmalloc(pages * PAGE_SIZE);
    RC_ASSERT(static_cast<bool>(v));
    s.vmallocs.push_back(v);
    std::uint64_t want = pages;
    for (std::uint64_t n : m.vmallocs) want += n;
    RC_ASSERT(s.k.vmap().used_pages() == want);
  }
  void show(std::ostream& os) const override { os << "vmalloc " << pages << " pages"; }
};

struct Vfree : Cmd {
  std::size_t pick = *rc::gen::arbitrary<std::size_t>();
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.vmallocs.empty()); }
  void apply(Model& m) const override {
    const std::size_t i = pick % m.vmallocs.size();
    m.bytes -= m.vmallocs[i] * PAGE_SIZE;
    m.vmallocs.erase(m.vmallocs.begin() + static_cast<std::ptrdiff_t>(i));
  }
  void run(const Model& m, Sut& s) const override {
    const std::size_t i = pick % m.vmallocs.size();
    s.k.vfree(s.vmallocs[i]);
    s.vmallocs.erase(s.vmallocs.begin() + static_cast<std::ptrdiff_t>(i));
    RC_ASSERT(s.k.reports().empty());
  }
  void show(std::ostream& os) const override { os << "vfree #" << pick; }
};

struct AllocPages : Cmd {
  unsigned order = *gen_order();
  void checkPreconditions(const Model& m) const override {
    RC_PRE(order > MAX_PAGE_ORDER || m.bytes + (PAGE_SIZE << order) <= BUDGET);
  }
  void apply(Model& m) const override {
    if (order > MAX_PAGE_ORDER) return;
    m.pages.push_back(order);
    m.bytes += PAGE_SIZE << order;
  }
  void run(const Model&, Sut& s) const override {
    const Pfn p = s.k.alloc_pages(GFP_KERNEL, order);
    RC_ASSERT(static_cast<bool>(p) == (order <= MAX_PAGE_ORDER));
    if (p) {
      RC_ASSERT(p.value % (std::uint64_t{1} << order) == 0);
      s.pages.emplace_back(p, order);
    }
  }
  void show(std::ostream& os) const override { os << "alloc_pages order=" << order; }
};

struct FreePages : Cmd {
  std::size_t pick = *rc::gen::arbitrary<std::size_t>();
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.pages.empty()); }
  void apply(Model& m) const override {
    const std::size_t i = pick % m.pages.size();
    m.bytes -= PAGE_SIZE << m.pages[i];
    m.pages.erase(m.pages.begin() + static_cast<std::ptrdiff_t>(i));
  }
  void run(const Model& m, Sut& s) const override {
    const std::size_t i = pick % m.pages.size();
    RC_ASSERT(s.pages[i].second == m.pages[i]);
    s.k.free_pages(s.pages[i].first, m.pages[i]);
    s.pages.erase(s.pages.begin() + static_cast<std::ptrdiff_t>(i));
    RC_ASSERT(s.k.reports().empty());
  }
  void show(std::ostream& os) const override { os << "free_pages #" << pick; }
};

RC_GTEST_PROP(KernelModel, the_model_predicts_every_outcome_and_freeing_all_restores_boot, ()) {
  const bool modern = *rc::gen::arbitrary<bool>();
  MachineConfig cfg;
  cfg.kmalloc = modern ? KmallocProfile::modern : KmallocProfile::linux_2_6_18;
  cfg.profile = *rc::gen::arbitrary<bool>() ? Profile::x86_64 : Profile::i386;
  Model model;
  model.profile = cfg.kmalloc;
  Sut sut(cfg);
  rc::state::check(
      model, sut, rc::state::gen::execOneOfWithArgs<Kmalloc, Kfree, Vmalloc, Vfree, AllocPages, FreePages>());
  // Whatever ran, freeing everything restores the boot free lists.
  for (VirtAddr p : sut.kmallocs) sut.k.kfree(p);
  for (VirtAddr v : sut.vmallocs) sut.k.vfree(v);
  for (auto [p, order] : sut.pages) sut.k.free_pages(p, order);
  sut.k.drop_slab();
  RC_ASSERT(sut.k.reports().empty());
  RC_ASSERT(sut.k.buddy().free_blocks() == sut.boot);
  RC_ASSERT(sut.k.vmap().nr_areas() == 0u);
}

}  // namespace
}  // namespace kmf::props
