// generic_binary.h — the fuzzers' form of generic programs: a total decoder
// from bytes, relative to a GenericTarget (what the subject can do), and an
// encoder back.
//
// Every byte string (the empty one too) decodes to a well-formed program
// that uses only the target's capabilities and stays inside its geometry;
// decoding is deterministic and linear, and decode(encode(p)) == p for every
// p decode produces for the same target.
//
// Layout (multi-byte fields little-endian; bytes past the end read as 0):
//   header  arena targets only: [size][align] and, when the contract tests calls
//           before init (Contract::before_init), [early]: early=1 when early mod 4 == 0
//           size  0xff → u32 follows (u64 for geometries above 4 GiB); else
//                 min + (max - min)·s²/254², normalized
//           align 0xff → u8 log2 follows; else min_align · 2^(a mod (log2(max/min) + 1))
//   ops     [opcode][fields…] until the input ends or MAX_GENERIC_OPS ops exist;
//           the verb is a weighted table indexed by opcode mod its weight:
//             alloc 8  [size][align][heap]
//             free 5   [slot(live)]
//             realloc 2 (CAP_REALLOC) [slot(live)][size][align: CAP_REALLOC_ALIGN only][heap:
//             realloc(nullptr)] resize 2 (CAP_RESIZE)   [to][heap]   walk 1 (CAP_WALK) [heap] reserve 1
//             (CAP_RESERVE) [offset][size] double free 1 (CAP_STALE_FREE, object and arena) [slot(freed)]
//             calloc 2 (CAP_CALLOC)   [size][count][heap]    stats 1 (CAP_STATS) [heap]
//           [heap] is a byte mod the heaps (CAP_HEAPS targets only; absent otherwise)
//             init 1 (CAP_CONTRACT, second_init tested)   add_pool 1 (CAP_POOLS) [to]
//   size    m < 0x90: 2^k + d − 1, k = (m / 3) mod 17, d = m mod 3 (at least 1)
//           m < 0xc0: 1 + ((m − 0x90) << 8 | next u8)   (1 … 12288)
//           m < 0xff: (m − 0xbf)/64 of the arena's initial size (else of max_request)
//           0xff: u32 follows (u64 above 4 GiB);  clamped to [1, max_request] (arenas: max_size)
//           hostile targets (CAP_CONTRACT): 0x80 … 0x8e are hostile_size(m − 0x80) and 0x8f
//           reads a u64, neither clamped; code 0 (2^0 + 0 − 1) is size 0
//   align   a < 0xf0: {0,0,0,0,8,16,32,64,128,256,512,1024,2048,4096,0,0}[a mod 16] capped at
//           max_align, 0 without CAP_ALIGN; else next u8 = log2
//           hostile targets: a mod 16 = 14 is 2^63, 15 is ODD_ALIGNS[(a / 16) mod 4] (when the
//           contract takes non-powers of two, else 0); the escape's log2 is mod 64, uncapped
//   count   c < 0xe0: 1 + c mod 32; c < 0xff: calloc_count(size, initial, c − 0xe0); 0xff: u64
//   slot    u8 index (mod count) into the live (freed) slots; none → the op is skipped;
//           hostile targets: a realloc slot ≥ 0xf0 (or no live slot) is realloc(nullptr)
//   to      r < 0x80: initial·((r mod 64) + 1)/64; r < 0xff: initial + (max − initial)·((r mod 64) + 1)/64;
//           0xff: u32 follows (u64 above 4 GiB); normalized
//   offset  o < 0xff: the initial size·o/255 rounded down to size_granule; 0xff: u32 follows
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ops/generic_program.h"

namespace kmf {

inline constexpr std::size_t MAX_GENERIC_OPS = 4096;  ///< ops per decoded program, inclusive

/// Total: any bytes give a well-formed program for `target`.
GenericProgram decode_generic(std::span<const std::uint8_t> bytes, const GenericTarget& target);

/// Bytes that decode to `program` for `target`. Exact for every program
/// decode produces; for others (parsed text, built programs) ops the target
/// cannot run are dropped (`dropped_ops` counts them) and values are
/// clamped the way the decoder clamps them.
std::vector<std::uint8_t> encode_generic(const GenericProgram& program, const GenericTarget& target,
                                         std::size_t* dropped_ops = nullptr);

}  // namespace kmf
