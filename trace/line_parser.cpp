// line_parser.cpp — kernel trace lines to events (see line_parser.h for the shapes).
#include "trace/line_parser.h"

#include <array>
#include <charconv>
#include <optional>

#include "trace/gfp_names.h"

namespace kmf::trace {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_ident(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool all_of(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s)
    if (!pred(c)) return false;
  return true;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// ---- numbers ------------------------------------------------------------------------------------

/// Decimal, or hex with 0x; a leading '-' wraps (node=-1, pfn=-1 in the fields mode).
std::optional<std::uint64_t> parse_number(std::string_view s) {
  bool neg = false;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return neg ? ~v + 1 : v;
}

/// %p / %lx values: hex with or without 0x.
std::optional<std::uint64_t> parse_hex_value(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.empty() || s.size() > 16 || !all_of(s, is_hex)) return std::nullopt;
  std::uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v, 16);
  return v;
}

/// The fields print mode writes numbers as `0x80 (128)`: keep the first word.
std::string_view first_word(std::string_view v) {
  const std::size_t sp = v.find(' ');
  return sp == std::string_view::npos ? v : v.substr(0, sp);
}

// ---- the prefix: task, pid, cpu -------------------------------------------------------------

/// `1234.567890` (ftrace, perf, trace-cmd) or `5us`, `1234us+`, `1.234us!` (latency format).
bool is_timestamp(std::string_view t) {
  std::size_t i = 0;
  while (i < t.size() && is_digit(t[i])) ++i;
  if (i == 0) return false;
  bool frac = false;
  if (i < t.size() && t[i] == '.') {
    const std::size_t j = ++i;
    while (i < t.size() && is_digit(t[i])) ++i;
    if (i == j) return false;
    frac = true;
  }
  if (i == t.size()) return frac;
  if (t.substr(i, 2) != "us") return false;
  i += 2;
  if (i < t.size() && std::string_view("!#@*+$ ").find(t[i]) != std::string_view::npos) ++i;
  return i == t.size();
}

/// The irq-info flags column: `d..1.`, `....`, `dNs1`, `d.h2.`.
bool is_flags(std::string_view t) {
  if (t.size() < 3 || t.size() > 8) return false;
  bool dot_or_letter = false;
  for (char c : t) {
    if (std::string_view(".dDNnhHsSbBXzZp0123456789").find(c) == std::string_view::npos) return false;
    if (!is_digit(c)) dot_or_letter = true;
  }
  return dot_or_letter;
}

std::string_view last_token(std::string_view s, std::string_view& before) {
  s = trim(s);
  std::size_t i = s.size();
  while (i > 0 && !is_space(s[i - 1])) --i;
  before = s.substr(0, i);
  return s.substr(i);
}

struct Prefix {
  std::int32_t cpu = -1;
};

/// Parses what precedes the timestamp. False when it is not TASK-PID [(TGID)] [[CPU]] [flags].
bool parse_prefix(std::string_view s, Prefix& out) {
  std::string_view rest;
  std::string_view tok = last_token(s, rest);
  if (is_flags(tok) && !is_digit(tok[0])) tok = last_token(rest, rest);  // irq-info column
  if (tok.size() >= 3 && tok.size() <= 7 && tok.front() == '[' && tok.back() == ']' &&
      all_of(tok.substr(1, tok.size() - 2), is_digit)) {
    out.cpu = static_cast<std::int32_t>(*parse_number(tok.substr(1, tok.size() - 2)));
    s = rest;
  } else if (tok.size() >= 2 && is_digit(tok[0]) && is_flags(tok)) {
    // Latency format: CPU and flags in one column (`1d..1`).
    std::size_t i = 0;
    while (i < tok.size() && is_digit(tok[i])) ++i;
    out.cpu = static_cast<std::int32_t>(*parse_number(tok.substr(0, i)));
    s = rest;
  }
  s = trim(s);
  // (TGID) from the record-tgid option: `(   1234)` or `(-------)`.
  if (!s.empty() && s.back() == ')') {
    const std::size_t open = s.rfind('(');
    if (open == std::string_view::npos) return false;
    s = trim(s.substr(0, open));
  }
  // TASK-PID (ftrace, trace-cmd) or TASK PID[/TID] (perf script).
  std::size_t i = s.size();
  while (i > 0 && (is_digit(s[i - 1]) || s[i - 1] == '/')) --i;
  if (i == s.size() || s[i] == '/' || !is_digit(s[s.size() - 1])) return false;
  if (i == 0) return true;  // perf without comm: `1234 [001] …`
  return s[i - 1] == '-' || is_space(s[i - 1]);
}

