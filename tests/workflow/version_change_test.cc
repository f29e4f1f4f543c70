// Changing a workflow under running claims (workflow/version_change.h): the diff of two
// versions, the migration check, timers replayed from history (against the engine's own timers
// over many CPOR runs), deadlines recomputed after a holiday is added, and migrating a claim.
// CPOR times are in its calendar's zone, America/Los_Angeles (config/calendars/us.yaml).

#include "workflow/version_change.h"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/outcome_helpers.h"
#include "tests/testing/shipped_workflow.h"
#include "workflow/decision.h"
#include "workflow/engine.h"
#include "workflow/loader.h"
#include "workflow/simulation.h"

namespace claims::workflow {
namespace {

using ::claims::testing::At;
using ::claims::testing::MustDecide;
using ::claims::testing::TimerIn;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

std::vector<std::string> Messages(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics) out.push_back(d.ToString());
  return out;
}

std::shared_ptr<const Definition> MustLoad(const std::string& yaml, const std::string& file) {
  LoadResult result = LoadDefinition(yaml, file);
  EXPECT_THAT(Messages(result.diagnostics), IsEmpty()) << yaml;
  return result.definition;
}

void ReplaceOnce(std::string& text, std::string_view from, std::string_view to,
                 std::size_t after = 0) {
  const std::size_t at = text.find(from, after);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
}

// The shipped CPOR workflow, edited by `edit`, with its calendar file edited by
// `edit_calendar`.
std::shared_ptr<const Definition> LoadCpor(
    const std::function<void(std::string&)>& edit = {},
    const std::function<void(std::string&)>& edit_calendar = {}) {
  const std::string dir = testing::ShippedWorkflowsDir();
  std::optional<std::string> text = testing::ReadTextFile(dir + "/cpor-association.yaml");
  EXPECT_TRUE(text.has_value());
  if (!text.has_value()) return nullptr;
  if (edit) edit(*text);
  LoadResult result = LoadDefinition(*text, "cpor-association.yaml", [&](std::string_view include) {
    std::optional<std::string> included = testing::ReadTextFile(dir + "/" + std::string(include));
    if (included.has_value() && edit_calendar) edit_calendar(*included);
    return included;
  });
  EXPECT_THAT(Messages(result.diagnostics), IsEmpty());
  return result.definition;
}

// ---------------------------------------------------------------------------------------------
// A small workflow in two versions: v2 renames review to checking, retimes the SLA onto a new
// calendar, and adds a holiday.

const char* const kSmallV1 = R"(name: t
version: 1
roles:
  - {id: partner, display_name: Partner, perspective: partner}
  - {id: reviewer, display_name: Reviewer, perspective: reviewer}
  - {id: system, display_name: System, perspective: system}
calendars:
  - {id: cal, time_zone: UTC, weekend: [saturday, sunday], holidays: [2026-12-25]}
create: {roles: [partner], initial_state: open}
states:
  - {id: open, display_name: Open}
  - {id: review, display_name: Review}
  - {id: done, display_name: Done, terminal: true}
transitions:
  - {id: submit, display_name: Submit, from: [open], to: review, roles: [partner]}
  - {id: close, display_name: Close, from: [review], to: done, roles: [reviewer]}
  - {id: withdraw, display_name: Withdraw, from: [open, review], to: done, roles: [partner]}
  - {id: note, display_name: Note, from: [open], to: open, roles: [reviewer]}
timers:
  - {id: sla, duration: {business_days: 2}, calendar: cal, start_on: [review], stop_on: [done],
     on_deadline: {breach: {}}}
)";

std::string SmallV2(const std::string& migrate_from) {
  return "name: t\nversion: 2\n" + migrate_from + R"(
roles:
  - {id: partner, display_name: Partner, perspective: partner}
  - {id: reviewer, display_name: Reviewer, perspective: reviewer}
  - {id: system, display_name: System, perspective: system}
calendars:
  - {id: cal, time_zone: UTC, weekend: [saturday, sunday], holidays: [2026-12-24, 2026-12-25]}
  - {id: eu, time_zone: Europe/Berlin, weekend: [saturday, sunday]}
create: {roles: [partner], initial_state: open}
states:
  - {id: open, display_name: Open}
  - {id: checking, display_name: Checking}
  - {id: done, display_name: Closed, terminal: true}
transitions:
  - {id: submit, display_name: Submit, from: [open], to: checking, roles: [partner]}
  - {id: close, display_name: Close, from: [checking], to: done, roles: [reviewer, system]}
  - {id: withdraw, display_name: Withdraw, from: [open], to: done, roles: [partner]}
  - {id: hold, display_name: Hold, from: [open], to: open, roles: [reviewer]}
timers:
  - {id: sla, duration: {business_days: 5}, calendar: eu, start_on: [checking], stop_on: [done],
     on_deadline: {breach: {}}}
)";
}

TEST(DiffDefinitionsTest, ListsWhatChangedBetweenVersions) {
  auto v1 = MustLoad(kSmallV1, "v1.yaml");
  auto v2 = MustLoad(SmallV2("migrate_from: {version: 1, states: {review: checking}}"), "v2.yaml");
  ASSERT_TRUE(v1 && v2);
  const DefinitionDiff diff = DiffDefinitions(*v1, *v2);
  EXPECT_THAT(
      diff.states,
      ElementsAre(ElementChange{ChangeKind::kAdded, "checking", {}},
                  ElementChange{ChangeKind::kChanged, "done", {"display_name: Done -> Closed"}},
                  ElementChange{ChangeKind::kRemoved, "review", {}}));
  EXPECT_THAT(diff.transitions,
              ElementsAre(ElementChange{ChangeKind::kChanged,
                                        "close",
                                        {"from: +checking, -review", "roles: +system"}},
                          ElementChange{ChangeKind::kAdded, "hold", {}},
                          ElementChange{ChangeKind::kRemoved, "note", {}},
                          ElementChange{ChangeKind::kChanged, "submit", {"to: review -> checking"}},
                          ElementChange{ChangeKind::kChanged, "withdraw", {"from: -review"}}));
  EXPECT_THAT(diff.timers,
              ElementsAre(ElementChange{ChangeKind::kChanged,
                                        "sla",
                                        {"duration: 2 business_days -> 5 business_days",
                                         "calendar: cal -> eu", "start_on: +checking, -review"}}));
  EXPECT_THAT(diff.calendars,
              ElementsAre(ElementChange{ChangeKind::kChanged, "cal", {"holidays: +2026-12-24"}},
                          ElementChange{ChangeKind::kAdded, "eu", {}}));
  // open is in both versions: the reviewer gains hold and loses note there.
  EXPECT_THAT(diff.actions,
              ElementsAre(ActionAvailabilityChange{"open", "reviewer", "hold", true},
                          ActionAvailabilityChange{"open", "reviewer", "note", false}));
  // And back: every change reverses.
  const DefinitionDiff back = DiffDefinitions(*v2, *v1);
  EXPECT_THAT(back.calendars,
              ElementsAre(ElementChange{ChangeKind::kChanged, "cal", {"holidays: -2026-12-24"}},
                          ElementChange{ChangeKind::kRemoved, "eu", {}}));
  EXPECT_THAT(back.actions,
              ElementsAre(ActionAvailabilityChange{"open", "reviewer", "hold", false},
                          ActionAvailabilityChange{"open", "reviewer", "note", true}));
}

