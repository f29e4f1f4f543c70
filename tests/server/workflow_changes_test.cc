// WorkflowChanges over a real repository on SQLite and MariaDB: migrating running claims of the
// CPOR workflow to an edited version a page at a time, surviving a failure in the middle and a
// second replica doing the same, and recomputing deadlines after a holiday is added.

#include "server/runtime/workflow_changes.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/runtime/clock.h"
#include "server/runtime/logging.h"
#include "server/runtime/scheduler.h"
#include "server/runtime/workflow_registry.h"
#include "storage/soci_repository.h"
#include "tests/testing/cpor_claims.h"
#include "tests/testing/shipped_workflow.h"
#include "tests/testing/source_dir.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_databases.h"
#include "workflow/decision.h"
#include "workflow/engine.h"

namespace claims::server {
namespace {

using ::claims::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kWorkflow[] = "cpor-association";

enum class Backend { kSqlite, kMariaDb };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "MariaDb";
}

absl::Time Utc(const char* rfc3339) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) std::abort();
  return t;
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

workflow::ActionRequest Action(std::string name, std::vector<std::string> reasons = {},
                               std::string comment = "") {
  workflow::ActionRequest request;
  request.action = std::move(name);
  request.reasons = std::move(reasons);
  request.comment = std::move(comment);
  return request;
}

std::string ErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  if (!payload) return "";
  google::rpc::ErrorInfo info;
  info.ParseFromString(std::string(*payload));
  return info.reason();
}

// The shipped CPOR workflow as version 2: under_review renamed in_review (mapped by
// migrate_from) and the review_start SLA shortened from 5 to 3 business days.
std::string CporVersion2(const std::string& v1, bool declare_migration = true,
                         bool map_renamed_state = true) {
  std::string v2 = absl::StrReplaceAll(
      v1, {{"\nversion: 1\n", "\nversion: 2\n"}, {"under_review", "in_review"}});
  const std::string review_start = "  - id: review_start\n";
  size_t at = v2.find(review_start);
  size_t duration = v2.find("business_days: 5", at);
  v2.replace(duration, std::string("business_days: 5").size(), "business_days: 3");
  if (declare_migration) {
    std::string block = "migrate_from:\n  version: 1\n";
    if (map_renamed_state) absl::StrAppend(&block, "  states:\n    under_review: in_review\n");
    const std::string anchor = "\nstates:\n";
    v2.replace(v2.find(anchor), anchor.size(), absl::StrCat("\n", block, anchor));
  }
  return v2;
}

class WorkflowChangesTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            absl::StrCat("claims-workflow-changes-", testing::RandomSuffix());
    std::filesystem::create_directories(root_ / "workflows");
    std::filesystem::create_directories(root_ / "calendars");
    v1_source_ = *testing::ReadTextFile(testing::ShippedWorkflowsDir() + "/cpor-association.yaml");
    calendar_source_ = *testing::ReadTextFile(testing::SourceDir() + "/config/calendars/us.yaml");
    WriteFile(root_ / "workflows" / "cpor-association.yaml", v1_source_);
    WriteFile(root_ / "calendars" / "us.yaml", calendar_source_);

    if (GetParam() == Backend::kSqlite) {
      options_.url = testing::FreshSqliteUrl();
    } else {
      absl::StatusOr<std::string> url = testing::FreshMariaDbUrl();
      ASSERT_TRUE(url.ok()) << url.status();
      options_.url = *url;
    }
    ASSERT_OK_AND_ASSIGN(repository_, storage::OpenSociRepository(options_));
    registry_ = std::make_unique<WorkflowRegistry>(*repository_);
    ASSERT_OK(registry_->LoadDirectory(WorkflowsDir()));
    changes_ = std::make_unique<WorkflowChanges>(*repository_, *registry_, clock_,
                                                 [this] { ++timers_changed_; });
  }

  void TearDown() override {
    changes_.reset();
    registry_.reset();
    repository_.reset();
    if (GetParam() == Backend::kSqlite) testing::RemoveSqliteDatabase(options_.url);
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::string WorkflowsDir() const { return (root_ / "workflows").string(); }

  // Publishes version 2 next to version 1.
  void PublishVersion2(bool declare_migration = true, bool map_renamed_state = true) {
    WriteFile(root_ / "workflows" / "cpor-association-v2.yaml",
              CporVersion2(v1_source_, declare_migration, map_renamed_state));
    ASSERT_OK(registry_->LoadDirectory(WorkflowsDir()));
  }

  std::shared_ptr<const workflow::Engine> Engine(int64_t version) {
    absl::StatusOr<std::shared_ptr<const workflow::Engine>> engine =
        registry_->Get(kWorkflow, version);
    EXPECT_TRUE(engine.ok()) << engine.status();
    return *engine;
  }

  // Stores what `outcome` decides for `claim` and returns the claim as stored.
  workflow::Claim Write(const workflow::Claim& claim, const workflow::Outcome& outcome) {
    const auto* decision = std::get_if<workflow::Decision>(&outcome);
    if (decision == nullptr) {
      ADD_FAILURE() << "refused: " << std::get<workflow::Rejection>(outcome).message;
      return claim;
    }
    workflow::Claim after = workflow::ApplyDecision(claim, *decision, clock_.Now());
    EXPECT_OK(repository_->ApplyDecision(after, *decision, storage::WriteOptions()));
    return after;
  }

  // A version 1 claim brought to `state` the way partners and reviewers do, at the clock's now.
  workflow::Claim NewClaimIn(const std::string& state) {
    std::shared_ptr<const workflow::Engine> engine = Engine(1);
    const absl::Time now = clock_.Now();
    const workflow::Claim draft = testing::CporDraft(engine->definition(), partner_, now);
    workflow::Outcome created = engine->Create(draft, partner_, now);
    const auto& decision = std::get<workflow::Decision>(created);
    workflow::Claim claim = workflow::ApplyDecision(draft, decision, now);
    EXPECT_OK(repository_->CreateClaim(claim, decision, storage::WriteOptions()));
    if (state == "editing") return claim;

    claim = Write(
        claim, engine->AddEvidence(claim, testing::ProofOfExecution(partner_, now), partner_, now));
    claim = Write(claim, engine->Decide(claim, Action("submit"), partner_, now));
    if (state == "submitted") return claim;
    claim = Write(claim, engine->Decide(claim, Action("start_review"), reviewer_, now));
    if (state == "under_review") return claim;
    if (state == "partner_action_required") {
      const workflow::ActionRequest ask =
          Action("request_info", {"missing_products"}, "Which products?");
      return Write(claim, engine->Decide(claim, ask, reviewer_, now));
    }
    if (state == "approved")
      return Write(claim, engine->Decide(claim, Action("approve"), reviewer_, now));
    const workflow::ActionRequest reject = Action("reject", {"insufficient_poe"});
    return Write(claim, engine->Decide(claim, reject, reviewer_, now));
  }

  storage::ClaimDetails Details(const std::string& id) {
    absl::StatusOr<storage::ClaimDetails> details =
        repository_->GetClaimDetails(id, workflow::Perspective::kSystem);
    EXPECT_TRUE(details.ok()) << details.status();
    return *details;
  }

  // Events of each type per claim, over the whole outbox.
  std::map<std::string, std::map<std::string, int>> EventsByClaim() {
    std::map<std::string, std::map<std::string, int>> counts;
    int64_t after = 0;
    for (;;) {
      absl::StatusOr<std::vector<workflow::Event>> events = repository_->ReadEvents(after, 500);
      EXPECT_TRUE(events.ok()) << events.status();
      if (!events.ok() || events->empty()) return counts;
      for (const workflow::Event& e : *events) {
        ++counts[e.claim_id][e.type];
        after = e.sequence;
      }
    }
  }

  static int HistoryOfKind(const storage::ClaimDetails& details, workflow::HistoryKind kind) {
    int n = 0;
    for (const workflow::HistoryEntry& h : details.history) n += h.kind == kind;
    return n;
  }

  static const workflow::TimerInstance* Timer(const workflow::Claim& claim, std::string_view name) {
    for (const workflow::TimerInstance& t : claim.timers) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }

  // Migrates page after page until nothing remains; returns the calls' runs.
  std::vector<MigrationRun> MigrateAll(WorkflowChanges& changes, int page_size) {
    std::vector<MigrationRun> runs;
    for (int call = 0; call < 1000; ++call) {
      absl::StatusOr<MigrationRun> run = changes.Migrate(kWorkflow, 2, false, page_size);
      EXPECT_TRUE(run.ok()) << run.status();
      if (!run.ok()) break;
      runs.push_back(*run);
      if (run->remaining == 0) break;
    }
    return runs;
  }

  // Every claim is on one version with the history and events to match: version 1 and
  // untouched, or version 2 with exactly one migration entry and one claim.migrated event.
  // Returns how many are on version 2.
  int CheckWholeOrUntouched(const std::vector<workflow::Claim>& created) {
    std::map<std::string, std::map<std::string, int>> events = EventsByClaim();
    int migrated = 0;
    for (const workflow::Claim& before : created) {
      storage::ClaimDetails details = Details(before.id);
      const int entries = HistoryOfKind(details, workflow::HistoryKind::kMigration);
      const int migrated_events = events[before.id]["claim.migrated"];
      if (details.claim.workflow_version == 2) {
        ++migrated;
        EXPECT_EQ(entries, 1) << before.id;
        EXPECT_EQ(migrated_events, 1) << before.id;
        EXPECT_EQ(details.claim.version, before.version + 1) << before.id;
        EXPECT_EQ(details.claim.state, before.state == "under_review" ? "in_review" : before.state)
            << before.id;
      } else {
        EXPECT_EQ(details.claim.workflow_version, 1) << before.id;
        EXPECT_EQ(entries, 0) << before.id;
        EXPECT_EQ(migrated_events, 0) << before.id;
        EXPECT_EQ(details.claim.version, before.version) << before.id;
      }
    }
    return migrated;
  }

  // Claims in the states of version 1 that version 2 keeps or maps, round robin.
  std::vector<workflow::Claim> CreateMix(int count) {
    const std::vector<std::string> states = {
        "editing", "submitted", "under_review", "partner_action_required", "approved", "rejected"};
    std::vector<workflow::Claim> created;
    for (int i = 0; i < count; ++i) {
      clock_.Advance(absl::Seconds(1));
      created.push_back(NewClaimIn(states[static_cast<size_t>(i) % states.size()]));
    }
    return created;
  }

  std::filesystem::path root_;
  std::string v1_source_, calendar_source_;
  storage::StorageOptions options_;
  // Monday 2026-02-23 10:00 in Los Angeles (the CPOR calendar's zone); it only moves forward.
  ManualClock clock_{Utc("2026-02-23T18:00:00Z")};
  std::unique_ptr<storage::Repository> repository_;
  std::unique_ptr<WorkflowRegistry> registry_;
  std::unique_ptr<WorkflowChanges> changes_;
  std::atomic<int> timers_changed_{0};
  workflow::Actor partner_{"pat", {"billing_admin"}, "contoso"};
  workflow::Actor reviewer_{"rev", {"reviewer"}, ""};
};

