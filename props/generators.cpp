// generators.cpp — seeds, the builder, and the RapidCheck generators.
#include "props/generators.h"

#include <algorithm>
#include <ostream>

#include "alloc/slab.h"
#include "check/kernel_checker.h"
#include "ops/kmf_text.h"

namespace kmf {

void showValue(const Program& program, std::ostream& os) {
  os << "\n# counterexample as a .kmf script (save it and run `kmemfuzz run FILE`):\n" << print_kmf(program);
}

namespace props {
namespace {

constexpr gfp_t GFPS[] = {GFP_KERNEL,           GFP_KERNEL,          GFP_ATOMIC,
                          GFP_KERNEL | GFP_DMA, GFP_HIGHUSER,        GFP_KERNEL | GFP_ZERO,
                          GFP_NOWAIT,           GFP_ATOMIC | GFP_DMA};
constexpr std::size_t NR_GFPS = sizeof GFPS / sizeof GFPS[0];

enum Kind : std::uint8_t {
  K_ALLOC_PAGES,
  K_GET_FREE_PAGES,
  K_FREE_PAGES,
  K_KMALLOC,
  K_KFREE,
  K_KREALLOC,
  K_CACHE_CREATE,
  K_CACHE_ALLOC,
  K_CACHE_FREE,
  K_CACHE_END,
  K_VMALLOC,
  K_VFREE,
  K_IOREMAP,
  K_IOUNMAP,
  K_WRITE_CHECK,
  K_FRAGMENT,
  K_MISUSE,
  K_ATOMIC,
  K_FAIL,
  K_SCRIBBLE,
  K_DMA_DRAIN,
  K_PRESSURE,
  K_CHURN,
  NR_KINDS
};

struct Builder {
  Program p;
  const Shape& shape;
  std::vector<Slot> pages, kmallocs, caches, objects, vmallocs, ioremaps, freed;
  bool atomic = false;
  unsigned drains = 0, pressures = 0, churns = 0;

  Builder(const MachineConfig& m, const Shape& s) : shape(s) { p.machine = m; }

  template <class V>
  static bool take(std::vector<V>& v, std::uint32_t pick, V& out) {
    if (v.empty()) return false;
    const std::size_t i = pick % v.size();
    out = v[i];
    v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
    return true;
  }

  void free_slot(Slot s) { freed.push_back(s); }

