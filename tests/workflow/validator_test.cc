// One test per check of the validator (and the loader's own structural checks), each on a
// small workflow with one mistake, asserting the exact message and where it points.

#include "workflow/validator.h"

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "workflow/loader.h"

namespace claims::workflow {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A valid workflow, one line per element, that each test breaks in one place. Line numbers
// below refer to it.
const std::vector<std::string>& BaseLines() {
  static const auto* const kLines = new std::vector<std::string>{
      "name: t",                                                                         // 1
      "version: 1",                                                                      // 2
      "roles:",                                                                          // 3
      "  - {id: partner, display_name: Partner, perspective: partner}",                  // 4
      "  - {id: system, display_name: System, perspective: system}",                     // 5
      "calendars:",                                                                      // 6
      "  - {id: cal, time_zone: UTC, weekend: [saturday, sunday]}",                      // 7
      "create: {roles: [partner], initial_state: open}",                                 // 8
      "states:",                                                                         // 9
      "  - {id: open, display_name: Open}",                                              // 10
      "  - {id: done, display_name: Done, terminal: true}",                              // 11
      "transitions:",                                                                    // 12
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner]}",  // 13
  };
  return *kLines;
}

class ValidatorTest : public ::testing::Test {
 protected:
  // Replaces line `line` (1-based) of the base workflow.
  void Set(int line, std::string text) {
    lines_[static_cast<std::size_t>(line - 1)] = std::move(text);
  }
  // Appends lines after the base workflow (line 14 onwards).
  void Append(std::initializer_list<std::string> lines) {
    lines_.insert(lines_.end(), lines.begin(), lines.end());
  }

  std::vector<std::string> Problems() {
    std::string text;
    for (const std::string& line : lines_) text += line + "\n";
    LoadResult result = LoadDefinition(text, "t.yaml", [this](std::string_view path) {
      auto it = includes_.find(std::string(path));
      return it == includes_.end() ? std::nullopt : std::optional<std::string>(it->second);
    });
    std::vector<std::string> problems;
    for (const Diagnostic& d : result.diagnostics) problems.push_back(d.ToString());
    EXPECT_EQ(result.ok(), problems.empty());
    return problems;
  }

  // "t.yaml:<line>:<column of `token` in that line>: <message>"
  std::string At(int line, std::string_view token, std::string_view message,
                 int occurrence = 1) const {
    const std::string& text = lines_[static_cast<std::size_t>(line - 1)];
    std::size_t column = std::string::npos;
    for (int i = 0; i < occurrence; ++i) {
      column = text.find(token, column == std::string::npos ? 0 : column + 1);
    }
    EXPECT_NE(column, std::string::npos) << token << " not in line " << line << ": " << text;
    std::ostringstream out;
    out << "t.yaml:" << line << ":" << column + 1 << ": " << message;
    return out.str();
  }

  std::vector<std::string> lines_ = BaseLines();
  std::map<std::string, std::string> includes_;
};

TEST_F(ValidatorTest, BaseWorkflowIsValid) { EXPECT_THAT(Problems(), IsEmpty()); }

TEST_F(ValidatorTest, UnknownTargetState) {
  Set(13, "  - {id: close, display_name: Close, from: [open], to: dnoe, roles: [partner]}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(13, "dnoe", "unknown state 'dnoe' (did you mean 'done'?)")));
}

TEST_F(ValidatorTest, UnknownSourceState) {
  Set(13, "  - {id: close, display_name: Close, from: [open, limbo], to: done, roles: [partner]}");
  EXPECT_THAT(Problems(), ElementsAre(At(13, "limbo", "unknown state 'limbo'")));
}

TEST_F(ValidatorTest, UnknownInitialState) {
  Set(8, "create: {roles: [partner], initial_state: opne}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(8, "opne", "unknown state 'opne' (did you mean 'open'?)")));
}

TEST_F(ValidatorTest, UnknownRoleInTransition) {
  Set(13, "  - {id: close, display_name: Close, from: [open], to: done, roles: [partnr]}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(13, "partnr", "unknown role 'partnr' (did you mean 'partner'?)")));
}

TEST_F(ValidatorTest, UnknownRoleInEditRule) {
  Set(10, "  - {id: open, display_name: Open, editable: [{roles: [admin], fields: [mpn_id]}]}");
  EXPECT_THAT(Problems(), ElementsAre(At(10, "admin", "unknown role 'admin'")));
}

TEST_F(ValidatorTest, UnknownRoleForEvidenceAndComments) {
  Set(10, "  - {id: open, display_name: Open, evidence_roles: [auditor], comment_roles: [bot]}");
  EXPECT_THAT(Problems(), ElementsAre(At(10, "auditor", "unknown role 'auditor'"),
                                      At(10, "bot", "unknown role 'bot'")));
}

TEST_F(ValidatorTest, UnknownField) {
  Set(10, "  - {id: open, display_name: Open, editable: [{roles: [partner], fields: [mpn]}]}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(10, "mpn]",
                             "unknown field 'mpn' (fields: mpn_id, customer, customer_contact, "
                             "partner_contact, products, activity)")));
}

