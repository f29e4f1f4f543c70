// Every rule of the CPOR process, one per test, over the shipped
// config/workflows/cpor-association.yaml as LoadDefinition reads it. Each test sets a claim up
// through the process itself, then fires the action or timer under test. Times are in the
// workflow's calendar zone, America/Los_Angeles, whose calendar (config/calendars/us.yaml) lists
// Thanksgiving (26 November 2026), Christmas and New Year holidays.

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/outcome_helpers.h"
#include "tests/testing/shipped_workflow.h"
#include "tests/testing/source_dir.h"
#include "workflow/decision.h"
#include "workflow/engine.h"
#include "workflow/loader.h"

namespace claims::workflow {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

using ::claims::testing::SourceDir;

using ::claims::testing::At;
using ::claims::testing::MustDecide;
using ::claims::testing::MustRefuse;
using ::claims::testing::TimerIn;

std::vector<std::string> EventTypes(const Decision& d) {
  std::vector<std::string> types;
  for (const Event& e : d.events) types.push_back(e.type);
  return types;
}

const Actor kBillingAdmin{"bill", {"billing_admin"}, "partner-1"};
const Actor kGlobalAdmin{"gina", {"global_admin"}, "partner-1"};
const Actor kIncentivesAdmin{"ivan", {"incentives_admin"}, "partner-1"};
const Actor kReviewer{"rita", {"reviewer"}, ""};
const Actor kCustomer{"cora", {"customer"}, ""};
const Actor kSystem{"system", {"system"}, ""};

const std::vector<Actor>& AllActors() {
  static const auto* actors = new std::vector<Actor>{kBillingAdmin, kGlobalAdmin, kIncentivesAdmin,
                                                     kReviewer,     kCustomer,    kSystem};
  return *actors;
}

class CporTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const LoadResult result = testing::LoadWorkflowFile();
    for (const Diagnostic& d : result.diagnostics) ADD_FAILURE() << d.ToString();
    ASSERT_TRUE(result.ok());
    engine_ = new Engine(result.definition);
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(engine_, nullptr) << "the CPOR workflow did not load"; }

  const Engine& engine() const { return *engine_; }

  // Monday 23 November 2026, 10:00 Pacific: the Thanksgiving week.
  const absl::Time monday_ = At("2026-11-23T10:00:00-08:00");

  static Claim Draft() {
    Claim claim;
    claim.id = "01JCLAIM";
    claim.partner_id = "partner-1";
    claim.fields.mpn_id = "4412345";
    claim.fields.customer = {"8c1d6f0e-1111-2222-3333-444455556666", "Contoso"};
    claim.fields.customer_contact = {"Carl", "carl@contoso.test", ""};
    claim.fields.partner_contact = {"Pat", "pat@partner.test", ""};
    claim.fields.products = {"dynamics_365_sales", "power_bi"};
    claim.fields.activity = "revenue_association";
    return claim;
  }

  Claim Act(const Claim& claim, const std::string& action, const Actor& actor, absl::Time now,
            std::vector<std::string> reasons = {}, std::string comment = "") const {
    ActionRequest request{action, std::move(reasons), std::move(comment), {}};
    return ApplyDecision(claim, MustDecide(engine().Decide(claim, request, actor, now)), now);
  }

  Claim WithEvidence(const Claim& claim, absl::Time now) const {
    Evidence evidence;
    evidence.file_name = "poe.pdf";
    evidence.content_type = "application/pdf";
    evidence.size_bytes = 1024;
    return ApplyDecision(
        claim, MustDecide(engine().AddEvidence(claim, evidence, kBillingAdmin, now)), now);
  }

  Claim Fire(const Claim& claim, const std::string& timer, absl::Time now) const {
    const std::optional<Decision> d = engine().FireTimer(claim, timer, now);
    EXPECT_TRUE(d.has_value()) << timer << " did not fire at " << absl::FormatTime(now);
    return d.has_value() ? ApplyDecision(claim, *d, now) : claim;
  }

  // The claim in each state, reached through the process: created at `at`, each later step
  // one hour after the one before.
  Claim Editing(absl::Time at) const {
    const Claim draft = Draft();
    return ApplyDecision(draft, MustDecide(engine().Create(draft, kBillingAdmin, at)), at);
  }
  Claim Submitted(absl::Time at) const {
    return Act(WithEvidence(Editing(at), at), "submit", kBillingAdmin, at);
  }
  Claim UnderReview(absl::Time at) const {
    return Act(Submitted(at), "start_review", kReviewer, at + absl::Hours(1));
  }
  Claim PartnerActionRequired(absl::Time at) const {
    return Act(UnderReview(at), "request_info", kReviewer, at + absl::Hours(2),
               {"missing_customer_acknowledgment"}, "The PoE has no customer signature.");
  }
  Claim Approved(absl::Time at) const {
    return Act(UnderReview(at), "approve", kReviewer, at + absl::Hours(2));
  }
  Claim Rejected(absl::Time at) const {
    return Act(UnderReview(at), "reject", kReviewer, at + absl::Hours(2), {"insufficient_poe"});
  }
  Claim DisputeReview(absl::Time at) const {
    return Act(Rejected(at), "dispute", kGlobalAdmin, at + absl::Hours(3), {},
               "The signed statement of work is attached now.");
  }
  Claim IncentiveAssessment(absl::Time at) const {
    const Claim approved = Approved(at);
    return Fire(approved, "consent_period", TimerIn(approved.timers, "consent_period")->due_at);
  }

  Claim InState(const std::string& state, absl::Time at) const {
    if (state == "editing") return WithEvidence(Editing(at), at);
    if (state == "submitted") return Submitted(at);
    if (state == "under_review") return UnderReview(at);
    if (state == "partner_action_required") return PartnerActionRequired(at);
    if (state == "approved") return Approved(at);
    if (state == "rejected") return Rejected(at);
    if (state == "dispute_review") return DisputeReview(at);
    if (state == "incentive_assessment") return IncentiveAssessment(at);
    ADD_FAILURE() << "no way to reach state " << state;
    return Claim();
  }

  static Engine* engine_;
};

Engine* CporTest::engine_ = nullptr;

// --- Creating -------------------------------------------------------------------------------

TEST_F(CporTest, PartnersCreateClaimsInEditing) {
  for (const Actor& actor : {kBillingAdmin, kGlobalAdmin, kIncentivesAdmin}) {
    const Decision d = MustDecide(engine().Create(Draft(), actor, monday_));
    EXPECT_EQ(d.to_state, "editing");
    EXPECT_THAT(EventTypes(d), ElementsAre("claim_created"));
    EXPECT_THAT(d.timers, IsEmpty());  // "editing: SLA none"
  }
  for (const Actor& actor : {kReviewer, kCustomer, kSystem}) {
    EXPECT_EQ(MustRefuse(engine().Create(Draft(), actor, monday_)).code,
              RejectionCode::kRoleNotAllowed)
        << actor.id;
  }
}

