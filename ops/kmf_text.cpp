// kmf_text.cpp — .kmf parsing and canonical printing.
//
// The parser works a line at a time: split at '\n', cut the comment, split
// into tokens at spaces/tabs/CR, then one recursive-descent pass over the
// statement's tokens. Every check throws a Failure{column, message} caught
// once in run(), so the first error wins and nothing after it is looked at.
// Work is linear in the input: each byte is scanned a bounded number of
// times and names are found by hash.
#include "ops/kmf_text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <unordered_map>

#include "alloc/fault.h"
#include "ops/slot_tracker.h"

namespace kmf {
namespace {

using detail::SlotKind;
using detail::SlotTracker;

constexpr std::uint64_t U64_MAX = ~std::uint64_t{0};
constexpr std::uint64_t MAX_SCRIPT_ORDER = 63;
constexpr std::size_t NPOS = std::string_view::npos;

constexpr std::array<std::pair<std::string_view, SlabFlags>, 5> SLAB_FLAG_NAMES{{
    {"SLAB_HWCACHE_ALIGN", SLAB_HWCACHE_ALIGN},
    {"SLAB_CACHE_DMA", SLAB_CACHE_DMA},
    {"SLAB_POISON", SLAB_POISON},
    {"SLAB_RED_ZONE", SLAB_RED_ZONE},
    {"SLAB_PANIC", SLAB_PANIC},
}};
constexpr SlabFlags KNOWN_SLAB_FLAGS = 0x1f;

/// Words that would make a statement ambiguous if they named a binding.
constexpr std::array<std::string_view, 7> RESERVED{"null",     "report",      "free_pages", "buddyinfo",
                                                   "slabinfo", "vmallocinfo", "meminfo"};

constexpr std::array<std::pair<std::string_view, ExpectKind>, 5> REGIONS{{
    {"direct_map", ExpectKind::in_direct_map},
    {"vmalloc", ExpectKind::in_vmalloc},
    {"dma", ExpectKind::in_dma},
    {"lowmem", ExpectKind::in_lowmem},
    {"highmem", ExpectKind::in_highmem},
}};

constexpr std::array<std::pair<std::string_view, PrintWhat>, 4> PRINTABLES{{
    {"buddyinfo", PrintWhat::buddyinfo},
    {"slabinfo", PrintWhat::slabinfo},
    {"vmallocinfo", PrintWhat::vmallocinfo},
    {"meminfo", PrintWhat::meminfo},
}};

// ---- small text helpers -------------------------------------------------------

/// A token for a message: at most 40 bytes, non-printable bytes as \xNN.
std::string quote(std::string_view s) {
  constexpr std::size_t MAX = 40;
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < MAX; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > MAX) out += "...";
  out += '\'';
  return out;
}

void append_dec(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void append_hex(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
  (void)ec;
  out += "0x";
  out.append(buf, end);
}

/// Sizes in the largest exact K/M/G unit, else decimal (0 is `0`).
void append_size(std::string& out, std::uint64_t v) {
  if (v != 0 && v % GiB == 0) {
    append_dec(out, v / GiB);
    out += 'G';
  } else if (v != 0 && v % MiB == 0) {
    append_dec(out, v / MiB);
    out += 'M';
  } else if (v != 0 && v % KiB == 0) {
    append_dec(out, v / KiB);
    out += 'K';
  } else {
    append_dec(out, v);
  }
}

std::string dec(std::uint64_t v) {
  std::string s;
  append_dec(s, v);
  return s;
}

enum class NumStatus : std::uint8_t { ok, bad, negative, overflow };

/// Decimal or 0x hex digits, then an optional K/M/G (either case, ×1024).
NumStatus scan_number(std::string_view s, std::uint64_t& out) {
  if (s.size() >= 2 && s[0] == '-' && s[1] >= '0' && s[1] <= '9') return NumStatus::negative;
  unsigned base = 10;
  std::size_t i = 0;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    i = 2;
  }
  const std::size_t first_digit = i;
  std::uint64_t v = 0;
  bool overflow = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    else
      break;
    if (!overflow && v > (U64_MAX - d) / base) overflow = true;
    if (!overflow) v = v * base + d;
  }
  if (i == first_digit) return NumStatus::bad;
  std::uint64_t unit = 1;
  if (i < s.size()) {
    switch (s[i]) {
      case 'K':
      case 'k': unit = KiB; break;
      case 'M':
      case 'm': unit = MiB; break;
      case 'G':
      case 'g': unit = GiB; break;
      default: return NumStatus::bad;
    }
    ++i;
  }
  if (i != s.size()) return NumStatus::bad;
  if (overflow || v > U64_MAX / unit) return NumStatus::overflow;
  out = v * unit;
  return NumStatus::ok;
}

bool is_identifier(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  for (char c : s)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

std::string_view vmalloc_verb(const VmallocOp& o) {
  if (o.user) return o.dma32 ? "vmalloc_32_user" : "vmalloc_user";
  if (o.dma32) return "vmalloc_32";
  return o.zeroed ? "vzalloc" : "vmalloc";
}

std::string_view binder_name(const Op& op) {
  return std::visit(
      [](const auto& o) -> std::string_view {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, AllocPagesOp>)
          return "alloc_pages";
        else if constexpr (std::is_same_v<T, GetFreePagesOp>)
          return "get_free_pages";
        else if constexpr (std::is_same_v<T, KmallocOp>)
          return o.zeroed ? "kzalloc" : "kmalloc";
        else if constexpr (std::is_same_v<T, KreallocOp>)
          return "krealloc";
        else if constexpr (std::is_same_v<T, CacheCreateOp>)
          return "kmem_cache_create";
        else if constexpr (std::is_same_v<T, CacheAllocOp>)
          return "kmem_cache_alloc";
        else if constexpr (std::is_same_v<T, VmallocOp>)
          return vmalloc_verb(o);
        else if constexpr (std::is_same_v<T, IoremapOp>)
          return "ioremap";
        else
          return "?";
      },
      op);
}