TEST_P(WorkflowChangesTest, MigratesManyClaimsOverSeveralPagesEachOnce) {
  clock_.Set(Utc("2026-03-02T18:00:00Z"));  // Monday 10:00 in Los Angeles
  std::vector<workflow::Claim> created = CreateMix(300);
  PublishVersion2();
  const absl::Time migrated_at = clock_.Now() + absl::Hours(1);
  clock_.Set(migrated_at);

  ASSERT_OK_AND_ASSIGN(MigrationRun preview, changes_->Migrate(kWorkflow, 2, true, 40));
  EXPECT_EQ(preview.from_version, 1);
  EXPECT_EQ(preview.migrated, 0);
  EXPECT_EQ(preview.remaining, 300);
  EXPECT_THAT(preview.claims, SizeIs(40));
  EXPECT_EQ(CheckWholeOrUntouched(created), 0) << "validate_only wrote";

  std::vector<MigrationRun> runs = MigrateAll(*changes_, 40);
  ASSERT_THAT(runs, SizeIs(8));  // 7 pages of 40, one of 20
  int64_t migrated = 0;
  for (const MigrationRun& run : runs) {
    migrated += run.migrated;
    EXPECT_EQ(run.skipped, 0);
  }
  EXPECT_EQ(migrated, 300);
  EXPECT_EQ(runs.back().remaining, 0);
  EXPECT_EQ(CheckWholeOrUntouched(created), 300);
  EXPECT_GE(timers_changed_.load(), 8);

  // Timers replayed under version 2: review_start of a submitted claim counts 3 business days
  // from submission, the other timers are as they were.
  for (const workflow::Claim& before : created) {
    storage::ClaimDetails details = Details(before.id);
    const storage::ClaimDetails* d = &details;
    if (before.state == "submitted") {
      const workflow::TimerInstance* was = Timer(before, "review_start");
      const workflow::TimerInstance* is = Timer(d->claim, "review_start");
      ASSERT_NE(was, nullptr);
      ASSERT_NE(is, nullptr);
      EXPECT_EQ(is->status, workflow::TimerStatus::kArmed);
      EXPECT_EQ(is->started_at, was->started_at);
      // Submitted Monday 2026-03-02 (Los Angeles): 3 business days end Thursday 03-05.
      EXPECT_EQ(is->due_at, Utc("2026-03-06T08:00:00Z")) << absl::FormatTime(is->due_at);
      EXPECT_EQ(d->claim.next_deadline, is->due_at);
    }
    if (before.state == "under_review") {
      const workflow::TimerInstance* was = Timer(before, "review_decision");
      const workflow::TimerInstance* is = Timer(d->claim, "review_decision");
      ASSERT_NE(is, nullptr);
      EXPECT_EQ(is->due_at, was->due_at);
      EXPECT_EQ(d->claim.state_entered_at, before.state_entered_at);
    }
    const workflow::HistoryEntry& last = d->history.back();
    EXPECT_EQ(last.kind, workflow::HistoryKind::kMigration);
    EXPECT_EQ(last.time, migrated_at);
  }

  // Nothing left: a further call migrates nothing.
  ASSERT_OK_AND_ASSIGN(MigrationRun again, changes_->Migrate(kWorkflow, 2, false, 40));
  EXPECT_EQ(again.migrated, 0);
  EXPECT_EQ(again.remaining, 0);
}