  void seed(const OpSeed& s) {
    const gfp_t gfp = GFPS[s.gfp % NR_GFPS];
    const std::uint64_t limit = p.machine.kmalloc == KmallocProfile::linux_2_6_18 ? 128 * KiB : 4 * MiB;
    Slot x = NO_SLOT;
    unsigned kind = s.kind % NR_KINDS;
    if (shape.heavy && s.variant % 2) kind = K_DMA_DRAIN + s.variant / 2 % 3;
    switch (kind) {
      case K_SCRIBBLE:
        if (shape.misuse) scribble(s);
        break;
      // Each is tens of ops: once per program (twice for churn) unless the
      // shape is heavy, which keeps the CI property budget.
      case K_DMA_DRAIN:
        if (shape.pressure && shape.pages && (shape.heavy || drains++ == 0)) dma_drain(s);
        break;
      case K_PRESSURE:
        if (shape.pressure && shape.pages && p.machine.mem_bytes <= 128 * MiB &&
            (shape.heavy || pressures++ == 0))
          pressure(s);
        break;
      case K_CHURN:
        if (shape.churn && shape.slab && (shape.heavy || churns++ < 2)) churn(s);
        break;
      case K_ALLOC_PAGES:
        if (shape.pages) pages.push_back(p.add(AllocPagesOp{NO_SLOT, s.order, gfp}));
        break;
      case K_GET_FREE_PAGES:
        if (shape.pages) pages.push_back(p.add(GetFreePagesOp{NO_SLOT, s.order, gfp}));
        break;
      case K_FREE_PAGES:
        if (take(pages, s.pick, x)) {
          p.add(FreePagesOp{x, std::nullopt});
          free_slot(x);
        }
        break;
      case K_KMALLOC:
        if (shape.slab) {
          const std::uint64_t size = s.variant % 5 == 0 ? limit + (s.size & 1) : s.size;
          kmallocs.push_back(p.add(KmallocOp{NO_SLOT, size, gfp & ~GFP_HIGHMEM, (s.variant & 2) != 0}));
        }
        break;
      case K_KFREE:
        if (take(kmallocs, s.pick, x)) {
          p.add(KfreeOp{x, 0});
          free_slot(x);
        } else if (s.variant % 4 == 0) {
          p.add(KfreeOp{NO_SLOT, 0});  // kfree(NULL) is a no-op
        }
        break;
      case K_KREALLOC:
        if (shape.slab && take(kmallocs, s.pick, x)) {
          kmallocs.push_back(p.add(KreallocOp{NO_SLOT, x, std::max<std::uint64_t>(s.size, 1), GFP_KERNEL}));
          // The source is consumed on success and kept on failure; the
          // executor knows which. For building, treat it as gone.
        }
        break;
      case K_CACHE_CREATE:
        if (shape.slab && caches.size() < 4) {
          const std::uint64_t size = std::clamp<std::uint64_t>(s.size % 4096, 8, 4096);
          const std::uint64_t align = std::uint64_t{8} << (s.variant % 4);
          const SlabFlags flags =
              (s.variant & 4 ? SLAB_HWCACHE_ALIGN : 0) | (s.variant & 8 ? SLAB_CACHE_DMA : 0);
          caches.push_back(
              p.add(CacheCreateOp{NO_SLOT, "cache" + std::to_string(p.nr_slots()), size, align, flags}));
        }
        break;
      case K_CACHE_ALLOC:
        if (!caches.empty())
          objects.push_back(p.add(CacheAllocOp{NO_SLOT, caches[s.pick % caches.size()], gfp & ~GFP_HIGHMEM}));
        break;
      case K_CACHE_FREE:
        if (take(objects, s.pick, x)) {
          p.add(CacheFreeOp{std::get<CacheAllocOp>(op_of(x)).cache, x, 0});
          free_slot(x);
        }
        break;
      case K_CACHE_END:
        if (!caches.empty()) {
          const Slot c = caches[s.pick % caches.size()];
          const bool has_objects = std::any_of(objects.begin(), objects.end(), [&](Slot o) {
            return std::get<CacheAllocOp>(op_of(o)).cache == c;
          });
          if (has_objects || s.variant % 2) {
            p.add(CacheShrinkOp{c});
          } else {
            p.add(CacheDestroyOp{c});
            caches.erase(std::find(caches.begin(), caches.end(), c));
            free_slot(c);
          }
        }
        break;
      case K_VMALLOC:
        if (shape.vmalloc)
          vmallocs.push_back(p.add(VmallocOp{NO_SLOT, 1 + s.size % (1 * MiB), (s.variant & 1) != 0}));
        break;
      case K_VFREE:
        if (take(vmallocs, s.pick, x)) {
          p.add(VfreeOp{x, 0});
          free_slot(x);
        }
        break;
      case K_IOREMAP:
        if (shape.vmalloc) {
          const std::uint64_t phys = s.variant & 1 ? 0xfebf0000ULL + (s.size % 64) * PAGE_SIZE + (s.pick % 64)
                                                   : (s.size % (p.machine.mem_bytes - PAGE_SIZE));
          ioremaps.push_back(p.add(IoremapOp{NO_SLOT, phys, 1 + s.pick % (64 * KiB)}));
        }
        break;
      case K_IOUNMAP:
        if (take(ioremaps, s.pick, x)) {
          p.add(IounmapOp{x});
          free_slot(x);
        }
        break;
      case K_WRITE_CHECK: {
        std::vector<Slot> all = kmallocs;
        all.insert(all.end(), objects.begin(), objects.end());
        all.insert(all.end(), vmallocs.begin(), vmallocs.end());
        if (all.empty()) break;
        const Slot t = all[s.pick % all.size()];
        const std::uint64_t size = requested_size(t);
        if (size == 0) break;
        const std::uint64_t off = s.size % size;
        const std::uint64_t len = 1 + (s.size >> 20) % (size - off);
        const auto byte = static_cast<std::uint8_t>(s.variant);
        p.add(MemOp{MemVerb::write, t, off, len, byte});
        p.add(MemOp{MemVerb::check, t, off, len, byte});
        break;
      }
      case K_FRAGMENT: {
        if (!shape.fragment || !shape.pages) break;
        // Fill with order-k blocks, then free every other one.
        const unsigned order = s.order % 4;
        const unsigned n = 4 + s.pick % 60;
        std::vector<Slot> got;
        for (unsigned i = 0; i < n; ++i) got.push_back(p.add(AllocPagesOp{NO_SLOT, order, GFP_KERNEL}));
        for (unsigned i = 0; i < n; ++i) {
          if (i % 2) {
            p.add(FreePagesOp{got[i], std::nullopt});
            free_slot(got[i]);
          } else {
            pages.push_back(got[i]);
          }
        }
        break;
      }
      case K_MISUSE:
        if (shape.misuse) misuse(s);
        break;
      case K_ATOMIC:
        if (shape.atomic) {
          atomic = !atomic;
          p.add(AtomicOp{atomic});
        }
        break;
      case K_FAIL:
        if (shape.faults) {
          if (s.variant % 4 == 0) {
            p.add(FAIL_OFF);
          } else {
            FailOp f{false,
                     s.variant % 2 ? FaultTarget::slab : FaultTarget::page_alloc,
                     static_cast<unsigned>(1 + s.pick % 100),
                     1u + s.order % 4u,
                     static_cast<std::int64_t>(s.size % 5) - 1,
                     0,
                     s.order % 2u,
                     (s.variant & 8) != 0,
                     (s.variant & 16) != 0,
                     {}};
            if (f.target == FaultTarget::slab && (s.variant & 32)) {
              // failslab's cache filter: a live cache by name, or a kmalloc class.
              if (!caches.empty() && (s.variant & 64)) {
                f.cache_filter = std::get<CacheCreateOp>(op_of(caches[s.pick % caches.size()])).name;
              } else {
                const auto classes = kmalloc_size_classes(p.machine.kmalloc);
                f.cache_filter =
                    kmalloc_cache_name(p.machine.kmalloc, classes[s.size % classes.size()], false);
              }
            }
            p.add(std::move(f));
          }
        }
        break;
      default: break;
    }
  }

