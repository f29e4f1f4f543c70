#pragma once

#include <functional>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace claims::server {

// Where the server reads the time. The engine never does: it gets `now` from here.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // True when time only moves by Advance(): sleepers must wait to be woken, not for a
  // wall-clock timeout.
  virtual bool IsManual() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool IsManual() const override { return false; }
};

// Time that moves only when a test advances it (time skipping). Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_(start) {}

  absl::Time Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  bool IsManual() const override { return true; }

  void Advance(absl::Duration by) { Set(Now() + by); }
  void Set(absl::Time to) {
    std::function<void()> listener;
    {
      std::lock_guard lock(mu_);
      if (to > now_) now_ = to;
      listener = on_advance_;
    }
    if (listener) listener();
  }
  // Called after every advance, e.g. to wake the timer scheduler.
  void SetOnAdvance(std::function<void()> listener) {
    std::lock_guard lock(mu_);
    on_advance_ = std::move(listener);
  }

 private:
  mutable std::mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::function<void()> on_advance_ ABSL_GUARDED_BY(mu_);
};

}  // namespace claims::server