/// The slot an op may free (statically), or NO_SLOT.
Slot freeable_slot(const Op& op) {
  return std::visit(
      [](const auto& o) -> Slot {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, KfreeOp> || std::is_same_v<T, FreePagesOp> ||
                      std::is_same_v<T, VfreeOp> || std::is_same_v<T, IounmapOp> ||
                      std::is_same_v<T, KreallocOp>)
          return o.src;
        else if constexpr (std::is_same_v<T, CacheFreeOp>)
          return o.obj;
        else if constexpr (std::is_same_v<T, CacheDestroyOp>)
          return o.cache;
        else
          return NO_SLOT;
      },
      op);
}

constexpr std::array<std::string_view, 20> BINDING_VERBS{
    "get_free_pages",   "alloc_pages",     "kmalloc",         "kzalloc",           "krealloc",
    "vmalloc",          "vzalloc",         "ioremap",         "get_free_page",     "__get_free_page",
    "__get_free_pages", "get_zeroed_page", "alloc_page",      "kcalloc",           "kmalloc_array",
    "vmalloc_32",       "vmalloc_user",    "vmalloc_32_user", "kmem_cache_create", "kmem_cache_alloc"};
constexpr std::array<std::string_view, 18> PLAIN_VERBS{
    "machine",   "write",       "check",       "scribble",           "atomic",
    "fail",      "expect",      "kfree",       "free_pages",         "kmem_cache_free",
    "vfree",     "iounmap",     "print",       "kmem_cache_destroy", "kmem_cache_shrink",
    "free_page", "__free_page", "__free_pages"};

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& words) {
  for (auto w : words)
    if (w == s) return true;
  return false;
}

// ---- the parser --------------------------------------------------------------------------

struct Token {
  std::string_view text;
  std::size_t col;  ///< 1-based byte column
};

struct Failure {
  std::size_t col;
  std::string message;
};

struct KeyValue {
  Token key;
  Token value;
};
using KeyValues = std::array<std::optional<KeyValue>, 8>;

