// commands.h — subcommands that live in their own files (layout.cpp,
// map.cpp), so kmemfuzz.cpp only registers and dispatches them.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "ops/op.h"

namespace kmf::tool {

/// Reads a program file (script, binary input or `-`) or throws with a
/// precise message: kmemfuzz.cpp's loader, shared.
using Loader = std::function<Program(const std::string& file)>;

/// `kmemfuzz layout FILE|--machine SPEC`: the address-space map as text.
CLI::App* add_layout_command(CLI::App& app, Loader load);
int run_layout_command();

/// The layout text of one machine (also printed by `kmemfuzz map` beside the picture).
std::string layout_text(const MachineConfig& machine);

/// `kmemfuzz map FILE [--at OP] -o out.svg|out.html`: the machine as a picture.
CLI::App* add_map_command(CLI::App& app, Loader load);
int run_map_command();

/// `kmemfuzz catalog`: every invariant id, its claim and its costs.
CLI::App* add_catalog_command(CLI::App& app);
int run_catalog_command();

}  // namespace kmf::tool
