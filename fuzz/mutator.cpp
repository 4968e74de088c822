// mutator.cpp — the op-level mutations (mutator.h) and the libFuzzer hooks
// that use them in the program targets.
//
// Half of the mutations are libFuzzer's own byte mutations of the whole
// input (they reach the header and the inside of fields); the other half
// insert, delete, change or repeat whole op records, wrap one in the
// decoder's repeat record (drain: 32..1048 copies for two bytes), or (one in
// 25 of them) give the same program another machine size. Cross-over splices the
// head of one input's records onto the tail of another's.
//
// Only libFuzzer calls these hooks. Other engines (AFL++'s driver, OSS-Fuzz's
// honggfuzz/centipede builds) link the same objects without defining
// LLVMFuzzerMutate, so the reference to it is weak and the hooks then leave
// the input as it is.
#include "fuzz/mutator.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "alloc/fault.h"
#include "fuzz/fuzz_target.h"

extern "C" __attribute__((weak)) std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size,
                                                              std::size_t max_size);

namespace kmf::fuzz {
namespace {

/// Each record's first byte, then the end of the last record.
std::vector<std::size_t> record_bounds(const std::uint8_t* data, std::size_t size,
                                       const CodecOptions& options) {
  std::vector<std::size_t> starts = op_record_offsets({data, size}, options);
  starts.push_back(size);
  return starts;
}

OpMutation pick(Rng& rng, std::size_t records) {
  if (records == 0 || rng.below(2) == 0) return OpMutation::bytes;
  const std::uint64_t r = rng.below(25);
  if (r < 5) return OpMutation::insert;
  if (r < 9) return OpMutation::erase;
  if (r < 16) return OpMutation::change;
  if (r < 20) return OpMutation::repeat;
  if (r < 23) return OpMutation::drain;
  return OpMutation::machine;
}

}  // namespace

OpMutation pick_mutation(unsigned seed, std::size_t records) {
  Rng rng(seed);
  return pick(rng, records);
}

std::size_t mutate_ops(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed,
                       const CodecOptions& options, ByteMutator byte_mutate) {
  Rng rng(seed);
  const std::vector<std::size_t> b =
      size > BINARY_HEADER_BYTES ? record_bounds(data, size, options) : std::vector<std::size_t>{size};
  const std::size_t n = b.size() - 1;  // records
  const OpMutation kind = pick(rng, n);
  if (kind == OpMutation::bytes) return byte_mutate(data, size, max_size);
  if (kind == OpMutation::machine) {
    // Header bits 0-5 index the machine-size table (ops/binary_codec.cpp).
    data[0] = static_cast<std::uint8_t>((data[0] & 0xc0) | rng.below(64));
    return size;
  }
  // Growing moves favour the program's tail half the time: the machine is in
  // its deepest state there (memory drained, slabs churned), so ops added at
  // the end reach what ops added early cannot.
  const bool grows = kind == OpMutation::insert || kind == OpMutation::repeat || kind == OpMutation::drain;
  const std::size_t tail = std::min<std::size_t>(n, 8);
  const std::size_t i = grows && rng.below(2) == 0 ? n - 1 - rng.below(tail) : rng.below(n);
  const std::size_t begin = b[i], end = b[i + 1];
  std::vector<std::uint8_t> out(data, data + size);
  const auto at = [&](std::size_t off) { return out.begin() + static_cast<std::ptrdiff_t>(off); };
  switch (kind) {
    case OpMutation::insert: {
      const std::size_t j = rng.below(n);
      const std::vector<std::uint8_t> rec(data + b[j], data + b[j + 1]);
      if (size + rec.size() > max_size) return byte_mutate(data, size, max_size);
      out.insert(at(begin), rec.begin(), rec.end());
      break;
    }
    case OpMutation::erase: out.erase(at(begin), at(end)); break;
    case OpMutation::change: {
      std::vector<std::uint8_t> rec(data + begin, data + end);
      rec.resize(rec.size() + 8);  // room for a field to grow into its wide form
      rec.resize(byte_mutate(rec.data(), end - begin, rec.size()));
      if (size - (end - begin) + rec.size() > max_size) return byte_mutate(data, size, max_size);
      out.erase(at(begin), at(end));
      out.insert(at(begin), rec.begin(), rec.end());
      break;
    }
    case OpMutation::repeat: {
      const std::size_t len = end - begin;
      std::size_t extra = 1 + rng.below(31);                                 // 2..32 in all
      extra = std::min(extra, (max_size - std::min(max_size, size)) / len);  // what fits
      if (extra == 0) return byte_mutate(data, size, max_size);
      std::vector<std::uint8_t> copies;
      copies.reserve(extra * len);
      for (std::size_t k = 0; k < extra; ++k) copies.insert(copies.end(), data + begin, data + end);
      out.insert(at(end), copies.begin(), copies.end());
      break;
    }
    case OpMutation::drain: {
      // The decoder's repeat record around record i: 8 × (count − 0x7c) copies.
      const int op = repeat_opcode(options);
      if (op < 0 || size + 2 > max_size) return byte_mutate(data, size, max_size);
      const std::uint8_t wrap[2] = {static_cast<std::uint8_t>(op),
                                    static_cast<std::uint8_t>(0x80 + rng.below(0x80))};
      out.insert(at(begin), wrap, wrap + 2);
      break;
    }
    case OpMutation::bytes:
    case OpMutation::machine: break;
  }
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

std::size_t cross_over_ops(const std::uint8_t* data1, std::size_t size1, const std::uint8_t* data2,
                           std::size_t size2, std::uint8_t* out, std::size_t max_out_size, unsigned seed,
                           const CodecOptions& options) {
  Rng rng(seed);
  const std::vector<std::size_t> a = record_bounds(data1, size1, options);
  const std::vector<std::size_t> b = record_bounds(data2, size2, options);
  // A cut at a record boundary of each; data1's header always comes along.
  const std::size_t cut1 = std::max(std::min(BINARY_HEADER_BYTES, size1), a[rng.below(a.size())]);
  const std::size_t cut2 = b.size() > 1 ? b[rng.below(b.size())] : size2;
  const std::size_t head = std::min(cut1, max_out_size);
  std::memcpy(out, data1, head);
  const std::size_t tail = std::min(size2 - cut2, max_out_size - head);
  std::memcpy(out + head, data2 + cut2, tail);
  return head + tail;
}

}  // namespace kmf::fuzz

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  if (LLVMFuzzerMutate == nullptr) return size;
  return kmf::fuzz::mutate_ops(data, size, max_size, seed, kmf::fuzz::TARGET_OPTIONS, LLVMFuzzerMutate);
}

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,
                                                 const std::uint8_t* data2, std::size_t size2,
                                                 std::uint8_t* out, std::size_t max_out_size,
                                                 unsigned int seed) {
  return kmf::fuzz::cross_over_ops(data1, size1, data2, size2, out, max_out_size, seed,
                                   kmf::fuzz::TARGET_OPTIONS);
}