TEST(DiffDefinitionsTest, CporAgainstItselfAndARetimedVersion) {
  auto v1 = LoadCpor();
  auto v2 = LoadCpor(
      [](std::string& text) {
        ReplaceOnce(text, "version: 1\n", "version: 2\nmigrate_from: {version: 1}\n");
        ReplaceOnce(text, "duration: {business_days: 5}", "duration: {business_days: 10}",
                    text.find("- id: review_decision"));
        ReplaceOnce(text, "roles: [reviewer]\n    inputs:\n      reasons: {catalog: info",
                    "roles: [reviewer, global_admin]\n    inputs:\n      reasons: {catalog: info");
      },
      [](std::string& calendar) {
        ReplaceOnce(calendar, "  - {date: 2026-12-25",
                    "  - {date: 2026-12-24}\n  - {date: 2026-12-25");
      });
  ASSERT_TRUE(v1 && v2);
  EXPECT_TRUE(DiffDefinitions(*v1, *v1).empty());
  const DefinitionDiff diff = DiffDefinitions(*v1, *v2);
  EXPECT_THAT(diff.states, IsEmpty());
  EXPECT_THAT(
      diff.transitions,
      ElementsAre(ElementChange{ChangeKind::kChanged, "request_info", {"roles: +global_admin"}}));
  EXPECT_THAT(diff.timers,
              ElementsAre(ElementChange{ChangeKind::kChanged,
                                        "review_decision",
                                        {"duration: 5 business_days -> 10 business_days"}}));
  EXPECT_THAT(diff.calendars, ElementsAre(ElementChange{
                                  ChangeKind::kChanged, "business", {"holidays: +2026-12-24"}}));
  EXPECT_THAT(diff.actions, ElementsAre(ActionAvailabilityChange{"under_review", "global_admin",
                                                                 "request_info", true}));
}

// ---------------------------------------------------------------------------------------------
// CheckMigration and MigratedState.

TEST(CheckMigrationTest, AcceptsAMappingThatCoversEveryRemovedState) {
  auto v1 = MustLoad(kSmallV1, "v1.yaml");
  auto v2 = MustLoad(SmallV2("migrate_from: {version: 1, states: {review: checking}}"), "v2.yaml");
  ASSERT_TRUE(v1 && v2);
  EXPECT_THAT(CheckMigration(*v1, *v2, "v2.yaml"), IsEmpty());
  EXPECT_EQ(MigratedState(*v2, "review"), "checking");
  EXPECT_EQ(MigratedState(*v2, "open"), "open");
  EXPECT_EQ(MigratedState(*v2, "limbo"), std::nullopt);
}

TEST(CheckMigrationTest, RefusesAnUnmappedRemovedState) {
  auto v1 = MustLoad(kSmallV1, "v1.yaml");
  // Line 3, column 15: the migrate_from block.
  auto v2 = MustLoad(SmallV2("migrate_from: {version: 1}"), "v2.yaml");
  ASSERT_TRUE(v1 && v2);
  EXPECT_THAT(Messages(CheckMigration(*v1, *v2, "v2.yaml")),
              ElementsAre("v2.yaml:3:15: state 'review' of version 1 is not in version 2; map it "
                          "under migrate_from states so its claims have a state"));
  EXPECT_EQ(MigratedState(*v2, "review"), std::nullopt);
}

TEST(CheckMigrationTest, RefusesAMappingToAnUnknownState) {
  auto v1 = MustLoad(kSmallV1, "v1.yaml");
  auto loaded =
      MustLoad(SmallV2("migrate_from: {version: 1, states: {review: checking}}"), "v2.yaml");
  ASSERT_TRUE(v1 && loaded);
  // The loader refuses an unknown target itself; CheckMigration also guards definitions built
  // otherwise, pointing at the target the file names.
  Definition v2 = *loaded;
  v2.migrate_from->states[0].second = "checkin";
  EXPECT_THAT(Messages(CheckMigration(*v1, v2, "v2.yaml")),
              ElementsAre("v2.yaml:3:45: migrate_from maps state 'review' to 'checkin', which is "
                          "not a state of version 2 (did you mean 'checking'?)"));
}

TEST(CheckMigrationTest, RefusesAnotherVersionOrNoMigrateFrom) {
  auto v1 = MustLoad(kSmallV1, "v1.yaml");
  auto v2 = MustLoad(SmallV2("migrate_from: {version: 1, states: {review: checking}}"), "v2.yaml");
  ASSERT_TRUE(v1 && v2);
  Definition v0 = *v1;
  v0.version = 3;
  EXPECT_THAT(Messages(CheckMigration(v0, *v2, "v2.yaml")),
              ElementsAre("v2.yaml:3:15: migrate_from takes the claims of version 1, not of "
                          "version 3"));
  EXPECT_THAT(Messages(CheckMigration(*v2, *v1, "v1.yaml")),
              ElementsAre("v1.yaml:1:1: workflow t version 1 has no migrate_from, so the claims "
                          "of version 2 cannot move to it"));
}

// ---------------------------------------------------------------------------------------------
// Claims driven through the engine, with their history as storage keeps it.

const Actor kPartner{"bill", {"billing_admin"}, "partner-1"};
const Actor kReviewer{"rita", {"reviewer"}, ""};
const Actor kCustomer{"cora", {"customer"}, ""};

std::string TimersText(const std::vector<TimerInstance>& timers) {
  std::string out;
  for (const TimerInstance& t : timers) {
    absl::StrAppend(&out, t.name, " ", std::string(TimerStatusName(t.status)), " started ",
                    absl::FormatTime(t.started_at), " due ", absl::FormatTime(t.due_at), " warn ",
                    absl::FormatTime(t.warn_at), t.warned ? " warned" : "", " remaining ",
                    absl::FormatDuration(t.remaining), "\n");
  }
  return out;
}

