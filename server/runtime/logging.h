#pragma once

#include <spdlog/common.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "config/claims_config.h"
#include "server/runtime/workflow_registry.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace claims::server {

// Sets up the process's loggers: the default one for messages and "access" for one line per
// call, both writing to stdout (where container runtimes collect them) in `format`:
// spdlog's text lines, or one JSON object a line {"time", "level", "logger", "message"} with
// access lines carrying their fields as keys instead of a message. Call once, before threads
// log; `sink` replaces stdout (tests).
void ConfigureLogging(config::LogFormat format, spdlog::level::level_enum level,
                      spdlog::sink_ptr sink = nullptr);

// One call as the access log records it. Only identifiers: never tokens, comment text,
// evidence or any other request content.
struct AccessEntry {
  std::string_view method = {};  // "CreateClaim"
  absl::StatusCode code = absl::StatusCode::kOk;
  absl::Duration latency = {};
  std::string_view actor = {};    // empty when the caller was not authenticated
  std::string_view partner = {};  // the actor's partner, for partner roles
  std::string_view claim = {};    // the claim's resource name, when the call names one
  std::string_view request_id = {};
};

// Writes AccessEntry lines to the "access" logger (one of its own, sharing the default
// logger's sinks, when ConfigureLogging has not run). Values are cut to a bounded length, so a
// hostile id cannot flood the log. Thread-safe.
class AccessLog {
 public:
  AccessLog(bool enabled, config::LogFormat format);

  bool enabled() const { return enabled_; }
  void Record(const AccessEntry& entry) const;

 private:
  const bool enabled_;
  const config::LogFormat format_;
  std::shared_ptr<spdlog::logger> logger_;
};

// The reload log line for versions whose calendars changed: which versions and calendars, and
// that their running claims keep their deadlines until `claimsctl workflows
// recompute-deadlines` moves them. Empty when nothing changed.
std::string CalendarChangeMessage(const std::vector<WorkflowRegistry::CalendarChange>& changes);

}  // namespace claims::server