class Parser {
 public:
  Parser(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  ParseResult run(std::vector<OpSource>* sources) {
    sources_ = sources;
    std::size_t pos = 0;
    if (text_.starts_with("\xef\xbb\xbf"))
      return KmfError{std::string(file_), 1, 1,
                      "the file starts with a UTF-8 byte-order mark (bytes ef bb bf); scripts are ASCII: "
                      "save it without the BOM"};
    try {
      while (true) {
        const std::size_t nl = text_.find('\n', pos);
        const std::size_t end = nl == NPOS ? text_.size() : nl;
        ++line_;
        tokenize(text_.substr(pos, end - pos));
        if (!toks_.empty()) statement();
        if (nl == NPOS) break;
        pos = nl + 1;
      }
    } catch (const Failure& f) {
      return KmfError{std::string(file_), line_, f.col, f.message};
    }
    return std::move(prog_);
  }

 private:
  enum class Need : std::uint8_t { memory, cache, kmalloc, any };
  struct Note {
    std::size_t bound_line;
    std::size_t freed_line;  ///< 0 while live
    std::string_view binder;
    bool consumed;  ///< freed by krealloc
  };

  [[noreturn]] void fail(std::size_t col, std::string message) { throw Failure{col, std::move(message)}; }

  void tokenize(std::string_view line) {
    toks_.clear();
    next_ = 0;
    const std::size_t hash = line.find('#');
    if (hash != NPOS) line = line.substr(0, hash);
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
      const std::size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
        const auto c = static_cast<unsigned char>(line[i]);
        if (c < 0x21 || c > 0x7e) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "unexpected byte 0x%02x", c);
          fail(i + 1, buf);
        }
        ++i;
      }
      if (i > start) toks_.push_back(Token{line.substr(start, i - start), start + 1});
    }
  }

  // ---- token cursor ----

  std::size_t end_col() const { return toks_.back().col + toks_.back().text.size(); }
  bool more() const { return next_ < toks_.size(); }

  const Token& positional(std::string_view what) {
    if (!more()) fail(end_col(), "missing " + std::string(what));
    const Token& t = toks_[next_];
    if (t.text.find('=') != NPOS) fail(t.col, "missing " + std::string(what) + " before " + quote(t.text));
    ++next_;
    return t;
  }

  void done() {
    if (more()) fail(toks_[next_].col, "unexpected token " + quote(toks_[next_].text));
  }

  /// The rest of the statement as key=value pairs, each key from `allowed` at most once.
  KeyValues keys(std::string_view op, std::initializer_list<std::string_view> allowed) {
    KeyValues out{};
    for (; next_ < toks_.size(); ++next_) {
      const Token& t = toks_[next_];
      const std::size_t eq = t.text.find('=');
      if (eq == NPOS) fail(t.col, "unexpected token " + quote(t.text));
      const std::string_view key = t.text.substr(0, eq);
      std::size_t i = 0;
      for (auto a : allowed) {
        if (a == key) break;
        ++i;
      }
      if (i == allowed.size()) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : " ") + std::string(a);
        fail(t.col, "unknown key " + quote(key) + " for " + std::string(op) + " (keys: " + list + ")");
      }
      if (out[i]) fail(t.col, "duplicate key " + quote(key));
      if (eq + 1 == t.text.size()) fail(t.col + eq + 1, "missing value for key " + quote(key));
      out[i] = KeyValue{Token{key, t.col}, Token{t.text.substr(eq + 1), t.col + eq + 1}};
    }
    return out;
  }

  const Token& required(const std::optional<KeyValue>& kv, std::string_view key) {
    if (!kv) fail(end_col(), "missing key '" + std::string(key) + "'");
    return kv->value;
  }

  // ---- values ----

  std::uint64_t number(const Token& t, std::string_view what, std::uint64_t max = U64_MAX) {
    std::uint64_t v = 0;
    const std::string w(what);
    switch (scan_number(t.text, v)) {
      case NumStatus::ok: break;
      case NumStatus::bad: fail(t.col, "bad number " + quote(t.text) + " for " + w);
      case NumStatus::negative: fail(t.col, "negative " + w + " " + quote(t.text));
      case NumStatus::overflow: fail(t.col, w + " " + quote(t.text) + " overflows 64 bits");
    }
    if (v > max) fail(t.col, w + " " + dec(v) + " is out of range (0.." + dec(max) + ")");
    return v;
  }

  gfp_t gfp(const std::optional<KeyValue>& kv) {
    if (!kv) return GFP_KERNEL;
    const Token& t = kv->value;
    gfp_t g = 0;
    std::size_t start = 0;
    while (true) {
      const std::size_t bar = t.text.find('|', start);
      const std::string_view part = t.text.substr(start, bar == NPOS ? NPOS : bar - start);
      if (part.empty()) fail(t.col + start, "missing gfp flag");
      const auto v = gfp_from_string(part);
      if (!v) fail(t.col + start, "unknown gfp flag " + quote(part));
      g |= *v;
      if (bar == NPOS) return g;
      start = bar + 1;
    }
  }

  SlabFlags slab_flags(const std::optional<KeyValue>& kv) {
    if (!kv) return SLAB_NONE;
    const Token& t = kv->value;
    SlabFlags flags = 0;
    std::size_t start = 0;
    while (true) {
      const std::size_t bar = t.text.find('|', start);
      const std::string_view part = t.text.substr(start, bar == NPOS ? NPOS : bar - start);
      if (part.empty()) fail(t.col + start, "missing slab flag");
      bool found = false;
      for (const auto& [name, bit] : SLAB_FLAG_NAMES) {
        if (name == part) {
          flags |= bit;
          found = true;
        }
      }
      std::uint64_t v = 0;
      if (!found && scan_number(part, v) == NumStatus::ok && (v & ~std::uint64_t{KNOWN_SLAB_FLAGS}) == 0) {
        flags |= static_cast<SlabFlags>(v);
        found = true;
      }
      if (!found) fail(t.col + start, "unknown slab flag " + quote(part));
      if (bar == NPOS) return flags;
      start = bar + 1;
    }
  }

  bool on_off(const Token& t) {
    if (t.text == "on") return true;
    if (t.text == "off") return false;
    fail(t.col, "expected 'on' or 'off', got " + quote(t.text));
  }

  bool yes_no(const Token& t) {
    if (t.text == "yes") return true;
    if (t.text == "no") return false;
    fail(t.col, "expected 'yes' or 'no', got " + quote(t.text));
  }

  // ---- names ----

  void check_new_name(const Token& t) {
    if (!is_identifier(t.text))
      fail(t.col, "bad name " + quote(t.text) + " (names are [A-Za-z_][A-Za-z0-9_]*)");
    if (one_of(t.text, RESERVED)) fail(t.col, quote(t.text) + " is a reserved word, not a name");
    if (auto it = names_.find(t.text); it != names_.end())
      fail(t.col, "name " + quote(t.text) + " is already bound at line " + dec(note(it->second).bound_line));
  }

  const Note& note(Slot s) const { return notes_[static_cast<std::size_t>(s)]; }

  std::string bound_by(Slot s) const {
    return "bound by " + std::string(note(s).binder) + " at line " + dec(note(s).bound_line);
  }

  Slot use(std::string_view name, std::size_t col, Need need, bool freed_ok) {
    if (name == "null") fail(col, "'null' is not allowed here");
    if (!is_identifier(name)) fail(col, "expected a name, got " + quote(name));
    const auto it = names_.find(name);
    if (it == names_.end()) fail(col, "name " + quote(name) + " is not bound");
    const Slot s = it->second;
    const auto& st = slots_[s];
    switch (need) {
      case Need::cache:
        if (st.kind != SlotKind::cache) fail(col, quote(name) + " is not a cache (" + bound_by(s) + ")");
        break;
      case Need::memory:
        if (st.kind == SlotKind::cache) fail(col, quote(name) + " is a cache, not memory");
        break;
      case Need::kmalloc:
        if (st.kind != SlotKind::kmalloc)
          fail(col, quote(name) + " is not a kmalloc allocation (" + bound_by(s) + ")");
        break;
      case Need::any: break;
    }
    if (st.freed && !freed_ok) {
      const Note& n = note(s);
      if (st.kind == SlotKind::cache)
        fail(col, "cache " + quote(name) + " was destroyed at line " + dec(n.freed_line));
      if (n.consumed)
        fail(col, "name " + quote(name) + " was consumed by krealloc at line " + dec(n.freed_line));
      fail(col, "name " + quote(name) + " was freed at line " + dec(n.freed_line));
    }
    return s;
  }

  Slot use(const Token& t, Need need, bool freed_ok) { return use(t.text, t.col, need, freed_ok); }

  /// NAME or NAME+OFF.
  std::pair<Slot, std::uint64_t> use_with_offset(const Token& t, Need need, bool freed_ok) {
    const std::size_t plus = t.text.find('+');
    const Slot s = use(t.text.substr(0, plus), t.col, need, freed_ok);
    if (plus == NPOS) return {s, 0};
    const Token off{t.text.substr(plus + 1), t.col + plus + 1};
    if (off.text.empty()) fail(off.col, "missing offset after '+'");
    return {s, number(off, "offset")};
  }

  void add(Op op, std::string_view name = {}) {
    const std::string_view binder = binder_name(op);
    prog_.add(std::move(op), std::string(name));
    if (sources_) {
      OpSource src{line_, {}};
      const std::size_t first = toks_.size() >= 2 && toks_[1].text == "=" ? 2 : 0;
      for (std::size_t i = first; i < toks_.size(); ++i) src.columns.push_back(toks_[i].col);
      sources_->push_back(std::move(src));
    }
    const Op& added = prog_.ops.back();
    slots_.apply(added);
    if (!name.empty()) {
      names_.emplace(name, op_dst(added));
      notes_.push_back(Note{line_, 0, binder, false});
    }
    const Slot f = freeable_slot(added);
    if (slots_.valid(f) && slots_[f].freed && notes_[static_cast<std::size_t>(f)].freed_line == 0) {
      notes_[static_cast<std::size_t>(f)].freed_line = line_;
      notes_[static_cast<std::size_t>(f)].consumed = std::holds_alternative<KreallocOp>(added);
    }
  }

  // ---- statements ----

  void statement() {
    const Token& first = toks_[0];
    if (toks_.size() >= 2 && toks_[1].text == "=") {
      seen_statement_ = true;
      binding();
      return;
    }
    const std::string_view verb = first.text;
    next_ = 1;
    if (verb == "machine") {
      if (seen_statement_) fail(first.col, "'machine' must be the first statement");
      seen_statement_ = true;
      machine();
      return;
    }
    seen_statement_ = true;
    if (verb == "write" || verb == "check" || verb == "scribble")
      mem(verb);
    else if (verb == "atomic")
      atomic();
    else if (verb == "fail")
      fault();
    else if (verb == "expect")
      expect();
    else if (verb == "kfree")
      kfree();
    else if (verb == "free_pages" || verb == "__free_pages")
      free_pages(verb);
    else if (verb == "free_page" || verb == "__free_page")
      free_page();
    else if (verb == "kmem_cache_free")
      cache_free();
    else if (verb == "kmem_cache_destroy")
      add(CacheDestroyOp{cache_arg(true)});
    else if (verb == "kmem_cache_shrink")
      add(CacheShrinkOp{cache_arg(false)});
    else if (verb == "vfree")
      vfree();
    else if (verb == "iounmap")
      iounmap();
    else if (verb == "print")
      print();
    else if (one_of(verb, BINDING_VERBS))
      fail(first.col, quote(verb) + " binds a result: write 'NAME = " + std::string(verb) + " ...'");
    else if (verb.find('=') != NPOS && verb.find('=') > 0 && is_identifier(verb.substr(0, verb.find('='))))
      fail(first.col, "unknown operation " + quote(verb) + " (a binding is 'NAME = OP ...', with spaces)");
    else
      fail(first.col, "unknown operation " + quote(verb));
  }

  void machine() {
    const KeyValues kv = keys("machine", {"mem", "profile", "kmalloc", "seed", "slab_debug"});
    MachineConfig m{};
    if (kv[0]) {
      const Token& t = kv[0]->value;
      m.mem_bytes = number(t, "mem");
      if (m.mem_bytes < MIN_MEM_BYTES || m.mem_bytes > MAX_MEM_BYTES)
        fail(t.col, "mem " + quote(t.text) + " is out of range (1M..64G)");
    }
    if (kv[1]) {
      const Token& t = kv[1]->value;
      if (t.text == profile_name(Profile::i386))
        m.profile = Profile::i386;
      else if (t.text == profile_name(Profile::x86_64))
        m.profile = Profile::x86_64;
      else
        fail(t.col, "unknown profile " + quote(t.text) + " (i386 or x86_64)");
    }
    if (kv[2]) {
      const Token& t = kv[2]->value;
      if (t.text == kmalloc_profile_name(KmallocProfile::linux_2_6_18))
        m.kmalloc = KmallocProfile::linux_2_6_18;
      else if (t.text == kmalloc_profile_name(KmallocProfile::modern))
        m.kmalloc = KmallocProfile::modern;
      else
        fail(t.col, "unknown kmalloc profile " + quote(t.text) + " (2.6.18 or modern)");
    }
    if (kv[3]) m.seed = number(kv[3]->value, "seed");
    if (kv[4]) m.slab_debug = on_off(kv[4]->value);
    prog_.machine = m;
  }

  void binding() {
    const Token& name = toks_[0];
    check_new_name(name);
    if (toks_.size() < 3) fail(end_col(), "missing operation after '='");
    const Token& op = toks_[2];
    const std::string_view verb = op.text;
    next_ = 3;
    // The kernel's spellings become the op they mean (printed canonically):
    // get_free_page and get_zeroed_page are zeroed order-0 get_free_pages
    // (get_free_page was get_zeroed_page's old name), __get_free_page(s)
    // are get_free_page(s), alloc_page is alloc_pages order=0; kcalloc and
    // kmalloc_array multiply with overflow saturating, as the kernel returns
    // NULL for a product that does not fit (the saturated size is above
    // every kmalloc limit, so it returns NULL too).
    if (verb == "get_free_pages" || verb == "alloc_pages" || verb == "__get_free_pages") {
      const KeyValues kv = keys(verb, {"order", "gfp"});
      const auto order = static_cast<unsigned>(number(required(kv[0], "order"), "order", MAX_SCRIPT_ORDER));
      const gfp_t g = gfp(kv[1]);
      if (verb == "alloc_pages")
        add(AllocPagesOp{NO_SLOT, order, g}, name.text);
      else
        add(GetFreePagesOp{NO_SLOT, order, g}, name.text);
    } else if (verb == "get_free_page" || verb == "__get_free_page" || verb == "get_zeroed_page" ||
               verb == "alloc_page") {
      const KeyValues kv = keys(verb, {"gfp"});
      gfp_t g = gfp(kv[0]);
      if (verb == "get_free_page" || verb == "get_zeroed_page") g |= GFP_ZERO;
      if (verb == "alloc_page")
        add(AllocPagesOp{NO_SLOT, 0, g}, name.text);
      else
        add(GetFreePagesOp{NO_SLOT, 0, g}, name.text);
    } else if (verb == "kmalloc" || verb == "kzalloc") {
      const std::uint64_t size = number(positional("size"), "size");
      const KeyValues kv = keys(verb, {"gfp"});
      add(KmallocOp{NO_SLOT, size, gfp(kv[0]), verb == "kzalloc"}, name.text);
    } else if (verb == "kcalloc" || verb == "kmalloc_array") {
      const std::uint64_t n = number(positional("element count"), "element count");
      const std::uint64_t each = number(positional("element size"), "element size");
      const KeyValues kv = keys(verb, {"gfp"});
      std::uint64_t size = 0;
      if (__builtin_mul_overflow(n, each, &size)) size = U64_MAX;
      add(KmallocOp{NO_SLOT, size, gfp(kv[0]), verb == "kcalloc"}, name.text);
    } else if (verb == "krealloc") {
      const Slot src = use(positional("name"), Need::kmalloc, false);
      const std::uint64_t size = number(positional("size"), "size");
      const KeyValues kv = keys(verb, {"gfp"});
      add(KreallocOp{NO_SLOT, src, size, gfp(kv[0])}, name.text);
    } else if (verb == "vmalloc" || verb == "vzalloc" || verb == "vmalloc_32" || verb == "vmalloc_user" ||
               verb == "vmalloc_32_user") {
      const std::uint64_t size = number(positional("size"), "size");
      done();
      const bool user = verb.ends_with("_user");
      add(VmallocOp{NO_SLOT, size, verb == "vzalloc" || user, verb.starts_with("vmalloc_32"), user},
          name.text);
    } else if (verb == "kmem_cache_create") {
      const KeyValues kv = keys(verb, {"name", "size", "align", "flags"});
      const Token& cache_name = required(kv[0], "name");
      const std::uint64_t size = number(required(kv[1], "size"), "size");
      const std::uint64_t align = kv[2] ? number(kv[2]->value, "align") : 0;
      add(CacheCreateOp{NO_SLOT, std::string(cache_name.text), size, align, slab_flags(kv[3])}, name.text);
    } else if (verb == "kmem_cache_alloc") {
      const Slot cache = use(positional("cache"), Need::cache, false);
      const KeyValues kv = keys(verb, {"gfp"});
      add(CacheAllocOp{NO_SLOT, cache, gfp(kv[0])}, name.text);
    } else if (verb == "ioremap") {
      const std::uint64_t phys = number(positional("physical address"), "physical address");
      const std::uint64_t size = number(positional("size"), "size");
      done();
      add(IoremapOp{NO_SLOT, phys, size}, name.text);
    } else if (one_of(verb, PLAIN_VERBS)) {
      fail(op.col, quote(verb) + " does not bind a result");
    } else {
      fail(op.col, "unknown operation " + quote(verb));
    }
  }

  void mem(std::string_view verb) {
    const MemVerb v = verb == "write" ? MemVerb::write : verb == "check" ? MemVerb::check : MemVerb::scribble;
    const Slot s = use(positional("name"), Need::memory, v == MemVerb::scribble);
    const std::uint64_t offset = number(positional("offset"), "offset");
    const std::uint64_t length = number(positional("length"), "length");
    const auto byte = static_cast<std::uint8_t>(number(positional("byte"), "byte", 255));
    done();
    add(MemOp{v, s, offset, length, byte});
  }

  void atomic() {
    const bool on = on_off(positional("'on' or 'off'"));
    done();
    add(AtomicOp{on});
  }

  void fault() {
    const Token& what = positional("page_alloc, slab or off");
    if (what.text == "off") {
      done();
      add(FAIL_OFF);
      return;
    }
    FaultTarget target;
    if (what.text == "page_alloc")
      target = FaultTarget::page_alloc;
    else if (what.text == "slab")
      target = FaultTarget::slab;
    else
      fail(what.col, "expected page_alloc, slab or off, got " + quote(what.text));
    const KeyValues kv = keys("fail", {"probability", "interval", "times", "space", "min_order",
                                       "ignore_gfp_wait", "ignore_gfp_highmem", "cache"});
    const FaultAttr defaults{};
    FailOp f{false,
             target,
             static_cast<unsigned>(number(required(kv[0], "probability"), "probability", 100)),
             defaults.interval,
             defaults.times,
             defaults.space,
             defaults.min_order,
             defaults.ignore_gfp_wait,
             defaults.ignore_gfp_highmem,
             {}};
    if (kv[1]) {
      f.interval = static_cast<unsigned>(number(kv[1]->value, "interval", 0xffffffffu));
      if (f.interval == 0) fail(kv[1]->value.col, "interval must be at least 1");
    }
    if (kv[2]) {
      if (kv[2]->value.text == "-1")
        f.times = -1;
      else
        f.times = static_cast<std::int64_t>(number(kv[2]->value, "times", 0x7fffffffffffffffu));
    }
    if (kv[3]) f.space = number(kv[3]->value, "space");
    if (target == FaultTarget::slab) {
      for (std::size_t i : {4u, 6u})
        if (kv[i])
          fail(kv[i]->key.col, "key " + quote(kv[i]->key.text) + " applies only to 'fail page_alloc'");
    }
    if (kv[4]) f.min_order = static_cast<unsigned>(number(kv[4]->value, "min_order", MAX_SCRIPT_ORDER));
    if (kv[5]) f.ignore_gfp_wait = yes_no(kv[5]->value);
    if (kv[6]) f.ignore_gfp_highmem = yes_no(kv[6]->value);
    if (kv[7]) {
      if (target != FaultTarget::slab) fail(kv[7]->key.col, "key 'cache' applies only to 'fail slab'");
      f.cache_filter = std::string(kv[7]->value.text);
    }
    add(f);
  }

  void expect() {
    const Token& subject = positional("name, 'report' or 'free_pages'");
    ExpectOp e{ExpectKind::ok, NO_SLOT, false, 0, 0, ReportKind{}};
    if (subject.text == "report") {
      const Token& k = positional("report kind");
      const auto kind = report_kind_from_name(k.text);
      if (!kind) fail(k.col, "unknown report kind " + quote(k.text));
      done();
      e.kind = ExpectKind::report;
      e.report = *kind;
      add(e);
      return;
    }
    if (subject.text == "free_pages") {
      e.kind = ExpectKind::free_pages;
      e.value = number(positional("frame count"), "frame count");
      done();
      add(e);
      return;
    }
    e.src = use(subject, Need::any, false);
    if (more() && toks_[next_].text == "not") {
      e.negated = true;
      ++next_;
    }
    const Token& pred = positional("expectation");
    const bool is_cache = slots_[e.src].kind == SlotKind::cache;
    if (is_cache && pred.text != "null" && pred.text != "ok")
      fail(pred.col, quote(subject.text) + " is a cache: only 'null' and 'ok' apply");
    if (pred.text == "in") {
      const Token& where = positional("region");
      bool found = false;
      for (const auto& [word, kind] : REGIONS) {
        if (where.text == word) {
          e.kind = kind;
          found = true;
        }
      }
      if (!found) {
        const std::size_t dots = where.text.find("..");
        if (dots == NPOS)
          fail(where.col,
               "expected direct_map, vmalloc, dma, lowmem, highmem or LO..HI, got " + quote(where.text));
        e.kind = ExpectKind::in_range;
        e.value = number(Token{where.text.substr(0, dots), where.col}, "range start");
        e.value2 = number(Token{where.text.substr(dots + 2), where.col + dots + 2}, "range end");
        if (e.value > e.value2) fail(where.col, "range start is above its end");
      }
    } else if (pred.text == "phys_contiguous") {
      e.kind = ExpectKind::phys_contiguous;
    } else if (pred.text == "aligned") {
      e.kind = ExpectKind::aligned;
      e.value = number(positional("alignment"), "alignment");
    } else if (pred.text == "ksize") {
      e.kind = ExpectKind::ksize;
      e.value = number(positional("size"), "size");
    } else if (pred.text == "null") {
      e.kind = ExpectKind::null;
    } else if (pred.text == "ok") {
      e.kind = ExpectKind::ok;
    } else {
      fail(pred.col,
           "unknown expectation " + quote(pred.text) + " (in, phys_contiguous, aligned, ksize, null or ok)");
    }
    done();
    add(e);
  }

  void kfree() {
    const Token& t = positional("name or null");
    if (t.text == "null") {
      done();
      add(KfreeOp{NO_SLOT, 0});
      return;
    }
    if (t.text.starts_with("null+")) fail(t.col + 4, "'null' takes no offset");
    const auto [s, off] = use_with_offset(t, Need::memory, true);
    done();
    add(KfreeOp{s, off});
  }

  /// free_page NAME / __free_page NAME: free_pages NAME order=0.
  void free_page() {
    const Token& t = positional("name");
    const Slot s = use(t, Need::memory, true);
    done();
    add(FreePagesOp{s, 0u});
  }

  void free_pages(std::string_view verb) {
    const Token& t = positional("name");
    const Slot s = use(t, Need::memory, true);
    const KeyValues kv = keys(verb, {"order"});
    std::optional<unsigned> order;
    if (kv[0]) order = static_cast<unsigned>(number(kv[0]->value, "order", MAX_SCRIPT_ORDER));
    if (!order && verb == "__free_pages") fail(end_col(), "missing key 'order' (__free_pages NAME order=K)");
    const SlotKind k = slots_[s].kind;
    if (!order && k != SlotKind::pages_pfn && k != SlotKind::pages_va)
      fail(t.col, "free_pages of " + quote(t.text) + " needs order= (" + bound_by(s) + ")");
    add(FreePagesOp{s, order});
  }

  Slot cache_arg(bool destroyed_ok) {
    const Slot c = use(positional("cache"), Need::cache, destroyed_ok);
    done();
    return c;
  }

  void cache_free() {
    const Slot cache = use(positional("cache"), Need::cache, false);
    const auto [obj, off] = use_with_offset(positional("object"), Need::memory, true);
    done();
    add(CacheFreeOp{cache, obj, off});
  }

  void vfree() {
    const auto [s, off] = use_with_offset(positional("name"), Need::memory, true);
    done();
    add(VfreeOp{s, off});
  }

  void iounmap() {
    const Slot s = use(positional("name"), Need::memory, true);
    done();
    add(IounmapOp{s});
  }

  void print() {
    const Token& t = positional("buddyinfo, slabinfo, vmallocinfo, meminfo or a name");
    for (const auto& [word, what] : PRINTABLES) {
      if (t.text == word) {
        done();
        add(PrintOp{what, NO_SLOT});
        return;
      }
    }
    const Slot s = use(t, Need::any, false);
    done();
    add(PrintOp{PrintWhat::binding, s});
  }

  std::string_view text_;
  std::string_view file_;
  std::size_t line_ = 0;
  std::vector<Token> toks_;
  std::size_t next_ = 0;
  bool seen_statement_ = false;
  Program prog_;
  SlotTracker slots_;
  std::unordered_map<std::string_view, Slot> names_;
  std::vector<Note> notes_;
  std::vector<OpSource>* sources_ = nullptr;
};