std::string HistoryText(const std::vector<HistoryEntry>& history) {
  std::string out;
  for (const HistoryEntry& e : history) {
    absl::StrAppend(&out, e.sequence, " ", e.name, " ", e.from_state, "->", e.to_state, " at ",
                    absl::FormatTime(e.time), "\n");
  }
  return out;
}

class DrivenClaim {
 public:
  DrivenClaim(const Engine& engine, absl::Time at) : engine_(engine) {
    Claim draft;
    draft.id = "01JCLAIM";
    draft.partner_id = "partner-1";
    draft.workflow_name = engine.definition().name;
    draft.workflow_version = engine.definition().version;
    draft.fields.mpn_id = "4412345";
    draft.fields.customer = {"8c1d6f0e-1111-2222-3333-444455556666", "Contoso"};
    draft.fields.products = {"power_bi"};
    draft.fields.activity = "revenue_association";
    claim_ = draft;
    Apply(MustDecide(engine.Create(draft, kPartner, at)), at);
  }

  const Claim& claim() const { return claim_; }
  const std::vector<HistoryEntry>& history() const { return history_; }

  void Apply(const Decision& decision, absl::Time now) {
    claim_ = ApplyDecision(claim_, decision, now);
    for (HistoryEntry entry : decision.history) {
      entry.sequence = ++sequence_;
      history_.push_back(std::move(entry));
    }
    last_ = now;
  }

  // Performs `action` as `actor` if the engine allows it; false when it refuses.
  bool Act(const std::string& action, const Actor& actor, absl::Time now,
           std::vector<std::string> reasons = {}, std::string comment = "") {
    Outcome outcome = engine_.Decide(
        claim_, ActionRequest{action, std::move(reasons), std::move(comment), {}}, actor, now);
    if (!std::holds_alternative<Decision>(outcome)) return false;
    Apply(std::get<Decision>(outcome), now);
    return true;
  }

  void Must(const std::string& action, const Actor& actor, absl::Time now,
            std::vector<std::string> reasons = {}, std::string comment = "") {
    EXPECT_TRUE(Act(action, actor, now, std::move(reasons), std::move(comment)))
        << action << " refused at " << absl::FormatTime(now);
  }

  void AddEvidence(absl::Time now) {
    Evidence evidence;
    evidence.file_name = "poe.pdf";
    evidence.content_type = "application/pdf";
    evidence.size_bytes = 1024;
    Apply(MustDecide(engine_.AddEvidence(claim_, evidence, kPartner, now)), now);
  }

  // Fires every timer that falls due by `now`, as the scheduler does: each at the instant it
  // falls due, or, for a late sweep, all at `now`. Returns the decisions applied.
  std::vector<Decision> Sweep(absl::Time now, bool late) {
    std::vector<Decision> fired;
    for (int guard = 0; guard < 50; ++guard) {
      const TimerInstance* next = nullptr;
      for (const TimerInstance& t : claim_.timers) {
        if (t.status == TimerStatus::kArmed && t.NextFireAt() <= now &&
            (next == nullptr || t.NextFireAt() < next->NextFireAt())) {
          next = &t;
        }
      }
      if (next == nullptr) break;
      const absl::Time at = late ? now : std::max(next->NextFireAt(), last_);
      const std::string name = next->name;
      std::optional<Decision> decision = engine_.FireTimer(claim_, name, at);
      if (!decision.has_value()) {
        ADD_FAILURE() << name << " was due but did not fire";
        break;
      }
      Apply(*decision, at);
      fired.push_back(*std::move(decision));
    }
    return fired;
  }

 private:
  const Engine& engine_;
  Claim claim_;
  std::vector<HistoryEntry> history_;
  int64_t sequence_ = 0;
  absl::Time last_ = absl::InfinitePast();
};

void ExpectReplayIsTheClaimsTimers(const Definition& definition, const DrivenClaim& driven) {
  const TimerReplay replay = ReplayTimers(definition, driven.claim(), driven.history());
  EXPECT_EQ(TimersText(replay.timers), TimersText(driven.claim().timers))
      << HistoryText(driven.history());
  EXPECT_TRUE(replay.timers == driven.claim().timers);
  EXPECT_THAT(replay.moves, IsEmpty());
}

class CporChangeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::shared_ptr<const Definition> v1 = LoadCpor();
    if (v1 != nullptr) engine_ = new Engine(v1);
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(engine_, nullptr) << "the CPOR workflow did not load"; }

  const Engine& engine() const { return *engine_; }
  const Definition& v1() const { return engine_->definition(); }

  // Created at `at`, evidence an hour later, submitted an hour after that.
  DrivenClaim Submitted(absl::Time at) const {
    DrivenClaim claim(engine(), at);
    claim.AddEvidence(at + absl::Hours(1));
    claim.Must("submit", kPartner, at + absl::Hours(2));
    return claim;
  }

  static Engine* engine_;
};

Engine* CporChangeTest::engine_ = nullptr;

// The inputs a transition needs, from its definition: the fewest reasons it takes, and a
// comment when it needs one.
ActionRequest RequestFor(const Definition& definition, const TransitionDef& transition) {
  ActionRequest request;
  request.action = transition.id;
  if (transition.inputs.reasons.has_value()) {
    const ReasonInput& input = *transition.inputs.reasons;
    std::vector<std::string> codes = input.codes;
    if (codes.empty()) {
      for (const CatalogEntry& entry : definition.FindCatalog(input.catalog)->entries) {
        codes.push_back(entry.id);
      }
    }
    for (int32_t i = 0;
         i < std::max<int32_t>(input.min, 1) && i < static_cast<int32_t>(codes.size()); ++i) {
      request.reasons.push_back(codes[static_cast<std::size_t>(i)]);
    }
  }
  if (transition.inputs.comment == Requirement::kRequired ||
      transition.inputs.comment_or_new_evidence) {
    request.comment = "see the attached documents";
  }
  return request;
}