  void misuse(const OpSeed& s) {
    Slot x = NO_SLOT;
    switch (s.variant % 6) {
      case 0:  // double free of something freed
        if (!freed.empty()) {
          x = freed[s.pick % freed.size()];
          std::visit(
              [&](const auto& op) {
                using T = std::decay_t<decltype(op)>;
                if constexpr (std::is_same_v<T, AllocPagesOp> || std::is_same_v<T, GetFreePagesOp>)
                  p.add(FreePagesOp{x, std::nullopt});
                else if constexpr (std::is_same_v<T, KmallocOp> || std::is_same_v<T, KreallocOp>)
                  p.add(KfreeOp{x, 0});
                else if constexpr (std::is_same_v<T, CacheAllocOp>)
                  p.add(CacheFreeOp{op.cache, x, 0});
                else if constexpr (std::is_same_v<T, VmallocOp>)
                  p.add(VfreeOp{x, 0});
              },
              op_of(x));
        }
        break;
      case 1:  // wrong order: larger, or smaller when there is one
        if (!pages.empty()) {
          x = pages[s.pick % pages.size()];
          const unsigned order = order_of(x);
          if (order > 0 && s.size % 2)
            p.add(FreePagesOp{x, static_cast<unsigned>(s.order % order)});
          else
            p.add(FreePagesOp{x, order + 1 + s.order % 2});
        }
        break;
      case 2:  // interior pointer
        if (!kmallocs.empty()) p.add(KfreeOp{kmallocs[s.pick % kmallocs.size()], 1 + s.size % 8});
        break;
      case 3:  // wrong API
        if (!vmallocs.empty())
          p.add(KfreeOp{vmallocs[s.pick % vmallocs.size()], 0});
        else if (!kmallocs.empty())
          p.add(VfreeOp{kmallocs[s.pick % kmallocs.size()], 0});
        break;
      case 4:  // wrong cache
        if (caches.size() >= 2 && !objects.empty()) {
          x = objects[s.pick % objects.size()];
          const Slot own = std::get<CacheAllocOp>(op_of(x)).cache;
          for (Slot c : caches)
            if (c != own) {
              p.add(CacheFreeOp{c, x, 0});
              break;
            }
        }
        break;
      case 5:  // destroy a cache that still has objects
        if (!objects.empty())
          p.add(CacheDestroyOp{std::get<CacheAllocOp>(op_of(objects[s.pick % objects.size()])).cache});
        break;
    }
  }

