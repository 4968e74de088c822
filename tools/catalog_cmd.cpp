// catalog_cmd.cpp — `kmemfuzz catalog`: the invariant catalog, printed from
// the one table the checker uses (check/catalog.cpp), so the docs show the
// tool's output instead of keeping a second copy.
#include <cstdio>
#include <string>

#include "check/catalog.h"
#include "tools/commands.h"

namespace kmf::tool {

CLI::App* add_catalog_command(CLI::App& app) {
  return app.add_subcommand("catalog", "list every invariant id with its claim and check costs");
}

int run_catalog_command() {
  std::printf("%-20s %-13s %-11s %s\n", "ID", "PER-OP", "SWEEP", "CLAIM");
  for (const InvariantInfo& i : invariant_catalog())
    std::printf("%-20s %-13s %-11s %s\n", std::string(i.name).c_str(),
                std::string(cost_name(i.incremental)).c_str(), std::string(cost_name(i.sweep)).c_str(),
                std::string(i.claim).c_str());
  return 0;
}

}  // namespace kmf::tool
