#include "workflow/display.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "workflow/internal/language.h"

namespace claims::workflow {
namespace {

const char* WeekdayShort(absl::Weekday day) {
  switch (day) {
    case absl::Weekday::monday:
      return "Mon";
    case absl::Weekday::tuesday:
      return "Tue";
    case absl::Weekday::wednesday:
      return "Wed";
    case absl::Weekday::thursday:
      return "Thu";
    case absl::Weekday::friday:
      return "Fri";
    case absl::Weekday::saturday:
      return "Sat";
    case absl::Weekday::sunday:
      return "Sun";
  }
  return "";
}

const char* MonthShort(int month) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return month >= 1 && month <= 12 ? kMonths[month - 1] : "";
}

// "Thu 24 Dec 2026": no leading zero, English names whatever the process locale.
std::string DayDisplay(absl::CivilDay day) {
  return absl::StrCat(WeekdayShort(absl::GetWeekday(day)), " ", day.day(), " ",
                      MonthShort(day.month()), " ", day.year());
}

std::string Plural(int64_t amount, const char* one, const char* many) {
  return absl::StrCat(amount, " ", amount == 1 ? one : many);
}

}  // namespace

std::string DeadlineDisplay(const BusinessCalendar& calendar, absl::Time due, DurationUnit unit) {
  if (due == absl::InfiniteFuture() || due == absl::InfinitePast()) return "";
  const absl::TimeZone zone = calendar.zone();
  const absl::CivilDay day = calendar.LocalDay(due);
  if (unit == DurationUnit::kBusinessDays && calendar.StartOfDay(day) == due) {
    // The instant a business day ends is 00:00 of the next day; people read it as the day.
    return absl::StrCat("end of ", DayDisplay(day - 1), ", ", calendar.zone_name());
  }
  const absl::TimeZone::CivilInfo local = zone.At(due);
  return absl::StrCat(DayDisplay(absl::CivilDay(local.cs)), " ",
                      absl::FormatTime("%H:%M %Z", due, zone), ", ", calendar.zone_name());
}

std::string_view GuardKindId(GuardKind kind) { return internal::GuardKindName(kind); }

std::string DurationDisplay(const WorkflowDuration& duration) {
  switch (duration.unit) {
    case DurationUnit::kBusinessDays:
      return Plural(duration.amount, "business day", "business days");
    case DurationUnit::kDays:
      return Plural(duration.amount, "day", "days");
    case DurationUnit::kHours:
      return Plural(duration.amount, "hour", "hours");
  }
  return "";
}

std::string GuardDisplay(const GuardDef& guard) {
  switch (guard.kind) {
    case GuardKind::kMinEvidence:
      return absl::StrCat("at least ",
                          Plural(guard.count, "evidence document", "evidence documents"));
    case GuardKind::kWithinDuration:
      return absl::StrCat(
          "within ", DurationDisplay(guard.duration), " of entering the state",
          guard.calendar.empty() ? "" : absl::StrCat(" (calendar ", guard.calendar, ")"));
    case GuardKind::kLastReasonIn:
      return absl::StrCat("the last ", guard.catalog, " include one of ",
                          absl::StrJoin(guard.codes, ", "));
    case GuardKind::kLastReasonNotIn:
      return absl::StrCat("the last ", guard.catalog, " include none of ",
                          absl::StrJoin(guard.codes, ", "));
    case GuardKind::kFieldPresent:
      return absl::StrCat(guard.field, " is set");
    case GuardKind::kMaxTimesTaken:
      return absl::StrCat("taken fewer than ", Plural(guard.count, "time", "times"),
                          guard.action.empty() ? "" : absl::StrCat(" (", guard.action, ")"));
  }
  return "";
}

}  // namespace claims::workflow
