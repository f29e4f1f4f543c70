#pragma once

#include <mutex>

#include "absl/status/statusor.h"
#include "claims/v1/test_clock.pb.h"
#include "server/api/caller.h"
#include "server/runtime/clock.h"
#include "server/runtime/scheduler.h"

namespace claims::server {

// The TestClock API: integrators move a manual clock forward and see the SLA timers that fell
// due fire before the call returns. Exists only when the server runs on a manual clock.
// Thread-safe: moves are serialised, so two callers never interleave their firings.
class TestClockApi {
 public:
  TestClockApi(ManualClock& clock, TimerScheduler& scheduler)
      : clock_(clock), scheduler_(scheduler) {}

  absl::StatusOr<v1::ClockTime> GetTime(const Caller& caller, const v1::GetTimeRequest& req);
  // INVALID_ARGUMENT for a time before now.
  absl::StatusOr<v1::ClockTime> SetTime(const Caller& caller, const v1::SetTimeRequest& req);
  // INVALID_ARGUMENT for a negative duration.
  absl::StatusOr<v1::ClockTime> AdvanceTime(const Caller& caller,
                                            const v1::AdvanceTimeRequest& req);

 private:
  // Moves the clock to `to` and fires what fell due (the scheduler's RunOnce, which fires in
  // deadline order and again until nothing more is due).
  absl::StatusOr<v1::ClockTime> MoveTo(absl::Time to);

  ManualClock& clock_;
  TimerScheduler& scheduler_;
  std::mutex move_mu_;
};

}  // namespace claims::server
