// The claims of one workflow version: the keyset listing and count that migration and deadline
// recomputation page through, and the workflow_version a migrating decision writes.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/storage/repository_fixture.h"

namespace claims::storage {
namespace {

using ::claims::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class WorkflowClaimsTest : public RepositoryTest {
 protected:
  // Creates a claim of `workflow` `version` in `state`; returns its id.
  std::string CreateOf(const std::string& workflow, int64_t version, const std::string& state,
                       absl::Time now) {
    NewClaim n = MakeClaim("partner-1", now, state);
    n.claim.workflow_name = workflow;
    n.claim.workflow_version = version;
    EXPECT_OK(repo_->CreateClaim(n.claim, n.decision, WriteOptions()));
    return n.claim.id;
  }

  // A decision that moves `before` to workflow version `to_version` in the same state.
  static workflow::Decision Migration(const workflow::Claim& before, int64_t to_version,
                                      absl::Time now) {
    workflow::Decision d;
    d.name = "migrate";
    d.from_state = before.state;
    d.to_state = before.state;
    d.state_entered_at = before.state_entered_at;
    d.sla_status = before.sla_status;
    d.next_deadline = before.next_deadline;
    d.facts = before.facts;
    d.workflow_version = to_version;
    workflow::HistoryEntry h;
    h.kind = workflow::HistoryKind::kMigration;
    h.name = "migrate";
    h.perspective = workflow::Perspective::kSystem;
    h.time = now;
    h.from_state = before.state;
    h.to_state = before.state;
    h.changes = {
        {"workflow_version", absl::StrCat(before.workflow_version), absl::StrCat(to_version)}};
    d.history.push_back(h);
    workflow::Event e;
    e.type = "claim.migrated";
    e.claim_id = before.id;
    e.partner_id = before.partner_id;
    e.time = now;
    d.events.push_back(e);
    return d;
  }

  std::vector<std::string> Ids(const std::vector<ClaimOfWorkflow>& claims) {
    std::vector<std::string> ids;
    for (const ClaimOfWorkflow& c : claims) ids.push_back(c.id);
    return ids;
  }
};

TEST_P(WorkflowClaimsTest, ListsTheClaimsOfOneVersionByIdInKeysetPages) {
  std::vector<std::string> running, all_of_version;
  std::map<std::string, std::string> state_of;
  const std::vector<std::string> states = {"editing", "submitted", "closed"};
  for (int i = 0; i < 11; ++i) {
    const std::string& state = states[static_cast<size_t>(i) % states.size()];
    std::string id = CreateOf("cpor-association", 3, state, T0() + absl::Seconds(i));
    all_of_version.push_back(id);
    state_of[id] = state;
    if (state != "closed") running.push_back(id);
  }
  // Other versions and workflows are never listed.
  CreateOf("cpor-association", 2, "editing", T0() + absl::Seconds(20));
  CreateOf("cpor-association", 4, "editing", T0() + absl::Seconds(21));
  CreateOf("other-workflow", 3, "editing", T0() + absl::Seconds(22));
  std::sort(running.begin(), running.end());
  std::sort(all_of_version.begin(), all_of_version.end());

  const std::vector<std::string> running_states = {"editing", "submitted"};
  std::vector<std::string> listed;
  std::string after;
  int pages = 0;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(
        std::vector<ClaimOfWorkflow> page,
        repo_->ListClaimsOfWorkflow("cpor-association", 3, running_states, after, 3));
    ++pages;
    for (const ClaimOfWorkflow& c : page) {
      // The state each claim is in, read from the index with its id.
      EXPECT_EQ(c.state, state_of[c.id]) << c.id;
      EXPECT_NE(c.state, "closed");
      listed.push_back(c.id);
    }
    if (page.size() < 3) break;
    after = page.back().id;
  }
  EXPECT_THAT(listed, ElementsAreArray(running));
  EXPECT_EQ(pages, 3);  // 8 running claims: 3, 3, 2
  EXPECT_THAT(repo_->CountClaimsOfWorkflow("cpor-association", 3, running_states),
              ::claims::testing::IsOkAndHolds(8));

