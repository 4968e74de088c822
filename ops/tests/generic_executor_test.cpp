// generic_executor_test.cpp — every generic oracle can fire: a tampered
// adapter breaks one promise and the executor names exactly that id; the
// correct adapters (the examples, kmf::Kernel's pages and vmalloc, the pmr
// pool) pass the same programs.
#include "ops/generic_executor.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "alloc/fault.h"
#include "check/pmr_subject.h"
#include "check/subjects/kernel_kmalloc_subject.h"
#include "check/subjects/kernel_subjects.h"
#include "examples/buddy/buddy_arena.h"
#include "examples/first_fit/first_fit.h"
#include "ops/generic_binary.h"
#include "ops/generic_text.h"

namespace kmf {
namespace {

GenericProgram parse(std::string_view text) {
  GenericParseResult r = parse_generic(text);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return std::move(r).program();
}

template <class S>
void expect_clean(S&& subject, std::string_view text) {
  const GenericResult r = execute_generic(subject, parse(text), {.trace = true});
  EXPECT_TRUE(r.ok()) << format_violation(*r.violation);
}

template <class S>
Violation expect_fires(S&& subject, std::string_view text, Inv id) {
  const GenericResult r = execute_generic(subject, parse(text), {.trace = true});
  EXPECT_FALSE(r.ok()) << "expected " << invariant_name(id) << " to fire";
  if (r.ok()) return {};
  EXPECT_EQ(invariant_name(r.violation->id), invariant_name(id)) << format_violation(*r.violation);
  return *r.violation;
}

/// The first-fit example with one promise broken on purpose.
class Tampered : public example::FirstFitSubject {
 public:
  enum class Bug {
    none,
    past_end,
    misalign,
    spurious_null,
    overlap,
    short_walk,
    empty_lies,
    small_usable,
    metadata
  };
  explicit Tampered(Bug bug) : bug_(bug) {}
  Caps capabilities() const override {
    return FirstFitSubject::capabilities() | (bug_ == Bug::metadata ? Caps{CAP_METADATA} : Caps{0});
  }
  bool init(void* base, std::size_t size, std::size_t align) override {
    base_ = static_cast<std::byte*>(base);
    size_ = size;
    return FirstFitSubject::init(base, size, align);
  }
  void* alloc(std::size_t size, std::size_t align) override {
    ++calls_;
    void* p = FirstFitSubject::alloc(size, align);
    if (calls_ != 3 || !p) return p;
    switch (bug_) {
      case Bug::past_end: return base_ + size_ - 16;
      case Bug::misalign: return static_cast<std::byte*>(p) + 8;
      case Bug::spurious_null: FirstFitSubject::free(p); return nullptr;
      case Bug::overlap: return base_ + 16;  // the first block's payload
      default: return p;
    }
  }
  void walk(const BlockVisitor& visit) const override {
    bool first = true;
    FirstFitSubject::walk([&](const void* p, std::size_t n) {
      if (bug_ != Bug::short_walk || !std::exchange(first, false)) visit(p, n);
    });
  }
  bool is_empty() const override {
    return FirstFitSubject::is_empty() != (bug_ == Bug::empty_lies && calls_ == 2);
  }
  std::size_t usable_size(const void* p) const override {
    return FirstFitSubject::usable_size(p) - (bug_ == Bug::small_usable && calls_ == 3 ? 15 : 0);
  }
  void metadata(const BlockVisitor& visit) const override { visit(base_ + 32, 16); }  // claims bytes b0 holds

