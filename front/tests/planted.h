// planted.h — the first-fit example allocator with planted bugs that kill
// or stall the process, for the crash-safety, hang and suppression tests.
//
// PlantedSubject(bug) wraps example::FirstFit (fixed unless the bug says
// otherwise). Most bugs fire in free() on one reachable state: a block of
// at least 64 bytes that realloc moved is freed while two other blocks are
// live, one of them allocated after it (a minimized reproducer: a realloc
// that moves a block, two more allocs, and the free; the teardown, which
// frees newest first, never reaches it).
//
//   none      the fixed allocator
//   abort     free() asserts (prints a message, then abort(): SIGABRT)
//   segv      free() writes through a wild pointer (SIGSEGV)
//   hang      free() spins forever (a HANG under -timeout)
//   asan      free() writes one byte past a heap buffer (an ASan report; build with ASan)
//   ubsan     free() shifts by 64 (a UBSan report; build with -fno-sanitize-recover=all)
//   arena_oob free() reads the byte just past the arena's end (an ASan
//             use-after-poison: the harness poisons what lies outside the arena)
//   two       usable_size() is one byte short for odd requests (USABLE-SIZE, shallow)
//             and free() merges only forward (NO-SPURIOUS-FAILURE, deeper)
//   abort_merge  the abort above, and free() merges only forward
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include "examples/first_fit/first_fit.h"

namespace planted {

enum class Bug { none, abort, segv, hang, asan, ubsan, arena_oob, two, abort_merge };

class PlantedSubject : public kmf::ArenaSubject {
 public:
  explicit PlantedSubject(Bug bug = Bug::none)
      : bug_(bug), heap_(bug == Bug::two || bug == Bug::abort_merge), side_(new char[16]) {}
  std::string_view name() const override { return "planted first-fit"; }
  kmf::Caps capabilities() const override {
    return kmf::CAP_REALLOC | kmf::CAP_USABLE_SIZE | kmf::CAP_IS_EMPTY | kmf::CAP_WALK | kmf::CAP_STALE_FREE;
  }
  kmf::ArenaGeometry geometry() const override {
    return {.min_size = 256,
            .max_size = 16 << 10,
            .size_granule = 16,
            .base_align = 16,
            .min_align = 16,
            .max_align = 16};
  }
  kmf::FitModel fit_model() const override { return kmf::FitModel::first_fit(16, 16); }

  bool init(void* base, std::size_t size, std::size_t) override {
    end_ = static_cast<const char*>(base) + size;
    return heap_.init(base, size);
  }
  void* alloc(std::size_t size, std::size_t) override { return track(heap_.alloc(size), size); }
  void free(void* p) override {
    const auto it = live_.find(p);
    if (it != live_.end()) {
      if (it->second.size >= 64 && it->second.moved && live_.size() >= 3 && newer_live(it->second.seq))
        planted_fault();
      live_.erase(it);
    }
    heap_.free(p);
  }
  void* realloc(void* p, std::size_t size) override {
    void* q = heap_.realloc(p, size);
    if (q) {
      live_.erase(p);
      track(q, size, q != p);
    }
    return q;
  }
  std::size_t usable_size(const void* p) const override {
    const std::size_t n = heap_.usable_size(p);
    const auto it = live_.find(const_cast<void*>(p));
    if (bug_ == Bug::two && it != live_.end() && it->second.size % 2 == 1) return it->second.size - 1;
    return n;
  }
  bool is_empty() const override { return heap_.is_empty(); }
  void walk(const BlockVisitor& visit) const override { heap_.walk(visit); }

 private:
  struct Block {
    std::size_t size;
    bool moved;  // realloc moved it here
    std::uint64_t seq;
  };
  void* track(void* p, std::size_t size, bool moved = false) {
    if (p) live_[p] = {size, moved, ++seq_};
    return p;
  }
  bool newer_live(std::uint64_t seq) const {
    for (const auto& [p, b] : live_)
      if (b.seq > seq) return true;
    return false;
  }
  void planted_fault() {
    switch (bug_) {
      case Bug::abort:
      case Bug::abort_merge:
        std::fputs("planted: free: assertion `neighbours consistent' failed\n", stderr);
        std::abort();
      case Bug::segv: {
        volatile std::uintptr_t wild = 0x10;
        *reinterpret_cast<volatile int*>(wild) = 1;
        break;
      }
      case Bug::hang: {
        volatile bool merged = false;
        while (!merged) {
        }
        break;
      }
      case Bug::asan: {
        volatile std::size_t i = 16;
        side_[i] = 1;  // one past the end of a 16-byte heap buffer
        break;
      }
      case Bug::arena_oob:
        sink_ = static_cast<std::uint64_t>(*static_cast<const volatile char*>(end_));  // one past the arena
        break;
      case Bug::ubsan: {
        volatile int shift = 64;
        volatile std::uint64_t one = 1;
        sink_ = one << shift;  // undefined: shift ≥ width
        break;
      }
      default: break;
    }
  }

  Bug bug_;
  example::FirstFit heap_;
  std::unique_ptr<char[]> side_;
  const char* end_ = nullptr;
  std::unordered_map<void*, Block> live_;
  std::uint64_t seq_ = 0;
  volatile std::uint64_t sink_ = 0;
};

}  // namespace planted
