#include "server/runtime/health.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace claims::server {

DatabaseHealth::DatabaseHealth(Ping ping, Options options, Listener on_change)
    : ping_(std::move(ping)), options_(std::move(options)), on_change_(std::move(on_change)) {}

DatabaseHealth::~DatabaseHealth() { Stop(); }

void DatabaseHealth::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_) return;
    started_ = true;
  }
  pinger_ = std::thread([this] { PingLoop(); });
  Report(CheckOnce());
  checker_ = std::thread([this] { CheckLoop(); });
}

void DatabaseHealth::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  done_.notify_all();
  if (checker_.joinable()) checker_.join();
  if (pinger_.joinable()) pinger_.join();
}

bool DatabaseHealth::up() const {
  std::lock_guard lock(mu_);
  return up_;
}

absl::Status DatabaseHealth::CheckOnce() {
  std::unique_lock lock(mu_);
  if (!ping_running_) {
    ping_requested_ = true;
    ping_answered_ = false;
    wake_.notify_one();
  }
  // A ping still hanging from an earlier round is waited for, not joined by another.
  const bool answered = done_.wait_for(
      lock, absl::ToChronoMilliseconds(options_.timeout),
      [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ping_answered_ || stopping_; });
  if (stopping_) return absl::CancelledError("stopping");
  if (!answered) {
    return absl::DeadlineExceededError(
        absl::StrCat("database ping: no answer within ", absl::FormatDuration(options_.timeout)));
  }
  return ping_result_;
}

void DatabaseHealth::CheckLoop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // The pinger's wake-ups share done_; only stopping ends the wait early.
      done_.wait_for(lock, absl::ToChronoMilliseconds(options_.interval),
                     [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; });
      if (stopping_) return;
    }
    const absl::Status verdict = CheckOnce();
    if (verdict.code() == absl::StatusCode::kCancelled) return;
    Report(verdict);
  }
}

void DatabaseHealth::PingLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(
        lock, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ping_requested_ || stopping_; });
    if (stopping_) return;
    ping_requested_ = false;
    ping_running_ = true;
    lock.unlock();
    absl::Status result = ping_(options_.timeout);
    if (result.ok() && options_.after_ping) options_.after_ping();
    lock.lock();
    ping_running_ = false;
    ping_answered_ = true;
    ping_result_ = std::move(result);
    done_.notify_all();
  }
}

void DatabaseHealth::Report(const absl::Status& verdict) {
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    changed = !reported_ || up_ != verdict.ok();
    reported_ = true;
    up_ = verdict.ok();
  }
  if (changed && on_change_) on_change_(verdict.ok(), verdict);
}

void HealthStatus::Add(grpc::HealthCheckServiceInterface* service) {
  if (service == nullptr) return;
  std::lock_guard lock(mu_);
  services_.push_back(service);
  service->SetServingStatus(kLivenessService, !shut_down_);
  service->SetServingStatus(kOverallService, ready_ && !shut_down_);
  service->SetServingStatus(kClaimsService, ready_ && !shut_down_);
}

void HealthStatus::SetReady(bool ready) {
  std::lock_guard lock(mu_);
  ready_ = ready;
  if (shut_down_) return;
  for (grpc::HealthCheckServiceInterface* service : services_) {
    service->SetServingStatus(kOverallService, ready);
    service->SetServingStatus(kClaimsService, ready);
  }
}

void HealthStatus::ShutDown() {
  std::lock_guard lock(mu_);
  if (shut_down_) return;
  shut_down_ = true;
  // Shutdown() sets every service NOT_SERVING and ignores later changes; Watch callers are
  // told at once.
  for (grpc::HealthCheckServiceInterface* service : services_) service->Shutdown();
}

}  // namespace claims::server