 private:
  Bug bug_;
  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
  int calls_ = 0;
};

constexpr std::string_view THREE =
    "arena_init size=1K align=16\nb0 = alloc 40\nb1 = alloc 40\nb2 = alloc 40\nwalk\n";

TEST(GenericArena, the_untampered_adapter_passes) { expect_clean(Tampered(Tampered::Bug::none), THREE); }

TEST(GenericArena, in_bounds_fires_for_a_block_past_the_arena_end) {
  const Violation v = expect_fires(Tampered(Tampered::Bug::past_end), THREE, Inv::IN_BOUNDS);
  EXPECT_EQ(v.op_index, 2u);
  EXPECT_NE(v.explanation.find("is not inside the arena [base+0x0, base+0x400)"), std::string::npos)
      << v.explanation;
}

TEST(GenericArena, in_bounds_fires_for_a_block_over_the_allocators_metadata) {
  expect_fires(Tampered(Tampered::Bug::metadata), THREE, Inv::IN_BOUNDS);
}

TEST(GenericArena, alignment_fires_for_a_block_off_the_arenas_alignment) {
  expect_fires(Tampered(Tampered::Bug::misalign), THREE, Inv::ALIGNMENT);
}

TEST(GenericArena, no_spurious_failure_fires_when_a_fitting_request_fails) {
  const Violation v = expect_fires(Tampered(Tampered::Bug::spurious_null), THREE, Inv::NO_SPURIOUS_FAILURE);
  EXPECT_NE(v.explanation.find("first_fit(header=16, granule=16, slack=0)"), std::string::npos);
}

TEST(GenericArena, no_overlap_fires_for_a_block_handed_out_twice) {
  expect_fires(Tampered(Tampered::Bug::overlap), THREE, Inv::NO_OVERLAP);
}

TEST(GenericArena, walk_fires_when_a_live_block_is_missing) {
  const Violation v = expect_fires(Tampered(Tampered::Bug::short_walk), THREE, Inv::WALK);
  EXPECT_NE(v.explanation.find("did not report live block b0"), std::string::npos) << v.explanation;
}

TEST(GenericArena, empty_fires_when_is_empty_disagrees_with_the_ledger) {
  expect_fires(Tampered(Tampered::Bug::empty_lies), THREE, Inv::EMPTY);
}

TEST(GenericArena, usable_size_fires_below_the_request) {
  expect_fires(Tampered(Tampered::Bug::small_usable), THREE, Inv::USABLE_SIZE);
}

TEST(GenericArena, integrity_fires_when_a_live_block_changes) {
  // The allocator writes into b0 while it is live (a neighbour's header
  // written one block too early looks like this).
  class Scribbler : public example::FirstFitSubject {
    void* alloc(std::size_t size, std::size_t align) override {
      void* p = FirstFitSubject::alloc(size, align);
      if (++calls_ == 1) first_ = static_cast<unsigned char*>(p);
      if (calls_ == 2) *first_ ^= 1;
      return p;
    }
    unsigned char* first_ = nullptr;
    int calls_ = 0;
  };
  expect_fires(Scribbler{}, "arena_init size=1K align=16\nb0 = alloc 40\nb1 = alloc 40\nfree b0\n",
               Inv::INTEGRITY);
}

TEST(GenericArena, realloc_keeps_the_common_prefix_or_integrity_fires) {
  class ForgetfulRealloc : public example::FirstFitSubject {
    void* realloc(void* p, std::size_t size) override {
      void* q = FirstFitSubject::alloc(size, 0);
      if (q) FirstFitSubject::free(p);
      return q;  // nothing copied
    }
  };
  const std::string_view prog =
      "arena_init size=1K align=16\nb0 = alloc 40\nb1 = alloc 8\nb2 = realloc b0 100\n";
  expect_clean(example::FirstFitSubject{}, prog);
  expect_fires(ForgetfulRealloc{}, prog, Inv::INTEGRITY);
}

TEST(GenericArena, a_reservation_must_be_honoured_and_never_handed_out) {
  const std::string_view prog =
      "arena_init size=1K align=16\nreserve 0x100 64\nb0 = alloc 200\nb1 = alloc 400\nwalk\n";
  expect_clean(example::FirstFitSubject{}, prog);
  class IgnoresReservations : public example::FirstFitSubject {
    bool reserve(void*, std::size_t) override { return true; }
    bool is_empty() const override { return false; }  // the reservation is never freed
  };
  expect_fires(IgnoresReservations{}, prog, Inv::NO_OVERLAP);
  class RefusesReservations : public example::FirstFitSubject {
    bool reserve(void*, std::size_t) override { return false; }
  };
  expect_fires(RefusesReservations{}, prog, Inv::NO_SPURIOUS_FAILURE);
}

// ---- resize, can_shrink, stale frees: the buddy example ------------------------------------

constexpr std::string_view STRAND =
    "arena_init size=4K align=64\nb0 = alloc 64\nb1 = alloc 1K\nb2 = alloc 2K\nfree b1\nresize 2K\n";

TEST(GenericArena, resize_fires_when_a_shrink_strands_a_live_block) {
  expect_clean(example::BuddyArenaSubject{}, STRAND);
  const Violation v = expect_fires(example::BuddyArenaSubject{true}, STRAND, Inv::RESIZE);
  EXPECT_NE(v.explanation.find("live block b2 [base+0x800, +2048) lies beyond the new end base+0x800"),
            std::string::npos)
      << v.explanation;
}

TEST(GenericArena, resize_fires_when_a_possible_shrink_or_any_grow_is_refused) {
  class Stubborn : public example::BuddyArenaSubject {
    bool resize(std::size_t) override { return false; }
    bool can_shrink(std::size_t) const override { return false; }
  };
  expect_fires(Stubborn{}, "arena_init size=4K align=64\nb0 = alloc 64\nresize 1K\n", Inv::RESIZE);
  expect_fires(Stubborn{}, "arena_init size=4K align=64\nresize 8K\n", Inv::RESIZE);
}

TEST(GenericArena, resize_fires_when_a_grow_moves_a_live_blocks_bytes) {
  class Shifty : public example::BuddyArenaSubject {
    bool init(void* base, std::size_t size, std::size_t align) override {
      base_ = static_cast<unsigned char*>(base);
      return BuddyArenaSubject::init(base, size, align);
    }
    bool resize(std::size_t n) override {
      base_[0] ^= 0xff;  // "compacts" the arena while growing it
      return BuddyArenaSubject::resize(n);
    }
    unsigned char* base_ = nullptr;
  };
  expect_fires(Shifty{}, "arena_init size=1K align=64\nb0 = alloc 64\nresize 2K\n", Inv::RESIZE);
}

TEST(GenericArena, empty_fires_when_can_shrink_disagrees_with_the_resize) {
  class Pessimist : public example::BuddyArenaSubject {
    bool can_shrink(std::size_t) const override { return false; }
  };
  expect_fires(Pessimist{}, "arena_init size=4K align=64\nb0 = alloc 64\nresize 1K\n", Inv::EMPTY);
}

TEST(GenericArena, a_grow_keeps_every_block_and_the_new_space_is_usable) {
  expect_clean(example::BuddyArenaSubject{},
               "arena_init size=1K align=64\nb0 = alloc 1000\nresize 4K\nb1 = alloc 2K\nb2 = alloc 1K\nwalk\n"
               "resize 3K\nfree b1\nresize 1K\n");
}

/// A LIFO free list of 64-byte slots that trusts every free: a double free
/// puts the slot on the list twice.
class TrustingSlots : public ArenaSubject {
 public:
  std::string_view name() const override { return "trusting slot allocator"; }
  Caps capabilities() const override { return CAP_STALE_FREE; }
  ArenaGeometry geometry() const override { return {.min_size = 256, .max_size = 4096, .size_granule = 64}; }
  bool init(void* base, std::size_t size, std::size_t) override {
    for (std::size_t off = size; off >= 64; off -= 64)
      free_.push_back(static_cast<std::byte*>(base) + off - 64);
    return true;
  }
  void* alloc(std::size_t size, std::size_t) override {
    if (size > 64 || free_.empty()) return nullptr;
    void* p = free_.back();
    free_.pop_back();
    return p;
  }
  void free(void* p) override { free_.push_back(p); }

