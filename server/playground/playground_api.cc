#include "server/playground/playground_api.h"

#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "config/file_reading.h"
#include "server/playground/svg_layout.h"
#include "server/playground/trace_json.h"
#include "workflow/engine.h"
#include "workflow/graph.h"
#include "workflow/simulation.h"

namespace claims::server {
namespace {

// The name diagnostics give the edited text; includes are named relative to it.
constexpr char kEditedFile[] = "workflow.yaml";

std::string Canonical(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? std::string() : canonical.string();
}

bool IsWithin(const std::string& path, const std::string& directory) {
  return !directory.empty() && path.size() > directory.size() &&
         path.compare(0, directory.size(), directory) == 0 && path[directory.size()] == '/';
}

nlohmann::json DiagnosticJson(const workflow::Diagnostic& d) {
  return {{"file", d.file},
          {"line", d.line},
          {"column", d.column},
          {"severity", "error"},
          {"message", d.message}};
}

// "line:column: message" (RunSimulation's form) as an object; line and column 0 when the
// message carries no position.
nlohmann::json ScriptError(absl::string_view message) {
  std::vector<absl::string_view> parts = absl::StrSplit(message, absl::MaxSplits(':', 2));
  int line = 0;
  int column = 0;
  if (parts.size() == 3 && absl::SimpleAtoi(parts[0], &line) &&
      absl::SimpleAtoi(parts[1], &column)) {
    absl::string_view text = parts[2];
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    return {{"line", line}, {"column", column}, {"message", std::string(text)}};
  }
  return {{"line", 0}, {"column", 0}, {"message", std::string(message)}};
}

// What Graphviz writes before the <svg> element (XML prolog, DOCTYPE, comments) is of no use
// to a page that puts the element into its document.
std::string SvgElement(const std::string& svg) {
  const std::size_t start = svg.find("<svg");
  return start == std::string::npos ? svg : svg.substr(start);
}

// RenderDot writes one edge a line (transitions from each source, timers, the create arrow).
std::size_t CountEdges(const std::string& dot) {
  std::size_t edges = 0;
  for (std::size_t at = dot.find(" -> "); at != std::string::npos; at = dot.find(" -> ", at + 4)) {
    ++edges;
  }
  return edges;
}

}  // namespace

PlaygroundApi::PlaygroundApi(std::string workflows_directory, PlaygroundLimits limits)
    : directory_(std::move(workflows_directory)), limits_(limits) {}

std::set<std::string> PlaygroundApi::IncludedByDirectory() const {
  std::set<std::string> included;
  const std::filesystem::path base(directory_);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    const auto extension = entry.path().extension();
    if (!entry.is_regular_file() || (extension != ".yaml" && extension != ".yml")) continue;
    absl::StatusOr<std::string> text =
        config::ReadFileWithin(entry.path().string(), limits_.max_workflow_bytes);
    if (!text.ok()) continue;
    // Only the paths matter here, not whether the file loads.
    (void)workflow::LoadDefinition(*text, entry.path().filename().string(),
                                   [&](std::string_view include) -> std::optional<std::string> {
                                     const std::string path =
                                         Canonical(base / std::string(include));
                                     if (!path.empty()) included.insert(path);
                                     return std::nullopt;
                                   });
  }
  return included;
}

bool PlaygroundApi::MayRead(const std::string& path, bool& refreshed) const {
  if (path.empty()) return false;
  if (IsWithin(path, Canonical(directory_))) return true;
  std::lock_guard lock(mu_);
  if (allowed_outside_.contains(path)) return true;
  if (refreshed) return false;
  refreshed = true;
  allowed_outside_ = IncludedByDirectory();
  return allowed_outside_.contains(path);
}

std::optional<std::string> PlaygroundApi::ReadInclude(std::string_view include,
                                                      bool& refreshed) const {
  const std::string path = Canonical(std::filesystem::path(directory_) / std::string(include));
  // Refused like a missing file: the loader reports it at the include, and nothing about the
  // file (not even whether it exists) reaches the page.
  if (!MayRead(path, refreshed)) return std::nullopt;
  absl::StatusOr<std::string> text = config::ReadFileWithin(path, limits_.max_workflow_bytes);
  if (!text.ok()) return std::nullopt;
  return *std::move(text);
}

absl::StatusOr<nlohmann::json> PlaygroundApi::Check(std::string_view request) const {
  if (request.size() > limits_.max_request_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("request: larger than ", limits_.max_request_bytes, " bytes"));
  }
  // Only the top level is kept: whatever nesting a hostile body has is parsed and dropped.
  const nlohmann::json body = nlohmann::json::parse(
      request.begin(), request.end(),
      [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) { return depth <= 1; },
      /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return absl::InvalidArgumentError(
        "request: a JSON object {\"workflow\": text, \"script\": text} is expected");
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "workflow" && key != "script") {
      return absl::InvalidArgumentError(
          absl::StrCat("request: unknown key '", key, "' (known: workflow, script)"));
    }
    if (!value.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("request: '", key, "' must be a string"));
    }
  }
  if (!body.contains("workflow")) return absl::InvalidArgumentError("request: no 'workflow'");
  const std::string& text = body["workflow"].get_ref<const std::string&>();
  const std::string script =
      body.contains("script") ? body["script"].get<std::string>() : std::string();
  if (text.size() > limits_.max_workflow_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("workflow: larger than ", limits_.max_workflow_bytes, " bytes"));
  }
  if (script.size() > limits_.max_script_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("script: larger than ", limits_.max_script_bytes, " bytes"));
  }

  bool refreshed = false;
  const workflow::LoadResult loaded = workflow::LoadDefinition(
      text, kEditedFile, [&](std::string_view include) { return ReadInclude(include, refreshed); });
  nlohmann::json answer = {{"valid", loaded.ok()}, {"diagnostics", nlohmann::json::array()}};
  for (const workflow::Diagnostic& d : loaded.diagnostics) {
    answer["diagnostics"].push_back(DiagnosticJson(d));
  }
  if (!loaded.ok()) return answer;

  const workflow::Definition& definition = *loaded.definition;
  answer["workflow"] = {{"name", definition.name}, {"version", definition.version}};
  const std::string dot = workflow::RenderDot(definition);
  const std::size_t edges = CountEdges(dot);
  if (definition.states.size() > limits_.max_graph_states || edges > limits_.max_graph_edges) {
    answer["graph_error"] =
        absl::StrCat(definition.states.size(), " states and ", edges,
                     " edges: more than the playground draws (", limits_.max_graph_states,
                     " states, ", limits_.max_graph_edges, " edges); claimsctl graph draws it");
  } else if (absl::StatusOr<std::string> svg = RenderSvg(dot); svg.ok()) {
    answer["graph"] = {{"svg", SvgElement(*svg)}, {"dot", dot}};
  } else {
    answer["graph_error"] = std::string(svg.status().message());
  }

  if (script.find_first_not_of(" \t\r\n") == std::string::npos) return answer;
  const workflow::Engine engine(loaded.definition);
  workflow::SimulationLimits simulation_limits;
  simulation_limits.max_trace_steps = limits_.max_trace_steps;
  absl::StatusOr<workflow::SimulationTrace> trace =
      workflow::RunSimulation(engine, script, simulation_limits);
  if (!trace.ok()) {
    answer["simulation"] = {{"error", ScriptError(trace.status().message())}};
  } else {
    answer["simulation"] = {{"trace", TraceToJson(*trace)}};
  }
  return answer;
}

}  // namespace claims::server
