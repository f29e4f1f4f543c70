#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/repository.h"

namespace claims::server {

// What the worker pool reports at a scrape.
struct WorkerStats {
  int queued = 0;
  int64_t rejected = 0;
};

// What operators watch (names in the README's Configuration section): calls by method and
// status code with their latency, SLA timers fired and their lag, the database (up, pool,
// retries by cause), the worker queue, event streams, the build and the process. Thread-safe.
class ServerMetrics {
 public:
  ServerMetrics();

  void RecordCall(std::string_view method, absl::StatusCode code, absl::Duration latency);
  void RecordTimersFired(int count);
  void RecordEventsStreamed(int count);
  void SetEventStreamsOpen(int open);
  void SetDatabaseUp(bool up);
  // Now minus the earliest due timer not yet fired; zero when none is overdue.
  void SetTimerLag(absl::Duration lag);

  // Read at every scrape (cheap snapshots that never touch the database). Either may be
  // unset; they must stay valid until ClearSources().
  void SetSources(std::function<storage::StorageStats()> storage,
                  std::function<WorkerStats()> workers);
  void ClearSources();

  // The registry as a scrape sees it: sources sampled first.
  std::shared_ptr<prometheus::Collectable> collectable() const { return collectable_; }
  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

 private:
  class Sampled;
  void Sample();

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> collectable_;
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Counter& timers_fired_;
  prometheus::Gauge& timer_lag_;
  prometheus::Counter& events_streamed_;
  prometheus::Gauge& streams_open_;
  prometheus::Gauge& database_up_;
  prometheus::Family<prometheus::Gauge>& pool_connections_;
  prometheus::Gauge& pool_in_use_;
  prometheus::Gauge& pool_size_;
  prometheus::Counter& pool_waits_;
  prometheus::Counter& pool_wait_seconds_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Gauge& queue_depth_;
  prometheus::Counter& queue_rejected_;
  prometheus::Counter& cpu_seconds_;
  prometheus::Gauge& resident_bytes_;
  prometheus::Gauge& open_fds_;
  prometheus::Gauge& start_time_;

  std::mutex sources_mu_;
  std::function<storage::StorageStats()> storage_ ABSL_GUARDED_BY(sources_mu_);
  std::function<WorkerStats()> workers_ ABSL_GUARDED_BY(sources_mu_);
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
