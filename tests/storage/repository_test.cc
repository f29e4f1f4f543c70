// Claims, decisions and idempotency: the core of the storage conformance suite.

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/storage/repository_fixture.h"

namespace claims::storage {
namespace {

using ::claims::testing::IsOk;
using ::claims::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

TEST_P(RepositoryTest, CreatedClaimReadsBackWithEveryField) {
  NewClaim n = MakeClaim("partner-1", T0());
  n.claim.timers.push_back({.name = "overall",
                            .status = workflow::TimerStatus::kPaused,
                            .started_at = T0(),
                            .due_at = absl::InfiniteFuture(),
                            .warn_at = absl::InfiniteFuture(),
                            .warned = true,
                            .remaining = absl::Hours(36) + absl::Microseconds(7)});
  n.decision.timers = n.claim.timers;
  ASSERT_OK(repo_->CreateClaim(n.claim, n.decision, WriteOptions()));

  ASSERT_OK_AND_ASSIGN(workflow::Claim got, repo_->GetClaim(n.claim.id));
  ExpectSameClaim(got, n.claim);
}

TEST_P(RepositoryTest, PingAnswersAndStatsCountThePool) {
  EXPECT_OK(repo_->Ping(absl::Seconds(2)));
  ASSERT_OK(repo_->GetClaim(Create("partner-1", T0()).id).status());
  StorageStats stats = repo_->Stats();
  EXPECT_EQ(stats.pool_size, options_.pool_size);
  EXPECT_EQ(stats.connections_in_use, 0);  // every lease was given back
  EXPECT_EQ(stats.retries_deadlock + stats.retries_lock_timeout + stats.retries_busy, 0);
}

TEST_P(RepositoryTest, MissingClaimIsNotFound) {
  EXPECT_THAT(repo_->GetClaim(NewId(T0())), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(repo_->GetClaimDetails(NewId(T0()), workflow::Perspective::kReviewer),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(RepositoryTest, DuplicateClaimIdIsAlreadyExists) {
  NewClaim n = MakeClaim("partner-1", T0());
  ASSERT_OK(repo_->CreateClaim(n.claim, n.decision, WriteOptions()));
  EXPECT_THAT(repo_->CreateClaim(n.claim, n.decision, WriteOptions()),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(RepositoryTest, AppliedDecisionIsStoredWhole) {
  workflow::Claim before = Create("partner-1", T0());
  absl::Time now = T0() + absl::Minutes(5);
  workflow::Decision d = Transition(before, "submit", "submitted", now);
  d.fields = before.fields;
  d.fields->products = {"azure"};
  d.fields->customer_contact.email = "ann@new.example";
  workflow::TimerInstance fired = before.timers[0];
  fired.status = workflow::TimerStatus::kCancelled;
  d.timers = {fired, {.name = "decision", .started_at = now, .due_at = now + absl::Hours(240)}};
  d.comments.push_back(MakeComment("user-1", "submitted", now));
  d.evidence.push_back(MakeEvidence("poe.pdf", std::string("%PDF\0\x01\xff", 7), now));
  d.evidence_added = 1;
  workflow::Claim after = workflow::ApplyDecision(before, d, now);
  ASSERT_OK(repo_->ApplyDecision(after, d, WriteOptions()));

  ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                       repo_->GetClaimDetails(before.id, workflow::Perspective::kPartner));
  ExpectSameClaim(details.claim, after);
  EXPECT_EQ(details.claim.version, 2);
  ASSERT_THAT(details.history, SizeIs(2));
  EXPECT_EQ(details.history[0].sequence, 1);
  EXPECT_EQ(details.history[0].kind, workflow::HistoryKind::kCreated);
  EXPECT_EQ(details.history[1].sequence, 2);
  EXPECT_EQ(details.history[1].name, "submit");
  EXPECT_EQ(details.history[1].from_state, "editing");
  EXPECT_EQ(details.history[1].to_state, "submitted");
  EXPECT_EQ(details.history[1].perspective, workflow::Perspective::kReviewer);
  EXPECT_EQ(details.history[1].time, now);
  EXPECT_THAT(details.history[1].reasons, ElementsAre("missing_products"));
  EXPECT_EQ(details.history[1].comment, "please add products");
  EXPECT_THAT(details.history[1].changes,
              ElementsAre(workflow::FieldChange{"products", "[]", "[\"azure\"]"}));
  ASSERT_THAT(details.comments, SizeIs(1));
  EXPECT_EQ(details.comments[0].text, "submitted");
  EXPECT_EQ(details.comments[0].create_time, now);
  EXPECT_TRUE(IsValidId(details.comments[0].id)) << details.comments[0].id;
  ASSERT_THAT(details.evidence, SizeIs(1));
  EXPECT_EQ(details.evidence[0].file_name, "poe.pdf");
  EXPECT_EQ(details.evidence[0].size_bytes, 7);
  EXPECT_TRUE(details.evidence[0].content.empty()) << "details carry metadata only";

  ASSERT_OK_AND_ASSIGN(workflow::Evidence bytes,
                       repo_->GetEvidence(before.id, details.evidence[0].id));
  EXPECT_EQ(bytes.content, std::string("%PDF\0\x01\xff", 7));
  EXPECT_EQ(bytes.sha256_hex, std::string(64, 'a'));
  EXPECT_EQ(bytes.upload_time, now);
  EXPECT_THAT(repo_->GetEvidence(before.id, NewId(now)), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(RepositoryTest, StaleVersionIsAbortedAndChangesNothing) {
  workflow::Claim before = Create("partner-1", T0());
  absl::Time now = T0() + absl::Minutes(1);
  workflow::Decision first = Transition(before, "submit", "submitted", now);
  ASSERT_OK(repo_->ApplyDecision(workflow::ApplyDecision(before, first, now), first, {}));

  // A second writer that read the claim at version 1 too.
  workflow::Decision second = Transition(before, "withdraw", "withdrawn", now);
  EXPECT_THAT(repo_->ApplyDecision(workflow::ApplyDecision(before, second, now), second, {}),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("version conflict")));

  ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                       repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem));
  EXPECT_EQ(details.claim.state, "submitted");
  EXPECT_EQ(details.claim.version, 2);
  EXPECT_THAT(details.history, SizeIs(2));
  ASSERT_OK_AND_ASSIGN(std::vector<workflow::Event> events, repo_->ReadEvents(0, 100));
  EXPECT_THAT(events, SizeIs(2));
}

TEST_P(RepositoryTest, DecisionOnMissingClaimIsNotFound) {
  NewClaim n = MakeClaim("partner-1", T0());
  workflow::Decision d = Transition(n.claim, "submit", "submitted", T0());
  EXPECT_THAT(repo_->ApplyDecision(workflow::ApplyDecision(n.claim, d, T0()), d, {}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(RepositoryTest, ConcurrentWritersOfOneVersionHaveOneWinner) {
  workflow::Claim before = Create("partner-1", T0());
  constexpr int kWriters = 6;
  std::atomic<int> ok{0}, aborted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      absl::Time now = T0() + absl::Seconds(i + 1);
      workflow::Decision d = Transition(before, absl::StrCat("action", i), "submitted", now);
      absl::Status s = repo_->ApplyDecision(workflow::ApplyDecision(before, d, now), d, {});
      if (s.ok()) ++ok;
      if (absl::IsAborted(s)) ++aborted;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(aborted.load(), kWriters - 1);
  ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                       repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem));
  EXPECT_EQ(details.claim.version, 2);
  EXPECT_THAT(details.history, SizeIs(2));
}

IdempotencyRecord Record(std::string request_id, std::string response, absl::Time expire) {
  return {.scope = "partner/p1/actor/u1",
          .request_id = std::move(request_id),
          .request_hash = "hash-1",
          .response = std::move(response),
          .expire_time = expire};
}

TEST_P(RepositoryTest, IdempotencyRecordIsStoredWithTheDecision) {
  workflow::Claim before = Create("partner-1", T0());
  absl::Time now = T0() + absl::Minutes(1);
  workflow::Decision d = Transition(before, "submit", "submitted", now);
  WriteOptions options;
  options.idempotency = Record("req-1", std::string("resp\0onse", 9), now + absl::Hours(24));
  ASSERT_OK(repo_->ApplyDecision(workflow::ApplyDecision(before, d, now), d, options));

  ASSERT_OK_AND_ASSIGN(std::optional<IdempotencyRecord> found,
                       repo_->FindIdempotencyRecord("partner/p1/actor/u1", "req-1", now));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->response, std::string("resp\0onse", 9));
  EXPECT_EQ(found->request_hash, "hash-1");
  EXPECT_EQ(found->expire_time, now + absl::Hours(24));
  ASSERT_OK_AND_ASSIGN(found, repo_->FindIdempotencyRecord("partner/p2/actor/u1", "req-1", now));
  EXPECT_FALSE(found.has_value()) << "request ids are scoped";
  ASSERT_OK_AND_ASSIGN(
      found, repo_->FindIdempotencyRecord("partner/p1/actor/u1", "req-1", now + absl::Hours(25)));
  EXPECT_FALSE(found.has_value()) << "expired records are ignored";
}

TEST_P(RepositoryTest, ReusedRequestIdIsAlreadyExistsAndRollsBackEverything) {
  workflow::Claim before = Create("partner-1", T0());
  absl::Time now = T0() + absl::Minutes(1);
  workflow::Decision d = Transition(before, "submit", "submitted", now);
  workflow::Claim after = workflow::ApplyDecision(before, d, now);
  WriteOptions options;
  options.idempotency = Record("req-1", "first", now + absl::Hours(24));
  ASSERT_OK(repo_->ApplyDecision(after, d, options));

  // The retry of the same request, on the claim as it now stands.
  workflow::Decision again = Transition(after, "edit", "submitted", now);
  options.idempotency->response = "second";
  EXPECT_THAT(repo_->ApplyDecision(workflow::ApplyDecision(after, again, now), again, options),
              StatusIs(absl::StatusCode::kAlreadyExists));

  ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                       repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem));
  EXPECT_EQ(details.claim.version, 2);
  EXPECT_THAT(details.history, SizeIs(2));
  ASSERT_OK_AND_ASSIGN(std::optional<IdempotencyRecord> found,
                       repo_->FindIdempotencyRecord("partner/p1/actor/u1", "req-1", now));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->response, "first") << "a replay returns the stored answer";
}

TEST_P(RepositoryTest, ExpiredRequestIdMayBeReused) {
  workflow::Claim before = Create("partner-1", T0());
  absl::Time now = T0() + absl::Minutes(1);
  workflow::Decision d = Transition(before, "submit", "submitted", now);
  workflow::Claim after = workflow::ApplyDecision(before, d, now);
  WriteOptions options;
  options.idempotency = Record("req-1", "first", now + absl::Minutes(1));
  ASSERT_OK(repo_->ApplyDecision(after, d, options));

  absl::Time later = now + absl::Hours(1);
  workflow::Decision next = Transition(after, "start_review", "under_review", later);
  options.idempotency = Record("req-1", "second", later + absl::Hours(1));
  ASSERT_OK(repo_->ApplyDecision(workflow::ApplyDecision(after, next, later), next, options));
  ASSERT_OK_AND_ASSIGN(std::optional<IdempotencyRecord> found,
                       repo_->FindIdempotencyRecord("partner/p1/actor/u1", "req-1", later));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->response, "second");
}

TEST_P(RepositoryTest, ConcurrentDuplicateRequestsApplyOnce) {
  constexpr int kThreads = 6;
  workflow::Claim before = Create("partner-1", T0());
  std::atomic<int> ok{0}, duplicate{0}, conflict{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      absl::Time now = T0() + absl::Minutes(1);
      workflow::Decision d = Transition(before, "submit", "submitted", now);
      WriteOptions options;
      options.idempotency = Record("req-same", "answer", now + absl::Hours(1));
      absl::Status s = repo_->ApplyDecision(workflow::ApplyDecision(before, d, now), d, options);
      if (s.ok()) ++ok;
      if (absl::IsAlreadyExists(s)) ++duplicate;
      if (absl::IsAborted(s)) ++conflict;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(duplicate.load() + conflict.load(), kThreads - 1);
  ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                       repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem));
  EXPECT_EQ(details.claim.version, 2);
  EXPECT_THAT(details.history, SizeIs(2));
}

