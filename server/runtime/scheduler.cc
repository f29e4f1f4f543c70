#include "server/runtime/scheduler.h"

#include <algorithm>
#include <chrono>

#include "spdlog/spdlog.h"

namespace claims::server {
namespace {

// With a manual clock, wall time says nothing about when timers fall due; poll gently so a
// timer armed by another process is still noticed.
constexpr absl::Duration kManualClockPoll = absl::Seconds(1);
// After a database error, wait before trying again rather than spinning.
constexpr absl::Duration kErrorBackoff = absl::Seconds(1);
// Expired idempotency records only cost space, so sweeping them now and then is enough.
constexpr absl::Duration kPurgeInterval = absl::Minutes(10);

}  // namespace

TimerScheduler::TimerScheduler(storage::Repository& repository, WorkflowRegistry& workflows,
                               const Clock& clock, Options options,
                               std::function<void(int)> on_fired)
    : repository_(repository),
      workflows_(workflows),
      clock_(clock),
      options_(options),
      on_fired_(std::move(on_fired)) {}

TimerScheduler::~TimerScheduler() { Stop(); }

void TimerScheduler::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  planned_sweep_ = absl::InfinitePast();  // sweeping first, as after a wake
  thread_ = std::thread([this] { Loop(); });
}

void TimerScheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TimerScheduler::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

void TimerScheduler::WakeFor(absl::Time fire_at) {
  {
    std::lock_guard lock(mu_);
    if (planned_sweep_ == absl::InfinitePast()) {
      armed_while_planning_ = std::min(armed_while_planning_, fire_at);
      return;
    }
    if (fire_at >= planned_sweep_) return;
    woken_ = true;
  }
  wake_.notify_all();
}

absl::Time TimerScheduler::PlannedSweep() {
  std::lock_guard lock(mu_);
  return planned_sweep_;
}

absl::StatusOr<int> TimerScheduler::RunOnce() {
  int total = 0;
  for (;;) {
    const absl::Time now = clock_.Now();
    absl::StatusOr<std::vector<storage::FiredTimer>> fired = repository_.FireDueTimers(
        now, options_.batch_size,
        [&](const workflow::Claim& claim,
            const workflow::TimerInstance& timer) -> std::optional<storage::AppliedDecision> {
          auto engine = workflows_.Get(claim.workflow_name, claim.workflow_version);
          if (!engine.ok()) {
            spdlog::error("timer {} of claim {}: workflow {}@{} unavailable: {}", timer.name,
                          claim.id, claim.workflow_name, claim.workflow_version,
                          engine.status().ToString());
            return std::nullopt;
          }
          std::optional<workflow::Decision> decision = (*engine)->FireTimer(claim, timer.name, now);
          if (!decision) return std::nullopt;
          return storage::AppliedDecision{workflow::ApplyDecision(claim, *decision, now),
                                          *std::move(decision)};
        });
    if (!fired.ok()) return fired.status();
    // Only now, after the commit: a firing logged inside the transaction may be rolled back.
    for (const storage::FiredTimer& f : *fired) {
      spdlog::info("timer {} fired for claim {}: {} -> {}", f.timer, f.claim_id, f.from_state,
                   f.to_state);
    }
    const int count = static_cast<int>(fired->size());
    if (count > 0 && on_fired_) on_fired_(count);
    total += count;
    if (count < options_.batch_size) return total;
  }
}

void TimerScheduler::Loop() {
  absl::Time next_purge = absl::InfinitePast();
  for (;;) {
    if (clock_.Now() >= next_purge) {
      // Retention: expired idempotency records, outbox events past event_retention and
      // abandoned evidence uploads, each a bounded amount a call; a backlog is worked off a call
      // a second rather than all at once.
      bool backlog = false;
      absl::StatusOr<int64_t> purged = repository_.PurgeExpiredIdempotencyRecords(clock_.Now());
      if (!purged.ok()) {
        spdlog::warn("purging idempotency records failed: {}", purged.status().ToString());
      } else if (*purged > 0) {
        spdlog::info("purged {} expired idempotency records", *purged);
        backlog = *purged >= storage::kPurgeLimitPerCall;
      }
      absl::StatusOr<int64_t> events = repository_.PurgeOldEvents(clock_.Now());
      if (!events.ok()) {
        spdlog::warn("purging old outbox events failed: {}", events.status().ToString());
      } else if (*events > 0) {
        spdlog::info("purged {} outbox events past their retention", *events);
        backlog = backlog || *events >= storage::kPurgeLimitPerCall;
      }
      // Uploads staged by a server that went away mid-stream (a live one discards its own).
      // A day is far longer than any upload within evidence.max_bytes takes.
      absl::StatusOr<int64_t> uploads =
          repository_.PurgeAbandonedEvidenceUploads(clock_.Now() - absl::Hours(24));
      if (!uploads.ok()) {
        spdlog::warn("purging abandoned evidence uploads failed: {}", uploads.status().ToString());
      } else if (*uploads > 0) {
        spdlog::info("purged {} abandoned evidence uploads", *uploads);
        backlog = backlog || *uploads >= storage::kPurgeLimitPerCall;
      }
      next_purge = clock_.Now() + (backlog ? absl::Seconds(1) : kPurgeInterval);
    }
    absl::Duration sleep = options_.max_sleep;
    absl::StatusOr<int> fired = RunOnce();
    if (!fired.ok()) {
      spdlog::warn("timer sweep failed: {}", fired.status().ToString());
      sleep = kErrorBackoff;
    } else if (clock_.IsManual()) {
      sleep = kManualClockPoll;
    } else {
      absl::StatusOr<absl::Time> next = repository_.NextTimerDue();
      if (next.ok()) {
        sleep = std::clamp(*next - clock_.Now(), absl::ZeroDuration(), options_.max_sleep);
      } else {
        spdlog::warn("reading the next timer failed: {}", next.status().ToString());
        sleep = kErrorBackoff;
      }
    }
    std::unique_lock lock(mu_);
    // A timer armed while this pass swept and planned may not be in what NextTimerDue read.
    if (armed_while_planning_ != absl::InfiniteFuture()) {
      sleep = std::clamp(armed_while_planning_ - clock_.Now(), absl::ZeroDuration(), sleep);
    }
    planned_sweep_ = clock_.Now() + sleep;
    wake_.wait_for(lock, absl::ToChronoMilliseconds(sleep) + std::chrono::milliseconds(1),
                   [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || woken_; });
    if (stopping_) return;
    woken_ = false;
    planned_sweep_ = absl::InfinitePast();
    armed_while_planning_ = absl::InfiniteFuture();
  }
}

}  // namespace claims::server