// ---- fields -------------------------------------------------------------------------------

struct Field {
  std::string_view key;
  std::size_t begin = 0, end = 0;  ///< the value's span in the rest of the line
};

/// Splits `key=value key2=v a l u e key3: value` into fields; a word without
/// `=` continues the previous value. Returns false on more than 16 fields.
bool split_fields(std::string_view s, std::array<Field, 16>& fields, std::size_t& n) {
  n = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size()) break;
    std::size_t j = i;
    while (j < s.size() && !is_space(s[j])) ++j;
    const std::string_view word = s.substr(i, j - i);
    std::size_t k = 0;
    while (k < word.size() && is_ident(word[k])) ++k;
    const bool key_eq = k > 0 && k < word.size() && word[k] == '=';
    const bool key_colon = k > 0 && k + 1 == word.size() && word[k] == ':';
    if (key_eq || key_colon) {
      if (n == fields.size()) return false;
      Field& f = fields[n++];
      f.key = word.substr(0, k);
      f.begin = i + k + 1;
      f.end = key_eq ? j : f.begin;
    } else if (n > 0) {
      fields[n - 1].end = j;  // continues the value
    }
    // Words before the first key (trace-cmd's padding artefacts) are ignored.
    i = j;
  }
  return true;
}

bool is_null_pointer(std::string_view v) {
  if (v == "(null)" || v == "(nil)" || v == "NULL") return true;
  auto x = parse_hex_value(v);
  return x && *x == 0;
}

/// `kmem_cache_alloc+0x1b2/0x2e0 [mymod]` → `kmem_cache_alloc+0x1b2 [mymod]`;
/// `ffffffff811d3b1d` → `0xffffffff811d3b1d`.
std::string normalize_call_site(std::string_view v) {
  std::string_view sym = first_word(v);
  std::string_view tail = trim(v.substr(sym.size()));
  if (tail.size() > 2 && tail.front() == '(') tail = {};  // the fields mode's `(decimal)`
  if (auto x = parse_hex_value(sym); x && tail.empty()) {
    char buf[24];
    const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, *x, 16);
    (void)ec;
    return "0x" + std::string(buf, p);
  }
  const std::size_t slash = sym.find('/');
  std::string out(slash == std::string_view::npos ? sym : sym.substr(0, slash));
  if (!tail.empty()) out += " " + std::string(tail);
  return out;
}

/// Fields the events print that nothing here needs.
bool is_known_ignored(std::string_view key) {
  for (std::string_view k : {"align", "vstart", "vend", "nr_lazy", "nr_lazy_max", "cold", "accounted",
                             "migratetype", "page", "call_site", "name", "num_purged", "gfp_flags", "node"})
    if (k == key) return true;
  return false;
}

}  // namespace

