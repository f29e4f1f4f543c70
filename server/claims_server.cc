#include "server/claims_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/tls.h"
#include "spdlog/spdlog.h"
#include "storage/soci_repository.h"

namespace claims::server {

namespace {

// Server reflection exactly once on the main port and not at all on the health port. Linking
// gRPC's reflection library registers its plugin for every ServerBuilder of the process (a
// static initializer), so the plugin list is set here rather than added to.
class ReflectionOption final : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enabled) : enabled_(enabled) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    auto reflection = std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>();
    const std::string name = reflection->name();
    std::erase_if(*plugins, [&](const auto& plugin) { return plugin->name() == name; });
    if (enabled_) plugins->push_back(std::move(reflection));
  }

 private:
  const bool enabled_;
};

// Everything but health on the health port: UNIMPLEMENTED, saying where the API is. (A server
// needs one polled service besides gRPC's health service to start at all.)
class HealthPortOnly final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    class Refused final : public grpc::ServerGenericBidiReactor {
     public:
      Refused() {
        Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                            "this port serves grpc.health.v1 only; the API is on the main port"));
      }
      void OnDone() override { delete this; }
    };
    return new Refused;
  }
};

}  // namespace

storage::StorageOptions StorageOptionsFor(const config::ServerConfig& config) {
  storage::StorageOptions options;
  options.url = config.database.url;
  options.pool_size = config.database.pool_size;
  options.max_evidence_bytes = config.database.max_evidence_bytes;
  options.event_partitions = config.database.event_partitions;
  options.event_retention = config.database.event_retention;
  return options;
}

