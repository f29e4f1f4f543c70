#include "server/claims_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
#include "storage/soci_repository.h"

namespace claims::server {

namespace {

constexpr char kServiceName[] = "claims.v1.Claims";

// Server reflection on the builder it is set on only (the health port serves health alone),
// where InitProtoReflectionServerBuilderPlugin would add it to every server of the process.
class ReflectionOption final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
  }
};

}  // namespace

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
  }

  storage::StorageOptions storage_options;
  storage_options.url = config.database.url;
  storage_options.pool_size = config.database.pool_size;
  storage_options.max_evidence_bytes = config.database.max_evidence_bytes;
  auto repository = storage::OpenSociRepository(storage_options);
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
  TimerScheduler* scheduler = server->scheduler_.get();
  server->logic_ = std::make_unique<ClaimsLogic>(
      *server->repository_, *server->workflows_, *server->clock_, *server->authenticator_,
      logic_options, [scheduler, events](const workflow::Decision& decision) {
        if (!decision.timers.empty()) scheduler->Wake();
        if (!decision.events.empty()) events->Notify();
      });
  if (server->manual_clock_ != nullptr) {
    server->manual_clock_->SetOnAdvance([scheduler] { scheduler->Wake(); });
  }
  server->workers_ =
      std::make_unique<WorkerPool>(config.grpc.worker_threads, config.grpc.max_queued_calls);
  server->access_log_ = std::make_unique<AccessLog>(config.access_log, config.log_format);
  server->service_ =
      std::make_unique<ClaimsService>(*server->logic_, *server->workers_, *server->events_,
                                      *server->metrics_, *server->access_log_);
  storage::Repository* stored = server->repository_.get();
  WorkerPool* workers = server->workers_.get();
  server->metrics_->SetSources([stored] { return stored->Stats(); },
                               [workers] {
                                 return WorkerStats{workers->queued(), workers->rejected()};
                               });

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<ReflectionOption>());
  builder.AddListeningPort(config.listen, grpc::InsecureServerCredentials(), &server->port_);
  builder.SetMaxReceiveMessageSize(config.grpc.max_message_bytes);
  builder.SetMaxSendMessageSize(config.grpc.max_message_bytes);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  auto* health = server->server_->GetHealthCheckService();
  health->SetServingStatus(kServiceName, true);
  health->SetServingStatus(true);
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
  return workflows_->LoadDirectory(config_.workflows.directory);
}

void ClaimsServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (watcher_) watcher_->Stop();
  if (server_) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  }
  if (scheduler_) scheduler_->Stop();
  if (events_) events_->Stop();
  // No scrape may sample what is about to go away.
  if (metrics_) metrics_->ClearSources();
  // Handlers still queued finish before the logic they use goes away.
  workers_.reset();
}

}  // namespace claims::server
