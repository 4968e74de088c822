// generic_text.cpp — parsing and printing the generic programs' text form.
//
// One line at a time: cut the comment, split into tokens (with their
// columns), then one pass over the statement's tokens. The first error wins.
#include "ops/generic_text.h"

#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <unordered_map>

namespace kmf {
namespace {

constexpr std::array<std::string_view, 11> WORDS{"arena_init", "alloc",  "realloc", "free", "resize",  "walk",
                                                 "reserve",    "calloc", "stats",   "init", "add_pool"};

struct Token {
  std::string_view text;
  std::size_t column;  // from 1
};

struct Failure {
  std::size_t column;
  std::string message;
};

std::string quote(std::string_view s) {
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < 40; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > 40) out += "...";
  return out + "'";
}

bool is_word(std::string_view s) {
  for (std::string_view w : WORDS)
    if (w == s) return true;
  return false;
}

bool is_name(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::uint64_t number(const Token& t, std::string_view what) {
  std::string_view s = t.text;
  std::uint64_t mult = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 'k':
      case 'K': mult = 1ULL << 10; break;
      case 'm':
      case 'M': mult = 1ULL << 20; break;
      case 'g':
      case 'G': mult = 1ULL << 30; break;
      default: break;
    }
    if (mult != 1) s.remove_suffix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
    throw Failure{t.column, "bad " + std::string(what) + " " + quote(t.text)};
  if (v > ~std::uint64_t{0} / mult)
    throw Failure{t.column, std::string(what) + " " + quote(t.text) + " overflows 64 bits"};
  return v * mult;
}

std::string size_text(std::uint64_t v) {
  constexpr std::array<std::pair<char, unsigned>, 3> UNITS{{{'G', 30}, {'M', 20}, {'K', 10}}};
  for (auto [c, shift] : UNITS)
    if (v != 0 && v % (std::uint64_t{1} << shift) == 0) return std::to_string(v >> shift) + c;
  return std::to_string(v);
}

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

class Parser {
 public:
  GenericParseResult run(std::string_view text, std::string_view file) {
    std::size_t line_no = 0, pos = 0;
    while (pos <= text.size()) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      ++line_no;
      try {
        statement(text.substr(pos, end - pos));
      } catch (const Failure& f) {
        return KmfError{std::string(file), line_no, f.column, f.message};
      }
      pos = end + 1;
    }
    return std::move(p_);
  }