TEST_F(ValidatorTest, UnknownRequiredField) {
  Set(8, "create: {roles: [partner], initial_state: open, required_fields: [custmer]}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(8, "custmer",
                             "unknown field 'custmer' (fields: mpn_id, customer, "
                             "customer_contact, partner_contact, products, activity) (did you "
                             "mean 'customer'?)")));
}

TEST_F(ValidatorTest, ProductsFieldNeedsItsCatalog) {
  Set(8, "create: {roles: [partner], initial_state: open, required_fields: [products]}");
  EXPECT_THAT(Problems(),
              ElementsAre("t.yaml:1:1: unknown catalog 'products' for the products field"));
}

TEST_F(ValidatorTest, UnknownCatalog) {
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "inputs: {reasons: {catalog: why}}}");
  EXPECT_THAT(Problems(), ElementsAre(At(13, "why", "unknown catalog 'why'")));
}

TEST_F(ValidatorTest, UnknownCatalogForAnEventsReasons) {
  Append({"catalogs:", "  - {id: rejection_reasons, entries: [{id: late, display_name: Late}]}"});
  Set(8,
      "create: {roles: [partner], initial_state: open, events: [{type: made, reasons_from: "
      "why}]}");
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "events: [shut, {type: notice, reasons_from: rejection_reason}]}");
  EXPECT_THAT(Problems(), ElementsAre(At(8, "why", "unknown catalog 'why'"),
                                      At(13, "rejection_reason}",
                                         "unknown catalog 'rejection_reason' (did you mean "
                                         "'rejection_reasons'?)")));
}

TEST_F(ValidatorTest, AnnouncedDeadlinesNeedAWindowTakenFromTheStateReached) {
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "events: [{type: shut, deadline_of: [reopen, clsoe, close]}]}");
  Append({"  - {id: reopen, display_name: Reopen, from: [done], to: open, roles: [partner],",
          "     guards: [{within: {days: 30, calendar: cal}}]}",
          "  - {id: nudge, display_name: Nudge, from: [open], to: open, roles: [partner],",
          "     guards: [{within: {days: 2, calendar: cal}}],",
          "     events: [{type: nudged, deadline_of: [reopen]}]}"});
  Set(11, "  - {id: done, display_name: Done}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(13, "clsoe", "unknown transition 'clsoe' (did you mean 'close'?)"),
                          At(13, "close]",
                             "transition 'close' has no within guard, so no deadline to "
                             "announce"),
                          At(18, "reopen",
                             "transition 'reopen' cannot be taken from state 'open', "
                             "where the claim is when event 'nudged' is sent")));
}

TEST_F(ValidatorTest, UnknownCatalogCode) {
  Append({"catalogs:", "  - {id: why, entries: [{id: late, display_name: Late}]}"});
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "implied_reasons: {catalog: why, codes: [lte]}}");
  EXPECT_THAT(
      Problems(),
      ElementsAre(At(13, "lte", "unknown code 'lte' in catalog 'why' (did you mean 'late'?)")));
}

TEST_F(ValidatorTest, DuplicateCatalogEntry) {
  Append({"catalogs:",
          "  - {id: why, entries: [{id: late, display_name: Late}, {id: late, display_name: L}]}"});
  EXPECT_THAT(Problems(), ElementsAre(At(15, "late",
                                         "duplicate catalog entry id 'late' (first "
                                         "defined at line 15)",
                                         2)));
}