TEST_F(CporChangeTest, ReplayUnderTheSameDefinitionIsTheEnginesOwnTimers) {
  std::mt19937 random(20261203);
  auto uniform = [&random](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random);
  };
  const std::vector<Actor> actors = {kPartner, kReviewer, kCustomer};
  std::map<std::string, int> seen;
  for (int run = 0; run < 250; ++run) {
    absl::Time now = At("2026-11-02T09:00:00-08:00") + absl::Minutes(uniform(0, 60 * 24 * 50));
    DrivenClaim driven(engine(), now);
    for (int step = 0; step < 30; ++step) {
      // Mostly within a business day or two, sometimes long enough for deadlines to pass.
      now +=
          absl::Minutes(uniform(0, 9) < 7 ? uniform(10, 60 * 30) : uniform(60 * 24, 60 * 24 * 9));
      const std::vector<TimerInstance> before = driven.claim().timers;
      for (const Decision& fired : driven.Sweep(now, uniform(0, 3) == 0)) {
        for (const TimerInstance& t : fired.timers) {
          if (t.status == TimerStatus::kFired) ++seen["fired"];
          if (t.status == TimerStatus::kBreached) ++seen["breached"];
          if (t.warned) ++seen["warned"];
        }
      }
      ExpectReplayIsTheClaimsTimers(v1(), driven);
      const StateDef* state = v1().FindState(driven.claim().state);
      ASSERT_NE(state, nullptr);
      if (state->terminal) break;
      // Sometimes nobody acts, so that deadlines come and pass.
      if (uniform(0, 3) == 0) continue;
      if (uniform(0, 4) == 0 && !state->evidence_roles.empty()) {
        driven.AddEvidence(now);
        continue;
      }
      std::vector<const TransitionDef*> open;
      for (const TransitionDef* t : v1().TransitionsFrom(driven.claim().state)) {
        if (t->roles != std::vector<std::string>{"system"}) open.push_back(t);
      }
      if (open.empty()) continue;
      const TransitionDef& transition =
          *open[static_cast<std::size_t>(uniform(0, static_cast<int64_t>(open.size()) - 1))];
      ActionRequest request = RequestFor(v1(), transition);
      for (const Actor& actor : actors) {
        if (std::find(transition.roles.begin(), transition.roles.end(), actor.roles[0]) ==
            transition.roles.end()) {
          continue;
        }
        if (driven.Act(request.action, actor, now, request.reasons, request.comment)) {
          ++seen[transition.id];
        }
        break;
      }
      for (const TimerInstance& t : driven.claim().timers) {
        const TimerInstance* old = TimerIn(before, t.name);
        if (old == nullptr) continue;
        if (old->status == TimerStatus::kArmed && t.status == TimerStatus::kPaused)
          ++seen["paused"];
        if (old->status == TimerStatus::kPaused && t.status == TimerStatus::kArmed) {
          ++seen["resumed"];
        }
      }
      ExpectReplayIsTheClaimsTimers(v1(), driven);
      if (::testing::Test::HasFailure()) return;
    }
  }
  // The runs went through what the replay must reproduce: pauses and resumes, deadlines that
  // performed their transition, breaches and warnings.
  for (const char* what : {"paused", "resumed", "fired", "breached", "warned", "request_info",
                           "resubmit", "dispute", "uphold", "overturn"}) {
    EXPECT_GT(seen[what], 0) << what;
  }
}

// A timer whose deadline performed its transition and that later ran again: the replay ends
// the first run as fired and starts the second where the engine did.
TEST_F(CporChangeTest, ReplayOfATimerThatFiredAndRanAgain) {
  DrivenClaim claim = Submitted(At("2026-12-01T09:00:00-08:00"));
  claim.Must("start_review", kReviewer, At("2026-12-01T12:00:00-08:00"));
  claim.Must("approve", kReviewer, At("2026-12-01T13:00:00-08:00"));
  claim.Must("deny_consent", kCustomer, At("2026-12-02T10:00:00-08:00"));
  claim.AddEvidence(At("2026-12-02T11:00:00-08:00"));
  claim.Must("dispute", kPartner, At("2026-12-02T12:00:00-08:00"), {}, "the customer agreed");
  claim.Must("overturn", kReviewer, At("2026-12-03T12:00:00-08:00"));
  // consent_period ran from 1 December; it runs again from 3 December and fires on the 10th.
  claim.Sweep(At("2026-12-11T00:00:00-08:00"), /*late=*/false);
  EXPECT_EQ(claim.claim().state, "incentive_assessment");
  ASSERT_NE(TimerIn(claim.claim().timers, "consent_period"), nullptr);
  EXPECT_EQ(TimerIn(claim.claim().timers, "consent_period")->status, TimerStatus::kFired);
  EXPECT_EQ(TimerIn(claim.claim().timers, "consent_period")->started_at,
            At("2026-12-03T12:00:00-08:00"));
  ExpectReplayIsTheClaimsTimers(v1(), claim);

  // partner_response fired its transition (reject for no response) and the partner disputed.
  DrivenClaim expired = Submitted(At("2026-12-01T09:00:00-08:00"));
  expired.Must("start_review", kReviewer, At("2026-12-01T12:00:00-08:00"));
  expired.Must("request_info", kReviewer, At("2026-12-01T13:00:00-08:00"), {"missing_all_poe"},
               "please upload the PoE");
  expired.Sweep(At("2026-12-09T00:00:00-08:00"), /*late=*/true);
  EXPECT_EQ(expired.claim().state, "rejected");
  EXPECT_EQ(TimerIn(expired.claim().timers, "partner_response")->status, TimerStatus::kFired);
  ExpectReplayIsTheClaimsTimers(v1(), expired);
}

// A deadline whose transition leads into a state that pauses its timer: the engine ends the
// run as fired rather than paused, so the next start arms a fresh run instead of resuming.
TEST(ReplayTest, AFiredRunIsNotResumedWhenItsTimerStartsAgain) {
  auto definition = MustLoad(R"(name: t
version: 1
roles:
  - {id: billing_admin, display_name: Billing admin, perspective: partner}
  - {id: system, display_name: System, perspective: system}
catalogs:
  - {id: products, entries: [{id: power_bi, display_name: Power BI}]}
  - {id: activities, entries: [{id: revenue_association, display_name: Revenue association}]}
calendars:
  - {id: cal, time_zone: UTC, weekend: [saturday, sunday]}
create: {roles: [billing_admin], initial_state: a}
states:
  - {id: a, display_name: A}
  - {id: b, display_name: B}
  - {id: done, display_name: Done, terminal: true}
transitions:
  - {id: expire, display_name: Expire, from: [a], to: b, roles: [system]}
  - {id: hold, display_name: Hold, from: [a], to: b, roles: [billing_admin]}
  - {id: retry, display_name: Retry, from: [b], to: a, roles: [billing_admin]}
  - {id: finish, display_name: Finish, from: [a, b], to: done, roles: [billing_admin]}
timers:
  - {id: t, duration: {hours: 4}, calendar: cal, start_on: [a], pause_in: [b], stop_on: [done],
     on_deadline: {transition: expire}}
)",
                             "t.yaml");
  ASSERT_NE(definition, nullptr);
  const Engine engine(definition);
  const absl::Time created = At("2026-12-01T08:00:00Z");
  DrivenClaim claim(engine, created);
  claim.Sweep(At("2026-12-01T12:00:00Z"), /*late=*/false);
  ASSERT_EQ(claim.claim().state, "b");
  ASSERT_EQ(TimerIn(claim.claim().timers, "t")->status, TimerStatus::kFired);
  claim.Must("retry", kPartner, At("2026-12-01T13:00:00Z"));
  const TimerInstance* rerun = TimerIn(claim.claim().timers, "t");
  EXPECT_EQ(rerun->status, TimerStatus::kArmed);
  EXPECT_EQ(rerun->started_at, At("2026-12-01T13:00:00Z"));
  EXPECT_EQ(rerun->due_at, At("2026-12-01T17:00:00Z"));
  ExpectReplayIsTheClaimsTimers(*definition, claim);
  // Paused by hand and resumed, by contrast, the run goes on with the time it had left.
  claim.Must("hold", kPartner, At("2026-12-01T14:00:00Z"));
  claim.Must("retry", kPartner, At("2026-12-01T15:00:00Z"));
  EXPECT_EQ(TimerIn(claim.claim().timers, "t")->due_at, At("2026-12-01T18:00:00Z"));
  ExpectReplayIsTheClaimsTimers(*definition, claim);
}

