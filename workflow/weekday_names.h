#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/time/civil_time.h"

namespace claims::workflow {

// Weekdays as workflow files spell them (a calendar's `weekend`), Monday first.
inline constexpr std::array<std::pair<std::string_view, absl::Weekday>, 7> kWeekdayNames = {{
    {"monday", absl::Weekday::monday},
    {"tuesday", absl::Weekday::tuesday},
    {"wednesday", absl::Weekday::wednesday},
    {"thursday", absl::Weekday::thursday},
    {"friday", absl::Weekday::friday},
    {"saturday", absl::Weekday::saturday},
    {"sunday", absl::Weekday::sunday},
}};

inline std::string_view WeekdayName(absl::Weekday day) {
  for (const auto& [name, weekday] : kWeekdayNames) {
    if (weekday == day) return name;
  }
  return "";
}

inline std::optional<absl::Weekday> WeekdayFromName(std::string_view name) {
  for (const auto& [known, weekday] : kWeekdayNames) {
    if (known == name) return weekday;
  }
  return std::nullopt;
}

}  // namespace claims::workflow
