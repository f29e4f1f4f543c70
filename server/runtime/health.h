#pragma once

#include <grpcpp/health_check_service_interface.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace claims::server {

// The grpc.health.v1 services claimsd answers for (the Helm chart probes them):
// readiness follows the database, liveness only the process.
inline constexpr char kOverallService[] = "";
inline constexpr char kClaimsService[] = "claims.v1.Claims";
inline constexpr char kLivenessService[] = "liveness";

// Tells whether the database answers: pings it (Repository::Ping: a connection of its own, no
// retries) every `interval` on a thread of its own and reports each change. A ping that has not
// answered within `timeout` counts as down, so a database that hangs rather than refuses (a
// partition, a full disk) cannot freeze the check: the next round waits for the hanging ping
// instead of starting another. Thread-safe.
class DatabaseHealth {
 public:
  struct Options {
    absl::Duration interval = absl::Seconds(1);
    absl::Duration timeout = absl::Seconds(2);
    // Runs on the pinging thread after each ping that succeeded (e.g. sampling the timer lag,
    // which needs the database too): never delays the verdict.
    std::function<void()> after_ping;
  };
  // Called with every verdict that differs from the previous one, on the checking thread.
  using Listener = std::function<void(bool up, const absl::Status& why)>;
  // Asks the database for an answer within the timeout given.
  using Ping = std::function<absl::Status(absl::Duration timeout)>;

  DatabaseHealth(Ping ping, Options options, Listener on_change);
  ~DatabaseHealth();

  DatabaseHealth(const DatabaseHealth&) = delete;
  DatabaseHealth& operator=(const DatabaseHealth&) = delete;

  // One check now, on the caller's thread (within `timeout`), then the background ones.
  void Start();
  // Stops checking; returns once a ping in progress has returned (bounded by the database
  // client's own timeouts).
  void Stop();

  bool up() const;

 private:
  // The verdict of one round: a ping answered within the timeout, or not.
  absl::Status CheckOnce();
  void CheckLoop();
  void PingLoop();
  void Report(const absl::Status& verdict);

  const Ping ping_;
  const Options options_;
  const Listener on_change_;

  mutable std::mutex mu_;
  std::condition_variable wake_;  // the pinger: a ping was asked for, or stop
  std::condition_variable done_;  // the checker: a ping answered, or stop
  bool ping_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool ping_running_ ABSL_GUARDED_BY(mu_) = false;
  bool ping_answered_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status ping_result_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool up_ ABSL_GUARDED_BY(mu_) = false;
  bool reported_ ABSL_GUARDED_BY(mu_) = false;
  std::thread checker_;
  std::thread pinger_;
};

// Sets the grpc.health.v1 statuses of every server claimsd runs (the main port and the optional
// health-only port) at once. Thread-safe.
class HealthStatus {
 public:
  void Add(grpc::HealthCheckServiceInterface* service);
  // Readiness ("" and claims.v1.Claims); liveness stays SERVING.
  void SetReady(bool ready);
  // Shutdown: everything NOT_SERVING, liveness included, and no later change.
  void ShutDown();

 private:
  std::mutex mu_;
  std::vector<grpc::HealthCheckServiceInterface*> services_ ABSL_GUARDED_BY(mu_);
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace claims::server