TEST_P(RepositoryTest, PurgeRemovesOnlyExpiredRecords) {
  workflow::Claim c = Create("partner-1", T0());
  workflow::Claim current = c;
  for (int i = 0; i < 3; ++i) {
    absl::Time now = T0() + absl::Minutes(i + 1);
    workflow::Decision d = Transition(current, absl::StrCat("a", i), "editing", now);
    workflow::Claim after = workflow::ApplyDecision(current, d, now);
    WriteOptions options;
    options.idempotency = Record(absl::StrCat("req-", i), "r", T0() + absl::Hours(i + 1));
    ASSERT_OK(repo_->ApplyDecision(after, d, options));
    current = after;
  }
  ASSERT_OK_AND_ASSIGN(int64_t purged,
                       repo_->PurgeExpiredIdempotencyRecords(T0() + absl::Hours(2)));
  EXPECT_EQ(purged, 2);
  ASSERT_OK_AND_ASSIGN(std::optional<IdempotencyRecord> kept,
                       repo_->FindIdempotencyRecord("partner/p1/actor/u1", "req-2", T0()));
  EXPECT_TRUE(kept.has_value());
  ASSERT_OK_AND_ASSIGN(purged, repo_->PurgeExpiredIdempotencyRecords(T0() + absl::Hours(2)));
  EXPECT_EQ(purged, 0);
}

