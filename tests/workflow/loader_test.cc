// The loader on the shipped CPOR workflow (its model, spot-checked against the reference) and
// on hostile input (size, depth, node count, alias expansion, broken YAML).

#include "workflow/loader.h"

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/shipped_workflow.h"
#include "tests/testing/source_dir.h"
#include "workflow/definition.h"

namespace claims::workflow {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

using ::claims::testing::SourceDir;

LoadResult LoadShipped() { return testing::LoadWorkflowFile(); }

std::vector<std::string> Messages(const LoadResult& result) {
  std::vector<std::string> out;
  for (const Diagnostic& d : result.diagnostics) out.push_back(d.ToString());
  return out;
}

std::vector<std::string> Ids(const std::vector<const TransitionDef*>& transitions) {
  std::vector<std::string> ids;
  for (const TransitionDef* t : transitions) ids.push_back(t->id);
  return ids;
}

class ShippedWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    result_ = LoadShipped();
    ASSERT_THAT(Messages(result_), IsEmpty());
    ASSERT_TRUE(result_.ok());
  }
  const Definition& def() const { return *result_.definition; }
  LoadResult result_;
};

TEST_F(ShippedWorkflowTest, HasTheReferenceStatesInOrder) {
  std::vector<std::string> ids;
  for (const StateDef& state : def().states) ids.push_back(state.id);
  EXPECT_THAT(ids, ElementsAre("editing", "submitted", "under_review", "partner_action_required",
                               "approved", "rejected", "dispute_review", "incentive_assessment"));
  EXPECT_EQ(def().name, "cpor-association");
  EXPECT_EQ(def().version, 1);
  EXPECT_EQ(def().create.initial_state, "editing");
  EXPECT_THAT(def().create.roles, ElementsAre("billing_admin", "global_admin", "incentives_admin"));
  EXPECT_THAT(def().create.required_fields,
              ElementsAre("mpn_id", "customer", "products", "activity"));
  for (const StateDef& state : def().states) {
    EXPECT_EQ(state.terminal, state.id == "incentive_assessment") << state.id;
  }
}

TEST_F(ShippedWorkflowTest, EditsOnlyWhereTheReferenceAllows) {
  const StateDef* submitted = def().FindState("submitted");
  ASSERT_NE(submitted, nullptr);
  ASSERT_THAT(submitted->edit_rules, SizeIs(1));
  EXPECT_THAT(submitted->edit_rules[0].fields,
              ElementsAre("mpn_id", "products", "customer_contact", "partner_contact"));
  EXPECT_THAT(submitted->edit_rules[0].roles,
              ElementsAre("billing_admin", "global_admin", "incentives_admin"));
  EXPECT_EQ(def().FindState("partner_action_required")->edit_rules[0].fields,
            submitted->edit_rules[0].fields);
  EXPECT_THAT(def().FindState("editing")->edit_rules[0].fields, SizeIs(6));
  for (const char* state :
       {"under_review", "approved", "rejected", "dispute_review", "incentive_assessment"}) {
    EXPECT_THAT(def().FindState(state)->edit_rules, IsEmpty()) << state;
  }
  EXPECT_THAT(def().FindState("rejected")->evidence_roles, SizeIs(3));
  EXPECT_THAT(def().FindState("under_review")->evidence_roles, IsEmpty());
  EXPECT_THAT(def().FindState("under_review")->comment_roles,
              ElementsAre("billing_admin", "global_admin", "incentives_admin", "reviewer"));
}

