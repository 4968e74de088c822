// kmf_text_test.cpp — the .kmf codec: the language example, canonical
// printing, the binding rules, and the exact place and wording of errors.
#include "ops/kmf_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "ops/tests/ops_test_util.h"

namespace kmf {
namespace {

using testing::DESIGN_EXAMPLE;
using testing::design_example_with_k1;

Program parse_ok(std::string_view text) {
  ParseResult r = parse_kmf(text, "t.kmf");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string()) << "\n--- in ---\n" << text;
  return r.ok() ? std::move(r).program() : Program{};
}

std::string parse_error(std::string_view text) {
  const ParseResult r = parse_kmf(text, "t.kmf");
  return r.ok() ? "parsed" : r.error().to_string();
}

void expect_round_trip(const Program& p) {
  const std::string printed = print_kmf(p);
  const ParseResult again = parse_kmf(printed, "printed.kmf");
  ASSERT_TRUE(again.ok()) << again.error().to_string() << "\n" << printed;
  EXPECT_EQ(again.program(), p) << printed;
  EXPECT_EQ(print_kmf(again.program()), printed);
}

// ---- the language example ---------------------------------------------------------------

TEST(KmfText, design_example_verbatim_fails_only_on_its_unbound_k1) {
  EXPECT_EQ(parse_error(DESIGN_EXAMPLE), "t.kmf:18:8: name 'k1' is not bound");
}

TEST(KmfText, design_example_parses_every_line_once_k1_is_bound) {
  const Program p = parse_ok(design_example_with_k1());
  ASSERT_EQ(p.ops.size(), 29u);  // 30 lines, one of them `machine`
  EXPECT_EQ(p.machine, (MachineConfig{160 * MiB, Profile::i386, KmallocProfile::linux_2_6_18, true, 1}));
  EXPECT_EQ(p.names, (std::vector<std::string>{"p0", "k0", "k1", "v0", "c0", "o0", "a0", "r0"}));
  EXPECT_EQ(p.ops[0], Op(GetFreePagesOp{0, 0, GFP_KERNEL}));
  EXPECT_EQ(p.ops[1], Op(KmallocOp{1, 100, GFP_KERNEL, false}));
  EXPECT_EQ(p.ops[2], Op(KmallocOp{2, 200 * KiB, GFP_KERNEL, false}));
  EXPECT_EQ(p.ops[3], Op(VmallocOp{3, 1000000, false}));
  EXPECT_EQ(p.ops[4], Op(CacheCreateOp{4, "foo", 72, 8, SLAB_NONE}));
  EXPECT_EQ(p.ops[5], Op(CacheAllocOp{5, 4, GFP_KERNEL}));
  EXPECT_EQ(p.ops[6], Op(AllocPagesOp{6, 3, GFP_DMA | GFP_ZERO}));
  EXPECT_EQ(p.ops[7], Op(IoremapOp{7, 0xfebf0000, 8 * KiB}));
  EXPECT_EQ(p.ops[8], Op(MemOp{MemVerb::write, 1, 0, 100, 0xab}));
  EXPECT_EQ(p.ops[9], Op(MemOp{MemVerb::check, 1, 0, 100, 0xab}));
  EXPECT_EQ(p.ops[10], Op(AtomicOp{true}));
  EXPECT_EQ(p.ops[11], Op(FailOp{false, FaultTarget::page_alloc, 100, 1, 1, 0, 0, true, true, {}}));
  EXPECT_EQ(p.ops[12], Op(ExpectOp{ExpectKind::in_direct_map, 1, false, 0, 0, ReportKind{}}));
  EXPECT_EQ(p.ops[13], Op(ExpectOp{ExpectKind::phys_contiguous, 3, true, 0, 0, ReportKind{}}));
  EXPECT_EQ(p.ops[14], Op(ExpectOp{ExpectKind::aligned, 1, false, 128, 0, ReportKind{}}));
  EXPECT_EQ(p.ops[15], Op(ExpectOp{ExpectKind::ksize, 1, false, 128, 0, ReportKind{}}));
  EXPECT_EQ(p.ops[16], Op(ExpectOp{ExpectKind::in_range, 3, false, 0xca800000, 0xff000000, ReportKind{}}));
  EXPECT_EQ(p.ops[17], Op(ExpectOp{ExpectKind::null, 2, false, 0, 0, ReportKind{}}));
  EXPECT_EQ(p.ops[18], Op(ExpectOp{ExpectKind::report, NO_SLOT, false, 0, 0, ReportKind::double_free}));
  EXPECT_EQ(p.ops[19], Op(ExpectOp{ExpectKind::free_pages, NO_SLOT, false, 40000, 0, ReportKind{}}));
  EXPECT_EQ(p.ops[20], Op(KfreeOp{1, 0}));
  EXPECT_EQ(p.ops[21], Op(FreePagesOp{0, std::nullopt}));
  EXPECT_EQ(p.ops[22], Op(FreePagesOp{6, 2u}));
  EXPECT_EQ(p.ops[23], Op(CacheFreeOp{4, 5, 0}));
  EXPECT_EQ(p.ops[24], Op(CacheDestroyOp{4}));
  EXPECT_EQ(p.ops[25], Op(VfreeOp{3, 0}));
  EXPECT_EQ(p.ops[26], Op(IounmapOp{7}));
  EXPECT_EQ(p.ops[27], Op(KfreeOp{NO_SLOT, 0}));
  EXPECT_EQ(p.ops[28], Op(PrintOp{PrintWhat::buddyinfo, NO_SLOT}));
}

TEST(KmfText, design_example_prints_in_the_documented_canonical_form) {
  const Program p = parse_ok(design_example_with_k1());
  EXPECT_EQ(print_kmf(p), R"(machine mem=160M profile=i386 kmalloc=2.6.18 seed=1 slab_debug=on
p0 = get_free_pages order=0 gfp=GFP_KERNEL
k0 = kmalloc 100 gfp=GFP_KERNEL
k1 = kmalloc 200K gfp=GFP_KERNEL
v0 = vmalloc 1000000
c0 = kmem_cache_create name=foo size=72 align=8
o0 = kmem_cache_alloc c0 gfp=GFP_KERNEL
a0 = alloc_pages order=3 gfp=GFP_DMA|GFP_ZERO
r0 = ioremap 0xfebf0000 8K
write k0 0 100 0xab
check k0 0 100 0xab
atomic on
fail page_alloc probability=100 min_order=0
expect k0 in direct_map
expect v0 not phys_contiguous
expect k0 aligned 128
expect k0 ksize 128
expect v0 in 0xca800000..0xff000000
expect k1 null
expect report double_free
expect free_pages 40000
kfree k0
free_pages p0
free_pages a0 order=2
kmem_cache_free c0 o0
kmem_cache_destroy c0
vfree v0
iounmap r0
kfree null
print buddyinfo
)");
  expect_round_trip(p);
}

// ---- forms that parse ---------------------------------------------------------------------

TEST(KmfText, empty_and_comment_only_files_are_the_empty_program_on_the_default_machine) {
  for (const char* text : {"", "\n\n", "# nothing\n   \t\n# more  \xff\xfe binary in a comment\n"}) {
    const Program p = parse_ok(text);
    EXPECT_EQ(p, Program{});
  }
  EXPECT_EQ(print_kmf(Program{}), "machine mem=160M profile=i386 kmalloc=2.6.18 seed=0 slab_debug=on\n");
}

TEST(KmfText, numbers_take_decimal_hex_and_k_m_g_suffixes_as_powers_of_1024) {
  const Program p = parse_ok(
      "a = kmalloc 0x10\nb = kmalloc 4K\nc = kmalloc 1m\nd = kmalloc 0x2G\ne = kmalloc 0\n"
      "f = kmalloc 18446744073709551615\ng = kmalloc 0XfF\nh = kmalloc 16777215G\n");
  const std::vector<std::uint64_t> want{16, 4096, MiB, 2 * GiB, 0, ~std::uint64_t{0}, 255, 16777215 * GiB};
  ASSERT_EQ(p.ops.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(std::get<KmallocOp>(p.ops[i]).size, want[i]) << i;
  expect_round_trip(p);
}

TEST(KmfText, sizes_print_in_the_largest_exact_unit_and_addresses_in_hex) {
  const Program p = parse_ok(
      "machine mem=0x4000000\na = kmalloc 1024\nb = kmalloc 1536\nc = vmalloc 3145728\nd = kmalloc "
      "1073741824\n"
      "r = ioremap 4096 4096\nwrite a 4096 16 255\n");
  EXPECT_EQ(print_kmf(p), R"(machine mem=64M profile=i386 kmalloc=2.6.18 seed=0 slab_debug=on
a = kmalloc 1K gfp=GFP_KERNEL
b = kmalloc 1536 gfp=GFP_KERNEL
c = vmalloc 3M
d = kmalloc 1G gfp=GFP_KERNEL
r = ioremap 0x1000 4K
write a 4096 16 0xff
)");
}

TEST(KmfText, whitespace_tabs_crlf_and_trailing_comments_are_ignored) {
  const Program p = parse_ok("  k0\t=\t kmalloc   100 \t gfp=GFP_KERNEL# c\r\n\r\nkfree\tk0\r\n");
  ASSERT_EQ(p.ops.size(), 2u);
  EXPECT_EQ(p.ops[0], Op(KmallocOp{0, 100, GFP_KERNEL, false}));
  EXPECT_EQ(p.ops[1], Op(KfreeOp{0, 0}));
}

TEST(KmfText, gfp_defaults_to_gfp_kernel_and_accepts_kernel_spellings) {
  const Program p = parse_ok(
      "a = kmalloc 8\nb = kzalloc 8 gfp=__GFP_ZERO|GFP_ATOMIC\nc = get_free_pages order=1 gfp=GFP_WAIT|0x2\n"
      "d = kmalloc 8 gfp=0\n");
  EXPECT_EQ(std::get<KmallocOp>(p.ops[0]).gfp, GFP_KERNEL);
  EXPECT_EQ(std::get<KmallocOp>(p.ops[1]).gfp, GFP_ZERO | GFP_ATOMIC);
  EXPECT_TRUE(std::get<KmallocOp>(p.ops[1]).zeroed);
  EXPECT_EQ(std::get<GetFreePagesOp>(p.ops[2]).gfp, GFP_DIRECT_RECLAIM | GFP_HIGHMEM);
  EXPECT_EQ(std::get<KmallocOp>(p.ops[3]).gfp, 0u);
  expect_round_trip(p);
}

TEST(KmfText, every_valid_gfp_mask_round_trips_through_print_and_parse) {
  Program p;
  for (gfp_t g = 0; g <= GFP_VALID_MASK; ++g)
    if ((g & ~GFP_VALID_MASK) == 0) p.add(KmallocOp{NO_SLOT, 8, g, false});
  expect_round_trip(p);
}

TEST(KmfText, machine_keys_are_optional_and_all_print) {
  const Program p = parse_ok("machine profile=x86_64 kmalloc=modern slab_debug=off mem=1G seed=0xff\n");
  EXPECT_EQ(p.machine, (MachineConfig{GiB, Profile::x86_64, KmallocProfile::modern, false, 255}));
  EXPECT_EQ(print_kmf(p), "machine mem=1G profile=x86_64 kmalloc=modern seed=255 slab_debug=off\n");
  EXPECT_EQ(parse_ok("machine\n").machine, MachineConfig{});
}

TEST(KmfText, fail_keys_default_to_fault_attr_and_print_only_when_changed) {
  const Program p = parse_ok(
      "fail page_alloc probability=5 interval=3 times=-1 space=8K min_order=2 ignore_gfp_wait=no "
      "ignore_gfp_highmem=no\nfail slab probability=0\nfail off\n");
  EXPECT_EQ(p.ops[0], Op(FailOp{false, FaultTarget::page_alloc, 5, 3, -1, 8192, 2, false, false, {}}));
  EXPECT_EQ(p.ops[1], Op(FailOp{false, FaultTarget::slab, 0, 1, 1, 0, 1, true, true, {}}));
  EXPECT_EQ(p.ops[2], Op(FAIL_OFF));
  EXPECT_EQ(print_kmf(p).substr(print_kmf(p).find('\n') + 1),
            "fail page_alloc probability=5 interval=3 times=-1 space=8K min_order=2 ignore_gfp_wait=no "
            "ignore_gfp_highmem=no\nfail slab probability=0\nfail off\n");
}

TEST(KmfText, fail_slab_takes_a_cache_filter_and_page_alloc_does_not) {
  const Program p = parse_ok("fail slab probability=100 times=-1 cache=size-128\n");
  EXPECT_EQ(p.ops[0], Op(FailOp{false, FaultTarget::slab, 100, 1, -1, 0, 1, true, true, "size-128"}));
  EXPECT_EQ(print_kmf(p).substr(print_kmf(p).find('\n') + 1),
            "fail slab probability=100 times=-1 cache=size-128\n");
  const ParseResult bad = parse_kmf("fail page_alloc probability=100 cache=size-128\n", "t.kmf");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("key 'cache' applies only to 'fail slab'"), std::string::npos)
      << bad.error().to_string();
}

TEST(KmfText, every_statement_form_round_trips) {
  const Program p = parse_ok(R"(machine mem=16M profile=x86_64 kmalloc=modern seed=7 slab_debug=off
k = kmalloc 100
z = kzalloc 64 gfp=GFP_KERNEL|GFP_DMA
k2 = krealloc k 200 gfp=GFP_ATOMIC
c = kmem_cache_create name=my-cache.v2 size=4K align=64 flags=SLAB_HWCACHE_ALIGN|SLAB_POISON|SLAB_RED_ZONE|SLAB_CACHE_DMA|SLAB_PANIC
c2 = kmem_cache_create name=c2 size=24
o = kmem_cache_alloc c
o2 = kmem_cache_alloc c2 gfp=GFP_NOWAIT
v = vzalloc 64K
pf = alloc_pages order=10 gfp=GFP_HIGHUSER
pv = get_free_pages order=11
r = ioremap 0 0
write o 0 24 0
scribble o 24 8 0x5a
expect pf in highmem
expect pv in lowmem
expect z in dma
expect v in vmalloc
expect k2 not null
expect c ok
expect o not aligned 64
expect z not in 0x0..0x1000
print slabinfo
print vmallocinfo
print meminfo
print k2
kmem_cache_shrink c
kmem_cache_free c2 o
kmem_cache_free c o+8
kfree v
vfree k2+4096
free_pages z order=0
iounmap v
kfree z
free_pages pf
free_pages pv order=3
atomic off
kmem_cache_free c o
kmem_cache_free c o
kmem_cache_destroy c
kmem_cache_destroy c
kfree z
scribble z 0 1 0
vfree v
vfree v
iounmap r
iounmap r
)");
  EXPECT_EQ(p.ops.size(), 46u);
  expect_round_trip(p);
}

// ---- binding rules -----------------------------------------------------------------------

TEST(KmfText, a_misuse_free_leaves_the_name_live) {
  // Wrong API, wrong order, wrong cache and interior frees change nothing in
  // the kernel, so the allocation may still be written afterwards.
  parse_ok(R"(v = vmalloc 8K
kfree v
write v 0 1 1
p = get_free_pages order=2
free_pages p order=1
write p 0 1 1
c = kmem_cache_create name=a size=32
d = kmem_cache_create name=b size=32
o = kmem_cache_alloc c
kmem_cache_free d o
kmem_cache_free c o+4
write o 0 1 1
k = kmalloc 8
kfree k+1
write k 0 1 1
)");
}

TEST(KmfText, a_proper_free_frees_the_name_and_only_misuse_positions_may_use_it) {
  const std::string prefix = "k = kmalloc 8\nkfree k\n";
  for (const char* ok :
       {"kfree k", "kfree k+8", "scribble k 0 8 0", "vfree k", "iounmap k", "free_pages k order=0"})
    parse_ok(prefix + ok);
  EXPECT_EQ(parse_error(prefix + "write k 0 1 0"), "t.kmf:3:7: name 'k' was freed at line 2");
  EXPECT_EQ(parse_error(prefix + "check k 0 1 0"), "t.kmf:3:7: name 'k' was freed at line 2");
  EXPECT_EQ(parse_error(prefix + "k2 = krealloc k 9"), "t.kmf:3:15: name 'k' was freed at line 2");
  EXPECT_EQ(parse_error(prefix + "expect k ok"), "t.kmf:3:8: name 'k' was freed at line 2");
  EXPECT_EQ(parse_error(prefix + "print k"), "t.kmf:3:7: name 'k' was freed at line 2");
}

TEST(KmfText, krealloc_consumes_its_source) {
  const std::string prefix = "k = kmalloc 8\nk2 = krealloc k 16\n";
  parse_ok(prefix + "kfree k\nwrite k2 0 16 1");
  EXPECT_EQ(parse_error(prefix + "write k 0 1 0"), "t.kmf:3:7: name 'k' was consumed by krealloc at line 2");
  EXPECT_EQ(parse_error("v = vmalloc 8\nk = krealloc v 16\n"),
            "t.kmf:2:14: 'v' is not a kmalloc allocation (bound by vmalloc at line 1)");
}

TEST(KmfText, a_cache_is_destroyed_only_when_it_has_no_live_object) {
  const std::string prefix = "c = kmem_cache_create name=x size=8\no = kmem_cache_alloc c\n";
  // With o live, destroy is the cache_leak misuse and the cache stays usable.
  parse_ok(prefix + "kmem_cache_destroy c\no2 = kmem_cache_alloc c\n");
  EXPECT_EQ(parse_error(prefix + "kmem_cache_free c o\nkmem_cache_destroy c\nkmem_cache_shrink c\n"),
            "t.kmf:5:19: cache 'c' was destroyed at line 4");
  EXPECT_EQ(parse_error(prefix + "kmem_cache_free c o\nkmem_cache_destroy c\nkmem_cache_free c o\n"),
            "t.kmf:5:17: cache 'c' was destroyed at line 4");
}

// ---- errors: exact message, line and column ----------------------------------------------

struct BadCase {
  std::string text;
  std::string error;
};

TEST(KmfText, each_bad_input_gets_its_exact_message_at_the_offending_token) {
  const std::vector<BadCase> cases{
      {"frobnicate k0\n", "t.kmf:1:1: unknown operation 'frobnicate'"},
      {"x = frob 1\n", "t.kmf:1:5: unknown operation 'frob'"},
      {"# c\n\n   \t# x\nbogus\n", "t.kmf:4:1: unknown operation 'bogus'"},
      {"kfree k9\n", "t.kmf:1:7: name 'k9' is not bound"},
      {"k0 = kmalloc 1\n\nk0 = kmalloc 2\n", "t.kmf:3:1: name 'k0' is already bound at line 1"},
      {"k0 = kmalloc 8\nkfree k0\nwrite k0 0 1 0\n", "t.kmf:3:7: name 'k0' was freed at line 2"},
      {"k0 = kmalloc 18446744073709551616\n", "t.kmf:1:14: size '18446744073709551616' overflows 64 bits"},
      {"k0 = kmalloc 17179869184G\n", "t.kmf:1:14: size '17179869184G' overflows 64 bits"},
      {"r0 = ioremap 0x10000000000000000 4K\n",
       "t.kmf:1:14: physical address '0x10000000000000000' overflows 64 bits"},
      {"p0 = get_free_pages order=-1\n", "t.kmf:1:27: negative order '-1'"},
      {"k0 = kmalloc -5\n", "t.kmf:1:14: negative size '-5'"},
      {"p0 = alloc_pages order=64\n", "t.kmf:1:24: order 64 is out of range (0..63)"},
      {"k0 = kmalloc 8 gfp=GFP_KERNEL|GFP_BOGUS\n", "t.kmf:1:31: unknown gfp flag 'GFP_BOGUS'"},
      {"k0 = kmalloc 8 gfp=GFP_KERNEL|\n", "t.kmf:1:31: missing gfp flag"},
      {"expect report double_trouble\n", "t.kmf:1:15: unknown report kind 'double_trouble'"},
      {"k0 = vmalloc 4096 extra\n", "t.kmf:1:19: unexpected token 'extra'"},
      {"atomic on off\n", "t.kmf:1:11: unexpected token 'off'"},
      {std::string("k0 = kmalloc 8\0\n", 16), "t.kmf:1:15: unexpected byte 0x00"},
      {"\x7f\x45\x4c\x46\x02\x01\x01", "t.kmf:1:1: unexpected byte 0x7f"},
      {"k0 = kmalloc 8 gfp=GFP_KERNEL \xc3\x28\n", "t.kmf:1:31: unexpected byte 0xc3"},
      {"k0 = kmalloc\n", "t.kmf:1:13: missing size"},
      {"k0 = kmalloc gfp=GFP_KERNEL\n", "t.kmf:1:14: missing size before 'gfp=GFP_KERNEL'"},
      {"p0 = alloc_pages gfp=GFP_KERNEL\n", "t.kmf:1:32: missing key 'order'"},
      {"k0 = kmalloc 8 flags=1\n", "t.kmf:1:16: unknown key 'flags' for kmalloc (keys: gfp)"},
      {"k0 = kmalloc 8 gfp=GFP_KERNEL gfp=GFP_ATOMIC\n", "t.kmf:1:31: duplicate key 'gfp'"},
      {"k0 = kmalloc 8 gfp=\n", "t.kmf:1:20: missing value for key 'gfp'"},
      {"k0 = kmalloc 12q\n", "t.kmf:1:14: bad number '12q' for size"},
      {"k0 = kmalloc 0x\n", "t.kmf:1:14: bad number '0x' for size"},
      {"k0 = kmalloc 8\no0 = kmem_cache_alloc k0\n",
       "t.kmf:2:23: 'k0' is not a cache (bound by kmalloc at line 1)"},
      {"c0 = kmem_cache_create name=x size=8\nkfree c0\n", "t.kmf:2:7: 'c0' is a cache, not memory"},
      {"k0 = kmalloc 8\nmachine mem=16M\n", "t.kmf:2:1: 'machine' must be the first statement"},
      {"machine mem=512K\n", "t.kmf:1:13: mem '512K' is out of range (1M..64G)"},
      {"machine profile=arm64\n", "t.kmf:1:17: unknown profile 'arm64' (i386 or x86_64)"},
      {"machine kmalloc=2.6.32\n", "t.kmf:1:17: unknown kmalloc profile '2.6.32' (2.6.18 or modern)"},
      {"kmalloc 8\n", "t.kmf:1:1: 'kmalloc' binds a result: write 'NAME = kmalloc ...'"},
      {"k0 = kfree k0\n", "t.kmf:1:6: 'kfree' does not bind a result"},
      {"null = kmalloc 8\n", "t.kmf:1:1: 'null' is a reserved word, not a name"},
      {"9k = kmalloc 8\n", "t.kmf:1:1: bad name '9k' (names are [A-Za-z_][A-Za-z0-9_]*)"},
      {"k0 =\n", "t.kmf:1:5: missing operation after '='"},
      {"k0=kmalloc 8\n",
       "t.kmf:1:1: unknown operation 'k0=kmalloc' (a binding is 'NAME = OP ...', with spaces)"},
      {"k0 = kmalloc 8\nfree_pages k0\n",
       "t.kmf:2:12: free_pages of 'k0' needs order= (bound by kmalloc at line 1)"},
      {"fail slab probability=101\n", "t.kmf:1:23: probability 101 is out of range (0..100)"},
      {"fail slab probability=1 min_order=0\n",
       "t.kmf:1:25: key 'min_order' applies only to 'fail page_alloc'"},
      {"fail page_alloc times=1\n", "t.kmf:1:24: missing key 'probability'"},
      {"fail page_alloc probability=1 interval=0\n", "t.kmf:1:40: interval must be at least 1"},
      {"fail page_alloc probability=1 times=-2\n", "t.kmf:1:37: negative times '-2'"},
      {"fail sometimes\n", "t.kmf:1:6: expected page_alloc, slab or off, got 'sometimes'"},
      {"fail page_alloc probability=1 ignore_gfp_wait=maybe\n",
       "t.kmf:1:47: expected 'yes' or 'no', got 'maybe'"},
      {"atomic maybe\n", "t.kmf:1:8: expected 'on' or 'off', got 'maybe'"},
      {"c0 = kmem_cache_create name=x size=8\nexpect c0 aligned 8\n",
       "t.kmf:2:11: 'c0' is a cache: only 'null' and 'ok' apply"},
      {"c0 = kmem_cache_create size=8\n", "t.kmf:1:30: missing key 'name'"},
      {"c0 = kmem_cache_create name=x size=8 flags=SLAB_POISON|SLAB_FOO\n",
       "t.kmf:1:56: unknown slab flag 'SLAB_FOO'"},
      {"v0 = vmalloc 8\nexpect v0 in 0x2..0x1\n", "t.kmf:2:14: range start is above its end"},
      {"v0 = vmalloc 8\nexpect v0 in 0x2..zz\n", "t.kmf:2:19: bad number 'zz' for range end"},
      {"v0 = vmalloc 8\nexpect v0 in nowhere\n",
       "t.kmf:2:14: expected direct_map, vmalloc, dma, lowmem, highmem or LO..HI, got 'nowhere'"},
      {"v0 = vmalloc 8\nexpect v0 happy\n",
       "t.kmf:2:11: unknown expectation 'happy' (in, phys_contiguous, aligned, ksize, null or ok)"},
      {"expect\n", "t.kmf:1:7: missing name, 'report' or 'free_pages'"},
      {"kfree null+8\n", "t.kmf:1:11: 'null' takes no offset"},
      {"k0 = kmalloc 8\nkfree k0+\n", "t.kmf:2:10: missing offset after '+'"},
      {"k0 = kmalloc 8\nwrite k0 0 1 256\n", "t.kmf:2:14: byte 256 is out of range (0..255)"},
      {"k0 = kmalloc 8\nwrite null 0 1 1\n", "t.kmf:2:7: 'null' is not allowed here"},
      {"k0 = kmalloc 8\nwrite 3 0 1 1\n", "t.kmf:2:7: expected a name, got '3'"},
      {"print everything\n", "t.kmf:1:7: name 'everything' is not bound"},
      {"k0 = kmalloc 8\nk1 = krealloc k0 16\nwrite k0 0 1 0\n",
       "t.kmf:3:7: name 'k0' was consumed by krealloc at line 2"},
  };
  for (const BadCase& c : cases) EXPECT_EQ(parse_error(c.text), c.error) << "input: " << c.text;
}

TEST(KmfText, error_messages_quote_at_most_40_bytes_of_a_token) {
  const std::string line(1 << 20, 'a');
  EXPECT_EQ(parse_error(line), "t.kmf:1:1: unknown operation '" + std::string(40, 'a') + "...'");
  EXPECT_EQ(parse_error("k0 = kmalloc 8 gfp=\x01\x02"), "t.kmf:1:20: unexpected byte 0x01");
}

TEST(KmfText, a_one_megabyte_line_parses_when_it_is_valid) {
  std::string spaced = "k0 =" + std::string(1 << 20, ' ') + "kmalloc\t8";
  EXPECT_EQ(parse_ok(spaced).ops.size(), 1u);
  std::string commented = "k0 = kmalloc 8 #" + std::string(1 << 20, '\xff');
  EXPECT_EQ(parse_ok(commented).ops.size(), 1u);
  std::string gfp = "k0 = kmalloc 8 gfp=GFP_KERNEL";
  for (int i = 0; i < 50000; ++i) gfp += "|GFP_ZERO";
  EXPECT_EQ(std::get<KmallocOp>(parse_ok(gfp).ops[0]).gfp, GFP_KERNEL | GFP_ZERO);
}

TEST(KmfText, a_hundred_megabytes_of_text_parse_in_linear_time) {
  // 100 MB of blank and comment lines, then 100k statements (a few MB).
  std::string text;
  text.reserve(110u << 20);
  const std::string filler = "   # " + std::string(90, 'x') + "\n\t\n";
  while (text.size() < (100u << 20)) text += filler;
  text += "k0 = kmalloc 4K\n";
  for (int i = 0; i < 100000; ++i) text += "write k0 0 4096 0x5a\n";
  const auto start = std::chrono::steady_clock::now();
  const Program p = parse_ok(text);
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(p.ops.size(), 100001u);
  EXPECT_LT(seconds, 20.0) << "the parser should be linear (it took " << seconds << " s)";
  const auto last_line = std::count(text.begin(), text.end(), '\n') + 1;
  text += "oops\n";  // in place: no second 100 MB copy
  EXPECT_EQ(parse_error(text), "t.kmf:" + std::to_string(last_line) + ":1: unknown operation 'oops'");
}

TEST(KmfText, the_kernels_own_spellings_mean_the_canonical_ops) {
  const Program p = parse_ok(
      "a = get_free_page gfp=0\nb = get_zeroed_page\nc = __get_free_page\nd = __get_free_pages order=2\n"
      "e = alloc_page gfp=GFP_HIGHUSER\nf = kcalloc 10 12\ng = kmalloc_array 3 20 gfp=GFP_ATOMIC\n"
      "h = kmalloc_array 4294967296 4294967297\ni = vmalloc_32 5000\nj = vmalloc_user 5000\n"
      "k = vmalloc_32_user 1\nfree_page a\n__free_page c\n__free_pages e order=0\n");
  ASSERT_EQ(p.ops.size(), 14u);
  EXPECT_EQ(p.ops[0], Op(GetFreePagesOp{0, 0, GFP_ZERO}));
  EXPECT_EQ(p.ops[1], Op(GetFreePagesOp{1, 0, GFP_KERNEL | GFP_ZERO}));
  EXPECT_EQ(p.ops[2], Op(GetFreePagesOp{2, 0, GFP_KERNEL}));
  EXPECT_EQ(p.ops[3], Op(GetFreePagesOp{3, 2, GFP_KERNEL}));
  EXPECT_EQ(p.ops[4], Op(AllocPagesOp{4, 0, GFP_HIGHUSER}));
  EXPECT_EQ(p.ops[5], Op(KmallocOp{5, 120, GFP_KERNEL, true}));
  EXPECT_EQ(p.ops[6], Op(KmallocOp{6, 60, GFP_ATOMIC, false}));
  EXPECT_EQ(p.ops[7], Op(KmallocOp{7, ~std::uint64_t{0}, GFP_KERNEL, false}));  // overflow saturates
  EXPECT_EQ(p.ops[8], Op(VmallocOp{8, 5000, false, true, false}));
  EXPECT_EQ(p.ops[9], Op(VmallocOp{9, 5000, true, false, true}));
  EXPECT_EQ(p.ops[10], Op(VmallocOp{10, 1, true, true, true}));
  EXPECT_EQ(p.ops[11], Op(FreePagesOp{0, 0u}));
  EXPECT_EQ(p.ops[13], Op(FreePagesOp{4, 0u}));
  expect_round_trip(p);
  const std::string printed = print_kmf(p);
  EXPECT_NE(printed.find("i = vmalloc_32 5000\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("j = vmalloc_user 5000\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("k = vmalloc_32_user 1\n"), std::string::npos) << printed;
  EXPECT_EQ(parse_error("p = alloc_page\n__free_pages p\n"),
            "t.kmf:2:15: missing key 'order' (__free_pages NAME order=K)");
  EXPECT_EQ(parse_error("free_page = 3\n"), "t.kmf:1:13: unknown operation '3'");
  EXPECT_EQ(parse_error("get_zeroed_page\n"),
            "t.kmf:1:1: 'get_zeroed_page' binds a result: write 'NAME = get_zeroed_page ...'");
}

TEST(KmfText, a_byte_order_mark_gets_its_own_message) {
  EXPECT_EQ(
      parse_error("\xef\xbb\xbfmachine mem=16M\n"),
      "t.kmf:1:1: the file starts with a UTF-8 byte-order mark (bytes ef bb bf); scripts are ASCII: save it "
      "without the BOM");
}

TEST(KmfText, sources_give_each_ops_line_and_token_columns) {
  std::vector<OpSource> src;
  const ParseResult r =
      parse_kmf("machine mem=16M\n# c\nk = kmalloc 100\n  write k 0 200 0x11\n", "t.kmf", &src);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(src.size(), 2u);
  EXPECT_EQ(src[0].line, 3u);
  EXPECT_EQ(src[0].columns, (std::vector<std::size_t>{5, 13}));  // after `k =`: the verb, then 100
  EXPECT_EQ(src[1].line, 4u);
  EXPECT_EQ(src[1].columns, (std::vector<std::size_t>{3, 9, 11, 13, 17}));
}

TEST(KmfText, print_op_prints_one_statement_and_tolerates_unknown_slots) {
  const std::vector<std::string> names{"k0"};
  EXPECT_EQ(print_op(KfreeOp{0, 8}, names), "kfree k0+8");
  EXPECT_EQ(print_op(KfreeOp{3, 0}, names), "kfree <slot 3>");
  EXPECT_EQ(slab_flags_to_string(SLAB_POISON | 0x100), "SLAB_POISON|0x100");
}

TEST(KmfText, keywords_cover_ops_keys_gfp_and_report_names) {
  const auto words = kmf_keywords();
  for (const char* w : {"kmalloc", "kmem_cache_create", "gfp=", "GFP_KERNEL", "double_free", "SLAB_POISON",
                        "phys_contiguous", "buddyinfo", "ignore_gfp_highmem="})
    EXPECT_NE(std::find(words.begin(), words.end(), w), words.end()) << w;
}

}  // namespace
}  // namespace kmf