// ---- printing ----------------------------------------------------------------------------

class Printer {
 public:
  Printer(std::string& out, std::span<const std::string> names) : out_(out), names_(names) {}

  void name(Slot s) {
    if (s >= 0 && static_cast<std::size_t>(s) < names_.size()) {
      out_ += names_[static_cast<std::size_t>(s)];
    } else {
      out_ += "<slot ";
      out_ += std::to_string(s);
      out_ += '>';
    }
  }
  void name_offset(Slot s, std::uint64_t off) {
    name(s);
    if (off != 0) {
      out_ += '+';
      append_dec(out_, off);
    }
  }
  void bind(Slot dst, std::string_view verb) {
    name(dst);
    out_ += " = ";
    out_ += verb;
  }
  void gfp(gfp_t g) {
    out_ += " gfp=";
    out_ += gfp_to_string(g);
  }
  void key_dec(std::string_view key, std::uint64_t v) {
    out_ += ' ';
    out_ += key;
    out_ += '=';
    append_dec(out_, v);
  }

  void operator()(const AllocPagesOp& o) { pages(o.dst, "alloc_pages", o.order, o.gfp); }
  void operator()(const GetFreePagesOp& o) { pages(o.dst, "get_free_pages", o.order, o.gfp); }
  void pages(Slot dst, std::string_view verb, unsigned order, gfp_t g) {
    bind(dst, verb);
    key_dec("order", order);
    gfp(g);
  }
  void operator()(const FreePagesOp& o) {
    out_ += "free_pages ";
    name(o.src);
    if (o.order) key_dec("order", *o.order);
  }
  void operator()(const KmallocOp& o) {
    bind(o.dst, o.zeroed ? "kzalloc " : "kmalloc ");
    append_size(out_, o.size);
    gfp(o.gfp);
  }
  void operator()(const KreallocOp& o) {
    bind(o.dst, "krealloc ");
    name(o.src);
    out_ += ' ';
    append_size(out_, o.size);
    gfp(o.gfp);
  }
  void operator()(const KfreeOp& o) {
    out_ += "kfree ";
    if (o.src == NO_SLOT)
      out_ += "null";
    else
      name_offset(o.src, o.offset);
  }
  void operator()(const CacheCreateOp& o) {
    bind(o.dst, "kmem_cache_create name=");
    out_ += o.name;
    out_ += " size=";
    append_size(out_, o.size);
    key_dec("align", o.align);
    if (o.flags != 0) {
      out_ += " flags=";
      out_ += slab_flags_to_string(o.flags);
    }
  }
  void operator()(const CacheAllocOp& o) {
    bind(o.dst, "kmem_cache_alloc ");
    name(o.cache);
    gfp(o.gfp);
  }
  void operator()(const CacheFreeOp& o) {
    out_ += "kmem_cache_free ";
    name(o.cache);
    out_ += ' ';
    name_offset(o.obj, o.offset);
  }
  void operator()(const CacheDestroyOp& o) {
    out_ += "kmem_cache_destroy ";
    name(o.cache);
  }
  void operator()(const CacheShrinkOp& o) {
    out_ += "kmem_cache_shrink ";
    name(o.cache);
  }
  void operator()(const VmallocOp& o) {
    bind(o.dst, vmalloc_verb(o));
    out_ += ' ';
    append_size(out_, o.size);
  }
  void operator()(const VfreeOp& o) {
    out_ += "vfree ";
    name_offset(o.src, o.offset);
  }
  void operator()(const IoremapOp& o) {
    bind(o.dst, "ioremap ");
    append_hex(out_, o.phys);
    out_ += ' ';
    append_size(out_, o.size);
  }
  void operator()(const IounmapOp& o) {
    out_ += "iounmap ";
    name(o.src);
  }
  void operator()(const MemOp& o) {
    out_ += o.verb == MemVerb::write ? "write " : o.verb == MemVerb::check ? "check " : "scribble ";
    name(o.src);
    out_ += ' ';
    append_dec(out_, o.offset);
    out_ += ' ';
    append_dec(out_, o.length);
    char buf[8];
    std::snprintf(buf, sizeof buf, " 0x%02x", o.byte);
    out_ += buf;
  }
  void operator()(const AtomicOp& o) { out_ += o.on ? "atomic on" : "atomic off"; }
  void operator()(const FailOp& o) {
    if (o.off) {
      out_ += "fail off";
      return;
    }
    const FaultAttr d{};
    out_ += o.target == FaultTarget::slab ? "fail slab" : "fail page_alloc";
    key_dec("probability", o.probability);
    if (o.interval != d.interval) key_dec("interval", o.interval);
    if (o.times != d.times) {
      out_ += " times=";
      out_ += std::to_string(o.times);
    }
    if (o.space != d.space) {
      out_ += " space=";
      append_size(out_, o.space);
    }
    const bool pa = o.target == FaultTarget::page_alloc;
    if (pa && o.min_order != d.min_order) key_dec("min_order", o.min_order);
    if (o.ignore_gfp_wait != d.ignore_gfp_wait)
      out_ += o.ignore_gfp_wait ? " ignore_gfp_wait=yes" : " ignore_gfp_wait=no";
    if (pa && o.ignore_gfp_highmem != d.ignore_gfp_highmem)
      out_ += o.ignore_gfp_highmem ? " ignore_gfp_highmem=yes" : " ignore_gfp_highmem=no";
    if (!pa && !o.cache_filter.empty()) {
      out_ += " cache=";
      out_ += o.cache_filter;
    }
  }
  void operator()(const ExpectOp& o) {
    out_ += "expect ";
    if (o.kind == ExpectKind::report) {
      out_ += "report ";
      out_ += report_kind_name(o.report);
      return;
    }
    if (o.kind == ExpectKind::free_pages) {
      out_ += "free_pages ";
      append_dec(out_, o.value);
      return;
    }
    name(o.src);
    if (o.negated) out_ += " not";
    switch (o.kind) {
      case ExpectKind::in_direct_map: out_ += " in direct_map"; break;
      case ExpectKind::in_vmalloc: out_ += " in vmalloc"; break;
      case ExpectKind::in_dma: out_ += " in dma"; break;
      case ExpectKind::in_lowmem: out_ += " in lowmem"; break;
      case ExpectKind::in_highmem: out_ += " in highmem"; break;
      case ExpectKind::phys_contiguous: out_ += " phys_contiguous"; break;
      case ExpectKind::aligned:
        out_ += " aligned ";
        append_dec(out_, o.value);
        break;
      case ExpectKind::ksize:
        out_ += " ksize ";
        append_dec(out_, o.value);
        break;
      case ExpectKind::in_range:
        out_ += " in ";
        append_hex(out_, o.value);
        out_ += "..";
        append_hex(out_, o.value2);
        break;
      case ExpectKind::null: out_ += " null"; break;
      case ExpectKind::ok: out_ += " ok"; break;
      case ExpectKind::report:
      case ExpectKind::free_pages: break;
    }
  }
  void operator()(const PrintOp& o) {
    out_ += "print ";
    for (const auto& [word, what] : PRINTABLES) {
      if (o.what == what) {
        out_ += word;
        return;
      }
    }
    name(o.src);
  }