  // No states: every claim of the version.
  ASSERT_OK_AND_ASSIGN(std::vector<ClaimOfWorkflow> every,
                       repo_->ListClaimsOfWorkflow("cpor-association", 3, {}, "", 100));
  EXPECT_THAT(Ids(every), ElementsAreArray(all_of_version));
  EXPECT_THAT(repo_->CountClaimsOfWorkflow("cpor-association", 3, {}),
              ::claims::testing::IsOkAndHolds(11));
  ASSERT_OK_AND_ASSIGN(std::vector<ClaimOfWorkflow> none,
                       repo_->ListClaimsOfWorkflow("cpor-association", 9, {}, "", 100));
  EXPECT_THAT(none, IsEmpty());
}

TEST_P(WorkflowClaimsTest, LimitOutsideItsRangeIsInvalidArgument) {
  for (int limit : {0, -1, 1001}) {
    EXPECT_THAT(repo_->ListClaimsOfWorkflow("cpor-association", 3, {}, "", limit),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")))
        << limit;
  }
}

TEST_P(WorkflowClaimsTest, MigratingDecisionStoresTheNewWorkflowVersion) {
  const std::string id = CreateOf("cpor-association", 3, "editing", T0());
  ASSERT_OK_AND_ASSIGN(workflow::Claim before, repo_->GetClaim(id));
  const absl::Time now = T0() + absl::Minutes(5);
  workflow::Decision migrate = Migration(before, 4, now);
  ASSERT_OK(
      repo_->ApplyDecision(workflow::ApplyDecision(before, migrate, now), migrate, WriteOptions()));

  ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                       repo_->GetClaimDetails(id, workflow::Perspective::kSystem));
  EXPECT_EQ(details.claim.workflow_version, 4);
  EXPECT_EQ(details.claim.version, 2);
  ASSERT_THAT(details.history, SizeIs(2));
  EXPECT_EQ(details.history[1].kind, workflow::HistoryKind::kMigration);
  EXPECT_THAT(repo_->ListClaimsOfWorkflow("cpor-association", 3, {}, "", 10),
              ::claims::testing::IsOkAndHolds(IsEmpty()));
  ASSERT_OK_AND_ASSIGN(std::vector<ClaimOfWorkflow> on_four,
                       repo_->ListClaimsOfWorkflow("cpor-association", 4, {}, "", 10));
  EXPECT_THAT(Ids(on_four), ElementsAreArray({id}));

  // A later ordinary decision keeps the version the migration wrote.
  workflow::Claim migrated = details.claim;
  workflow::Decision submit = Transition(migrated, "submit", "submitted", now + absl::Minutes(1));
  ASSERT_OK(repo_->ApplyDecision(workflow::ApplyDecision(migrated, submit, now), submit, {}));
  ASSERT_OK_AND_ASSIGN(workflow::Claim submitted, repo_->GetClaim(id));
  EXPECT_EQ(submitted.workflow_version, 4);
  EXPECT_EQ(submitted.state, "submitted");
}

TEST_P(WorkflowClaimsTest, MigrationOfAStaleClaimVersionIsAbortedAndChangesNothing) {
  const std::string id = CreateOf("cpor-association", 3, "editing", T0());
  ASSERT_OK_AND_ASSIGN(workflow::Claim before, repo_->GetClaim(id));
  const absl::Time now = T0() + absl::Minutes(5);
  // Another replica migrated the claim first.
  workflow::Decision first = Migration(before, 4, now);
  ASSERT_OK(repo_->ApplyDecision(workflow::ApplyDecision(before, first, now), first, {}));

  // A migration decided on the claim as it was at version 1.
  workflow::Decision second = Migration(before, 5, now);
  EXPECT_THAT(repo_->ApplyDecision(workflow::ApplyDecision(before, second, now), second, {}),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("version conflict")));

  ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                       repo_->GetClaimDetails(id, workflow::Perspective::kSystem));
  EXPECT_EQ(details.claim.workflow_version, 4);
  EXPECT_EQ(details.claim.version, 2);
  EXPECT_THAT(details.history, SizeIs(2));
  ASSERT_OK_AND_ASSIGN(std::vector<workflow::Event> events, repo_->ReadEvents(0, 100));
  EXPECT_THAT(events, SizeIs(2));
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowClaimsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         BackendName);

}  // namespace
}  // namespace claims::storage