LineResult LineParser::event_fields(EventKind kind, std::int32_t cpu, std::string_view rest,
                                    std::uint32_t number) {
  LineResult r;
  Event& e = r.event;
  e.kind = kind;
  e.line = number;
  e.cpu = cpu;
  std::array<Field, 16> fields;
  std::size_t nf = 0;
  if (!split_fields(rest, fields, nf)) {
    r.reason = "more than 16 fields";
    r.kind = LineKind::unparsable;
    return r;
  }
  bool have_ptr = false, have_req = false, have_alloc = false, have_pfn = false, have_order = false,
       have_size = false, have_gfp = false, page_null = false;
  auto bad = [&](std::string_view key, std::string_view value) {
    r.kind = LineKind::unparsable;
    r.reason = std::string(event_name(e.kind)) + ": bad " + std::string(key) + "= value '" +
               std::string(value) + "'";
    return r;
  };
  for (std::size_t f = 0; f < nf; ++f) {
    const std::string_view key = fields[f].key;
    const std::string_view value = trim(rest.substr(fields[f].begin, fields[f].end - fields[f].begin));
    const std::string_view num = first_word(value);
    const Family fam = family_of(e.kind);
    if (key == "call_site" && fam == Family::slab) {
      e.call_site = strings_.intern(normalize_call_site(value));
    } else if ((key == "ptr" && fam == Family::slab) || (key == "va_start" && fam == Family::vmap) ||
               (key == "start" && e.kind == EventKind::purge_vmap_area_lazy)) {
      if (key == "ptr" && (is_null_pointer(value) || is_null_pointer(num))) {
        e.failed = true;
      } else if (key == "ptr" && value.find("ptrval") != std::string_view::npos) {
        e.addr_unknown = true;
      } else {
        // ptr is %p (hex, 0x optional); va_start is %lu in alloc_vmap_area, 0x%lx elsewhere.
        auto v = key == "ptr" ? parse_hex_value(num) : parse_number(num);
        if (!v) return bad(key, value);
        e.addr = *v;
      }
      have_ptr = true;
    } else if (key == "bytes_req" && fam == Family::slab) {
      auto v = parse_number(num);
      if (!v) return bad(key, value);
      e.bytes_req = *v;
      have_req = true;
    } else if (key == "bytes_alloc" && fam == Family::slab) {
      auto v = parse_number(num);
      if (!v) return bad(key, value);
      e.bytes_alloc = *v;
      have_alloc = true;
    } else if (key == "size" && e.kind == EventKind::alloc_vmap_area) {
      auto v = parse_number(num);
      if (!v) return bad(key, value);
      e.bytes_req = *v;
      have_size = true;
    } else if (key == "end" && e.kind == EventKind::purge_vmap_area_lazy) {
      auto v = parse_number(num);
      if (!v) return bad(key, value);
      e.bytes_alloc = *v;
      have_size = true;
    } else if (key == "gfp_flags" && (fam == Family::slab || e.kind == EventKind::mm_page_alloc)) {
      // The fields mode prints `0xcc0 (3264)`; names have no spaces.
      auto g = parse_trace_gfp(num);
      if (!g) return bad(key, value);
      e.gfp = g->gfp;
      have_gfp = true;
      r.unknown_gfp_names += g->unknown_names;
    } else if (key == "node") {
      auto v = parse_number(num);
      if (!v) return bad(key, value);
      e.node = static_cast<std::int16_t>(static_cast<std::int64_t>(*v));
    } else if (key == "name" && fam == Family::slab) {
      e.name = strings_.intern(value);
    } else if (key == "accounted" && fam == Family::slab) {
      if (num != "true" && num != "false" && !parse_number(num)) return bad(key, value);
    } else if (key == "page" && fam == Family::page) {
      page_null = is_null_pointer(value) || is_null_pointer(num);
    } else if (key == "pfn" && fam == Family::page) {
      auto v = parse_number(num);
      if (!v) return bad(key, value);
      e.addr = *v;
      have_pfn = true;
    } else if (key == "order" && fam == Family::page) {
      auto v = parse_number(num);
      if (!v || *v > 63) return bad(key, value);
      e.order = static_cast<std::uint8_t>(*v);
      have_order = true;
    } else if (key == "migratetype" && e.kind == EventKind::mm_page_alloc) {
      auto v = parse_number(num);
      if (!v || *v > 127) return bad(key, value);
      e.migratetype = static_cast<std::int8_t>(*v);
    } else if (key == "failed" && e.kind == EventKind::alloc_vmap_area) {
      auto v = parse_number(num);
      if (!v) return bad(key, value);
      e.failed = *v != 0;
    } else if (key == "num_purged" && e.kind == EventKind::purge_vmap_area_lazy) {
      if (!parse_number(num)) return bad(key, value);
    } else if (!is_known_ignored(key)) {
      ++r.unknown_fields;  // a newer kernel's extra field, a tool's annotation …
    }
  }
  auto missing = [&](std::string_view what) {
    r.kind = LineKind::unparsable;
    r.reason = std::string(event_name(e.kind)) + " without " + std::string(what);
    return r;
  };
  switch (family_of(e.kind)) {
    case Family::slab:
      if (!have_ptr) return missing("ptr=");
      if (is_alloc(e.kind) && !e.failed && (!have_req || !have_alloc))
        return missing(have_req ? "bytes_alloc=" : "bytes_req=");
      if (is_alloc(e.kind) && !have_gfp) e.gfp = GFP_KERNEL;
      break;
    case Family::page:
      if (!have_pfn) return missing("pfn=");
      if (!have_order && e.kind != EventKind::mm_page_free_batched) return missing("order=");
      if (e.kind == EventKind::mm_page_alloc && !have_gfp) e.gfp = GFP_KERNEL;
      // A failed allocation: page=(null) (pfn printed as 0), or pfn=-1 in the fields mode.
      if (e.kind == EventKind::mm_page_alloc && (page_null || e.addr == ~std::uint64_t{0})) e.failed = true;
      break;
    case Family::vmap:
      if (!have_ptr) return missing(e.kind == EventKind::purge_vmap_area_lazy ? "start=" : "va_start");
      if (!have_size && e.kind != EventKind::free_vmap_area_noflush)
        return missing(e.kind == EventKind::alloc_vmap_area ? "size=" : "end=");
      break;
  }
  r.kind = LineKind::event;
  callchain_may_follow_ = true;
  return r;
}

