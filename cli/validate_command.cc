// claimsctl validate FILE...: loads each workflow as the service would and prints every
// problem as file:line:col: message, or with --output json one array with an object a file
// (file, valid, id, version, diagnostics), the shape `workflows validate` prints for the
// server's answer. Exit 0 when all are valid, 1 otherwise.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command_registry.h"
#include "cli/input_files.h"
#include "cli/output.h"
#include "workflow/loader.h"

namespace claims::cli {
namespace {

nlohmann::json DiagnosticJson(const workflow::Diagnostic& diagnostic) {
  return {{"file", diagnostic.file},
          {"line", diagnostic.line},
          {"column", diagnostic.column},
          {"message", diagnostic.message}};
}

int Validate(const std::vector<std::string>& files) {
  // The text form is what editors and the bad-fixture tests parse, so it is the same whether
  // or not standard output is a terminal; JSON only when asked for.
  const bool json = OutputFormatGiven() && SelectedOutput() == OutputFormat::kJson;
  nlohmann::json results = nlohmann::json::array();
  int exit_code = 0;
  for (const std::string& file : files) {
    std::optional<std::string> text = ReadInputFile(file);
    if (!text.has_value()) {
      exit_code = 1;
      if (json) results.push_back({{"file", file}, {"valid", false}, {"error", "unreadable"}});
      continue;
    }
    // Includes are written relative to the including file, as editors resolve them.
    workflow::LoadResult result = workflow::LoadDefinition(*text, file, IncludesRelativeTo(file));
    if (!result.ok()) exit_code = 1;
    if (json) {
      nlohmann::json entry = {{"file", file}, {"valid", result.ok()}};
      entry["diagnostics"] = nlohmann::json::array();
      for (const auto& diagnostic : result.diagnostics) {
        entry["diagnostics"].push_back(DiagnosticJson(diagnostic));
      }
      if (result.ok()) {
        entry["id"] = result.definition->name;
        entry["version"] = result.definition->version;
      }
      results.push_back(std::move(entry));
      continue;
    }
    if (result.ok()) {
      std::cout << file << ": ok\n";
      continue;
    }
    for (const workflow::Diagnostic& diagnostic : result.diagnostics) {
      std::cerr << diagnostic.ToString() << "\n";
    }
  }
  if (json) std::cout << results.dump(2) << "\n";
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