  /// A scribble at the slot's size class (kmalloc) or object size (cache
  /// objects): its slack before the class end, the red zone after it (its
  /// first bytes or its last, before twice the class), or a use-after-free
  /// write into a freed object.
  void scribble(const OpSeed& s) {
    std::vector<Slot> targets = kmallocs;
    targets.insert(targets.end(), objects.begin(), objects.end());
    const bool after_free = s.variant % 3 == 0;
    if (after_free)
      for (Slot f : freed)
        if (requested_size(f) > 0 && !is_cache(f)) targets.push_back(f);
    if (targets.empty()) return;
    const Slot t = targets[s.pick % targets.size()];
    const std::uint64_t size = requested_size(t);
    if (size == 0) return;
    std::uint64_t anchor = size;
    if (is_kmalloc(t)) {
      const std::uint64_t cls = kmalloc_size_class(p.machine.kmalloc, size);
      anchor = cls ? cls : size;
    }
    // Offsets anchor-8 .. anchor+23, or anywhere inside for a freed object.
    const std::uint64_t delta = s.size % 32;
    std::uint64_t off = anchor + delta >= 8 ? anchor + delta - 8 : 0;
    if (after_free && s.variant % 2) off = s.size % size;
    // The last bytes before twice the class: where a naturally aligned size
    // class's red zone ends (size-128 objects are 256 apart).
    if (!after_free && s.variant % 5 == 1) off = 2 * anchor - 1 - s.size % 4;
    p.add(MemOp{MemVerb::scribble, t, off, 1 + s.order % 8u, static_cast<std::uint8_t>(s.gfp | 1)});
  }

  /// GFP_DMA exhaustion: ZONE_DMA (16 MiB at most) drained with order-8 and
  /// order-3 blocks, then atomic order-0 requests dip into its reserve and a
  /// GFP_DMA kmalloc competes; half of it is freed again.
  void dma_drain(const OpSeed& s) {
    std::vector<Slot> got;
    const std::uint64_t dma = std::min<std::uint64_t>(p.machine.mem_bytes, 16 * MiB);
    const unsigned big = static_cast<unsigned>(dma / MiB) + 1;
    for (unsigned i = 0; i < big; ++i) got.push_back(p.add(AllocPagesOp{NO_SLOT, 8, GFP_KERNEL | GFP_DMA}));
    for (unsigned i = 0; i < 8 + s.pick % 32; ++i)
      got.push_back(p.add(AllocPagesOp{NO_SLOT, 3, GFP_KERNEL | GFP_DMA}));
    for (unsigned i = 0; i < 4 + s.pick % 16; ++i)
      got.push_back(p.add(AllocPagesOp{NO_SLOT, 0, GFP_ATOMIC | GFP_DMA}));
    if (shape.slab)
      kmallocs.push_back(p.add(KmallocOp{NO_SLOT, 1 + s.size % 4096, GFP_KERNEL | GFP_DMA, false}));
    for (std::size_t i = 0; i < got.size(); ++i) {
      if ((i + s.variant) % 2) {
        p.add(FreePagesOp{got[i], std::nullopt});
        free_slot(got[i]);
      } else {
        pages.push_back(got[i]);
      }
    }
  }

  /// Watermark-window pressure (machines up to 128 MiB): sleeping requests
  /// drain the normal zone until they fail at its min mark; the zone then
  /// sits between the atomic reserve and the low mark, where atomic
  /// requests must still succeed and sleeping ones must not; a few frees
  /// move it back and forth across the marks.
  void pressure(const OpSeed& s) {
    std::vector<Slot> got;
    const unsigned big = static_cast<unsigned>(p.machine.mem_bytes / (4 * MiB)) + 1;
    for (unsigned i = 0; i < big; ++i) got.push_back(p.add(AllocPagesOp{NO_SLOT, 10, GFP_KERNEL}));
    for (unsigned o : {6u, 3u, 0u})
      for (unsigned i = 0; i < 16; ++i) got.push_back(p.add(AllocPagesOp{NO_SLOT, o, GFP_KERNEL}));
    // Then atomic requests, enough to go through the whole reserve of a
    // small machine's zone (min is 64..256 pages up to 64 MiB): the high
    // and atomic reserves must hold at their exact depths.
    const unsigned atomic_n = 16 + s.pick % 112;
    for (unsigned i = 0; i < atomic_n; ++i)
      got.push_back(p.add(AllocPagesOp{NO_SLOT, i % 4 == 3 ? 1u : 0u, i % 3 ? GFP_ATOMIC : GFP_NOWAIT}));
    // Free a few of the smallest blocks and ask again with both kinds.
    for (unsigned i = 0; i < 2u + s.order % 6u && !got.empty(); ++i) {
      p.add(FreePagesOp{got.back(), std::nullopt});
      free_slot(got.back());
      got.pop_back();
      got.push_back(p.add(AllocPagesOp{NO_SLOT, 0, i % 2 ? GFP_KERNEL : GFP_ATOMIC}));
    }
    for (Slot g : got) pages.push_back(g);
  }

