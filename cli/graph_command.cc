// claimsctl graph FILE [--format dot|mermaid]: the workflow's state diagram, with actions,
// roles and SLA timers, for Graphviz or Mermaid.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "cli/command_registry.h"
#include "workflow/graph.h"
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

struct GraphOptions {
  std::string file;
  std::string format = "dot";
};

int Graph(const GraphOptions& options) {
  std::optional<std::string> text = ReadFile(options.file);
  if (!text.has_value()) {
    std::cerr << options.file << ": cannot read file\n";
    return 1;
  }
  const std::filesystem::path dir = std::filesystem::path(options.file).parent_path();
  workflow::LoadResult result = workflow::LoadDefinition(
      *text, options.file, [&](std::string_view include) { return ReadFile(dir / include); });
  if (!result.ok()) {
    // A diagram of a broken workflow would mislead: show what to fix instead.
    for (const workflow::Diagnostic& diagnostic : result.diagnostics) {
      std::cerr << diagnostic.ToString() << "\n";
    }
    return 1;
  }
  std::cout << (options.format == "mermaid" ? workflow::RenderMermaid(*result.definition)
                                            : workflow::RenderDot(*result.definition));
  return 0;
}

void AddGraphCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<GraphOptions>();
  CLI::App* command =
      app.add_subcommand("graph", "Print a workflow's state diagram (Graphviz dot or Mermaid)");
  command->add_option("file", options->file, "Workflow YAML file")->required();
  command->add_option("--format", options->format, "dot (default) or mermaid")
      ->check(CLI::IsMember({"dot", "mermaid"}));
  command->callback([options, &exit_code] { exit_code = Graph(*options); });
}

const CommandRegistration kRegistration{"graph", &AddGraphCommand};

}  // namespace
}  // namespace claims::cli