 private:
  std::vector<void*> free_;
};

TEST(GenericArena, stale_free_fires_when_a_double_free_hands_a_block_out_twice) {
  const std::string_view prog =
      "arena_init size=256 align=16\nb0 = alloc 8\nfree b0\nfree b0\nb1 = alloc 8\nb2 = alloc 8\n";
  const Violation v = expect_fires(TrustingSlots{}, prog, Inv::STALE_FREE);
  EXPECT_EQ(v.op_index, 4u);
  EXPECT_NE(v.explanation.find("after the double free at op 2"), std::string::npos) << v.explanation;
  expect_clean(example::BuddyArenaSubject{},
               "arena_init size=4K align=64\nb0 = alloc 8\nfree b0\nfree b0\nb1 = alloc 8\nb2 = alloc 8\n");
}

TEST(GenericArena, a_double_free_is_skipped_for_adapters_that_do_not_tolerate_it) {
  class Fragile : public TrustingSlots {
    Caps capabilities() const override { return 0; }
  };
  Fragile fragile;
  const GenericResult r = execute_generic(
      fragile, parse("b0 = alloc 8\nfree b0\nfree b0\nb1 = alloc 8\nb2 = alloc 8\n"), {.trace = true});
  EXPECT_TRUE(r.ok());
  ASSERT_GT(r.trace.size(), 3u);
  EXPECT_NE(r.trace[3].find("skipped"), std::string::npos) << r.trace[3];
}

TEST(GenericArena, teardown_probes_for_space_lost_to_a_missed_merge) {
  const std::string_view prog = "arena_init size=1K align=16\nb0 = alloc 100\nb1 = alloc 100\nfree b0\n";
  expect_clean(example::FirstFitSubject{}, prog);
  const Violation v = expect_fires(example::FirstFitSubject{true}, prog, Inv::NO_SPURIOUS_FAILURE);
  EXPECT_EQ(v.op_index, 3u);  // teardown
  // The explanation says what the model computed, not a guessed cause.
  EXPECT_NE(v.explanation.find("needs one gap of"), std::string::npos) << v.explanation;
  EXPECT_NE(v.explanation.find("its largest gap is"), std::string::npos) << v.explanation;
}

TEST(GenericArena, init_refusing_an_arena_inside_the_geometry_is_a_spurious_failure) {
  class Picky : public example::FirstFitSubject {
    bool init(void*, std::size_t, std::size_t) override { return false; }
  };
  expect_fires(Picky{}, "arena_init size=1K align=16\n", Inv::NO_SPURIOUS_FAILURE);
}

// ---- objects ------------------------------------------------------------------------------------

TEST(GenericObject, the_pmr_pool_passes_and_a_leak_at_release_is_no_leak) {
  expect_clean(PmrPoolSubject{}, "b0 = alloc 100\nb1 = alloc 7\nfree b0\nb2 = alloc 4K\n");
  class Leaky : public PmrPoolSubject {
    std::optional<std::size_t> outstanding() const override { return 64; }
  };
  expect_fires(Leaky{}, "b0 = alloc 1\n", Inv::NO_LEAK);
}

TEST(GenericObject, alignment_is_checked_for_object_allocators) {
  class Sloppy : public PmrPoolSubject {
    void* allocate(std::size_t size, std::size_t align) override {
      return static_cast<std::byte*>(PmrPoolSubject::allocate(size + 16, align)) + (++n_ == 2 ? 4 : 0);
    }
    void deallocate(void* p, std::size_t size, std::size_t align) override {
      PmrPoolSubject::deallocate(p, size + 16, align);
    }
    int n_ = 0;
  };
  expect_fires(Sloppy{}, "b0 = alloc 8\nb1 = alloc 8\n", Inv::ALIGNMENT);
}

/// The pmr pool with a walk: the blocks it handed out and has not been told
/// to free, as a heap visitor would report them; `bug` breaks it one way.
class Walked : public PmrPoolSubject {
 public:
  enum class Bug { none, forgets_one, keeps_freed, short_size };
  explicit Walked(Bug bug = Bug::none) : bug_(bug) {}
  Caps capabilities() const override { return CAP_SIZED_FREE | CAP_WALK; }
  void* allocate(std::size_t size, std::size_t align) override {
    void* p = PmrPoolSubject::allocate(size, align);
    if (p) live_[p] = size;
    return p;
  }
  void deallocate(void* p, std::size_t size, std::size_t align) override {
    if (bug_ != Bug::keeps_freed) live_.erase(p);
    PmrPoolSubject::deallocate(p, size, align);
  }
  void walk(const BlockVisitor& visit) const override {
    bool skipped = false;
    for (const auto& [p, n] : live_) {
      if (bug_ == Bug::forgets_one && !skipped && (skipped = true)) continue;
      visit(p, bug_ == Bug::short_size ? n - 1 : n);
    }
  }

