// hostile_promises.h — what an allocator promises for requests it cannot
// serve: oversized sizes, size 0, odd alignments, realloc corner cases.
//
// The mimalloc and jemalloc examples each declare one, read from their
// allocator's documentation and code and asked of the library directly
// (promises_*.cpp). contract() turns it into the adapter's declaration
// (check/subjects/contract.h, CAP_CONTRACT): the campaigns and properties
// then send exactly these hostile requests and judge every answer (CONTRACT),
// besides IN-BOUNDS, ALIGNMENT, USABLE-SIZE and NO-OVERLAP as usual.
#pragma once

#include <cstdint>

#include "check/subjects/contract.h"

namespace example {

struct HostilePromises {
  bool oversize_returns_null =
      false;  ///< sizes above PTRDIFF_MAX (up to SIZE_MAX): nullptr, nothing else changes
  bool oversize_align_returns_null = false;  ///< alignments above PTRDIFF_MAX (2^63): nullptr
  bool zero_size_unique_block = false;       ///< alloc(0): a live block distinct from every other
  bool bad_align_returns_null = false;       ///< an alignment that is not a power of two: nullptr
  bool failed_realloc_keeps_block = false;   ///< realloc(p, n) == nullptr: p still live, its bytes intact
  bool realloc_null_allocates = false;       ///< realloc(nullptr, n) acts as alloc(n)
  bool realloc_zero_gives_block = false;     ///< realloc(p, 0): p released, a minimal live block returned
  bool realloc_keeps_alignment = false;      ///< realloc with an alignment returns a block aligned to it
};

/// The contract the executor judges. A promise that is not made is not
/// judged: sizes and alignments the library might serve are only sent up to
/// the host bounds (ops/generic_program.h), a bad alignment without its
/// promise is not generated (skip), realloc(nullptr) without its promise is
/// not generated (untested), and realloc(p, 0) may then free p or return a
/// block (either). A failed realloc is always held to keeping its block
/// (the ObjectSubject interface requires it); failed_realloc_keeps_block
/// records that the library does.
constexpr kmf::Contract contract(const HostilePromises& p) {
  constexpr std::uint64_t PTRDIFF = ~std::uint64_t{0} >> 1;
  kmf::Contract c;
  c.max_block = p.oversize_returns_null ? PTRDIFF : 0;
  c.max_align = p.oversize_align_returns_null ? PTRDIFF : ~std::uint64_t{0};
  c.zero_size = p.zero_size_unique_block ? kmf::Contract::ZeroSize::unique : kmf::Contract::ZeroSize::either;
  c.non_pow2_align =
      p.bad_align_returns_null ? kmf::Contract::NonPow2::refused : kmf::Contract::NonPow2::skip;
  c.realloc_null =
      p.realloc_null_allocates ? kmf::Contract::ReallocNull::allocates : kmf::Contract::ReallocNull::untested;
  c.realloc_zero =
      p.realloc_zero_gives_block ? kmf::Contract::ReallocZero::minimal : kmf::Contract::ReallocZero::either;
  return c;
}

}  // namespace example
