#include <CLI/CLI.hpp>

#include "cli/client_connection.h"
#include "cli/command_registry.h"
#include "cli/output.h"
#include "server/build_info.h"

namespace claims::cli {
namespace {

std::vector<std::pair<std::string, CommandAdder>>& Registry() {
  static auto* registry = new std::vector<std::pair<std::string, CommandAdder>>();
  return *registry;
}

}  // namespace

CommandRegistration::CommandRegistration(std::string name, CommandAdder adder) {
  Registry().emplace_back(std::move(name), std::move(adder));
}

std::vector<std::pair<std::string, CommandAdder>> RegisteredCommands() {
  auto commands = Registry();
  std::sort(commands.begin(), commands.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return commands;
}

}  // namespace claims::cli

int main(int argc, char** argv) {
  CLI::App app{"claimsctl: validate, draw and simulate claim workflows; call the claims service"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("claimsctl ") + claims::server::BuildVersion() +
                                        " (commit " + claims::server::BuildCommit() + ")");
  // Before the commands are added, so each inherits it: global options may follow a command.
  app.fallthrough();
  claims::cli::AddOutputOption(app);
  int exit_code = claims::cli::kExitOk;
  for (auto& [name, add] : claims::cli::RegisteredCommands()) add(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version are "errors" that exit 0; every real usage error is 2, whatever
    // CLI11's own code for it, so scripts see one usage code (README, exit codes).
    const int cli11_code = app.exit(error);
    return cli11_code == 0 ? claims::cli::kExitOk : claims::cli::kExitUsage;
  }
  return exit_code;
}
