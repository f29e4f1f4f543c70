// The engine's generic semantics over a small definition built in code: check order, inputs,
// guards, timers (start, pause, resume, stop, warning, breach, deadline transitions), edits,
// comments and evidence. The CPOR rules over the shipped YAML are in cpor_rules_test.cc.

#include "workflow/engine.h"

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/outcome_helpers.h"
#include "workflow/decision.h"
#include "workflow/definition.h"

namespace claims::workflow {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

using ::claims::testing::At;
using ::claims::testing::MustDecide;
using ::claims::testing::MustRefuse;
using ::claims::testing::TimerIn;

GuardDef Guard(GuardKind kind, std::string id, std::string message) {
  GuardDef guard;
  guard.kind = kind;
  guard.id = std::move(id);
  guard.message = std::move(message);
  return guard;
}

TransitionDef Transition(std::string id, std::vector<std::string> from, std::string to,
                         std::vector<std::string> roles) {
  TransitionDef t;
  t.id = std::move(id);
  t.from = std::move(from);
  t.to = std::move(to);
  t.roles = std::move(roles);
  return t;
}

EventDef Emit(std::string type, EventAttributes attributes = {}, std::string reasons_from = "",
              std::vector<std::string> deadline_of = {}) {
  EventDef event;
  event.type = std::move(type);
  event.attributes = std::move(attributes);
  event.reasons_from = std::move(reasons_from);
  event.deadline_of = std::move(deadline_of);
  return event;
}

// draft -> open -> (waiting <-> open) -> done | closed; closed -> open once, within 30 days.
std::shared_ptr<const Definition> MiniDefinition() {
  Definition d;
  d.name = "mini";
  d.version = 1;
  d.roles = {{"partner", "Partner", Perspective::kPartner, {}},
             {"reviewer", "Reviewer", Perspective::kReviewer, {}},
             {"customer", "Customer", Perspective::kCustomer, {}},
             {"system", "System", Perspective::kSystem, {}}};
  d.catalogs = {{"reasons", "Reasons", {{"r1", "One"}, {"r2", "Two"}, {"r3", "Three"}}, {}},
                {"info", "Info", {{"i1", "One"}, {"i2", "Two"}, {"i3", "Three"}}, {}},
                {"products", "Products", {{"p1", "P1"}, {"p2", "P2"}}, {}},
                {"activities", "Activities", {{"a1", "A1"}}, {}}};
  d.calendars.push_back({"work",
                         BusinessCalendar("work", "UTC", absl::UTCTimeZone(),
                                          {absl::Weekday::saturday, absl::Weekday::sunday},
                                          {absl::CivilDay(2024, 5, 1)}),
                         {}});
  d.create = {{"partner"}, "draft", {"mpn_id", "products"}, {Emit("created")}};

  StateDef draft{"draft", "Draft", "", false, {}, {"partner"}, {"partner"}, {}};
  draft.edit_rules = {
      {{"partner"},
       {"mpn_id", "customer", "customer_contact", "partner_contact", "products", "activity"}}};
  StateDef open{"open", "Open", "", false, {}, {}, {"partner", "reviewer"}, {}};
  open.edit_rules = {{{"partner"}, {"products"}}};
  StateDef waiting{"waiting", "Waiting", "", false, {}, {"partner"}, {"partner", "reviewer"}, {}};
  StateDef done{"done", "Done", "", true, {}, {}, {}, {}};
  StateDef closed{"closed", "Closed", "", false, {}, {}, {"partner"}, {}};
  d.states = {draft, open, waiting, done, closed};

  TransitionDef submit = Transition("submit", {"draft"}, "open", {"partner"});
  GuardDef min_evidence = Guard(GuardKind::kMinEvidence, "min_evidence", "upload evidence first");
  min_evidence.count = 1;
  submit.guards = {min_evidence};
  submit.events = {Emit("submitted", {{"channel", "portal"}})};

  TransitionDef ask = Transition("ask", {"open"}, "waiting", {"reviewer"});
  ask.inputs.reasons = ReasonInput{"info", 1, 2, {}};
  ask.inputs.comment = Requirement::kRequired;

  TransitionDef answer = Transition("answer", {"waiting"}, "open", {"partner"});
  answer.inputs.comment_or_new_evidence = true;

  TransitionDef accept = Transition("accept", {"open"}, "done", {"reviewer"});
  accept.inputs.comment = Requirement::kForbidden;

  TransitionDef close = Transition("close", {"open"}, "closed", {"reviewer"});
  close.inputs.reasons = ReasonInput{"reasons", 1, 1, {}};

  TransitionDef expire = Transition("expire", {"waiting"}, "closed", {"system"});
  expire.inputs.reasons = ReasonInput{"reasons", 1, 1, {}};

  TransitionDef withdraw = Transition("withdraw", {"draft", "open"}, "closed", {"partner"});
  withdraw.implied_reasons = ReasonSet{"reasons", {"r3"}};
  withdraw.inputs.new_evidence = Requirement::kForbidden;

  TransitionDef reopen = Transition("reopen", {"closed"}, "open", {"partner"});
  GuardDef within = Guard(GuardKind::kWithinDuration, "within_30_days", "too late: start over");
  within.duration = {30, DurationUnit::kDays};
  within.calendar = "work";
  GuardDef once = Guard(GuardKind::kMaxTimesTaken, "once", "reopened already");
  once.count = 1;
  GuardDef not_withdrawn = Guard(GuardKind::kLastReasonNotIn, "not_withdrawn", "withdrawn");
  not_withdrawn.catalog = "reasons";
  not_withdrawn.codes = {"r3"};
  reopen.guards = {within, once, not_withdrawn};
  reopen.inputs.new_evidence = Requirement::kRequired;

  TransitionDef escalate = Transition("escalate", {"open"}, "open", {"reviewer"});
  GuardDef has_activity = Guard(GuardKind::kFieldPresent, "has_activity", "");
  has_activity.field = "activity";
  GuardDef after_r1 = Guard(GuardKind::kLastReasonIn, "after_r1", "only after r1");
  after_r1.catalog = "reasons";
  after_r1.codes = {"r1"};
  escalate.guards = {has_activity, after_r1};
  d.transitions = {submit, ask, answer, accept, close, expire, withdraw, reopen, escalate};

  TimerDef respond;
  respond.id = "respond";
  respond.duration = {2, DurationUnit::kBusinessDays};
  respond.calendar = "work";
  respond.start_on = {"waiting"};
  respond.stop_on = {"open", "closed"};
  respond.on_deadline = DeadlineAction::kTransition;
  respond.transition = "expire";
  respond.reasons = {"r2"};
  respond.events = {Emit("no_answer")};

  TimerDef review;
  review.id = "review";
  review.duration = {3, DurationUnit::kBusinessDays};
  review.calendar = "work";
  review.start_on = {"open"};
  review.pause_in = {"waiting"};
  review.stop_on = {"done", "closed"};
  review.on_deadline = DeadlineAction::kBreach;
  review.events = {Emit("review_late", {{"escalate_to", "lead"}})};
  review.warn_before = WorkflowDuration{1, DurationUnit::kBusinessDays};
  review.warning_events = {Emit("review_due_soon")};

  TimerDef quick;
  quick.id = "quick";
  quick.duration = {4, DurationUnit::kHours};
  quick.start_on = {"open"};
  quick.stop_on = {"waiting", "done", "closed"};
  d.timers = {respond, review, quick};
  return std::make_shared<const Definition>(std::move(d));
}

class EngineTest : public ::testing::Test {
 protected:
  // Tuesday 10:00 UTC.
  const absl::Time t0_ = At("2024-04-23T10:00:00Z");
  const Actor partner_{"pat", {"partner"}, "acme"};
  const Actor reviewer_{"rita", {"reviewer"}, ""};
  const Actor customer_{"cody", {"customer"}, ""};
  Engine engine_{MiniDefinition()};

