// All or nothing: a write that fails at any step leaves no trace, and a commit whose answer is
// lost is settled without losing or repeating it.

#include <string>
#include <vector>

#include "tests/storage/repository_fixture.h"

namespace claims::storage {
namespace {

using ::claims::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// A decision that writes to every table: timers, history, comments, evidence, events, and an
// idempotency record.
struct BigDecision {
  workflow::Claim after;
  workflow::Decision decision;
  WriteOptions options;
};

BigDecision MakeBigDecision(const workflow::Claim& before, absl::Time now) {
  BigDecision b;
  workflow::Decision& d = b.decision;
  d.name = "submit";
  d.from_state = before.state;
  d.to_state = "submitted";
  d.state_entered_at = now;
  d.facts = before.facts;
  d.facts.action_counts["submit"] = 1;
  workflow::TimerInstance t;
  t.name = "review_start";
  t.started_at = now;
  t.due_at = now + absl::Hours(1);
  d.timers.push_back(t);
  workflow::HistoryEntry h;
  h.name = "submit";
  h.time = now;
  d.history.push_back(h);
  workflow::Comment c;
  c.text = "note";
  c.create_time = now;
  d.comments.push_back(c);
  workflow::Evidence e;
  e.file_name = "poe.pdf";
  e.content = "bytes";
  e.upload_time = now;
  d.evidence.push_back(e);
  d.evidence_added = 1;
  workflow::Event ev;
  ev.type = "claim_submitted";
  d.events.push_back(ev);
  b.after = workflow::ApplyDecision(before, d, now);
  b.options.idempotency =
      IdempotencyRecord{"scope", "req-big", "hash", "response", now + absl::Hours(1)};
  return b;
}

class AtomicityTest : public RepositoryTest {
 protected:
  void ExpectUntouched(const workflow::Claim& before, absl::Time now) {
    ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                         repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem));
    ExpectSameClaim(details.claim, before);
    EXPECT_THAT(details.history, SizeIs(1));
    EXPECT_THAT(details.comments, SizeIs(0));
    EXPECT_THAT(details.evidence, SizeIs(0));
    ASSERT_OK_AND_ASSIGN(std::vector<workflow::Event> events, repo_->ReadEvents(0, 100));
    EXPECT_THAT(events, SizeIs(1)) << "only the creation event";
    ASSERT_OK_AND_ASSIGN(std::optional<IdempotencyRecord> rec,
                         repo_->FindIdempotencyRecord("scope", "req-big", now));
    EXPECT_FALSE(rec.has_value());
  }
};

TEST_P(AtomicityTest, FailureAfterAnyStepLeavesNothingBehind) {
  workflow::Claim before = Create("partner-1", T0());
  absl::Time now = T0() + absl::Minutes(1);
  const std::vector<std::string> steps = {"idempotency", "claim",    "timers", "history",
                                          "comments",    "evidence", "events", "before_commit"};
  for (const std::string& failing : steps) {
    SCOPED_TRACE(failing);
    std::vector<std::string> seen;
    SetWriteHookForTest(*repo_, [&](std::string_view step) -> absl::Status {
      seen.emplace_back(step);
      if (step == failing && failing != "before_commit") {
        return absl::InternalError("injected failure after " + std::string(step));
      }
      return absl::OkStatus();
    });
    BigDecision b = MakeBigDecision(before, now);
    absl::Status status = repo_->ApplyDecision(b.after, b.decision, b.options);
    SetWriteHookForTest(*repo_, nullptr);
    if (failing == "before_commit") {
      // Reaching the commit is success; the step list shows every step ran.
      EXPECT_EQ(seen,
                (std::vector<std::string>{"idempotency", "claim", "timers", "history", "comments",
                                          "evidence", "events", "before_commit", "after_commit"}));
      ASSERT_OK(status);
      return;
    }
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInternal, HasSubstr("injected")));
    ExpectUntouched(before, now);
  }
}

