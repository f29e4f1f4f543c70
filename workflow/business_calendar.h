#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace claims::workflow {

enum class DurationUnit { kBusinessDays, kDays, kHours };

// A duration as the workflow YAML says it: `business_days: 5`, `days: 30` or `hours: 4`.
struct WorkflowDuration {
  int64_t amount = 0;
  DurationUnit unit = DurationUnit::kDays;
  bool operator==(const WorkflowDuration&) const = default;
};

// Working days in one time zone: which weekdays are the weekend and which dates are holidays.
// Immutable and thread-safe.
class BusinessCalendar {
 public:
  BusinessCalendar(std::string id, std::string zone_name, absl::TimeZone zone,
                   std::set<absl::Weekday> weekend, std::set<absl::CivilDay> holidays);

  const std::string& id() const { return id_; }
  const std::string& zone_name() const { return zone_name_; }
  absl::TimeZone zone() const { return zone_; }
  const std::set<absl::Weekday>& weekend() const { return weekend_; }
  const std::set<absl::CivilDay>& holidays() const { return holidays_; }

  bool IsBusinessDay(absl::CivilDay day) const;

  // `start` plus `duration` in this calendar's zone. Business days: the deadline is the end
  // of the N-th business day after the day of `start` (a start on a non-business day counts
  // from the next business day). Days: the same local time N calendar days later, across DST.
  // Hours: exact elapsed hours.
  absl::Time Add(absl::Time start, WorkflowDuration duration) const;

  // The time of `duration`'s kind left between `now` and `deadline` (business time only counts
  // business days), for pausing a timer; Resume(now, Remaining(...)) gives the new deadline.
  absl::Duration Remaining(absl::Time now, absl::Time deadline, DurationUnit unit) const;
  absl::Time Resume(absl::Time now, absl::Duration remaining, DurationUnit unit) const;

 private:
  std::string id_;
  std::string zone_name_;
  absl::TimeZone zone_;
  std::set<absl::Weekday> weekend_;
  std::set<absl::CivilDay> holidays_;
};

}  // namespace claims::workflow