// ---------------------------------------------------------------------------------------------
// A holiday added on Friday 4 December 2026, recomputed on Monday 7 December at noon.

class HolidayTest : public CporChangeTest {
 protected:
  void SetUp() override {
    CporChangeTest::SetUp();
    with_holiday_ = LoadCpor({}, [](std::string& calendar) {
      ReplaceOnce(calendar, "  - {date: 2026-12-25",
                  "  - {date: 2026-12-04, name: Added}\n  - {date: 2026-12-25");
    });
    ASSERT_NE(with_holiday_, nullptr);
  }
  std::optional<Decision> Recompute(const DrivenClaim& claim) const {
    return RecomputeDeadlines(*with_holiday_, claim.claim(), claim.history(), now_);
  }
  const BusinessCalendar& Calendar() const {
    return with_holiday_->FindCalendar("business")->calendar;
  }

  std::shared_ptr<const Definition> with_holiday_;
  const absl::Time now_ = At("2026-12-07T12:00:00-08:00");
  const absl::Time submitted_ = At("2026-11-30T11:00:00-08:00");  // created 09:00, Monday
};

TEST_F(HolidayTest, MovesEachArmedDeadlineByTheBusinessDayRule) {
  DrivenClaim claim = Submitted(At("2026-11-30T09:00:00-08:00"));
  claim.Must("start_review", kReviewer, At("2026-12-01T09:00:00-08:00"));
  // review_decision from Tuesday 1 December: 5 business days were Wed 2, Thu 3, Fri 4, Mon 7,
  // Tue 8, due when Tuesday ends; without Friday, Wednesday 9 is the fifth.
  EXPECT_EQ(TimerIn(claim.claim().timers, "review_decision")->due_at,
            At("2026-12-09T00:00:00-08:00"));
  // overall_decision from Monday 30 November: 10 business days to Monday 14 December; with
  // the holiday to Tuesday 15 December.
  EXPECT_EQ(TimerIn(claim.claim().timers, "overall_decision")->due_at,
            At("2026-12-15T00:00:00-08:00"));

  std::optional<Decision> d = Recompute(claim);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->name, "recompute_deadlines");
  EXPECT_EQ(d->to_state, "under_review");
  EXPECT_EQ(d->state_entered_at, claim.claim().state_entered_at);
  ASSERT_EQ(d->timers.size(), 2u);
  EXPECT_EQ(TimerIn(d->timers, "review_decision")->due_at, At("2026-12-10T00:00:00-08:00"));
  EXPECT_EQ(TimerIn(d->timers, "review_decision")->started_at, At("2026-12-01T09:00:00-08:00"));
  EXPECT_EQ(TimerIn(d->timers, "overall_decision")->due_at, At("2026-12-16T00:00:00-08:00"));
  EXPECT_EQ(d->next_deadline, At("2026-12-10T00:00:00-08:00"));
  ASSERT_EQ(d->history.size(), 1u);
  EXPECT_EQ(d->history[0].kind, HistoryKind::kDeadlineChange);
  EXPECT_EQ(d->history[0].actor_id, "system");
  // In the order of the claim's timers: overall_decision started on submission.
  EXPECT_THAT(
      d->history[0].changes,
      ElementsAre(
          FieldChange{"timer/overall_decision", "2026-12-15T08:00:00Z", "2026-12-16T08:00:00Z"},
          FieldChange{"timer/review_decision", "2026-12-09T08:00:00Z", "2026-12-10T08:00:00Z"}));
  ASSERT_EQ(d->events.size(), 1u);
  EXPECT_EQ(d->events[0].type, "claim.deadlines_changed");
  EXPECT_EQ(d->events[0].claim_id, "01JCLAIM");
  EXPECT_EQ(d->events[0].partner_id, "partner-1");
  EXPECT_EQ(d->events[0].time, now_);
  EXPECT_THAT(d->events[0].attributes,
              ElementsAre(Pair("overall_decision_due_at", "2026-12-16T08:00:00Z"),
                          Pair("overall_decision_previous_due_at", "2026-12-15T08:00:00Z"),
                          Pair("review_decision_due_at", "2026-12-10T08:00:00Z"),
                          Pair("review_decision_previous_due_at", "2026-12-09T08:00:00Z"),
                          Pair("state", "under_review")));
  // Applied, the claim's timers are those the new calendar gives from its history.
  const Claim after = ApplyDecision(claim.claim(), *d, now_);
  EXPECT_TRUE(ReplayTimers(*with_holiday_, after, claim.history()).moves.empty());
  EXPECT_EQ(RecomputeDeadlines(*with_holiday_, after, claim.history(), now_), std::nullopt);
}