 private:
  void statement(std::string_view line) {
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::vector<Token> toks;
    for (std::size_t i = 0; i < line.size();) {
      const char c = line[i];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i;
        continue;
      }
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x7f) throw Failure{i + 1, "unexpected byte " + quote(line.substr(i, 1))};
      std::size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
      toks.push_back({line.substr(i, j - i), i + 1});
      i = j;
    }
    if (toks.empty()) return;
    toks_ = &toks;
    at_ = 0;
    const bool first = !seen_statement_;
    seen_statement_ = true;
    std::string_view name;
    std::size_t name_col = 0;
    if (toks.size() >= 2 && toks[1].text == "=") {
      name = toks[0].text;
      name_col = toks[0].column;
      if (!is_name(name)) throw Failure{name_col, "bad name " + quote(name)};
      if (is_word(name) || name == "null") throw Failure{name_col, quote(name) + " is reserved"};
      if (names_.count(std::string(name)))
        throw Failure{name_col, "name " + quote(name) + " is already bound"};
      at_ = 2;
    }
    const Token& verb = take("a statement");
    GenericOp op;
    if (verb.text == "arena_init") {
      no_name(name, name_col, verb);
      if (!first) throw Failure{verb.column, "arena_init must be the first statement"};
      ArenaInit init;
      bool size_seen = false, align_seen = false, early_seen = false;
      while (at_ < toks.size()) {
        const Token& t = toks[at_++];
        if (t.text.starts_with("size=") && !size_seen) {
          init.size = number({t.text.substr(5), t.column + 5}, "size");
          size_seen = true;
        } else if (t.text.starts_with("align=") && !align_seen) {
          init.align = number({t.text.substr(6), t.column + 6}, "align");
          align_seen = true;
        } else if (t.text.starts_with("early=") && !early_seen) {
          const std::uint64_t e = number({t.text.substr(6), t.column + 6}, "early");
          if (e > 1) throw Failure{t.column + 6, "early is 0 or 1"};
          init.early = e == 1;
          early_seen = true;
        } else {
          throw Failure{t.column,
                        "unexpected " + quote(t.text) + " (arena_init takes size=, align= and early=)"};
        }
      }
      if (init.size == 0) throw Failure{verb.column, "arena size must be at least 1"};
      if (!std::has_single_bit(init.align)) throw Failure{verb.column, "align must be a power of two"};
      p_.arena = init;
      return;
    }
    if (verb.text == "alloc" || verb.text == "realloc" || verb.text == "calloc") {
      if (name.empty())
        throw Failure{verb.column,
                      quote(verb.text) + " needs a name: NAME = " + std::string(verb.text) + " …"};
      op.verb = verb.text == "alloc"     ? GenericVerb::alloc
                : verb.text == "realloc" ? GenericVerb::realloc
                                         : GenericVerb::calloc;
      if (op.verb == GenericVerb::realloc) {
        const Token& src = take("a name");
        op.src = src.text == "null" ? NO_SLOT : live_name(src);
      }
      if (op.verb == GenericVerb::calloc) op.count = number(take("a count"), "count");
      op.size = number(take("a size"), "size");  // 0 allowed: a hostile request (CAP_CONTRACT)
      if (op.verb != GenericVerb::calloc && at_ < toks.size() && toks[at_].text.starts_with("align=")) {
        const Token& t = toks[at_++];
        op.align = number({t.text.substr(6), t.column + 6}, "align");
      }
      if (op.verb != GenericVerb::realloc || op.src == NO_SLOT) heap(op);  // a realloc keeps its block's heap
      end();
      op.dst = static_cast<Slot>(p_.nr_slots());
      slots_.apply(op);
      names_.emplace(std::string(name), op.dst);
      p_.add(op, std::string(name));
      return;
    }
    no_name(name, name_col, verb);
    if (verb.text == "free") {
      const Token& t = take("a name");
      op.verb = GenericVerb::free;
      op.src = bound_name(t);
      op.stale = slots_.freed(op.src);
    } else if (verb.text == "resize") {
      op.verb = GenericVerb::resize;
      op.size = size(take("a size"));
      heap(op);
    } else if (verb.text == "walk") {
      op.verb = GenericVerb::walk;
      heap(op);
    } else if (verb.text == "stats") {
      op.verb = GenericVerb::stats;
      heap(op);
    } else if (verb.text == "init") {
      op.verb = GenericVerb::init;
    } else if (verb.text == "add_pool") {
      op.verb = GenericVerb::add_pool;
      op.size = size(take("a size"));
    } else if (verb.text == "reserve") {
      op.verb = GenericVerb::reserve;
      op.offset = number(take("an offset"), "offset");
      op.size = size(take("a size"));
    } else {
      throw Failure{verb.column, "unknown statement " + quote(verb.text)};
    }
    end();
    slots_.apply(op);
    p_.add(op);
  }

  /// An optional heap=H (CAP_HEAPS).
  void heap(GenericOp& op) {
    if (at_ >= toks_->size() || !(*toks_)[at_].text.starts_with("heap=")) return;
    const Token& t = (*toks_)[at_++];
    const std::uint64_t h = number({t.text.substr(5), t.column + 5}, "heap");
    if (h > 255) throw Failure{t.column + 5, "heap " + quote(t.text.substr(5)) + " is above 255"};
    op.heap = static_cast<std::uint8_t>(h);
  }
  const Token& take(std::string_view what) {
    if (at_ >= toks_->size()) {
      const Token& last = toks_->back();
      throw Failure{last.column + last.text.size(), "expected " + std::string(what)};
    }
    return (*toks_)[at_++];
  }
  void end() {
    if (at_ < toks_->size()) throw Failure{(*toks_)[at_].column, "unexpected " + quote((*toks_)[at_].text)};
  }
  static void no_name(std::string_view name, std::size_t col, const Token& verb) {
    if (!name.empty()) throw Failure{col, quote(verb.text) + " binds no name"};
  }
  std::uint64_t size(const Token& t) {
    const std::uint64_t v = number(t, "size");
    if (v == 0) throw Failure{t.column, "size must be at least 1"};
    return v;
  }
  Slot bound_name(const Token& t) {
    const auto it = names_.find(std::string(t.text));
    if (it == names_.end()) throw Failure{t.column, "unbound name " + quote(t.text)};
    return it->second;
  }
  Slot live_name(const Token& t) {
    const Slot s = bound_name(t);
    if (!slots_.live(s)) throw Failure{t.column, "name " + quote(t.text) + " is freed"};
    return s;
  }

  GenericProgram p_;
  GenericSlots slots_;
  std::unordered_map<std::string, Slot> names_;
  const std::vector<Token>* toks_ = nullptr;
  std::size_t at_ = 0;
  bool seen_statement_ = false;
};

}  // namespace

