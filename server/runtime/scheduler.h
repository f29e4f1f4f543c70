#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/runtime/clock.h"
#include "server/runtime/workflow_registry.h"
#include "storage/repository.h"

namespace claims::server {

// Fires SLA timers when they fall due: sleeps until the earliest due timer (or max_sleep, so a
// timer armed by another replica is picked up), then lets the repository claim due timers and
// apply each engine decision in the transaction that claimed it. Any number of replicas may
// run one; each timer still fires once. It also purges expired idempotency records.
class TimerScheduler {
 public:
  struct Options {
    int batch_size = 100;
    absl::Duration max_sleep = absl::Seconds(30);
  };

  // `on_fired` runs with the count after a sweep that fired timers (their decisions emit events).
  TimerScheduler(storage::Repository& repository, WorkflowRegistry& workflows, const Clock& clock,
                 Options options, std::function<void(int)> on_fired = {});
  ~TimerScheduler();

  TimerScheduler(const TimerScheduler&) = delete;
  TimerScheduler& operator=(const TimerScheduler&) = delete;

  void Start();
  // Stops the thread and waits for it; a sweep in progress completes first.
  void Stop();

  // Fires every timer due at the clock's now, batch after batch; returns how many fired.
  absl::StatusOr<int> RunOnce();

  // When the earliest armed timer next needs a sweep (Repository::NextTimerDue).
  absl::StatusOr<absl::Time> NextTimerDue() { return repository_.NextTimerDue(); }

  // The clock moved or deadlines moved in bulk: sweep and re-plan the sleep now.
  void Wake();
  // A decision armed a timer that needs a sweep at `fire_at`: wakes the loop only if that is
  // before the sweep it already plans. Decisions arm timers on most calls, days ahead; waking
  // for each would run a sweep and a NextTimerDue query per call under load.
  void WakeFor(absl::Time fire_at);

  // When the sleeping loop next sweeps, by the clock; InfinitePast while it sweeps or plans.
  absl::Time PlannedSweep();

 private:
  void Loop();

  storage::Repository& repository_;
  WorkflowRegistry& workflows_;
  const Clock& clock_;
  Options options_;
  std::function<void(int)> on_fired_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  // When the sleeping loop will next sweep; InfinitePast while it sweeps and plans, when
  // WakeFor only records the time in armed_while_planning_ for the plan to take into account
  // (the sweep's NextTimerDue may have read before that timer's commit).
  absl::Time planned_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time armed_while_planning_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  std::thread thread_;
};

}  // namespace claims::server