TEST_F(ValidatorTest, EmptyCatalog) {
  Append({"catalogs:", "  - {id: why, entries: []}"});
  EXPECT_THAT(Problems(), ElementsAre(At(15, "[]", "catalog 'why' has no entries")));
}

TEST_F(ValidatorTest, DuplicateStateId) {
  Set(11, "  - {id: open, display_name: Done, terminal: true}");
  // The second "open" is not a state of its own, so "done" is unknown too.
  EXPECT_THAT(Problems(),
              ElementsAre(At(11, "open", "duplicate state id 'open' (first defined at line 10)"),
                          At(13, "done", "unknown state 'done'")));
}

TEST_F(ValidatorTest, DuplicateRoleId) {
  Set(5, "  - {id: partner, display_name: System, perspective: system}");
  EXPECT_THAT(Problems(), ElementsAre(At(5, "partner",
                                         "duplicate role id 'partner' (first defined at line 4)")));
}

TEST_F(ValidatorTest, DuplicateTransitionId) {
  Append({"  - {id: close, display_name: Again, from: [open], to: done, roles: [partner]}"});
  EXPECT_THAT(Problems(), ElementsAre(At(14, "close",
                                         "duplicate transition id 'close' (first "
                                         "defined at line 13)")));
}

TEST_F(ValidatorTest, UnreachableState) {
  Append({"  - {id: reopen, display_name: Reopen, from: [limbo], to: open, roles: [partner]}"});
  Set(11, "  - {id: done, display_name: Done, terminal: true}");
  lines_.insert(lines_.begin() + 11, "  - {id: limbo, display_name: Limbo}");
  EXPECT_THAT(Problems(), ElementsAre(At(12, "limbo",
                                         "state 'limbo' is unreachable from the initial state "
                                         "'open'")));
}

TEST_F(ValidatorTest, NonTerminalStateWithNoWayOut) {
  Set(11, "  - {id: done, display_name: Done}");
  EXPECT_THAT(Problems(), ElementsAre(At(11, "done",
                                         "state 'done' is not terminal but no transition leaves "
                                         "it; add one or mark it terminal: true")));
}

TEST_F(ValidatorTest, SelfLoopIsNoWayOut) {
  Set(11, "  - {id: done, display_name: Done}");
  Append({"  - {id: note, display_name: Note, from: [done], to: done, roles: [partner]}"});
  EXPECT_THAT(Problems(), ElementsAre(At(11, "done",
                                         "state 'done' is not terminal but no transition leaves "
                                         "it; add one or mark it terminal: true")));
}

TEST_F(ValidatorTest, TransitionOutOfTerminalState) {
  Append({"  - {id: reopen, display_name: Reopen, from: [done], to: open, roles: [partner]}"});
  EXPECT_THAT(Problems(), ElementsAre(At(14, "done",
                                         "transition 'reopen' leaves terminal "
                                         "state 'done'")));
}

TEST_F(ValidatorTest, UnknownGuardKind) {
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "guards: [{min_evidnce: {count: 1}}]}");
  EXPECT_THAT(Problems(), ElementsAre(At(13, "min_evidnce",
                                         "unknown guard kind 'min_evidnce' in guard (did "
                                         "you mean 'min_evidence'?)")));
}

TEST_F(ValidatorTest, GuardWithTwoKinds) {
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "guards: [{min_evidence: {count: 1}, max_times: {count: 1}}]}");
  EXPECT_THAT(Problems(), ElementsAre(At(13, "{min_evidence",
                                         "a guard has exactly one kind; "
                                         "found 'min_evidence' and "
                                         "'max_times'")));
}

TEST_F(ValidatorTest, GuardFieldAndCount) {
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "guards: [{field_present: {field: phone}}, {min_evidence: {count: 0}}]}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(13, "phone",
                             "unknown field 'phone' (fields: mpn_id, customer, customer_contact, "
                             "partner_contact, products, activity)"),
                          At(13, "0}", "min_evidence count must be at least 1, found 0")));
}

TEST_F(ValidatorTest, WithinGuardNeedsKnownCalendarAndPositiveDuration) {
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "guards: [{within: {days: -3, calendar: work}}]}");
  EXPECT_THAT(Problems(), ElementsAre(At(13, "-3", "within duration must be positive, found -3"),
                                      At(13, "work", "unknown calendar 'work'")));
}

