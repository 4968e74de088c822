// binary_codec_test.cpp — the fuzzers' binary form: totality, the
// decode/encode and parse/print round trips, shaping, caps and families.
#include "ops/binary_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <tuple>

#include "check/kernel_checker.h"
#include "ops/kmf_text.h"
#include "ops/tests/ops_test_util.h"

namespace kmf {
namespace {

using testing::binary_program;
using testing::random_bytes;
using testing::test_seed;

std::string show(const Program& p) { return print_kmf(p); }

/// Every property the codecs promise for one decoded program.
void expect_codec_properties(std::span<const std::uint8_t> bytes, const CodecOptions& options = {}) {
  const Program p = decode_program(bytes, options);
  ASSERT_LE(p.ops.size(), MAX_DECODED_OPS);
  std::size_t dropped = 99;
  const std::vector<std::uint8_t> enc = encode_program(p, options, &dropped);
  EXPECT_EQ(dropped, 0u) << show(p);
  const Program again = decode_program(enc, options);
  ASSERT_EQ(again, p) << "decode(encode(p)) != p\n--- p ---\n" << show(p) << "--- again ---\n" << show(again);
  EXPECT_EQ(encode_program(again, options), enc) << "encode is not stable";
  const std::string text = print_kmf(p);
  const ParseResult parsed = parse_kmf(text, "decoded.kmf");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string() << "\n" << text;
  EXPECT_EQ(parsed.program(), p) << text;
}

TEST(BinaryCodec, empty_input_is_the_empty_program_on_a_16_mib_i386_machine) {
  const Program p = decode_program({});
  EXPECT_TRUE(p.ops.empty());
  EXPECT_EQ(p.machine, (MachineConfig{16 * MiB, Profile::i386, KmallocProfile::linux_2_6_18, true, 0}));
  EXPECT_EQ(encode_program(p), (std::vector<std::uint8_t>{0, 0, 0}));
}

TEST(BinaryCodec, the_header_reaches_small_machines_and_the_zone_boundaries_up_to_8_gib) {
  std::set<std::uint64_t> mems;
  std::set<std::pair<Profile, KmallocProfile>> profiles;
  unsigned large = 0;
  for (unsigned cfg = 0; cfg < 256; ++cfg) {
    const std::array<std::uint8_t, 3> header{static_cast<std::uint8_t>(cfg), 0x34, 0x12};
    const Program p = decode_program(header);
    mems.insert(p.machine.mem_bytes);
    profiles.insert({p.machine.profile, p.machine.kmalloc});
    large += p.machine.mem_bytes > 896 * MiB;
    EXPECT_EQ(p.machine.seed, 0x1234u);
    EXPECT_TRUE(p.machine.slab_debug);
    EXPECT_EQ(encode_program(p), std::vector<std::uint8_t>(header.begin(), header.end()));
  }
  EXPECT_EQ(mems.size(), 64u);
  EXPECT_EQ(*mems.begin(), 1 * MiB);
  EXPECT_EQ(*mems.rbegin(), 8 * GiB);
  for (std::uint64_t mib = 1; mib <= 32; ++mib) EXPECT_TRUE(mems.count(mib * MiB)) << mib << " MiB";
  // lowmem's end on i386 (ZONE_HIGHMEM above), 1.5 GiB, DMA32's end on x86_64.
  for (std::uint64_t mib : {64, 895, 896, 897, 1536, 4096, 4097})
    EXPECT_TRUE(mems.count(mib * MiB)) << mib << " MiB";
  // 17 of the 64 sizes (each profile alike) lie above 896 MiB.
  EXPECT_EQ(large, 4u * 17u);
  EXPECT_EQ(profiles.size(), 4u);
  // Bit 7 of the seed's high byte: slab_debug off, the seed keeps 15 bits.
  const std::array<std::uint8_t, 3> nodebug{0, 0x34, 0x92};
  const Program q = decode_program(nodebug);
  EXPECT_FALSE(q.machine.slab_debug);
  EXPECT_EQ(q.machine.seed, 0x1234u);
  EXPECT_EQ(encode_program(q), std::vector<std::uint8_t>(nodebug.begin(), nodebug.end()));
}

TEST(BinaryCodec, machine_sizes_outside_the_table_round_down_to_a_table_size) {
  Program p = testing::binary_program();
  for (auto [mib, want] : std::initializer_list<std::pair<std::uint64_t, std::uint64_t>>{
           {33, 32}, {100, 96}, {1500, 1280}, {5000, 4097}, {64 * 1024, 8192}}) {
    p.machine.mem_bytes = mib * MiB;
    EXPECT_EQ(decode_program(encode_program(p)).machine.mem_bytes, want * MiB) << mib;
  }
}

TEST(BinaryCodec, interior_frees_are_strictly_inside_the_object) {
  // An offset equal to the size is one past the end: for a page-multiple
  // large kmalloc that is the next (free) page, and the kernel rightly calls
  // its free a double_free, not an invalid_free.
  Rng rng(test_seed(0x1a7e));
  std::size_t interior = 0;
  for (int i = 0; i < 3000; ++i) {
    const Program p = decode_program(random_bytes(rng, 200));
    std::vector<std::uint64_t> size(p.nr_slots(), 0);
    for (const Op& op : p.ops) {
      if (const auto* o = std::get_if<KmallocOp>(&op)) size[static_cast<std::size_t>(o->dst)] = o->size;
      if (const auto* o = std::get_if<KreallocOp>(&op)) size[static_cast<std::size_t>(o->dst)] = o->size;
      if (const auto* o = std::get_if<VmallocOp>(&op)) size[static_cast<std::size_t>(o->dst)] = o->size;
      std::uint64_t off = 0;
      Slot s = NO_SLOT;
      if (const auto* o = std::get_if<KfreeOp>(&op)) std::tie(s, off) = std::pair{o->src, o->offset};
      if (const auto* o = std::get_if<VfreeOp>(&op)) std::tie(s, off) = std::pair{o->src, o->offset};
      if (off == 0 || s == NO_SLOT) continue;
      ++interior;
      const std::uint64_t n = size[static_cast<std::size_t>(s)];
      ASSERT_GE(off, 1u);
      ASSERT_LT(off, n) << print_kmf(p);
    }
  }
  EXPECT_GT(interior, 100u);
  // The encoder agrees: an offset equal to the size has no binary form.
  Program p = testing::binary_program();
  p.add(KmallocOp{NO_SLOT, 8192, GFP_KERNEL, false});
  p.add(KfreeOp{0, 8192});
  p.add(KfreeOp{0, 8191});
  std::size_t dropped = 0;
  const Program back = decode_program(encode_program(p, {}, &dropped));
  EXPECT_EQ(dropped, 1u);
  ASSERT_EQ(back.ops.size(), 2u);
  EXPECT_EQ(back.ops[1], Op(KfreeOp{0, 8191}));
  // One byte has no interior: the record is skipped.
  Program one = testing::binary_program();
  one.add(KmallocOp{NO_SLOT, 1, GFP_KERNEL, false});
  one.add(KfreeOp{0, 1});
  encode_program(one, {}, &dropped);
  EXPECT_EQ(dropped, 1u);
}

TEST(BinaryCodec, anchored_scribbles_reach_the_slack_and_red_zone_after_the_size_class) {
  // kmalloc(100) on 2.6.18 is a size-128 object: bytes 100..127 are its
  // slack, the red zone starts at 128. Anchored scribbles cover 96..223.
  Program p = testing::binary_program();
  p.add(KmallocOp{NO_SLOT, 100, GFP_KERNEL, false});
  // Twice the class (bit 22) covers 224..351: the red zone of a size-128
  // object ends at 256, its stride.
  for (std::uint64_t off : {96u, 127u, 128u, 130u, 223u, 255u, 351u})
    p.add(MemOp{MemVerb::scribble, 0, off, 2, 0x41});
  p.add(MemOp{MemVerb::scribble, 0, 352, 2, 0x41});  // past every form
  std::size_t dropped = 0;
  const Program back = decode_program(encode_program(p, {}, &dropped));
  EXPECT_EQ(dropped, 1u);
  ASSERT_EQ(back.ops.size(), 8u);
  for (std::size_t i = 1; i < 8; ++i) EXPECT_EQ(back.ops[i], p.ops[i]);
  // Random inputs reach past a kmalloc's size class far more often than the
  // requested-size form alone would.
  Rng rng(test_seed(0x5c7b));
  std::size_t past_class = 0;
  for (int i = 0; i < 8000; ++i) {
    const Program q = decode_program(random_bytes(rng, 200));
    std::vector<std::uint64_t> cls(q.nr_slots(), 0);
    for (const Op& op : q.ops) {
      if (const auto* o = std::get_if<KmallocOp>(&op))
        cls[static_cast<std::size_t>(o->dst)] = kmalloc_size_class(q.machine.kmalloc, o->size);
      if (const auto* o = std::get_if<MemOp>(&op); o && o->verb == MemVerb::scribble) {
        const std::uint64_t c = cls[static_cast<std::size_t>(o->src)];
        past_class += c > 0 && o->offset >= c && o->offset < c + 64;
      }
    }
  }
  EXPECT_GT(past_class, 40u);  // about 80 expected
}

TEST(BinaryCodec, decoded_random_inputs_round_trip_through_both_codecs) {
  Rng rng(test_seed(0x6b6d66));
  for (int i = 0; i < 3000; ++i) {
    const std::size_t n = rng.below(i < 2000 ? 200 : 3000);
    const std::vector<std::uint8_t> bytes = random_bytes(rng, n);
    SCOPED_TRACE("input #" + std::to_string(i) + " of " + std::to_string(n) + " bytes");
    expect_codec_properties(bytes);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(BinaryCodec, each_op_family_decodes_only_its_ops_and_round_trips) {
  Rng rng(test_seed(0xfa417));
  for (std::uint32_t families :
       {std::uint32_t{FAMILY_PAGES}, FAMILY_PAGES | FAMILY_MEMORY, std::uint32_t{FAMILY_SLAB},
        FAMILY_SLAB | FAMILY_MISUSE, FAMILY_VMALLOC | FAMILY_MEMORY | FAMILY_FAULTS, std::uint32_t{0}}) {
    const CodecOptions options{families};
    for (int i = 0; i < 300; ++i) {
      const std::vector<std::uint8_t> bytes = random_bytes(rng, rng.below(400));
      expect_codec_properties(bytes, options);
      if (::testing::Test::HasFatalFailure()) return;
      for (const Op& op : decode_program(bytes, options).ops) {
        if (!(families & FAMILY_SLAB)) {
          EXPECT_FALSE(std::holds_alternative<KmallocOp>(op) || std::holds_alternative<CacheCreateOp>(op));
        }
        if (!(families & FAMILY_PAGES)) {
          EXPECT_FALSE(std::holds_alternative<AllocPagesOp>(op) ||
                       std::holds_alternative<GetFreePagesOp>(op));
        }
        if (!(families & FAMILY_VMALLOC)) {
          EXPECT_FALSE(std::holds_alternative<VmallocOp>(op));
        }
        if (!(families & FAMILY_FAULTS)) {
          EXPECT_FALSE(std::holds_alternative<FailOp>(op));
        }
        if (!(families & FAMILY_MEMORY)) {
          const auto* m = std::get_if<MemOp>(&op);
          EXPECT_FALSE(m && m->verb == MemVerb::write);
        }
      }
    }
  }
}

/// Which shapes of op the decoder produced over many inputs.
std::set<std::string> op_shapes(const Program& p) {
  std::set<std::string> shapes;
  for (const Op& op : p.ops) {
    std::string s = print_op(op, p.names);
    // Keep the verb and whether it carries an offset or an explicit order.
    const auto eq = s.find(" = ");
    if (eq != std::string::npos) s = s.substr(eq + 3);
    std::string shape = s.substr(0, s.find(' '));
    if (s.find('+') != std::string::npos) shape += " +off";
    if (shape == "free_pages" && s.find("order=") != std::string::npos) shape += " order=";
    shapes.insert(shape);
  }
  return shapes;
}

TEST(BinaryCodec, random_inputs_reach_every_op_kind_and_misuse_variant) {
  Rng rng(test_seed(0x5ba9e5));
  std::set<std::string> shapes;
  bool double_free = false, wrong_cache = false, wrong_api = false, double_destroy = false;
  for (int i = 0; i < 2000; ++i) {
    const Program p = decode_program(random_bytes(rng, 300));
    for (const auto& s : op_shapes(p)) shapes.insert(s);
    // Replay the static slot state to classify frees.
    std::vector<bool> freed(p.nr_slots(), false);
    std::vector<Slot> owner(p.nr_slots(), NO_SLOT);
    std::vector<char> kind(p.nr_slots(), '?');
    for (const Op& op : p.ops) {
      if (const auto* o = std::get_if<CacheAllocOp>(&op)) owner[static_cast<std::size_t>(o->dst)] = o->cache;
      if (const Slot d = op_dst(op); d != NO_SLOT)
        kind[static_cast<std::size_t>(d)] = p.names[static_cast<std::size_t>(d)][0];
      if (const auto* o = std::get_if<KfreeOp>(&op)) {
        if (kind[static_cast<std::size_t>(o->src)] != 'k') wrong_api = true;
        if (freed[static_cast<std::size_t>(o->src)]) double_free = true;
        if (o->offset == 0 && kind[static_cast<std::size_t>(o->src)] == 'k')
          freed[static_cast<std::size_t>(o->src)] = true;
      }
      if (const auto* o = std::get_if<CacheFreeOp>(&op)) {
        if (kind[static_cast<std::size_t>(o->obj)] == 'o' &&
            owner[static_cast<std::size_t>(o->obj)] != o->cache)
          wrong_cache = true;
      }
      if (const auto* o = std::get_if<CacheDestroyOp>(&op)) {
        if (freed[static_cast<std::size_t>(o->cache)]) double_destroy = true;
        bool has_live = false;
        for (std::size_t s = 0; s < owner.size(); ++s) has_live |= owner[s] == o->cache && !freed[s];
        if (!has_live) freed[static_cast<std::size_t>(o->cache)] = true;
      }
      if (const auto* o = std::get_if<CacheFreeOp>(&op);
          o && o->offset == 0 && owner[static_cast<std::size_t>(o->obj)] == o->cache)
        freed[static_cast<std::size_t>(o->obj)] = true;
    }
  }
  for (const char* s : {"alloc_pages",
                        "get_free_pages",
                        "free_pages",
                        "free_pages order=",
                        "kmalloc",
                        "kzalloc",
                        "krealloc",
                        "kfree",
                        "kfree +off",
                        "kmem_cache_create",
                        "kmem_cache_alloc",
                        "kmem_cache_free",
                        "kmem_cache_free +off",
                        "kmem_cache_destroy",
                        "kmem_cache_shrink",
                        "vmalloc",
                        "vzalloc",
                        "vfree",
                        "vfree +off",
                        "ioremap",
                        "iounmap",
                        "write",
                        "scribble",
                        "atomic",
                        "fail"})
    EXPECT_TRUE(shapes.count(s)) << "never decoded: " << s;
  EXPECT_TRUE(double_free);
  EXPECT_TRUE(wrong_cache);
  EXPECT_TRUE(wrong_api);
  EXPECT_TRUE(double_destroy);
}

TEST(BinaryCodec, orders_are_skewed_small_with_10_and_11_reachable) {
  std::array<int, 64> seen{};
  for (unsigned b = 0; b < 256; ++b) {
    // header, then alloc_pages (opcode 0) with order byte b and, for escapes, b again.
    const std::array<std::uint8_t, 6> in{
        0, 0, 0, 0, static_cast<std::uint8_t>(b), static_cast<std::uint8_t>(b)};
    const Program p = decode_program(in);
    ASSERT_FALSE(p.ops.empty());
    ++seen[std::get<AllocPagesOp>(p.ops[0]).order];
  }
  EXPECT_GT(seen[0], seen[3]);
  EXPECT_GT(seen[1], seen[5]);
  EXPECT_GT(seen[10], 0);
  EXPECT_GT(seen[11], 0);
  for (unsigned order = 0; order < 64; ++order) {
    Program p = binary_program();
    p.add(AllocPagesOp{NO_SLOT, order, GFP_KERNEL});
    EXPECT_EQ(decode_program(encode_program(p)), p) << order;
  }
}

TEST(BinaryCodec, allocator_edge_sizes_take_one_byte_and_every_u32_size_is_encodable) {
  Program edges = binary_program();
  for (unsigned k = 0; k <= 23; ++k)
    for (int d : {-1, 0, 1}) edges.add(KmallocOp{NO_SLOT, (std::uint64_t{1} << k) + d, GFP_KERNEL, false});
  const auto enc = encode_program(edges);
  EXPECT_EQ(enc.size(), BINARY_HEADER_BYTES + 3 * edges.ops.size());  // opcode, size, gfp
  EXPECT_EQ(decode_program(enc), edges);
  Program any = binary_program();
  Rng rng(test_seed(0x512e));
  for (int i = 0; i < 2000; ++i)
    any.add(KmallocOp{NO_SLOT, rng.next() >> (32 + rng.below(32)), GFP_KERNEL, false});
  for (std::uint64_t s : {96u, 192u, 131071u, 131072u, 131073u, 4194304u, 4194305u, 0xffffffffu})
    any.add(KmallocOp{NO_SLOT, s, GFP_KERNEL, false});
  EXPECT_EQ(decode_program(encode_program(any)), any);
}

TEST(BinaryCodec, vmalloc_and_ioremap_sizes_are_capped_at_4_mib) {
  Rng rng(test_seed(0xca9));
  for (int i = 0; i < 2000; ++i) {
    for (const Op& op : decode_program(random_bytes(rng, 200)).ops) {
      if (const auto* v = std::get_if<VmallocOp>(&op)) {
        EXPECT_LE(v->size, MAX_DECODED_MAP_BYTES);
      }
      if (const auto* r = std::get_if<IoremapOp>(&op)) {
        EXPECT_LE(r->size, MAX_DECODED_MAP_BYTES);
      }
    }
  }
}

TEST(BinaryCodec, a_long_input_decodes_to_at_most_max_decoded_ops) {
  const std::vector<std::uint8_t> bytes(100000, 0);  // header, then alloc_pages order=0 gfp=GFP_KERNEL, …
  const Program p = decode_program(bytes);
  EXPECT_EQ(p.ops.size(), MAX_DECODED_OPS);
  EXPECT_EQ(decode_program(encode_program(p)), p);
}

TEST(BinaryCodec, bytes_past_the_end_read_as_zero) {
  // kmalloc opcode with its size and gfp missing: size form 0 (= 0 bytes), gfp table entry 0.
  Program want = binary_program();
  want.add(KmallocOp{NO_SLOT, 0, GFP_KERNEL, false});
  const std::vector<std::uint8_t> in{0, 0, 0, 26};  // 26: the first kmalloc opcode
  EXPECT_EQ(decode_program(in), want);
  EXPECT_EQ(encode_program(want), (std::vector<std::uint8_t>{0, 0, 0, 26, 0, 0}));
}

TEST(BinaryCodec, ops_without_a_candidate_are_skipped) {
  // kfree (opcode 44) with nothing allocated, then vfree (opcode 86).
  const std::vector<std::uint8_t> in{0, 0, 0, 44, 7, 86, 3};
  EXPECT_TRUE(decode_program(in).ops.empty());
}

TEST(BinaryCodec, op_record_offsets_mark_every_record_start) {
  Rng rng(test_seed(0x0ff5));
  for (int i = 0; i < 200; ++i) {
    const auto bytes = random_bytes(rng, rng.below(300));
    const auto offsets = op_record_offsets(bytes);
    const Program p = decode_program(bytes);
    EXPECT_LE(p.ops.size(), offsets.size() * 1048);  // a repeat record: at most 1048 ops
    for (std::size_t j = 0; j < offsets.size(); ++j) {
      EXPECT_EQ(offsets[j], j == 0 ? BINARY_HEADER_BYTES : offsets[j]);
      if (j > 0) {
        EXPECT_GT(offsets[j], offsets[j - 1]);
      }
      EXPECT_LT(offsets[j], bytes.size());
    }
    // Records are self-contained: cutting the input at a record start keeps the ops before it.
    if (!offsets.empty()) {
      const std::size_t cut = offsets[offsets.size() / 2];
      const Program prefix = decode_program(std::span(bytes).first(cut));
      ASSERT_LE(prefix.ops.size(), p.ops.size());
      EXPECT_TRUE(std::equal(prefix.ops.begin(), prefix.ops.end(), p.ops.begin()));
    }
  }
}

TEST(BinaryCodec, a_repeat_record_drains_memory_in_five_bytes) {
  // repeat (opcode 127) ×(8 × (0x90 − 0x7c) = 160) of alloc_pages order=10
  // (opcode 0, order form 14) gfp=GFP_ATOMIC (form 2): 640 MiB in a 5-byte record.
  const std::vector<std::uint8_t> in{0, 0, 0, 127, 0x90, 0, 14, 2};
  const Program p = decode_program(in);
  ASSERT_EQ(p.ops.size(), 160u);
  for (const Op& op : p.ops) EXPECT_EQ(op, Op(AllocPagesOp{op_dst(op), 10, GFP_ATOMIC}));
  EXPECT_EQ(op_record_offsets(in), (std::vector<std::size_t>{3}));
  // Each copy resolves its slot against the state it meets: kfree of
  // candidate 0, twice (count byte 0 → 2 copies), frees two objects.
  const std::vector<std::uint8_t> frees{0, 0, 0, 26, 7, 0, 26, 7, 0, 26, 7, 0, 127, 0, 44, 0};
  const Program q = decode_program(frees);
  ASSERT_EQ(q.ops.size(), 5u);
  const auto* f1 = std::get_if<KfreeOp>(&q.ops[3]);
  const auto* f2 = std::get_if<KfreeOp>(&q.ops[4]);
  ASSERT_TRUE(f1 && f2);
  EXPECT_NE(f1->src, f2->src);
  // A short repeat with stride 2 (count byte 0x41: 3 copies) spreads its
  // picks over the candidates instead of taking the same one each time.
  std::vector<std::uint8_t> spread{0, 0, 0, 127, 5, 0, 0, 0};  // 7 × alloc_pages order=0
  spread.insert(spread.end(), {127, 0x41, 16, 0});             // 3 × free_pages, stride 2
  const Program sp = decode_program(spread);
  std::vector<std::uint8_t> same = spread;
  same[9] = 0x01;  // stride 0
  const Program sm = decode_program(same);
  ASSERT_EQ(sp.ops.size(), 10u);
  ASSERT_EQ(sm.ops.size(), 10u);
  EXPECT_NE(sp.ops[8], sm.ops[8]);  // the second copy frees another page
  std::set<Slot> freed;
  for (std::size_t i = 7; i < 10; ++i) freed.insert(std::get<FreePagesOp>(sp.ops[i]).src);
  EXPECT_EQ(freed.size(), 3u);
  expect_codec_properties(spread);
  // A repeat inside a repeat is only its count (the kmalloc after it is a
  // record of its own); the canonical encoding spells the copies out and
  // decodes to the same program.
  const std::vector<std::uint8_t> nested{0, 0, 0, 127, 1, 127, 5, 26, 7, 0};
  const Program n = decode_program(nested);
  ASSERT_EQ(n.ops.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<KmallocOp>(n.ops[0]));
  expect_codec_properties(in);
  expect_codec_properties(frees);
  // The copies stop at MAX_DECODED_OPS.
  std::vector<std::uint8_t> many{0, 0, 0};
  for (int i = 0; i < 5; ++i) many.insert(many.end(), {127, 0xff, 26, 7, 0});
  EXPECT_EQ(decode_program(many).ops.size(), MAX_DECODED_OPS);
}

TEST(BinaryCodec, stride_anchored_scribbles_hit_the_last_red_zone_byte) {
  // With slab_debug a modern kmalloc-96 object (natural alignment 32) has
  // its red zone at 96..127; a cache of 100-byte objects aligned to 64 at
  // 104..127 (stride 128). Bit 22 anchors at the stride; delta byte 0 is
  // the byte before it, the red zone's last.
  Program p = testing::binary_program();
  p.machine.kmalloc = KmallocProfile::modern;
  p.add(KmallocOp{NO_SLOT, 90, GFP_KERNEL, false});
  p.add(CacheCreateOp{NO_SLOT, "c1", 100, 64, SLAB_NONE});
  p.add(CacheAllocOp{NO_SLOT, 1, GFP_KERNEL});
  const std::vector<std::uint8_t> bytes = encode_program(p);
  std::vector<std::uint8_t> in = bytes;
  // scribble (opcode 125) of slot 0 (the kmalloc), then of the object.
  for (std::uint8_t slot : {0, 1}) in.insert(in.end(), {125, slot, 0x00, 0x00, 0xc0, 0, 0, 0x41});
  const Program q = decode_program(in);
  ASSERT_EQ(q.ops.size(), 5u);
  EXPECT_EQ(q.ops[3], Op(MemOp{MemVerb::scribble, 0, 127, 1, 0x41}));
  EXPECT_EQ(q.ops[4], Op(MemOp{MemVerb::scribble, 2, 127, 1, 0x41}));
  expect_codec_properties(in);
}

TEST(BinaryCodec, a_failslab_cache_filter_names_a_live_cache_or_a_kmalloc_class) {
  // fail (opcode 108) flags slab|filter (0x09), probability 100, interval 1,
  // times -1, no space, filter byte: 0 → the first live cache, 0x82 → the
  // third kmalloc class (size-128 on 2.6.18).
  const std::vector<std::uint8_t> in{
      0,   0, 0,    54, 7, 0, 0, 57,  0, 0,  // c0 = cache of 4 bytes, o = alloc
      108, 9, 0x80, 0,  0, 0, 0, 108, 9, 0x80, 0, 0, 0, 0x82};
  const Program p = decode_program(in);
  ASSERT_EQ(p.ops.size(), 4u);
  const auto* f1 = std::get_if<FailOp>(&p.ops[2]);
  const auto* f2 = std::get_if<FailOp>(&p.ops[3]);
  ASSERT_TRUE(f1 && f2);
  EXPECT_EQ(f1->cache_filter, "c0");
  EXPECT_EQ(f2->cache_filter, "size-128");
  EXPECT_EQ(f2->target, FaultTarget::slab);
  EXPECT_EQ(f2->times, -1);
  expect_codec_properties(in);
  // A name neither a live cache nor a kmalloc class has no binary form.
  Program q = testing::binary_program();
  q.add(FailOp{false, FaultTarget::slab, 100, 1, -1, 0, 1, true, true, "nosuch"});
  std::size_t dropped = 0;
  encode_program(q, {}, &dropped);
  EXPECT_EQ(dropped, 1u);
  // Random inputs reach filtered fail ops.
  Rng rng(test_seed(0xfa17));
  std::size_t filtered = 0;
  for (int i = 0; i < 2000; ++i)
    for (const Op& op : decode_program(random_bytes(rng, 200)).ops)
      if (const auto* f = std::get_if<FailOp>(&op)) filtered += !f->cache_filter.empty();
  EXPECT_GT(filtered, 50u);
}

TEST(BinaryCodec, a_script_encodes_best_effort_and_its_encoding_is_stable) {
  const ParseResult parsed = parse_kmf(testing::design_example_with_k1(), "design.kmf");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  std::size_t dropped = 0;
  const auto enc = encode_program(parsed.program(), {}, &dropped);
  // check, 8 expects, kfree null, print: no binary form.
  EXPECT_EQ(dropped, 11u);
  const Program decoded = decode_program(enc);
  EXPECT_EQ(decoded.machine.mem_bytes, 160 * MiB);  // a table size
  EXPECT_EQ(decoded.machine.seed, 1u);
  EXPECT_EQ(decoded.ops.size(), parsed.program().ops.size() - dropped);
  EXPECT_EQ(encode_program(decoded), enc);
  const std::string text = print_kmf(decoded);
  EXPECT_NE(text.find("a6 = alloc_pages order=3 gfp=GFP_DMA|GFP_ZERO"), std::string::npos) << text;
  EXPECT_NE(text.find("free_pages a6 order=2"), std::string::npos) << text;
  EXPECT_NE(text.find("c4 = kmem_cache_create name=c4 size=72 align=8"), std::string::npos) << text;
}

TEST(BinaryCodec, encoding_drops_ops_that_depend_on_a_dropped_binding) {
  Program p = binary_program();
  p.add(IoremapOp{NO_SLOT, std::uint64_t{1} << 40, 4096});  // phys beyond 32 bits: no binary form
  p.add(IounmapOp{0});
  p.add(KmallocOp{NO_SLOT, 8, GFP_KERNEL, false});
  p.add(KfreeOp{1, 0});
  std::size_t dropped = 0;
  const Program decoded = decode_program(encode_program(p, {}, &dropped));
  EXPECT_EQ(dropped, 2u);
  Program want = binary_program();
  want.add(KmallocOp{NO_SLOT, 8, GFP_KERNEL, false});
  want.add(KfreeOp{0, 0});
  EXPECT_EQ(decoded, want);
}

}  // namespace
}  // namespace kmf