 private:
  std::string& out_;
  std::span<const std::string> names_;
};

}  // namespace

std::string KmfError::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

ParseResult parse_kmf(std::string_view text, std::string_view filename, std::vector<OpSource>* sources) {
  if (sources) sources->clear();
  return Parser(text, filename).run(sources);
}

std::string print_op(const Op& op, std::span<const std::string> names) {
  std::string out;
  Printer p(out, names);
  std::visit(p, op);
  return out;
}

std::string print_kmf(const Program& program) {
  const MachineConfig& m = program.machine;
  std::string out = "machine mem=";
  append_size(out, m.mem_bytes);
  out += " profile=";
  out += profile_name(m.profile);
  out += " kmalloc=";
  out += kmalloc_profile_name(m.kmalloc);
  out += " seed=";
  append_dec(out, m.seed);
  out += m.slab_debug ? " slab_debug=on\n" : " slab_debug=off\n";
  Printer p(out, program.names);
  for (const Op& op : program.ops) {
    std::visit(p, op);
    out += '\n';
  }
  return out;
}

std::string slab_flags_to_string(SlabFlags flags) {
  if (flags == 0) return "0";
  std::string out;
  SlabFlags rest = flags;
  for (const auto& [name, bit] : SLAB_FLAG_NAMES) {
    if (rest & bit) {
      if (!out.empty()) out += '|';
      out += name;
      rest &= ~bit;
    }
  }
  if (rest != 0) {
    if (!out.empty()) out += '|';
    append_hex(out, rest);
  }
  return out;
}

