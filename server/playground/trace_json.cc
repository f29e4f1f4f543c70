#include "server/playground/trace_json.h"

#include <string>

#include "absl/time/time.h"

namespace claims::server {
namespace {

std::string Rfc3339(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "infinite-future";
  if (t == absl::InfinitePast()) return "infinite-past";
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

std::string LocalTime(absl::Time t, absl::TimeZone zone) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return Rfc3339(t);
  return absl::FormatTime("%a %Y-%m-%d %H:%M %Z", t, zone);
}

}  // namespace

nlohmann::json TraceToJson(const workflow::SimulationTrace& trace) {
  nlohmann::json steps = nlohmann::json::array();
  for (const workflow::TraceStep& step : trace.steps) {
    nlohmann::json deadlines = nlohmann::json::array();
    for (const workflow::TraceStep::Deadline& d : step.deadlines) {
      deadlines.push_back({{"timer", d.timer},
                           {"due_at", Rfc3339(d.due_at)},
                           {"due_at_local", LocalTime(d.due_at, trace.zone)},
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
                          {"local_time", LocalTime(step.time, trace.zone)},
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

}  // namespace claims::server