absl::StatusOr<std::unique_ptr<ClaimsServer>> ClaimsServer::Start(
    const config::ServerConfig& config, std::unique_ptr<Clock> clock) {
  std::unique_ptr<ClaimsServer> server(new ClaimsServer());
  server->config_ = config;
  // First, so that a key that cannot be used stops start-up before anything is opened.
  auto authenticator = NewAuthenticator(config.auth);
  if (!authenticator.ok()) return authenticator.status();
  server->authenticator_ = *std::move(authenticator);
  if (config.auth.mode == config::AuthMode::kMetadata) {
    spdlog::warn(
        "auth.mode is metadata: x-claims-* headers are trusted as they come; "
        "run this only behind a front end that sets them");
  }
  // Before anything is opened too: unreadable or mismatched certificate files stop start-up.
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MainPortCredentials(config.tls);
  if (!credentials.ok()) return credentials.status();
  if (!config.tls.enabled() && !IsLoopbackAddress(config.listen)) {
    // Not refused: a service mesh or a TLS-terminating proxy in the pod is a common set-up.
    spdlog::warn(
        "listening on {} in plaintext: bearer tokens and claims cross the network unencrypted; "
        "set tls.cert_file and tls.key_file unless a proxy in front terminates TLS",
        config.listen);
  }
  if (!clock) {
    if (config.clock == config::ClockKind::kManual) {
      clock = std::make_unique<ManualClock>(absl::Now());
    } else {
      clock = std::make_unique<SystemClock>();
    }
  }
  server->clock_ = std::move(clock);
  if (server->clock_->IsManual()) {
    server->manual_clock_ = static_cast<ManualClock*>(server->clock_.get());
    // Anyone who reaches the TestClock service moves every deadline: only for a test server
    // that nothing but the machine itself can call.
    if (!IsLoopbackAddress(config.listen)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "clock: manual serves the TestClock service and is allowed on a loopback listen "
          "address only, not on ",
          config.listen));
    }
  }

  auto repository = storage::OpenSociRepository(StorageOptionsFor(config));
  if (!repository.ok()) return repository.status();
  server->repository_ = *std::move(repository);

  server->workflows_ = std::make_unique<WorkflowRegistry>(*server->repository_);
  if (absl::Status status = server->workflows_->LoadDirectory(config.workflows.directory);
      !status.ok()) {
    return status;
  }
  if (auto engine = server->workflows_->Latest(config.workflows.default_workflow); !engine.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("default workflow: ", engine.status().message()));
  }

  server->metrics_ = std::make_unique<ServerMetrics>();
  if (!config.metrics.listen.empty()) {
    auto endpoint = MetricsEndpoint::Start(config.metrics.listen, *server->metrics_);
    if (!endpoint.ok()) return endpoint.status();
    server->metrics_endpoint_ = *std::move(endpoint);
  }
  ServerMetrics* metrics = server->metrics_.get();
  // Events from other replicas show up within this interval; local ones at once.
  server->events_ = std::make_unique<EventFeed>(*server->repository_, absl::Milliseconds(500));
  EventFeed* events = server->events_.get();
  server->scheduler_ = std::make_unique<TimerScheduler>(
      *server->repository_, *server->workflows_, *server->clock_,
      TimerScheduler::Options{config.scheduler.batch_size, config.scheduler.max_sleep},
      [events, metrics](int fired) {
        metrics->RecordTimersFired(fired);
        events->Notify();
      });
  ClaimsLogic::Options logic_options;
  logic_options.default_workflow = config.workflows.default_workflow;
  logic_options.idempotency_retention = config.idempotency_retention;
  logic_options.max_evidence_bytes = config.database.max_evidence_bytes;
  logic_options.max_upload_bytes = config.evidence.max_bytes;
  TimerScheduler* scheduler = server->scheduler_.get();
  server->logic_ = std::make_unique<ClaimsLogic>(
      *server->repository_, *server->workflows_, *server->clock_, *server->authenticator_,
      logic_options, [scheduler, events](const workflow::Decision& decision) {
        absl::Time fire_at = absl::InfiniteFuture();
        for (const workflow::TimerInstance& timer : decision.timers) {
          fire_at = std::min(fire_at, timer.NextFireAt());
        }
        if (fire_at != absl::InfiniteFuture()) scheduler->WakeFor(fire_at);
        if (!decision.events.empty()) events->Notify();
      });
  if (server->manual_clock_ != nullptr) {
    server->manual_clock_->SetOnAdvance([scheduler] { scheduler->Wake(); });
  }
  server->workers_ =
      std::make_unique<WorkerPool>(config.grpc.worker_threads, config.grpc.max_queued_calls);
  server->access_log_ = std::make_unique<AccessLog>(config.access_log, config.log_format);
  absl::StatusOr<std::unique_ptr<ContentSniffer>> sniffer = ContentSniffer::Create();
  if (!sniffer.ok()) return sniffer.status();
  server->service_ =
      std::make_unique<ClaimsService>(*server->logic_, *server->workers_, *server->events_,
                                      *server->metrics_, *server->access_log_, *std::move(sniffer));
  server->api_calls_ = std::make_unique<UnaryCalls>(
      [logic = server->logic_.get()](const Metadata& metadata) {
        return logic->Authenticate(metadata);
      },
      *server->workers_, *server->metrics_, *server->access_log_);
  // Migrated and recomputed claims' events are stored like any others: the feed is told at
  // once, as for a decision, besides the scheduler whose sweep a moved deadline changes.
  server->workflow_changes_ = std::make_unique<WorkflowChanges>(
      *server->repository_, *server->workflows_, *server->clock_, [scheduler, events] {
        scheduler->Wake();
        events->Notify();
      });
  server->workflows_api_ = std::make_unique<WorkflowsApi>(
      *server->workflows_, *server->workflow_changes_, config.workflows.default_workflow);
  server->workflows_service_ =
      std::make_unique<WorkflowsService>(*server->workflows_api_, *server->api_calls_);
  if (server->manual_clock_ != nullptr) {
    server->test_clock_api_ =
        std::make_unique<TestClockApi>(*server->manual_clock_, *server->scheduler_);
    server->test_clock_service_ =
        std::make_unique<TestClockService>(*server->test_clock_api_, *server->api_calls_);
  }
  storage::Repository* stored = server->repository_.get();
  WorkerPool* workers = server->workers_.get();
  server->metrics_->SetSources([stored] { return stored->Stats(); },
                               [workers] {
                                 return WorkerStats{workers->queued(), workers->rejected()};
                               });

  // Readiness follows the database from the first moment: one ping before the ports open.
  const Clock* clock_ptr = server->clock_.get();
  HealthStatus* health = &server->health_;
  DatabaseHealth::Options health_options;
  health_options.interval = config.health.check_interval;
  health_options.timeout = config.health.timeout;
  health_options.after_ping = [stored, clock_ptr, metrics] {
    // Now minus the earliest due timer not yet fired: how far the sweepers are behind.
    absl::StatusOr<absl::Time> due = stored->NextTimerDue();
    if (due.ok()) {
      metrics->SetTimerLag(*due == absl::InfiniteFuture() ? absl::ZeroDuration()
                                                          : clock_ptr->Now() - *due);
    }
  };
  server->database_health_ = std::make_unique<DatabaseHealth>(
      [stored](absl::Duration timeout) { return stored->Ping(timeout); }, health_options,
      [health, metrics](bool up, const absl::Status& why) {
        metrics->SetDatabaseUp(up);
        health->SetReady(up);
        if (up) {
          spdlog::info("database answers: ready");
        } else {
          spdlog::error("database does not answer, not ready: {}", why.ToString());
        }
      });
  server->database_health_->Start();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<ReflectionOption>(true));
  builder.AddListeningPort(config.listen, *credentials, &server->port_);
  builder.SetMaxReceiveMessageSize(config.grpc.max_message_bytes);
  builder.SetMaxSendMessageSize(config.grpc.max_message_bytes);
  if (config.grpc.memory_quota_bytes > 0) {
    grpc::ResourceQuota quota("claimsd");
    quota.Resize(static_cast<size_t>(config.grpc.memory_quota_bytes));
    builder.SetResourceQuota(quota);
  }
  // A fixed receive window of 1 MiB a stream instead of one that BDP probing grows to many
  // megabytes: a client streaming a large upload faster than it is stored would otherwise
  // park that much of it in this process.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024 * 1024);
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->workflows_service_.get());
  if (server->test_clock_service_) builder.RegisterService(server->test_clock_service_.get());
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  server->health_.Add(server->server_->GetHealthCheckService());
  if (!config.health.listen.empty()) {
    // Health alone, in plaintext: for probes that cannot present a client certificate or
    // speak TLS (the kubelet's gRPC probes).
    grpc::ServerBuilder health_builder;
    health_builder.SetOption(std::make_unique<ReflectionOption>(false));
    server->health_port_only_ = std::make_unique<HealthPortOnly>();
    health_builder.RegisterCallbackGenericService(server->health_port_only_.get());
    health_builder.AddListeningPort(config.health.listen, grpc::InsecureServerCredentials(),
                                    &server->health_port_);
    server->health_server_ = health_builder.BuildAndStart();
    if (!server->health_server_ || server->health_port_ == 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on health.listen ", config.health.listen));
    }
    server->health_.Add(server->health_server_->GetHealthCheckService());
  }
  if (config.admin.playground) {
    // The directory the server loads from, so the page's includes resolve as the server's do.
    server->playground_ = std::make_unique<PlaygroundApi>(config.workflows.directory);
    auto admin = AdminHttpServer::Start(config.admin, *server->playground_);
    if (!admin.ok()) return admin.status();
    server->admin_http_ = *std::move(admin);
    spdlog::info("workflow playground listening on {} (port {})", config.admin.listen,
                 server->admin_http_->port());
  }
  server->events_->Start();
  ClaimsServer* self = server.get();
  server->watcher_ = std::make_unique<WorkflowWatcher>(
      config.workflows.directory, config.workflows.watch_interval, [self] {
        absl::Status status = self->ReloadWorkflows();
        if (status.ok()) {
          spdlog::info("workflows changed on disk: reloaded");
        } else {
          spdlog::error("workflows changed on disk but were refused, keeping the loaded ones: {}",
                        status.ToString());
        }
      });
  server->watcher_->Start();
  if (config.scheduler.enabled) server->scheduler_->Start();
  return server;
}