TEST_P(WorkflowChangesTest, FailureInTheMiddleLeavesEachClaimWholeAndASecondRunFinishes) {
  std::vector<workflow::Claim> created = CreateMix(30);
  PublishVersion2();
  // The 8th migration's transaction fails after writing its claim row, timers and history:
  // what a crash before COMMIT leaves.
  std::atomic<int> writes{0};
  storage::SetWriteHookForTest(*repository_, [&](std::string_view step) -> absl::Status {
    if (step != "events") return absl::OkStatus();
    if (++writes > 7) return absl::InternalError("injected failure");
    return absl::OkStatus();
  });
  EXPECT_THAT(changes_->Migrate(kWorkflow, 2, false, 20),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("injected failure")));
  storage::SetWriteHookForTest(*repository_, {});
  EXPECT_EQ(CheckWholeOrUntouched(created), 7);

  std::vector<MigrationRun> runs = MigrateAll(*changes_, 20);
  int64_t migrated = 0;
  for (const MigrationRun& run : runs) migrated += run.migrated;
  EXPECT_EQ(migrated, 23);
  EXPECT_EQ(CheckWholeOrUntouched(created), 30);
}

TEST_P(WorkflowChangesTest, TwoReplicasMigratingAtOnceMigrateEachClaimOnce) {
  std::vector<workflow::Claim> created = CreateMix(120);
  PublishVersion2();
  // A second replica: its own repository (its own connection pool) and registry.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<storage::Repository> other_repository,
                       storage::OpenSociRepository(options_));
  WorkflowRegistry other_registry(*other_repository);
  ASSERT_OK(other_registry.LoadDirectory(WorkflowsDir()));
  WorkflowChanges other(*other_repository, other_registry, clock_, [] {});

  std::vector<MigrationRun> runs_a, runs_b;
  std::thread a([&] { runs_a = MigrateAll(*changes_, 15); });
  std::thread b([&] { runs_b = MigrateAll(other, 15); });
  a.join();
  b.join();
  int64_t migrated_a = 0, migrated_b = 0, skipped = 0;
  for (const MigrationRun& r : runs_a) {
    migrated_a += r.migrated;
    skipped += r.skipped;
  }
  for (const MigrationRun& r : runs_b) {
    migrated_b += r.migrated;
    skipped += r.skipped;
  }
  EXPECT_EQ(migrated_a + migrated_b, 120);
  // A claim is skipped only by the replica that lost it to the other.
  EXPECT_LE(skipped, 120);
  EXPECT_EQ(CheckWholeOrUntouched(created), 120);
  std::cout << "replica a migrated " << migrated_a << ", replica b " << migrated_b << ", skipped "
            << skipped << "\n";
}

