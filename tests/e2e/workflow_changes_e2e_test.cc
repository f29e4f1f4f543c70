// Changing a workflow under running claims, end to end on SQLite and MariaDB: what a new
// version changes and does to the running claims (page by page), migrating them to it (checked
// first, then each claim moved once, with one history entry and one event), the refusal when a
// claim would be stranded, partners kept out of everything that reads every partner's claims,
// deadlines recomputed after a holiday is added to the calendar, and two servers migrating the
// same claims at once.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "claims/v1/workflow_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"

namespace claims::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

std::string ClaimId(const std::string& name) { return name.substr(name.rfind('/') + 1); }

// The instant a business day ends in the shipped calendar's zone (its deadlines fall there).
absl::Time EndOfDay(int year, int month, int day) {
  absl::TimeZone zone;
  absl::LoadTimeZone("America/Los_Angeles", &zone);
  return absl::FromCivil(absl::CivilDay(year, month, day) + 1, zone);
}

absl::Time TimeOf(const google::protobuf::Timestamp& time) {
  return absl::FromUnixSeconds(time.seconds()) + absl::Nanoseconds(time.nanos());
}

const v1::Timer* FindTimer(const v1::Claim& claim, const std::string& name) {
  for (const v1::Timer& timer : claim.timers()) {
    if (timer.name() == name) return &timer;
  }
  return nullptr;
}

class WorkflowChangesE2eTest : public E2eFixture {
 protected:
  void Configure(config::ServerConfig& config) override {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(test.begin(), test.end(), '/', '_');
    root_ = fs::temp_directory_path() / absl::StrCat("claims-changes-", ::getpid(), "-", test);
    fs::remove_all(root_);
    fs::create_directories(root_ / "workflows");
    const fs::path shipped = fs::path(SourceDir()) / "config";
    fs::copy(shipped / "calendars", root_ / "calendars", fs::copy_options::recursive);
    v1_text_ = ReadText(shipped / "workflows" / "cpor-association.yaml");
    WriteText(root_ / "workflows" / "cpor-association.yaml", v1_text_);
    config.workflows.directory = (root_ / "workflows").string();
    config_ = config;
  }

  void SetUp() override {
    E2eFixture::SetUp();
    workflows_ = v1::Workflows::NewStub(channel_);
  }

  void TearDown() override {
    E2eFixture::TearDown();
    fs::remove_all(root_);
  }

  // Version `version` renames partner_action_required to awaiting_partner and gives reviewers
  // 6 business days instead of 5 to decide; `migrate_from` is appended as given.
  std::string RenamingVersion(int version, const std::string& migrate_from) const {
    std::string text = absl::StrReplaceAll(
        v1_text_, {{"\nversion: 1\n", absl::StrCat("\nversion: ", version, "\n")},
                   {"partner_action_required", "awaiting_partner"},
                   {"Review decision within 5 business days\n    duration: {business_days: 5}",
                    "Review decision within 6 business days\n    duration: {business_days: 6}"}});
    return text + migrate_from;
  }
  // Takes the claims of version 1 and maps the renamed state.
  std::string MigratingV2() const {
    return RenamingVersion(2,
                           "\nmigrate_from:\n  version: 1\n  states:\n"
                           "    partner_action_required: awaiting_partner\n");
  }

  void Publish(const std::string& file, const std::string& text) {
    WriteText(root_ / "workflows" / file, text);
    ASSERT_OK(server_->ReloadWorkflows());
  }

  template <typename Request, typename Response>
  grpc::Status Call(const Identity& who, const Request& request, Response* response,
                    grpc::Status (v1::Workflows::Stub::*method)(grpc::ClientContext*,
                                                                const Request&, Response*),
                    v1::Workflows::Stub* stub = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context.AddMetadata("x-claims-actor", who.actor);
    context.AddMetadata("x-claims-roles", who.roles);
    if (!who.partner.empty()) context.AddMetadata("x-claims-partner", who.partner);
    if (!who.customer_tenant.empty()) {
      context.AddMetadata("x-claims-customer-tenant", who.customer_tenant);
    }
    return ((stub != nullptr ? stub : workflows_.get())->*method)(&context, request, response);
  }