TEST_F(CporTest, CreateRequiresMpnCustomerProductsAndActivityFromTheCatalogs) {
  Claim draft = Draft();
  draft.fields.mpn_id.clear();
  draft.fields.customer = {};
  draft.fields.products.clear();
  draft.fields.activity.clear();
  EXPECT_THAT(MustRefuse(engine().Create(draft, kBillingAdmin, monday_)).violations,
              ElementsAre(Field(&FieldViolation::field, "mpn_id"),
                          Field(&FieldViolation::field, "customer"),
                          Field(&FieldViolation::field, "products"),
                          Field(&FieldViolation::field, "activity")));
  draft = Draft();
  draft.fields.products = {"power_bi", "windows_95"};
  draft.fields.activity = "golf";
  const Rejection r = MustRefuse(engine().Create(draft, kBillingAdmin, monday_));
  EXPECT_EQ(r.reason, "INVALID_INPUT");
  EXPECT_THAT(r.violations, ElementsAre(Field(&FieldViolation::field, "products"),
                                        Field(&FieldViolation::field, "activity")));
}

// --- Transitions: who may do what, from where ----------------------------------------------

TEST_F(CporTest, SubmitNeedsAtLeastOneProofOfExecution) {
  const Claim editing = Editing(monday_);
  const Rejection r =
      MustRefuse(engine().Decide(editing, {"submit", {}, "", {}}, kBillingAdmin, monday_));
  EXPECT_EQ(r.code, RejectionCode::kGuardFailed);
  EXPECT_EQ(r.guard, "min_evidence");
  EXPECT_THAT(r.message, HasSubstr("proof of execution"));
  EXPECT_THAT(r.available_actions, ElementsAre("withdraw"));
  const Decision d = MustDecide(engine().Decide(WithEvidence(editing, monday_),
                                                {"submit", {}, "", {}}, kBillingAdmin, monday_));
  EXPECT_EQ(d.to_state, "submitted");
  EXPECT_THAT(EventTypes(d), ElementsAre("claim_submitted"));
}

struct RoleCase {
  std::string action;
  std::string from_state;
  std::vector<std::string> allowed;  // actor ids
  std::vector<std::string> reasons;
  std::string comment;
  std::string to_state;
};

class CporRoleTest : public CporTest, public ::testing::WithParamInterface<RoleCase> {};

TEST_P(CporRoleTest, OnlyTheListedRolesMayPerformTheAction) {
  const RoleCase& c = GetParam();
  const Claim claim = InState(c.from_state, monday_);
  ASSERT_EQ(claim.state, c.from_state);
  const absl::Time now = claim.state_entered_at + absl::Hours(1);
  for (const Actor& actor : AllActors()) {
    const Outcome outcome =
        engine().Decide(claim, {c.action, c.reasons, c.comment, {}}, actor, now);
    const bool allowed = std::find(c.allowed.begin(), c.allowed.end(), actor.id) != c.allowed.end();
    if (allowed) {
      EXPECT_EQ(MustDecide(outcome).to_state, c.to_state) << actor.id;
    } else {
      const Rejection r = MustRefuse(outcome);
      EXPECT_EQ(r.code, RejectionCode::kRoleNotAllowed) << actor.id << ": " << r.message;
      EXPECT_EQ(r.reason, "ROLE_NOT_ALLOWED");
    }
  }
}

const std::vector<std::string> kPartners = {"bill", "gina", "ivan"};

INSTANTIATE_TEST_SUITE_P(
    Transitions, CporRoleTest,
    ::testing::Values(
        RoleCase{"submit", "editing", kPartners, {}, "", "submitted"},
        RoleCase{"withdraw", "editing", kPartners, {}, "", "rejected"},
        RoleCase{"withdraw", "submitted", kPartners, {}, "", "rejected"},
        RoleCase{"withdraw", "partner_action_required", kPartners, {}, "", "rejected"},
        RoleCase{"start_review", "submitted", {"rita"}, {}, "", "under_review"},
        RoleCase{"request_info",
                 "under_review",
                 {"rita"},
                 {"missing_products"},
                 "Which SKUs?",
                 "partner_action_required"},
        RoleCase{"approve", "under_review", {"rita"}, {}, "", "approved"},
        RoleCase{"reject", "under_review", {"rita"}, {"poe_unavailable"}, "", "rejected"},
        RoleCase{"resubmit", "partner_action_required", kPartners, {}, "", "under_review"},
        RoleCase{"expire_partner_action",
                 "partner_action_required",
                 {"system"},
                 {"no_partner_response"},
                 "",
                 "rejected"},
        RoleCase{"deny_consent", "approved", {"cora"}, {}, "", "rejected"},
        RoleCase{"complete_consent_period", "approved", {"system"}, {}, "", "incentive_assessment"},
        RoleCase{"dispute", "rejected", kPartners, {}, "We have new PoE.", "dispute_review"},
        RoleCase{"uphold", "dispute_review", {"rita"}, {}, "Still insufficient.", "rejected"},
        RoleCase{"overturn", "dispute_review", {"rita"}, {}, "", "approved"}),
    [](const ::testing::TestParamInfo<RoleCase>& param) {
      return param.param.action + "_from_" + param.param.from_state;
    });

struct StateActionsCase {
  std::string state;
  std::vector<std::string> actions;  // every transition out, for someone holding every role
};

class CporStateTest : public CporTest, public ::testing::WithParamInterface<StateActionsCase> {};

TEST_P(CporStateTest, ActionsOutOfEachStateAreTheReferenceTable) {
  const StateActionsCase& c = GetParam();
  const Claim claim = InState(c.state, monday_);
  const Actor everyone{"all", {"billing_admin", "reviewer", "customer", "system"}, "partner-1"};
  EXPECT_EQ(engine().AvailableActions(claim, everyone, claim.state_entered_at + absl::Hours(1)),
            c.actions);
  // Anything else is refused as not available here.
  for (const char* action : {"submit", "withdraw", "start_review", "request_info", "approve",
                             "reject", "resubmit", "expire_partner_action", "deny_consent",
                             "complete_consent_period", "dispute", "uphold", "overturn"}) {
    if (std::find(c.actions.begin(), c.actions.end(), action) != c.actions.end()) continue;
    const Rejection r = MustRefuse(engine().Decide(claim, {action, {}, "", {}}, everyone,
                                                   claim.state_entered_at + absl::Hours(1)));
    EXPECT_EQ(r.code, RejectionCode::kActionNotAvailable) << action << " in " << c.state;
  }
}