TEST_F(ValidatorTest, MaxTimesNamesUnknownAction) {
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "guards: [{max_times: {count: 1, action: clsoe}}]}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(13, "clsoe", "unknown transition 'clsoe' (did you mean 'close'?)")));
}

TEST_F(ValidatorTest, LastReasonGuardChecksCatalogAndCodes) {
  Append({"catalogs:", "  - {id: why, entries: [{id: late, display_name: Late}]}"});
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "guards: [{last_reason_in: {catalog: why, codes: [early]}}, "
      "{last_reason_not_in: {catalog: how, codes: [late]}}]}");
  EXPECT_THAT(Problems(), ElementsAre(At(13, "early", "unknown code 'early' in catalog 'why'"),
                                      At(13, "how", "unknown catalog 'how'")));
}

TEST_F(ValidatorTest, ReasonMinGreaterThanMax) {
  Append({"catalogs:",
          "  - {id: why, entries: [{id: a, display_name: A}, {id: b, display_name: B}, "
          "{id: c, display_name: C}]}"});
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "inputs: {reasons: {catalog: why, min: 3, max: 2}}}");
  EXPECT_THAT(Problems(), ElementsAre(At(13, "3,", "reasons min (3) is greater than max (2)")));
}

TEST_F(ValidatorTest, ReasonCodesMustComeFromTheCatalog) {
  Append({"catalogs:",
          "  - {id: why, entries: [{id: a, display_name: A}, {id: b, display_name: B}]}"});
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "inputs: {reasons: {catalog: why, codes: [a, zed], min: 1, max: 2}}}");
  EXPECT_THAT(Problems(), ElementsAre(At(13, "zed", "unknown code 'zed' in catalog 'why'")));
}

TEST_F(ValidatorTest, ReasonMinBeyondAllowedCodes) {
  Append({"catalogs:",
          "  - {id: why, entries: [{id: a, display_name: A}, {id: b, display_name: B}]}"});
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "inputs: {reasons: {catalog: why, codes: [a], min: 2, max: 2}}}");
  EXPECT_THAT(Problems(), ElementsAre(At(13, "2,", "reasons min (2) exceeds the 1 codes allowed")));
}

TEST_F(ValidatorTest, ReasonMinBeyondCatalog) {
  Append({"catalogs:", "  - {id: why, entries: [{id: a, display_name: A}]}"});
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner], "
      "inputs: {reasons: {catalog: why, min: 2, max: 4}}}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(13, "2,", "reasons min (2) exceeds the 1 entries of catalog 'why'")));
}

TEST_F(ValidatorTest, TransitionWithoutRoles) {
  Set(13, "  - {id: close, display_name: Close, from: [open], to: done, roles: []}");
  EXPECT_THAT(Problems(), ElementsAre(At(13, "[]",
                                         "transition 'close' lists no role, so nobody "
                                         "may take it")));
}

TEST_F(ValidatorTest, UnknownTimeZone) {
  Set(7, "  - {id: cal, time_zone: Mars/Olympus_Mons, weekend: [saturday, sunday]}");
  EXPECT_THAT(Problems(), ElementsAre(At(7, "Mars",
                                         "unknown time zone 'Mars/Olympus_Mons' (use "
                                         "an IANA name such as America/Los_Angeles)")));
}

TEST_F(ValidatorTest, HolidayThatIsNotADate) {
  Set(7,
      "  - {id: cal, time_zone: UTC, weekend: [saturday, sunday], holidays: [2026-02-30, "
      "{date: someday, name: Later}, 2026-12-25]}");
  EXPECT_THAT(
      Problems(),
      ElementsAre(At(7, "2026-02-30", "holiday '2026-02-30' is not a date: write YYYY-MM-DD"),
                  At(7, "someday", "holiday 'someday' is not a date: write YYYY-MM-DD")));
}

