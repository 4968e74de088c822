// mutator.h — the structure-aware mutations behind the program targets'
// LLVMFuzzerCustomMutator and LLVMFuzzerCustomCrossOver (mutator.cpp).
//
// An input is a header and a run of op records (ops/binary_codec.h):
//
//   [cfg][seed lo][seed hi] [op][fields…] [op][fields…] … [op][fields…]
//                           ^ record 0     ^ record 1       ^ record n-1
//
// Byte mutations alone rarely keep a program's meaning: a changed length or
// escape byte shifts every later record. These mutations work on whole
// records (boundaries from op_record_offsets), so the rest of the program
// keeps its meaning. Every result is still a valid program, since decoding
// is total; what the record-level moves buy is that most of them are
// meaningful.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ops/binary_codec.h"

namespace kmf::fuzz {

/// libFuzzer's LLVMFuzzerMutate, or a stand-in (tests): mutates data[0, size)
/// in place within max_size bytes and returns the new size.
using ByteMutator = std::size_t (*)(std::uint8_t* data, std::size_t size, std::size_t max_size);

enum class OpMutation : std::uint8_t {
  bytes,    ///< byte-mutate the whole input (header included)
  insert,   ///< insert a copy of record j before record i
  erase,    ///< delete record i
  change,   ///< byte-mutate inside record i
  repeat,   ///< repeat record i 2..32 times: allocate until memory runs low, free in a burst
  drain,    ///< wrap record i in a repeat record of 32..1048 copies (two bytes): drain a zone,
            ///< fill a cache's slabs, free them all, call a fault attribute again and again
  machine,  ///< a new machine size (header bits 0-5), profile bits kept: the ops stay as they are,
            ///< the same program meets a machine with highmem, a lowmem or DMA32 boundary, 1 MiB
};

/// The mutation `seed` picks for an input of `records` records (bytes when
/// there are none). Exposed for tests.
OpMutation pick_mutation(unsigned seed, std::size_t records);

/// One mutation of data[0, size) in place, within max_size bytes; the choice
/// is a deterministic function of `seed`. Returns the new size (≤ max_size).
std::size_t mutate_ops(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed,
                       const CodecOptions& options, ByteMutator byte_mutate);

/// data1's header and its first k records, then data2's records from m on
/// (k, m chosen by seed), cut to max_out_size bytes. Returns the size written.
std::size_t cross_over_ops(const std::uint8_t* data1, std::size_t size1, const std::uint8_t* data2,
                           std::size_t size2, std::uint8_t* out, std::size_t max_out_size, unsigned seed,
                           const CodecOptions& options);

}  // namespace kmf::fuzz