INSTANTIATE_TEST_SUITE_P(
    States, CporStateTest,
    ::testing::Values(StateActionsCase{"editing", {"submit", "withdraw"}},
                      StateActionsCase{"submitted", {"start_review", "withdraw"}},
                      StateActionsCase{"under_review", {"approve", "reject", "request_info"}},
                      StateActionsCase{"partner_action_required",
                                       {"expire_partner_action", "resubmit", "withdraw"}},
                      StateActionsCase{"approved", {"complete_consent_period", "deny_consent"}},
                      StateActionsCase{"rejected", {"dispute"}},
                      StateActionsCase{"dispute_review", {"overturn", "uphold"}},
                      StateActionsCase{"incentive_assessment", {}}),
    [](const ::testing::TestParamInfo<StateActionsCase>& param) { return param.param.state; });

TEST_F(CporTest, UnknownActionsAreRefusedWithWhatIsAvailable) {
  const Rejection r = MustRefuse(
      engine().Decide(UnderReview(monday_), {"escalate", {}, "", {}}, kReviewer, monday_));
  EXPECT_EQ(r.code, RejectionCode::kUnknownAction);
  EXPECT_EQ(r.reason, "UNKNOWN_ACTION");
  EXPECT_THAT(r.available_actions, ElementsAre("approve", "reject", "request_info"));
}

TEST_F(CporTest, AvailableActionsDependOnTheActor) {
  const absl::Time later = monday_ + absl::Hours(5);
  EXPECT_THAT(engine().AvailableActions(Editing(monday_), kBillingAdmin, later),
              ElementsAre("withdraw"));
  EXPECT_THAT(engine().AvailableActions(Submitted(monday_), kGlobalAdmin, later),
              ElementsAre("withdraw"));
  EXPECT_THAT(engine().AvailableActions(Submitted(monday_), kReviewer, later),
              ElementsAre("start_review"));
  EXPECT_THAT(engine().AvailableActions(UnderReview(monday_), kIncentivesAdmin, later), IsEmpty());
  EXPECT_THAT(engine().AvailableActions(PartnerActionRequired(monday_), kBillingAdmin, later),
              ElementsAre("resubmit", "withdraw"));
  EXPECT_THAT(engine().AvailableActions(Approved(monday_), kCustomer, later),
              ElementsAre("deny_consent"));
  EXPECT_THAT(engine().AvailableActions(Approved(monday_), kBillingAdmin, later), IsEmpty());
  EXPECT_THAT(engine().AvailableActions(Rejected(monday_), kIncentivesAdmin, later),
              ElementsAre("dispute"));
  EXPECT_THAT(engine().AvailableActions(Rejected(monday_), kIncentivesAdmin,
                                        monday_ + absl::Hours(24 * 40)),
              IsEmpty());
  EXPECT_THAT(engine().AvailableActions(DisputeReview(monday_), kReviewer, later),
              ElementsAre("overturn", "uphold"));
}

// --- Inputs and reasons ---------------------------------------------------------------------

TEST_F(CporTest, RequestInfoNeedsAnInformationReasonAndAComment) {
  const Claim claim = UnderReview(monday_);
  const absl::Time now = monday_ + absl::Hours(3);
  auto violated = [&](std::vector<std::string> reasons, std::string comment) {
    std::vector<std::string> fields;
    for (const FieldViolation& v :
         MustRefuse(engine().Decide(claim,
                                    {"request_info", std::move(reasons), std::move(comment), {}},
                                    kReviewer, now))
             .violations) {
      fields.push_back(v.field);
    }
    return fields;
  };
  EXPECT_THAT(violated({}, "Please add the signature."), ElementsAre("reasons"));
  EXPECT_THAT(violated({"missing_all_poe"}, ""), ElementsAre("comment"));
  EXPECT_THAT(violated({"insufficient_poe"}, "A rejection reason is not a question."),
              ElementsAre("reasons"));
  const Decision d = MustDecide(engine().Decide(
      claim, {"request_info", {"missing_or_old_dates", "missing_products"}, "Dates?", {}},
      kReviewer, now));
  EXPECT_EQ(d.to_state, "partner_action_required");
  EXPECT_THAT(d.facts.last_reasons.at("info_request_reasons"),
              ElementsAre("missing_or_old_dates", "missing_products"));
  EXPECT_THAT(EventTypes(d), ElementsAre("information_requested"));
  ASSERT_EQ(d.comments.size(), 1u);
  EXPECT_EQ(d.comments[0].perspective, Perspective::kReviewer);
}

TEST_F(CporTest, RejectNeedsARejectionReason) {
  const Claim claim = UnderReview(monday_);
  const absl::Time now = monday_ + absl::Hours(3);
  Rejection r = MustRefuse(engine().Decide(claim, {"reject", {}, "", {}}, kReviewer, now));
  EXPECT_EQ(r.code, RejectionCode::kInvalidInput);
  EXPECT_THAT(r.violations, ElementsAre(Field(&FieldViolation::field, "reasons")));
  r = MustRefuse(engine().Decide(claim, {"reject", {"missing_all_poe"}, "", {}}, kReviewer, now));
  EXPECT_THAT(r.violations, ElementsAre(Field(&FieldViolation::field, "reasons")));
  const Decision d =
      MustDecide(engine().Decide(claim, {"reject", {"insufficient_poe"}, "", {}}, kReviewer, now));
  EXPECT_EQ(d.to_state, "rejected");
  EXPECT_THAT(d.facts.last_reasons.at("rejection_reasons"), ElementsAre("insufficient_poe"));
  ASSERT_THAT(EventTypes(d), ElementsAre("rejection_notice"));
  EXPECT_EQ(d.events[0].attributes.at("reasons"), "insufficient_poe");
  EXPECT_THAT(d.history[0].reasons, ElementsAre("insufficient_poe"));
}

