#include "workflow/business_calendar.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace claims::workflow {
namespace {

// Days of 2000-01-01 .. 2099-12-31, whose business days are precomputed as bits.
constexpr int64_t kWindowFirst = 10957;
constexpr int64_t kWindowDays = 36525;

// Days since 1970-01-01 and back, in closed form (H. Hinnant, "chrono-Compatible Low-Level Date
// Algorithms"): absl's civil arithmetic normalizes far-away dates year by year, which made
// these conversions the bulk of a deadline computation.
int64_t DayNumber(absl::CivilDay day) {
  const int64_t month = day.month();
  const int64_t year = day.year() - (month <= 2 ? 1 : 0);
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day.day() - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

absl::CivilDay DayOf(int64_t number) {
  const int64_t z = number + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t day_of_era = z - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t shifted_month = (5 * day_of_year + 2) / 153;
  const int64_t day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const int64_t month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return absl::CivilDay(year, month, day);
}

// absl::Weekday numbers Monday 0 .. Sunday 6; 1970-01-01 was a Thursday.
int WeekdayIndex(int64_t day) {
  int64_t index = (day + 3) % 7;
  if (index < 0) index += 7;
  return static_cast<int>(index);
}

// Days a search for the next business day may look ahead before concluding there is none:
// a week with every weekday on the weekend, plus room for every holiday of the calendar.
int64_t SearchLimit(int64_t business_days, std::size_t holidays) {
  return 7 * (business_days + 1) + static_cast<int64_t>(holidays) + 7;
}

// Sub-second part of `t`, which civil-time arithmetic would otherwise drop.
absl::Duration SubSecond(absl::Time t) { return t - absl::FromUnixSeconds(absl::ToUnixSeconds(t)); }

// `local`'s time of day on `day`, in `zone`, with `t`'s sub-second part.
absl::Time AtTimeOfDay(absl::CivilSecond local, absl::CivilDay day, absl::Time t,
                       absl::TimeZone zone) {
  const absl::CivilSecond moved(day.year(), day.month(), day.day(), local.hour(), local.minute(),
                                local.second());
  return absl::FromCivil(moved, zone) + SubSecond(t);
}

constexpr absl::Duration kDay = absl::Hours(24);

}  // namespace

BusinessCalendar::BusinessCalendar(std::string id, std::string zone_name, absl::TimeZone zone,
                                   std::set<absl::Weekday> weekend,
                                   std::set<absl::CivilDay> holidays)
    : id_(std::move(id)),
      zone_name_(std::move(zone_name)),
      zone_(zone),
      weekend_(std::move(weekend)),
      holidays_(std::move(holidays)) {
  for (absl::Weekday day : weekend_)
    weekend_mask_ |= static_cast<uint8_t>(1u << static_cast<int>(day));
  for (absl::CivilDay day : holidays_) holiday_numbers_.push_back(DayNumber(day));
  std::sort(holiday_numbers_.begin(), holiday_numbers_.end());
  business_bits_.assign((kWindowDays + 63) / 64, 0);
  for (int64_t i = 0; i < kWindowDays; ++i) {
    const int64_t day = kWindowFirst + i;
    const bool business =
        (weekend_mask_ & (1u << WeekdayIndex(day))) == 0 &&
        !std::binary_search(holiday_numbers_.begin(), holiday_numbers_.end(), day);
    if (business) business_bits_[static_cast<std::size_t>(i / 64)] |= uint64_t{1} << (i % 64);
  }
  // Offset changes come from the zone's rules; looking them up is the costly part of business
  // time arithmetic, so the century's changes are listed once.
  shifts_begin_ = StartOfDayNumber(kWindowFirst);
  shifts_end_ = StartOfDayNumber(kWindowFirst + kWindowDays);
  offset_at_begin_ = zone_.At(shifts_begin_).offset;
  int64_t offset = offset_at_begin_;
  for (std::optional<Shift> shift = NextShiftFromZone(shifts_begin_);
       shift.has_value() && shift->at < shifts_end_; shift = NextShiftFromZone(shift->at)) {
    shift->local_from = absl::ToUnixSeconds(shift->at) + offset;
    offset = shift->offset_after;
    shifts_.push_back(*shift);
  }
}

bool BusinessCalendar::IsBusinessDayNumber(int64_t day) const {
  const int64_t i = day - kWindowFirst;
  if (i >= 0 && i < kWindowDays) {
    return (business_bits_[static_cast<std::size_t>(i / 64)] >> (i % 64)) & 1u;
  }
  if ((weekend_mask_ & (1u << WeekdayIndex(day))) != 0) return false;
  return !std::binary_search(holiday_numbers_.begin(), holiday_numbers_.end(), day);
}

bool BusinessCalendar::IsBusinessDay(absl::CivilDay day) const {
  return IsBusinessDayNumber(DayNumber(day));
}

int64_t BusinessCalendar::LocalDayNumber(absl::Time t) const {
  if (t < shifts_begin_ || t >= shifts_end_) return DayNumber(absl::ToCivilDay(t, zone_));
  // Within the century the offset comes from the list of changes: UTC seconds plus the offset
  // in effect, floored to whole days, is the local day.
  auto it = std::upper_bound(shifts_.begin(), shifts_.end(), t,
                             [](absl::Time x, const Shift& shift) { return x < shift.at; });
  const int64_t offset = it == shifts_.begin() ? offset_at_begin_ : std::prev(it)->offset_after;
  const int64_t local = absl::ToUnixSeconds(t) + offset;
  return local >= 0 ? local / 86400 : (local - 86399) / 86400;
}

absl::Time BusinessCalendar::StartOfDayNumber(int64_t day) const {
  if (day <= kWindowFirst || day >= kWindowFirst + kWindowDays || shifts_.empty()) {
    return absl::FromCivil(absl::CivilSecond(DayOf(day)), zone_);
  }
  // As absl::FromCivil, from the list of changes: find the last change whose old local time is
  // at or before local midnight. Midnight inside a skipped range maps to the change itself;
  // inside a repeated range no such change is found yet, so the earlier offset applies (the
  // first occurrence).
  const int64_t local = day * 86400;
  auto it = std::upper_bound(shifts_.begin(), shifts_.end(), local,
                             [](int64_t x, const Shift& shift) { return x < shift.local_from; });
  if (it == shifts_.begin()) return absl::FromUnixSeconds(local - offset_at_begin_);
  const Shift& shift = *std::prev(it);
  if (local < shift.local_from + (shift.shorter / absl::Seconds(1))) return shift.at;
  return absl::FromUnixSeconds(local - shift.offset_after);
}

int64_t BusinessCalendar::CountBusinessDays(int64_t first, int64_t end) const {
  int64_t count = 0;
  for (int64_t day = first; day < end; ++day) count += IsBusinessDayNumber(day) ? 1 : 0;
  return count;
}

std::optional<BusinessCalendar::Shift> BusinessCalendar::NextShift(absl::Time after) const {
  if (after >= shifts_begin_ && after < shifts_end_) {
    auto it = std::upper_bound(shifts_.begin(), shifts_.end(), after,
                               [](absl::Time t, const Shift& shift) { return t < shift.at; });
    if (it != shifts_.end()) return *it;
  }
  return NextShiftFromZone(after);
}

std::optional<BusinessCalendar::Shift> BusinessCalendar::NextShiftFromZone(absl::Time after) const {
  absl::TimeZone::CivilTransition transition;
  absl::Time t = after;
  while (zone_.NextTransition(t, &transition)) {
    const absl::Time at = zone_.At(transition.to).trans;
    if (at <= t) return std::nullopt;  // defensive: the chain must move forward
    const int64_t seconds = transition.to - transition.from;
    if (seconds != 0) {
      // Clocks forward skip [from, to), which shortens from's day; clocks back repeat
      // [to, from), which lengthens to's day.
      const absl::CivilDay day =
          seconds > 0 ? absl::CivilDay(transition.from) : absl::CivilDay(transition.to);
      return Shift{at, DayNumber(day), absl::Seconds(seconds), zone_.At(at).offset};
    }
    t = at;  // a change of abbreviation only
  }
  return std::nullopt;
}

absl::CivilDay BusinessCalendar::LocalDay(absl::Time t) const { return absl::ToCivilDay(t, zone_); }

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
    case DurationUnit::kDays: {
      const absl::CivilSecond local = absl::ToCivilSecond(start, zone_);
      return AtTimeOfDay(local, absl::CivilDay(local) + duration.amount, start, zone_);
    }
    case DurationUnit::kBusinessDays: {
      int64_t day = LocalDayNumber(start);
      int64_t found = 0;
      const int64_t limit = SearchLimit(duration.amount, holidays_.size());
      for (int64_t step = 0; step < limit; ++step) {
        ++day;
        if (IsBusinessDayNumber(day) && ++found == duration.amount) {
          return StartOfDayNumber(day + 1);
        }
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
    case DurationUnit::kDays: {
      const absl::CivilSecond local = absl::ToCivilSecond(end, zone_);
      return AtTimeOfDay(local, absl::CivilDay(local) - duration.amount, end, zone_);
    }
    case DurationUnit::kBusinessDays: {
      // Stepping back from the local day of `end`: the business days passed over, each taken
      // at `end`'s time of day, hold exactly N business days of time between them.
      const absl::CivilSecond local = absl::ToCivilSecond(end, zone_);
      int64_t day = DayNumber(absl::CivilDay(local));
      int64_t found = 0;
      const int64_t limit = SearchLimit(duration.amount, holidays_.size());
      for (int64_t step = 0; step < limit; ++step) {
        --day;
        if (IsBusinessDayNumber(day) && ++found == duration.amount) {
          return AtTimeOfDay(local, DayOf(day), end, zone_);
        }
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
  const int64_t first = LocalDayNumber(from);
  const int64_t last = LocalDayNumber(to);
  if (first == last) return IsBusinessDayNumber(first) ? to - from : absl::ZeroDuration();
  const absl::Time first_end = StartOfDayNumber(first + 1);
  const absl::Time last_start = StartOfDayNumber(last);
  absl::Duration total = absl::ZeroDuration();
  if (IsBusinessDayNumber(first)) total += first_end - from;
  if (IsBusinessDayNumber(last)) total += to - last_start;
  // Whole days in between are 24 hours unless the clocks change on them.
  total += kDay * CountBusinessDays(first + 1, last);
  for (std::optional<Shift> shift = NextShift(first_end - absl::Nanoseconds(1));
       shift.has_value() && shift->at < last_start; shift = NextShift(shift->at)) {
    if (shift->day > first && shift->day < last && IsBusinessDayNumber(shift->day)) {
      total -= shift->shorter;
    }
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
  int64_t day = LocalDayNumber(now);
  absl::Time day_start = StartOfDayNumber(day + 1);
  if (IsBusinessDayNumber(day)) {
    const absl::Duration available = day_start - now;
    if (remaining <= available) return now + remaining;
    remaining -= available;
  }
  // Walk whole days from here on, each 24 hours unless the clocks change on it.
  ++day;
  std::optional<Shift> shift = NextShift(day_start - absl::Nanoseconds(1));
  // Each business day passed over consumes at least 23 hours, so this bounds the walk.
  const int64_t limit = SearchLimit(remaining / absl::Hours(23) + 1, holidays_.size());
  for (int64_t step = 0; step < limit; ++step, ++day) {
    absl::Duration length = kDay;
    while (shift.has_value() && shift->day <= day) {
      if (shift->day == day) length -= shift->shorter;
      shift = NextShift(shift->at);
    }
    if (IsBusinessDayNumber(day)) {
      if (remaining <= length) return day_start + remaining;
      remaining -= length;
    }
    day_start += length;
  }
  return absl::InfiniteFuture();
}

}  // namespace claims::workflow