  /// Multi-slab churn: enough objects of one size for two or three slabs,
  /// freed in an interleaved order (so several slabs drain at once), then
  /// allocated again.
  void churn(const OpSeed& s) {
    const std::uint64_t size = 8 + s.size % 1024;
    const unsigned n =
        static_cast<unsigned>(std::min<std::uint64_t>(2 + 2 * (4096 / size) + s.pick % 8, 160));
    const bool cache = !caches.empty() && s.variant % 2;
    const Slot c = cache ? caches[s.pick % caches.size()] : NO_SLOT;
    std::vector<Slot> got;
    for (unsigned i = 0; i < n; ++i)
      got.push_back(cache ? p.add(CacheAllocOp{NO_SLOT, c, GFP_KERNEL})
                          : p.add(KmallocOp{NO_SLOT, size, GFP_KERNEL, false}));
    auto release = [&](Slot x) {
      if (cache)
        p.add(CacheFreeOp{c, x, 0});
      else
        p.add(KfreeOp{x, 0});
      free_slot(x);
    };
    const unsigned stride = 2 + s.order % 3;
    std::vector<bool> gone(n, false);
    for (unsigned phase = 0; phase < stride; ++phase)
      for (unsigned i = phase; i < n; i += stride)
        if ((i + s.variant) % 5 != 0) {
          release(got[i]);
          gone[i] = true;
        }
    for (unsigned i = 0; i < n; ++i)
      if (!gone[i]) (cache ? objects : kmallocs).push_back(got[i]);
    for (unsigned i = 0; i < n / 2; ++i)
      (cache ? objects : kmallocs)
          .push_back(cache ? p.add(CacheAllocOp{NO_SLOT, c, GFP_KERNEL})
                           : p.add(KmallocOp{NO_SLOT, size, GFP_KERNEL, false}));
  }

  bool is_kmalloc(Slot s) const {
    return std::holds_alternative<KmallocOp>(op_of(s)) || std::holds_alternative<KreallocOp>(op_of(s));
  }
  bool is_cache(Slot s) const { return std::holds_alternative<CacheCreateOp>(op_of(s)); }

