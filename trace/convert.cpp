// convert.cpp — trace events to ops (see convert.h for the mapping).
#include "trace/convert.h"

#include <algorithm>
#include <sstream>
#include <unordered_map>

#include "ops/binary_codec.h"
#include "ops/kmf_text.h"

namespace kmf::trace {

namespace {

constexpr std::uint64_t PAGE_BYTES = 4096;

/// What a trace address is bound to in the program.
struct Binding {
  Slot slot = NO_SLOT;
  Slot cache = NO_SLOT;  ///< for kmem_cache objects
};

std::uint64_t event_bytes(const Event& e) {
  switch (family_of(e.kind)) {
    case Family::slab: return e.bytes_alloc;
    case Family::page: return PAGE_BYTES << std::min<unsigned>(e.order, 20);
    case Family::vmap: return e.bytes_req;
  }
  return 0;
}

/// A cache name the .kmf grammar accepts ([A-Za-z0-9_]).
std::string cache_name(const Trace& trace, const Event& alloc, std::uint32_t learned_name) {
  std::string raw =
      learned_name ? trace.strings.at(learned_name) : "trace_" + std::to_string(alloc.bytes_req);
  for (char& c : raw)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) c = '_';
  return raw;
}

gfp_t slab_gfp(gfp_t g) { return g & ~(GFP_HIGHMEM | GFP_DMA32) & GFP_VALID_MASK; }

}  // namespace

std::uint64_t peak_live_bytes(const Trace& trace, const Pairing& p) {
  std::uint64_t live = 0, peak = 0;
  const auto& ev = trace.events;
  for (std::uint32_t i = 0; i < ev.size(); ++i) {
    const Event& e = ev[i];
    if (e.failed || e.addr_unknown || e.kind == EventKind::purge_vmap_area_lazy) continue;
    if (is_alloc(e.kind)) {
      live += event_bytes(e);
      peak = std::max(peak, live);
    } else if (p.partner[i] != NO_EVENT) {
      live -= event_bytes(ev[p.partner[i]]);
    }
  }
  return peak;
}

MachineConfig auto_machine(const Trace& trace, const Pairing& pairing) {
  MachineConfig m;
  m.profile = Profile::x86_64;
  m.kmalloc = KmallocProfile::modern;
  m.slab_debug = true;
  m.seed = 0;
  const std::uint64_t peak = peak_live_bytes(trace, pairing);
  const std::uint64_t want = peak > MAX_MEM_BYTES ? MAX_MEM_BYTES : 4 * peak + 16 * MiB;
  std::uint64_t mem = 16 * MiB;
  while (mem < want && mem < MAX_MEM_BYTES) mem *= 2;
  m.mem_bytes = mem;
  return m;
}

MachineConfig machine_from_spec(const std::string& spec, const MachineConfig& base) {
  // Start from base's canonical machine line and replace the keys the spec names.
  const std::string base_line = print_kmf(Program{base, {}, {}});
  std::istringstream words(base_line.substr(0, base_line.find('\n')));
  std::vector<std::pair<std::string, std::string>> keys;
  std::string w;
  words >> w;  // "machine"
  while (words >> w) keys.emplace_back(w.substr(0, w.find('=')), w.substr(w.find('=') + 1));
  std::istringstream in(spec);
  bool any = false;
  while (in >> w) {
    any = true;
    const std::size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == w.size())
      throw BadMachineSpec("--machine: '" + w +
                           "' is not KEY=VALUE (keys: mem profile kmalloc seed slab_debug)");
    const std::string key = w.substr(0, eq);
    auto it = std::find_if(keys.begin(), keys.end(), [&](const auto& kv) { return kv.first == key; });
    if (it == keys.end())
      throw BadMachineSpec("--machine: unknown key '" + key +
                           "' (keys: mem profile kmalloc seed slab_debug)");
    it->second = w.substr(eq + 1);
  }
  if (!any) throw BadMachineSpec("--machine: empty machine spec");
  std::string line = "machine";
  for (const auto& [k, v] : keys) line += " " + k + "=" + v;
  const ParseResult r = parse_kmf(line + "\n", "--machine");
  if (!r.ok()) throw BadMachineSpec("--machine '" + spec + "': " + r.error().message);
  return r.program().machine;
}

