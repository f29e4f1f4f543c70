#include "workflow/display.h"

#include "gtest/gtest.h"

namespace claims::workflow {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

BusinessCalendar LosAngeles() {
  return BusinessCalendar("us", "America/Los_Angeles", Zone("America/Los_Angeles"),
                          {absl::Weekday::saturday, absl::Weekday::sunday},
                          {absl::CivilDay(2026, 12, 25)});
}

TEST(DeadlineDisplayTest, ABusinessDayDeadlineReadsAsTheDayItEnds) {
  const BusinessCalendar calendar = LosAngeles();
  // Submitted Thursday 17 December 2026: five business days end when Thursday 24 December
  // does, which is 00:00 on Christmas Day; it must not read as due on Christmas.
  const absl::Time submitted =
      absl::FromCivil(absl::CivilSecond(2026, 12, 17, 10, 0, 0), calendar.zone());
  const absl::Time due = calendar.Add(submitted, {5, DurationUnit::kBusinessDays});
  EXPECT_EQ(due, absl::FromCivil(absl::CivilSecond(2026, 12, 25, 0, 0, 0), calendar.zone()));
  EXPECT_EQ(DeadlineDisplay(calendar, due, DurationUnit::kBusinessDays),
            "end of Thu 24 Dec 2026, America/Los_Angeles");
}

TEST(DeadlineDisplayTest, OtherDeadlinesReadAsTheirLocalTime) {
  const BusinessCalendar calendar = LosAngeles();
  const absl::Time approved =
      absl::FromCivil(absl::CivilSecond(2026, 3, 2, 9, 5, 0), calendar.zone());
  EXPECT_EQ(DeadlineDisplay(calendar, approved + absl::Hours(24 * 7), DurationUnit::kDays),
            "Mon 9 Mar 2026 10:05 PDT, America/Los_Angeles");  // across the DST change
  // A business deadline in the middle of a day (a paused timer resumed mid-day).
  EXPECT_EQ(DeadlineDisplay(calendar, approved, DurationUnit::kBusinessDays),
            "Mon 2 Mar 2026 09:05 PST, America/Los_Angeles");
  // A day deadline at midnight is midnight, not the end of the day before.
  const absl::Time midnight =
      absl::FromCivil(absl::CivilSecond(2026, 3, 3, 0, 0, 0), calendar.zone());
  EXPECT_EQ(DeadlineDisplay(calendar, midnight, DurationUnit::kDays),
            "Tue 3 Mar 2026 00:00 PST, America/Los_Angeles");
  EXPECT_EQ(DeadlineDisplay(calendar, absl::InfiniteFuture(), DurationUnit::kDays), "");
}

TEST(DisplayTest, DurationsAndGuardsInWords) {
  EXPECT_EQ(DurationDisplay({5, DurationUnit::kBusinessDays}), "5 business days");
  EXPECT_EQ(DurationDisplay({1, DurationUnit::kDays}), "1 day");
  EXPECT_EQ(DurationDisplay({48, DurationUnit::kHours}), "48 hours");
  GuardDef evidence;
  evidence.kind = GuardKind::kMinEvidence;
  evidence.count = 1;
  EXPECT_EQ(GuardDisplay(evidence), "at least 1 evidence document");
  GuardDef within;
  within.kind = GuardKind::kWithinDuration;
  within.duration = {30, DurationUnit::kDays};
  within.calendar = "business";
  EXPECT_EQ(GuardDisplay(within), "within 30 days of entering the state (calendar business)");
  GuardDef once;
  once.kind = GuardKind::kMaxTimesTaken;
  once.count = 1;
  once.action = "dispute";
  EXPECT_EQ(GuardDisplay(once), "taken fewer than 1 time (dispute)");
}

}  // namespace
}  // namespace claims::workflow