  grpc::Status Diff(const Identity& who, const v1::DiffWorkflowVersionsRequest& request,
                    v1::DiffWorkflowVersionsResponse* response) {
    return Call(who, request, response, &v1::Workflows::Stub::DiffWorkflowVersions);
  }
  grpc::Status Migrate(const Identity& who, const std::string& name, bool validate_only,
                       int page_size, v1::MigrateClaimsResponse* response,
                       v1::Workflows::Stub* stub = nullptr) {
    v1::MigrateClaimsRequest request;
    request.set_name(name);
    request.set_validate_only(validate_only);
    request.set_page_size(page_size);
    return Call(who, request, response, &v1::Workflows::Stub::MigrateClaims, stub);
  }
  grpc::Status Recompute(const Identity& who, const std::string& name, bool dry_run,
                         const std::string& page_token, int page_size,
                         v1::RecomputeDeadlinesResponse* response) {
    v1::RecomputeDeadlinesRequest request;
    request.set_name(name);
    request.set_dry_run(dry_run);
    request.set_page_token(page_token);
    request.set_page_size(page_size);
    return Call(who, request, response, &v1::Workflows::Stub::RecomputeDeadlines);
  }

  // The running claims most tests start from, all at the fixture's start time: three under
  // review, one waiting for the partner, one submitted.
  std::vector<v1::Claim> RunningClaims() {
    std::vector<v1::Claim> claims;
    for (int i = 0; i < 3; ++i) claims.push_back(ClaimIn("under_review"));
    claims.push_back(ClaimIn("partner_action_required"));
    claims.push_back(ClaimIn("submitted"));
    return claims;
  }

  v1::Claim Read(const std::string& name) {
    v1::Claim claim;
    EXPECT_TRUE(client_->Get(Reviewer(), name, &claim).ok());
    return claim;
  }

  std::vector<v1::HistoryEntry> HistoryOf(const std::string& name, v1::HistoryEntry::Kind kind) {
    v1::ClaimHistory history;
    EXPECT_TRUE(client_->History(Reviewer(), name, &history).ok());
    std::vector<v1::HistoryEntry> out;
    for (const v1::HistoryEntry& entry : history.entries()) {
      if (entry.kind() == kind) out.push_back(entry);
    }
    return out;
  }

  // Every event of `type` in the outbox, by claim name.
  std::map<std::string, int> EventsOfType(const std::string& type, std::size_t total) {
    std::map<std::string, int> out;
    for (const v1::Event& event : ReadEvents(Reviewer(), 0, total, 5)) {
      if (event.type() == type) ++out[event.claim()];
    }
    return out;
  }

  fs::path root_;
  std::string v1_text_;
  config::ServerConfig config_;
  std::unique_ptr<v1::Workflows::Stub> workflows_;
};

