// cli.h — `kmemfuzz trace import|stat|replay`: the trace front end's command
// line, added to the tool's CLI11 app by one call.
//
//   kmemfuzz trace import FILE [-o prog.kmf] [--seed in.bin] [--machine SPEC]
//                                                                parse, pair, list findings, write a program
//   kmemfuzz trace stat FILE [--lines N]                         perf kmem stat's summaries
//   kmemfuzz trace replay FILE [--machine SPEC] [--every N]      run it on the checked model
//
// Exit codes: 0 done (import/stat: findings are reported, not failures;
// replay: no invariant broke); 1 replay broke an invariant; 2 bad input (no
// such file, no kmem event understood, a bad --machine) or bad arguments.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>

namespace kmf::trace {

class TraceCommand {
 public:
  /// Adds the `trace` subcommand and its three subcommands to `app`.
  explicit TraceCommand(CLI::App& app);
  TraceCommand(const TraceCommand&) = delete;
  TraceCommand& operator=(const TraceCommand&) = delete;

  bool parsed() const { return trace_->parsed(); }
  /// Runs the parsed subcommand; returns the exit code. Never throws.
  int run() const;

 private:
  CLI::App* trace_;
  CLI::App* import_;
  CLI::App* stat_;
  CLI::App* replay_;
  std::string file_;
  std::string output_;
  std::string seed_;
  std::string machine_;
  std::string check_ = "incremental";
  std::size_t every_ = 0;
  std::size_t max_listed_ = 10;
  std::size_t lines_ = 20;
};

}  // namespace kmf::trace
