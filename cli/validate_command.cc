// claimsctl validate FILE...: loads each workflow as the service would and prints every
// problem as file:line:col: message. Exit 0 when all are valid, 1 otherwise.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command_registry.h"
#include "workflow/loader.h"

namespace claims::cli {
namespace {

std::optional<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int Validate(const std::vector<std::string>& files) {
  int exit_code = 0;
  for (const std::string& file : files) {
    std::optional<std::string> text = ReadFile(file);
    if (!text.has_value()) {
      std::cerr << file << ": cannot read file\n";
      exit_code = 1;
      continue;
    }
    // Includes are written relative to the including file, as editors resolve them.
    const std::filesystem::path dir = std::filesystem::path(file).parent_path();
    workflow::LoadResult result = workflow::LoadDefinition(
        *text, file, [&](std::string_view include) { return ReadFile(dir / include); });
    if (result.ok()) {
      std::cout << file << ": ok\n";
      continue;
    }
    for (const workflow::Diagnostic& diagnostic : result.diagnostics) {
      std::cerr << diagnostic.ToString() << "\n";
    }
    exit_code = 1;
  }
  return exit_code;
}

void AddValidateCommand(CLI::App& app, int& exit_code) {
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* command = app.add_subcommand(
      "validate", "Check workflow files; print each problem as file:line:col: message");
  command->add_option("files", *files, "Workflow YAML files")->required();
  command->callback([files, &exit_code] { exit_code = Validate(*files); });
}

const CommandRegistration kRegistration{"validate", &AddValidateCommand};

}  // namespace
}  // namespace claims::cli
