// kmf_text.h — the `.kmf` text codec: parse a script into a Program, print a
// Program in its one canonical form.
//
// Scripts are what people read and write: hand tests, minimized crashes,
// regressions. So the parser is strict and precise (every error names
// file:line:column of the offending token), total (any bytes in, a Program
// or an error out, in time linear in the input), and `parse(print(p)) == p`
// for every Program the parser or the binary decoder produces.
//
// Grammar decisions (docs/LANGUAGE.md gives the whole grammar):
// - An empty file (or one of only comments) is the empty program on the
//   default machine. `machine …` is optional, must be the first statement,
//   and every key in it is optional (defaults: MachineConfig{}).
// - `gfp=` is optional everywhere, default GFP_KERNEL; `order=` is required
//   for alloc_pages/get_free_pages; `align=` (default 0) and `flags=`
//   (default none) are optional for kmem_cache_create; `fail` keys other than
//   probability default to FaultAttr's (interval=1 times=1 space=0
//   min_order=1 ignore_*=yes); min_order and ignore_gfp_highmem are
//   page_alloc-only, `cache=NAME` (failslab's cache filter) slab-only.
//   `times=-1` means unlimited.
// - Numbers: decimal, 0x hex, optional K/M/G suffix (×1024, either case).
//   Negative numbers and values above 2^64-1 are errors. Orders are 0..63.
// - `expect NAME [not] PREDICATE`: `not` is accepted before every
//   per-name predicate; `expect report KIND` and `expect free_pages N` take none.
// - Reserved (cannot be binding names): null report free_pages buddyinfo
//   slabinfo vmallocinfo meminfo.
// - Names follow SlotTracker's static rule (see slot_tracker.h): a misuse
//   free leaves the name live; krealloc consumes its source, which may then
//   appear only where a freed name may (kfree, free_pages, kmem_cache_free's
//   object, vfree, iounmap, scribble; kmem_cache_destroy for a destroyed cache).
// - `free_pages NAME` without order= needs a page binding (alloc_pages or
//   get_free_pages); freeing other memory through it needs an explicit order.
// - The kernel's spellings (get_free_page, get_zeroed_page, __get_free_page(s),
//   alloc_page, kcalloc, kmalloc_array, free_page, __free_page(s)) parse to
//   the op they mean; vmalloc_32 / vmalloc_user / vmalloc_32_user set
//   VmallocOp::dma32 / user. A UTF-8 byte-order mark has its own error.
// - Columns count bytes from 1. Comments may hold any bytes; statements
//   are printable ASCII.
//
// Canonical print: `machine` first with every field; one statement per
// line, single spaces; sizes (mem, allocation sizes, cache size, fail space)
// in the largest exact K/M/G unit else decimal; addresses (ioremap phys,
// `in LO..HI`) and fill bytes in lower-case hex; other numbers decimal; gfp
// via gfp_to_string, always written; optional keys only when not default
// (align= always); offsets as NAME+OFF only when nonzero.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ops/op.h"

namespace kmf {

/// A script error at a precise place: line and column count from 1, columns in bytes.
struct KmfError {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;
  /// `file:line:column: message`
  std::string to_string() const;
  friend bool operator==(const KmfError&, const KmfError&) = default;
};

/// Either the parsed Program or the first error.
class ParseResult {
 public:
  ParseResult(Program program) : value_(std::move(program)) {}
  ParseResult(KmfError error) : value_(std::move(error)) {}
  bool ok() const { return std::holds_alternative<Program>(value_); }
  explicit operator bool() const { return ok(); }
  /// Precondition: ok().
  const Program& program() const& { return std::get<Program>(value_); }
  Program&& program() && { return std::get<Program>(std::move(value_)); }
  /// Precondition: !ok().
  const KmfError& error() const { return std::get<KmfError>(value_); }

 private:
  std::variant<Program, KmfError> value_;
};

/// Where an op came from in a script: its line and the column of each of
/// its statement's tokens (tokens after `NAME =` for a binding; index 0 is
/// the operation's name), so run-time script errors can point at an argument.
struct OpSource {
  std::size_t line = 0;
  std::vector<std::size_t> columns;
};

/// Parses a whole script. `filename` only labels errors. With `sources`,
/// also fills one OpSource per op of the program.
ParseResult parse_kmf(std::string_view text, std::string_view filename = "<input>",
                      std::vector<OpSource>* sources = nullptr);

/// The canonical script: the machine line, then one line per op, each ending in '\n'.
std::string print_kmf(const Program& program);

/// One op in script form without a newline (traces, violation reports).
/// `names[slot]` names slots; an out-of-range slot prints as `<slot N>`.
std::string print_op(const Op& op, std::span<const std::string> names);

/// `SLAB_HWCACHE_ALIGN|SLAB_POISON`; 0 prints as `0`; unknown bits as hex.
std::string slab_flags_to_string(SlabFlags flags);

/// Every word a script may contain (op names, `key=` forms, gfp, slab flag and
/// report names, enum values): the fuzz_script dictionary.
std::vector<std::string> kmf_keywords();

}  // namespace kmf
