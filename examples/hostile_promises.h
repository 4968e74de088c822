// hostile_promises.h — what an allocator promises for requests it cannot
// serve: oversized sizes, size 0, odd alignments, realloc corner cases.
//
// The mimalloc and jemalloc examples each declare one, read from their
// allocator's documentation and code. It is plain data so that a contract
// declaration on the subject interfaces can take it over field by field:
// the generators then ask exactly these hostile questions and hold every
// answer to IN-BOUNDS, ALIGNMENT, USABLE-SIZE and NO-OVERLAP as usual.
#pragma once

namespace example {

struct HostilePromises {
  bool oversize_returns_null =
      false;  ///< sizes it cannot serve (up to SIZE_MAX): nullptr, nothing else changes
  bool zero_size_unique_block = false;      ///< alloc(0): a live block distinct from every other
  bool bad_align_returns_null = false;      ///< an alignment that is not a power of two: nullptr
  bool failed_realloc_keeps_block = false;  ///< realloc(p, n) == nullptr: p still live, its bytes intact
  bool realloc_null_allocates = false;      ///< realloc(nullptr, n) acts as alloc(n)
  bool realloc_zero_gives_block = false;    ///< realloc(p, 0): p released, a minimal live block returned
  bool realloc_keeps_alignment = false;     ///< realloc with an alignment returns a block aligned to it
};

}  // namespace example
