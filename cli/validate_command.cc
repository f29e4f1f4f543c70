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
#include "cli/input_files.h"
#include "workflow/loader.h"

namespace claims::cli {
namespace {

int Validate(const std::vector<std::string>& files) {
  int exit_code = 0;
  for (const std::string& file : files) {
    std::optional<std::string> text = ReadInputFile(file);
    if (!text.has_value()) {
      exit_code = 1;
      continue;
    }
    // Includes are written relative to the including file, as editors resolve them.
    workflow::LoadResult result = workflow::LoadDefinition(*text, file, IncludesRelativeTo(file));
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