TEST_F(ShippedWorkflowTest, DisputeGuards) {
  const TransitionDef* dispute = def().FindTransition("dispute");
  ASSERT_NE(dispute, nullptr);
  EXPECT_THAT(dispute->from, ElementsAre("rejected"));
  EXPECT_EQ(dispute->to, "dispute_review");
  EXPECT_TRUE(dispute->inputs.comment_or_new_evidence);
  ASSERT_THAT(dispute->guards, SizeIs(3));
  const GuardDef& within = dispute->guards[0];
  EXPECT_EQ(within.kind, GuardKind::kWithinDuration);
  EXPECT_EQ(within.id, "within");
  EXPECT_EQ(within.duration, (WorkflowDuration{30, DurationUnit::kDays}));
  EXPECT_EQ(within.calendar, "business");
  EXPECT_THAT(within.message, HasSubstr("submit a new claim"));
  const GuardDef& once = dispute->guards[1];
  EXPECT_EQ(once.kind, GuardKind::kMaxTimesTaken);
  EXPECT_EQ(once.count, 1);
  EXPECT_EQ(once.action, "dispute");
  const GuardDef& not_withdrawn = dispute->guards[2];
  EXPECT_EQ(not_withdrawn.kind, GuardKind::kLastReasonNotIn);
  EXPECT_EQ(not_withdrawn.catalog, "rejection_reasons");
  EXPECT_THAT(not_withdrawn.codes, ElementsAre("partner_request"));
}

TEST_F(ShippedWorkflowTest, TransitionsInputsAndEvents) {
  EXPECT_THAT(Ids(def().TransitionsFrom("under_review")),
              ElementsAre("request_info", "approve", "reject"));
  EXPECT_THAT(Ids(def().TransitionsFrom("partner_action_required")),
              ElementsAre("withdraw", "resubmit", "expire_partner_action"));
  EXPECT_THAT(Ids(def().TransitionsFrom("incentive_assessment")), IsEmpty());

  const TransitionDef* request_info = def().FindTransition("request_info");
  ASSERT_TRUE(request_info->inputs.reasons.has_value());
  EXPECT_EQ(request_info->inputs.reasons->catalog, "info_request_reasons");
  EXPECT_EQ(request_info->inputs.reasons->min, 1);
  EXPECT_EQ(request_info->inputs.reasons->max, 5);
  EXPECT_EQ(request_info->inputs.comment, Requirement::kRequired);

  const TransitionDef* withdraw = def().FindTransition("withdraw");
  ASSERT_TRUE(withdraw->implied_reasons.has_value());
  EXPECT_THAT(withdraw->implied_reasons->codes, ElementsAre("partner_request"));
  EXPECT_THAT(withdraw->from, ElementsAre("editing", "submitted", "partner_action_required"));

  const TransitionDef* deny = def().FindTransition("deny_consent");
  ASSERT_THAT(deny->events, SizeIs(2));
  EXPECT_EQ(deny->events[0].type, "rejection_notice");
  EXPECT_EQ(deny->events[1].type, "consent_denied");
  EXPECT_THAT(def().FindTransition("complete_consent_period")->roles, ElementsAre("system"));
  EXPECT_EQ(def().FindTransition("submit")->guards.at(0).kind, GuardKind::kMinEvidence);
  EXPECT_EQ(def().FindTransition("submit")->guards.at(0).count, 1);
}

TEST_F(ShippedWorkflowTest, Timers) {
  std::vector<std::string> ids;
  for (const TimerDef& timer : def().timers) ids.push_back(timer.id);
  EXPECT_THAT(ids, ElementsAre("review_start", "review_decision", "partner_response",
                               "consent_period", "dispute_review", "overall_decision"));

  const TimerDef* review_start = def().FindTimer("review_start");
  EXPECT_EQ(review_start->duration, (WorkflowDuration{5, DurationUnit::kBusinessDays}));
  EXPECT_EQ(review_start->on_deadline, DeadlineAction::kBreach);
  ASSERT_TRUE(review_start->warn_before.has_value());
  EXPECT_EQ(*review_start->warn_before, (WorkflowDuration{1, DurationUnit::kBusinessDays}));
  EXPECT_EQ(review_start->warning_events.at(0).type, "sla_warning");
  EXPECT_EQ(review_start->events.at(0).type, "sla_breached");
  EXPECT_EQ(review_start->events.at(0).attributes.at("sla"), "review_start");

  const TimerDef* partner_response = def().FindTimer("partner_response");
  EXPECT_EQ(partner_response->on_deadline, DeadlineAction::kTransition);
  EXPECT_EQ(partner_response->transition, "expire_partner_action");
  EXPECT_THAT(partner_response->reasons, ElementsAre("no_partner_response"));

  const TimerDef* consent = def().FindTimer("consent_period");
  EXPECT_EQ(consent->duration, (WorkflowDuration{7, DurationUnit::kDays}));
  EXPECT_EQ(consent->transition, "complete_consent_period");

  const TimerDef* overall = def().FindTimer("overall_decision");
  EXPECT_EQ(overall->duration, (WorkflowDuration{10, DurationUnit::kBusinessDays}));
  EXPECT_THAT(overall->start_on, ElementsAre("submitted"));
  EXPECT_THAT(overall->pause_in, ElementsAre("partner_action_required"));
  EXPECT_THAT(overall->stop_on, ElementsAre("approved", "rejected", "incentive_assessment"));
}