Conversion convert(const Trace& trace, const Pairing& pairing, const MachineConfig& machine) {
  Conversion c;
  c.program.machine = machine;
  c.peak_live_bytes = peak_live_bytes(trace, pairing);
  const auto& ev = trace.events;
  std::unordered_map<std::uint64_t, Binding> bound[3];
  // Caches by (name, object size), or by (bytes_req, bytes_alloc) when unnamed.
  std::unordered_map<std::string, Slot> caches;
  std::unordered_map<std::string, Slot> by_size;  // "bytes_req/bytes_alloc" -> the first cache of those sizes
  // A cache's name may appear only on its frees (kmem_cache_free name=, Linux 5.12+):
  // learn it ahead from the pairing so the cache is created under its name.
  auto learned_name = [&](std::uint32_t alloc) -> std::uint32_t {
    if (ev[alloc].name) return ev[alloc].name;
    const std::uint32_t f = pairing.partner[alloc];
    return f != NO_EVENT ? ev[f].name : NO_STRING;
  };
  auto add = [&](Op op, std::uint32_t line) {
    c.op_line.push_back(line);
    return c.program.add(std::move(op));
  };
  for (std::uint32_t i = 0; i < ev.size(); ++i) {
    const Event& e = ev[i];
    if (e.kind == EventKind::purge_vmap_area_lazy) {
      ++c.skipped_purges;
      continue;
    }
    const Family fam = family_of(e.kind);
    auto& map = bound[static_cast<int>(fam)];
    if (is_alloc(e.kind)) {
      if (e.failed) {
        ++c.skipped_failed;
        continue;
      }
      if (e.addr_unknown) {
        ++c.skipped_unknown_pointers;
        continue;
      }
      Binding b;
      switch (fam) {
        case Family::slab:
          if (e.addr <= ZERO_SIZE_PTR || e.bytes_req == 0) {
            ++c.skipped_zero_size;
            continue;
          }
          if (is_cache_alloc(e.kind)) {
            // A named cache by its name and sizes; an unnamed allocation (its
            // free is not in the trace) joins a cache of the same sizes.
            const std::uint32_t name = learned_name(i);
            const std::string sizes = std::to_string(e.bytes_req) + "/" + std::to_string(e.bytes_alloc);
            const std::string key = name ? trace.strings.at(name) + "/" + sizes : std::string();
            Slot cs = NO_SLOT;
            if (name) {
              if (auto it = caches.find(key); it != caches.end()) cs = it->second;
            } else if (auto it = by_size.find(sizes); it != by_size.end()) {
              cs = it->second;
            }
            if (cs == NO_SLOT) {
              cs = add(CacheCreateOp{NO_SLOT, cache_name(trace, e, name), e.bytes_req, 8, SlabFlags{}},
                       e.line);
              if (name) caches.emplace(key, cs);
              by_size.emplace(sizes, cs);  // the first cache of these sizes
            }
            b.cache = cs;
            b.slot = add(CacheAllocOp{NO_SLOT, b.cache, slab_gfp(e.gfp)}, e.line);
          } else {
            b.slot = add(KmallocOp{NO_SLOT, e.bytes_req, slab_gfp(e.gfp), false}, e.line);
          }
          break;
        case Family::page:
          b.slot = add(AllocPagesOp{NO_SLOT, e.order, e.gfp & GFP_VALID_MASK}, e.line);
          break;
        case Family::vmap:
          b.slot = add(
              VmallocOp{NO_SLOT, e.bytes_req > PAGE_BYTES ? e.bytes_req - PAGE_BYTES : e.bytes_req, false},
              e.line);
          break;
      }
      map[e.addr] = b;
      continue;
    }
    if (e.failed || (fam == Family::slab && e.addr <= ZERO_SIZE_PTR)) {
      ++c.skipped_null_frees;
      continue;
    }
    if (e.addr_unknown) {
      ++c.skipped_unknown_pointers;
      continue;
    }
    const auto it = map.find(e.addr);
    if (it == map.end()) {
      ++c.skipped_unknown_frees;
      continue;
    }
    const Binding& b = it->second;
    switch (fam) {
      case Family::slab:
        if (b.cache != NO_SLOT && e.kind == EventKind::kmem_cache_free)
          add(CacheFreeOp{b.cache, b.slot, 0}, e.line);
        else
          add(KfreeOp{b.slot, 0}, e.line);
        break;
      case Family::page: {
        // The allocation's order is what the binding remembers; a different
        // order in the trace is passed on as an explicit (wrong) order.
        std::optional<unsigned> order;
        const std::uint32_t alloc = pairing.partner[i];
        if (alloc != NO_EVENT && ev[alloc].order != e.order) order = e.order;
        add(FreePagesOp{b.slot, order}, e.line);
        break;
      }
      case Family::vmap: add(VfreeOp{b.slot, 0}, e.line); break;
    }
  }
  return c;
}

std::string conversion_to_kmf(const Conversion& c, const Trace& trace) {
  std::ostringstream o;
  o << "# imported by `kmemfuzz trace import` from " << trace.file << ": " << trace.events.size()
    << " kmem events -> " << c.program.ops.size() << " ops\n";
  o << "# not converted: " << c.skipped_unknown_frees << " frees of never-allocated addresses, "
    << c.skipped_failed << " failed allocations, " << c.skipped_null_frees << " frees of NULL, "
    << c.skipped_zero_size << " kmalloc(0), " << c.skipped_unknown_pointers << " unpairable pointers, "
    << c.skipped_purges << " lazy purges\n";
  o << print_kmf(c.program);
  return o.str();
}

std::vector<std::uint8_t> conversion_to_seed(const Conversion& c, std::size_t* kept_ops,
                                             std::size_t* dropped_ops) {
  // Slots are numbered in binding order, so a prefix of the ops re-added keeps its slots.
  Program prefix{c.program.machine, {}, {}};
  const std::size_t n = std::min(c.program.ops.size(), MAX_DECODED_OPS);
  for (std::size_t i = 0; i < n; ++i) prefix.add(c.program.ops[i]);
  if (kept_ops) *kept_ops = n;
  return encode_program(prefix, codec_options_for_target("fuzz_kernel"), dropped_ops);
}

}  // namespace kmf::trace
