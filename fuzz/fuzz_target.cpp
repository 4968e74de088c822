// fuzz_target.cpp — LLVMFuzzerTestOneInput for the program targets, shared.
#include "fuzz/fuzz_target.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "check/violation.h"
#include "ops/executor.h"
#include "ops/kmf_text.h"

namespace kmf::fuzz {

int run_input(const std::uint8_t* data, std::size_t size) {
  const Program program = decode_program({data, size}, TARGET_OPTIONS);
  const ExecResult result = execute(program);
  if (result.ok()) return 0;
  std::string out = "==kmemfuzz== ";
  out += TARGET_NAME;
  out += ": an invariant broke\n";
  out += format_violation(*result.violation);
  out += "==kmemfuzz== reproducer (.kmf), replay with `kmemfuzz run FILE`:\n";
  out += print_kmf(program);
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace kmf::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kmf::fuzz::run_input(data, size);
}