  Claim Draft() const {
    Claim claim;
    claim.id = "c1";
    claim.partner_id = "acme";
    claim.fields.mpn_id = "123";
    claim.fields.products = {"p1"};
    return claim;
  }

  Claim Created() const {
    const Claim draft = Draft();
    return ApplyDecision(draft, MustDecide(engine_.Create(draft, partner_, t0_)), t0_);
  }

  Claim Apply(const Claim& claim, const Outcome& outcome, absl::Time now) const {
    return ApplyDecision(claim, MustDecide(outcome), now);
  }

  Claim WithEvidence(const Claim& claim, absl::Time now) const {
    Evidence evidence;
    evidence.file_name = "poe.pdf";
    evidence.size_bytes = 10;
    return Apply(claim, engine_.AddEvidence(claim, evidence, partner_, now), now);
  }

  Claim Open() const {
    const Claim claim = WithEvidence(Created(), t0_);
    return Apply(claim, engine_.Decide(claim, {"submit", {}, "", {}}, partner_, t0_), t0_);
  }

  Claim Waiting(absl::Time at) const {
    const Claim claim = Open();
    return Apply(claim,
                 engine_.Decide(claim, {"ask", {"i1"}, "which customer?", {}}, reviewer_, at), at);
  }
};

TEST_F(EngineTest, CreatePutsTheClaimInTheInitialState) {
  const Decision d = MustDecide(engine_.Create(Draft(), partner_, t0_));
  EXPECT_EQ(d.name, "create");
  EXPECT_EQ(d.to_state, "draft");
  EXPECT_EQ(d.state_entered_at, t0_);
  ASSERT_TRUE(d.fields.has_value());
  EXPECT_EQ(d.fields->mpn_id, "123");
  EXPECT_THAT(d.timers, IsEmpty());
  EXPECT_EQ(d.next_deadline, absl::InfiniteFuture());
  ASSERT_EQ(d.history.size(), 1u);
  EXPECT_EQ(d.history[0].kind, HistoryKind::kCreated);
  EXPECT_EQ(d.history[0].actor_id, "pat");
  EXPECT_EQ(d.history[0].perspective, Perspective::kPartner);
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].type, "created");
  EXPECT_EQ(d.events[0].claim_id, "c1");
  EXPECT_EQ(d.events[0].partner_id, "acme");
  EXPECT_EQ(d.events[0].attributes.at("to_state"), "draft");
}