TEST_F(ValidatorTest, UnknownWeekday) {
  Set(7, "  - {id: cal, time_zone: UTC, weekend: [saturday, sundy]}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(7, "sundy", "unknown weekday 'sundy' (did you mean 'sunday'?)")));
}

TEST_F(ValidatorTest, CalendarWithoutWorkingDays) {
  Set(7,
      "  - {id: cal, time_zone: UTC, weekend: [monday, tuesday, wednesday, thursday, friday, "
      "saturday, sunday]}");
  EXPECT_THAT(Problems(), ElementsAre(At(7, "[monday",
                                         "calendar 'cal' has no working day in "
                                         "its week")));
}

TEST_F(ValidatorTest, SystemRoleMustHaveSystemPerspective) {
  Set(5, "  - {id: system, display_name: System, perspective: reviewer}");
  EXPECT_THAT(Problems(), ElementsAre(At(5, "reviewer",
                                         "role 'system' is the actor that fires "
                                         "timers; its perspective must be system")));
}

TEST_F(ValidatorTest, UnknownPerspective) {
  Set(4, "  - {id: partner, display_name: Partner, perspective: partnr}");
  EXPECT_THAT(Problems(), ElementsAre(At(4, "partnr",
                                         "unknown perspective 'partnr' (expected partner, "
                                         "reviewer, customer or system) (did you mean "
                                         "'partner'?)")));
}

TEST_F(ValidatorTest, VersionMustBePositive) {
  Set(2, "version: 0");
  EXPECT_THAT(Problems(), ElementsAre(At(2, "0", "version must be at least 1, found 0")));
}

TEST_F(ValidatorTest, IdsAreSnakeCase) {
  Set(10, "  - {id: Open Claim, display_name: Open}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(8, "open", "unknown state 'open'"),
                          At(10, "Open Claim",
                             "'Open Claim' is not an id: use lower_snake_case (a-z, 0-9, _), at "
                             "most 64 characters, starting with a letter"),
                          At(13, "open", "unknown state 'open'")));
}

TEST_F(ValidatorTest, MissingRequiredKey) {
  Set(13, "  - {id: close, display_name: Close, from: [open], roles: [partner]}");
  EXPECT_THAT(Problems(), ElementsAre(At(13, "{id", "transition is missing required key 'to'")));
}

TEST_F(ValidatorTest, UnknownKeySuggestsTheClosest) {
  Set(11, "  - {id: done, display_name: Done, terminl: true}");
  EXPECT_THAT(Problems(), ElementsAre(At(11, "done",
                                         "state 'done' is not terminal but no transition leaves "
                                         "it; add one or mark it terminal: true"),
                                      At(11, "terminl",
                                         "unknown key 'terminl' in state (did you mean "
                                         "'terminal'?)")));
}

TEST_F(ValidatorTest, WrongTypes) {
  Set(13, "  - {id: close, display_name: Close, from: open, to: [done], roles: [partner]}");
  EXPECT_THAT(Problems(), ElementsAre(At(13, "open", "expected a sequence of ids, found 'open'"),
                                      At(13, "[done]", "expected a string, found a sequence")));
}

// Timers.

TEST_F(ValidatorTest, TimerNonPositiveDuration) {
  Append({"timers:", "  - {id: t1, duration: {business_days: 0}, calendar: cal, start_on: [open],",
          "     stop_on: [done], on_deadline: {breach: {events: [late]}}}"});
  EXPECT_THAT(Problems(), ElementsAre(At(15, "0}", "duration must be positive, found 0")));
}

TEST_F(ValidatorTest, TimerUnknownDurationUnit) {
  Append({"timers:", "  - {id: t1, duration: {weeks: 1}, calendar: cal, start_on: [open],",
          "     stop_on: [done], on_deadline: {breach: {events: [late]}}}"});
  EXPECT_THAT(Problems(),
              ElementsAre(At(15, "weeks", "unknown duration unit 'weeks' in duration")));
}

TEST_F(ValidatorTest, TimerWithTwoUnits) {
  Append({"timers:", "  - {id: t1, duration: {days: 1, hours: 2}, calendar: cal, start_on: [open],",
          "     stop_on: [done], on_deadline: {breach: {events: [late]}}}"});
  EXPECT_THAT(Problems(), ElementsAre(At(15, "{days",
                                         "duration has more than one unit; use one "
                                         "of business_days, days or hours")));
}

