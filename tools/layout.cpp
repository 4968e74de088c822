// layout.cpp — `kmemfuzz layout`: where everything is on the simulated
// machine, as text: the user/kernel split, PAGE_OFFSET, the direct map and
// high_memory, the gap before vmalloc, the vmalloc window and its end
// reserve, and the zones with their pfn ranges. The numbers come from the
// model's own Layout and ZoneMap (the same ones the allocators use), never
// from a second copy of the rules.
#include <cinttypes>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "alloc/machine.h"
#include "alloc/types.h"
#include "ops/kmf_text.h"
#include "tools/commands.h"

namespace kmf::tool {

namespace {

std::string hexw(std::uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*" PRIx64, width, v);
  return buf;
}

/// 160 MiB, 8 KiB, 32 TiB, 4080 MiB: the largest unit that divides exactly
/// while below 100000 of it; else approximate ("~16 EiB").
std::string human(std::uint64_t bytes) {
  static const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  std::uint64_t v = bytes;
  while (u < 6 && v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    ++u;
  }
  if (v < 100000) return std::to_string(v) + " " + units[u];
  double d = static_cast<double>(bytes);
  u = 0;
  while (d >= 1024 && u < 6) {
    d /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "~%.1f %s", d, units[u]);
  return buf;
}

struct Row {
  std::uint64_t lo, hi;  ///< [lo, hi)
  std::string what, note;
};

struct LayoutState {
  Loader load;
  std::string file;
  std::string machine;
} state;

}  // namespace

std::string layout_text(const MachineConfig& m) {
  const Layout l = Layout::for_machine(m);
  const ZoneMap zones = ZoneMap::for_machine(m, l);
  const bool i386 = l.profile == Profile::i386;
  const int w = i386 ? 8 : 16;
  const std::uint64_t top = i386 ? (std::uint64_t{1} << 32) : 0;  // 0: 2^64 (wraps)
  std::vector<Row> rows;
  if (i386) {
    rows.push_back({0, l.page_offset, "user space", "TASK_SIZE = PAGE_OFFSET: the 3G/1G split"});
  } else {
    rows.push_back({0, 0x0000800000000000ULL, "user space", "TASK_SIZE: 47-bit addresses"});
    rows.push_back(
        {0x0000800000000000ULL, 0xffff800000000000ULL, "non-canonical hole", "no address here exists"});
    rows.push_back({0xffff800000000000ULL, l.page_offset, "kernel (not modelled)", "guard hole, LDT remap"});
  }
  rows.push_back({l.page_offset, l.high_memory, i386 ? "direct map (lowmem)" : "direct map (all RAM)",
                  "PAGE_OFFSET .. high_memory: phys [0, " + hexw(l.lowmem_bytes, 1) + ") at a fixed offset"});
  rows.push_back({l.high_memory, l.vmalloc_start, i386 ? "gap (VMALLOC_OFFSET)" : "unused",
                  i386 ? "8 MiB with nothing mapped: a stray access past lowmem faults"
                       : "between the direct map and vmalloc"});
  rows.push_back({l.vmalloc_start, l.vmalloc_end, "vmalloc window",
                  "VMALLOC_START .. VMALLOC_END: vmalloc, ioremap (each area + 1 guard page)"});
  if (i386) {
    rows.push_back({l.vmalloc_end, 0xFF800000ULL, "vmalloc end reserve", "2 guard pages below PKMAP_BASE"});
    rows.push_back({0xFF800000ULL, top, "pkmap, fixmap (not modelled)", "kmap() windows and fixed mappings"});
  } else {
    rows.push_back(
        {l.vmalloc_end, top, "vmemmap, text (not modelled)", "no end reserve: the window is 32 TiB"});
  }

  std::string out;
  out += "machine mem=" + human(m.mem_bytes) + " profile=" + std::string(profile_name(m.profile)) + " (" +
         std::to_string(l.pt_levels) + "-level page tables)\n\n";
  out +=
      "virtual address space (" + std::string(i386 ? "32-bit, 4 GiB" : "64-bit, 48-bit canonical") + "):\n";
  for (const Row& r : rows) {
    char buf[256];
    const std::uint64_t size = r.hi - r.lo;  // wraps to 2^64 - lo for the last x86_64 row
    std::snprintf(buf, sizeof buf, "  %s-%s  %-28s %11s  ", hexw(r.lo, w).c_str(), hexw(r.hi - 1, w).c_str(),
                  r.what.c_str(), human(size).c_str());
    out += buf + r.note + "\n";
  }
  out += "\nconstants:\n";
  auto konst = [&](const char* name, std::uint64_t v, const std::string& note) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "  %-14s %s  ", name, hexw(v, w).c_str());
    out += buf + note + "\n";
  };
  konst("PAGE_OFFSET", l.page_offset, "start of the direct map");
  konst("high_memory", l.high_memory, "PAGE_OFFSET + " + human(l.lowmem_bytes) + " of lowmem");
  konst("VMALLOC_START", l.vmalloc_start, i386 ? "high_memory + 8 MiB" : "fixed");
  konst("VMALLOC_END", l.vmalloc_end,
        i386 ? "exclusive; PKMAP_BASE - 2 pages" : "exclusive; VMALLOC_START + 32 TiB");
  out += "\nphysical memory: " + human(l.max_pfn << PAGE_SHIFT) + ", " + std::to_string(l.max_pfn) +
         " frames (pfn " + hexw(0, 1) + "-" + hexw(l.max_pfn - 1, 1) +
         "); pfn 0 is reserved (the BIOS page)\n";
  for (std::size_t i = 0; i < zones.count; ++i) {
    const ZoneSpan& z = zones.zones[i];
    char buf[256];
    const std::string pfns = "pfn " + hexw(z.start_pfn, 1) + "-" + hexw(z.end_pfn - 1, 1);
    const std::string phys =
        "phys " + hexw(z.start_pfn << PAGE_SHIFT, 1) + "-" + hexw((z.end_pfn << PAGE_SHIFT) - 1, 1);
    std::snprintf(
        buf, sizeof buf, "  zone %-8s %-24s %-32s %10s  %s\n", std::string(zone_name(z.type)).c_str(),
        pfns.c_str(), phys.c_str(), human((z.end_pfn - z.start_pfn) << PAGE_SHIFT).c_str(),
        z.type == ZoneType::HIGHMEM ? "not direct-mapped: reached through vmalloc/kmap" : "direct-mapped");
    out += buf;
  }
  return out;
}