TEST_F(EngineTest, CreateChecksRolesRequiredFieldsAndCatalogs) {
  EXPECT_EQ(MustRefuse(engine_.Create(Draft(), reviewer_, t0_)).code,
            RejectionCode::kRoleNotAllowed);
  Claim draft = Draft();
  draft.fields.mpn_id = " ";
  draft.fields.products = {"p1", "nope", "p1"};
  draft.fields.activity = "a9";
  const Rejection r = MustRefuse(engine_.Create(draft, partner_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kInvalidInput);
  EXPECT_EQ(r.reason, "INVALID_INPUT");
  EXPECT_THAT(r.violations, ElementsAre(Field(&FieldViolation::field, "mpn_id"),
                                        Field(&FieldViolation::field, "products"),
                                        Field(&FieldViolation::field, "products"),
                                        Field(&FieldViolation::field, "activity")));
}

TEST_F(EngineTest, ChecksComeInOrderActionStateRoleInputsGuards) {
  const Claim claim = Created();
  // Unknown action.
  Rejection r = MustRefuse(engine_.Decide(claim, {"fly", {}, "", {}}, reviewer_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kUnknownAction);
  EXPECT_EQ(r.reason, "UNKNOWN_ACTION");
  // Known, not from draft, even though the reviewer could not do it anyway.
  r = MustRefuse(engine_.Decide(claim, {"ask", {}, "", {}}, partner_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kActionNotAvailable);
  EXPECT_EQ(r.reason, "ACTION_NOT_AVAILABLE");
  // From draft, wrong role, even though the guard fails too.
  r = MustRefuse(engine_.Decide(claim, {"submit", {}, "", {}}, reviewer_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kRoleNotAllowed);
  EXPECT_EQ(r.reason, "ROLE_NOT_ALLOWED");
  // Right role, bad input, failing guard: the input is reported.
  r = MustRefuse(engine_.Decide(claim, {"submit", {"r1"}, "", {}}, partner_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kInvalidInput);
  // Good input, failing guard.
  r = MustRefuse(engine_.Decide(claim, {"submit", {}, "", {}}, partner_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kGuardFailed);
  EXPECT_EQ(r.reason, "GUARD_FAILED");
  EXPECT_EQ(r.guard, "min_evidence");
  EXPECT_EQ(r.message, "upload evidence first");
}

TEST_F(EngineTest, RejectionsListTheActorsAvailableActionsSorted) {
  const Claim claim = Created();
  // submit's guard fails without evidence, so only withdraw is open to the partner.
  EXPECT_THAT(
      MustRefuse(engine_.Decide(claim, {"fly", {}, "", {}}, partner_, t0_)).available_actions,
      ElementsAre("withdraw"));
  const Claim with_evidence = WithEvidence(claim, t0_);
  EXPECT_THAT(MustRefuse(engine_.Decide(with_evidence, {"fly", {}, "", {}}, partner_, t0_))
                  .available_actions,
              ElementsAre("submit", "withdraw"));
  EXPECT_THAT(MustRefuse(engine_.Decide(with_evidence, {"fly", {}, "", {}}, reviewer_, t0_))
                  .available_actions,
              IsEmpty());
  EXPECT_THAT(engine_.AvailableActions(Open(), reviewer_, t0_),
              ElementsAre("accept", "ask", "close"));
}

struct InputCase {
  std::string name;
  ActionRequest request;
  std::vector<std::string> fields;  // violated fields, in order; empty: accepted
};

class EngineInputTest : public EngineTest, public ::testing::WithParamInterface<InputCase> {};

TEST_P(EngineInputTest, ValidatesInputs) {
  const InputCase& c = GetParam();
  const Outcome outcome = engine_.Decide(Open(), c.request, reviewer_, t0_);
  if (c.fields.empty()) {
    MustDecide(outcome);
    return;
  }
  const Rejection r = MustRefuse(outcome);
  EXPECT_EQ(r.code, RejectionCode::kInvalidInput);
  std::vector<std::string> fields;
  for (const FieldViolation& v : r.violations) fields.push_back(v.field);
  EXPECT_EQ(fields, c.fields);
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, EngineInputTest,
    ::testing::Values(
        InputCase{"ask_ok", {"ask", {"i1"}, "why?", {}}, {}},
        InputCase{"ask_two_reasons", {"ask", {"i1", "i2"}, "why?", {}}, {}},
        InputCase{"ask_no_reason", {"ask", {}, "why?", {}}, {"reasons"}},
        InputCase{"ask_three_reasons", {"ask", {"i1", "i2", "i3"}, "why?", {}}, {"reasons"}},
        InputCase{"ask_reason_from_other_catalog", {"ask", {"r1"}, "why?", {}}, {"reasons"}},
        InputCase{"ask_duplicate_reason", {"ask", {"i1", "i1"}, "why?", {}}, {"reasons"}},
        InputCase{"ask_no_comment", {"ask", {"i1"}, "", {}}, {"comment"}},
        InputCase{"ask_blank_comment", {"ask", {"i1"}, "  \n", {}}, {"comment"}},
        InputCase{"ask_nothing", {"ask", {}, "", {}}, {"reasons", "comment"}},
        InputCase{"accept_ok", {"accept", {}, "", {}}, {}},
        InputCase{"accept_with_comment", {"accept", {}, "fine", {}}, {"comment"}},
        InputCase{"accept_with_reason", {"accept", {"r1"}, "", {}}, {"reasons"}},
        InputCase{"close_ok", {"close", {"r1"}, "", {}}, {}},
        InputCase{"close_two_reasons", {"close", {"r1", "r2"}, "", {}}, {"reasons"}}),
    [](const ::testing::TestParamInfo<InputCase>& param) { return param.param.name; });

TEST_F(EngineTest, CommentOrNewEvidenceAcceptsEitherAndRefusesNeither) {
  const absl::Time t = t0_ + absl::Hours(1);
  const Claim waiting = Waiting(t0_);
  const Rejection r = MustRefuse(engine_.Decide(waiting, {"answer", {}, "", {}}, partner_, t));
  EXPECT_EQ(r.code, RejectionCode::kInvalidInput);
  EXPECT_THAT(r.violations, ElementsAre(Field(&FieldViolation::field, "comment"),
                                        Field(&FieldViolation::field, "evidence")));
  EXPECT_EQ(MustDecide(engine_.Decide(waiting, {"answer", {}, "here", {}}, partner_, t)).to_state,
            "open");
  const Claim with_new = WithEvidence(waiting, t);
  EXPECT_EQ(MustDecide(engine_.Decide(with_new, {"answer", {}, "", {}}, partner_, t)).to_state,
            "open");
}

TEST_F(EngineTest, EvidenceFromAnEarlierStateIsNotNew) {
  // The evidence uploaded in draft does not count once the claim has moved on.
  const Claim open = Open();
  EXPECT_EQ(open.evidence_count, 1);
  EXPECT_EQ(open.facts.evidence_added_in_state, 0);
  const Claim closed =
      Apply(open, engine_.Decide(open, {"close", {"r1"}, "", {}}, reviewer_, t0_), t0_);
  const Rejection r = MustRefuse(engine_.Decide(closed, {"reopen", {}, "", {}}, partner_, t0_));
  EXPECT_THAT(r.violations, ElementsAre(Field(&FieldViolation::field, "evidence")));
}

TEST_F(EngineTest, ActionUpdatesStateFactsHistoryEventsAndComments) {
  const Claim open = Open();
  const absl::Time t = t0_ + absl::Hours(2);
  const Decision d = MustDecide(engine_.Decide(
      open, {"ask", {"i2", "i1"}, "which customer?", CommentVisibility::kPublic}, reviewer_, t));
  EXPECT_EQ(d.name, "ask");
  EXPECT_EQ(d.from_state, "open");
  EXPECT_EQ(d.to_state, "waiting");
  EXPECT_EQ(d.state_entered_at, t);
  EXPECT_THAT(d.facts.action_counts, UnorderedElementsAre(Pair("submit", 1), Pair("ask", 1)));
  EXPECT_THAT(d.facts.last_reasons, ElementsAre(Pair("info", ElementsAre("i2", "i1"))));
  ASSERT_EQ(d.history.size(), 1u);
  const HistoryEntry& h = d.history[0];
  EXPECT_EQ(h.kind, HistoryKind::kAction);
  EXPECT_EQ(h.name, "ask");
  EXPECT_EQ(h.actor_id, "rita");
  EXPECT_EQ(h.perspective, Perspective::kReviewer);
  EXPECT_EQ(h.from_state, "open");
  EXPECT_EQ(h.to_state, "waiting");
  EXPECT_THAT(h.reasons, ElementsAre("i2", "i1"));
  EXPECT_EQ(h.comment, "which customer?");
  EXPECT_FALSE(h.internal_comment);
  ASSERT_EQ(d.comments.size(), 1u);
  EXPECT_EQ(d.comments[0].author_id, "rita");
  EXPECT_EQ(d.comments[0].perspective, Perspective::kReviewer);
  EXPECT_EQ(d.comments[0].create_time, t);
  EXPECT_THAT(d.events, IsEmpty());

  const Decision submitted = MustDecide(
      engine_.Decide(WithEvidence(Created(), t0_), {"submit", {}, "", {}}, partner_, t0_));
  ASSERT_EQ(submitted.events.size(), 1u);
  const Event& e = submitted.events[0];
  EXPECT_EQ(e.type, "submitted");
  EXPECT_EQ(e.claim_id, "c1");
  EXPECT_EQ(e.partner_id, "acme");
  EXPECT_EQ(e.time, t0_);
  EXPECT_THAT(e.attributes,
              UnorderedElementsAre(Pair("channel", "portal"), Pair("action", "submit"),
                                   Pair("from_state", "draft"), Pair("to_state", "open"),
                                   Pair("actor", "pat")));
}

TEST_F(EngineTest, StateChangeResetsPerStateCountersAndAStayKeepsThem) {
  Claim open = Open();
  open.facts.comments_added_in_state = 2;
  open.facts.evidence_added_in_state = 1;
  open.facts.last_reasons["reasons"] = {"r1"};
  open.fields.activity = "a1";
  const Decision moved =
      MustDecide(engine_.Decide(open, {"close", {"r2"}, "", {}}, reviewer_, t0_));
  EXPECT_EQ(moved.facts.comments_added_in_state, 0);
  EXPECT_EQ(moved.facts.evidence_added_in_state, 0);
  const absl::Time later = t0_ + absl::Hours(1);
  const Decision stayed =
      MustDecide(engine_.Decide(open, {"escalate", {}, "note", {}}, reviewer_, later));
  EXPECT_EQ(stayed.to_state, "open");
  EXPECT_EQ(stayed.state_entered_at, open.state_entered_at);
  EXPECT_EQ(stayed.facts.comments_added_in_state, 3);
  EXPECT_EQ(stayed.facts.evidence_added_in_state, 1);
  EXPECT_THAT(stayed.timers, IsEmpty());
}

TEST_F(EngineTest, ImpliedReasonsAreRecorded) {
  const Claim claim = Created();
  const Decision d = MustDecide(engine_.Decide(claim, {"withdraw", {}, "", {}}, partner_, t0_));
  EXPECT_THAT(d.facts.last_reasons, ElementsAre(Pair("reasons", ElementsAre("r3"))));
  EXPECT_THAT(d.history[0].reasons, ElementsAre("r3"));
}

// A notice sent by an action that takes no reasons (escalate) still says why, from the reasons
// that stand; one sent by an action with reasons carries those standing once it is applied.
TEST_F(EngineTest, EventsCarryTheStandingReasonsOfTheirCatalog) {
  Definition definition = *MiniDefinition();
  for (TransitionDef& transition : definition.transitions) {
    if (transition.id == "escalate") {
      transition.events = {Emit("escalated", {}, "reasons"), Emit("noted"),
                           Emit("asked", {}, "info")};
    }
    if (transition.id == "close") transition.events = {Emit("closed", {}, "reasons")};
  }
  for (TimerDef& timer : definition.timers) {
    if (timer.id == "respond") timer.events = {Emit("no_answer", {}, "reasons")};
  }
  definition.BuildIndex();
  const Engine engine(std::make_shared<const Definition>(std::move(definition)));
  Claim open = Open();
  open.fields.activity = "a1";
  open.facts.last_reasons["reasons"] = {"r1", "r2"};

  const Decision escalated =
      MustDecide(engine.Decide(open, {"escalate", {}, "", {}}, reviewer_, t0_));
  ASSERT_THAT(escalated.events, SizeIs(3));
  EXPECT_EQ(escalated.events[0].attributes.at("reasons"), "r1,r2");
  EXPECT_FALSE(escalated.events[1].attributes.contains("reasons"));
  // No reason stands in `info`: the attribute is left out rather than sent empty.
  EXPECT_FALSE(escalated.events[2].attributes.contains("reasons"));

  const Decision closed =
      MustDecide(engine.Decide(open, {"close", {"r3"}, "", {}}, reviewer_, t0_));
  ASSERT_THAT(closed.events, SizeIs(1));
  EXPECT_EQ(closed.events[0].attributes.at("reasons"), "r3");

  // A timer's own event, beside the transition it performs: the reasons that stand after it.
  const Claim waiting = Waiting(t0_);
  const std::optional<Decision> expired =
      engine.FireTimer(waiting, "respond", TimerIn(waiting.timers, "respond")->due_at);
  ASSERT_TRUE(expired.has_value());
  ASSERT_THAT(expired->events, SizeIs(1));
  EXPECT_EQ(expired->events[0].type, "no_answer");
  EXPECT_EQ(expired->events[0].attributes.at("reasons"), "r2");
}

// An event names the transitions whose `within` windows it announces: reopen's 30 days (on the
// work calendar, in UTC) from entering closed.
TEST_F(EngineTest, EventsAnnounceWhenAWindowCloses) {
  Definition definition = *MiniDefinition();
  for (TransitionDef& transition : definition.transitions) {
    if (transition.id == "close") {
      transition.events = {Emit("closed", {}, "", {"reopen"}), Emit("plain")};
    }
  }
  definition.BuildIndex();
  const Engine engine(std::make_shared<const Definition>(std::move(definition)));
  const absl::Time closed_at = At("2024-04-24T09:30:00Z");
  const Decision closed =
      MustDecide(engine.Decide(Open(), {"close", {"r1"}, "", {}}, reviewer_, closed_at));
  ASSERT_THAT(closed.events, SizeIs(2));
  EXPECT_EQ(closed.events[0].attributes.at("reopen_deadline"), "2024-05-24T09:30:00Z");
  EXPECT_FALSE(closed.events[1].attributes.contains("reopen_deadline"));
  // The announced instant is the last one at which the window is open.
  Claim claim = ApplyDecision(Open(), closed, closed_at);
  claim.facts.evidence_added_in_state = 1;  // reopen needs new evidence
  const ActionRequest reopen{"reopen", {}, "", {}};
  MustDecide(engine.Decide(claim, reopen, partner_, At("2024-05-24T09:30:00Z")));
  EXPECT_EQ(MustRefuse(engine.Decide(claim, reopen, partner_, At("2024-05-24T09:30:01Z"))).guard,
            "within_30_days");

  // A second, shorter window on the same action closes it first: five business days on the
  // work calendar skip the weekend and 1 May, so the fifth ends with Thursday 2 May.
  Definition shorter = *MiniDefinition();
  for (TransitionDef& transition : shorter.transitions) {
    if (transition.id == "close") transition.events = {Emit("closed", {}, "", {"reopen"})};
    if (transition.id == "reopen") {
      GuardDef week = Guard(GuardKind::kWithinDuration, "within_a_week", "");
      week.duration = {5, DurationUnit::kBusinessDays};
      week.calendar = "work";
      transition.guards.push_back(week);
    }
  }
  shorter.BuildIndex();
  const Engine strict(std::make_shared<const Definition>(std::move(shorter)));
  EXPECT_EQ(MustDecide(strict.Decide(Open(), {"close", {"r1"}, "", {}}, reviewer_, closed_at))
                .events[0]
                .attributes.at("reopen_deadline"),
            "2024-05-03T00:00:00Z");
}

TEST_F(EngineTest, InternalCommentsOnlyFromReviewers) {
  const Claim open = Open();
  Rejection r = MustRefuse(engine_.Decide(
      open, {"withdraw", {}, "secret", CommentVisibility::kInternal}, partner_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kRoleNotAllowed);
  const Decision d = MustDecide(engine_.Decide(
      open, {"ask", {"i1"}, "partner seems off", CommentVisibility::kInternal}, reviewer_, t0_));
  EXPECT_EQ(d.comments[0].visibility, CommentVisibility::kInternal);
  EXPECT_TRUE(d.history[0].internal_comment);

  Comment comment;
  comment.text = "hidden";
  comment.visibility = CommentVisibility::kInternal;
  r = MustRefuse(engine_.AddComment(open, comment, partner_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kRoleNotAllowed);
  const Decision added = MustDecide(engine_.AddComment(open, comment, reviewer_, t0_));
  EXPECT_EQ(added.comments[0].visibility, CommentVisibility::kInternal);
  EXPECT_EQ(added.comments[0].perspective, Perspective::kReviewer);
  EXPECT_TRUE(added.history[0].internal_comment);
}

TEST_F(EngineTest, CommentsFollowTheStatesCommentRoles) {
  Comment comment;
  comment.text = "hello";
  const Claim draft = Created();
  EXPECT_EQ(MustRefuse(engine_.AddComment(draft, comment, reviewer_, t0_)).code,
            RejectionCode::kRoleNotAllowed);
  const Decision d = MustDecide(engine_.AddComment(draft, comment, partner_, t0_));
  EXPECT_EQ(d.name, "comment");
  EXPECT_EQ(d.to_state, "draft");
  EXPECT_EQ(d.facts.comments_added_in_state, 1);
  EXPECT_EQ(d.comments[0].author_id, "pat");
  ASSERT_EQ(d.history.size(), 1u);
  EXPECT_EQ(d.history[0].kind, HistoryKind::kComment);
  EXPECT_EQ(d.history[0].comment, "hello");
  comment.text = " ";
  EXPECT_EQ(MustRefuse(engine_.AddComment(draft, comment, partner_, t0_)).code,
            RejectionCode::kInvalidInput);

  Claim done = Open();
  done = Apply(done, engine_.Decide(done, {"accept", {}, "", {}}, reviewer_, t0_), t0_);
  comment.text = "late";
  const Rejection r = MustRefuse(engine_.AddComment(done, comment, partner_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kNotEditable);
  EXPECT_EQ(r.reason, "COMMENTS_CLOSED");
}

TEST_F(EngineTest, EvidenceFollowsTheStatesEvidenceRoles) {
  Evidence evidence;
  evidence.file_name = "poe.pdf";
  evidence.content_type = "application/pdf";
  evidence.size_bytes = 2048;
  evidence.sha256_hex = "ab";
  const Claim draft = Created();
  const Decision d = MustDecide(engine_.AddEvidence(draft, evidence, partner_, t0_));
  EXPECT_EQ(d.evidence_added, 1);
  EXPECT_EQ(d.facts.evidence_added_in_state, 1);
  ASSERT_EQ(d.evidence.size(), 1u);
  EXPECT_EQ(d.evidence[0].uploaded_by, "pat");
  EXPECT_EQ(d.evidence[0].upload_time, t0_);
  EXPECT_EQ(d.evidence[0].size_bytes, 2048);
  EXPECT_EQ(d.history[0].kind, HistoryKind::kEvidence);
  EXPECT_EQ(d.history[0].name, "poe.pdf");
  EXPECT_EQ(MustRefuse(engine_.AddEvidence(draft, evidence, reviewer_, t0_)).code,
            RejectionCode::kRoleNotAllowed);
  const Rejection r = MustRefuse(engine_.AddEvidence(Open(), evidence, partner_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kNotEditable);
  EXPECT_EQ(r.reason, "EVIDENCE_CLOSED");
  evidence.file_name = "";
  EXPECT_EQ(MustRefuse(engine_.AddEvidence(draft, evidence, partner_, t0_)).code,
            RejectionCode::kInvalidInput);
}

TEST_F(EngineTest, EditChecksFieldsEditabilityAndValues) {
  EditRequest request;
  request.fields.products = {"p2", "p1"};
  request.fields.mpn_id = "999";
  request.field_mask = {"products", "colour"};
  const Claim open = Open();
  Rejection r = MustRefuse(engine_.Edit(open, request, partner_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kInvalidInput);
  EXPECT_THAT(r.violations, ElementsAre(Field(&FieldViolation::field, "colour")));

  request.field_mask = {"products", "mpn_id"};
  r = MustRefuse(engine_.Edit(open, request, partner_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kNotEditable);
  EXPECT_EQ(r.reason, "FIELD_NOT_EDITABLE");
  EXPECT_THAT(r.violations, ElementsAre(Field(&FieldViolation::field, "mpn_id")));
  EXPECT_EQ(MustRefuse(engine_.Edit(open, request, reviewer_, t0_)).violations.size(), 2u);

  request.field_mask = {"products"};
  request.fields.products = {"p9"};
  r = MustRefuse(engine_.Edit(open, request, partner_, t0_));
  EXPECT_EQ(r.code, RejectionCode::kInvalidInput);
  request.fields.products = {};
  EXPECT_THAT(MustRefuse(engine_.Edit(open, request, partner_, t0_)).violations,
              ElementsAre(Field(&FieldViolation::field, "products")));

  request.fields.products = {"p2", "p1"};
  const Decision d = MustDecide(engine_.Edit(open, request, partner_, t0_));
  ASSERT_TRUE(d.fields.has_value());
  EXPECT_THAT(d.fields->products, ElementsAre("p2", "p1"));
  EXPECT_EQ(d.fields->mpn_id, "123");
  EXPECT_EQ(d.to_state, "open");
  ASSERT_EQ(d.history.size(), 1u);
  EXPECT_EQ(d.history[0].kind, HistoryKind::kEdit);
  EXPECT_THAT(d.history[0].changes, ElementsAre(FieldChange{"products", "p1", "p2,p1"}));
}

TEST_F(EngineTest, EditRendersContactsAndCustomers) {
  EditRequest request;
  request.fields.partner_contact = {"Ann Lee", "ann@acme.test", ""};
  request.fields.customer = {"tenant-1", "Contoso"};
  request.field_mask = {"partner_contact", "customer"};
  const Decision d = MustDecide(engine_.Edit(Created(), request, partner_, t0_));
  EXPECT_THAT(d.history[0].changes,
              ElementsAre(FieldChange{"customer", "", "Contoso (tenant-1)"},
                          FieldChange{"partner_contact", "", "Ann Lee <ann@acme.test>"}));
}

TEST_F(EngineTest, EnteringAStateArmsItsTimersOnTheCalendar) {
  const Claim open = Open();  // Tuesday 23 April 10:00 UTC
  const TimerInstance* review = TimerIn(open.timers, "review");
  ASSERT_NE(review, nullptr);
  EXPECT_EQ(review->status, TimerStatus::kArmed);
  EXPECT_EQ(review->started_at, t0_);
  // Wednesday 24, Thursday 25, Friday 26: due when Friday ends.
  EXPECT_EQ(review->due_at, At("2024-04-27T00:00:00Z"));
  EXPECT_EQ(review->warn_at, At("2024-04-26T00:00:00Z"));
  const TimerInstance* quick = TimerIn(open.timers, "quick");
  ASSERT_NE(quick, nullptr);
  EXPECT_EQ(quick->due_at, t0_ + absl::Hours(4));
  EXPECT_EQ(quick->warn_at, absl::InfiniteFuture());
  EXPECT_EQ(open.next_deadline, t0_ + absl::Hours(4));
  EXPECT_EQ(TimerIn(open.timers, "respond"), nullptr);
}

TEST_F(EngineTest, PauseStoresRemainingTimeAndResumeRestoresIt) {
  // Asked on Thursday 25 April 12:00: 12 hours of Thursday and all of Friday remain.
  const absl::Time asked = At("2024-04-25T12:00:00Z");
  const Claim open = Open();
  const Decision d =
      MustDecide(engine_.Decide(open, {"ask", {"i1"}, "which customer?", {}}, reviewer_, asked));
  const TimerInstance* review = TimerIn(d.timers, "review");
  ASSERT_NE(review, nullptr);
  EXPECT_EQ(review->status, TimerStatus::kPaused);
  EXPECT_EQ(review->remaining, absl::Hours(36));
  EXPECT_EQ(TimerIn(d.timers, "quick")->status, TimerStatus::kCancelled);
  const TimerInstance* respond = TimerIn(d.timers, "respond");
  ASSERT_NE(respond, nullptr);
  // Friday 26 and Monday 29 (1 May is a holiday but comes later): due when Monday ends.
  EXPECT_EQ(respond->due_at, At("2024-04-30T00:00:00Z"));
  EXPECT_EQ(d.next_deadline, At("2024-04-30T00:00:00Z"));
  EXPECT_EQ(d.timers.size(), 3u);

  const Claim waiting = ApplyDecision(open, d, asked);
  const absl::Time answered = At("2024-04-29T18:00:00Z");
  const Decision back =
      MustDecide(engine_.Decide(waiting, {"answer", {}, "here", {}}, partner_, answered));
  const TimerInstance* resumed = TimerIn(back.timers, "review");
  ASSERT_NE(resumed, nullptr);
  EXPECT_EQ(resumed->status, TimerStatus::kArmed);
  EXPECT_EQ(resumed->started_at, t0_);
  // Monday 29 18:00: 6 hours of Monday, 24 of Tuesday, 1 May is a holiday, 6 of Thursday.
  EXPECT_EQ(resumed->due_at, At("2024-05-02T06:00:00Z"));
  EXPECT_EQ(resumed->warn_at, At("2024-04-30T06:00:00Z"));
  EXPECT_EQ(resumed->remaining, absl::ZeroDuration());
  EXPECT_EQ(TimerIn(back.timers, "respond")->status, TimerStatus::kCancelled);
  // quick restarts: entering open arms it afresh.
  EXPECT_EQ(TimerIn(back.timers, "quick")->due_at, answered + absl::Hours(4));
}

TEST_F(EngineTest, FireTimerDoesNothingBeforeItIsDueOrWhenNotArmed) {
  const Claim open = Open();
  EXPECT_FALSE(engine_.FireTimer(open, "quick", t0_ + absl::Hours(4) - absl::Seconds(1)));
  EXPECT_FALSE(engine_.FireTimer(open, "respond", t0_ + absl::Hours(400)));
  EXPECT_FALSE(engine_.FireTimer(open, "nonexistent", t0_ + absl::Hours(400)));
  const Claim waiting = Waiting(t0_);
  EXPECT_FALSE(engine_.FireTimer(waiting, "review", t0_ + absl::Hours(400)));  // paused
  EXPECT_FALSE(engine_.FireTimer(waiting, "quick", t0_ + absl::Hours(400)));   // cancelled
}

TEST_F(EngineTest, WarningMarksTheClaimAtRisk) {
  const Claim open = Open();
  const absl::Time warn = At("2024-04-26T00:00:00Z");
  const std::optional<Decision> d = engine_.FireTimer(open, "review", warn);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->name, "review");
  EXPECT_EQ(d->to_state, "open");
  ASSERT_EQ(d->timers.size(), 1u);
  EXPECT_TRUE(d->timers[0].warned);
  EXPECT_EQ(d->timers[0].status, TimerStatus::kArmed);
  EXPECT_EQ(d->sla_status, SlaStatus::kAtRisk);
  ASSERT_EQ(d->events.size(), 1u);
  EXPECT_EQ(d->events[0].type, "review_due_soon");
  EXPECT_EQ(d->events[0].attributes.at("timer"), "review");
  EXPECT_EQ(d->events[0].attributes.at("due_at"), "2024-04-27T00:00:00Z");
  ASSERT_EQ(d->history.size(), 1u);
  EXPECT_EQ(d->history[0].kind, HistoryKind::kTimer);
  EXPECT_EQ(d->history[0].perspective, Perspective::kSystem);
  const Claim warned = ApplyDecision(open, *d, warn);
  EXPECT_EQ(TimerIn(warned.timers, "review")->NextFireAt(), At("2024-04-27T00:00:00Z"));
  EXPECT_FALSE(engine_.FireTimer(warned, "review", warn + absl::Hours(1)));
}

TEST_F(EngineTest, BreachFlagsTheClaimAndStaysFlagged) {
  Claim open = Open();
  const absl::Time due = At("2024-04-27T00:00:00Z");
  // The quick timer breaches first; the breach flag and event come from the engine.
  const std::optional<Decision> quick = engine_.FireTimer(open, "quick", t0_ + absl::Hours(5));
  ASSERT_TRUE(quick.has_value());
  EXPECT_EQ(quick->timers[0].status, TimerStatus::kBreached);
  EXPECT_EQ(quick->sla_status, SlaStatus::kBreached);
  ASSERT_EQ(quick->events.size(), 1u);
  EXPECT_EQ(quick->events[0].type, "sla_breached");
  EXPECT_EQ(quick->events[0].attributes.at("timer"), "quick");
  open = ApplyDecision(open, *quick, t0_ + absl::Hours(5));
  EXPECT_EQ(open.next_deadline, due);

  // A sweep after the deadline skips the moot warning and breaches.
  const std::optional<Decision> review = engine_.FireTimer(open, "review", due + absl::Hours(1));
  ASSERT_TRUE(review.has_value());
  EXPECT_EQ(review->timers[0].status, TimerStatus::kBreached);
  EXPECT_THAT(review->events,
              ElementsAre(Field(&Event::type, "review_late"), Field(&Event::type, "sla_breached")));
  EXPECT_EQ(review->events[0].attributes.at("escalate_to"), "lead");
  EXPECT_EQ(review->next_deadline, absl::InfiniteFuture());
  const Claim breached = ApplyDecision(open, *review, due);
  EXPECT_FALSE(engine_.FireTimer(breached, "review", due + absl::Hours(100)));
  // Later work does not clear the flag.
  const Decision accepted =
      MustDecide(engine_.Decide(breached, {"accept", {}, "", {}}, reviewer_, due));
  EXPECT_EQ(accepted.sla_status, SlaStatus::kBreached);
}

TEST_F(EngineTest, DeadlineTransitionRunsAsTheSystemWithTheTimersReasons) {
  const Claim waiting = Waiting(t0_);  // respond due when Thursday 25 April ends
  const absl::Time due = At("2024-04-26T00:00:00Z");
  EXPECT_EQ(TimerIn(waiting.timers, "respond")->due_at, due);
  const std::optional<Decision> d = engine_.FireTimer(waiting, "respond", due);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->name, "respond");
  EXPECT_EQ(d->from_state, "waiting");
  EXPECT_EQ(d->to_state, "closed");
  EXPECT_EQ(d->state_entered_at, due);
  EXPECT_THAT(d->facts.last_reasons.at("reasons"), ElementsAre("r2"));
  EXPECT_EQ(d->facts.action_counts.at("expire"), 1);
  EXPECT_EQ(TimerIn(d->timers, "respond")->status, TimerStatus::kFired);
  EXPECT_EQ(TimerIn(d->timers, "review")->status, TimerStatus::kCancelled);
  EXPECT_EQ(d->sla_status, SlaStatus::kOnTrack);
  EXPECT_EQ(d->next_deadline, absl::InfiniteFuture());
  ASSERT_EQ(d->history.size(), 2u);
  EXPECT_EQ(d->history[0].kind, HistoryKind::kTimer);
  EXPECT_EQ(d->history[0].name, "respond");
  EXPECT_EQ(d->history[1].kind, HistoryKind::kAction);
  EXPECT_EQ(d->history[1].name, "expire");
  EXPECT_EQ(d->history[1].actor_id, "system");
  EXPECT_EQ(d->history[1].perspective, Perspective::kSystem);
  EXPECT_THAT(d->history[1].reasons, ElementsAre("r2"));
  ASSERT_EQ(d->events.size(), 1u);
  EXPECT_EQ(d->events[0].type, "no_answer");
}

TEST_F(EngineTest, ARefusedDeadlineTransitionIsFlaggedAsABreach) {
  Claim waiting = Waiting(t0_);
  // The claim moved on to a state the deadline action does not leave, without stopping the
  // timer (a definition mistake the validator also reports).
  waiting.state = "done";
  const std::optional<Decision> d =
      engine_.FireTimer(waiting, "respond", At("2024-04-26T00:00:00Z"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->to_state, "done");
  EXPECT_EQ(d->timers[0].status, TimerStatus::kBreached);
  EXPECT_EQ(d->sla_status, SlaStatus::kBreached);
  ASSERT_FALSE(d->events.empty());
  EXPECT_THAT(d->events.back().attributes.at("error"), HasSubstr("ACTION_NOT_AVAILABLE"));
}

TEST_F(EngineTest, WithinDurationGuardIsInclusiveAtTheBoundary) {
  Claim closed = Open();
  closed = Apply(closed, engine_.Decide(closed, {"close", {"r1"}, "", {}}, reviewer_, t0_), t0_);
  closed.facts.evidence_added_in_state = 1;
  const absl::Time boundary = t0_ + absl::Hours(24 * 30);
  MustDecide(engine_.Decide(closed, {"reopen", {}, "", {}}, partner_, boundary));
  const Rejection r = MustRefuse(
      engine_.Decide(closed, {"reopen", {}, "", {}}, partner_, boundary + absl::Seconds(1)));
  EXPECT_EQ(r.guard, "within_30_days");
  EXPECT_EQ(r.message, "too late: start over");
}

TEST_F(EngineTest, MaxTimesAndLastReasonGuards) {
  Claim closed = Open();
  closed = Apply(closed, engine_.Decide(closed, {"close", {"r1"}, "", {}}, reviewer_, t0_), t0_);
  closed.facts.evidence_added_in_state = 1;
  Claim reopened =
      Apply(closed, engine_.Decide(closed, {"reopen", {}, "", {}}, partner_, t0_), t0_);
  reopened =
      Apply(reopened, engine_.Decide(reopened, {"close", {"r1"}, "", {}}, reviewer_, t0_), t0_);
  reopened.facts.evidence_added_in_state = 1;
  EXPECT_EQ(MustRefuse(engine_.Decide(reopened, {"reopen", {}, "", {}}, partner_, t0_)).guard,
            "once");

  Claim withdrawn = Open();
  withdrawn =
      Apply(withdrawn, engine_.Decide(withdrawn, {"withdraw", {}, "", {}}, partner_, t0_), t0_);
  withdrawn.facts.evidence_added_in_state = 1;
  EXPECT_EQ(MustRefuse(engine_.Decide(withdrawn, {"reopen", {}, "", {}}, partner_, t0_)).guard,
            "not_withdrawn");

  Claim open = Open();
  Rejection r = MustRefuse(engine_.Decide(open, {"escalate", {}, "", {}}, reviewer_, t0_));
  EXPECT_EQ(r.guard, "has_activity");
  EXPECT_THAT(r.message, HasSubstr("has_activity"));
  open.fields.activity = "a1";
  EXPECT_EQ(MustRefuse(engine_.Decide(open, {"escalate", {}, "", {}}, reviewer_, t0_)).guard,
            "after_r1");
  open.facts.last_reasons["reasons"] = {"r2", "r1"};
  MustDecide(engine_.Decide(open, {"escalate", {}, "", {}}, reviewer_, t0_));
}

}  // namespace
}  // namespace claims::workflow