std::vector<std::string> kmf_keywords() {
  std::vector<std::string> words{"machine", "=",  "#",  "not",  "null",   "on",     "off",
                                 "yes",     "no", "in", "..",   "0x",     "K",      "M",
                                 "G",       "+",  "-1", "i386", "x86_64", "2.6.18", "modern"};
  for (auto v : BINDING_VERBS) words.emplace_back(v);
  for (auto v : PLAIN_VERBS) words.emplace_back(v);
  for (auto k : {"mem=", "profile=", "kmalloc=", "seed=", "slab_debug=", "order=", "gfp=", "name=", "size=",
                 "align=", "flags=", "probability=", "interval=", "times=", "space=", "min_order=",
                 "ignore_gfp_wait=", "ignore_gfp_highmem=", "cache="})
    words.emplace_back(k);
  for (auto g : {"GFP_KERNEL",
                 "GFP_ATOMIC",
                 "GFP_NOWAIT",
                 "GFP_USER",
                 "GFP_HIGHUSER",
                 "GFP_RECLAIM",
                 "GFP_DMA",
                 "GFP_HIGHMEM",
                 "GFP_DMA32",
                 "GFP_DIRECT_RECLAIM",
                 "GFP_KSWAPD_RECLAIM",
                 "GFP_HIGH",
                 "GFP_IO",
                 "GFP_FS",
                 "GFP_HARDWALL",
                 "GFP_NOWARN",
                 "GFP_NOFAIL",
                 "GFP_ZERO",
                 "GFP_WAIT",
                 "__GFP_ZERO",
                 "|"})
    words.emplace_back(g);
  for (const auto& [name, bit] : SLAB_FLAG_NAMES) words.emplace_back(name);
  for (std::size_t i = 0; i < NR_REPORT_KINDS; ++i)
    words.emplace_back(report_kind_name(static_cast<ReportKind>(i)));
  for (const auto& [word, kind] : REGIONS) words.emplace_back(word);
  for (auto p : {"phys_contiguous", "aligned", "ksize", "ok", "report", "page_alloc", "slab"})
    words.emplace_back(p);
  for (const auto& [word, what] : PRINTABLES) words.emplace_back(word);
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

}  // namespace kmf