TEST_F(CporTest, ReviewersRejectForReviewReasonsOnly) {
  for (const char* reason :
       {"insufficient_poe", "missing_customer_consent", "missing_products", "poe_unavailable"}) {
    MustDecide(engine().Decide(UnderReview(monday_), {"reject", {reason}, "", {}}, kReviewer,
                               monday_ + absl::Hours(3)));
  }
  // These belong to the partner (withdraw), the customer (deny_consent) and the SLA timer
  // (expire_partner_action); a reviewer giving one would, e.g., make the claim undisputable.
  for (const char* reason : {"partner_request", "customer_decline", "no_partner_response"}) {
    Rejection r = MustRefuse(engine().Decide(UnderReview(monday_), {"reject", {reason}, "", {}},
                                             kReviewer, monday_ + absl::Hours(3)));
    EXPECT_EQ(r.code, RejectionCode::kInvalidInput) << reason;
    EXPECT_THAT(r.violations, ElementsAre(Field(&FieldViolation::field, "reasons"))) << reason;
  }
}

TEST_F(CporTest, WithdrawRecordsPartnerRequest) {
  for (const std::string state : {"editing", "submitted", "partner_action_required"}) {
    const Claim claim = InState(state, monday_);
    const Decision d = MustDecide(engine().Decide(claim, {"withdraw", {}, "", {}}, kGlobalAdmin,
                                                  claim.state_entered_at + absl::Hours(1)));
    EXPECT_EQ(d.to_state, "rejected") << state;
    EXPECT_THAT(d.facts.last_reasons.at("rejection_reasons"), ElementsAre("partner_request"));
    EXPECT_THAT(d.history[0].reasons, ElementsAre("partner_request"));
    ASSERT_THAT(EventTypes(d), ElementsAre("rejection_notice"));
    EXPECT_EQ(d.events[0].attributes.at("reasons"), "partner_request");
  }
}

TEST_F(CporTest, DenyConsentRecordsCustomerDecline) {
  const Claim approved = Approved(monday_);
  const Decision d = MustDecide(engine().Decide(approved, {"deny_consent", {}, "", {}}, kCustomer,
                                                monday_ + absl::Hours(30)));
  EXPECT_EQ(d.to_state, "rejected");
  EXPECT_THAT(d.facts.last_reasons.at("rejection_reasons"), ElementsAre("customer_decline"));
  EXPECT_EQ(d.history[0].perspective, Perspective::kCustomer);
  EXPECT_THAT(EventTypes(d), ElementsAre("rejection_notice", "consent_denied"));
  EXPECT_EQ(d.events[0].attributes.at("reasons"), "customer_decline");
  EXPECT_EQ(TimerIn(d.timers, "consent_period")->status, TimerStatus::kCancelled);
}

TEST_F(CporTest, ApprovalAsksTheCustomerForConsent) {
  const Decision d = MustDecide(engine().Decide(UnderReview(monday_), {"approve", {}, "", {}},
                                                kReviewer, monday_ + absl::Hours(3)));
  EXPECT_THAT(EventTypes(d), ElementsAre("customer_consent_requested"));
  EXPECT_EQ(TimerIn(d.timers, "consent_period")->status, TimerStatus::kArmed);
  EXPECT_EQ(TimerIn(d.timers, "overall_decision")->status, TimerStatus::kCancelled);
  EXPECT_EQ(TimerIn(d.timers, "review_decision")->status, TimerStatus::kCancelled);
}

// --- SLA timers: exact deadlines on the business calendar ----------------------------------

struct DeadlineCase {
  std::string name;
  std::string state;    // the state whose entry arms the timer
  std::string entered;  // when the claim entered it (RFC 3339)
  std::string timer;
  std::string due;  // expected deadline (RFC 3339)
};

class CporDeadlineTest : public CporTest, public ::testing::WithParamInterface<DeadlineCase> {};

TEST_P(CporDeadlineTest, DeadlineIsExact) {
  const DeadlineCase& c = GetParam();
  const absl::Time entered = At(c.entered);
  // InState's steps are an hour apart; start early enough to enter the state at `entered`.
  int steps = 0;
  if (c.state == "under_review") steps = 1;
  if (c.state == "approved" || c.state == "partner_action_required") steps = 2;
  if (c.state == "dispute_review") steps = 3;
  const Claim claim = InState(c.state, entered - absl::Hours(steps));
  ASSERT_EQ(claim.state, c.state);
  ASSERT_EQ(claim.state_entered_at, entered);
  const TimerInstance* timer = TimerIn(claim.timers, c.timer);
  ASSERT_NE(timer, nullptr);
  EXPECT_EQ(timer->status, TimerStatus::kArmed);
  EXPECT_EQ(timer->started_at, entered);
  EXPECT_EQ(absl::FormatTime(absl::RFC3339_sec, timer->due_at, absl::UTCTimeZone()),
            absl::FormatTime(absl::RFC3339_sec, At(c.due), absl::UTCTimeZone()));
  // Nothing happens a second early; at the deadline something does.
  EXPECT_FALSE(engine().FireTimer(claim, c.timer, timer->NextFireAt() - absl::Seconds(1)));
  EXPECT_TRUE(engine().FireTimer(claim, c.timer, timer->due_at));
}

INSTANTIATE_TEST_SUITE_P(
    Timers, CporDeadlineTest,
    ::testing::Values(
        // Submitted Monday: Tue 24, Wed 25, Thanksgiving off, Fri 27, Mon 30, Tue 1 December.
        DeadlineCase{"review_start", "submitted", "2026-11-23T10:00:00-08:00", "review_start",
                     "2026-12-02T00:00:00-08:00"},
        // Ten business days from the same submission: ... Mon 7, Tue 8 December.
        DeadlineCase{"overall_decision", "submitted", "2026-11-23T10:00:00-08:00",
                     "overall_decision", "2026-12-09T00:00:00-08:00"},
        // Review started Wednesday: Fri 27, Mon 30, Tue 1, Wed 2, Thu 3.
        DeadlineCase{"review_decision", "under_review", "2026-11-25T09:00:00-08:00",
                     "review_decision", "2026-12-04T00:00:00-08:00"},
        // Asked Friday 18 December: Mon 21 .. Thu 24, Christmas off, Mon 28.
        DeadlineCase{"partner_response", "partner_action_required", "2026-12-18T15:00:00-08:00",
                     "partner_response", "2026-12-29T00:00:00-08:00"},
        // Calendar days: holidays count, the local time stays.
        DeadlineCase{"consent_period", "approved", "2026-11-20T14:00:00-08:00", "consent_period",
                     "2026-11-27T14:00:00-08:00"},
        // ... across the end of daylight saving time (1 November 2026): 7 days and 1 hour.
        DeadlineCase{"consent_period_dst", "approved", "2026-10-30T12:00:00-07:00",
                     "consent_period", "2026-11-06T12:00:00-08:00"},
        // Disputed on New Year's Eve: 1 January is a holiday, then Mon 4 .. Fri 8 January 2027.
        DeadlineCase{"dispute_review", "dispute_review", "2026-12-31T10:00:00-08:00",
                     "dispute_review", "2027-01-09T00:00:00-08:00"}),
    [](const ::testing::TestParamInfo<DeadlineCase>& param) { return param.param.name; });

