// claimsd: wires the configuration to ClaimsServer and handles process signals.
#include <pthread.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "config/claims_config.h"
#include "server/claims_server.h"
#include "server/runtime/logging.h"
#include "spdlog/spdlog.h"
#include "storage/soci_repository.h"

namespace {

// What claimsd's own ports and threads take to stop once the calls are done (the metrics
// endpoint's web server the longest, about 2 s), on top of shutdown_grace_seconds.
constexpr absl::Duration kShutdownAfterGrace = absl::Seconds(3);

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves its deadlock detection on: every
  // absl::Mutex acquisition, gRPC's own included, then records lock order in one global graph
  // under one global lock, a debugging aid that costs every call on every thread. Tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"claimsd: the claims workflow service"};
  std::string config_path = "config/claimsd.yaml";
  bool migrate_only = false;
  app.add_option("--config", config_path, "configuration file")->check(CLI::ExistingFile);
  app.add_flag("--migrate-only", migrate_only, "apply database migrations and exit");
  CLI11_PARSE(app, argc, argv);

  auto config = claims::config::LoadServerConfig(config_path);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 2;
  }
  claims::server::ConfigureLogging(config->log_format, spdlog::level::from_str(config->log_level));

  if (migrate_only) {
    auto version = claims::storage::MigrateDatabase(claims::server::StorageOptionsFor(*config));
    if (!version.ok()) {
      spdlog::error("migration failed: {}", version.status().ToString());
      return 1;
    }
    spdlog::info("database schema at version {}", *version);
    return 0;
  }

  // Signals go to one thread that waits for them, never to whichever thread they interrupt.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = claims::server::ClaimsServer::Start(*config);
  if (!server.ok()) {
    spdlog::error("cannot start: {}", server.status().ToString());
    return 1;
  }
  spdlog::info("claimsd listening on {} (port {}), database {}, workflows from {}", config->listen,
               (*server)->port(), config->database.url.substr(0, config->database.url.find(':')),
               config->workflows.directory);

  for (;;) {
    int signal = 0;
    sigwait(&signals, &signal);
    if (signal == SIGHUP) {
      absl::Status status = (*server)->ReloadWorkflows();
      if (status.ok()) {
        spdlog::info("workflows reloaded");
      } else {
        spdlog::error("workflow reload refused, keeping the loaded versions: {}",
                      status.ToString());
      }
      continue;
    }
    spdlog::info("signal {}: shutting down", signal);
    // Past the grace gRPC cancels the calls, but a handler blocked in the database (on a lock
    // held elsewhere) keeps running and would hold the exit until the kubelet's SIGKILL. Ending
    // the process rolls back what it has not committed, and its caller, already cancelled,
    // retries with the same request_id.
    const absl::Duration limit = config->shutdown_grace + kShutdownAfterGrace;
    std::thread([limit] {
      absl::SleepFor(limit);
      spdlog::error("calls still running {} after SIGTERM; exiting without them",
                    absl::FormatDuration(limit));
      spdlog::default_logger()->flush();
      std::_Exit(1);
    }).detach();
    (*server)->Shutdown(config->shutdown_grace);
    return 0;
  }
}