TEST_F(ValidatorTest, TimerUnknownCalendarAndStates) {
  Append({"timers:", "  - {id: t1, duration: {hours: 4}, calendar: work, start_on: [opn],",
          "     stop_on: [gone], on_deadline: {breach: {}}}"});
  EXPECT_THAT(Problems(),
              ElementsAre(At(15, "work", "unknown calendar 'work'"),
                          At(15, "opn", "unknown state 'opn' (did you mean 'open'?)"),
                          At(16, "gone", "unknown state 'gone' (did you mean 'done'?)")));
}

TEST_F(ValidatorTest, TimerStaysArmedInTerminalState) {
  Append({"timers:", "  - {id: t1, duration: {hours: 4}, calendar: cal, start_on: [open],",
          "     on_deadline: {breach: {events: [late]}}}"});
  EXPECT_THAT(Problems(), ElementsAre(At(15, "{id",
                                         "timer 't1' stays armed in terminal state "
                                         "'done'; add it to stop_on")));
}

TEST_F(ValidatorTest, TimerStartsAndStopsInSameState) {
  Append({"timers:", "  - {id: t1, duration: {hours: 4}, calendar: cal, start_on: [open],",
          "     stop_on: [open, done], on_deadline: {breach: {}}}"});
  EXPECT_THAT(Problems(),
              ElementsAre(At(15, "open", "state 'open' both starts and stops timer 't1'")));
}

TEST_F(ValidatorTest, TimerWarningMustComeBeforeDeadline) {
  Append({"timers:",
          "  - {id: t1, duration: {hours: 4}, calendar: cal, start_on: [open], stop_on: [done],",
          "     warning: {before: {hours: 4}, events: [soon]}, on_deadline: {breach: {}}}"});
  EXPECT_THAT(Problems(), ElementsAre(At(16, "4}",
                                         "warning.before (4) must be shorter than the "
                                         "duration (4)")));
}

TEST_F(ValidatorTest, TimerPausesInStateItNeverRunsIn) {
  Append({"timers:",
          "  - {id: t1, duration: {hours: 4}, calendar: cal, start_on: [open], stop_on: [done],",
          "     pause_in: [done], on_deadline: {breach: {}}}"});
  EXPECT_THAT(Problems(), ElementsAre(At(16, "done",
                                         "timer 't1' pauses in state 'done', which "
                                         "it never runs in")));
}

TEST_F(ValidatorTest, TimerTransitionMustLeaveEveryStateItRunsIn) {
  // The timer runs in open and, after `hold`, in waiting; `close` leaves only open.
  lines_.insert(lines_.begin() + 11, "  - {id: waiting, display_name: Waiting}");
  Set(14, "  - {id: close, display_name: Close, from: [open], to: done, roles: [partner, system]}");
  Append({"  - {id: hold, display_name: Hold, from: [open], to: waiting, roles: [partner]}",
          "  - {id: go, display_name: Go, from: [waiting], to: done, roles: [partner]}", "timers:",
          "  - {id: t1, duration: {hours: 4}, calendar: cal, start_on: [open], stop_on: [done],",
          "     on_deadline: {transition: close}}"});
  EXPECT_THAT(Problems(), ElementsAre(At(19, "close",
                                         "timer 't1' runs in state 'waiting', but "
                                         "its deadline transition 'close' does not "
                                         "leave that state")));
}

TEST_F(ValidatorTest, TimerTransitionNeedsSystemRole) {
  Append({"timers:", "  - {id: t1, duration: {hours: 4}, calendar: cal, start_on: [open],",
          "     on_deadline: {transition: close}}"});
  EXPECT_THAT(Problems(), ElementsAre(At(16, "close",
                                         "timer 't1' performs transition 'close' as the system "
                                         "actor, but its roles do not include 'system'")));
}

TEST_F(ValidatorTest, TimerTransitionUnknown) {
  Append({"timers:",
          "  - {id: t1, duration: {hours: 4}, calendar: cal, start_on: [open], stop_on: [done],",
          "     on_deadline: {transition: expire}}"});
  EXPECT_THAT(Problems(), ElementsAre(At(16, "expire", "unknown transition 'expire'")));
}

