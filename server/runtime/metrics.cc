#include "server/runtime/metrics.h"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/build_info.h"

namespace claims::server {
namespace {

// Call latencies from 1 ms to 10 s: a decision is a few queries; anything slower is trouble.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
  return *buckets;
}

prometheus::Gauge& Gauge(prometheus::Registry& registry, const std::string& name,
                         const std::string& help, const prometheus::Labels& labels = {}) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add(labels);
}

prometheus::Counter& Counter(prometheus::Registry& registry, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

// Counters only grow: a sampled running total moves the counter by what it gained.
void Follow(prometheus::Counter& counter, double total) {
  if (total > counter.Value()) counter.Increment(total - counter.Value());
}

// What /proc says about this process, as the Prometheus client libraries report it.
struct ProcessStats {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double open_fds = 0;
  double start_time_seconds = 0;
};

ProcessStats ReadProcessStats() {
  ProcessStats stats;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // The command name may hold spaces and parentheses; the fields after its last ')' do not.
  const std::size_t end_of_name = stat.rfind(')');
  if (end_of_name != std::string::npos && ticks > 0) {
    const std::vector<std::string> fields =
        absl::StrSplit(stat.substr(end_of_name + 2), ' ', absl::SkipEmpty());
    // fields[0] is field 3 of proc(5): utime is 14, stime 15, starttime 22, rss 24.
    if (fields.size() > 21) {
      stats.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
      stats.resident_bytes = std::stod(fields[21]) * static_cast<double>(::sysconf(_SC_PAGESIZE));
      std::ifstream boot_file("/proc/stat");
      std::string line;
      while (std::getline(boot_file, line)) {
        if (line.rfind("btime ", 0) == 0) {
          stats.start_time_seconds = std::stod(line.substr(6)) + std::stod(fields[19]) / ticks;
          break;
        }
      }
    }
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    stats.open_fds += 1;
  }
  return stats;
}

}  // namespace

// The registry, with the sources sampled just before each scrape reads it.
class ServerMetrics::Sampled final : public prometheus::Collectable {
 public:
  explicit Sampled(ServerMetrics& metrics) : metrics_(metrics) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    metrics_.Sample();
    return metrics_.registry_->Collect();
  }

 private:
  ServerMetrics& metrics_;
};

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      collectable_(std::make_shared<Sampled>(*this)),
      calls_(prometheus::BuildCounter()
                 .Name("claims_rpc_calls_total")
                 .Help("Claims API calls by method and status code")
                 .Register(*registry_)),
      latency_(prometheus::BuildHistogram()
                   .Name("claims_rpc_latency_seconds")
                   .Help("Claims API call latency by method")
                   .Register(*registry_)),
      timers_fired_(Counter(*registry_, "claims_sla_timers_fired_total",
                            "SLA timer warnings and deadlines that took effect")),
      timer_lag_(Gauge(*registry_, "claims_timer_lag_seconds",
                       "How long the earliest due SLA timer has waited to fire (0: none late)")),
      events_streamed_(Counter(*registry_, "claims_events_streamed_total",
                               "Outbox events written to StreamEvents callers")),
      streams_open_(Gauge(*registry_, "claims_event_streams_open", "StreamEvents calls open now")),
      database_up_(Gauge(*registry_, "claims_database_up",
                         "1 while the database answers the health check's pings")),
      pool_connections_(prometheus::BuildGauge()
                            .Name("claims_db_pool_connections")
                            .Help("Database connections of the pool, by state")
                            .Register(*registry_)),
      pool_in_use_(pool_connections_.Add({{"state", "in_use"}})),
      pool_size_(pool_connections_.Add({{"state", "size"}})),
      pool_waits_(Counter(*registry_, "claims_db_pool_waits_total",
                          "Connection leases that found every pooled connection busy")),
      pool_wait_seconds_(Counter(*registry_, "claims_db_pool_wait_seconds_total",
                                 "Time those leases waited for a connection")),
      retries_(prometheus::BuildCounter()
                   .Name("claims_db_transaction_retries_total")
                   .Help("Transactions run again, by cause")
                   .Register(*registry_)),
      queue_depth_(
          Gauge(*registry_, "claims_worker_queue_depth", "Calls waiting for a worker thread")),
      queue_rejected_(Counter(*registry_, "claims_worker_queue_rejected_total",
                              "Calls refused with RESOURCE_EXHAUSTED because the queue was full")),
      cpu_seconds_(Counter(*registry_, "process_cpu_seconds_total",
                           "User and system CPU time spent, in seconds")),
      resident_bytes_(
          Gauge(*registry_, "process_resident_memory_bytes", "Resident memory size in bytes")),
      open_fds_(Gauge(*registry_, "process_open_fds", "Open file descriptors")),
      start_time_(Gauge(*registry_, "process_start_time_seconds",
                        "Start time of the process since the Unix epoch, in seconds")) {
  Gauge(*registry_, "claims_build_info", "The running build: version and git commit",
        {{"version", BuildVersion()}, {"commit", BuildCommit()}})
      .Set(1);
  for (const char* cause : {"deadlock", "lock_timeout", "busy", "connection_lost"}) {
    retries_.Add({{"cause", cause}});
  }
}

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

void ServerMetrics::RecordEventsStreamed(int count) {
  events_streamed_.Increment(static_cast<double>(count));
}

void ServerMetrics::SetEventStreamsOpen(int open) { streams_open_.Set(open); }

void ServerMetrics::SetDatabaseUp(bool up) { database_up_.Set(up ? 1 : 0); }

void ServerMetrics::SetTimerLag(absl::Duration lag) {
  timer_lag_.Set(absl::ToDoubleSeconds(std::max(lag, absl::ZeroDuration())));
}

void ServerMetrics::SetSources(std::function<storage::StorageStats()> storage,
                               std::function<WorkerStats()> workers) {
  std::lock_guard lock(sources_mu_);
  storage_ = std::move(storage);
  workers_ = std::move(workers);
}

void ServerMetrics::ClearSources() { SetSources(nullptr, nullptr); }

void ServerMetrics::Sample() {
  // One scrape at a time, and never while the sources are being replaced.
  std::lock_guard lock(sources_mu_);
  if (storage_) {
    const storage::StorageStats stats = storage_();
    pool_in_use_.Set(stats.connections_in_use);
    pool_size_.Set(stats.pool_size);
    Follow(pool_waits_, static_cast<double>(stats.connection_waits));
    Follow(pool_wait_seconds_, absl::ToDoubleSeconds(stats.connection_wait_time));
    Follow(retries_.Add({{"cause", "deadlock"}}), static_cast<double>(stats.retries_deadlock));
    Follow(retries_.Add({{"cause", "lock_timeout"}}),
           static_cast<double>(stats.retries_lock_timeout));
    Follow(retries_.Add({{"cause", "busy"}}), static_cast<double>(stats.retries_busy));
    Follow(retries_.Add({{"cause", "connection_lost"}}),
           static_cast<double>(stats.retries_connection_lost));
  }
  if (workers_) {
    const WorkerStats stats = workers_();
    queue_depth_.Set(stats.queued);
    Follow(queue_rejected_, static_cast<double>(stats.rejected));
  }
  const ProcessStats process = ReadProcessStats();
  Follow(cpu_seconds_, process.cpu_seconds);
  resident_bytes_.Set(process.resident_bytes);
  open_fds_.Set(process.open_fds);
  start_time_.Set(process.start_time_seconds);
}

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& listen, const ServerMetrics& metrics) {
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(listen);
    exposer->RegisterCollectable(metrics.collectable());
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