CLI::App* add_layout_command(CLI::App& app, Loader load) {
  state.load = std::move(load);
  CLI::App* sub = app.add_subcommand(
      "layout", "print the machine's address-space map: user/kernel split, direct map, gap, vmalloc, zones");
  auto* file = sub->add_option("FILE", state.file, "a program: its machine line is the machine");
  auto* spec = sub->add_option("--machine", state.machine,
                               "a machine line's keys instead of FILE, e.g. \"mem=160M profile=i386\"");
  file->excludes(spec);
  sub->callback([sub, file, spec] {
    if (file->count() == 0 && spec->count() == 0)
      throw CLI::ValidationError("layout", "give a FILE or --machine SPEC");
    (void)sub;
  });
  return sub;
}

int run_layout_command() {
  MachineConfig m;
  if (!state.machine.empty()) {
    const ParseResult r = parse_kmf("machine " + state.machine + "\n", "--machine");
    if (!r.ok()) {
      // Columns count from the spec, not the "machine " we put in front.
      KmfError e = r.error();
      e.column = e.column > 8 ? e.column - 8 : 1;
      throw std::runtime_error("--machine '" + state.machine + "': column " + std::to_string(e.column) +
                               ": " + e.message);
    }
    m = r.program().machine;
  } else {
    m = state.load(state.file).machine;
  }
  std::fputs(layout_text(m).c_str(), stdout);
  return 0;
}

}  // namespace kmf::tool
