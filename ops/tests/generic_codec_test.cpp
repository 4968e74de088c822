// generic_codec_test.cpp — the generic programs' text and binary forms:
// precise parse errors, canonical printing, a total decoder that keeps to the
// target's capabilities and geometry, and round trips both ways.
#include <gtest/gtest.h>

#include <map>

#include "alloc/fault.h"
#include "ops/generic_binary.h"
#include "ops/generic_text.h"

namespace kmf {
namespace {

GenericTarget arena_target(Caps caps) {
  GenericTarget t;
  t.kind = SubjectKind::arena;
  t.caps = caps;
  t.geometry = {.min_size = 256,
                .max_size = 16 << 10,
                .size_granule = 64,
                .base_align = 64,
                .min_align = 16,
                .max_align = 64};
  return t;
}

std::vector<std::uint8_t> random_bytes(Rng& rng, std::size_t max_len) {
  std::vector<std::uint8_t> b(rng.below(max_len + 1));
  for (auto& x : b) x = static_cast<std::uint8_t>(rng.next());
  return b;
}

TEST(GenericText, a_program_prints_canonically_and_parses_back) {
  const std::string_view text =
      "# the example from generic_program.h\n"
      "arena_init size=4096 align=16\n"
      "b0 = alloc 100\n"
      "buf = alloc 0x40 align=64   # a hand-given name\n"
      "b2 = realloc b0 3K\n"
      "free b2\n"
      "free b2\n"
      "resize 2048\n"
      "walk\n"
      "reserve 256 64\n";
  const GenericParseResult r = parse_generic(text);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const GenericProgram& p = r.program();
  EXPECT_EQ(
      print_generic(p),
      "arena_init size=4K align=16\nb0 = alloc 100\nbuf = alloc 64 align=64\nb2 = realloc b0 3K\nfree b2\n"
      "free b2\nresize 2K\nwalk\nreserve 0x100 64\n");
  EXPECT_FALSE(p.ops[3].stale);
  EXPECT_TRUE(p.ops[4].stale);  // a freed name again: the double free
  const GenericParseResult again = parse_generic(print_generic(p));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.program(), p);
}

TEST(GenericText, errors_name_the_line_and_column_of_the_offending_token) {
  auto error = [](std::string_view text) {
    const GenericParseResult r = parse_generic(text, "t.kmfa");
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.error().to_string();
  };
  EXPECT_EQ(error("b0 = alloc 1\nfree b9\n"), "t.kmfa:2:6: unbound name 'b9'");
  EXPECT_EQ(error("b0 = alloc 8\nresize 0\n"), "t.kmfa:2:8: size must be at least 1");
  EXPECT_EQ(error("b0 = alloc 12Q\n"), "t.kmfa:1:12: bad size '12Q'");
  EXPECT_EQ(error("null = alloc 8\n"), "t.kmfa:1:1: 'null' is reserved");
  EXPECT_EQ(error("b0 = calloc 8\n"), "t.kmfa:1:14: expected a size");
  EXPECT_EQ(error("b0 = alloc 8\nb0 = alloc 8\n"), "t.kmfa:2:1: name 'b0' is already bound");
  EXPECT_EQ(error("b0 = alloc 8\nfree b0\nb1 = realloc b0 9\n"), "t.kmfa:3:14: name 'b0' is freed");
  EXPECT_EQ(error("walk\narena_init size=1K\n"), "t.kmfa:2:1: arena_init must be the first statement");
  EXPECT_EQ(error("alloc 8\n"), "t.kmfa:1:1: 'alloc' needs a name: NAME = alloc …");
  EXPECT_EQ(error("x = walk\n"), "t.kmfa:1:1: 'walk' binds no name");
  EXPECT_EQ(error("walk now\n"), "t.kmfa:1:6: unexpected 'now'");
  EXPECT_EQ(error("frobnicate\n"), "t.kmfa:1:1: unknown statement 'frobnicate'");
  EXPECT_EQ(error("free = alloc 1\n"), "t.kmfa:1:1: 'free' is reserved");
  EXPECT_EQ(error("resize 99999999999999999999\n"), "t.kmfa:1:8: bad size '99999999999999999999'");
  EXPECT_EQ(error("arena_init size=1K bogus=2\n"),
            "t.kmfa:1:20: unexpected 'bogus=2' (arena_init takes size=, align= and early=)");
}

TEST(GenericText, text_is_told_apart_from_fuzz_bytes) {
  EXPECT_TRUE(looks_like_generic_text("# hi\n\narena_init size=1K\n"));
  EXPECT_TRUE(looks_like_generic_text("  b0 = alloc 8\n"));
  EXPECT_TRUE(looks_like_generic_text("walk"));
  EXPECT_FALSE(looks_like_generic_text(""));
  EXPECT_FALSE(looks_like_generic_text("\x01\x02\x03"));
  EXPECT_FALSE(looks_like_generic_text("hello world\n"));
}

TEST(GenericBinary, every_byte_string_decodes_to_a_program_the_target_can_run) {
  Rng rng(42);
  for (Caps caps : {Caps{0}, Caps{CAP_ALL}, Caps{CAP_REALLOC | CAP_WALK}}) {
    const GenericTarget t = arena_target(caps);
    for (int i = 0; i < 500; ++i) {
      const GenericProgram p = decode_generic(random_bytes(rng, 300), t);
      ASSERT_TRUE(p.arena);
      EXPECT_EQ(*p.arena, normalize(*p.arena, t.geometry));
      GenericSlots slots;
      for (const GenericOp& op : p.ops) {
        ASSERT_TRUE(slots.apply(op)) << print_generic(p);
        if (op.verb == GenericVerb::realloc) {
          EXPECT_TRUE(caps & CAP_REALLOC);
        }
        if (op.verb == GenericVerb::resize) {
          EXPECT_TRUE(caps & CAP_RESIZE);
          EXPECT_EQ(op.size, normalize_arena_size(op.size, t.geometry));
        }
        if (op.verb == GenericVerb::walk) {
          EXPECT_TRUE(caps & CAP_WALK);
        }
        if (op.verb == GenericVerb::reserve) {
          EXPECT_TRUE(caps & CAP_RESERVE);
        }
        if (op.stale) {
          EXPECT_TRUE(caps & CAP_STALE_FREE);
        }
        if (op.align) {
          EXPECT_TRUE(caps & CAP_ALIGN);
        }
        if (op.verb == GenericVerb::calloc) {
          EXPECT_TRUE(caps & CAP_CALLOC);
        }
        if (op.verb == GenericVerb::realloc && op.src == NO_SLOT) {
          EXPECT_TRUE(caps & CAP_CONTRACT);  // realloc(nullptr, n) is a hostile request
        }
        if (binds(op.verb) && !(caps & CAP_CONTRACT)) {
          EXPECT_GE(op.size, 1u);
          EXPECT_LE(op.size, t.geometry.max_size);
        }
      }
    }
  }
}

TEST(GenericBinary, decode_encode_decode_is_the_identity_and_text_round_trips_too) {
  Rng rng(7);
  for (const SubjectKind kind : {SubjectKind::arena, SubjectKind::object, SubjectKind::page}) {
    GenericTarget t = arena_target(CAP_ALL);
    t.kind = kind;
    for (int i = 0; i < 300; ++i) {
      const GenericProgram p = decode_generic(random_bytes(rng, 400), t);
      std::size_t dropped = 99;
      const std::vector<std::uint8_t> bytes = encode_generic(p, t, &dropped);
      EXPECT_EQ(dropped, 0u);
      ASSERT_EQ(decode_generic(bytes, t), p) << print_generic(p);
      const GenericParseResult text = parse_generic(print_generic(p));
      ASSERT_TRUE(text.ok()) << text.error().to_string();
      EXPECT_EQ(text.program(), p);
      if (kind != SubjectKind::arena) {
        EXPECT_FALSE(p.arena);
      }
    }
  }
}

TEST(GenericBinary, heap_targets_carry_a_heap_on_every_per_heap_op_and_round_trip) {
  GenericTarget t = arena_target(CAP_ALL);
  t.extra_heaps = 2;
  Rng rng(11);
  std::map<GenericVerb, unsigned> in_other_heaps;  // ops outside heap 0, per verb
  for (int i = 0; i < 400; ++i) {
    const GenericProgram p = decode_generic(random_bytes(rng, 400), t);
    std::size_t dropped = 99;
    ASSERT_EQ(decode_generic(encode_generic(p, t, &dropped), t), p) << print_generic(p);
    EXPECT_EQ(dropped, 0u);
    const GenericParseResult text = parse_generic(print_generic(p));
    ASSERT_TRUE(text.ok()) << text.error().to_string();
    EXPECT_EQ(text.program(), p);
    for (const GenericOp& op : p.ops) {
      EXPECT_LE(op.heap, 2u);
      if (op.heap) ++in_other_heaps[op.verb];
      if (op.verb == GenericVerb::realloc && op.src != NO_SLOT) {
        EXPECT_EQ(op.heap, 0u);  // a block is realloc'ed in its own heap
      }
    }
  }
  for (GenericVerb v : {GenericVerb::alloc, GenericVerb::calloc, GenericVerb::realloc, GenericVerb::resize,
                        GenericVerb::walk, GenericVerb::stats})
    EXPECT_GT(in_other_heaps[v], 10u) << static_cast<int>(v);
  // the text form: heap= where it means something, an error elsewhere
  const GenericParseResult r = parse_generic(
      "b0 = alloc 8 heap=1\nb1 = calloc 2 8 heap=2\nb2 = realloc null 8 heap=1\nb3 = realloc b0 64\n"
      "walk heap=1\nstats heap=2\nresize 1K heap=1\n");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(print_generic(r.program()),
            "b0 = alloc 8 heap=1\nb1 = calloc 2 8 heap=2\nb2 = realloc null 8 heap=1\nb3 = realloc b0 64\n"
            "walk heap=1\nstats heap=2\nresize 1K heap=1\n");
  EXPECT_FALSE(parse_generic("b0 = alloc 8 heap=1\nb1 = realloc b0 64 heap=2\n").ok());
  EXPECT_FALSE(parse_generic("free heap=1\n").ok());
}

TEST(GenericBinary, encoding_a_parsed_program_drops_what_the_target_cannot_run) {
  const GenericParseResult r = parse_generic(
      "arena_init size=1K align=16\nb0 = alloc 8\nb1 = realloc b0 9\nwalk\nfree b1\nb2 = alloc 3\n");
  ASSERT_TRUE(r.ok());
  std::size_t dropped = 0;
  const GenericTarget t = arena_target(0);
  const GenericProgram back = decode_generic(encode_generic(r.program(), t, &dropped), t);
  EXPECT_EQ(dropped, 3u);  // realloc, walk, and the free of the realloc's result
  EXPECT_EQ(print_generic(back), "arena_init size=1K align=16\nb0 = alloc 8\nb1 = alloc 3\n");
}

TEST(GenericBinary, the_empty_input_is_the_empty_program_on_the_smallest_arena) {
  const GenericTarget t = arena_target(CAP_ALL);
  const GenericProgram p = decode_generic({}, t);
  EXPECT_TRUE(p.ops.empty());
  EXPECT_EQ(p.arena->size, 256u);
  EXPECT_EQ(p.arena->align, 16u);
}

TEST(GenericBuilder, seeds_build_well_formed_programs_within_the_targets_reach) {
  const GenericTarget t = arena_target(CAP_REALLOC | CAP_RESIZE);
  std::vector<GenericSeed> seeds;
  for (std::uint8_t k = 0; k < 3 * GenericSeed::NR_KINDS; ++k)
    seeds.push_back({k, k * 7u, std::uint64_t{k} * 1000, k % 3 == 0, static_cast<std::uint8_t>(k % 13), k});
  const GenericProgram p = build_generic_program(t, ArenaInit{5000, 16}, seeds);
  EXPECT_EQ(p.arena->size, 4992u);  // rounded down to the 64-byte granule
  GenericSlots slots;
  bool resized = false;
  for (const GenericOp& op : p.ops) {
    ASSERT_TRUE(slots.apply(op));
    EXPECT_NE(op.verb, GenericVerb::walk);
    EXPECT_NE(op.verb, GenericVerb::reserve);
    EXPECT_FALSE(op.stale);
    EXPECT_EQ(op.align, 0u);
    resized = resized || op.verb == GenericVerb::resize;
  }
  EXPECT_TRUE(resized);
}

}  // namespace
}  // namespace kmf
