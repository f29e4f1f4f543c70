#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

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
  //
  // Precisely, for business days: let D be the local day of `start` and B1 < B2 < ... the
  // business days strictly after D; the result is 00:00 local on the day after B_N, i.e. the
  // instant B_N ends. Submitted Monday 10:00 with 5 business days (no holidays): due when the
  // next Monday ends (Tuesday 00:00). Submitted Saturday: B1 is Monday, due when Friday ends.
  // The rest of the start day is a grace period, so a deadline never falls mid-day.
  // Days: a local time skipped by a DST change maps to the instant of the change, a repeated
  // one to its first occurrence (absl::FromCivil). An amount <= 0, or an infinite `start`,
  // returns `start`. If the calendar has no business day at all, business days give
  // InfiniteFuture.
  absl::Time Add(absl::Time start, WorkflowDuration duration) const;

  // The instant `duration` before `end`, the inverse of Add where Add is invertible: business
  // days step back over N business days keeping the local time of day (so the business time
  // between the result and `end` is N business days); days step back N local days keeping the
  // local time; hours are exact. Used for warnings ("1 business day before the deadline").
  absl::Time Subtract(absl::Time end, WorkflowDuration duration) const;

  // The time of `duration`'s kind left between `now` and `deadline` (business time only counts
  // business days), for pausing a timer; Resume(now, Remaining(...)) gives the new deadline.
  // Business days: the elapsed time between the two instants that falls on business days
  // (DST-short and DST-long days count as they are). Days and hours: elapsed time. Never
  // negative; InfiniteDuration for an InfiniteFuture deadline.
  absl::Duration Remaining(absl::Time now, absl::Time deadline, DurationUnit unit) const;
  // The instant at which `remaining` business time (business days) or elapsed time (days,
  // hours) has passed since `now`. Business time that runs out exactly at the end of a business
  // day gives that end (00:00 of the next local day), not the start of the next business day,
  // so Resume(now, Remaining(now, d, unit), unit) == d for every deadline Add can produce.
  absl::Time Resume(absl::Time now, absl::Duration remaining, DurationUnit unit) const;

  // Elapsed time between `from` and `to` that falls on business days; zero if to <= from.
  absl::Duration BusinessTimeBetween(absl::Time from, absl::Time to) const;

  // The local calendar day of `t` in this calendar's zone.
  absl::CivilDay LocalDay(absl::Time t) const;
  // 00:00 local of `day` (the instant of the DST change if midnight is skipped).
  absl::Time StartOfDay(absl::CivilDay day) const;

 private:
  // Days are numbered from 1970-01-01 internally, so that loops over days are integer steps
  // and a bit test, and only the ends of a computation convert between instants and local
  // time (each conversion is a time zone lookup).
  bool IsBusinessDayNumber(int64_t day) const;
  int64_t LocalDayNumber(absl::Time t) const;
  absl::Time StartOfDayNumber(int64_t day) const;
  int64_t CountBusinessDays(int64_t first, int64_t end) const;  // in [first, end)

  // A change of UTC offset: local day `day` is `shorter` shorter than 24 hours (negative when
  // the clocks go back). Returns the first change after `after`, or nullopt.
  struct Shift {
    absl::Time at;
    int64_t day = 0;
    absl::Duration shorter;
    int64_t offset_after = 0;  // UTC offset from `at` on, in seconds
    int64_t local_from = 0;    // local seconds since 1970 the clocks jump from (old offset)
  };
  std::optional<Shift> NextShift(absl::Time after) const;
  std::optional<Shift> NextShiftFromZone(absl::Time after) const;

  std::string id_;
  std::string zone_name_;
  absl::TimeZone zone_;
  std::set<absl::Weekday> weekend_;
  std::set<absl::CivilDay> holidays_;
  uint8_t weekend_mask_ = 0;              // bit i: absl::Weekday i (monday = 0) is off
  std::vector<int64_t> holiday_numbers_;  // sorted
  std::vector<uint64_t> business_bits_;   // business days of this century, precomputed
  std::vector<Shift> shifts_;             // offset changes of this century, by time
  absl::Time shifts_begin_;               // shifts_ lists every change in
  absl::Time shifts_end_;                 //   [shifts_begin_, shifts_end_)
  int64_t offset_at_begin_ = 0;           // UTC offset at shifts_begin_, in seconds
};

}  // namespace claims::workflow
