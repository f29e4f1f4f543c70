#pragma once

#include <cstddef>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "workflow/loader.h"

namespace claims::server {

// What one playground request may carry. The workflow's bound is the loader's own; a script is
// far smaller than the simulator's 1 MiB, since one runs at every pause in typing.
struct PlaygroundLimits {
  std::size_t max_workflow_bytes = workflow::LoadLimits{}.max_bytes;
  std::size_t max_script_bytes = 64 * 1024;
  // Trace steps, script steps and timer firings together (workflow::SimulationLimits).
  std::size_t max_trace_steps = 2'000;
  // The whole JSON body: both texts, escaped, and the keys.
  std::size_t max_request_bytes = 4 * 1024 * 1024;
  // Graphviz's dot layout grows far faster than linearly and cannot be interrupted: a few
  // hundred labelled edges take it minutes. Past these the answer has graph_error instead
  // (claimsctl graph draws any size).
  std::size_t max_graph_states = 50;
  std::size_t max_graph_edges = 150;
};

// The workflow playground's logic, apart from HTTP: the same loader and validator, diagram and
// simulator that the server and claimsctl use, called on text an editor is typing.
// Thread-safe.
class PlaygroundApi {
 public:
  // Includes in the edited text resolve against `workflows_directory`, as the server resolves
  // them, and may read only files in that directory or files its own workflows include (the
  // shipped one includes ../calendars/us.yaml): nothing else on the machine.
  explicit PlaygroundApi(std::string workflows_directory, PlaygroundLimits limits = {});

  // `request` is {"workflow": YAML text, "script": optional simulation script}. The answer:
  //   valid: the workflow loaded;
  //   diagnostics: [{file, line, column, severity: "error", message}], every problem, in order;
  //   workflow: {name, version} when valid;
  //   graph: {svg, dot} when valid (graph_error instead when Graphviz failed or the workflow
  //     is over max_graph_states or max_graph_edges);
  //   simulation: absent without a script; {error: {line, column, message}} for a script that
  //     is invalid or over the limits; otherwise {trace} (trace_json.h).
  // INVALID_ARGUMENT for a body that is not such a JSON object or is over the limits.
  absl::StatusOr<nlohmann::json> Check(std::string_view request) const;

  const PlaygroundLimits& limits() const { return limits_; }

 private:
  // `refreshed` is per request: the directory's includes are rescanned at most once for it,
  // however many includes the edited text names.
  std::optional<std::string> ReadInclude(std::string_view include, bool& refreshed) const;
  // The canonical paths outside the directory that its workflows include.
  std::set<std::string> IncludedByDirectory() const;
  bool MayRead(const std::string& canonical_path, bool& refreshed) const;

  const std::string directory_;
  const PlaygroundLimits limits_;
  mutable std::mutex mu_;
  // Refreshed when an include is asked for that it lacks (once a request): the files may have
  // changed since.
  mutable std::set<std::string> allowed_outside_ ABSL_GUARDED_BY(mu_);
};

}  // namespace claims::server
