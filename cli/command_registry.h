#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace claims::cli {

// Adds one sub-command to `app`; the callback it installs runs the command and stores the
// process exit code in `exit_code`.
using CommandAdder = std::function<void(CLI::App& app, int& exit_code)>;

// Each command's file registers itself with a namespace-scope
//   const CommandRegistration kRegistration{"validate", &AddValidateCommand};
// so commands live in their own files and main() needs no list of them.
struct CommandRegistration {
  CommandRegistration(std::string name, CommandAdder adder);
};

// Registered commands, sorted by name.
std::vector<std::pair<std::string, CommandAdder>> RegisteredCommands();

}  // namespace claims::cli
