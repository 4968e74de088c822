// proc_test.cpp — /proc formats of the page allocator, character for
// character (golden strings derived from the machine's geometry).
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "alloc/kernel.h"

namespace kmf {
namespace {

TEST(ProcBuddyinfo, matches_linux_format_on_the_documents_machine) {
  Kernel k;  // 160 MiB i386: DMA = pfn 1..4095 (pfn 0 reserved), Normal = 36 × 4 MiB
  const std::string expected =
      "Node 0, zone      DMA      1      1      1      1      1      1      1      1      1      1      3 \n"
      "Node 0, zone   Normal      0      0      0      0      0      0      0      0      0      0     36 \n";
  EXPECT_EQ(k.proc_buddyinfo(), expected);
  // One order-0 page splits a Normal order-10 block: one block of each lower order appears.
  const VirtAddr page = k.get_free_page(GFP_KERNEL);
  EXPECT_EQ(
      k.proc_buddyinfo(),
      "Node 0, zone      DMA      1      1      1      1      1      1      1      1      1      1      3 \n"
      "Node 0, zone   Normal      1      1      1      1      1      1      1      1      1      1     35 "
      "\n");
  k.free_page(page);
  EXPECT_EQ(k.proc_buddyinfo(), expected);
}

TEST(ProcBuddyinfo, lists_every_populated_zone_of_both_profiles) {
  Kernel i386(MachineConfig{.mem_bytes = 1 * GiB});
  const std::string s = i386.proc_buddyinfo();
  EXPECT_NE(s.find("Node 0, zone      DMA "), std::string::npos);
  EXPECT_NE(s.find("Node 0, zone   Normal "), std::string::npos);
  EXPECT_NE(s.find("Node 0, zone  HighMem      0      0      0      0      0      0      0      0      0     "
                   " 0     32 \n"),
            std::string::npos);
  Kernel x64(MachineConfig{.mem_bytes = 8 * GiB, .profile = Profile::x86_64});
  const std::string t = x64.proc_buddyinfo();
  EXPECT_NE(t.find("Node 0, zone    DMA32      0      0      0      0      0      0      0      0      0     "
                   " 0   1020 \n"),
            std::string::npos);
  EXPECT_NE(t.find("Node 0, zone   Normal      0      0      0      0      0      0      0      0      0     "
                   " 0   1024 \n"),
            std::string::npos);
  // Every line has the kernel's shape: "Node %d, zone %8s " + 11 × "%6lu ".
  const std::regex line(R"(Node 0, zone [ A-Za-z0-9]{8} ( {0,5}[0-9]{1,6} ){11})");
  std::istringstream in(t);
  for (std::string l; std::getline(in, l);) EXPECT_TRUE(std::regex_match(l, line)) << l;
}

TEST(ProcMeminfo, reports_totals_in_kernel_format) {
  Kernel k(MachineConfig{.mem_bytes = 1 * GiB});
  const std::string s = k.proc_meminfo();
  // 262144 frames minus the reserved pfn 0.
  EXPECT_NE(s.find("MemTotal:        1048572 kB\n"), std::string::npos) << s;
  EXPECT_NE(s.find("MemFree:         1048572 kB\n"), std::string::npos) << s;
  EXPECT_NE(s.find("HighTotal:        131072 kB\n"), std::string::npos) << s;
  EXPECT_NE(s.find("LowTotal:         917500 kB\n"), std::string::npos) << s;
  const VirtAddr a = k.get_free_pages(GFP_KERNEL, 2);
  EXPECT_NE(k.proc_meminfo().find("MemFree:         1048556 kB\n"), std::string::npos);
  EXPECT_NE(k.proc_meminfo().find("LowFree:          917484 kB\n"), std::string::npos);
  k.free_pages(a, 2);
  const std::regex line(R"([A-Za-z()]+: *[0-9]+ kB)");
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) {
    EXPECT_TRUE(std::regex_match(l, line)) << l;
    EXPECT_GE(l.size(), 27u) << l;  // "%-16s%8lu kB"
  }
}

}  // namespace
}  // namespace kmf