TEST_P(RepositoryTest, EvidenceOverTheLimitIsInvalidArgument) {
  workflow::Claim before = Create("partner-1", T0());
  workflow::Decision d = Transition(before, "upload", "editing", T0());
  d.evidence.push_back(MakeEvidence(
      "big.bin", std::string(static_cast<size_t>(options_.max_evidence_bytes) + 1, 'x'), T0()));
  d.evidence_added = 1;
  EXPECT_THAT(repo_->ApplyDecision(workflow::ApplyDecision(before, d, T0()), d, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
  d.evidence[0].content.pop_back();
  EXPECT_THAT(repo_->ApplyDecision(workflow::ApplyDecision(before, d, T0()), d, {}), IsOk());
}

TEST_P(RepositoryTest, CommentsOfInternalVisibilityAreHiddenFromPartners) {
  workflow::Claim before = Create("partner-1", T0());
  absl::Time now = T0() + absl::Minutes(1);
  workflow::Decision d = Transition(before, "comment", "editing", now);
  d.comments.push_back(MakeComment("r1", "internal note", now, workflow::Perspective::kReviewer,
                                   workflow::CommentVisibility::kInternal));
  d.comments.push_back(MakeComment("u1", "public note", now));
  ASSERT_OK(repo_->ApplyDecision(workflow::ApplyDecision(before, d, now), d, {}));

  for (workflow::Perspective p :
       {workflow::Perspective::kPartner, workflow::Perspective::kCustomer}) {
    ASSERT_OK_AND_ASSIGN(ClaimDetails details, repo_->GetClaimDetails(before.id, p));
    ASSERT_THAT(details.comments, SizeIs(1));
    EXPECT_EQ(details.comments[0].text, "public note");
  }
  for (workflow::Perspective p :
       {workflow::Perspective::kReviewer, workflow::Perspective::kSystem}) {
    ASSERT_OK_AND_ASSIGN(ClaimDetails details, repo_->GetClaimDetails(before.id, p));
    ASSERT_THAT(details.comments, SizeIs(2));
    EXPECT_EQ(details.comments[0].visibility == workflow::CommentVisibility::kInternal,
              details.comments[0].text == "internal note");
  }
}

TEST_P(RepositoryTest, HistoryIsReadInKeysetPages) {
  workflow::Claim before = Create("partner-1", T0());
  const absl::Time now = T0() + absl::Minutes(1);
  workflow::Decision d = Transition(before, "comment", before.state, now);
  for (int i = 0; i < 40; ++i) {
    workflow::HistoryEntry h = d.history[0];
    h.kind = workflow::HistoryKind::kComment;
    h.comment = absl::StrCat("note ", i);
    d.history.push_back(h);
  }
  d.comments.push_back(MakeComment("user-1", "hello", now));
  workflow::Claim after = workflow::ApplyDecision(before, d, now);
  ASSERT_OK(repo_->ApplyDecision(after, d, WriteOptions()));
  constexpr int kEntries = 42;  // the creation, the transition and 40 comments

  std::vector<int64_t> sequences;
  HistoryRange range{.after_sequence = 0, .max_entries = 10};
  for (int page = 0; page < 10; ++page) {
    ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                         repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem, range));
    EXPECT_EQ(details.claim.version, 2);
    // Evidence and comments only when asked for: the first page.
    EXPECT_THAT(details.comments, SizeIs(page == 0 ? 1 : 0));
    for (const workflow::HistoryEntry& h : details.history) sequences.push_back(h.sequence);
    const bool last = sequences.size() == kEntries;
    EXPECT_THAT(details.history, SizeIs(last ? 2 : 10));
    EXPECT_EQ(details.more_history, !last);
    if (!details.more_history) break;
    range.after_sequence = details.history.back().sequence;
    range.history_only = true;
  }
  ASSERT_THAT(sequences, SizeIs(kEntries));
  for (std::size_t i = 0; i < sequences.size(); ++i)
    EXPECT_EQ(sequences[i], static_cast<int64_t>(i) + 1);

  // A page that ends exactly at the last entry says nothing follows.
  ASSERT_OK_AND_ASSIGN(
      ClaimDetails exact,
      repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem,
                             {.after_sequence = 32, .max_entries = 10, .history_only = true}));
  EXPECT_THAT(exact.history, SizeIs(10));
  EXPECT_FALSE(exact.more_history);
  ASSERT_OK_AND_ASSIGN(ClaimDetails past_the_end,
                       repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem,
                                              {.after_sequence = kEntries, .max_entries = 10}));
  EXPECT_THAT(past_the_end.history, SizeIs(0));
  EXPECT_FALSE(past_the_end.more_history);
  // The whole history after a position when no page size is given.
  ASSERT_OK_AND_ASSIGN(
      ClaimDetails rest,
      repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem, {.after_sequence = 2}));
  EXPECT_THAT(rest.history, SizeIs(kEntries - 2));
  EXPECT_EQ(rest.history.front().sequence, 3);

  EXPECT_THAT(
      repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem, {.after_sequence = -1}),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      repo_->GetClaimDetails(before.id, workflow::Perspective::kSystem, {.max_entries = -1}),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->GetClaimDetails(NewId(T0()), workflow::Perspective::kSystem,
                                     {.after_sequence = 1, .max_entries = 10}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(RepositoryTest, WorkflowsArePublishedOnce) {
  WorkflowRecord w{.name = "cpor-association",
                   .version = 1,
                   .sha256_hex = std::string(64, 'b'),
                   .source = "states: []\n",
                   .create_time = T0()};
  ASSERT_OK(repo_->SaveWorkflow(w));
  EXPECT_OK(repo_->SaveWorkflow(w)) << "the same content again is fine";
  WorkflowRecord changed = w;
  changed.sha256_hex = std::string(64, 'c');
  EXPECT_THAT(repo_->SaveWorkflow(changed), StatusIs(absl::StatusCode::kAlreadyExists));
  WorkflowRecord v2 = w;
  v2.version = 2;
  ASSERT_OK(repo_->SaveWorkflow(v2));

  ASSERT_OK_AND_ASSIGN(WorkflowRecord got, repo_->GetWorkflow("cpor-association", 1));
  EXPECT_EQ(got.sha256_hex, w.sha256_hex);
  EXPECT_EQ(got.source, w.source);
  EXPECT_EQ(got.create_time, T0());
  EXPECT_THAT(repo_->GetWorkflow("cpor-association", 3), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::vector<WorkflowRecord> all, repo_->ListWorkflows());
  ASSERT_THAT(all, SizeIs(2));
  EXPECT_EQ(all[0].version, 1);
  EXPECT_EQ(all[1].version, 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, RepositoryTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         BackendName);

}  // namespace
}  // namespace claims::storage
