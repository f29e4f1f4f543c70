// The outbox: partitions, resuming readers under concurrent writers, readers that never wait
// for writers, retention, and the migration of an outbox an older build filled.

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "tests/storage/repository_fixture.h"

namespace claims::storage {
namespace {

using ::claims::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class OutboxTest : public RepositoryTest {
 protected:
  // Moves `claim` on by one transition with one event, as ApplyDecision stores it.
  absl::Status Step(workflow::Claim& claim, absl::Time now) {
    workflow::Decision d = Transition(claim, "edit", claim.state, now);
    workflow::Claim after = workflow::ApplyDecision(claim, d, now);
    absl::Status status = repo_->ApplyDecision(after, d, {});
    if (status.ok()) claim = after;
    return status;
  }

  // Every event after `after` in `partition` (nullopt: all), read a few at a time.
  std::vector<OutboxEvent> ReadAll(std::optional<int> partition, int64_t after = 0) {
    std::vector<OutboxEvent> out;
    for (;;) {
      absl::StatusOr<EventPage> page = repo_->ReadOutbox({after, partition, 7});
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok() || page->events.empty()) return out;
      after = page->events.back().event.sequence;
      out.insert(out.end(), page->events.begin(), page->events.end());
    }
  }
};

TEST_P(OutboxTest, ClaimsSpreadOverPartitionsAndEachClaimKeepsItsOwn) {
  ASSERT_EQ(repo_->EventPartitions(), options_.event_partitions);
  std::vector<workflow::Claim> claims;
  for (int i = 0; i < 40; ++i) claims.push_back(Create("p1", T0() + absl::Seconds(i)));
  for (int round = 0; round < 2; ++round) {
    for (workflow::Claim& c : claims) ASSERT_OK(Step(c, T0() + absl::Minutes(round + 1)));
  }

  std::map<std::string, int> partition_of;
  std::set<int> used;
  std::vector<OutboxEvent> all = ReadAll(std::nullopt);
  ASSERT_THAT(all, SizeIs(claims.size() * 3));
  for (const OutboxEvent& e : all) {
    auto [it, added] = partition_of.emplace(e.event.claim_id, e.partition);
    EXPECT_EQ(it->second, e.partition) << "a claim's events all go to one partition";
    EXPECT_GE(e.partition, 0);
    EXPECT_LT(e.partition, repo_->EventPartitions());
    used.insert(e.partition);
  }
  EXPECT_GT(used.size(), 4u) << "40 claims over 8 partitions use most of them";

  // Reading partition by partition gives the same events, each partition in sequence order.
  size_t total = 0;
  for (int p = 0; p < repo_->EventPartitions(); ++p) {
    std::vector<OutboxEvent> mine = ReadAll(p);
    for (size_t i = 0; i < mine.size(); ++i) {
      EXPECT_EQ(mine[i].partition, p);
      if (i > 0) {
        EXPECT_LT(mine[i - 1].event.sequence, mine[i].event.sequence);
      }
    }
    total += mine.size();
  }
  EXPECT_EQ(total, all.size());
}

TEST_P(OutboxTest, PartitionOutOfRangeOrNegativePositionIsInvalidArgument) {
  EXPECT_THAT(repo_->ReadOutbox({0, repo_->EventPartitions(), 10}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->ReadOutbox({0, -1, 10}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->ReadOutbox({-1, std::nullopt, 10}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->ReadOutbox({0, std::nullopt, 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Consumers that each own some partitions, resuming after every batch while writers commit on
// several connections: together they see every event once, and each claim's events in the
// order its transactions committed.
TEST_P(OutboxTest, PartitionConsumersResumingUnderConcurrentWritersMissNothingAndRepeatNothing) {
  constexpr int kWriters = 4;
  constexpr int kClaimsEach = 3;
  constexpr int kStepsEach = 6;
  std::atomic<int> done{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kClaimsEach; ++i) {
        workflow::Claim c = Create(absl::StrCat("p", w), T0() + absl::Seconds(i));
        for (int s = 0; s < kStepsEach; ++s) {
          EXPECT_OK(Step(c, T0() + absl::Minutes(s + 1)));
        }
      }
      ++done;
    });
  }
  // Two consumers, one for the even partitions and one for the odd ones.
  std::vector<std::vector<OutboxEvent>> seen(2);
  std::vector<std::thread> consumers;
  for (int k = 0; k < 2; ++k) {
    consumers.emplace_back([&, k] {
      std::map<int, int64_t> positions;
      for (int p = k; p < repo_->EventPartitions(); p += 2) positions[p] = 0;
      for (;;) {
        const bool finished = done.load() == kWriters;
        bool any = false;
        for (auto& [partition, after] : positions) {
          absl::StatusOr<EventPage> page = repo_->ReadOutbox({after, partition, 5});
          ASSERT_TRUE(page.ok()) << page.status();
          for (const OutboxEvent& e : page->events) {
            EXPECT_GT(e.event.sequence, after);
            after = e.event.sequence;
            seen[static_cast<size_t>(k)].push_back(e);
            any = true;
          }
        }
        if (finished && !any) break;
      }
    });
  }
  for (std::thread& t : writers) t.join();
  for (std::thread& t : consumers) t.join();

  std::set<int64_t> sequences;
  std::map<std::string, std::vector<std::string>> by_claim;
  for (const auto& list : seen) {
    for (const OutboxEvent& e : list) {
      EXPECT_TRUE(sequences.insert(e.event.sequence).second) << "seen twice: " << e.event.sequence;
      by_claim[e.event.claim_id].push_back(e.event.type);
    }
  }
  EXPECT_THAT(sequences, SizeIs(kWriters * kClaimsEach * (kStepsEach + 1)));
  std::vector<std::string> lifecycle = {"claim_created"};
  for (int s = 0; s < kStepsEach; ++s) lifecycle.push_back("claim_edit");
  for (const auto& [claim, types] : by_claim) {
    EXPECT_THAT(types, ElementsAreArray(lifecycle)) << claim;
  }
  // The partition readers saw exactly what one reader of every partition sees.
  std::vector<OutboxEvent> all = ReadAll(std::nullopt);
  EXPECT_THAT(all, SizeIs(sequences.size()));
}

// A reader runs while a writer's transaction is open: it neither waits for the writer nor sees
// the writer's events, and finds them, after what it already read, once the writer commits.
TEST_P(OutboxTest, ReadersNeverWaitForAnOpenWriterAndSeeItsEventsOnceCommitted) {
  workflow::Claim early = Create("p1", T0());
  workflow::Claim held = Create("p1", T0());
  absl::Notification in_transaction, release;
  SetWriteHookForTest(*repo_, [&](std::string_view step) {
    if (step == "events" && !in_transaction.HasBeenNotified()) {
      in_transaction.Notify();
      release.WaitForNotification();
    }
    return absl::OkStatus();
  });
  std::thread writer([&] { EXPECT_OK(Step(held, T0() + absl::Minutes(1))); });
  in_transaction.WaitForNotification();
  SetWriteHookForTest(*repo_, nullptr);

  // Another writer commits while the first still holds its transaction open. (SQLite has one
  // writer at a time, so only MySQL can commit behind it.)
  std::unique_ptr<Repository> other;
  if (GetParam() == TestBackend::kMariaDb) {
    ASSERT_OK_AND_ASSIGN(other, OpenAnother());
    workflow::Decision d = Transition(early, "edit", early.state, T0() + absl::Minutes(2));
    workflow::Claim after = workflow::ApplyDecision(early, d, T0() + absl::Minutes(2));
    ASSERT_OK(other->ApplyDecision(after, d, {}));
  }
  const absl::Time start = absl::Now();
  std::vector<OutboxEvent> before = ReadAll(std::nullopt);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2)) << "the read waited for the writer";
  EXPECT_THAT(before, SizeIs(GetParam() == TestBackend::kMariaDb ? 3 : 2));
  for (const OutboxEvent& e : before) {
    EXPECT_FALSE(e.event.claim_id == held.id && e.event.type == "claim_edit");
  }

  release.Notify();
  writer.join();
  std::vector<OutboxEvent> after = ReadAll(std::nullopt, before.back().event.sequence);
  ASSERT_THAT(after, SizeIs(1));
  EXPECT_EQ(after[0].event.claim_id, held.id);
  EXPECT_GT(after[0].event.sequence, before.back().event.sequence);
}

TEST_P(OutboxTest, RetentionRemovesOldEventsOnlyAndReportsHowFarItWent) {
  std::vector<workflow::Claim> claims;
  for (int i = 0; i < 5; ++i) claims.push_back(Create("p1", T0() + absl::Minutes(i)));
  workflow::Claim recent = Create("p1", T0() + absl::Hours(48));
  std::vector<OutboxEvent> all = ReadAll(std::nullopt);
  ASSERT_THAT(all, SizeIs(6));

  // Retention is a week: at T0 + 7 days + 3 minutes, the first three events are older.
  const absl::Time now = T0() + absl::Hours(7 * 24) + absl::Minutes(3);
  ASSERT_OK_AND_ASSIGN(int64_t purged, repo_->PurgeOldEvents(now));
  EXPECT_EQ(purged, 3);
  ASSERT_OK_AND_ASSIGN(EventPage page, repo_->ReadOutbox({0, std::nullopt, 100}));
  EXPECT_EQ(page.purged_through, all[2].event.sequence);
  ASSERT_THAT(page.events, SizeIs(3));
  EXPECT_EQ(page.events[0].event.sequence, all[3].event.sequence);
  // A reader that had seen the third event lost nothing; one that had seen the first did.
  EXPECT_GE(all[2].event.sequence, page.purged_through);
  EXPECT_LT(all[0].event.sequence, page.purged_through);

  ASSERT_OK_AND_ASSIGN(purged, repo_->PurgeOldEvents(now));
  EXPECT_EQ(purged, 0) << "nothing more is old enough";
  ASSERT_OK_AND_ASSIGN(purged, repo_->PurgeOldEvents(now + absl::Hours(48)));
  EXPECT_EQ(purged, 3);
  EXPECT_THAT(ReadAll(std::nullopt), IsEmpty());
  // New events carry on after the purged ones.
  ASSERT_OK(Step(recent, now + absl::Hours(49)));
  std::vector<OutboxEvent> fresh = ReadAll(std::nullopt);
  ASSERT_THAT(fresh, SizeIs(1));
  EXPECT_GT(fresh[0].event.sequence, all.back().event.sequence);
}

TEST_P(OutboxTest, IdempotencyRecordsArePurgedInBatchesUpToTheLimitPerCall) {
  // More than one batch of expired records, written straight into the table.
  std::vector<std::string> inserts;
  const int64_t expired = absl::ToUnixMicros(T0());
  for (int i = 0; i < 1200; ++i) {
    inserts.push_back(absl::StrCat(
        "INSERT INTO idempotency (scope, request_id, request_hash, response, expire_time) "
        "VALUES ('s', 'r",
        i, "', 'h', 'x', ", expired + i, ")"));
  }
  ASSERT_OK(ExecuteSqlForTest(options_, inserts));
  WriteOptions live;
  live.idempotency = IdempotencyRecord{"s", "live", "h", "x", T0() + absl::Hours(1)};
  NewClaim n = MakeClaim("p1", T0());
  ASSERT_OK(repo_->CreateClaim(n.claim, n.decision, live));

  ASSERT_OK_AND_ASSIGN(int64_t purged,
                       repo_->PurgeExpiredIdempotencyRecords(T0() + absl::Minutes(1)));
  EXPECT_EQ(purged, 1200);
  ASSERT_OK_AND_ASSIGN(std::optional<IdempotencyRecord> kept,
                       repo_->FindIdempotencyRecord("s", "live", T0() + absl::Minutes(1)));
  EXPECT_TRUE(kept.has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         BackendName);

}  // namespace
}  // namespace claims::storage
