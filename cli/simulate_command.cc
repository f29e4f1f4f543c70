// claimsctl simulate FILE SCRIPT [--output text|json]: runs a scripted sequence of actions and
// clock advances against the engine (the format: the README, "Simulating a workflow") and prints
// the trace. Exit 0 when the script ran and every expectation held, 1 otherwise.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "cli/command_registry.h"
#include "cli/input_files.h"
#include "workflow/engine.h"
#include "workflow/loader.h"
#include "workflow/simulation.h"

namespace claims::cli {
namespace {

std::string Rfc3339(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "infinite-future";
  if (t == absl::InfinitePast()) return "infinite-past";
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

nlohmann::json ToJson(const workflow::SimulationTrace& trace) {
  nlohmann::json steps = nlohmann::json::array();
  for (const workflow::TraceStep& step : trace.steps) {
    nlohmann::json deadlines = nlohmann::json::array();
    for (const workflow::TraceStep::Deadline& d : step.deadlines) {
      deadlines.push_back({{"timer", d.timer},
                           {"due_at", Rfc3339(d.due_at)},
                           {"next_fire_at", Rfc3339(d.next_fire_at)}});
    }
    nlohmann::json events = nlohmann::json::array();
    for (const workflow::Event& e : step.events) {
      nlohmann::json attributes = nlohmann::json::object();
      for (const auto& [name, value] : e.attributes) attributes[name] = value;
      events.push_back({{"type", e.type}, {"time", Rfc3339(e.time)}, {"attributes", attributes}});
    }
    nlohmann::json out = {{"step", step.step},
                          {"kind", step.kind},
                          {"description", step.description},
                          {"time", Rfc3339(step.time)},
                          {"state", step.state},
                          {"sla_status", std::string(workflow::SlaStatusName(step.sla_status))},
                          {"deadlines", deadlines},
                          {"events", events}};
    if (step.error.has_value()) {
      nlohmann::json violations = nlohmann::json::array();
      for (const workflow::FieldViolation& v : step.error->violations) {
        violations.push_back({{"field", v.field}, {"description", v.description}});
      }
      out["error"] = {{"reason", step.error->reason},
                      {"message", step.error->message},
                      {"guard", step.error->guard},
                      {"violations", violations},
                      {"available_actions", step.error->available_actions}};
    }
    if (!step.failures.empty()) out["failures"] = step.failures;
    steps.push_back(std::move(out));
  }
  return {{"workflow", trace.workflow},
          {"ok", trace.ok()},
          {"failed_expectations", trace.failed_expectations},
          {"steps", steps}};
}

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
    std::cout << ToJson(*trace).dump(2) << "\n";
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
