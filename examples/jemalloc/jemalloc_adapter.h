// jemalloc_adapter.h — example 4: jemalloc (Debian's libjemalloc) as a
// kmemfuzz object subject, on a private arena of its own.
//
//   setup       mallctl("arenas.create") → arena i (once per process, see below)
//   allocate    mallocx(size, F | MALLOCX_ALIGN(align))          CAP_ALIGN
//   reallocate  xallocx in place, else rallocx (nallocx: the size class)  CAP_REALLOC
//   usable_size sallocx(p, F)                                    CAP_USABLE_SIZE
//   deallocate  sdallocx(p, size, F | MALLOCX_ALIGN(align))      CAP_SIZED_FREE
//   teardown    the arena's allocated bytes (NO-LEAK), then mallctl("arena.<i>.reset")
//   contract    JEMALLOC_PROMISES                             CAP_CONTRACT
//   where F = MALLOCX_ARENA(i) | MALLOCX_TCACHE_NONE
//
// Hostile requests (CAP_CONTRACT): the campaign also asks for 0 bytes,
// sizes and alignments above PTRDIFF_MAX, realloc(p, 0) and reallocs that
// must fail, and holds each answer to JEMALLOC_PROMISES (CONTRACT).
// Not asked, as jemalloc leaves them undefined: alignments that are not
// powers of two and rallocx(NULL, …). mallocx(0) and rallocx(p, 0) are
// undefined too: the adapter asks for 1 byte, as malloc(0) does.
//
// Not declared: CAP_WALK (jemalloc has no way to enumerate an arena's
// blocks) and CAP_STALE_FREE (a double free corrupts it).
//
// Isolation. Every block comes from an arena created for this subject and
// bypasses the thread cache, so a freed block goes straight back to the
// arena the program owns, the arena's statistics count only the program's
// bytes, and resetting the arena discards whatever a failed run left.
// One arena serves every input, reset after each: jemalloc 5.3.0 keeps
// about 4 KiB resident per arenas.create + arena.<i>.destroy cycle even
// though it recycles the index (20,000 cycles: +60 MiB), which an
// overnight campaign would pay in gigabytes. So a subject's arena is reset
// when it dies and kept for the next subject: the same empty arena, and
// subjects alive at once (the minimizer's fresh runs) never share one.
// Linking libjemalloc also replaces malloc for the whole process (Debian
// builds it unprefixed): in these dedicated example binaries the harness's
// own allocations then live in jemalloc's automatic arenas, which the
// program never touches. (Under ASan, ASan's malloc wins instead.) The
// kmemfuzz tool keeps glibc's malloc: it dlopen()s libjemalloc RTLD_LOCAL
// (jemalloc's initial-exec TLS needs glibc.rtld.optional_static_tls, which
// the tool sets) and fills a JemallocApi with dlsym.
#pragma once

#include <jemalloc/jemalloc.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "../hostile_promises.h"
#include "check/subjects/object_subject.h"

namespace example {

/// The jemalloc calls the adapter makes, as function pointers.
struct JemallocApi {
  decltype(&::mallctl) mallctl = nullptr;
  decltype(&::mallocx) mallocx = nullptr;
  decltype(&::rallocx) rallocx = nullptr;
  decltype(&::xallocx) xallocx = nullptr;
  decltype(&::nallocx) nallocx = nullptr;
  decltype(&::sallocx) sallocx = nullptr;
  decltype(&::sdallocx) sdallocx = nullptr;
};

/// The symbols of the libjemalloc this program is linked with.
inline JemallocApi linked_jemalloc() {
  return {&::mallctl, &::mallocx, &::rallocx, &::xallocx, &::nallocx, &::sallocx, &::sdallocx};
}

/// jemalloc 5.3's answers to hostile requests (its manual, "Non-standard API");
/// promises_jemalloc.cpp checks the true ones against the library.
inline constexpr HostilePromises JEMALLOC_PROMISES{
    .oversize_returns_null = true,        // above the largest size class (7 << 60): NULL
    .oversize_align_returns_null = true,  // MALLOCX_ALIGN(2^63): NULL
    .zero_size_unique_block =
        true,  // mallocx(0) is undefined: this adapter asks for 1 byte, as malloc(0) does
    .bad_align_returns_null = false,     // MALLOCX_ALIGN(a) keeps only a's lowest set bit
    .failed_realloc_keeps_block = true,  // rallocx returns NULL and leaves ptr alone
    .realloc_null_allocates = false,     // rallocx(NULL, …) is undefined
    .realloc_zero_gives_block = false,   // rallocx(p, 0) is undefined
    .realloc_keeps_alignment = true,     // rallocx honours MALLOCX_ALIGN
};

/// Deliberately broken wrappers, for the tests that the fuzzer finds them.
enum class JemallocBug {
  none,
  returns_a_block_twice,  ///< hands a live block out again (NO-OVERLAP)
  rounds_size_up,         ///< rounds sizes up to 16 first, wrapping near SIZE_MAX (CONTRACT)
};

class JemallocSubject : public kmf::ObjectSubject {
 public:
  explicit JemallocSubject(JemallocBug bug = JemallocBug::none, JemallocApi api = linked_jemalloc())
      : je_(api), bug_(bug) {
    std::vector<unsigned>& idle = idle_arenas();
    std::size_t len = sizeof arena_;
    if (!idle.empty()) {
      arena_ = idle.back();  // reset when its last subject died: empty
      idle.pop_back();
    } else if (je_.mallctl("arenas.create", &arena_, &len, nullptr, 0) != 0) {
      throw std::runtime_error("arenas.create failed");
    }
    flags_ = MALLOCX_ARENA(arena_) | MALLOCX_TCACHE_NONE;
  }
  JemallocSubject(const JemallocSubject&) = delete;
  JemallocSubject& operator=(const JemallocSubject&) = delete;
  ~JemallocSubject() override {
    release();
    idle_arenas().push_back(arena_);
  }

