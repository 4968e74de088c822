// generic_text.h — the text form of generic programs (`.kmfa` files): what
// the property tests and the fuzz targets print and what the targets replay.
//
//   # comment                          blank lines and comments anywhere
//   arena_init size=4K align=16        optional, first; both keys optional
//   NAME = alloc SIZE [align=N] [heap=H]
//   NAME = realloc NAME|null SIZE [align=N]   null: realloc(nullptr, SIZE) [heap=H]; NAME: in NAME's heap
//   NAME = calloc COUNT SIZE [heap=H]
//   free NAME                          a freed NAME again is a double free
//   resize SIZE [heap=H]
//   walk [heap=H]
//   stats [heap=H]                     heap=H: heap H of a CAP_HEAPS subject (0, the default, unprinted)
//   add_pool SIZE                      another pool for the same heap (CAP_POOLS)
//   init                               a second init (arena_init … early=1: calls before init first)
//   reserve OFFSET SIZE
//
// Numbers: decimal, 0x hex, optional K/M/G suffix (×1024), up to 2^64 − 1.
// alloc, realloc and calloc sizes may be 0 and any 64-bit value (hostile
// requests; the executor runs them only as the subject's contract allows),
// align any value (0: the default; a non-power of two is a hostile request);
// reserve and resize sizes ≥ 1. Names [A-Za-z_][A-Za-z0-9_]*, bound once;
// the statement words and `null` are reserved. Errors name file:line:column. Canonical
// print: arena_init first when present, sizes in the largest exact K/M/G
// unit, offsets in hex, align= only when nonzero; parse(print(p)) == p.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "ops/generic_program.h"
#include "ops/kmf_text.h"

namespace kmf {

class GenericParseResult {
 public:
  GenericParseResult(GenericProgram program) : value_(std::move(program)) {}
  GenericParseResult(KmfError error) : value_(std::move(error)) {}
  bool ok() const { return std::holds_alternative<GenericProgram>(value_); }
  explicit operator bool() const { return ok(); }
  /// Precondition: ok().
  const GenericProgram& program() const& { return std::get<GenericProgram>(value_); }
  GenericProgram&& program() && { return std::get<GenericProgram>(std::move(value_)); }
  /// Precondition: !ok().
  const KmfError& error() const { return std::get<KmfError>(value_); }

 private:
  std::variant<GenericProgram, KmfError> value_;
};

GenericParseResult parse_generic(std::string_view text, std::string_view filename = "<input>");

/// The canonical text: one statement per line, each ending in '\n'.
std::string print_generic(const GenericProgram& program);

/// One op without a newline (traces and violations).
std::string print_generic_op(const GenericOp& op, const GenericProgram& program);

/// Whether `bytes` look like a text program (the first statement is one of
/// the grammar's words, after blank lines and comments): the fuzz targets
/// replay such inputs as text.
bool looks_like_generic_text(std::string_view bytes);

}  // namespace kmf
