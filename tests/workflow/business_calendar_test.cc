#include "workflow/business_calendar.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/outcome_helpers.h"

namespace claims::workflow {
namespace {

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  // tzdata is a build and runtime requirement (scripts/install-deps.sh); without it every test
  // here is moot.
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

using ::claims::testing::At;

const std::set<absl::Weekday> kSaturdaySunday = {absl::Weekday::saturday, absl::Weekday::sunday};

// Italian public holidays around the turn of 2024/2025, as a real calendar would list them.
const std::set<absl::CivilDay> kItalianHolidays = {
    absl::CivilDay(2024, 3, 31),  absl::CivilDay(2024, 4, 1),  absl::CivilDay(2024, 4, 25),
    absl::CivilDay(2024, 5, 1),   absl::CivilDay(2024, 6, 2),  absl::CivilDay(2024, 8, 15),
    absl::CivilDay(2024, 11, 1),  absl::CivilDay(2024, 12, 8), absl::CivilDay(2024, 12, 25),
    absl::CivilDay(2024, 12, 26), absl::CivilDay(2025, 1, 1),  absl::CivilDay(2025, 1, 6),
    absl::CivilDay(2025, 4, 21),  absl::CivilDay(2025, 4, 25), absl::CivilDay(2025, 5, 1)};

const std::set<absl::CivilDay> kUsHolidays = {
    absl::CivilDay(2024, 1, 1),   absl::CivilDay(2024, 1, 15),  absl::CivilDay(2024, 5, 27),
    absl::CivilDay(2024, 7, 4),   absl::CivilDay(2024, 9, 2),   absl::CivilDay(2024, 11, 28),
    absl::CivilDay(2024, 11, 29), absl::CivilDay(2024, 12, 25), absl::CivilDay(2025, 1, 1)};

BusinessCalendar Rome() {
  return BusinessCalendar("rome", "Europe/Rome", Zone("Europe/Rome"), kSaturdaySunday,
                          kItalianHolidays);
}

BusinessCalendar LosAngeles() {
  return BusinessCalendar("la", "America/Los_Angeles", Zone("America/Los_Angeles"), kSaturdaySunday,
                          kUsHolidays);
}

constexpr WorkflowDuration BusinessDays(int64_t n) { return {n, DurationUnit::kBusinessDays}; }
constexpr WorkflowDuration Days(int64_t n) { return {n, DurationUnit::kDays}; }
constexpr WorkflowDuration Hours(int64_t n) { return {n, DurationUnit::kHours}; }

TEST(BusinessCalendarTest, WeekendsAndHolidaysAreNotBusinessDays) {
  const BusinessCalendar calendar = Rome();
  EXPECT_TRUE(calendar.IsBusinessDay(absl::CivilDay(2024, 12, 23)));   // Monday
  EXPECT_FALSE(calendar.IsBusinessDay(absl::CivilDay(2024, 12, 21)));  // Saturday
  EXPECT_FALSE(calendar.IsBusinessDay(absl::CivilDay(2024, 12, 22)));  // Sunday
  EXPECT_FALSE(calendar.IsBusinessDay(absl::CivilDay(2024, 12, 25)));  // Wednesday, Christmas
}

TEST(BusinessCalendarTest, BusinessDaysEndAtTheEndOfTheNthBusinessDayAfterTheStartDay) {
  const BusinessCalendar calendar = Rome();
  // Monday 10:00: Tuesday .. next Monday are the five business days; due as that Monday ends.
  EXPECT_EQ(calendar.Add(At("2024-10-07T10:00:00+02:00"), BusinessDays(5)),
            At("2024-10-15T00:00:00+02:00"));
  // Late on Monday changes nothing: the rest of the start day is grace.
  EXPECT_EQ(calendar.Add(At("2024-10-07T23:59:59+02:00"), BusinessDays(5)),
            At("2024-10-15T00:00:00+02:00"));
  // Friday: Monday .. Friday of the next week.
  EXPECT_EQ(calendar.Add(At("2024-10-11T09:00:00+02:00"), BusinessDays(5)),
            At("2024-10-19T00:00:00+02:00"));
  // Saturday and Sunday starts count from Monday, like a Friday start.
  EXPECT_EQ(calendar.Add(At("2024-10-12T09:00:00+02:00"), BusinessDays(5)),
            At("2024-10-19T00:00:00+02:00"));
  EXPECT_EQ(calendar.Add(At("2024-10-13T23:00:00+02:00"), BusinessDays(5)),
            At("2024-10-19T00:00:00+02:00"));
  EXPECT_EQ(calendar.Add(At("2024-10-11T09:00:00+02:00"), BusinessDays(1)),
            At("2024-10-15T00:00:00+02:00"));
}

TEST(BusinessCalendarTest, BusinessDaysSkipHolidaysAcrossTheYearEnd) {
  const BusinessCalendar calendar = Rome();
  // From Monday 23 December: 24 (1), 25 and 26 holidays, 27 (2), weekend, 30 (3), 31 (4),
  // 1 January holiday, 2 January (5): due when 2 January ends.
  EXPECT_EQ(calendar.Add(At("2024-12-23T15:00:00+01:00"), BusinessDays(5)),
            At("2025-01-03T00:00:00+01:00"));
  // Ten business days cross the Epiphany holiday (Monday 6 January) too.
  EXPECT_EQ(calendar.Add(At("2024-12-23T15:00:00+01:00"), BusinessDays(10)),
            At("2025-01-11T00:00:00+01:00"));
}

TEST(BusinessCalendarTest, BusinessDaysAcrossDaylightSavingChanges) {
  const BusinessCalendar rome = Rome();
  // Spring: the clocks go forward on Sunday 31 March 2024, Easter Monday is a holiday.
  EXPECT_EQ(rome.Add(At("2024-03-29T10:00:00+01:00"), BusinessDays(1)),
            At("2024-04-03T00:00:00+02:00"));
  // Autumn: back on Sunday 27 October 2024; the deadline is midnight in summer-less time.
  EXPECT_EQ(rome.Add(At("2024-10-25T10:00:00+02:00"), BusinessDays(1)),
            At("2024-10-29T00:00:00+01:00"));
  const BusinessCalendar la = LosAngeles();
  EXPECT_EQ(la.Add(At("2024-03-08T16:00:00-08:00"), BusinessDays(2)),
            At("2024-03-13T00:00:00-07:00"));
  EXPECT_EQ(la.Add(At("2024-11-01T16:00:00-07:00"), BusinessDays(2)),
            At("2024-11-06T00:00:00-08:00"));
}

TEST(BusinessCalendarTest, DaysKeepTheLocalTimeAcrossDaylightSaving) {
  const BusinessCalendar rome = Rome();
  // 23 elapsed hours in spring, 25 in autumn: the local time is what stays the same.
  EXPECT_EQ(rome.Add(At("2024-03-30T12:00:00+01:00"), Days(1)), At("2024-03-31T12:00:00+02:00"));
  EXPECT_EQ(rome.Add(At("2024-10-26T12:00:00+02:00"), Days(1)), At("2024-10-27T12:00:00+01:00"));
  // Calendar days ignore weekends and holidays.
  EXPECT_EQ(rome.Add(At("2024-12-20T09:30:00+01:00"), Days(7)), At("2024-12-27T09:30:00+01:00"));
  EXPECT_EQ(rome.Add(At("2024-12-15T08:00:00+01:00"), Days(30)), At("2025-01-14T08:00:00+01:00"));
  const BusinessCalendar la = LosAngeles();
  EXPECT_EQ(la.Add(At("2024-03-03T09:00:00-08:00"), Days(7)), At("2024-03-10T09:00:00-07:00"));
  EXPECT_EQ(la.Add(At("2024-10-30T09:00:00-07:00"), Days(7)), At("2024-11-06T09:00:00-08:00"));
}

TEST(BusinessCalendarTest, DaysLandingInASkippedHourGoToTheChange) {
  const BusinessCalendar la = LosAngeles();
  // 02:30 does not exist on 10 March 2024 in Los Angeles: the clocks jump to 03:00 PDT.
  EXPECT_EQ(la.Add(At("2024-03-09T02:30:00-08:00"), Days(1)), At("2024-03-10T03:00:00-07:00"));
  // 01:30 happens twice on 3 November 2024: the first one (PDT) is taken.
  EXPECT_EQ(la.Add(At("2024-11-02T01:30:00-07:00"), Days(1)), At("2024-11-03T01:30:00-07:00"));
}

TEST(BusinessCalendarTest, DaysKeepSubSeconds) {
  const BusinessCalendar rome = Rome();
  const absl::Time start = At("2024-05-02T10:00:00.250+02:00");
  EXPECT_EQ(rome.Add(start, Days(2)), At("2024-05-04T10:00:00.250+02:00"));
}

TEST(BusinessCalendarTest, HoursAreElapsedTime) {
  const BusinessCalendar rome = Rome();
  const absl::Time start = At("2024-03-30T12:00:00+01:00");
  EXPECT_EQ(rome.Add(start, Hours(24)), start + absl::Hours(24));
  EXPECT_EQ(rome.Add(start, Hours(24)), At("2024-03-31T13:00:00+02:00"));
}

TEST(BusinessCalendarTest, DatesOutsideThePrecomputedCenturyWorkTheSame) {
  const BusinessCalendar rome = Rome();
  EXPECT_FALSE(rome.IsBusinessDay(absl::CivilDay(1990, 3, 24)));  // Saturday
  EXPECT_TRUE(rome.IsBusinessDay(absl::CivilDay(2150, 1, 2)));    // Friday
  // Friday 23 March 1990 and Friday 2 January 2150: Monday is the one business day after.
  EXPECT_EQ(rome.Add(At("1990-03-23T10:00:00+01:00"), BusinessDays(1)),
            At("1990-03-27T00:00:00+02:00"));
  EXPECT_EQ(rome.Add(At("2150-01-02T10:00:00+01:00"), BusinessDays(1)),
            At("2150-01-06T00:00:00+01:00"));
  // Across the edge of the century: Thursday 31 December 2099, Friday 1 January 2100.
  EXPECT_EQ(rome.Add(At("2099-12-31T10:00:00+01:00"), BusinessDays(2)),
            At("2100-01-05T00:00:00+01:00"));
  EXPECT_EQ(
      rome.BusinessTimeBetween(At("2099-12-31T00:00:00+01:00"), At("2100-01-05T00:00:00+01:00")),
      absl::Hours(72));
}

TEST(BusinessCalendarTest, NonPositiveAmountsAndInfiniteStartsAreIdentity) {
  const BusinessCalendar rome = Rome();
  const absl::Time start = At("2024-05-02T10:00:00+02:00");
  EXPECT_EQ(rome.Add(start, BusinessDays(0)), start);
  EXPECT_EQ(rome.Add(start, Days(-3)), start);
  EXPECT_EQ(rome.Add(absl::InfiniteFuture(), BusinessDays(3)), absl::InfiniteFuture());
}

TEST(BusinessCalendarTest, ACalendarWithoutBusinessDaysNeverFallsDue) {
  const BusinessCalendar closed(
      "closed", "UTC", absl::UTCTimeZone(),
      {absl::Weekday::monday, absl::Weekday::tuesday, absl::Weekday::wednesday,
       absl::Weekday::thursday, absl::Weekday::friday, absl::Weekday::saturday,
       absl::Weekday::sunday},
      {});
  EXPECT_EQ(closed.Add(At("2024-05-02T10:00:00Z"), BusinessDays(2)), absl::InfiniteFuture());
  EXPECT_EQ(closed.Resume(At("2024-05-02T10:00:00Z"), absl::Hours(3), DurationUnit::kBusinessDays),
            absl::InfiniteFuture());
}

TEST(BusinessCalendarTest, SubtractBusinessDaysStepsBackOverBusinessDays) {
  const BusinessCalendar rome = Rome();
  // Due when Monday 14 October ends; one business day before is when Monday starts.
  EXPECT_EQ(rome.Subtract(At("2024-10-15T00:00:00+02:00"), BusinessDays(1)),
            At("2024-10-14T00:00:00+02:00"));
  // Two before: Friday's start, the weekend is not business time.
  EXPECT_EQ(rome.Subtract(At("2024-10-15T00:00:00+02:00"), BusinessDays(2)),
            At("2024-10-11T00:00:00+02:00"));
  // A resumed deadline in the middle of a day keeps its time of day; holidays are skipped.
  EXPECT_EQ(rome.Subtract(At("2024-12-27T14:00:00+01:00"), BusinessDays(1)),
            At("2024-12-24T14:00:00+01:00"));
  EXPECT_EQ(rome.Subtract(At("2024-03-31T12:00:00+02:00"), Days(1)),
            At("2024-03-30T12:00:00+01:00"));
  EXPECT_EQ(rome.Subtract(At("2024-03-31T12:00:00+02:00"), Hours(2)),
            At("2024-03-31T10:00:00+02:00"));
}

TEST(BusinessCalendarTest, RemainingCountsOnlyBusinessTime) {
  const BusinessCalendar rome = Rome();
  const absl::Time deadline = At("2024-10-15T00:00:00+02:00");  // end of Monday 14th
  // Friday 12:00: the rest of Friday plus all of Monday.
  EXPECT_EQ(rome.Remaining(At("2024-10-11T12:00:00+02:00"), deadline, DurationUnit::kBusinessDays),
            absl::Hours(36));
  // Over the weekend the remaining time does not shrink.
  EXPECT_EQ(rome.Remaining(At("2024-10-12T00:00:00+02:00"), deadline, DurationUnit::kBusinessDays),
            absl::Hours(24));
  EXPECT_EQ(rome.Remaining(At("2024-10-13T18:00:00+02:00"), deadline, DurationUnit::kBusinessDays),
            absl::Hours(24));
  EXPECT_EQ(rome.Remaining(At("2024-10-16T00:00:00+02:00"), deadline, DurationUnit::kBusinessDays),
            absl::ZeroDuration());
  EXPECT_EQ(rome.Remaining(At("2024-10-11T12:00:00+02:00"), deadline, DurationUnit::kDays),
            absl::Hours(84));
  EXPECT_EQ(rome.Remaining(At("2024-10-11T12:00:00+02:00"), absl::InfiniteFuture(),
                           DurationUnit::kBusinessDays),
            absl::InfiniteDuration());
}

TEST(BusinessCalendarTest, ResumeAddsTheRemainingBusinessTime) {
  const BusinessCalendar rome = Rome();
  // 36 hours left, resumed on Wednesday 06:00: 18 hours of Wednesday, 18 of Thursday.
  EXPECT_EQ(
      rome.Resume(At("2024-10-16T06:00:00+02:00"), absl::Hours(36), DurationUnit::kBusinessDays),
      At("2024-10-17T18:00:00+02:00"));
  // Resumed on a Saturday: the count starts on Monday.
  EXPECT_EQ(
      rome.Resume(At("2024-10-19T11:00:00+02:00"), absl::Hours(24), DurationUnit::kBusinessDays),
      At("2024-10-22T00:00:00+02:00"));
  // Time that runs out exactly as a business day ends gives that end, not Monday morning.
  EXPECT_EQ(
      rome.Resume(At("2024-10-18T12:00:00+02:00"), absl::Hours(12), DurationUnit::kBusinessDays),
      At("2024-10-19T00:00:00+02:00"));
  EXPECT_EQ(rome.Resume(At("2024-10-18T12:00:00+02:00"), absl::Hours(12), DurationUnit::kHours),
            At("2024-10-19T00:00:00+02:00"));
}

TEST(BusinessCalendarTest, ABusinessDayShortenedByDaylightSavingCountsAsItIs) {
  // A Friday/Saturday weekend makes Sunday 31 March 2024, 23 hours long in Rome, a business day.
  const BusinessCalendar gulf("gulf", "Europe/Rome", Zone("Europe/Rome"),
                              {absl::Weekday::friday, absl::Weekday::saturday}, {});
  EXPECT_EQ(
      gulf.BusinessTimeBetween(At("2024-03-31T00:00:00+01:00"), At("2024-04-01T00:00:00+02:00")),
      absl::Hours(23));
  EXPECT_EQ(
      gulf.Resume(At("2024-03-31T00:00:00+01:00"), absl::Hours(23), DurationUnit::kBusinessDays),
      At("2024-04-01T00:00:00+02:00"));
}

// Property tests over two years of starts every 7 hours 13 minutes (so every hour of the
// week is hit), in two zones with holidays and both daylight-saving changes.
// The third calendar works on Sundays, when the clocks change, so DST days are business days.
class CalendarPropertyTest : public ::testing::TestWithParam<std::string> {
 protected:
  BusinessCalendar Calendar() const {
    if (GetParam() == "rome") return Rome();
    if (GetParam() == "los_angeles") return LosAngeles();
    // Chile moves its clocks at midnight: some days start at 01:00, others repeat 23:00.
    if (GetParam() == "santiago") {
      return BusinessCalendar("cl", "America/Santiago", Zone("America/Santiago"),
                              {absl::Weekday::saturday}, {});
    }
    return BusinessCalendar("rome_gulf", "Europe/Rome", Zone("Europe/Rome"),
                            {absl::Weekday::friday, absl::Weekday::saturday}, kItalianHolidays);
  }
};

// Business time the slow way: every local day's own start and end, no arithmetic shortcuts.
absl::Duration NaiveBusinessTime(const BusinessCalendar& calendar, absl::Time from, absl::Time to) {
  absl::Duration total = absl::ZeroDuration();
  for (absl::CivilDay day = calendar.LocalDay(from); day <= calendar.LocalDay(to); ++day) {
    if (!calendar.IsBusinessDay(day)) continue;
    const absl::Time start = std::max(from, calendar.StartOfDay(day));
    const absl::Time end = std::min(to, calendar.StartOfDay(day + 1));
    if (end > start) total += end - start;
  }
  return total;
}

TEST_P(CalendarPropertyTest, BusinessTimeMatchesADayByDaySum) {
  const BusinessCalendar calendar = Calendar();
  std::mt19937_64 random(7);
  std::uniform_int_distribution<int64_t> minutes(0, 60 * 24 * 500);
  std::uniform_int_distribution<int64_t> span(0, 60 * 24 * 60);
  const absl::Time first = At("2023-12-01T00:00:00Z");
  for (int i = 0; i < 3000; ++i) {
    const absl::Time from = first + absl::Minutes(minutes(random));
    const absl::Time to = from + absl::Minutes(span(random));
    ASSERT_EQ(calendar.BusinessTimeBetween(from, to), NaiveBusinessTime(calendar, from, to))
        << absl::FormatTime(from) << " .. " << absl::FormatTime(to);
  }
}

TEST_P(CalendarPropertyTest, AddingBusinessDaysEndsExactlyAtTheEndOfABusinessDay) {
  const BusinessCalendar calendar = Calendar();
  const absl::Time first = At("2023-12-01T00:00:00Z");
  const absl::Time last = At("2025-02-01T00:00:00Z");
  for (absl::Time start = first; start < last; start += absl::Minutes(7 * 60 + 13)) {
    for (int64_t n : {1, 2, 5, 10}) {
      const absl::Time due = calendar.Add(start, BusinessDays(n));
      const absl::CivilDay next = calendar.LocalDay(due);
      ASSERT_EQ(due, calendar.StartOfDay(next)) << absl::FormatTime(start) << " +" << n;
      // The day that ends at the deadline is a business day: never a weekend or holiday.
      ASSERT_TRUE(calendar.IsBusinessDay(next - 1)) << absl::FormatTime(start) << " +" << n;
      int64_t counted = 0;
      for (absl::CivilDay d = calendar.LocalDay(start) + 1; d < next; ++d) {
        if (calendar.IsBusinessDay(d)) ++counted;
      }
      ASSERT_EQ(counted, n) << absl::FormatTime(start);
    }
  }
}

TEST_P(CalendarPropertyTest, PauseAndResumeConserveTheRemainingBusinessTime) {
  const BusinessCalendar calendar = Calendar();
  std::mt19937_64 random(20240331);
  std::uniform_int_distribution<int64_t> minutes(0, 60 * 24 * 20);
  const absl::Time first = At("2023-12-01T00:00:00Z");
  for (int i = 0; i < 3000; ++i) {
    const absl::Time start = first + absl::Minutes(minutes(random) * 20);
    const absl::Time due = calendar.Add(start, BusinessDays(10));
    const absl::Time pause =
        start + absl::Minutes(minutes(random) % ((due - start) / absl::Minutes(1)));
    const absl::Duration left = calendar.Remaining(pause, due, DurationUnit::kBusinessDays);
    ASSERT_EQ(left, calendar.BusinessTimeBetween(pause, due));
    // Resuming at once gives the same deadline back.
    ASSERT_EQ(calendar.Resume(pause, left, DurationUnit::kBusinessDays), due)
        << absl::FormatTime(pause);
    // Resuming later gives a deadline exactly `left` business time away.
    const absl::Time resume = pause + absl::Minutes(minutes(random));
    const absl::Time new_due = calendar.Resume(resume, left, DurationUnit::kBusinessDays);
    ASSERT_GE(new_due, resume);
    ASSERT_EQ(calendar.BusinessTimeBetween(resume, new_due), left) << absl::FormatTime(resume);
    // And no later: a second earlier, some of it is still unspent.
    if (left > absl::ZeroDuration()) {
      ASSERT_LT(calendar.BusinessTimeBetween(resume, new_due - absl::Seconds(1)), left);
    }
  }
}

TEST_P(CalendarPropertyTest, SubtractIsTheInverseOfAddForWholeDays) {
  const BusinessCalendar calendar = Calendar();
  const absl::Time first = At("2023-12-01T00:00:00Z");
  const absl::Time last = At("2025-02-01T00:00:00Z");
  for (absl::Time start = first; start < last; start += absl::Minutes(11 * 60 + 7)) {
    const absl::Time due = calendar.Add(start, BusinessDays(5));
    const absl::Time warn = calendar.Subtract(due, BusinessDays(2));
    // Two business days before the end of business day B is the start of the business day
    // before B: business days B-1 and B lie between them.
    absl::CivilDay before = calendar.LocalDay(due) - 2;
    while (!calendar.IsBusinessDay(before)) --before;
    ASSERT_EQ(warn, calendar.StartOfDay(before)) << absl::FormatTime(start);
    // Local times away from the small hours never fall in a skipped or repeated hour, so
    // calendar days are exactly invertible there.
    if (absl::ToCivilSecond(start, calendar.zone()).hour() >= 4) {
      ASSERT_EQ(calendar.Add(calendar.Subtract(start, Days(3)), Days(3)), start)
          << absl::FormatTime(start);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Zones, CalendarPropertyTest,
                         ::testing::Values("rome", "los_angeles", "rome_gulf", "santiago"));

}  // namespace
}  // namespace claims::workflow