TEST_F(CporTest, ReviewStartWarnsABusinessDayAheadThenBreaches) {
  const Claim submitted = Submitted(monday_);
  const TimerInstance* timer = TimerIn(submitted.timers, "review_start");
  ASSERT_NE(timer, nullptr);
  EXPECT_EQ(timer->warn_at, At("2026-12-01T00:00:00-08:00"));
  const std::optional<Decision> warning =
      engine().FireTimer(submitted, "review_start", timer->warn_at);
  ASSERT_TRUE(warning.has_value());
  EXPECT_EQ(warning->sla_status, SlaStatus::kAtRisk);
  ASSERT_THAT(EventTypes(*warning), ElementsAre("sla_warning"));
  EXPECT_EQ(warning->events[0].attributes.at("sla"), "review_start");
  const Claim warned = ApplyDecision(submitted, *warning, timer->warn_at);

  const std::optional<Decision> breach = engine().FireTimer(warned, "review_start", timer->due_at);
  ASSERT_TRUE(breach.has_value());
  EXPECT_EQ(breach->to_state, "submitted");  // a flag and an escalation, not a transition
  EXPECT_EQ(breach->sla_status, SlaStatus::kBreached);
  EXPECT_EQ(TimerIn(breach->timers, "review_start")->status, TimerStatus::kBreached);
  ASSERT_THAT(EventTypes(*breach), ElementsAre("sla_breached"));
  EXPECT_EQ(breach->events[0].attributes.at("sla"), "review_start");
  EXPECT_EQ(breach->events[0].attributes.at("timer"), "review_start");
  EXPECT_EQ(breach->history[0].kind, HistoryKind::kTimer);
  // The flag stays once the review starts.
  const Claim breached = ApplyDecision(warned, *breach, timer->due_at);
  const Claim reviewing = Act(breached, "start_review", kReviewer, timer->due_at + absl::Hours(1));
  EXPECT_EQ(reviewing.sla_status, SlaStatus::kBreached);
}

TEST_F(CporTest, ReviewDecisionAndDisputeReviewBreachesAreFlagged) {
  const Claim reviewing = UnderReview(monday_);
  const absl::Time review_due = TimerIn(reviewing.timers, "review_decision")->due_at;
  Claim claim = Fire(reviewing, "review_decision", review_due);
  EXPECT_EQ(claim.state, "under_review");
  EXPECT_EQ(claim.sla_status, SlaStatus::kBreached);

  const Claim disputed = DisputeReview(monday_);
  const absl::Time dispute_due = TimerIn(disputed.timers, "dispute_review")->due_at;
  const std::optional<Decision> d = engine().FireTimer(disputed, "dispute_review", dispute_due);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->to_state, "dispute_review");
  EXPECT_EQ(d->sla_status, SlaStatus::kBreached);
  EXPECT_EQ(d->events[0].attributes.at("sla"), "dispute_review");
}

TEST_F(CporTest, PartnerResponseDeadlineRejectsWithNoPartnerResponse) {
  const Claim waiting = PartnerActionRequired(monday_);
  const absl::Time due = TimerIn(waiting.timers, "partner_response")->due_at;
  EXPECT_FALSE(engine().FireTimer(waiting, "partner_response", due - absl::Seconds(1)));
  const std::optional<Decision> d = engine().FireTimer(waiting, "partner_response", due);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->from_state, "partner_action_required");
  EXPECT_EQ(d->to_state, "rejected");
  EXPECT_EQ(d->state_entered_at, due);
  EXPECT_THAT(d->facts.last_reasons.at("rejection_reasons"), ElementsAre("no_partner_response"));
  EXPECT_EQ(TimerIn(d->timers, "partner_response")->status, TimerStatus::kFired);
  EXPECT_EQ(TimerIn(d->timers, "overall_decision")->status, TimerStatus::kCancelled);
  ASSERT_EQ(d->history.size(), 2u);
  EXPECT_EQ(d->history[0].kind, HistoryKind::kTimer);
  EXPECT_EQ(d->history[0].name, "partner_response");
  EXPECT_EQ(d->history[1].kind, HistoryKind::kAction);
  EXPECT_EQ(d->history[1].name, "expire_partner_action");
  EXPECT_EQ(d->history[1].perspective, Perspective::kSystem);
  EXPECT_THAT(d->history[1].reasons, ElementsAre("no_partner_response"));
  ASSERT_THAT(EventTypes(*d), ElementsAre("rejection_notice"));
  EXPECT_EQ(d->events[0].attributes.at("reasons"), "no_partner_response");
  // A rejection for no response can be disputed like any other, for 30 days of local time.
  absl::TimeZone pacific;
  ASSERT_TRUE(absl::LoadTimeZone("America/Los_Angeles", &pacific));
  const absl::Time window_end =
      absl::FromCivil(absl::ToCivilSecond(due, pacific) + 30 * 24 * 3600, pacific);
  EXPECT_EQ(d->events[0].attributes.at("dispute_deadline"),
            absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", window_end, absl::UTCTimeZone()));
  const Claim rejected = ApplyDecision(waiting, *d, due);
  EXPECT_THAT(engine().AvailableActions(rejected, kBillingAdmin, due), ElementsAre("dispute"));
}

TEST_F(CporTest, ResubmittingInTimeStopsThePartnerResponseTimer) {
  const Claim waiting = PartnerActionRequired(monday_);
  const absl::Time due = TimerIn(waiting.timers, "partner_response")->due_at;
  const Claim back = Act(waiting, "resubmit", kBillingAdmin, due - absl::Minutes(1));
  EXPECT_EQ(back.state, "under_review");
  EXPECT_EQ(TimerIn(back.timers, "partner_response")->status, TimerStatus::kCancelled);
  EXPECT_FALSE(engine().FireTimer(back, "partner_response", due));
}