ClaimsServer::~ClaimsServer() { Shutdown(absl::ZeroDuration()); }

std::shared_ptr<grpc::Channel> ClaimsServer::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

absl::Status ClaimsServer::ReloadWorkflows() {
  std::vector<WorkflowRegistry::CalendarChange> calendar_changes;
  absl::Status status = workflows_->LoadDirectory(config_.workflows.directory, &calendar_changes);
  if (status.ok() && !calendar_changes.empty()) {
    spdlog::warn("{}", CalendarChangeMessage(calendar_changes));
  }
  return status;
}

void ClaimsServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  // First, so load balancers and probes stop sending work while the rest winds down.
  health_.ShutDown();
  if (admin_http_) admin_http_->Stop();
  if (watcher_) watcher_->Stop();
  // Streams never end by themselves; left open they would hold Shutdown for the whole grace
  // and then be cut with CANCELLED.
  if (service_) service_->EndStreams();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  }
  // Last of the ports: probes see NOT_SERVING during the drain rather than a refused port.
  if (health_server_) health_server_->Shutdown(std::chrono::system_clock::now());
  if (database_health_) database_health_->Stop();
  if (scheduler_) scheduler_->Stop();
  if (events_) events_->Stop();
  // No scrape may sample what is about to go away.
  if (metrics_) metrics_->ClearSources();
  // Handlers still queued finish before the logic they use goes away.
  workers_.reset();
}

}  // namespace claims::server