TEST_F(HolidayTest, PausedTimersKeepTheBusinessTimeTheyHadLeft) {
  // Paused on Thursday 3 December, before the holiday: the time left is business time, which
  // the holiday does not shorten; only partner_response, running over it, moves.
  DrivenClaim before_holiday = Submitted(At("2026-11-30T09:00:00-08:00"));
  before_holiday.Must("start_review", kReviewer, At("2026-12-01T09:00:00-08:00"));
  before_holiday.Must("request_info", kReviewer, At("2026-12-03T11:00:00-08:00"),
                      {"missing_all_poe"}, "please upload the PoE");
  const TimerInstance* paused = TimerIn(before_holiday.claim().timers, "overall_decision");
  ASSERT_EQ(paused->status, TimerStatus::kPaused);
  // Thursday 13 hours, Friday 4, Mon 7 .. Fri 11, Mon 14: 7 days and 13 hours.
  EXPECT_EQ(paused->remaining, absl::Hours(7 * 24 + 13));
  std::optional<Decision> d = Recompute(before_holiday);
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->timers.size(), 1u);
  // From Thursday 3 December 11:00: Fri 4 (now a holiday), Mon 7, Tue 8, Wed 9, Thu 10 was
  // the fifth; now Fri 11 is.
  EXPECT_EQ(d->timers[0].name, "partner_response");
  EXPECT_EQ(TimerIn(before_holiday.claim().timers, "partner_response")->due_at,
            At("2026-12-11T00:00:00-08:00"));
  EXPECT_EQ(d->timers[0].due_at, At("2026-12-12T00:00:00-08:00"));
  const TimerReplay replay =
      ReplayTimers(*with_holiday_, before_holiday.claim(), before_holiday.history());
  EXPECT_EQ(TimerIn(replay.timers, "overall_decision")->remaining, absl::Hours(7 * 24 + 13));

  // Paused on Monday 7 December, after it: the time between the start and the pause no longer
  // counts Friday, so one business day more is left.
  DrivenClaim after_holiday = Submitted(At("2026-11-30T09:00:00-08:00"));
  after_holiday.Must("start_review", kReviewer, At("2026-12-01T09:00:00-08:00"));
  after_holiday.Must("request_info", kReviewer, At("2026-12-07T11:00:00-08:00"),
                     {"missing_all_poe"}, "please upload the PoE");
  // Monday 13 hours, Tue 8 .. Fri 11, Mon 14: 5 days and 13 hours.
  EXPECT_EQ(TimerIn(after_holiday.claim().timers, "overall_decision")->remaining,
            absl::Hours(5 * 24 + 13));
  d = Recompute(after_holiday);
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->timers.size(), 1u);
  EXPECT_EQ(d->timers[0].name, "overall_decision");
  EXPECT_EQ(d->timers[0].status, TimerStatus::kPaused);
  EXPECT_EQ(d->timers[0].remaining, absl::Hours(6 * 24 + 13));
  EXPECT_THAT(
      d->history[0].changes,
      ElementsAre(FieldChange{"timer/overall_decision", "paused, 133h left", "paused, 157h left"}));
  // Resumed, the new remaining time runs out when the holiday-aware deadline falls.
  EXPECT_EQ(Calendar().Resume(now_, d->timers[0].remaining, DurationUnit::kBusinessDays),
            Calendar().Resume(now_, absl::Hours(6 * 24 + 13), DurationUnit::kBusinessDays));
}

TEST_F(HolidayTest, LeavesClaimsWhoseTimersFiredOrBreached) {
  // Approved on 24 November: the consent period fired on 1 December, the claim went on to
  // incentive assessment; every other timer was stopped on the way.
  DrivenClaim fired = Submitted(At("2026-11-23T09:00:00-08:00"));
  fired.Must("start_review", kReviewer, At("2026-11-23T12:00:00-08:00"));
  fired.Must("approve", kReviewer, At("2026-11-24T09:00:00-08:00"));
  fired.Sweep(At("2026-12-02T00:00:00-08:00"), /*late=*/false);
  ASSERT_EQ(TimerIn(fired.claim().timers, "consent_period")->status, TimerStatus::kFired);
  EXPECT_EQ(Recompute(fired), std::nullopt);

  // Never reviewed: review_start and overall_decision both breached before the holiday.
  DrivenClaim breached = Submitted(At("2026-11-16T09:00:00-08:00"));
  breached.Sweep(now_, /*late=*/false);
  ASSERT_EQ(TimerIn(breached.claim().timers, "review_start")->status, TimerStatus::kBreached);
  ASSERT_EQ(TimerIn(breached.claim().timers, "overall_decision")->status, TimerStatus::kBreached);
  EXPECT_EQ(Recompute(breached), std::nullopt);
  const TimerReplay replay = ReplayTimers(*with_holiday_, breached.claim(), breached.history());
  EXPECT_TRUE(replay.timers == breached.claim().timers);
}

TEST_F(HolidayTest, AWarningSentForTheOldDeadlineIsSentAgainForTheNewOne) {
  // Submitted Monday 30 November: review_start is due when Monday 7 December ends, warned a
  // business day before, at Monday 00:00.
  DrivenClaim claim = Submitted(At("2026-11-30T09:00:00-08:00"));
  claim.Sweep(At("2026-12-07T06:00:00-08:00"), /*late=*/false);
  const TimerInstance* warned = TimerIn(claim.claim().timers, "review_start");
  ASSERT_TRUE(warned->warned);
  EXPECT_EQ(warned->warn_at, At("2026-12-07T00:00:00-08:00"));
  EXPECT_EQ(claim.claim().sla_status, SlaStatus::kAtRisk);
  std::optional<Decision> d = Recompute(claim);
  ASSERT_TRUE(d.has_value());
  const TimerInstance* moved = TimerIn(d->timers, "review_start");
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->due_at, At("2026-12-09T00:00:00-08:00"));
  EXPECT_EQ(moved->warn_at, At("2026-12-08T00:00:00-08:00"));
  EXPECT_FALSE(moved->warned);
  EXPECT_EQ(d->sla_status, SlaStatus::kOnTrack);
  // Once the new warning time has passed, a recompute keeps the warning as sent.
  d = RecomputeDeadlines(*with_holiday_, claim.claim(), claim.history(),
                         At("2026-12-08T06:00:00-08:00"));
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(TimerIn(d->timers, "review_start")->warned);
  EXPECT_EQ(d->sla_status, SlaStatus::kAtRisk);
}

// ---------------------------------------------------------------------------------------------
// MigrateClaim.

class MigrateTest : public CporChangeTest {
 protected:
  void SetUp() override {
    CporChangeTest::SetUp();
    v2_ = LoadCpor([](std::string& text) {
      ReplaceOnce(text, "version: 1\n", "version: 2\nmigrate_from: {version: 1}\n");
      ReplaceOnce(text, "duration: {business_days: 5}", "duration: {business_days: 10}",
                  text.find("- id: review_decision"));
    });
    ASSERT_NE(v2_, nullptr);
  }
  std::shared_ptr<const Definition> v2_;
  const absl::Time now_ = At("2026-12-07T12:00:00-08:00");
};

