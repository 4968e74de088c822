// binary_codec.h — the fuzzers' form of a Program: a total decoder from bytes
// and an encoder back.
//
// Every byte string (the empty one too) decodes to a well-formed Program:
// slot arguments pick among the slots that are live (or freed, for the
// misuse ops) and of the right kind at that point, by index modulo their
// count; an op with no candidate is skipped. Decoding is a deterministic
// function of the bytes and linear in them. `decode(encode(p)) == p` for
// every p that decode produces (with the same options), so
// `encode(decode(b))` is a canonical seed for b.
//
// Layout (all multi-byte fields little-endian; bytes past the end read as 0):
//   header  [cfg][seed lo][seed hi]
//           cfg bits 0-5: mem from a 64-entry table (0 → 16 MiB; 1–32 MiB, then
//           40 MiB … 8 GiB around 896 MiB, 1.5 GiB and 4 GiB); bit 6: x86_64;
//           bit 7: kmalloc=modern. seed = lo | (hi & 0x7f) << 8; hi bit 7: slab_debug off.
//   ops     [opcode][fields…] repeated until the input ends or MAX_DECODED_OPS ops exist;
//           a repeat record [opcode][count][record] decodes its record 2..1048 times.
//           The op type is a weighted table indexed by opcode % W over the enabled families.
//   fields  slot  u8: index into the candidates (modulo their count)
//           order u8: < 0xf0 → {0,0,0,0,0,1,1,1,2,2,3,4,5,9,10,11}[b % 16]; else next u8 % 64
//           gfp   u8: < 0xf0 → a 16-entry table of common masks; else next u16 & GFP_VALID_MASK
//           size  u8 m: m < 0x80 → 2^k + d, (k, d+1) = divmod(m % 72, 3)  (0 … 2^23+1);
//                 m < 0xc0 → ((m & 0x3f) << 8 | next u8); m < 0xf0 → a 32-entry table
//                 of non-power-of-two sizes; else next u32
//           align u8: < 0xf0 → {0,0,8,16,32,64,128,4096,1,2,4,3,24,256,1024,2048}[b % 16]; else u32
// Op records: see the table in binary_codec.cpp and ops/README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ops/op.h"

namespace kmf {

/// Op families a fuzz target may enable (a bit mask).
enum OpFamily : std::uint32_t {
  FAMILY_PAGES = 1u << 0,    ///< alloc_pages, get_free_pages, free_pages
  FAMILY_SLAB = 1u << 1,     ///< kmalloc, kzalloc, krealloc, kfree, kmem_cache_*
  FAMILY_VMALLOC = 1u << 2,  ///< vmalloc, vzalloc, vfree, ioremap, iounmap
  FAMILY_MEMORY = 1u << 3,   ///< write (inside live allocations)
  FAMILY_FAULTS = 1u << 4,   ///< fail …, fail off, atomic on|off
  FAMILY_MISUSE = 1u << 5,   ///< double free, wrong order/cache/API, interior pointers, scribble
  FAMILY_ALL = (1u << 6) - 1,
};

struct CodecOptions {
  std::uint32_t families = FAMILY_ALL;  ///< which op types the opcode table holds
};

inline constexpr std::size_t MAX_DECODED_OPS = 4096;             ///< ops per program, inclusive
inline constexpr std::uint64_t MAX_DECODED_MAP_BYTES = 4 * MiB;  ///< vmalloc / ioremap size cap, inclusive
inline constexpr std::size_t BINARY_HEADER_BYTES = 3;

/// The op families a fuzz target decodes, by its name (fuzz_buddy: pages and
/// memory; fuzz_slab; fuzz_vmalloc; anything else: every family).
CodecOptions codec_options_for_target(std::string_view target);

/// Total: any bytes give a well-formed Program (canonical names, decoder-made cache names).
Program decode_program(std::span<const std::uint8_t> bytes, const CodecOptions& options = {});

/// Bytes that decode to `program`. Exact for every program decode produces;
/// for others (parsed scripts, generators) best effort: the machine's size
/// becomes the largest table size not above it (seed mod 2^15), values beyond a
/// field's range are clamped, and ops with no binary form (expect, print,
/// check, kfree null, a misuse the decoder never makes, out-of-range offsets)
/// are dropped along with whatever depends on them; `dropped_ops` counts them.
/// slab_debug is kept.
std::vector<std::uint8_t> encode_program(const Program& program, const CodecOptions& options = {},
                                         std::size_t* dropped_ops = nullptr);

/// The smallest opcode of the repeat record (`[opcode][count][record]`: the
/// record decoded 2..1048 times), for an op-level mutator; -1 when the table has none.
int repeat_opcode(const CodecOptions& options = {});

/// The byte offset at which each op record starts (skipped records included),
/// in decode order: boundaries for an op-level custom mutator.
std::vector<std::size_t> op_record_offsets(std::span<const std::uint8_t> bytes,
                                           const CodecOptions& options = {});

}  // namespace kmf
