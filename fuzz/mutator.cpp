// mutator.cpp — a structure-aware custom mutator for the program targets.
//
// Inputs are a header and a run of op records (ops/binary_codec.h). Besides
// libFuzzer's byte mutations (half the time), the mutator works on whole op
// records, so a mutation keeps most of a program's meaning:
//   insert  a copy of another record at a record boundary
//   delete  one record
//   change  byte-mutate inside one record
//   splice  (cross-over) the head of one input's records with the tail of another's
// The choice is a deterministic function of libFuzzer's seed.
//
// Only libFuzzer calls these hooks. Other engines (AFL++'s driver, OSS-Fuzz's
// honggfuzz/centipede builds) link the same objects without defining
// LLVMFuzzerMutate, so the reference to it is weak and the hooks then leave
// the input as it is.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "alloc/fault.h"
#include "fuzz/fuzz_target.h"

extern "C" __attribute__((weak)) std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size,
                                                              std::size_t max_size);

namespace {

struct Records {
  std::vector<std::size_t> starts;  // each record's first byte; size() is the end of the last
};

Records records_of(const std::uint8_t* data, std::size_t size) {
  Records r;
  r.starts = kmf::op_record_offsets({data, size}, kmf::fuzz::TARGET_OPTIONS);
  r.starts.push_back(size);
  return r;
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  if (LLVMFuzzerMutate == nullptr) return size;
  kmf::Rng rng(seed);
  if (size <= kmf::BINARY_HEADER_BYTES || rng.below(2) == 0) return LLVMFuzzerMutate(data, size, max_size);
  const Records r = records_of(data, size);
  const std::size_t n = r.starts.size() - 1;  // records
  if (n == 0) return LLVMFuzzerMutate(data, size, max_size);
  const std::size_t i = rng.below(n);
  const std::size_t begin = r.starts[i], end = r.starts[i + 1];
  std::vector<std::uint8_t> out(data, data + size);
  switch (rng.below(3)) {
    case 0: {  // insert a copy of record j before record i
      const std::size_t j = rng.below(n);
      std::vector<std::uint8_t> rec(data + r.starts[j], data + r.starts[j + 1]);
      if (size + rec.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(begin), rec.begin(), rec.end());
      break;
    }
    case 1:  // delete record i
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(begin),
                out.begin() + static_cast<std::ptrdiff_t>(end));
      break;
    default: {  // change: byte-mutate record i in place
      std::vector<std::uint8_t> rec(data + begin, data + end);
      rec.resize(rec.size() + 8);
      rec.resize(LLVMFuzzerMutate(rec.data(), end - begin, rec.size()));
      if (size - (end - begin) + rec.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(begin),
                out.begin() + static_cast<std::ptrdiff_t>(end));
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(begin), rec.begin(), rec.end());
      break;
    }
  }
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,
                                                 const std::uint8_t* data2, std::size_t size2,
                                                 std::uint8_t* out, std::size_t max_out_size,
                                                 unsigned int seed) {
  kmf::Rng rng(seed);
  const Records a = records_of(data1, size1);
  const Records b = records_of(data2, size2);
  // data1's header and first k records, then data2's records from m on.
  const std::size_t cut1 = a.starts[rng.below(a.starts.size())];
  const std::size_t cut2 = b.starts[rng.below(b.starts.size())];
  std::size_t n = 0;
  const std::size_t head = std::min(cut1, max_out_size);
  std::memcpy(out, data1, head);
  n = head;
  const std::size_t tail = std::min(size2 - cut2, max_out_size - n);
  std::memcpy(out + n, data2 + cut2, tail);
  return n + tail;
}