TEST_F(ShippedWorkflowTest, IncludedBusinessCalendar) {
  const CalendarDef* business = def().FindCalendar("business");
  ASSERT_NE(business, nullptr);
  EXPECT_EQ(business->calendar.zone_name(), "America/Los_Angeles");
  EXPECT_THAT(business->calendar.weekend(),
              ElementsAre(absl::Weekday::saturday, absl::Weekday::sunday));
  EXPECT_TRUE(business->calendar.holidays().contains(absl::CivilDay(2026, 11, 26)));
  EXPECT_TRUE(business->calendar.holidays().contains(absl::CivilDay(2027, 7, 5)));
  EXPECT_FALSE(business->calendar.IsBusinessDay(absl::CivilDay(2026, 12, 25)));
}

TEST_F(ShippedWorkflowTest, CatalogsAndRoles) {
  EXPECT_EQ(def().FindRole("reviewer")->perspective, Perspective::kReviewer);
  EXPECT_EQ(def().FindRole("system")->perspective, Perspective::kSystem);
  EXPECT_EQ(def().FindRole("customer")->perspective, Perspective::kCustomer);
  EXPECT_EQ(def().FindRole("incentives_admin")->perspective, Perspective::kPartner);
  const CatalogDef* rejection = def().FindCatalog("rejection_reasons");
  ASSERT_NE(rejection, nullptr);
  EXPECT_THAT(rejection->entries, SizeIs(7));
  EXPECT_NE(rejection->Find("no_partner_response"), nullptr);
  EXPECT_EQ(rejection->Find("unknown"), nullptr);
  EXPECT_THAT(def().FindCatalog("info_request_reasons")->entries, SizeIs(5));
  EXPECT_NE(def().FindCatalog("products")->Find("power_apps"), nullptr);
  EXPECT_NE(def().FindCatalog("activities")->Find("pre_sales"), nullptr);
}

TEST_F(ShippedWorkflowTest, CopiesHaveTheirOwnIndex) {
  Definition copy = def();
  const std::vector<const TransitionDef*>& from = copy.TransitionsFrom("approved");
  ASSERT_THAT(from, SizeIs(2));
  EXPECT_GE(from[0], copy.transitions.data());
  EXPECT_LT(from[0], copy.transitions.data() + copy.transitions.size());
  Definition moved = std::move(copy);
  EXPECT_EQ(moved.FindState("approved"), &moved.states[4]);
  EXPECT_THAT(Ids(moved.TransitionsFrom("approved")),
              ElementsAre("deny_consent", "complete_consent_period"));
}

// Hostile and broken input.

constexpr char kMinimal[] = R"(name: t
version: 1
roles: [{id: p, display_name: P, perspective: partner}]
create: {roles: [p], initial_state: a}
states: [{id: a, display_name: A}, {id: b, display_name: B, terminal: true}]
transitions: [{id: go, display_name: Go, from: [a], to: b, roles: [p]}]
)";

template <typename F>
double Seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(LoaderTest, MinimalWorkflowLoads) {
  LoadResult result = LoadDefinition(kMinimal, "t.yaml");
  EXPECT_THAT(Messages(result), IsEmpty());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.definition->FindTransition("go")->to, "b");
}