TEST_F(CporTest, ConsentPeriodSendsForIncentiveAssessmentAfterSevenCalendarDays) {
  const Claim approved = Approved(monday_);  // approved Monday 12:00
  const absl::Time approved_at = monday_ + absl::Hours(2);
  EXPECT_EQ(approved.state_entered_at, approved_at);
  const absl::Time due = approved_at + absl::Hours(24 * 7);  // no DST change that week
  EXPECT_EQ(TimerIn(approved.timers, "consent_period")->due_at, due);
  EXPECT_FALSE(engine().FireTimer(approved, "consent_period", due - absl::Seconds(1)));
  const std::optional<Decision> d = engine().FireTimer(approved, "consent_period", due);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->to_state, "incentive_assessment");
  EXPECT_THAT(EventTypes(*d), ElementsAre("sent_for_incentive_assessment"));
  EXPECT_EQ(TimerIn(d->timers, "consent_period")->status, TimerStatus::kFired);
  EXPECT_EQ(d->history[1].name, "complete_consent_period");
  // The customer can still deny up to the last second, not after.
  MustDecide(
      engine().Decide(approved, {"deny_consent", {}, "", {}}, kCustomer, due - absl::Seconds(1)));
  const Claim assessed = ApplyDecision(approved, *d, due);
  EXPECT_EQ(
      MustRefuse(engine().Decide(assessed, {"deny_consent", {}, "", {}}, kCustomer, due)).code,
      RejectionCode::kActionNotAvailable);
}

TEST_F(CporTest, OverallDecisionPausesWhilePartnerActionIsRequired) {
  // Submitted Monday 23 November 10:00: due when Tuesday 8 December ends.
  Claim claim = Submitted(monday_);
  EXPECT_EQ(TimerIn(claim.timers, "overall_decision")->due_at, At("2026-12-09T00:00:00-08:00"));
  claim = Act(claim, "start_review", kReviewer, At("2026-11-24T09:00:00-08:00"));
  // Information requested Monday 30 November at noon: 12 hours of that Monday and six whole
  // business days (1-4 and 7-8 December) remain.
  const absl::Time asked = At("2026-11-30T12:00:00-08:00");
  claim = Act(claim, "request_info", kReviewer, asked, {"missing_all_poe"}, "Wrong file.");
  const TimerInstance* paused = TimerIn(claim.timers, "overall_decision");
  ASSERT_NE(paused, nullptr);
  EXPECT_EQ(paused->status, TimerStatus::kPaused);
  EXPECT_EQ(paused->remaining, absl::Hours(12 + 6 * 24));
  EXPECT_EQ(claim.next_deadline, TimerIn(claim.timers, "partner_response")->due_at);
  EXPECT_FALSE(engine().FireTimer(claim, "overall_decision", At("2026-12-10T00:00:00-08:00")));

  // Resubmitted Monday 7 December 09:00: 15 hours that day, 24 on each of 8-11 and 14
  // December, then 21 hours of Tuesday 15 December.
  claim = Act(claim, "resubmit", kBillingAdmin, At("2026-12-07T09:00:00-08:00"));
  const TimerInstance* resumed = TimerIn(claim.timers, "overall_decision");
  ASSERT_NE(resumed, nullptr);
  EXPECT_EQ(resumed->status, TimerStatus::kArmed);
  EXPECT_EQ(resumed->started_at, monday_);
  EXPECT_EQ(resumed->due_at, At("2026-12-15T21:00:00-08:00"));
  EXPECT_EQ(resumed->remaining, absl::ZeroDuration());
  // The review itself starts a fresh five business days.
  EXPECT_EQ(TimerIn(claim.timers, "review_decision")->due_at, At("2026-12-15T00:00:00-08:00"));
  EXPECT_EQ(claim.next_deadline, At("2026-12-15T00:00:00-08:00"));

  const Claim breached = Fire(claim, "overall_decision", At("2026-12-15T21:00:00-08:00"));
  EXPECT_EQ(breached.sla_status, SlaStatus::kBreached);
  EXPECT_EQ(breached.state, "under_review");
}

// --- Disputes ---------------------------------------------------------------------------------

TEST_F(CporTest, DisputeWindowClosesExactlyThirtyDaysAfterRejection) {
  // Rejected Tuesday 20 October 2026 10:00 PDT; thirty calendar days later is 19 November
  // 10:00 PST (clocks went back on 1 November, so 30 days and 1 hour elapse). The window is
  // inclusive: the last allowed instant is exactly that local time.
  const Claim rejected = Rejected(At("2026-10-20T08:00:00-07:00"));
  ASSERT_EQ(rejected.state_entered_at, At("2026-10-20T10:00:00-07:00"));
  const absl::Time boundary = At("2026-11-19T10:00:00-08:00");
  const ActionRequest dispute{"dispute", {}, "The PoE was signed; see page 2.", {}};
  EXPECT_EQ(
      MustDecide(engine().Decide(rejected, dispute, kBillingAdmin, boundary - absl::Seconds(1)))
          .to_state,
      "dispute_review");
  EXPECT_EQ(MustDecide(engine().Decide(rejected, dispute, kBillingAdmin, boundary)).to_state,
            "dispute_review");
  const Rejection late =
      MustRefuse(engine().Decide(rejected, dispute, kBillingAdmin, boundary + absl::Seconds(1)));
  EXPECT_EQ(late.code, RejectionCode::kGuardFailed);
  EXPECT_EQ(late.guard, "within");
  EXPECT_THAT(late.message, HasSubstr("submit a new claim"));
  EXPECT_THAT(late.available_actions, IsEmpty());
}

// "The email you receive notifying you of the rejection also tells you ... how to dispute it."
TEST_F(CporTest, RejectionNoticesSayUntilWhenTheClaimMayBeDisputed) {
  // The same rejection as above: the window closes 19 November 10:00 PST, 18:00 UTC.
  const Claim reviewing = UnderReview(At("2026-10-20T08:00:00-07:00"));
  const Decision rejected =
      MustDecide(engine().Decide(reviewing, {"reject", {"insufficient_poe"}, "", {}}, kReviewer,
                                 At("2026-10-20T10:00:00-07:00")));
  ASSERT_THAT(EventTypes(rejected), ElementsAre("rejection_notice"));
  EXPECT_EQ(rejected.events[0].attributes.at("dispute_deadline"), "2026-11-19T18:00:00Z");

  const Claim approved = Approved(monday_);
  const absl::Time declined_at = monday_ + absl::Hours(30);
  const Decision declined =
      MustDecide(engine().Decide(approved, {"deny_consent", {}, "", {}}, kCustomer, declined_at));
  EXPECT_EQ(declined.events[0].attributes.at("dispute_deadline"),
            "2026-12-25T00:00:00Z");  // Tuesday 24 November 16:00 PST + 30 days

  // A withdrawal and an upheld rejection cannot be disputed: their notices name no deadline.
  const Decision withdrawn = MustDecide(engine().Decide(
      InState("submitted", monday_), {"withdraw", {}, "", {}}, kBillingAdmin, declined_at));
  EXPECT_FALSE(withdrawn.events[0].attributes.contains("dispute_deadline"));
  const Decision upheld = MustDecide(engine().Decide(
      DisputeReview(monday_), {"uphold", {}, "No.", {}}, kReviewer, monday_ + absl::Hours(5)));
  EXPECT_FALSE(upheld.events[1].attributes.contains("dispute_deadline"));
}

