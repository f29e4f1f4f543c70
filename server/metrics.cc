#include "server/metrics.h"

#include <exception>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace claims::server {
namespace {

// Call latencies from 1 ms to 10 s: a decision is a few queries; anything slower is trouble.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
  return *buckets;
}

}  // namespace

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      calls_(prometheus::BuildCounter()
                 .Name("claims_rpc_calls_total")
                 .Help("Claims API calls by method and status code")
                 .Register(*registry_)),
      latency_(prometheus::BuildHistogram()
                   .Name("claims_rpc_latency_seconds")
                   .Help("Claims API call latency by method")
                   .Register(*registry_)),
      timers_fired_(prometheus::BuildCounter()
                        .Name("claims_sla_timers_fired_total")
                        .Help("SLA timer warnings and deadlines that took effect")
                        .Register(*registry_)
                        .Add({})) {}

void ServerMetrics::RecordCall(std::string_view method, absl::StatusCode code,
                               absl::Duration latency) {
  const std::string method_label(method);
  calls_.Add({{"method", method_label}, {"code", absl::StatusCodeToString(code)}}).Increment();
  latency_.Add({{"method", method_label}}, LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(latency));
}

void ServerMetrics::RecordTimersFired(int count) {
  timers_fired_.Increment(static_cast<double>(count));
}

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& listen, const ServerMetrics& metrics) {
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(listen);
    exposer->RegisterCollectable(metrics.registry());
    return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(exposer)));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen, ": ", e.what()));
  }
}

int MetricsEndpoint::ListeningPort() const {
  const std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace claims::server