GenericParseResult parse_generic(std::string_view text, std::string_view filename) {
  return Parser{}.run(text, filename);
}

std::string print_generic_op(const GenericOp& op, const GenericProgram& p) {
  auto name = [&](Slot s) {
    return s >= 0 && static_cast<std::size_t>(s) < p.names.size() ? p.names[static_cast<std::size_t>(s)]
                                                                  : "<slot " + std::to_string(s) + ">";
  };
  const std::string heap = op.heap ? " heap=" + std::to_string(op.heap) : "";
  switch (op.verb) {
    case GenericVerb::alloc:
      return name(op.dst) + " = alloc " + size_text(op.size) +
             (op.align ? " align=" + std::to_string(op.align) : "") + heap;
    case GenericVerb::realloc:
      return name(op.dst) + " = realloc " + (op.src == NO_SLOT ? std::string("null") : name(op.src)) + " " +
             size_text(op.size) + (op.align ? " align=" + std::to_string(op.align) : "") +
             (op.src == NO_SLOT ? heap : "");
    case GenericVerb::calloc:
      return name(op.dst) + " = calloc " + std::to_string(op.count) + " " + size_text(op.size) + heap;
    case GenericVerb::free: return "free " + name(op.src);
    case GenericVerb::resize: return "resize " + size_text(op.size) + heap;
    case GenericVerb::walk: return "walk" + heap;
    case GenericVerb::stats: return "stats" + heap;
    case GenericVerb::init: return "init";
    case GenericVerb::add_pool: return "add_pool " + size_text(op.size);
    case GenericVerb::reserve: return "reserve " + hex(op.offset) + " " + size_text(op.size);
  }
  return "?";
}

std::string print_generic(const GenericProgram& p) {
  std::string out;
  if (p.arena)
    out += "arena_init size=" + size_text(p.arena->size) + " align=" + std::to_string(p.arena->align) +
           (p.arena->early ? " early=1" : "") + "\n";
  for (const GenericOp& op : p.ops) out += print_generic_op(op, p) + "\n";
  return out;
}

bool looks_like_generic_text(std::string_view bytes) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t end = bytes.find('\n', pos);
    if (end == std::string_view::npos) end = bytes.size();
    std::string_view line = bytes.substr(pos, end - pos);
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    const std::size_t b = line.find_first_not_of(" \t\r");
    if (b != std::string_view::npos) {
      line = line.substr(b);
      const std::size_t e = line.find_first_of(" \t\r");
      const std::string_view first = line.substr(0, e);
      if (is_word(first)) return true;
      // NAME = alloc|realloc
      std::string_view rest = e == std::string_view::npos ? std::string_view() : line.substr(e);
      const std::size_t r = rest.find_first_not_of(" \t\r");
      return is_name(first) && r != std::string_view::npos && rest[r] == '=';
    }
    pos = end + 1;
  }
  return false;
}

}  // namespace kmf
