#include "workflow/business_calendar.h"

#include <algorithm>
#include <utility>

namespace claims::workflow {
namespace {

// Days a search for the next business day may look ahead before concluding there is none:
// a week with every weekday on the weekend, plus room for every holiday of the calendar.
int64_t SearchLimit(int64_t business_days, std::size_t holidays) {
  return 7 * (business_days + 1) + static_cast<int64_t>(holidays) + 7;
}

// Sub-second part of `t`, which civil-time arithmetic would otherwise drop.
absl::Duration SubSecond(absl::Time t) {
  return t - absl::FromUnixSeconds(absl::ToUnixSeconds(t));
}

absl::Time ShiftLocalDays(absl::Time t, int64_t days, absl::TimeZone zone) {
  const absl::CivilSecond local = absl::ToCivilSecond(t, zone);
  const absl::CivilDay day = absl::CivilDay(local) + days;
  const absl::CivilSecond shifted(day.year(), day.month(), day.day(), local.hour(),
                                  local.minute(), local.second());
  return absl::FromCivil(shifted, zone) + SubSecond(t);
}

// Keeps the time of day of `t` on `day` (local), with the same sub-second part.
absl::Time OnDay(absl::Time t, absl::CivilDay day, absl::TimeZone zone) {
  const absl::CivilSecond local = absl::ToCivilSecond(t, zone);
  const absl::CivilSecond moved(day.year(), day.month(), day.day(), local.hour(), local.minute(),
                                local.second());
  return absl::FromCivil(moved, zone) + SubSecond(t);
}

}  // namespace

BusinessCalendar::BusinessCalendar(std::string id, std::string zone_name, absl::TimeZone zone,
                                   std::set<absl::Weekday> weekend,
                                   std::set<absl::CivilDay> holidays)
    : id_(std::move(id)),
      zone_name_(std::move(zone_name)),
      zone_(zone),
      weekend_(std::move(weekend)),
      holidays_(std::move(holidays)) {}

bool BusinessCalendar::IsBusinessDay(absl::CivilDay day) const {
  if (weekend_.count(absl::GetWeekday(day)) != 0) return false;
  return holidays_.count(day) == 0;
}

absl::CivilDay BusinessCalendar::LocalDay(absl::Time t) const {
  return absl::ToCivilDay(t, zone_);
}

absl::Time BusinessCalendar::StartOfDay(absl::CivilDay day) const {
  return absl::FromCivil(absl::CivilSecond(day), zone_);
}

absl::Time BusinessCalendar::Add(absl::Time start, WorkflowDuration duration) const {
  if (duration.amount <= 0 || start == absl::InfiniteFuture() || start == absl::InfinitePast()) {
    return start;
  }
  switch (duration.unit) {
    case DurationUnit::kHours:
      return start + absl::Hours(duration.amount);
    case DurationUnit::kDays:
      return ShiftLocalDays(start, duration.amount, zone_);
    case DurationUnit::kBusinessDays: {
      absl::CivilDay day = LocalDay(start);
      int64_t found = 0;
      const int64_t limit = SearchLimit(duration.amount, holidays_.size());
      for (int64_t step = 0; step < limit; ++step) {
        ++day;
        if (IsBusinessDay(day) && ++found == duration.amount) return StartOfDay(day + 1);
      }
      return absl::InfiniteFuture();
    }
  }
  return start;
}

absl::Time BusinessCalendar::Subtract(absl::Time end, WorkflowDuration duration) const {
  if (duration.amount <= 0 || end == absl::InfiniteFuture() || end == absl::InfinitePast()) {
    return end;
  }
  switch (duration.unit) {
    case DurationUnit::kHours:
      return end - absl::Hours(duration.amount);
    case DurationUnit::kDays:
      return ShiftLocalDays(end, -duration.amount, zone_);
    case DurationUnit::kBusinessDays: {
      // Stepping back from the local day of `end`: the business days passed over, each taken
      // at `end`'s time of day, hold exactly N business days of time between them.
      absl::CivilDay day = LocalDay(end);
      int64_t found = 0;
      const int64_t limit = SearchLimit(duration.amount, holidays_.size());
      for (int64_t step = 0; step < limit; ++step) {
        --day;
        if (IsBusinessDay(day) && ++found == duration.amount) return OnDay(end, day, zone_);
      }
      return absl::InfinitePast();
    }
  }
  return end;
}

absl::Duration BusinessCalendar::BusinessTimeBetween(absl::Time from, absl::Time to) const {
  if (to <= from) return absl::ZeroDuration();
  if (to == absl::InfiniteFuture() || from == absl::InfinitePast()) {
    return absl::InfiniteDuration();
  }
  absl::Duration total = absl::ZeroDuration();
  const absl::CivilDay last = LocalDay(to);
  absl::Time day_start = from;
  for (absl::CivilDay day = LocalDay(from); day <= last; ++day) {
    const absl::Time next_start = StartOfDay(day + 1);
    const absl::Time day_end = std::min(next_start, to);
    if (IsBusinessDay(day) && day_end > day_start) total += day_end - day_start;
    day_start = next_start;
  }
  return total;
}

absl::Duration BusinessCalendar::Remaining(absl::Time now, absl::Time deadline,
                                           DurationUnit unit) const {
  if (deadline == absl::InfiniteFuture()) return absl::InfiniteDuration();
  if (deadline <= now) return absl::ZeroDuration();
  if (unit == DurationUnit::kBusinessDays) return BusinessTimeBetween(now, deadline);
  return deadline - now;
}

absl::Time BusinessCalendar::Resume(absl::Time now, absl::Duration remaining,
                                    DurationUnit unit) const {
  if (remaining == absl::InfiniteDuration()) return absl::InfiniteFuture();
  if (remaining <= absl::ZeroDuration()) return now;
  if (unit != DurationUnit::kBusinessDays) return now + remaining;
  absl::CivilDay day = LocalDay(now);
  absl::Time cursor = now;
  // Each business day passed over consumes at least 23 hours, so this bounds the walk.
  const int64_t limit = SearchLimit(remaining / absl::Hours(23) + 1, holidays_.size());
  for (int64_t step = 0; step < limit; ++step, ++day) {
    const absl::Time day_end = StartOfDay(day + 1);
    if (IsBusinessDay(day) && day_end > cursor) {
      const absl::Duration available = day_end - cursor;
      if (remaining <= available) return cursor + remaining;
      remaining -= available;
    }
    cursor = std::max(cursor, day_end);
  }
  return absl::InfiniteFuture();
}

}  // namespace claims::workflow
