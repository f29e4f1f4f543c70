// claimsctl simulate FILE SCRIPT [--output text|json]: runs a scripted sequence of actions and
// clock advances against the engine (the format: the README, "Simulating a workflow") and prints
// the trace. Exit 0 when the script ran and every expectation held, 1 otherwise.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "cli/command_registry.h"
#include "cli/input_files.h"
#include "server/playground/trace_json.h"
#include "workflow/engine.h"
#include "workflow/loader.h"
#include "workflow/simulation.h"

namespace claims::cli {
namespace {

int Simulate(const std::string& workflow_file, const std::string& script_file,
             const std::string& output) {
  const std::optional<std::string> text = ReadInputFile(workflow_file);
  if (!text.has_value()) {
    return 1;
  }
  const workflow::LoadResult loaded =
      workflow::LoadDefinition(*text, workflow_file, IncludesRelativeTo(workflow_file));
  if (!loaded.ok()) {
    for (const workflow::Diagnostic& d : loaded.diagnostics) std::cerr << d.ToString() << "\n";
    return 1;
  }
  const std::optional<std::string> script = ReadInputFile(script_file);
  if (!script.has_value()) {
    return 1;
  }
  const workflow::Engine engine(loaded.definition);
  const absl::StatusOr<workflow::SimulationTrace> trace = workflow::RunSimulation(engine, *script);
  if (!trace.ok()) {
    std::cerr << script_file << ":" << trace.status().message() << "\n";
    return 1;
  }
  if (output == "json") {
    std::cout << server::TraceToJson(*trace).dump(2) << "\n";
  } else {
    std::cout << workflow::FormatTraceText(*trace);
  }
  return trace->ok() ? 0 : 1;
}

void AddSimulateCommand(CLI::App& app, int& exit_code) {
  struct Options {
    std::string workflow;
    std::string script;
    std::string output = "text";
  };
  auto options = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand(
      "simulate", "Run a script of actions and clock advances against a workflow; print the trace");
  command->add_option("file", options->workflow, "Workflow YAML file")->required();
  command
      ->add_option("script", options->script, "Simulation script (README: Simulating a workflow)")
      ->required();
  command->add_option("--output", options->output, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->callback([options, &exit_code] {
    exit_code = Simulate(options->workflow, options->script, options->output);
  });
}

const CommandRegistration kRegistration{"simulate", &AddSimulateCommand};

}  // namespace
}  // namespace claims::cli
