// contract.h — what an allocator promises for requests it cannot serve.
//
// With CAP_CONTRACT the decoder and the generators send an arena subject
// hostile requests besides the ordinary ones: size 0, just above the arena,
// around 2^31, 2^32 and 2^63, SIZE_MAX and just below it, the allocator's
// largest block and one byte more; alignments up to 2^63 (and, where the
// contract accepts them, alignments that are not powers of two); realloc to
// those sizes, realloc(nullptr, n) and realloc(p, 0). The executor holds the
// answers to this contract (CONTRACT) and every block handed out to the
// usual invariants (IN-BOUNDS, ALIGNMENT, USABLE-SIZE, NO-OVERLAP):
//
//   request                              promise
//   size > the current arena, or         null (the block could never fit)
//     > max_block (when set)
//   align > max_align                    null
//   align not a power of two             skipped / null / a block at a multiple of it (non_pow2_align)
//   size 0                               zero_size: null, or a unique block (then it is freed like any)
//   realloc(p, n) returns null           p stays live, every byte of it unchanged
//   realloc(nullptr, n)                  realloc_null: acts as alloc(n), or returns null (or untested: never sent)
//   realloc(p, 0)                        realloc_zero: frees p and returns null, or returns a
//                                        minimal block (p consumed), or either
//
//   before init, after a failed init     before_init: untested, or refused (null answers, no crash)
//   a second init                        second_init: untested, refused, or resets the heap
//
// CAP_CALLOC's overflow rule (an overflowing n * size returns null) needs no
// contract: it is calloc's own (CALLOC).
//
// Object subjects (object_subject.h) take the same declaration, with no
// arena: max_block alone bounds the sizes (0: no size is promised null),
// max_align the alignments; realloc_null = untested keeps realloc(nullptr)
// out of the programs (an API where it is undefined); before_init and
// second_init do not apply. Their blocks are real host memory, so a request
// above HOST_MAX_REQUEST bytes or HOST_MAX_ALIGN alignment
// (ops/generic_program.h) is sent only when the contract promises null for
// it: a real allocator would otherwise reserve it.
#pragma once

#include <cstdint>
#include <string>

namespace kmf {

struct Contract {
  enum class ZeroSize : std::uint8_t { null, unique, either };
  enum class ReallocNull : std::uint8_t { allocates, refuses, untested };
  enum class ReallocZero : std::uint8_t { frees, minimal, either };
  enum class NonPow2 : std::uint8_t { skip, refused, honoured };

  ZeroSize zero_size = ZeroSize::either;
  ReallocNull realloc_null = ReallocNull::allocates;
  ReallocZero realloc_zero = ReallocZero::either;
  NonPow2 non_pow2_align =
      NonPow2::skip;            ///< alignments like 24 or 48: not generated, must fail, or honoured
  std::uint64_t max_block = 0;  ///< requests above it return null; 0: only the arena's size limits
  std::uint64_t max_align = ~std::uint64_t{0};  ///< alignments above it return null (inclusive bound)

  /// Calls out of order. before_init = refused: alloc, calloc and
  /// realloc(nullptr) before init return null (stats and is_empty may be
  /// called and must not crash), init of a 0-byte arena fails, and the same
  /// calls after that failed init return null too. second_init: a second
  /// init on the live arena is refused (returns false, every block stays
  /// live and intact) or resets (returns true; every block is gone).
  enum class BeforeInit : std::uint8_t { untested, refused };
  enum class SecondInit : std::uint8_t { untested, refused, resets };
  BeforeInit before_init = BeforeInit::untested;
  SecondInit second_init = SecondInit::untested;
  friend bool operator==(const Contract&, const Contract&) = default;
};

}  // namespace kmf
