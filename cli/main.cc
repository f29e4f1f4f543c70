#include <CLI/CLI.hpp>

#include "cli/command_registry.h"

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
  int exit_code = 0;
  for (auto& [name, add] : claims::cli::RegisteredCommands()) add(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
