#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "workflow/claim.h"
#include "workflow/decision.h"
#include "workflow/engine.h"

namespace claims::workflow {

// What happened at one step of a simulation, and the claim right after it.
struct TraceStep {
  int step = 0;      // 1-based index of the script step; timer firings carry their advance's
  std::string kind;  // create, act, edit, comment, evidence, advance, timer, expect
  std::string description;
  absl::Time time = absl::InfinitePast();
  std::string state;  // empty before the claim is created
  SlaStatus sla_status = SlaStatus::kOnTrack;
  // Armed timers after the step: name, deadline and when a sweeper next looks at it.
  struct Deadline {
    std::string timer;
    absl::Time due_at;
    absl::Time next_fire_at;
  };
  std::vector<Deadline> deadlines;
  std::vector<Event> events;
  std::optional<Rejection> error;     // the engine refused the step
  std::vector<std::string> failures;  // expectations of an `expect` step that did not hold
};

struct SimulationTrace {
  std::string workflow;
  absl::TimeZone zone;  // the calendar zone times are shown in
  std::vector<TraceStep> steps;
  int failed_expectations = 0;
  bool ok() const { return failed_expectations == 0; }
};

// Bounds on one run, beyond the script's own size (1 MiB) and the 10,000 timer firings one
// advance may cause.
struct SimulationLimits {
  // Trace steps (script steps and timer firings together): a caller that runs scripts as
  // they are typed keeps the trace, and so time and memory, small.
  std::size_t max_trace_steps = 1'000'000;
};

// Runs a simulation script (YAML; the README's "Script format") against `engine`: creates
// a claim, performs actions, edits, comments and uploads as the script's actors, and advances a
// simulated clock, firing every timer that falls due on the way in deadline order through
// Engine::FireTimer, as the server's sweeper would. `expect` steps check the claim and the last
// outcome, so scripts double as tests. Pure: no clock, no I/O.
//
// Returns INVALID_ARGUMENT, with "line:column: message" (1-based), for a script that does not
// parse or names unknown keys, actors, units or values; a refused action is not an error but
// part of the trace. RESOURCE_EXHAUSTED, naming the step, when the trace would pass
// limits.max_trace_steps.
absl::StatusOr<SimulationTrace> RunSimulation(const Engine& engine, std::string_view script,
                                              const SimulationLimits& limits = {});

// The trace as aligned text for people: one line per step with the time in the calendar zone,
// the step, the resulting state and SLA status, then its events, refusals and deadlines.
std::string FormatTraceText(const SimulationTrace& trace);

std::string_view SlaStatusName(SlaStatus status);
std::string_view TimerStatusName(TimerStatus status);

}  // namespace claims::workflow