TEST_F(MigrateTest, MovesTheClaimAndReplaysItsTimersUnderTheNewVersion) {
  DrivenClaim claim = Submitted(At("2026-11-30T09:00:00-08:00"));
  claim.Must("start_review", kReviewer, At("2026-12-01T09:00:00-08:00"));
  const TimerInstance before = *TimerIn(claim.claim().timers, "review_decision");
  auto outcome = MigrateClaim(v1(), *v2_, claim.claim(), claim.history(), now_);
  ASSERT_TRUE(std::holds_alternative<Decision>(outcome))
      << std::get<ChangeRefusal>(outcome).message;
  const Decision& d = std::get<Decision>(outcome);
  EXPECT_EQ(d.name, "migrate");
  EXPECT_EQ(d.from_state, "under_review");
  EXPECT_EQ(d.to_state, "under_review");
  EXPECT_EQ(d.state_entered_at, At("2026-12-01T09:00:00-08:00"));
  EXPECT_EQ(d.workflow_version, 2);
  // 5 business days more: Wed 9, Thu 10, Fri 11, Mon 14, Tue 15.
  ASSERT_EQ(d.timers.size(), 1u);
  EXPECT_EQ(d.timers[0].name, "review_decision");
  EXPECT_EQ(d.timers[0].started_at, before.started_at);
  EXPECT_EQ(before.due_at, At("2026-12-09T00:00:00-08:00"));
  EXPECT_EQ(d.timers[0].due_at, At("2026-12-16T00:00:00-08:00"));
  EXPECT_EQ(v2_->FindCalendar("business")
                ->calendar.BusinessTimeBetween(before.due_at, d.timers[0].due_at),
            absl::Hours(5 * 24));
  EXPECT_EQ(d.next_deadline, At("2026-12-15T00:00:00-08:00"));  // overall_decision, unmoved
  ASSERT_EQ(d.history.size(), 1u);
  EXPECT_EQ(d.history[0].kind, HistoryKind::kMigration);
  EXPECT_EQ(d.history[0].name, "migrate");
  EXPECT_EQ(d.history[0].from_state, "under_review");
  EXPECT_EQ(d.history[0].to_state, "under_review");
  EXPECT_THAT(d.history[0].changes,
              ElementsAre(FieldChange{"workflow_version", "1", "2"},
                          FieldChange{"timer/review_decision", "2026-12-09T08:00:00Z",
                                      "2026-12-16T08:00:00Z"}));
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].type, "claim.migrated");
  EXPECT_EQ(d.events[0].claim_id, "01JCLAIM");
  EXPECT_EQ(d.events[0].partner_id, "partner-1");
  EXPECT_EQ(d.events[0].time, now_);
  EXPECT_THAT(d.events[0].attributes,
              ElementsAre(Pair("from_state", "under_review"), Pair("from_version", "1"),
                          Pair("to_state", "under_review"), Pair("to_version", "2")));

  // Applied, the claim runs version 2, and the engine of version 2 carries on from there; a
  // second migration is refused, since the claim no longer runs version 1.
  Claim migrated = ApplyDecision(claim.claim(), d, now_);
  EXPECT_EQ(migrated.workflow_version, 2);
  std::vector<HistoryEntry> history = claim.history();
  HistoryEntry entry = d.history[0];
  entry.sequence = static_cast<int64_t>(history.size()) + 1;
  history.push_back(entry);
  EXPECT_TRUE(ReplayTimers(*v2_, migrated, history).moves.empty());
  auto again = MigrateClaim(v1(), *v2_, migrated, history, now_);
  ASSERT_TRUE(std::holds_alternative<ChangeRefusal>(again));
  EXPECT_EQ(std::get<ChangeRefusal>(again).reason, "WRONG_WORKFLOW_VERSION");
}

// A warning sent under the old version at a time past the new, shorter deadline stays a
// warning: the run is still armed, with its deadline passed, for the scheduler to breach at its
// next sweep, rather than breached or stopped without the breach being announced.
TEST_F(MigrateTest, AShorterDeadlineAlreadyPassedLeavesTheTimerArmedAndDue) {
  auto shorter = LoadCpor([](std::string& text) {
    ReplaceOnce(text, "version: 1\n", "version: 2\nmigrate_from: {version: 1}\n");
    ReplaceOnce(text, "duration: {business_days: 5}", "duration: {business_days: 2}",
                text.find("- id: review_start"));
  });
  ASSERT_NE(shorter, nullptr);
  DrivenClaim claim = Submitted(At("2026-11-30T09:00:00-08:00"));
  claim.Sweep(At("2026-12-07T06:00:00-08:00"), /*late=*/false);
  ASSERT_TRUE(TimerIn(claim.claim().timers, "review_start")->warned);
  auto outcome = MigrateClaim(v1(), *shorter, claim.claim(), claim.history(), now_);
  ASSERT_TRUE(std::holds_alternative<Decision>(outcome));
  const Decision& d = std::get<Decision>(outcome);
  const TimerInstance* review_start = TimerIn(d.timers, "review_start");
  ASSERT_NE(review_start, nullptr);
  EXPECT_EQ(review_start->status, TimerStatus::kArmed);
  // Tue 1 and Wed 2 December: due when Wednesday ends, before now.
  EXPECT_EQ(review_start->due_at, At("2026-12-03T00:00:00-08:00"));
  EXPECT_TRUE(review_start->warned);
  EXPECT_EQ(d.next_deadline, At("2026-12-03T00:00:00-08:00"));
  // The engine of version 2 breaches it at once.
  const Claim migrated = ApplyDecision(claim.claim(), d, now_);
  const Engine v2(shorter);
  std::optional<Decision> breach = v2.FireTimer(migrated, "review_start", now_);
  ASSERT_TRUE(breach.has_value());
  EXPECT_EQ(TimerIn(breach->timers, "review_start")->status, TimerStatus::kBreached);
}

TEST_F(MigrateTest, RefusesWithoutMigrateFrom) {
  DrivenClaim claim = Submitted(At("2026-11-30T09:00:00-08:00"));
  Definition no_migration = *v2_;
  no_migration.migrate_from.reset();
  auto outcome = MigrateClaim(v1(), no_migration, claim.claim(), claim.history(), now_);
  ASSERT_TRUE(std::holds_alternative<ChangeRefusal>(outcome));
  EXPECT_EQ(std::get<ChangeRefusal>(outcome).reason, "NO_MIGRATION");
}