TEST_P(AtomicityTest, DuplicateEvidenceIdHalfwayRollsBack) {
  workflow::Claim before = Create("partner-1", T0());
  absl::Time now = T0() + absl::Minutes(1);
  BigDecision b = MakeBigDecision(before, now);
  workflow::Evidence dup = b.decision.evidence[0];
  b.decision.evidence[0].id = NewId(now);
  dup.id = b.decision.evidence[0].id;
  b.decision.evidence.push_back(dup);
  b.decision.evidence_added = 2;
  b.after = workflow::ApplyDecision(before, b.decision, now);
  EXPECT_THAT(repo_->ApplyDecision(b.after, b.decision, b.options),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ExpectUntouched(before, now);
}

TEST_P(AtomicityTest, LostAnswerToACommitThatHappenedIsSuccessNotARepeat) {
  workflow::Claim before = Create("partner-1", T0());
  absl::Time now = T0() + absl::Minutes(1);
  for (bool with_idempotency : {true, false}) {
    SCOPED_TRACE(with_idempotency);
    ASSERT_OK_AND_ASSIGN(workflow::Claim current, repo_->GetClaim(before.id));
    BigDecision b = MakeBigDecision(current, now);
    if (!with_idempotency) b.options.idempotency.reset();
    int commits = 0;
    SetWriteHookForTest(*repo_, [&](std::string_view step) -> absl::Status {
      if (step == "after_commit" && ++commits == 1) {
        return absl::UnavailableError("connection lost while committing");
      }
      return absl::OkStatus();
    });
    absl::Status status = repo_->ApplyDecision(b.after, b.decision, b.options);
    SetWriteHookForTest(*repo_, nullptr);
    ASSERT_OK(status);
    EXPECT_EQ(commits, 1) << "settled by looking, not by running it again";
    ASSERT_OK_AND_ASSIGN(workflow::Claim got, repo_->GetClaim(before.id));
    EXPECT_EQ(got.version, current.version + 1);
  }
  ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                       repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem));
  EXPECT_THAT(details.history, SizeIs(3));
  EXPECT_THAT(details.evidence, SizeIs(2));
}

TEST_P(AtomicityTest, LostAnswerToACommitThatDidNotHappenIsRetried) {
  workflow::Claim before = Create("partner-1", T0());
  absl::Time now = T0() + absl::Minutes(1);
  for (bool with_idempotency : {true, false}) {
    SCOPED_TRACE(with_idempotency);
    ASSERT_OK_AND_ASSIGN(workflow::Claim current, repo_->GetClaim(before.id));
    BigDecision b = MakeBigDecision(current, now);
    if (!with_idempotency) b.options.idempotency.reset();
    int attempts = 0;
    SetWriteHookForTest(*repo_, [&](std::string_view step) -> absl::Status {
      if (step == "before_commit" && ++attempts == 1) {
        return absl::UnavailableError("connection lost before the commit arrived");
      }
      return absl::OkStatus();
    });
    absl::Status status = repo_->ApplyDecision(b.after, b.decision, b.options);
    SetWriteHookForTest(*repo_, nullptr);
    ASSERT_OK(status);
    EXPECT_EQ(attempts, 2);
    ASSERT_OK_AND_ASSIGN(workflow::Claim got, repo_->GetClaim(before.id));
    EXPECT_EQ(got.version, current.version + 1);
  }
  ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                       repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem));
  EXPECT_THAT(details.history, SizeIs(3));
}

TEST_P(AtomicityTest, LostAnswerToACreateIsSettled) {
  int commits = 0;
  SetWriteHookForTest(*repo_, [&](std::string_view step) -> absl::Status {
    if (step == "after_commit" && ++commits == 1) return absl::UnavailableError("lost");
    return absl::OkStatus();
  });
  NewClaim n = MakeClaim("partner-1", T0());
  ASSERT_OK(repo_->CreateClaim(n.claim, n.decision, WriteOptions()));
  SetWriteHookForTest(*repo_, nullptr);
  EXPECT_EQ(commits, 1);
  ASSERT_OK_AND_ASSIGN(workflow::Claim got, repo_->GetClaim(n.claim.id));
  EXPECT_EQ(got.version, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, AtomicityTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         BackendName);

}  // namespace
}  // namespace claims::storage