TEST_P(WorkflowChangesE2eTest, DiffShowsTheDefinitionChangesAndTheLiveClaimsPageByPage) {
  const std::vector<v1::Claim> claims = RunningClaims();
  Publish("cpor-association-v2.yaml", MigratingV2());

  v1::DiffWorkflowVersionsRequest request;
  request.set_before_name("workflows/cpor-association/versions/1");
  request.set_after_name("workflows/cpor-association/versions/2");
  // The definition diff is open to every caller, partners too.
  v1::DiffWorkflowVersionsResponse diff;
  ASSERT_TRUE(Diff(Partner("contoso"), request, &diff).ok());
  EXPECT_EQ(diff.diff().workflow_id(), "cpor-association");
  EXPECT_EQ(diff.diff().before_version(), 1);
  EXPECT_EQ(diff.diff().after_version(), 2);
  std::map<std::string, v1::ChangeKind> states;
  for (const auto& change : diff.diff().states()) states[change.id()] = change.kind();
  EXPECT_EQ(states["partner_action_required"], v1::CHANGE_KIND_REMOVED);
  EXPECT_EQ(states["awaiting_partner"], v1::CHANGE_KIND_ADDED);
  std::map<std::string, v1::ChangeKind> timers;
  for (const auto& change : diff.diff().timers()) timers[change.id()] = change.kind();
  EXPECT_EQ(timers["review_decision"], v1::CHANGE_KIND_CHANGED);
  EXPECT_THAT(diff.diff().transitions(), Not(IsEmpty()));
  EXPECT_TRUE(diff.migration_declared());
  EXPECT_THAT(diff.migration_problems(), IsEmpty());
  EXPECT_FALSE(diff.has_live());

  // Against the live claims, two at a time: every running claim examined once; the three
  // under review get a day more to be decided on (end of Tue 10 Mar instead of Mon 9 Mar), the
  // one waiting for the partner is placed in the renamed state.
  request.set_against_live(true);
  request.set_page_size(2);
  int pages = 0;
  int64_t examined = 0;
  int64_t moved = 0;
  std::map<std::string, v1::ClaimImpact> impacts;
  for (;;) {
    v1::DiffWorkflowVersionsResponse page;
    ASSERT_TRUE(Diff(Reviewer(), request, &page).ok());
    ++pages;
    examined += page.live().claims_examined();
    moved += page.live().claims_with_moved_deadlines();
    EXPECT_EQ(page.live().claims_stranded(), 0);
    for (const v1::ClaimImpact& impact : page.live().claims()) {
      EXPECT_TRUE(impacts.emplace(impact.claim(), impact).second) << impact.claim() << " twice";
    }
    if (page.live().next_page_token().empty()) break;
    request.set_page_token(page.live().next_page_token());
    ASSERT_LT(pages, 10);
  }
  EXPECT_GE(pages, 3);
  EXPECT_EQ(examined, 5);
  EXPECT_EQ(moved, 3);
  // Listed: the claims whose deadlines move, and the one whose state is renamed.
  ASSERT_THAT(impacts, SizeIs(4));
  const v1::ClaimImpact& renamed = impacts["claims/" + ClaimId(claims[3].name())];
  EXPECT_EQ(renamed.state(), "partner_action_required");
  EXPECT_EQ(renamed.new_state(), "awaiting_partner");
  EXPECT_THAT(renamed.deadline_moves(), IsEmpty());
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string key = "claims/" + ClaimId(claims[i].name());
    ASSERT_TRUE(impacts.count(key)) << key;
    const v1::ClaimImpact& impact = impacts[key];
    EXPECT_EQ(impact.partner_id(), "contoso");
    EXPECT_EQ(impact.state(), "under_review");
    EXPECT_EQ(impact.new_state(), "under_review");
    EXPECT_FALSE(impact.stranded());
    ASSERT_THAT(impact.deadline_moves(), SizeIs(1));
    const v1::DeadlineMove& move = impact.deadline_moves(0);
    EXPECT_EQ(move.timer(), "review_decision");
    EXPECT_EQ(TimeOf(move.due_before()), EndOfDay(2026, 3, 9));
    EXPECT_EQ(TimeOf(move.due_after()), EndOfDay(2026, 3, 10));
    EXPECT_EQ(move.shift_seconds(), 24 * 3600);
  }
  // Nothing was written.
  EXPECT_EQ(Read(claims[0].name()).workflow_version(), 1);
}