TEST(MigrateSmallTest, MapsARenamedStateAndKeepsItsTimerRunning) {
  auto v1 = MustLoad(kSmallV1, "v1.yaml");
  // The same SLA as v1, on the state's new name.
  std::string v2_text = SmallV2("migrate_from: {version: 1, states: {review: checking}}");
  ReplaceOnce(v2_text, "{business_days: 5}, calendar: eu", "{business_days: 2}, calendar: cal");
  auto v2 = MustLoad(v2_text, "v2.yaml");
  auto stranding = MustLoad(SmallV2("migrate_from: {version: 1}"), "v2.yaml");
  ASSERT_TRUE(v1 && v2 && stranding);
  const Engine engine(v1);
  const Actor partner{"pat", {"partner"}, "p"};
  Claim draft;
  draft.id = "c1";
  draft.partner_id = "p";
  draft.workflow_name = "t";
  draft.workflow_version = 1;
  const absl::Time created = At("2026-12-01T09:00:00Z");
  const Decision create = MustDecide(engine.Create(draft, partner, created));
  Claim claim = ApplyDecision(draft, create, created);
  const absl::Time submitted = At("2026-12-01T10:00:00Z");
  const Decision submit =
      MustDecide(engine.Decide(claim, {"submit", {}, "", {}}, partner, submitted));
  claim = ApplyDecision(claim, submit, submitted);
  std::vector<HistoryEntry> history;
  for (const Decision* decision : {&create, &submit}) {
    for (HistoryEntry entry : decision->history) {
      entry.sequence = static_cast<int64_t>(history.size()) + 1;
      history.push_back(std::move(entry));
    }
  }
  const absl::Time now = At("2026-12-02T09:00:00Z");

  auto outcome = MigrateClaim(*v1, *v2, claim, history, now);
  ASSERT_TRUE(std::holds_alternative<Decision>(outcome));
  const Decision& d = std::get<Decision>(outcome);
  EXPECT_EQ(d.to_state, "checking");
  EXPECT_EQ(d.state_entered_at, submitted);
  EXPECT_THAT(d.timers, IsEmpty());  // sla runs on as it was: started on entering review
  EXPECT_THAT(d.history[0].changes, ElementsAre(FieldChange{"workflow_version", "1", "2"}));
  const Claim migrated = ApplyDecision(claim, d, now);
  EXPECT_EQ(migrated.state, "checking");
  EXPECT_EQ(TimerIn(migrated.timers, "sla")->due_at, At("2026-12-04T00:00:00Z"));

  // A state v2 neither has nor maps strands the claim.
  auto stranded = MigrateClaim(*v1, *stranding, claim, history, now);
  ASSERT_TRUE(std::holds_alternative<ChangeRefusal>(stranded));
  EXPECT_EQ(std::get<ChangeRefusal>(stranded).reason, "STATE_NOT_MAPPED");
  EXPECT_EQ(std::get<ChangeRefusal>(stranded).message,
            "state 'review' of claim c1 is not in version 2 and its migrate_from does not map it");

  // A claim of another version is not this migration's.
  Claim other = claim;
  other.workflow_version = 2;
  auto wrong = MigrateClaim(*v1, *v2, other, history, now);
  ASSERT_TRUE(std::holds_alternative<ChangeRefusal>(wrong));
  EXPECT_EQ(std::get<ChangeRefusal>(wrong).reason, "WRONG_WORKFLOW_VERSION");
}

// ---------------------------------------------------------------------------------------------
// migrate_from in the YAML.

std::vector<std::string> LoadProblems(const std::string& text) {
  return Messages(LoadDefinition(text, "v2.yaml").diagnostics);
}

TEST(MigrateFromYamlTest, LoadsTheMappingInFileOrderWithPositions) {
  auto v2 = MustLoad(
      SmallV2("migrate_from:\n  version: 1\n  states: {review: checking, open: open}"), "v2.yaml");
  ASSERT_NE(v2, nullptr);
  ASSERT_TRUE(v2->migrate_from.has_value());
  EXPECT_EQ(v2->migrate_from->from_version, 1);
  EXPECT_THAT(v2->migrate_from->states,
              ElementsAre(Pair("review", "checking"), Pair("open", "open")));
  EXPECT_EQ(v2->migrate_from->position.line, 4);
  EXPECT_EQ(v2->migrate_from->position.column, 3);
  ASSERT_EQ(v2->migrate_from->state_positions.size(), 2u);
  EXPECT_EQ(v2->migrate_from->state_positions[1].first.line, 5);
  EXPECT_EQ(v2->migrate_from->state_positions[1].first.column, 30);
}

TEST(MigrateFromYamlTest, VersionMustBeOlderAndPositive) {
  EXPECT_THAT(LoadProblems(SmallV2("migrate_from: {version: 2}")),
              ElementsAre("v2.yaml:3:25: migrate_from version (2) must be lower than this "
                          "workflow's version (2)"));
  EXPECT_THAT(LoadProblems(SmallV2("migrate_from: {version: 0}")),
              ElementsAre("v2.yaml:3:25: migrate_from version must be at least 1, found 0"));
  EXPECT_THAT(LoadProblems(SmallV2("migrate_from: {states: {review: checking}}")),
              ElementsAre("v2.yaml:3:15: migrate_from is missing required key 'version'"));
}

TEST(MigrateFromYamlTest, TargetsMustBeStatesOfThisVersion) {
  EXPECT_THAT(LoadProblems(SmallV2("migrate_from: {version: 1, states: {review: checkin}}")),
              ElementsAre("v2.yaml:3:45: migrate_from maps 'review' to unknown state 'checkin' "
                          "(did you mean 'checking'?)"));
}

TEST(MigrateFromYamlTest, AStateIsMappedOnce) {
  EXPECT_THAT(
      LoadProblems(SmallV2("migrate_from:\n  version: 1\n  states:\n    review: checking\n"
                           "    review: open")),
      ElementsAre("v2.yaml:7:5: state 'review' is mapped twice in migrate_from (first at line 6)"));
}

TEST(MigrateFromYamlTest, StatesAreAMappingOfIds) {
  EXPECT_THAT(LoadProblems(SmallV2("migrate_from: {version: 1, states: [review]}")),
              ElementsAre("v2.yaml:3:36: migrate_from states is a mapping of old state ids to "
                          "new ones"));
  EXPECT_THAT(LoadProblems(SmallV2("migrate_from: {version: 1, states: {Review: checking}}")),
              ElementsAre("v2.yaml:3:37: 'Review' is not an id: use lower_snake_case (a-z, 0-9, "
                          "_), at most 64 characters, starting with a letter"));
  EXPECT_THAT(LoadProblems(SmallV2("migrate_from: {version: 1, stats: {}}")),
              ElementsAre("v2.yaml:3:28: unknown key 'stats' in migrate_from (did you mean "
                          "'states'?)"));
}

}  // namespace
}  // namespace claims::workflow