  std::string_view name() const override { return "jemalloc private arena"; }
  kmf::Caps capabilities() const override {
    return kmf::CAP_ALIGN | kmf::CAP_SIZED_FREE | kmf::CAP_REALLOC | kmf::CAP_USABLE_SIZE | kmf::CAP_CONTRACT;
  }
  kmf::Contract contract() const override { return example::contract(JEMALLOC_PROMISES); }

  void* allocate(std::size_t size, std::size_t align) override {
    if (bug_ == JemallocBug::returns_a_block_twice && last_ && size == last_size_) {
      twice_.insert(last_);  // hands the previous block out again while it is live
      return last_;
    }
    if (bug_ == JemallocBug::rounds_size_up) size = (size + 15) & ~std::size_t{15};  // SIZE_MAX → 0
    void* p = je_.mallocx(size ? size : 1, flags_ | MALLOCX_ALIGN(align));
    last_ = p;
    last_size_ = size;
    return p;
  }
  void deallocate(void* p, std::size_t size, std::size_t align) override {
    if (p == last_) last_ = nullptr;
    if (twice_.erase(p)) return;  // the broken wrapper swallows the second free: jemalloc stays sound
    je_.sdallocx(p, size ? size : 1, flags_ | MALLOCX_ALIGN(align));
  }
  void* reallocate(void* p, std::size_t /*old_size*/, std::size_t new_size, std::size_t align) override {
    new_size = new_size ? new_size : 1;  // rallocx and xallocx of 0 bytes are undefined
    const int flags = flags_ | MALLOCX_ALIGN(align);
    // In place only when the block lands in new_size's own size class:
    // sdallocx will be told new_size, and jemalloc trusts that size to
    // find the class (an xallocx that could not shrink keeps the old one).
    if (je_.xallocx(p, new_size, 0, flags) == je_.nallocx(new_size, flags)) return p;
    void* q = je_.rallocx(p, new_size, flags);  // NULL: p stays live
    if (q && p == last_) last_ = nullptr;
    return q;
  }
  std::size_t usable_size(const void* p) const override { return je_.sallocx(p, flags_); }

  // NO-LEAK: once the executor has freed every block, jemalloc's own
  // statistics for the arena must count no allocated bytes.
  void release() override {
    if (released_) return;
    released_ = true;
    std::uint64_t epoch = 1;
    std::size_t len = sizeof epoch;
    std::size_t small = 0, large = 0, n = sizeof small;
    const std::string stats = "stats.arenas." + std::to_string(arena_);
    if (je_.mallctl("epoch", &epoch, &len, &epoch, len) == 0 &&
        je_.mallctl((stats + ".small.allocated").c_str(), &small, &n, nullptr, 0) == 0 &&
        je_.mallctl((stats + ".large.allocated").c_str(), &large, &n, nullptr, 0) == 0)
      outstanding_ = small + large;
    je_.mallctl(("arena." + std::to_string(arena_) + ".reset").c_str(), nullptr, nullptr, nullptr, 0);
  }
  std::optional<std::size_t> outstanding() const override { return outstanding_; }

 private:
  static std::vector<unsigned>& idle_arenas() {
    static std::vector<unsigned> idle;
    return idle;
  }

  JemallocApi je_;
  JemallocBug bug_;
  unsigned arena_ = 0;
  int flags_ = 0;
  bool released_ = false;
  std::optional<std::size_t> outstanding_;  ///< unknown when jemalloc was built without statistics
  void* last_ = nullptr;                    ///< the broken wrapper's previous block (while live)
  std::size_t last_size_ = 0;
  std::set<void*> twice_;
};

}  // namespace example
