#pragma once

// Helpers for tests of engine outcomes.

#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "workflow/decision.h"

namespace claims::testing {

inline absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << rfc3339 << error;
  return t;
}

// The decision, or a test failure saying why the engine refused.
inline workflow::Decision MustDecide(const workflow::Outcome& outcome) {
  if (const auto* rejection = std::get_if<workflow::Rejection>(&outcome)) {
    ADD_FAILURE() << "refused: " << rejection->reason << ": " << rejection->message;
    return workflow::Decision();
  }
  return std::get<workflow::Decision>(outcome);
}

// The refusal, or a test failure saying what the engine decided instead.
inline workflow::Rejection MustRefuse(const workflow::Outcome& outcome) {
  if (const auto* decision = std::get_if<workflow::Decision>(&outcome)) {
    ADD_FAILURE() << "decided " << decision->name << " -> " << decision->to_state;
    return workflow::Rejection();
  }
  return std::get<workflow::Rejection>(outcome);
}

inline const workflow::TimerInstance* TimerIn(const std::vector<workflow::TimerInstance>& timers,
                                              const std::string& name) {
  for (const workflow::TimerInstance& t : timers) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace claims::testing