TEST_P(WorkflowChangesTest, StrandedClaimsRefuseTheWholeMigrationBeforeAnyWrite) {
  std::vector<workflow::Claim> created = CreateMix(12);
  PublishVersion2(/*declare_migration=*/true, /*map_renamed_state=*/false);
  for (bool validate_only : {true, false}) {
    absl::StatusOr<MigrationRun> run = changes_->Migrate(kWorkflow, 2, validate_only, 50);
    EXPECT_THAT(run, StatusIs(absl::StatusCode::kFailedPrecondition,
                              HasSubstr("are in states cpor-association version 2 does not "
                                        "place (under_review)")));
    EXPECT_EQ(ErrorReason(run.status()), "CLAIMS_STRANDED");
    // The two claims in under_review are named.
    EXPECT_THAT(run.status().message(), HasSubstr(absl::StrCat(created[2].id, " (under_review)")));
    EXPECT_THAT(run.status().message(), HasSubstr(absl::StrCat(created[8].id, " (under_review)")));
  }
  EXPECT_EQ(CheckWholeOrUntouched(created), 0);
  EXPECT_EQ(timers_changed_.load(), 0);
}

TEST_P(WorkflowChangesTest, VersionWithoutMigrateFromIsRefused) {
  CreateMix(3);
  PublishVersion2(/*declare_migration=*/false);
  absl::StatusOr<MigrationRun> run = changes_->Migrate(kWorkflow, 2, false, 50);
  EXPECT_THAT(run, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("migrate_from")));
  EXPECT_EQ(ErrorReason(run.status()), "MIGRATION_NOT_DECLARED");
  EXPECT_THAT(changes_->Migrate(kWorkflow, 7, false, 50), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(WorkflowChangesTest, LiveImpactShowsWhatVersion2DoesWithoutWriting) {
  std::vector<workflow::Claim> created = CreateMix(12);
  PublishVersion2();
  const workflow::Definition& v1 = Engine(1)->definition();
  const workflow::Definition& v2 = Engine(2)->definition();
  ClaimChangePage first;
  ASSERT_OK_AND_ASSIGN(first, changes_->LiveImpact(v1, v2, 5, ""));
  EXPECT_EQ(first.examined, 5);
  ASSERT_FALSE(first.next_page_token.empty());
  int64_t examined = first.examined, moved = first.with_moved_deadlines;
  std::vector<ClaimChange> listed = first.claims;
  std::string token = first.next_page_token;
  while (!token.empty()) {
    ASSERT_OK_AND_ASSIGN(ClaimChangePage page, changes_->LiveImpact(v1, v2, 5, token));
    examined += page.examined;
    moved += page.with_moved_deadlines;
    listed.insert(listed.end(), page.claims.begin(), page.claims.end());
    token = page.next_page_token;
  }
  EXPECT_EQ(examined, 12);
  EXPECT_EQ(moved, 2);  // the submitted claims' review_start
  int renamed = 0;
  for (const ClaimChange& c : listed) {
    if (c.state == "under_review") {
      EXPECT_EQ(c.new_state, "in_review");
      ++renamed;
    }
    EXPECT_FALSE(c.stranded);
  }
  EXPECT_EQ(renamed, 2);
  EXPECT_EQ(CheckWholeOrUntouched(created), 0);
  EXPECT_THAT(changes_->LiveImpact(v1, v2, 5, "not-a-token"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(changes_->LiveImpact(v1, v2, 5, "bm90IG91cnM"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(WorkflowChangesTest, RecomputeMovesArmedDeadlinesAfterAHolidayIsAdded) {
  // Submitted Monday 2026-02-23 10:00 (Los Angeles): review_start ends with Monday 03-02 and
  // breaches on Tuesday; overall_decision (10 business days) is still armed.
  std::vector<workflow::Claim> early;
  for (int i = 0; i < 4; ++i) early.push_back(NewClaimIn("submitted"));
  clock_.Set(Utc("2026-03-03T17:00:00Z"));
  TimerScheduler scheduler(*repository_, *registry_, clock_, TimerScheduler::Options());
  ASSERT_OK(scheduler.RunOnce().status());
  // Submitted Tuesday 2026-03-03 09:00.
  std::vector<workflow::Claim> late;
  for (int i = 0; i < 9; ++i) late.push_back(NewClaimIn("submitted"));
  for (int i = 0; i < 3; ++i) NewClaimIn("editing");
  std::map<std::string, workflow::Claim> before;
  for (const auto* group : {&early, &late}) {
    for (const workflow::Claim& c : *group) before[c.id] = Details(c.id).claim;
  }
  for (const workflow::Claim& c : early) {
    ASSERT_EQ(Timer(before[c.id], "review_start")->status, workflow::TimerStatus::kBreached);
  }
  for (const workflow::Claim& c : late) {
    ASSERT_EQ(Timer(before[c.id], "review_start")->due_at, Utc("2026-03-11T07:00:00Z"));
  }

  // Thursday 2026-03-05 becomes a holiday.
  std::string calendar = calendar_source_;
  const std::string anchor = "  - {date: 2026-05-25";
  calendar.insert(calendar.find(anchor), "  - {date: 2026-03-05, name: Test holiday}\n");
  WriteFile(root_ / "calendars" / "us.yaml", calendar);
  std::vector<WorkflowRegistry::CalendarChange> calendar_changes;
  ASSERT_OK(registry_->LoadDirectory(WorkflowsDir(), &calendar_changes));
  ASSERT_THAT(calendar_changes, SizeIs(1));
  EXPECT_EQ(calendar_changes[0].version, 1);

  // Dry run, in pages: the moves listed, nothing written.
  int64_t examined = 0, with_moves = 0;
  std::vector<ClaimChange> listed;
  std::string token;
  do {
    ASSERT_OK_AND_ASSIGN(ClaimChangePage page,
                         changes_->RecomputeDeadlines(kWorkflow, 1, true, 5, token));
    examined += page.examined;
    with_moves += page.with_moved_deadlines;
    EXPECT_EQ(page.changed, 0);
    listed.insert(listed.end(), page.claims.begin(), page.claims.end());
    token = page.next_page_token;
  } while (!token.empty());
  EXPECT_EQ(examined, 16);
  EXPECT_EQ(with_moves, 13);
  for (const ClaimChange& c : listed) {
    const bool is_early =
        Timer(before[c.claim_id], "review_start")->status == workflow::TimerStatus::kBreached;
    for (const workflow::DeadlineMove& m : c.moves) {
      EXPECT_NE(m.timer, is_early ? "review_start" : "") << "a breached timer never moves";
    }
  }
  for (const auto& [id, claim] : before) EXPECT_EQ(Details(id).claim.version, claim.version);
  const int changed_before = timers_changed_.load();
  EXPECT_EQ(changed_before, 0);

  // Applied: every armed deadline moves a business day; the breached ones stay.
  int64_t changed = 0;
  do {
    ASSERT_OK_AND_ASSIGN(ClaimChangePage page,
                         changes_->RecomputeDeadlines(kWorkflow, 1, false, 5, token));
    changed += page.changed;
    token = page.next_page_token;
  } while (!token.empty());
  EXPECT_EQ(changed, 13);
  EXPECT_GT(timers_changed_.load(), 0);
  std::map<std::string, std::map<std::string, int>> events = EventsByClaim();
  for (const workflow::Claim& c : early) {
    storage::ClaimDetails details = Details(c.id);
    const workflow::TimerInstance* review_start = Timer(details.claim, "review_start");
    EXPECT_EQ(review_start->status, workflow::TimerStatus::kBreached);
    EXPECT_EQ(review_start->due_at, Timer(before[c.id], "review_start")->due_at);
    // 10 business days from Monday 02-23: Tuesday 03-10 ends them, Wednesday 03-11 with the
    // holiday (Los Angeles is on daylight time from 03-08).
    EXPECT_EQ(Timer(before[c.id], "overall_decision")->due_at, Utc("2026-03-10T07:00:00Z"));
    EXPECT_EQ(Timer(details.claim, "overall_decision")->due_at, Utc("2026-03-11T07:00:00Z"));
    EXPECT_EQ(HistoryOfKind(details, workflow::HistoryKind::kDeadlineChange), 1);
    EXPECT_EQ(events[c.id]["claim.deadlines_changed"], 1);
  }
  for (const workflow::Claim& c : late) {
    storage::ClaimDetails details = Details(c.id);
    // 5 business days from Tuesday 03-03: Tuesday 03-10 ends them, Wednesday 03-11 with the
    // holiday; 10: Tuesday 03-17, Wednesday 03-18.
    EXPECT_EQ(Timer(details.claim, "review_start")->due_at, Utc("2026-03-12T07:00:00Z"));
    EXPECT_EQ(Timer(before[c.id], "overall_decision")->due_at, Utc("2026-03-18T07:00:00Z"));
    EXPECT_EQ(Timer(details.claim, "overall_decision")->due_at, Utc("2026-03-19T07:00:00Z"));
    EXPECT_EQ(details.claim.next_deadline, Utc("2026-03-12T07:00:00Z"));
    EXPECT_EQ(details.claim.version, before[c.id].version + 1);
    EXPECT_EQ(events[c.id]["claim.deadlines_changed"], 1);
  }

  // A second apply finds nothing to move.
  do {
    ASSERT_OK_AND_ASSIGN(ClaimChangePage page,
                         changes_->RecomputeDeadlines(kWorkflow, 1, false, 50, token));
    EXPECT_EQ(page.changed, 0);
    EXPECT_EQ(page.with_moved_deadlines, 0);
    token = page.next_page_token;
  } while (!token.empty());
  EXPECT_THAT(changes_->RecomputeDeadlines(kWorkflow, 1, true, 5, "junk"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(changes_->RecomputeDeadlines(kWorkflow, 9, true, 5, ""),
              StatusIs(absl::StatusCode::kNotFound));
}

// Engines loaded back from the repository, for versions no file holds any more, are compiled
// again on a reload, so a changed calendar reaches them; the reload says which versions.
TEST_P(WorkflowChangesTest, ReloadRecompilesOldVersionsWithTheChangedCalendar) {
  // Version 2 replaces version 1's file; claims on version 1 load it from the repository.
  std::filesystem::remove(root_ / "workflows" / "cpor-association.yaml");
  WriteFile(root_ / "workflows" / "cpor-association-v2.yaml",
            CporVersion2(v1_source_, /*declare_migration=*/false));
  ASSERT_OK(registry_->LoadDirectory(WorkflowsDir()));
  WorkflowRegistry fresh_registry(*repository_);
  ASSERT_OK(fresh_registry.LoadDirectory(WorkflowsDir()));
  ASSERT_OK_AND_ASSIGN(auto old_engine, fresh_registry.Get(kWorkflow, 1));
  const absl::CivilDay holiday(2026, 3, 5);
  EXPECT_THAT(old_engine->definition().FindCalendar("business")->calendar.holidays(),
              Not(Contains(holiday)));

  std::string calendar = calendar_source_;
  const std::string anchor = "  - {date: 2026-05-25";
  calendar.insert(calendar.find(anchor), "  - {date: 2026-03-05, name: Test holiday}\n");
  WriteFile(root_ / "calendars" / "us.yaml", calendar);
  std::vector<WorkflowRegistry::CalendarChange> changed;
  ASSERT_OK(fresh_registry.LoadDirectory(WorkflowsDir(), &changed));
  ASSERT_THAT(changed, SizeIs(2));
  EXPECT_EQ(changed[0].name, kWorkflow);
  EXPECT_EQ(changed[0].version, 1);
  EXPECT_EQ(changed[1].version, 2);
  EXPECT_THAT(changed[0].calendars, Contains("business"));
  ASSERT_OK_AND_ASSIGN(auto recompiled, fresh_registry.Get(kWorkflow, 1));
  EXPECT_THAT(recompiled->definition().FindCalendar("business")->calendar.holidays(),
              Contains(holiday));

  const std::string message = CalendarChangeMessage(changed);
  EXPECT_THAT(message, HasSubstr("cpor-association version 1 (calendars business)"));
  EXPECT_THAT(message, HasSubstr("cpor-association version 2 (calendars business)"));
  EXPECT_THAT(message, HasSubstr("claimsctl workflows recompute-deadlines"));

  // Reloading an unchanged directory reports nothing.
  ASSERT_OK(fresh_registry.LoadDirectory(WorkflowsDir(), &changed));
  EXPECT_THAT(changed, SizeIs(0));
  EXPECT_EQ(CalendarChangeMessage(changed), "");
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowChangesTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariaDb), BackendName);

}  // namespace
}  // namespace claims::server