  const Op& op_of(Slot s) const {
    for (const Op& op : p.ops)
      if (op_dst(op) == s) return op;
    return p.ops.front();
  }
  unsigned order_of(Slot s) const {
    return std::visit(
        [](const auto& op) -> unsigned {
          if constexpr (requires { op.order; }) {
            if constexpr (std::is_same_v<std::decay_t<decltype(op.order)>, unsigned>) return op.order;
          }
          return 0;
        },
        op_of(s));
  }
  std::uint64_t requested_size(Slot s) const {
    return std::visit(
        [&](const auto& op) -> std::uint64_t {
          using T = std::decay_t<decltype(op)>;
          if constexpr (std::is_same_v<T, KmallocOp> || std::is_same_v<T, KreallocOp> ||
                        std::is_same_v<T, VmallocOp>)
            return op.size;
          else if constexpr (std::is_same_v<T, CacheAllocOp>)
            return std::get<CacheCreateOp>(op_of(op.cache)).size;
          return 0;
        },
        op_of(s));
  }
};

}  // namespace

Program build_program(const MachineConfig& machine, const std::vector<OpSeed>& seeds, const Shape& shape) {
  Builder b(machine, shape);
  for (const OpSeed& s : seeds) b.seed(s);
  return std::move(b.p);
}

rc::Gen<unsigned> gen_order() {
  return rc::gen::weightedOneOf<unsigned>({
      {6, rc::gen::inRange<unsigned>(0, 4)},
      {2, rc::gen::element<unsigned>(0, 10, 11)},
      {2, rc::gen::inRange<unsigned>(0, 12)},
  });
}

rc::Gen<std::uint64_t> gen_size() {
  return rc::gen::weightedOneOf<std::uint64_t>({
      {4, rc::gen::inRange<std::uint64_t>(1, 513)},
      {5, rc::gen::apply(
              [](unsigned k, int d) {
                return static_cast<std::uint64_t>(std::max<std::int64_t>(1, (std::int64_t{1} << k) + d));
              },
              rc::gen::inRange<unsigned>(0, 18), rc::gen::inRange(-1, 2))},
      {1, rc::gen::element<std::uint64_t>(131072, 131073, 4 * MiB, 4 * MiB + 1)},
  });
}

rc::Gen<gfp_t> gen_gfp() { return rc::gen::elementOf(std::vector<gfp_t>(std::begin(GFPS), std::end(GFPS))); }

rc::Gen<MachineConfig> gen_machine(std::uint64_t min_mib, std::uint64_t max_mib) {
  return rc::gen::apply(
      [](std::uint64_t mib, bool x64, bool modern, std::uint64_t seed) {
        MachineConfig m;
        m.mem_bytes = mib * MiB;
        m.profile = x64 ? Profile::x86_64 : Profile::i386;
        m.kmalloc = modern ? KmallocProfile::modern : KmallocProfile::linux_2_6_18;
        m.seed = seed;
        return m;
      },
      rc::gen::inRange<std::uint64_t>(min_mib, max_mib + 1), rc::gen::arbitrary<bool>(),
      rc::gen::arbitrary<bool>(), rc::gen::inRange<std::uint64_t>(0, 1000));
}

rc::Gen<MachineConfig> gen_machine_wide() {
  const auto sized = [](Profile profile, rc::Gen<std::uint64_t> mib) {
    return rc::gen::apply(
        [profile](std::uint64_t m, bool modern, std::uint64_t seed) {
          MachineConfig c;
          c.mem_bytes = m * MiB;
          c.profile = profile;
          c.kmalloc = modern ? KmallocProfile::modern : KmallocProfile::linux_2_6_18;
          c.seed = seed;
          return c;
        },
        std::move(mib), rc::gen::arbitrary<bool>(), rc::gen::inRange<std::uint64_t>(0, 1000));
  };
  return rc::gen::weightedOneOf<MachineConfig>({
      {6, gen_machine(1, 64)},
      {1, sized(Profile::i386, rc::gen::weightedOneOf<std::uint64_t>(
                                   {{1, rc::gen::element<std::uint64_t>(880, 895, 896, 897, 1024, 1536)},
                                    {1, rc::gen::inRange<std::uint64_t>(896, 1601)}}))},
      {1, sized(Profile::x86_64,
                rc::gen::weightedOneOf<std::uint64_t>({{1, rc::gen::element<std::uint64_t>(4095, 4096, 4097)},
                                                       {1, rc::gen::inRange<std::uint64_t>(2048, 6145)}}))},
  });
}

rc::Gen<Program> gen_program(const Shape& shape, std::uint64_t min_mib, std::uint64_t max_mib) {
  const auto seed = rc::gen::apply(
      [](std::uint8_t kind, std::uint8_t variant, std::uint32_t pick, std::uint64_t size, unsigned order,
         std::uint8_t gfp) {
        return OpSeed{kind, variant, pick, size, static_cast<std::uint8_t>(order), gfp};
      },
      rc::gen::inRange<std::uint8_t>(0, NR_KINDS), rc::gen::arbitrary<std::uint8_t>(),
      rc::gen::arbitrary<std::uint32_t>(), gen_size(), gen_order(), rc::gen::arbitrary<std::uint8_t>());
  return rc::gen::apply(
      [shape](const MachineConfig& m, const std::vector<OpSeed>& seeds) {
        return build_program(m, seeds, shape);
      },
      max_mib == 0 ? gen_machine_wide() : gen_machine(std::max<std::uint64_t>(min_mib, 1), max_mib),
      rc::gen::container<std::vector<OpSeed>>(seed));
}

}  // namespace props
}  // namespace kmf