TEST_F(ValidatorTest, TimerReasonsMustFitTheTransition) {
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [system], "
      "inputs: {reasons: {catalog: why, min: 1, max: 1}}}");
  Append({"catalogs:", "  - {id: why, entries: [{id: late, display_name: Late}]}",
          "timers:", "  - {id: t1, duration: {hours: 4}, calendar: cal, start_on: [open],",
          "     on_deadline: {transition: close, reasons: [late, tardy]}}"});
  EXPECT_THAT(Problems(), ElementsAre(At(18, "[late",
                                         "transition 'close' takes 1 to 1 reasons from 'why'; "
                                         "timer 't1' gives 2"),
                                      At(18, "tardy", "unknown code 'tardy' in catalog 'why'")));
}

TEST_F(ValidatorTest, TimerCannotGiveAComment) {
  Set(13,
      "  - {id: close, display_name: Close, from: [open], to: done, roles: [system], "
      "inputs: {comment: required}}");
  Append({"timers:", "  - {id: t1, duration: {hours: 4}, calendar: cal, start_on: [open],",
          "     on_deadline: {transition: close}}"});
  EXPECT_THAT(Problems(), ElementsAre(At(16, "close",
                                         "transition 'close' requires a comment or "
                                         "evidence, which a timer cannot give")));
}

TEST_F(ValidatorTest, DeadlineNeedsOneAction) {
  Append({"timers:",
          "  - {id: t1, duration: {hours: 4}, calendar: cal, start_on: [open], stop_on: [done],",
          "     on_deadline: {events: [late]}}"});
  EXPECT_THAT(Problems(), ElementsAre(At(16, "{events",
                                         "on_deadline needs exactly one of "
                                         "'breach' or 'transition'")));
}

TEST_F(ValidatorTest, ReportsEveryProblemInFileOrder) {
  Set(4, "  - {id: partner, display_name: Partner, perspective: partner, colour: blue}");
  Set(8, "create: {roles: [partners], initial_state: open}");
  Set(13, "  - {id: close, display_name: Close, from: [open], to: dnoe, roles: [partner]}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(4, "colour", "unknown key 'colour' in role"),
                          At(8, "partners", "unknown role 'partners' (did you mean 'partner'?)"),
                          At(13, "dnoe", "unknown state 'dnoe' (did you mean 'done'?)")));
}

TEST_F(ValidatorTest, IncludedCalendarProblemsNameTheIncludedFile) {
  Set(7, "  - {id: cal, include: cal/eu.yaml}");
  includes_["cal/eu.yaml"] = "time_zone: Europe/Atlantis\nweekend: [saturday]\n";
  EXPECT_THAT(Problems(),
              ElementsAre("cal/eu.yaml:1:12: unknown time zone 'Europe/Atlantis' (use an IANA "
                          "name such as America/Los_Angeles)"));
}

TEST_F(ValidatorTest, IncludeThatCannotBeRead) {
  Set(7, "  - {id: cal, include: nowhere.yaml}");
  EXPECT_THAT(Problems(),
              ElementsAre(At(7, "nowhere", "cannot read included file 'nowhere.yaml'")));
}

TEST_F(ValidatorTest, IncludeAndInlineDefinitionConflict) {
  Set(7, "  - {id: cal, include: us.yaml, time_zone: UTC}");
  includes_["us.yaml"] = "time_zone: UTC\nweekend: [saturday, sunday]\n";
  EXPECT_THAT(Problems(), ElementsAre(At(7, "us.yaml",
                                         "a calendar that includes a file takes "
                                         "its 'time_zone' from that file; remove "
                                         "it here")));
}

// Checks run on a definition built in code point at its items' recorded positions, or at
// the file's start when none are recorded.
TEST(ValidateDefinitionTest, WorksWithoutSourcePositions) {
  Definition definition;
  definition.name = "code";
  definition.version = 1;
  RoleDef partner;
  partner.id = "partner";
  partner.display_name = "Partner";
  definition.roles.push_back(partner);
  definition.create.roles = {"partner"};
  definition.create.initial_state = "open";
  StateDef open;
  open.id = "open";
  open.display_name = "Open";
  definition.states.push_back(open);
  SourceMap sources("code.yaml");
  std::vector<Diagnostic> problems = ValidateDefinition(definition, sources);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].ToString(),
            "code.yaml:0:0: state 'open' is not terminal but no transition leaves it; add one "
            "or mark it terminal: true");
}

}  // namespace
}  // namespace claims::workflow