TEST(LoaderTest, EvidenceContentTypesDefaultToDocumentsAndImages) {
  LoadResult result = LoadDefinition(kMinimal, "t.yaml");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.definition->AllowsEvidenceType("application/pdf"));
  EXPECT_TRUE(result.definition->AllowsEvidenceType("image/png"));
  EXPECT_TRUE(result.definition->AllowsEvidenceType(
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document"));
  EXPECT_FALSE(result.definition->AllowsEvidenceType("application/x-executable"));
  EXPECT_FALSE(result.definition->AllowsEvidenceType("text/html"));
}

TEST(LoaderTest, EvidenceContentTypesAreReadFromTheFile) {
  LoadResult result = LoadDefinition(
      std::string(kMinimal) + "evidence_content_types: [application/pdf, image/png]\n", "t.yaml");
  EXPECT_THAT(Messages(result), IsEmpty());
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result.definition->evidence_content_types,
              ElementsAre("application/pdf", "image/png"));
  EXPECT_FALSE(result.definition->AllowsEvidenceType("image/jpeg"));
}

TEST(LoaderTest, BadEvidenceContentTypesAreReportedWithTheirPosition) {
  LoadResult result = LoadDefinition(
      std::string(kMinimal) + "evidence_content_types: [application/pdf, PDF, application/pdf]\n",
      "t.yaml");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(Messages(result),
              ElementsAre(AllOf(HasSubstr("t.yaml:7:43"), HasSubstr("'PDF' is not a media type")),
                          AllOf(HasSubstr("t.yaml:7:48"), HasSubstr("listed twice"))));
  result = LoadDefinition(std::string(kMinimal) + "evidence_content_types: []\n", "t.yaml");
  EXPECT_THAT(Messages(result), ElementsAre(HasSubstr("at least one media type")));
}

TEST(LoaderTest, OversizeInputIsRefusedBeforeParsing) {
  const std::string text = std::string(kMinimal) + "# " + std::string(2 << 20, 'x') + "\n";
  LoadResult result;
  EXPECT_LT(Seconds([&] { result = LoadDefinition(text, "big.yaml"); }), 1.0);
  EXPECT_THAT(Messages(result),
              ElementsAre(AllOf(HasSubstr("big.yaml:1:1: file is "),
                                HasSubstr(" bytes, more than the limit of 1048576"))));
  EXPECT_FALSE(result.ok());
}

