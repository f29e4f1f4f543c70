#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/server.h>

#include <memory>

#include "absl/status/statusor.h"
#include "config/claims_config.h"
#include "server/api/api_services.h"
#include "server/api/claims_logic.h"
#include "server/api/claims_service.h"
#include "server/playground/playground_api.h"
#include "server/runtime/admin_http.h"
#include "server/runtime/clock.h"
#include "server/runtime/event_feed.h"
#include "server/runtime/health.h"
#include "server/runtime/logging.h"
#include "server/runtime/metrics.h"
#include "server/runtime/scheduler.h"
#include "server/runtime/worker_pool.h"
#include "server/runtime/workflow_changes.h"
#include "server/runtime/workflow_registry.h"
#include "server/runtime/workflow_watcher.h"
#include "storage/repository.h"
#include "storage/soci_repository.h"

namespace claims::server {

// The storage settings of `config` (database.*), as the server opens its repository with them.
storage::StorageOptions StorageOptionsFor(const config::ServerConfig& config);

// claimsd assembled: repository (migrated), published workflows, logic, timer scheduler, the
// database health check, and the gRPC server with health and reflection (plaintext or TLS),
// plus the optional plaintext health-only port, the metrics endpoint and the admin HTTP port
// with the workflow playground. main() and the
// end-to-end tests both build it.
class ClaimsServer {
 public:
  // Opens the database, loads the workflows and starts serving on config.listen (port 0 picks
  // a free port; see port()). A null `clock` means the one the config names.
  static absl::StatusOr<std::unique_ptr<ClaimsServer>> Start(
      const config::ServerConfig& config, std::unique_ptr<Clock> clock = nullptr);
  ~ClaimsServer();

  int port() const { return port_; }
  // The health-only port; 0 when health.listen is empty.
  int health_port() const { return health_port_; }
  const WorkerPool& workers() const { return *workers_; }
  std::shared_ptr<grpc::Channel> InProcessChannel();
  const Clock& clock() const { return *clock_; }
  // Null unless the clock is manual.
  ManualClock* manual_clock() { return manual_clock_; }
  TimerScheduler& scheduler() { return *scheduler_; }
  // The admin HTTP port (the playground); 0 unless admin.playground is on.
  int admin_port() const { return admin_http_ ? admin_http_->port() : 0; }
  // The Prometheus endpoint's port; 0 when metrics.listen is empty.
  int metrics_port() const { return metrics_endpoint_ ? metrics_endpoint_->ListeningPort() : 0; }
  storage::Repository& repository() { return *repository_; }
  // What the background check last concluded about the database.
  bool database_up() const { return database_health_->up(); }

  // Re-reads the workflows directory; an invalid file leaves the loaded versions in place.
  absl::Status ReloadWorkflows();

  // Stops the way a replica should leave: health NOT_SERVING at once (liveness too), open
  // event streams ended with UNAVAILABLE "server shutting down" (clients reconnect elsewhere),
  // no new calls, calls in flight given `grace` to finish before they are cancelled, then the
  // scheduler and the rest. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

 private:
  ClaimsServer() = default;

  config::ServerConfig config_;
  std::unique_ptr<Clock> clock_;
  ManualClock* manual_clock_ = nullptr;
  std::unique_ptr<storage::Repository> repository_;
  std::unique_ptr<WorkflowRegistry> workflows_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  std::unique_ptr<AccessLog> access_log_;
  HealthStatus health_;
  std::unique_ptr<DatabaseHealth> database_health_;
  std::unique_ptr<EventFeed> events_;
  std::unique_ptr<TimerScheduler> scheduler_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<ClaimsLogic> logic_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<ClaimsService> service_;
  std::unique_ptr<UnaryCalls> api_calls_;
  std::unique_ptr<WorkflowChanges> workflow_changes_;
  std::unique_ptr<WorkflowsApi> workflows_api_;
  std::unique_ptr<WorkflowsService> workflows_service_;
  std::unique_ptr<TestClockApi> test_clock_api_;
  std::unique_ptr<TestClockService> test_clock_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::CallbackGenericService> health_port_only_;
  std::unique_ptr<grpc::Server> health_server_;
  std::unique_ptr<WorkflowWatcher> watcher_;
  std::unique_ptr<PlaygroundApi> playground_;
  std::unique_ptr<AdminHttpServer> admin_http_;
  int port_ = 0;
  int health_port_ = 0;
  bool shut_down_ = false;
};

}  // namespace claims::server