TEST_P(WorkflowChangesE2eTest, DiffRefusesWhatItCannotCompare) {
  Publish("cpor-association-v2.yaml", MigratingV2());
  v1::DiffWorkflowVersionsResponse diff;

  v1::DiffWorkflowVersionsRequest broken;
  broken.set_before_name("workflows/cpor-association/versions/1");
  broken.set_after_source("name: cpor-association\nversion: 3\nstates: 7\n");
  grpc::Status status = Diff(Reviewer(), broken, &diff);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Details(status).info.reason(), "INVALID_WORKFLOW");
  ASSERT_THAT(Details(status).bad_request.field_violations(), Not(IsEmpty()));
  EXPECT_EQ(Details(status).bad_request.field_violations(0).field(), "after_source");

  v1::DiffWorkflowVersionsRequest other;
  other.set_before_name("workflows/cpor-association/versions/1");
  other.set_after_source(
      absl::StrReplaceAll(v1_text_, {{"name: cpor-association\n", "name: other-association\n"}}));
  status = Diff(Reviewer(), other, &diff);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Details(status).info.reason(), "WORKFLOW_MISMATCH");

  v1::DiffWorkflowVersionsRequest missing;
  missing.set_before_name("workflows/cpor-association/versions/9");
  missing.set_after_name("workflows/cpor-association/versions/2");
  EXPECT_EQ(Diff(Reviewer(), missing, &diff).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::DiffWorkflowVersionsRequest live;
  live.set_before_name("workflows/cpor-association/versions/1");
  live.set_after_name("workflows/cpor-association/versions/2");
  live.set_against_live(true);
  live.set_page_size(1001);
  EXPECT_EQ(Diff(Reviewer(), live, &diff).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  live.set_page_size(0);
  live.set_page_token("not-a-token");
  status = Diff(Reviewer(), live, &diff);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_THAT(Details(status).bad_request.field_violations(), Not(IsEmpty()));
  EXPECT_EQ(Details(status).bad_request.field_violations(0).field(), "page_token");

  // A source as the old side of a live diff stands for the published version it is, and only
  // when it is that version's text.
  live.clear_page_token();
  live.set_before_source(v1_text_);
  ASSERT_TRUE(Diff(Reviewer(), live, &diff).ok());
  EXPECT_EQ(diff.diff().before_version(), 1);
  live.set_before_source(v1_text_ + "# edited\n");
  status = Diff(Reviewer(), live, &diff);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Details(status).info.reason(), "SOURCE_NOT_PUBLISHED");
  live.set_before_source(absl::StrReplaceAll(v1_text_, {{"\nversion: 1\n", "\nversion: 7\n"}}));
  EXPECT_EQ(Diff(Reviewer(), live, &diff).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(WorkflowChangesE2eTest, MigrationIsCheckedFirstThenMovesEveryClaimOncePageByPage) {
  const std::vector<v1::Claim> claims = RunningClaims();
  Publish("cpor-association-v2.yaml", MigratingV2());
  const std::string v2 = "workflows/cpor-association/versions/2";

  v1::MigrateClaimsResponse checked;
  ASSERT_TRUE(Migrate(Reviewer(), v2, /*validate_only=*/true, 2, &checked).ok());
  EXPECT_EQ(checked.from_version(), 1);
  EXPECT_EQ(checked.to_version(), 2);
  EXPECT_EQ(checked.claims_migrated(), 0);
  EXPECT_EQ(checked.remaining_claims(), 5);
  EXPECT_THAT(checked.claims(), SizeIs(2));
  for (const v1::Claim& claim : claims) EXPECT_EQ(Read(claim.name()).workflow_version(), 1);

  std::map<std::string, int> migrated;
  int calls = 0;
  int64_t remaining = -1;
  while (remaining != 0) {
    v1::MigrateClaimsResponse page;
    ASSERT_TRUE(Migrate(Reviewer(), v2, false, 2, &page).ok());
    ++calls;
    EXPECT_LE(page.claims_migrated(), 2);
    EXPECT_EQ(page.claims_migrated(), page.claims_size());
    for (const v1::ClaimImpact& impact : page.claims()) ++migrated[impact.claim()];
    remaining = page.remaining_claims();
    ASSERT_LT(calls, 10);
  }
  EXPECT_EQ(calls, 3);
  ASSERT_THAT(migrated, SizeIs(5));
  for (const auto& [claim, times] : migrated) EXPECT_EQ(times, 1) << claim;

  // Called again: nothing left.
  v1::MigrateClaimsResponse again;
  ASSERT_TRUE(Migrate(Reviewer(), v2, false, 2, &again).ok());
  EXPECT_EQ(again.claims_migrated(), 0);
  EXPECT_EQ(again.remaining_claims(), 0);

  const std::map<std::string, int> events = EventsOfType("claim.migrated", 200);
  for (const v1::Claim& claim : claims) {
    EXPECT_EQ(migrated.count("claims/" + ClaimId(claim.name())), 1u) << claim.name();
    const v1::Claim read = Read(claim.name());
    EXPECT_EQ(read.workflow_version(), 2);
    const std::vector<v1::HistoryEntry> entries =
        HistoryOf(claim.name(), v1::HistoryEntry::MIGRATION);
    ASSERT_THAT(entries, SizeIs(1)) << claim.name();
    EXPECT_EQ(entries[0].from_state(), claim.state());
    EXPECT_EQ(entries[0].to_state(), read.state());
    auto event = events.find(claim.name());
    EXPECT_TRUE(event != events.end() && event->second == 1) << claim.name();
  }
  EXPECT_EQ(Read(claims[3].name()).state(), "awaiting_partner");
  // The reviewers' deadline moved to the new version's six business days.
  const v1::Timer* decision = FindTimer(Read(claims[0].name()), "review_decision");
  ASSERT_NE(decision, nullptr);
  EXPECT_EQ(TimeOf(decision->due_time()), EndOfDay(2026, 3, 10));
  // And the migrated claim goes on under the new version.
  v1::Claim resubmitted;
  ASSERT_TRUE(client_->Act(Partner("contoso"), claims[3].name(), "resubmit", &resubmitted).ok());
  EXPECT_EQ(resubmitted.state(), "under_review");
}

TEST_P(WorkflowChangesE2eTest, MigrationIsRefusedWhenUndeclaredOrAClaimWouldBeStranded) {
  const v1::Claim waiting = ClaimIn("partner_action_required");
  const v1::Claim reviewed = ClaimIn("under_review");
  // Version 2 does not take version 1's claims; version 3 does, but places no claim of the
  // state it renames.
  Publish("cpor-association-v2.yaml",
          absl::StrReplaceAll(v1_text_, {{"\nversion: 1\n", "\nversion: 2\n"}}) +
              "# version 2: the same process\n");
  Publish("cpor-association-v3.yaml", RenamingVersion(3, "\nmigrate_from:\n  version: 1\n"));

  v1::MigrateClaimsResponse response;
  grpc::Status status =
      Migrate(Reviewer(), "workflows/cpor-association/versions/2", false, 10, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Details(status).info.reason(), "MIGRATION_NOT_DECLARED");

  for (bool validate_only : {true, false}) {
    status =
        Migrate(Reviewer(), "workflows/cpor-association/versions/3", validate_only, 10, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    const ErrorDetails details = Details(status);
    EXPECT_EQ(details.info.reason(), "CLAIMS_STRANDED");
    ASSERT_THAT(details.precondition.violations(), SizeIs(1));
    EXPECT_THAT(details.precondition.violations(0).subject(), HasSubstr(ClaimId(waiting.name())));
    EXPECT_THAT(details.precondition.violations(0).description(),
                HasSubstr("partner_action_required"));
  }
  // Nothing moved, not even the claim that could have.
  EXPECT_EQ(Read(waiting.name()).workflow_version(), 1);
  EXPECT_EQ(Read(reviewed.name()).workflow_version(), 1);
  EXPECT_THAT(HistoryOf(reviewed.name(), v1::HistoryEntry::MIGRATION), IsEmpty());

  // The diff says why beforehand: the stranded claim, and the migration's problem.
  v1::DiffWorkflowVersionsRequest request;
  request.set_before_name("workflows/cpor-association/versions/1");
  request.set_after_name("workflows/cpor-association/versions/3");
  request.set_against_live(true);
  v1::DiffWorkflowVersionsResponse diff;
  ASSERT_TRUE(Diff(Reviewer(), request, &diff).ok());
  EXPECT_TRUE(diff.migration_declared());
  EXPECT_THAT(diff.migration_problems(), Not(IsEmpty()));
  EXPECT_EQ(diff.live().claims_stranded(), 1);
  bool listed = false;
  for (const v1::ClaimImpact& impact : diff.live().claims()) {
    if (impact.claim() == "claims/" + ClaimId(waiting.name())) {
      listed = true;
      EXPECT_TRUE(impact.stranded());
      EXPECT_EQ(impact.new_state(), "");
    }
  }
  EXPECT_TRUE(listed);
}

TEST_P(WorkflowChangesE2eTest, PartnersAreRefusedEverythingThatReadsEveryPartnersClaims) {
  const v1::Claim own = ClaimIn("under_review");
  v1::Claim other;
  ASSERT_TRUE(client_->Create(Partner("northwind"), NewClaimRequest("northwind"), &other).ok());
  Publish("cpor-association-v2.yaml", MigratingV2());
  const std::vector<std::string> ids = {ClaimId(own.name()), ClaimId(other.name())};
  auto leaks_nothing = [&](const grpc::Status& status) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
    EXPECT_EQ(Details(status).info.reason(), "REVIEWER_ROLE_REQUIRED");
    for (const std::string& id : ids) {
      EXPECT_THAT(status.error_message(), Not(HasSubstr(id)));
      EXPECT_THAT(status.error_details(), Not(HasSubstr(id)));
    }
  };
  for (const Identity& who : {Partner("contoso"), Partner("northwind", "nina"),
                              Customer("6f1c2a9e-0000-4000-8000-000000000001")}) {
    v1::DiffWorkflowVersionsRequest request;
    request.set_before_name("workflows/cpor-association/versions/1");
    request.set_after_name("workflows/cpor-association/versions/2");
    request.set_against_live(true);
    v1::DiffWorkflowVersionsResponse diff;
    leaks_nothing(Diff(who, request, &diff));
    EXPECT_FALSE(diff.has_live());
    v1::MigrateClaimsResponse migrate;
    leaks_nothing(Migrate(who, "workflows/cpor-association/versions/2", true, 10, &migrate));
    leaks_nothing(Migrate(who, "workflows/cpor-association/versions/2", false, 10, &migrate));
    EXPECT_THAT(migrate.claims(), IsEmpty());
    v1::RecomputeDeadlinesResponse recompute;
    leaks_nothing(
        Recompute(who, "workflows/cpor-association/versions/1", true, "", 10, &recompute));
    leaks_nothing(
        Recompute(who, "workflows/cpor-association/versions/1", false, "", 10, &recompute));
    EXPECT_THAT(recompute.claims(), IsEmpty());
  }
  EXPECT_EQ(Read(own.name()).workflow_version(), 1);
  EXPECT_THAT(HistoryOf(own.name(), v1::HistoryEntry::MIGRATION), IsEmpty());
}

TEST_P(WorkflowChangesE2eTest, AHolidayAddedToTheCalendarMovesRunningDeadlinesOnRecompute) {
  // Submitted and under review on Mon 2 Mar: review_start and review_decision due at the end
  // of Mon 9 Mar, overall_decision at the end of Mon 16 Mar.
  const v1::Claim submitted = ClaimIn("submitted");
  const v1::Claim reviewed = ClaimIn("under_review");
  // A week later both first deadlines have passed and been flagged.
  clock_->Advance(absl::Hours(8 * 24));
  ASSERT_OK_AND_ASSIGN(int fired, server_->scheduler().RunOnce());
  EXPECT_GE(fired, 2);
  // Submitted on Tue 10 Mar: review_start due at the end of Tue 17 Mar.
  const v1::Claim late = ClaimIn("submitted");
  const v1::Claim before_recompute = Read(submitted.name());
  const v1::Timer* breached_timer = FindTimer(before_recompute, "review_start");
  ASSERT_NE(breached_timer, nullptr);
  ASSERT_EQ(breached_timer->state(), v1::Timer::BREACHED);
  const v1::Timer breached = *breached_timer;

  // Thursdays 5 and 12 March become holidays, in the calendar file the workflow includes.
  const fs::path calendar = root_ / "calendars" / "us.yaml";
  WriteText(calendar, absl::StrReplaceAll(ReadText(calendar),
                                          {{"  - {date: 2026-05-25, name: Memorial Day}\n",
                                            "  - {date: 2026-03-05, name: Company holiday}\n"
                                            "  - {date: 2026-03-12, name: Company holiday}\n"
                                            "  - {date: 2026-05-25, name: Memorial Day}\n"}}));
  ASSERT_OK(server_->ReloadWorkflows());
  const std::string v1 = "workflows/cpor-association/versions/1";

  // Dry run, a claim a page: what would move, nothing written.
  std::map<std::string, v1::ClaimImpact> would;
  std::string token;
  int64_t examined = 0;
  int pages = 0;
  do {
    v1::RecomputeDeadlinesResponse page;
    ASSERT_TRUE(Recompute(Reviewer(), v1, true, token, 1, &page).ok());
    examined += page.claims_examined();
    for (const v1::ClaimImpact& impact : page.claims()) would[impact.claim()] = impact;
    token = page.next_page_token();
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(examined, 3);
  ASSERT_THAT(would, SizeIs(3));
  auto moves_of = [&](const v1::Claim& claim) {
    std::map<std::string, std::pair<absl::Time, absl::Time>> out;
    for (const v1::DeadlineMove& move : would["claims/" + ClaimId(claim.name())].deadline_moves()) {
      out[move.timer()] = {TimeOf(move.due_before()), TimeOf(move.due_after())};
    }
    return out;
  };
  // Each armed deadline is pushed back a business day per holiday before it: the first two
  // claims' overall decision two days (the breached review_start, which Thursday 5 would have
  // moved too, stays as it fired), the late claim's deadlines one day (Thursday 5 is before it
  // started).
  auto first = moves_of(submitted);
  EXPECT_THAT(first, SizeIs(1));
  EXPECT_EQ(first["overall_decision"],
            std::make_pair(EndOfDay(2026, 3, 16), EndOfDay(2026, 3, 18)));
  auto second = moves_of(reviewed);
  EXPECT_THAT(second, SizeIs(1));
  EXPECT_EQ(second["overall_decision"],
            std::make_pair(EndOfDay(2026, 3, 16), EndOfDay(2026, 3, 18)));
  auto third = moves_of(late);
  EXPECT_THAT(third, SizeIs(2));
  EXPECT_EQ(third["review_start"], std::make_pair(EndOfDay(2026, 3, 17), EndOfDay(2026, 3, 18)));
  EXPECT_EQ(third["overall_decision"],
            std::make_pair(EndOfDay(2026, 3, 24), EndOfDay(2026, 3, 25)));
  EXPECT_EQ(TimeOf(FindTimer(Read(late.name()), "review_start")->due_time()),
            EndOfDay(2026, 3, 17));
  EXPECT_THAT(HistoryOf(late.name(), v1::HistoryEntry::DEADLINE_CHANGE), IsEmpty());

  v1::RecomputeDeadlinesResponse applied;
  ASSERT_TRUE(Recompute(Reviewer(), v1, false, "", 100, &applied).ok());
  EXPECT_EQ(applied.claims_examined(), 3);
  EXPECT_EQ(applied.claims_changed(), 3);
  EXPECT_TRUE(applied.next_page_token().empty());

  const v1::Claim late_read = Read(late.name());
  EXPECT_EQ(TimeOf(FindTimer(late_read, "review_start")->due_time()), EndOfDay(2026, 3, 18));
  EXPECT_EQ(TimeOf(FindTimer(late_read, "overall_decision")->due_time()), EndOfDay(2026, 3, 25));
  EXPECT_EQ(TimeOf(late_read.next_deadline()), EndOfDay(2026, 3, 18));
  const v1::Claim first_read = Read(submitted.name());
  const v1::Timer* untouched = FindTimer(first_read, "review_start");
  EXPECT_EQ(untouched->state(), v1::Timer::BREACHED);
  EXPECT_EQ(untouched->SerializeAsString(), breached.SerializeAsString());
  EXPECT_EQ(TimeOf(FindTimer(first_read, "overall_decision")->due_time()), EndOfDay(2026, 3, 18));
  for (const v1::Claim& claim : {submitted, reviewed, late}) {
    const auto entries = HistoryOf(claim.name(), v1::HistoryEntry::DEADLINE_CHANGE);
    ASSERT_THAT(entries, SizeIs(1)) << claim.name();
    EXPECT_THAT(entries[0].changes(), Not(IsEmpty()));
  }
  const std::map<std::string, int> events = EventsOfType("claim.deadlines_changed", 200);
  EXPECT_EQ(events.size(), 3u);

  // Done once: a second run finds nothing to move.
  v1::RecomputeDeadlinesResponse again;
  ASSERT_TRUE(Recompute(Reviewer(), v1, false, "", 100, &again).ok());
  EXPECT_EQ(again.claims_changed(), 0);
  EXPECT_THAT(again.claims(), IsEmpty());
}

TEST_P(WorkflowChangesE2eTest, TwoServersMigratingAtOnceMigrateEveryClaimOnce) {
  std::vector<v1::Claim> claims;
  for (int i = 0; i < 8; ++i) claims.push_back(ClaimIn(i % 2 == 0 ? "under_review" : "submitted"));
  Publish("cpor-association-v2.yaml", MigratingV2());
  // A second replica over the same database and the same files.
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<server::ClaimsServer> replica,
      server::ClaimsServer::Start(config_, std::make_unique<server::ManualClock>(clock_->Now())));
  auto replica_channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(replica->port()),
                                             grpc::InsecureChannelCredentials());
  auto replica_stub = v1::Workflows::NewStub(replica_channel);

  std::mutex mu;
  std::map<std::string, int> migrated;
  int64_t total = 0;
  std::vector<std::string> failures;
  auto run = [&](v1::Workflows::Stub* stub) {
    for (int call = 0; call < 40; ++call) {
      v1::MigrateClaimsResponse page;
      grpc::Status status =
          Migrate(Reviewer(), "workflows/cpor-association/versions/2", false, 1, &page, stub);
      std::lock_guard<std::mutex> lock(mu);
      if (!status.ok()) {
        failures.push_back(status.error_message());
        return;
      }
      total += page.claims_migrated();
      for (const v1::ClaimImpact& impact : page.claims()) ++migrated[impact.claim()];
      if (page.remaining_claims() == 0) return;
    }
    failures.push_back("no end after 40 calls");
  };
  std::thread first(run, workflows_.get());
  std::thread second(run, replica_stub.get());
  first.join();
  second.join();
  EXPECT_THAT(failures, IsEmpty());
  EXPECT_EQ(total, 8);
  EXPECT_THAT(migrated, SizeIs(8));
  for (const auto& [claim, times] : migrated) EXPECT_EQ(times, 1) << claim;
  for (const v1::Claim& claim : claims) {
    EXPECT_EQ(Read(claim.name()).workflow_version(), 2);
    EXPECT_THAT(HistoryOf(claim.name(), v1::HistoryEntry::MIGRATION), SizeIs(1)) << claim.name();
  }
  replica->Shutdown(absl::Seconds(1));
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowChangesE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariaDb), BackendName);

}  // namespace
}  // namespace claims::testing
