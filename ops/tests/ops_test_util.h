// ops_test_util.h — helpers shared by the ops tests: random bytes and the
// language example script (seeds come from alloc/tests/test_util.h).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "alloc/fault.h"
#include "alloc/tests/test_util.h"  // test_seed
#include "ops/kmf_text.h"
#include "ops/op.h"

namespace kmf {
/// gtest shows Programs as scripts.
inline void PrintTo(const Program& p, std::ostream* os) { *os << "\n" << print_kmf(p); }
}  // namespace kmf

namespace kmf::testing {

/// An empty program on the machine an empty binary input decodes to (so that
/// hand-built programs are in the binary range).
inline Program binary_program() {
  Program p;
  p.machine = MachineConfig{16 * MiB, Profile::i386, KmallocProfile::linux_2_6_18, true, 0};
  return p;
}

/// `n` bytes from `rng`, with runs of small values mixed in so that short
/// slot indices and table entries come up often.
inline std::vector<std::uint8_t> random_bytes(Rng& rng, std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) {
    const auto r = rng.next();
    b = static_cast<std::uint8_t>((r & 0x300) == 0 ? (r >> 16) % 8 : r >> 24);
  }
  return out;
}

/// The language's example script (every statement), verbatim. Note that it uses `k1` (line 18) without
/// binding it, so as a whole it is a bind error; WITH_K1 adds the binding.
inline constexpr const char* DESIGN_EXAMPLE = R"(machine mem=160M profile=i386 kmalloc=2.6.18 seed=1
p0 = get_free_pages order=0 gfp=GFP_KERNEL
k0 = kmalloc 100 gfp=GFP_KERNEL
v0 = vmalloc 1000000
c0 = kmem_cache_create name=foo size=72 align=8
o0 = kmem_cache_alloc c0 gfp=GFP_KERNEL
a0 = alloc_pages order=3 gfp=GFP_DMA|GFP_ZERO
r0 = ioremap 0xfebf0000 8K
write k0 0 100 0xab            # offset length byte
check k0 0 100 0xab            # read back and compare
atomic on                      # enter atomic context; `atomic off` leaves
fail page_alloc probability=100 times=1 min_order=0   # also: fail slab …, fail off
expect k0 in direct_map        # direct_map | vmalloc | dma | lowmem | highmem
expect v0 not phys_contiguous  # phys_contiguous | not phys_contiguous
expect k0 aligned 128
expect k0 ksize 128
expect v0 in 0xca800000..0xff000000   # virtual address in a half-open range
expect k1 null                 # null | ok
expect report double_free      # the last op produced this report kind
expect free_pages 40000        # total free frames, exact
kfree k0
free_pages p0                  # order taken from the binding
free_pages a0 order=2          # explicit (wrong) order: a misuse op
kmem_cache_free c0 o0
kmem_cache_destroy c0
vfree v0
iounmap r0
kfree null
print buddyinfo                # buddyinfo | slabinfo | vmallocinfo | meminfo | NAME
)";

/// The example with `k1 = kmalloc 200K gfp=GFP_KERNEL` inserted as line 4.
inline std::string design_example_with_k1() {
  std::string s = DESIGN_EXAMPLE;
  const auto line4 = s.find("v0 = vmalloc");
  s.insert(line4, "k1 = kmalloc 200K gfp=GFP_KERNEL\n");
  return s;
}

}  // namespace kmf::testing