TEST_F(CporTest, DisputeNeedsAJustificationOrNewProofOfExecution) {
  const Claim rejected = Rejected(monday_);
  const absl::Time now = monday_ + absl::Hours(5);
  const Rejection r =
      MustRefuse(engine().Decide(rejected, {"dispute", {}, "", {}}, kBillingAdmin, now));
  EXPECT_EQ(r.code, RejectionCode::kInvalidInput);
  EXPECT_THAT(r.violations, ElementsAre(Field(&FieldViolation::field, "comment"),
                                        Field(&FieldViolation::field, "evidence")));
  const Decision with_poe = MustDecide(
      engine().Decide(WithEvidence(rejected, now), {"dispute", {}, "", {}}, kBillingAdmin, now));
  EXPECT_EQ(with_poe.to_state, "dispute_review");
  EXPECT_THAT(EventTypes(with_poe), ElementsAre("dispute_opened"));
  EXPECT_EQ(TimerIn(with_poe.timers, "dispute_review")->status, TimerStatus::kArmed);
}

TEST_F(CporTest, ASecondDisputeIsRefused) {
  Claim claim = DisputeReview(monday_);
  claim = Act(claim, "uphold", kReviewer, monday_ + absl::Hours(4), {}, "PoE still unsigned.");
  EXPECT_EQ(claim.state, "rejected");
  EXPECT_EQ(TimerIn(claim.timers, "dispute_review")->status, TimerStatus::kCancelled);
  const Rejection r = MustRefuse(engine().Decide(claim, {"dispute", {}, "Please look again.", {}},
                                                 kBillingAdmin, monday_ + absl::Hours(5)));
  EXPECT_EQ(r.code, RejectionCode::kGuardFailed);
  EXPECT_EQ(r.guard, "max_times");
  EXPECT_THAT(r.message, HasSubstr("only once"));
}

TEST_F(CporTest, UpholdNeedsACommentAndOverturnApproves) {
  const Claim disputed = DisputeReview(monday_);
  const absl::Time now = monday_ + absl::Hours(4);
  EXPECT_THAT(
      MustRefuse(engine().Decide(disputed, {"uphold", {}, "", {}}, kReviewer, now)).violations,
      ElementsAre(Field(&FieldViolation::field, "comment")));
  const Decision upheld =
      MustDecide(engine().Decide(disputed, {"uphold", {}, "No.", {}}, kReviewer, now));
  EXPECT_THAT(EventTypes(upheld), ElementsAre("dispute_upheld", "rejection_notice"));
  // Uphold takes no reasons, yet the notice tells the partner why: the rejection that stands.
  EXPECT_EQ(upheld.events[1].attributes.at("reasons"), "insufficient_poe");
  EXPECT_THAT(upheld.facts.last_reasons.at("rejection_reasons"), ElementsAre("insufficient_poe"));
  const Decision overturned =
      MustDecide(engine().Decide(disputed, {"overturn", {}, "", {}}, kReviewer, now));
  EXPECT_EQ(overturned.to_state, "approved");
  EXPECT_THAT(EventTypes(overturned),
              ElementsAre("dispute_overturned", "customer_consent_requested"));
  EXPECT_EQ(TimerIn(overturned.timers, "consent_period")->status, TimerStatus::kArmed);
}

TEST_F(CporTest, AWithdrawalCannotBeDisputed) {
  const Claim claim = Act(Submitted(monday_), "withdraw", kBillingAdmin, monday_ + absl::Hours(1));
  const Rejection r = MustRefuse(engine().Decide(claim, {"dispute", {}, "Oops.", {}}, kBillingAdmin,
                                                 monday_ + absl::Hours(2)));
  EXPECT_EQ(r.code, RejectionCode::kGuardFailed);
  EXPECT_EQ(r.guard, "last_reason_not_in");
}

TEST_F(CporTest, ACustomerDeclineCanBeDisputed) {
  const Claim claim = Act(Approved(monday_), "deny_consent", kCustomer, monday_ + absl::Hours(3));
  EXPECT_EQ(MustDecide(engine().Decide(claim, {"dispute", {}, "The customer agreed.", {}},
                                       kBillingAdmin, monday_ + absl::Hours(4)))
                .to_state,
            "dispute_review");
}

// --- Edits ----------------------------------------------------------------------------------

TEST_F(CporTest, EverythingIsEditableInEditing) {
  EditRequest request;
  request.fields = Draft().fields;
  request.fields.mpn_id = "4499999";
  request.fields.customer.name = "Contoso Ltd";
  request.fields.activity = "pre_sales";
  request.field_mask = {"mpn_id",          "customer", "customer_contact",
                        "partner_contact", "products", "activity"};
  const Decision d =
      MustDecide(engine().Edit(Editing(monday_), request, kIncentivesAdmin, monday_));
  EXPECT_THAT(d.history[0].changes,
              ElementsAre(FieldChange{"mpn_id", "4412345", "4499999"},
                          FieldChange{"customer", "Contoso (8c1d6f0e-1111-2222-3333-444455556666)",
                                      "Contoso Ltd (8c1d6f0e-1111-2222-3333-444455556666)"},
                          FieldChange{"activity", "revenue_association", "pre_sales"}));
}

TEST_F(CporTest, SubmittedAndPartnerActionRequiredAllowTheReferenceFieldsOnly) {
  for (const std::string state : {"submitted", "partner_action_required"}) {
    const Claim claim = InState(state, monday_);
    const absl::Time now = claim.state_entered_at + absl::Hours(1);
    EditRequest request;
    request.fields = claim.fields;
    request.fields.mpn_id = "4400000";
    request.fields.products = {"power_bi"};
    request.fields.customer_contact = {"Cleo", "cleo@contoso.test", ""};
    request.fields.partner_contact = {"Pam", "pam@partner.test", ""};
    request.field_mask = {"mpn_id", "products", "customer_contact", "partner_contact"};
    const Decision d = MustDecide(engine().Edit(claim, request, kBillingAdmin, now));
    EXPECT_THAT(
        d.history[0].changes,
        ElementsAre(
            FieldChange{"mpn_id", "4412345", "4400000"},
            FieldChange{"customer_contact", "Carl <carl@contoso.test>", "Cleo <cleo@contoso.test>"},
            FieldChange{"partner_contact", "Pat <pat@partner.test>", "Pam <pam@partner.test>"},
            FieldChange{"products", "dynamics_365_sales,power_bi", "power_bi"}))
        << state;
    // The customer and the activity are fixed once submitted.
    for (const char* field : {"customer", "activity"}) {
      request.field_mask = {field};
      const Rejection r = MustRefuse(engine().Edit(claim, request, kBillingAdmin, now));
      EXPECT_EQ(r.code, RejectionCode::kNotEditable) << state << " " << field;
      EXPECT_EQ(r.reason, "FIELD_NOT_EDITABLE");
      EXPECT_THAT(r.violations, ElementsAre(Field(&FieldViolation::field, field)));
    }
    // Reviewers do not edit partners' claims.
    request.field_mask = {"products"};
    EXPECT_EQ(MustRefuse(engine().Edit(claim, request, kReviewer, now)).code,
              RejectionCode::kNotEditable);
  }
}