 private:
  Bug bug_;
  std::map<const void*, std::size_t> live_;
};

TEST(GenericObject, walk_must_report_every_live_block_once_and_nothing_freed) {
  const char* prog = "b0 = alloc 100\nb1 = alloc 7\nwalk\nfree b0\nwalk\nb2 = alloc 4K\nwalk\n";
  expect_clean(Walked{}, prog);
  EXPECT_EQ(expect_fires(Walked{Walked::Bug::forgets_one}, prog, Inv::WALK).op_index, 2u);
  EXPECT_EQ(expect_fires(Walked{Walked::Bug::keeps_freed}, prog, Inv::WALK).op_index, 4u);
  expect_fires(Walked{Walked::Bug::short_size}, prog, Inv::WALK);
  // Without a walk op the teardown walks (before and after freeing everything).
  expect_fires(Walked{Walked::Bug::keeps_freed}, "b0 = alloc 8\n", Inv::WALK);
}

TEST(GenericObject, the_kernel_kmalloc_view_passes_and_finds_a_short_krealloc_copy) {
  const char* prog = "b0 = alloc 100\nb1 = alloc 7\nb2 = realloc b0 3000\nb3 = realloc b1 1\nfree b2\n";
  expect_clean(KernelKmallocSubject{}, prog);
  KernelKmallocSubject generated;
  const GenericTarget t = generic_target(generated);
  Rng rng(11);
  for (int i = 0; i < 30; ++i) {
    std::vector<std::uint8_t> bytes(200);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng.next());
    KernelKmallocSubject fresh;
    const GenericResult r = execute_generic(fresh, decode_generic(bytes, t));
    ASSERT_TRUE(r.ok()) << format_violation(*r.violation);
  }
  KernelKmallocSubject broken;
  broken.kernel().plant_bug_for_testing(Kernel::BugForTesting::krealloc_short_copy);
  EXPECT_EQ(expect_fires(broken, prog, Inv::INTEGRITY).op_index, 2u);
}

// ---- pages and virtual ranges -------------------------------------------------------------------

TEST(GenericPage, the_kernel_page_allocator_passes_generated_programs) {
  KernelPageSubject pages;
  const GenericTarget t = generic_target(pages);
  Rng rng(7);
  for (int i = 0; i < 30; ++i) {
    std::vector<std::uint8_t> bytes(200);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng.next());
    KernelPageSubject fresh;
    const GenericResult r = execute_generic(fresh, decode_generic(bytes, t));
    ASSERT_TRUE(r.ok()) << format_violation(*r.violation);
  }
}

