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
#include "cli/input_files.h"
#include "workflow/graph.h"
#include "workflow/loader.h"

namespace claims::cli {
namespace {

struct GraphOptions {
  std::string file;
  std::string format = "dot";
};

int Graph(const GraphOptions& options) {
  std::optional<std::string> text = ReadInputFile(options.file);
  if (!text.has_value()) {
    return 1;
  }
  workflow::LoadResult result =
      workflow::LoadDefinition(*text, options.file, IncludesRelativeTo(options.file));
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
