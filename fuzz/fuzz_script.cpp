// fuzz_script.cpp — the .kmf parser on arbitrary text must never crash, and
// whatever parses must print and re-parse to the same program.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ops/kmf_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const kmf::ParseResult parsed = kmf::parse_kmf(text, "fuzz.kmf");
  if (!parsed.ok()) return 0;
  const std::string printed = kmf::print_kmf(parsed.program());
  const kmf::ParseResult again = kmf::parse_kmf(printed, "printed.kmf");
  if (!again.ok() || !(again.program() == parsed.program())) {
    std::fprintf(stderr,
                 "==kmemfuzz== fuzz_script: parse(print(p)) != p\n--- input ---\n%.*s\n--- printed ---\n%s\n",
                 static_cast<int>(size), reinterpret_cast<const char*>(data), printed.c_str());
    std::abort();
  }
  return 0;
}