/// A bitmap page allocator over 64 frames with one promise broken.
class Bitmap : public PageSubject {
 public:
  enum class Bug { none, unaligned, past_end, spurious };
  explicit Bitmap(Bug bug = Bug::none) : bug_(bug) {}
  std::string_view name() const override { return "bitmap pages"; }
  std::uint64_t nr_frames() const override { return 64; }
  unsigned max_order() const override { return 6; }
  FitModel fit_model() const override { return FitModel::buddy(1, 0, 64); }
  std::optional<std::uint64_t> alloc_pages(unsigned order) override {
    const std::uint64_t n = std::uint64_t{1} << order;
    if (bug_ == Bug::spurious && order == 2) return std::nullopt;
    for (std::uint64_t f = 0; f + n <= 64; f += n) {
      bool free = true;
      for (std::uint64_t i = f; i < f + n; ++i) free = free && !used_.count(i);
      if (!free) continue;
      for (std::uint64_t i = f; i < f + n; ++i) used_.insert(i);
      if (bug_ == Bug::unaligned && order == 1) return f + 1;
      if (bug_ == Bug::past_end && order == 3) return 60;
      return f;
    }
    return std::nullopt;
  }
  void free_pages(std::uint64_t frame, unsigned order) override {
    if (bug_ == Bug::unaligned && order == 1) --frame;
    for (std::uint64_t i = frame; i < frame + (std::uint64_t{1} << order); ++i) used_.erase(i);
  }

 private:
  Bug bug_;
  std::set<std::uint64_t> used_;
};

TEST(GenericPage, page_oracles_fire_on_a_broken_bitmap_allocator) {
  const std::string_view prog = "b0 = alloc 4K\nb1 = alloc 8K\nb2 = alloc 16K\nb3 = alloc 32K\nfree b1\n";
  expect_clean(Bitmap{}, prog);
  expect_fires(Bitmap{Bitmap::Bug::unaligned}, prog, Inv::ALIGNMENT);
  expect_fires(Bitmap{Bitmap::Bug::past_end}, prog, Inv::IN_BOUNDS);
  expect_fires(Bitmap{Bitmap::Bug::spurious}, prog, Inv::NO_SPURIOUS_FAILURE);
}

TEST(GenericVirtual, kernel_vmalloc_passes_and_a_broken_translation_fires) {
  const std::string_view prog = "b0 = alloc 10000\nb1 = alloc 1\nb2 = alloc 64K\nfree b0\nb3 = alloc 5000\n";
  expect_clean(KernelVmallocSubject{}, prog);
  class SharedPage : public KernelVmallocSubject {
    std::optional<std::uint64_t> translate(std::uint64_t va) const override {
      const auto pa = KernelVmallocSubject::translate(va);
      return pa ? std::optional<std::uint64_t>(0x100000) : std::nullopt;  // every page → one frame
    }
  };
  expect_fires(SharedPage{}, prog, Inv::TRANSLATE);
  class Lingering : public KernelVmallocSubject {
    std::optional<std::uint64_t> translate(std::uint64_t va) const override {
      return KernelVmallocSubject::translate(va).value_or(0x4000000 + (va & 0xfffff000));
    }
  };
  expect_fires(Lingering{}, prog, Inv::TRANSLATE);
}

TEST(GenericVirtual, a_range_outside_the_window_is_in_bounds) {
  class Wanderer : public KernelVmallocSubject {
    AddrRange window() const override { return {0, 0x1000}; }
  };
  expect_fires(Wanderer{}, "b0 = alloc 100\n", Inv::IN_BOUNDS);
}

}  // namespace
}  // namespace kmf
