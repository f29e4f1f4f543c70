// How many statements (round trips, on MySQL) the hot paths take. A number that grows fails
// here instead of showing up as a slower benchmark weeks later: change it only with a reason.

#include <string>
#include <vector>

#include "tests/storage/repository_fixture.h"

namespace claims::storage {
namespace {

using ::testing::SizeIs;

class StatementsTest : public RepositoryTest {
 protected:
  int64_t Statements() const { return repo_->Stats().statements; }
  // Events take one insert; SQLite's writer also numbers them (one more in-process statement,
  // no round trip), where MySQL leaves that to the readers' sequencer pass.
  int EventStatements() const { return GetParam() == TestBackend::kSqlite ? 2 : 1; }

  // A decision shaped as PerformAction makes them: a transition with a reason and a comment
  // that re-arms one timer and stops another, one history entry, one event.
  static workflow::Decision ActionDecision(const workflow::Claim& before, absl::Time now) {
    workflow::Decision d = Transition(before, "request_info", "partner_action_required", now);
    workflow::TimerInstance armed = before.timers[0];
    armed.due_at = now + absl::Hours(48);
    workflow::TimerInstance stopped;
    stopped.name = "overall_decision";
    stopped.status = workflow::TimerStatus::kPaused;
    stopped.remaining = absl::Hours(30);
    d.timers = {armed, stopped};
    workflow::Comment c =
        MakeComment("reviewer-1", "please add products", now, workflow::Perspective::kReviewer);
    d.comments.push_back(c);
    return d;
  }
};

TEST_P(StatementsTest, PerformActionTakesOneReadEachAndOneStatementPerTableWritten) {
  NewClaim n = MakeClaim("partner-1", T0());
  ASSERT_OK(repo_->CreateClaim(n.claim, n.decision, WriteOptions()));
  const absl::Time now = T0() + absl::Minutes(1);

  // What ClaimsLogic::PerformAction asks for: a replay check, the claim, then the decision.
  int64_t before = Statements();
  ASSERT_OK_AND_ASSIGN(std::optional<IdempotencyRecord> replay,
                       repo_->FindIdempotencyRecord("actor/PerformAction", "req-1", now));
  EXPECT_FALSE(replay.has_value());
  EXPECT_EQ(Statements() - before, 1) << "FindIdempotencyRecord";

  before = Statements();
  ASSERT_OK_AND_ASSIGN(workflow::Claim claim, repo_->GetClaim(n.claim.id));
  EXPECT_EQ(Statements() - before, 1) << "GetClaim: the claim and its timers in one statement";

  workflow::Decision d = ActionDecision(claim, now);
  workflow::Claim after = workflow::ApplyDecision(claim, d, now);
  WriteOptions options;
  options.idempotency =
      IdempotencyRecord{"actor/PerformAction", "req-1", "hash", "answer", now + absl::Hours(24)};
  before = Statements();
  ASSERT_OK(repo_->ApplyDecision(after, d, options));
  // BEGIN, idempotency, claim, timers (both in one), history, comments, events, COMMIT: no
  // reads, one statement per table.
  EXPECT_EQ(Statements() - before, 7 + EventStatements()) << "ApplyDecision";

  ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                       repo_->GetClaimDetails(n.claim.id, workflow::Perspective::kSystem));
  EXPECT_THAT(details.history, SizeIs(2));
  EXPECT_EQ(details.history[1].sequence, 2);
  EXPECT_THAT(details.comments, SizeIs(1));
  EXPECT_THAT(details.claim.timers, SizeIs(2));
}

TEST_P(StatementsTest, CreateClaimTakesOneStatementPerTableWritten) {
  NewClaim n = MakeClaim("partner-1", T0());
  workflow::TimerInstance second = n.claim.timers[0];
  second.name = "overall_decision";
  n.claim.timers.push_back(second);
  n.decision.timers = n.claim.timers;
  n.decision.events.push_back(n.decision.events[0]);
  WriteOptions options;
  options.idempotency =
      IdempotencyRecord{"actor/CreateClaim", "req-1", "hash", "answer", T0() + absl::Hours(24)};
  const int64_t before = Statements();
  ASSERT_OK(repo_->CreateClaim(n.claim, n.decision, options));
  // BEGIN, idempotency, claim, timers (two rows), history, events (two rows), COMMIT.
  EXPECT_EQ(Statements() - before, 6 + EventStatements());
  ASSERT_OK_AND_ASSIGN(std::vector<workflow::Event> events, repo_->ReadEvents(0, 10));
  EXPECT_THAT(events, SizeIs(2));
}

TEST_P(StatementsTest, ReusingAnExpiredRequestIdCostsTwoMoreStatementsOnlyThen) {
  workflow::Claim c = Create("partner-1", T0());
  const absl::Time now = T0() + absl::Minutes(1);
  WriteOptions options;
  options.idempotency = IdempotencyRecord{"scope", "req-1", "hash", "answer", now};
  workflow::Decision d = Transition(c, "submit", "submitted", now);
  workflow::Claim after = workflow::ApplyDecision(c, d, now);
  ASSERT_OK(repo_->ApplyDecision(after, d, options));

  // The record expired at `now`: a later request with the same id deletes it and inserts anew.
  const absl::Time later = now + absl::Minutes(1);
  workflow::Decision again = Transition(after, "start_review", "under_review", later);
  workflow::Claim after_again = workflow::ApplyDecision(after, again, later);
  options.idempotency->expire_time = later + absl::Hours(1);
  const int64_t before = Statements();
  ASSERT_OK(repo_->ApplyDecision(after_again, again, options));
  // BEGIN, insert (duplicate), delete expired, insert, claim, history, events, COMMIT.
  EXPECT_EQ(Statements() - before, 7 + EventStatements());
}

INSTANTIATE_TEST_SUITE_P(Backends, StatementsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         BackendName);

}  // namespace
}  // namespace claims::storage