TEST(LoaderTest, DeepNestingIsRefused) {
  std::string text = "description: ";
  for (int i = 0; i < 10'000; ++i) text += "[";
  for (int i = 0; i < 10'000; ++i) text += "]";
  LoadResult result;
  EXPECT_LT(Seconds([&] { result = LoadDefinition(text, "deep.yaml"); }), 1.0);
  // The mapping is level 1; the 32nd bracket opens level 33.
  EXPECT_THAT(Messages(result),
              ElementsAre("deep.yaml:1:45: document is nested deeper than 32 levels"));
}

TEST(LoaderTest, AliasBombIsRefusedInLinearTime) {
  // Each level doubles the one before: 2^40 nodes if walked, 40 lines as text.
  std::string text = "a0: &a0 [x, x]\n";
  for (int i = 1; i <= 40; ++i) {
    absl::StrAppend(&text, "a", i, ": &a", i, " [*a", i - 1, ", *a", i - 1, "]\n");
  }
  LoadResult result;
  EXPECT_LT(Seconds([&] { result = LoadDefinition(text, "bomb.yaml"); }), 1.0);
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_THAT(result.diagnostics[0].message, "aliases expand to more than 1000 nodes");
  EXPECT_EQ(result.diagnostics[0].line, 8);
}

TEST(LoaderTest, ManyNodesAreRefused) {
  std::string text = "description: [";
  for (int i = 0; i < 150'000; ++i) text += "1,";
  text += "1]\n";
  LoadResult result;
  EXPECT_LT(Seconds([&] { result = LoadDefinition(text, "wide.yaml"); }), 2.0);
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_EQ(result.diagnostics[0].message, "document has more than 100000 nodes");
}

TEST(LoaderTest, LimitsAreTheCallers) {
  LoadLimits limits;
  limits.max_nodes = 10;
  LoadResult result = LoadDefinition(kMinimal, "t.yaml", {}, limits);
  EXPECT_THAT(Messages(result), ElementsAre(HasSubstr("more than 10 nodes")));
}

TEST(LoaderTest, AliasesWithinLimitsAreFine) {
  std::string text = kMinimal;
  text.replace(text.find("roles: [p]"), 10, "roles: &r [p]");
  text.replace(text.find("roles: [p]}]"), 10, "roles: *r");
  LoadResult result = LoadDefinition(text, "t.yaml");
  EXPECT_THAT(Messages(result), IsEmpty());
}

TEST(LoaderTest, SyntaxErrorHasPosition) {
  LoadResult result = LoadDefinition("name: t\nroles: [a, b\nversion: 1\n", "bad.yaml");
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_EQ(result.diagnostics[0].file, "bad.yaml");
  EXPECT_GE(result.diagnostics[0].line, 2);
  EXPECT_FALSE(result.ok());
}

TEST(LoaderTest, OneDocumentOnly) {
  LoadResult result = LoadDefinition(std::string(kMinimal) + "---\nname: u\n", "two.yaml");
  EXPECT_THAT(Messages(result),
              ElementsAre("two.yaml:7:1: a workflow file holds exactly one YAML document"));
}

TEST(LoaderTest, RootMustBeAMapping) {
  EXPECT_THAT(Messages(LoadDefinition("- a\n- b\n", "list.yaml")),
              ElementsAre("list.yaml:1:1: expected a mapping for workflow, found a sequence"));
  EXPECT_THAT(Messages(LoadDefinition("", "empty.yaml")),
              ElementsAre("empty.yaml:1:1: expected a mapping for workflow, found nothing"));
}

TEST(LoaderTest, MissingTopLevelKeys) {
  EXPECT_THAT(Messages(LoadDefinition("name: t\nversion: 1\n", "t.yaml")),
              ElementsAre("t.yaml:1:1: workflow is missing required key 'roles'",
                          "t.yaml:1:1: workflow is missing required key 'create'",
                          "t.yaml:1:1: workflow is missing required key 'states'",
                          "t.yaml:1:1: workflow is missing required key 'transitions'"));
}

TEST(LoaderTest, DuplicateKeys) {
  std::string text = std::string(kMinimal) + "version: 2\n";
  EXPECT_THAT(Messages(LoadDefinition(text, "t.yaml")),
              ElementsAre("t.yaml:7:1: duplicate key 'version' in workflow"));
}

TEST(LoaderTest, IncludedFileNamedRelativeToTheIncludingFile) {
  std::string text = std::string(kMinimal) + "calendars: [{id: c, include: ../calendars/x.yaml}]\n";
  LoadResult result = LoadDefinition(
      text, "config/workflows/w.yaml", [](std::string_view path) -> std::optional<std::string> {
        if (path != "../calendars/x.yaml") return std::nullopt;
        return "time_zone: UTC\nweekend: [saturday, sunday]\nholidays: [2026-13-01]\n";
      });
  EXPECT_THAT(Messages(result),
              ElementsAre("config/calendars/x.yaml:3:12: holiday '2026-13-01' is not a date: "
                          "write YYYY-MM-DD"));
}

TEST(LoaderTest, IncludedFileSyntaxError) {
  std::string text = std::string(kMinimal) + "calendars: [{id: c, include: x.yaml}]\n";
  LoadResult result = LoadDefinition(text, "w.yaml", [](std::string_view) {
    return std::optional<std::string>("time_zone: [UTC\n");
  });
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_EQ(result.diagnostics[0].file, "x.yaml");
}

TEST(LoaderTest, BinaryGarbageDoesNotThrow) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 131 + 7) % 256));
  LoadResult result = LoadDefinition(garbage, "garbage.yaml");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.diagnostics, Not(IsEmpty()));
}

}  // namespace
}  // namespace claims::workflow
