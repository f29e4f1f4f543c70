#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace claims::server {

// What operators watch: calls by method and status code with their latency, and SLA timers
// fired. Thread-safe.
class ServerMetrics {
 public:
  ServerMetrics();

  void RecordCall(std::string_view method, absl::StatusCode code, absl::Duration latency);
  void RecordTimersFired(int count);

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Counter& timers_fired_;
};

// Serves `metrics` in the Prometheus text format at http://<listen>/metrics. Port 0 picks a
// free port (see ListeningPort). UNAVAILABLE when `listen` cannot be bound.
class MetricsEndpoint {
 public:
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& listen,
                                                                const ServerMetrics& metrics);
  int ListeningPort() const;

 private:
  explicit MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer)
      : exposer_(std::move(exposer)) {}
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace claims::server
