// map.cpp — `kmemfuzz map`: the machine at one op as a picture (SVG, or an
// HTML page holding the SVG and the layout text). Self-contained: no script,
// no font or style from the network.
//
//   ┌ virtual address space ───────────────────────────────────────────────┐
//   │ direct map │ gap │ vmalloc window: areas ▮▮▮ + guard page ▨ │ reserve │
//   └────────────────────────────────┬─────────────────────────────────────┘
//                    one line per vmalloc page, to its frame
//   ┌ physical frames (a cell per frame or group), coloured by owner ──────┐
//   │ free by order · each slab cache · vmalloc · page tables · pages ·    │
//   │ reserved · free highmem; zone boundaries marked                      │
//   └──────────────────────────────────────────────────────────────────────┘
//   legend
//
// Everything drawn comes from the model's own state after the op (frame
// metadata, the buddy's free blocks, the vmap areas) and the executor's
// ledger (which slot and op made each area).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "alloc/kernel.h"
#include "alloc/phys_mem.h"
#include "alloc/slab.h"
#include "alloc/vmalloc.h"
#include "check/ledger.h"
#include "ops/executor.h"
#include "ops/kmf_text.h"
#include "tools/commands.h"

namespace kmf::tool {

namespace {

struct MapState {
  Loader load;
  std::string file;
  std::string out;
  long long at = -1;
} state;

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

/// What owns a frame, as the picture colours it.
enum class Cls : std::uint8_t {
  free,
  free_highmem,
  pages,
  slab,
  large_kmalloc,
  vmalloc,
  pagetable,
  reserved,
  hole
};

struct Frame {
  Cls cls = Cls::hole;
  std::uint8_t order = 0;  ///< free: the block's order
  std::uint32_t who = 0;   ///< slab: cache index; vmalloc: area index
};

struct Area {
  VmArea area;
  std::string label;  ///< `vmallocmem = vmalloc 1000000 (op 2)`
  std::string name;
};

struct Snapshot {
  bool taken = false;
  std::size_t op = 0;
  std::string op_text;
  std::vector<Frame> frames;
  std::vector<std::string> caches;  ///< who -> cache name
  std::vector<Area> areas;
};

void take(Snapshot& snap, const Kernel& k, const Ledger& ledger, const Program& p, std::size_t op) {
  snap.taken = true;
  snap.op = op;
  snap.op_text = op < p.ops.size() ? print_op(p.ops[op], p.names) : "before teardown";
  const Layout& l = k.layout();
  const PhysMem& mem = k.mem();
  const std::uint64_t n = mem.nr_frames();
  snap.frames.assign(n, Frame{});
  std::map<std::string, std::uint32_t> cache_ids;
  std::map<std::uint32_t, std::uint32_t> area_index;  // area id -> index in snap.areas

  // Areas and who made them (the ledger's live vmalloc/ioremap slots).
  std::vector<std::size_t> bound_at(ledger.size(), 0);
  for (std::size_t i = 0; i < p.ops.size(); ++i)
    if (const Slot d = op_dst(p.ops[i]); d != NO_SLOT) bound_at[static_cast<std::size_t>(d)] = i;
  k.vmap().for_each_area([&](const VmArea& a) {
    Area ar{a, std::string(a.caller), ""};
    for (std::size_t s = 0; s < ledger.size(); ++s) {
      const Entry& e = ledger[s];
      if (e.live && (e.kind == EntryKind::vmalloc || e.kind == EntryKind::ioremap) &&
          (e.va.value & PAGE_MASK) == a.start.value) {
        ar.name = p.names[s];
        ar.label = print_op(p.ops[bound_at[s]], p.names) + " (op " + std::to_string(bound_at[s]) + ", slot " +
                   std::to_string(s) + ")";
      }
    }
    area_index[a.id] = static_cast<std::uint32_t>(snap.areas.size());
    snap.areas.push_back(std::move(ar));
  });

  const std::uint64_t lowmem_frames = l.lowmem_bytes >> PAGE_SHIFT;
  for (std::uint64_t pfn = 0; pfn < n;) {
    const Page& pg = mem.page(pfn);
    std::uint64_t span = 1;
    Frame f;
    if (pg.state == PageState::reserved) {
      f.cls = Cls::reserved;
    } else if (pg.state == PageState::free) {
      span = std::uint64_t{1} << pg.order;
      f.cls = Cls::free;
      f.order = pg.order;
    } else if (pg.state == PageState::allocated) {
      span = std::uint64_t{1} << pg.order;
      switch (pg.owner) {
        case PageOwner::slab: {
          f.cls = Cls::slab;
          std::string name = "?";
          if (pfn < lowmem_frames)
            if (const auto ref = k.slab().object_containing(l.va(PhysAddr{pfn << PAGE_SHIFT}));
                ref && ref->cache)
              name = std::string(ref->cache->name());
          const auto [it, fresh] = cache_ids.emplace(name, static_cast<std::uint32_t>(snap.caches.size()));
          if (fresh) snap.caches.push_back(name);
          f.who = it->second;
          break;
        }
        case PageOwner::vmalloc:
          f.cls = Cls::vmalloc;
          f.who = area_index.count(pg.priv) ? area_index[pg.priv] : UINT32_MAX;
          break;
        case PageOwner::pagetable: f.cls = Cls::pagetable; break;
        case PageOwner::large_kmalloc: f.cls = Cls::large_kmalloc; break;
        default: f.cls = Cls::pages; break;
      }
    }
    span = std::max<std::uint64_t>(1, std::min(span, n - pfn));
    for (std::uint64_t i = 0; i < span; ++i) {
      Frame g = f;
      if (g.cls == Cls::free && pfn + i >= lowmem_frames) g.cls = Cls::free_highmem;
      snap.frames[pfn + i] = g;
    }
    pfn += span;
  }
}

// ---- colours ---------------------------------------------------------------------------

const char* free_colour(unsigned order) {
  static const char* greens[] = {"#e5f5e0", "#d3eecd", "#c1e6ba", "#a7dba0", "#8ace88", "#6bbf74",
                                 "#4daf62", "#349d53", "#238b45", "#0d7835", "#006428"};
  return greens[std::min(order, 10u)];
}

const char* cache_colour(std::uint32_t i) {
  static const char* blues[] = {"#1f77b4", "#6a51a3", "#3182bd", "#9e9ac8",
                                "#08519c", "#807dba", "#4292c6", "#54278f"};
  return blues[i % 8];
}

std::string colour(const Frame& f) {
  switch (f.cls) {
    case Cls::free: return free_colour(f.order);
    case Cls::free_highmem: return "#c7e9f1";
    case Cls::pages: return "#fdd835";
    case Cls::slab: return cache_colour(f.who);
    case Cls::large_kmalloc: return "#e377c2";
    case Cls::vmalloc: return "#ff7f0e";
    case Cls::pagetable: return "#8c564b";
    case Cls::reserved: return "#7f7f7f";
    case Cls::hole: return "#ffffff";
  }
  return "#ffffff";
}

/// When one cell stands for several frames, the most telling owner wins.
int rank(Cls c) {
  switch (c) {
    case Cls::vmalloc: return 8;
    case Cls::slab: return 7;
    case Cls::pagetable: return 6;
    case Cls::large_kmalloc: return 5;
    case Cls::pages: return 4;
    case Cls::reserved: return 3;
    case Cls::free: return 2;
    case Cls::free_highmem: return 1;
    case Cls::hole: return 0;
  }
  return 0;
}

std::string describe(const Snapshot& s, const Frame& f) {
  switch (f.cls) {
    case Cls::free: return "free (order " + std::to_string(f.order) + " block)";
    case Cls::free_highmem: return "free highmem (order " + std::to_string(f.order) + " block)";
    case Cls::pages: return "alloc_pages / get_free_pages";
    case Cls::slab: return "slab of cache " + s.caches[f.who];
    case Cls::large_kmalloc: return "large kmalloc (page allocator)";
    case Cls::vmalloc:
      return "vmalloc page of " + (f.who < s.areas.size() && !s.areas[f.who].name.empty()
                                       ? s.areas[f.who].name
                                       : std::string("an area"));
    case Cls::pagetable: return "page table";
    case Cls::reserved: return "reserved";
    case Cls::hole: return "no frame";
  }
  return "";
}

// ---- drawing ---------------------------------------------------------------------------

constexpr double W = 1200, LEFT = 60, RIGHT = 40;
constexpr double VBAND_Y = 100, VBAND_H = 46;
constexpr double GRID_Y = 290, GRID_H_MAX = 480;
constexpr int COLS = 320;

std::string render_svg(const Snapshot& s, const Kernel& k, const std::string& file) {
  const Layout& l = k.layout();
  const ZoneMap zones = ZoneMap::for_machine(k.config(), l);
  const bool i386 = l.profile == Profile::i386;
  std::string o;
  const double inner = W - LEFT - RIGHT;

  // Physical grid geometry: a cell per frame up to COLS*128 frames.
  const std::uint64_t nframes = s.frames.size();
  const std::uint64_t per_cell = std::max<std::uint64_t>(1, (nframes + COLS * 128 - 1) / (COLS * 128));
  const std::uint64_t cells = (nframes + per_cell - 1) / per_cell;
  const std::uint64_t rows = (cells + COLS - 1) / COLS;
  const double cw = inner / COLS;
  const double ch = std::min(12.0, GRID_H_MAX / static_cast<double>(rows));
  const double grid_h = ch * static_cast<double>(rows);
  const double legend_y = GRID_Y + grid_h + 40;
  const std::size_t legend_items = 12 + s.caches.size();
  const double H = legend_y + 24 * static_cast<double>((legend_items + 3) / 4) + 30;
  auto cell_xy = [&](std::uint64_t pfn, double& x, double& y) {
    const std::uint64_t c = pfn / per_cell;
    x = LEFT + cw * static_cast<double>(c % COLS) + cw / 2;
    y = GRID_Y + ch * static_cast<double>(c / COLS) + ch / 2;
  };

  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(W) + "\" height=\"" + num(H) +
       "\" viewBox=\"0 0 " + num(W) + " " + num(H) + "\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n";
  o += "<title>kmemfuzz map of " + esc(file) + "</title>\n";
  o += "<defs><pattern id=\"guard\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
       "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/><rect width=\"3\" "
       "height=\"6\" fill=\"#d62728\"/></pattern></defs>\n";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  const std::size_t slash = file.find_last_of('/');
  const std::string base = slash == std::string::npos ? file : file.substr(slash + 1);
  o += "<text x=\"" + num(LEFT) + "\" y=\"28\" font-size=\"18\" font-weight=\"bold\">" + esc(base) +
       " after op " + std::to_string(s.op) + ": " + esc(s.op_text) + "</text>\n";
  o += "<text x=\"" + num(LEFT) + "\" y=\"50\" font-size=\"13\" fill=\"#444\">machine mem=" +
       std::to_string(k.config().mem_bytes >> 20) + "M profile=" + std::string(profile_name(l.profile)) +
       " · virtual address space (kernel half), then the physical frames</text>\n";

  // ---- the virtual band: direct map | gap | vmalloc window (used part) | reserve.
  std::uint64_t used_end = l.vmalloc_start;
  for (const Area& a : s.areas) used_end = std::max(used_end, a.area.reserved_end().value);
  // Show the used part of the window with room to spare (at least 2 MiB).
  const std::uint64_t shown =
      std::min(l.vmalloc_end - l.vmalloc_start,
               std::max<std::uint64_t>(2 * MiB, (used_end - l.vmalloc_start) * 11 / 10));
  const bool whole_window = shown == l.vmalloc_end - l.vmalloc_start;
  const double dm_w = inner * 0.24, gap_w = inner * 0.07, res_w = i386 ? inner * 0.05 : 0.0;
  const double vm_x = LEFT + dm_w + gap_w, vm_w = inner - dm_w - gap_w - res_w;
  // Each segment's name and start address go below it; a narrow one (the
  // gap, the end reserve) drops them to a lower line so labels never overlap.
  int narrow = 0;
  std::string labels;
  auto seg = [&](double x, double w, const char* fill, const std::string& label, const std::string& lo,
                 const std::string& tip) {
    const double dy = w < 120 ? 30.0 * (++narrow) : 0.0;
    o += "<g><title>" + esc(tip) + "</title><rect x=\"" + num(x) + "\" y=\"" + num(VBAND_Y) + "\" width=\"" +
         num(w) + "\" height=\"" + num(VBAND_H) + "\" fill=\"" + fill + "\" stroke=\"#333\"/>";
    if (dy > 0)
      o += "<line x1=\"" + num(x + 2) + "\" y1=\"" + num(VBAND_Y + VBAND_H) + "\" x2=\"" + num(x + 2) +
           "\" y2=\"" + num(VBAND_Y + VBAND_H + dy + 4) + "\" stroke=\"#999\"/>";
    o += "</g>\n";
    // Labels go on top of the page lines (drawn later), with a white halo.
    labels += "<g paint-order=\"stroke\" stroke=\"#ffffff\" stroke-width=\"4\"><text x=\"" + num(x + 4) +
              "\" y=\"" + num(VBAND_Y + VBAND_H + 16 + dy) + "\" font-size=\"12\">" + esc(label) +
              "</text><text x=\"" + num(x + 4) + "\" y=\"" + num(VBAND_Y + VBAND_H + 30 + dy) +
              "\" font-size=\"11\" fill=\"#555\">" + esc(lo) + "</text></g>\n";
  };
  seg(LEFT, dm_w, "#dbe9f6", i386 ? "direct map (lowmem)" : "direct map (all RAM)",
      "PAGE_OFFSET " + hex(l.page_offset),
      "direct map: [" + hex(l.page_offset) + ", " + hex(l.high_memory) + "), phys [0, " +
          hex(l.lowmem_bytes) + ") at a fixed offset; high_memory = " + hex(l.high_memory));
  seg(LEFT + dm_w, gap_w, "#f2f2f2", i386 ? "8 MiB gap" : "unused", "high_memory " + hex(l.high_memory),
      i386 ? "VMALLOC_OFFSET gap: [" + hex(l.high_memory) + ", " + hex(l.vmalloc_start) + "), nothing mapped"
           : "unused: [" + hex(l.high_memory) + ", " + hex(l.vmalloc_start) + ")");
  seg(vm_x, vm_w, "#fff7ec",
      whole_window ? "vmalloc window"
                   : "vmalloc window (first " + std::to_string(shown >> 20) + " MiB shown)",
      "VMALLOC_START " + hex(l.vmalloc_start),
      "vmalloc window: [" + hex(l.vmalloc_start) + ", " + hex(l.vmalloc_end) + ")");
  if (i386)
    seg(vm_x + vm_w, res_w, "#e0e0e0", "end", hex(l.vmalloc_end),
        "vmalloc end reserve: [" + hex(l.vmalloc_end) + ", 0xff800000), 2 guard pages below PKMAP_BASE");
  const auto vx = [&](std::uint64_t va) {
    return vm_x + vm_w * static_cast<double>(va - l.vmalloc_start) / static_cast<double>(shown);
  };

  // Lines from each vmalloc page to its frame (at most 4000, evenly spread).
  std::uint64_t total_pages = 0;
  for (const Area& a : s.areas) total_pages += a.area.pages.size();
  const std::uint64_t stride = std::max<std::uint64_t>(1, (total_pages + 3999) / 4000);
  o += "<g id=\"page-lines\" stroke=\"#ff7f0e\" stroke-opacity=\"0.35\" stroke-width=\"0.8\">\n";
  std::uint64_t seen = 0;
  for (const Area& a : s.areas)
    for (std::size_t i = 0; i < a.area.pages.size(); ++i, ++seen) {
      if (seen % stride) continue;
      double x = 0, y = 0;
      cell_xy(a.area.pages[i].value, x, y);
      const double px = vx(a.area.start.value + i * PAGE_SIZE + PAGE_SIZE / 2);
      o += "<line x1=\"" + num(px) + "\" y1=\"" + num(VBAND_Y + VBAND_H) + "\" x2=\"" + num(x) + "\" y2=\"" +
           num(y) + "\"/>\n";
    }
  o += "</g>\n";

  // Areas and guard pages on top of the window.
  for (std::size_t ai = 0; ai < s.areas.size(); ++ai) {
    const Area& a = s.areas[ai];
    const double x0 = vx(a.area.start.value);
    const double w = std::max(3.0, vx(a.area.end().value) - x0);
    const bool io = a.area.kind == VmAreaKind::ioremap;
    std::string tip = (a.label.empty() ? std::string(a.area.caller) : a.label) + ": [" +
                      hex(a.area.start.value) + ", " + hex(a.area.end().value) + "), " +
                      std::to_string(a.area.nr_pages()) + " pages";
    if (io) tip += ", phys " + hex(a.area.phys.value);
    o += "<g><title>" + esc(tip) + "</title><rect x=\"" + num(x0) + "\" y=\"" + num(VBAND_Y + 6) +
         "\" width=\"" + num(w) + "\" height=\"" + num(VBAND_H - 12) + "\" fill=\"" +
         (io ? "#9467bd" : "#ff7f0e") + "\" stroke=\"#7a3b00\"/>";
    o += "<text x=\"" + num(x0 + 2) + "\" y=\"" + num(VBAND_Y - 5 - 13.0 * static_cast<double>(ai % 3)) +
         "\" font-size=\"12\" fill=\"#7a3b00\">" + esc(a.name.empty() ? a.area.caller : a.name) +
         "</text></g>\n";
    if (a.area.guard) {
      const double gx = x0 + w;
      const double gw = std::max(3.0, vx(a.area.reserved_end().value) - vx(a.area.end().value));
      o += "<g><title>guard page of " + esc(a.name.empty() ? a.area.caller : a.name) + ": [" +
           hex(a.area.end().value) + ", " + hex(a.area.reserved_end().value) +
           "), never mapped</title><rect x=\"" + num(gx) + "\" y=\"" + num(VBAND_Y + 6) + "\" width=\"" +
           num(gw) + "\" height=\"" + num(VBAND_H - 12) +
           "\" fill=\"url(#guard)\" stroke=\"#d62728\"/></g>\n";
    }
  }

  o += labels;

  // ---- the physical grid: runs of same-coloured cells per row.
  o += "<text x=\"" + num(LEFT) + "\" y=\"" + num(GRID_Y - 12) +
       "\" font-size=\"13\">physical frames: " + std::to_string(nframes) + " frames, " +
       std::to_string(per_cell) + " frame" + (per_cell > 1 ? "s" : "") + " per cell, " +
       std::to_string(COLS) + " cells per row (hover a run for its pfns and owner)</text>\n";
  o += "<g shape-rendering=\"crispEdges\">\n";
  std::vector<Frame> cellv(cells);
  for (std::uint64_t c = 0; c < cells; ++c) {
    Frame best = s.frames[c * per_cell];
    for (std::uint64_t f = c * per_cell; f < std::min(nframes, (c + 1) * per_cell); ++f)
      if (rank(s.frames[f].cls) > rank(best.cls)) best = s.frames[f];
    cellv[c] = best;
  }
  auto same = [](const Frame& a, const Frame& b) {
    return a.cls == b.cls && a.order == b.order && a.who == b.who;
  };
  for (std::uint64_t r = 0; r < rows; ++r) {
    for (std::uint64_t c = r * COLS; c < std::min(cells, (r + 1) * COLS);) {
      std::uint64_t e = c + 1;
      while (e < std::min(cells, (r + 1) * COLS) && same(cellv[e], cellv[c])) ++e;
      const std::uint64_t lo = c * per_cell, hi = std::min(nframes, e * per_cell) - 1;
      o += "<rect x=\"" + num(LEFT + cw * static_cast<double>(c - r * COLS)) + "\" y=\"" +
           num(GRID_Y + ch * static_cast<double>(r)) + "\" width=\"" + num(cw * static_cast<double>(e - c)) +
           "\" height=\"" + num(ch) + "\" fill=\"" + colour(cellv[c]) + "\"><title>pfn " + hex(lo) +
           (hi > lo ? "-" + hex(hi) : "") + ": " + esc(describe(s, cellv[c])) + "</title></rect>\n";
      c = e;
    }
  }
  o += "</g>\n";
  o += "<rect x=\"" + num(LEFT) + "\" y=\"" + num(GRID_Y) + "\" width=\"" + num(inner) + "\" height=\"" +
       num(grid_h) + "\" fill=\"none\" stroke=\"#333\"/>\n";
  // Zone boundaries; zones that start on the same row share one label line.
  double last_label_y = -1;
  for (std::size_t z = 0; z < zones.count; ++z) {
    const ZoneSpan& zs = zones.zones[z];
    double x = 0, y = 0;
    cell_xy(zs.start_pfn, x, y);
    const double label_y = y <= last_label_y + 11 ? last_label_y + 11 : y;
    last_label_y = label_y;
    o += "<g><title>zone " + std::string(zone_name(zs.type)) + ": pfn " + hex(zs.start_pfn) + "-" +
         hex(zs.end_pfn - 1) + "</title><line x1=\"" + num(x - cw / 2) + "\" y1=\"" + num(y - ch / 2) +
         "\" x2=\"" + num(x - cw / 2) + "\" y2=\"" + num(y + ch / 2) +
         "\" stroke=\"#000\" stroke-width=\"2\"/><text x=\"4\" y=\"" + num(label_y + 4) +
         "\" font-size=\"11\">" + std::string(zone_name(zs.type)) + "</text></g>\n";
  }

  // ---- legend.
  std::vector<std::pair<std::string, std::string>> legend = {{free_colour(0), "free, order 0"},
                                                             {free_colour(3), "free, order 3"},
                                                             {free_colour(10), "free, order 10"},
                                                             {"#c7e9f1", "free highmem"},
                                                             {"#fdd835", "alloc_pages / get_free_pages"},
                                                             {"#ff7f0e", "vmalloc page (and area)"},
                                                             {"#9467bd", "ioremap area"},
                                                             {"#8c564b", "page table"},
                                                             {"#e377c2", "large kmalloc"},
                                                             {"#7f7f7f", "reserved"},
                                                             {"url(#guard)", "guard page"}};
  for (std::size_t i = 0; i < s.caches.size(); ++i)
    legend.emplace_back(cache_colour(static_cast<std::uint32_t>(i)), "slab: " + s.caches[i]);
  o += "<text x=\"" + num(LEFT) + "\" y=\"" + num(legend_y - 10) +
       "\" font-size=\"13\" font-weight=\"bold\">legend</text>\n";
  for (std::size_t i = 0; i < legend.size(); ++i) {
    const double x = LEFT + static_cast<double>(i % 4) * (inner / 4);
    const double y = legend_y + 24 * static_cast<double>(i / 4);
    o += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"16\" height=\"14\" fill=\"" +
         legend[i].first + "\" stroke=\"#333\"/><text x=\"" + num(x + 22) + "\" y=\"" + num(y + 12) +
         "\" font-size=\"12\">" + esc(legend[i].second) + "</text>\n";
  }
  o += "</svg>\n";
  return o;
}

}  // namespace

CLI::App* add_map_command(CLI::App& app, Loader load) {
  state.load = std::move(load);
  CLI::App* sub = app.add_subcommand(
      "map", "draw the machine at an op as SVG or HTML: virtual areas, guard pages, frames by owner");
  sub->add_option("FILE", state.file, "a program")->required();
  sub->add_option("--at", state.at,
                  "the state after op N (0-based, as violations count); default: after the last op");
  sub->add_option("-o,--output", state.out, "out.svg or out.html")->required();
  return sub;
}

int run_map_command() {
  const bool html = state.out.ends_with(".html") || state.out.ends_with(".htm");
  if (!html && !state.out.ends_with(".svg"))
    throw std::runtime_error(state.out + ": the picture is written as .svg or .html; name the file so");
  if (state.out == state.file)
    throw std::runtime_error(state.out + ": is the input file; write the output elsewhere");
  const Program p = state.load(state.file);
  if (state.at >= static_cast<long long>(p.ops.size()) || state.at < -1)
    throw std::runtime_error("--at " + std::to_string(state.at) + ": the program has ops 0.." +
                             std::to_string(p.ops.size() ? p.ops.size() - 1 : 0));
  std::size_t target = state.at < 0 ? p.ops.size() : static_cast<std::size_t>(state.at);
  Snapshot snap;
  std::string svg;
  std::string note;
  for (int attempt = 0; attempt < 2; ++attempt) {
    ExecOptions opt;
    opt.observe = [&](const Kernel& k, std::size_t i, const Ledger& ledger) {
      if (i != target) return;
      take(snap, k, ledger, p, i);
      svg = render_svg(snap, k, state.file);
    };
    const ExecResult r = execute(p, opt);
    if (snap.taken) break;
    if (!r.violation || r.violation->op_index == 0)
      throw std::runtime_error(state.file + ": the program failed before op " + std::to_string(target) +
                               (r.violation ? ": " + format_violation(*r.violation) : std::string()));
    note = "the program fails at op " + std::to_string(r.violation->op_index) + " (" + r.violation->op_text +
           "): drawn after op " + std::to_string(r.violation->op_index - 1);
    target = r.violation->op_index - 1;
  }
  if (!snap.taken) throw std::runtime_error(state.file + ": no state to draw");
  std::string data;
  if (html) {
    data = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kmemfuzz map: " + esc(state.file) +
           "</title></head>\n<body style=\"margin:0;background:#fff\">\n" + svg +
           "<pre style=\"margin:16px 60px;font-size:12px;white-space:pre-wrap\">" +
           esc(layout_text(p.machine)) + "</pre>\n</body></html>\n";
  } else {
    data = svg;
  }
  std::ofstream out(state.out, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(state.out + ": cannot open for writing");
  out << data;
  if (!out) throw std::runtime_error(state.out + ": write error");
  if (!note.empty()) std::fprintf(stderr, "kmemfuzz: %s\n", note.c_str());
  std::printf("wrote %s: %zu areas, %zu frames, after op %zu\n", state.out.c_str(), snap.areas.size(),
              snap.frames.size(), snap.op);
  return 0;
}

}  // namespace kmf::tool