LineResult LineParser::parse(std::string_view line, std::uint32_t number) {
  LineResult r;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::string_view t = trim(line);
  const bool chain_ok = callchain_may_follow_;
  callchain_may_follow_ = false;
  if (t.empty()) {
    r.kind = LineKind::blank;
    return r;
  }
  if (t[0] == '#' || starts_with(t, "version = ") || starts_with(t, "cpus=") ||
      (starts_with(t, "CPU") &&
       (t.ends_with(" is empty") || t.find(" data recorded at offset=") != t.npos)) ||
      (t.ends_with(" bytes in size") && is_digit(t[0]))) {
    r.kind = LineKind::header;
    return r;
  }

  // The ring buffer overflowed: `CPU:2 [LOST 123 EVENTS]`, `CPU:2 [123 EVENTS DROPPED]`.
  if (starts_with(t, "CPU:") && t.back() == ']') {
    const std::size_t open = t.find(" [");
    if (open != std::string_view::npos && all_of(t.substr(4, open - 4), is_digit)) {
      std::string_view inner = t.substr(open + 2, t.size() - open - 3);
      if (starts_with(inner, "LOST ")) inner.remove_prefix(5);
      const std::size_t sp = inner.find(' ');
      const std::string_view tail = sp == std::string_view::npos ? std::string_view() : inner.substr(sp);
      if (auto n = parse_number(inner.substr(0, sp)); n && (tail == " EVENTS" || tail == " EVENTS DROPPED")) {
        r.kind = LineKind::lost_events;
        r.lost = *n;
        return r;
      }
    }
  }

  // Find the anchor `TIMESTAMP: [SYSTEM:]EVENT:` whose prefix parses.
  for (std::size_t c = line.find(':'); c != std::string_view::npos; c = line.find(':', c + 1)) {
    if (c + 1 < line.size() && !is_space(line[c + 1])) continue;
    std::string_view before;
    std::string_view ts = last_token(line.substr(0, c), before);
    if (ts.empty()) continue;
    if (!is_timestamp(ts)) continue;
    Prefix prefix;
    if (!parse_prefix(before, prefix)) continue;
    // The event word: [SYSTEM:]NAME: (perf may print a period count first).
    std::size_t i = c + 1;
    while (i < line.size() && is_space(line[i])) ++i;
    std::size_t j = i;
    while (j < line.size() && !is_space(line[j])) ++j;
    std::string_view word = line.substr(i, j - i);
    if (all_of(word, is_digit)) {
      i = j;
      while (i < line.size() && is_space(line[i])) ++i;
      j = i;
      while (j < line.size() && !is_space(line[j])) ++j;
      word = line.substr(i, j - i);
    }
    if (word.size() < 2 || word.back() != ':') continue;
    word.remove_suffix(1);
    std::string_view system;
    std::string_view name = word;
    if (const std::size_t colon = word.find(':'); colon != std::string_view::npos) {
      system = word.substr(0, colon);
      name = word.substr(colon + 1);
    }
    if (!all_of(name, is_ident) || (!system.empty() && !all_of(system, is_ident))) continue;
    const std::optional<EventKind> kind = event_kind_from_name(name);
    if (!kind || (!system.empty() && system != "kmem" && system != "vmalloc")) {
      r.kind = LineKind::other_event;
      r.other_name = name;
      callchain_may_follow_ = true;
      return r;
    }
    return event_fields(*kind, prefix.cpu, line.substr(j), number);
  }

  // With options/context-info off ftrace prints only `EVENT: fields`.
  if (const std::size_t colon = t.find(": "); colon != std::string_view::npos) {
    std::string_view word = t.substr(0, colon);
    if (starts_with(word, "kmem:")) word.remove_prefix(5);
    if (starts_with(word, "vmalloc:")) word.remove_prefix(8);
    if (const std::optional<EventKind> kind = event_kind_from_name(word))
      return event_fields(*kind, -1, t.substr(colon + 1), number);
  }

  // A perf script callchain frame: `ffffffff811d3b1d __kmalloc+0x10d ([kernel.kallsyms])`.
  if (chain_ok && is_space(line[0])) {
    const std::string_view addr = first_word(t);
    if (addr.size() >= 4 && parse_hex_value(addr)) {
      r.kind = LineKind::callchain;
      callchain_may_follow_ = true;
      return r;
    }
  }
  r.kind = LineKind::unparsable;
  r.reason = "no 'TASK-PID [CPU] TIMESTAMP: EVENT:' shape";
  return r;
}

}  // namespace kmf::trace