TEST_F(CporTest, EditsAreRefusedInEveryOtherState) {
  for (const std::string state :
       {"under_review", "approved", "rejected", "dispute_review", "incentive_assessment"}) {
    const Claim claim = InState(state, monday_);
    EditRequest request;
    request.fields = claim.fields;
    request.fields.products = {"teams"};
    request.field_mask = {"products"};
    const Rejection r = MustRefuse(
        engine().Edit(claim, request, kBillingAdmin, claim.state_entered_at + absl::Hours(1)));
    EXPECT_EQ(r.code, RejectionCode::kNotEditable) << state;
    EXPECT_EQ(r.reason, "FIELD_NOT_EDITABLE");
  }
}

TEST_F(CporTest, EditsRefuseUnknownFieldsAndCodes) {
  const Claim claim = Submitted(monday_);
  EditRequest request;
  request.fields = claim.fields;
  request.field_mask = {"colour"};
  EXPECT_EQ(MustRefuse(engine().Edit(claim, request, kBillingAdmin, monday_)).code,
            RejectionCode::kInvalidInput);
  request.fields.products = {"power_bi", "abacus"};
  request.field_mask = {"products"};
  const Rejection r = MustRefuse(engine().Edit(claim, request, kBillingAdmin, monday_));
  EXPECT_EQ(r.code, RejectionCode::kInvalidInput);
  EXPECT_THAT(r.violations, ElementsAre(Field(&FieldViolation::field, "products")));
}

// --- Evidence and comments ------------------------------------------------------------------

TEST_F(CporTest, PartnersAddEvidenceWhereTheReferenceAllowsIt) {
  Evidence evidence;
  evidence.file_name = "sow.pdf";
  for (const std::string state : {"editing", "submitted", "partner_action_required", "rejected"}) {
    const Claim claim = InState(state, monday_);
    MustDecide(engine().AddEvidence(claim, evidence, kBillingAdmin, monday_ + absl::Hours(5)));
    EXPECT_EQ(MustRefuse(engine().AddEvidence(claim, evidence, kReviewer, monday_)).code,
              RejectionCode::kRoleNotAllowed)
        << state;
  }
  for (const std::string state :
       {"under_review", "approved", "dispute_review", "incentive_assessment"}) {
    const Rejection r =
        MustRefuse(engine().AddEvidence(InState(state, monday_), evidence, kBillingAdmin, monday_));
    EXPECT_EQ(r.reason, "EVIDENCE_CLOSED") << state;
  }
}

TEST_F(CporTest, InternalCommentsOnlyFromReviewers) {
  const Claim claim = UnderReview(monday_);
  Comment comment;
  comment.text = "Signature looks pasted in.";
  comment.visibility = CommentVisibility::kInternal;
  const Decision d = MustDecide(engine().AddComment(claim, comment, kReviewer, monday_));
  EXPECT_EQ(d.comments[0].visibility, CommentVisibility::kInternal);
  EXPECT_EQ(d.comments[0].perspective, Perspective::kReviewer);
  EXPECT_TRUE(d.history[0].internal_comment);
  for (const Actor& partner : {kBillingAdmin, kGlobalAdmin, kIncentivesAdmin}) {
    const Rejection r = MustRefuse(engine().AddComment(claim, comment, partner, monday_));
    EXPECT_EQ(r.code, RejectionCode::kRoleNotAllowed);
  }
  // An action's comment follows the same rule.
  const Rejection r = MustRefuse(engine().Decide(
      PartnerActionRequired(monday_), {"resubmit", {}, "hidden note", CommentVisibility::kInternal},
      kBillingAdmin, monday_));
  EXPECT_EQ(r.code, RejectionCode::kRoleNotAllowed);
  // Public comments go both ways: "You can reply to them in the Comments section as well."
  comment.visibility = CommentVisibility::kPublic;
  EXPECT_EQ(MustDecide(engine().AddComment(claim, comment, kGlobalAdmin, monday_))
                .comments[0]
                .perspective,
            Perspective::kPartner);
}

TEST_F(CporTest, CommentsCloseWhenTheClaimLeavesTheWorkflow) {
  Comment comment;
  comment.text = "Any news?";
  const Rejection r = MustRefuse(
      engine().AddComment(IncentiveAssessment(monday_), comment, kBillingAdmin, monday_));
  EXPECT_EQ(r.code, RejectionCode::kNotEditable);
  EXPECT_EQ(r.reason, "COMMENTS_CLOSED");
  EXPECT_EQ(MustRefuse(engine().AddComment(UnderReview(monday_), comment, kCustomer, monday_)).code,
            RejectionCode::kRoleNotAllowed);
}

TEST_F(CporTest, HistoryRecordsEachStepWithItsPerspective) {
  const Claim rejected = Rejected(monday_);
  const Decision d = MustDecide(engine().Decide(rejected, {"dispute", {}, "New PoE attached.", {}},
                                                kIncentivesAdmin, monday_ + absl::Hours(4)));
  ASSERT_EQ(d.history.size(), 1u);
  const HistoryEntry& h = d.history[0];
  EXPECT_EQ(h.kind, HistoryKind::kAction);
  EXPECT_EQ(h.name, "dispute");
  EXPECT_EQ(h.actor_id, "ivan");
  EXPECT_EQ(h.perspective, Perspective::kPartner);
  EXPECT_EQ(h.from_state, "rejected");
  EXPECT_EQ(h.to_state, "dispute_review");
  EXPECT_EQ(h.comment, "New PoE attached.");
  EXPECT_THAT(d.facts.action_counts,
              UnorderedElementsAre(Pair("submit", 1), Pair("start_review", 1), Pair("reject", 1),
                                   Pair("dispute", 1)));
}

}  // namespace
}  // namespace claims::workflow
