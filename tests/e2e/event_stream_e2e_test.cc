// StreamEvents end to end, on SQLite and MariaDB: consumers that resume from cursors while
// other clients write miss nothing and repeat nothing, partition streams split the outbox, and
// bad or expired positions are refused with their reasons.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"

namespace claims::testing {
namespace {

using ::testing::ElementsAreArray;
using ::testing::SizeIs;

class EventStreamE2eTest : public E2eFixture {
 protected:
  // Creates a claim and takes it through submit, start_review and request_info: three events.
  void Lifecycle(const std::string& partner) {
    v1::Claim claim;
    ASSERT_TRUE(client_->Create(Partner(partner), NewClaimRequest(partner), &claim).ok());
    v1::Evidence evidence;
    ASSERT_TRUE(
        client_->AddEvidence(Partner(partner), claim.name(), "poe.pdf", "%PDF-1.7", &evidence)
            .ok());
    ASSERT_TRUE(client_->Act(Partner(partner), claim.name(), "submit", &claim).ok());
    ASSERT_TRUE(client_->Act(Reviewer(), claim.name(), "start_review", &claim).ok());
    ASSERT_TRUE(client_
                    ->Act(Reviewer(), claim.name(), "request_info", &claim, {"missing_all_poe"},
                          "Please upload the signed SOW.")
                    .ok());
  }

  struct Read {
    std::vector<v1::Event> events;
    grpc::Status status;
  };

  // One stream as a reviewer: until `count` events arrived, the stream ended or `wait` passed.
  Read Stream(const v1::StreamEventsRequest& request, std::size_t count,
              std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    auto stub = v1::Claims::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + wait);
    context.AddMetadata("x-claims-actor", "rita");
    context.AddMetadata("x-claims-roles", "reviewer");
    auto reader = stub->StreamEvents(&context, request);
    Read read;
    v1::Event event;
    while (read.events.size() < count && reader->Read(&event)) read.events.push_back(event);
    if (read.events.size() >= count) context.TryCancel();
    read.status = reader->Finish();
    return read;
  }
};

// A consumer reads a few events at a time, hanging up after each batch and resuming from the
// cursor of the last event it got, while four clients create and move claims.
TEST_P(EventStreamE2eTest,
       ConsumerResumingFromCursorsUnderConcurrentWritersMissesAndRepeatsNothing) {
  constexpr int kWriters = 4;
  constexpr int kClaimsEach = 3;
  constexpr std::size_t kEvents = kWriters * kClaimsEach * 3;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([this, w] {
      for (int i = 0; i < kClaimsEach; ++i) Lifecycle(absl::StrCat("partner", w));
    });
  }
  std::vector<v1::Event> seen;
  std::string cursor;
  for (int attempt = 0; attempt < 200 && seen.size() < kEvents; ++attempt) {
    v1::StreamEventsRequest request;
    request.set_cursor(cursor);
    Read read = Stream(request, 5, std::chrono::milliseconds(2000));
    for (const v1::Event& e : read.events) {
      seen.push_back(e);
      cursor = e.cursor();
    }
  }
  for (std::thread& t : writers) t.join();
  // Whatever the last batches did not get yet, one more resume does.
  v1::StreamEventsRequest rest;
  rest.set_cursor(cursor);
  for (const v1::Event& e : Stream(rest, kEvents - seen.size()).events) seen.push_back(e);

  ASSERT_THAT(seen, SizeIs(kEvents));
  std::set<int64_t> sequences;
  std::map<std::string, std::vector<std::string>> by_claim;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_TRUE(sequences.insert(seen[i].sequence()).second) << "repeated " << seen[i].sequence();
    if (i > 0) {
      EXPECT_LT(seen[i - 1].sequence(), seen[i].sequence());
    }
    by_claim[seen[i].claim()].push_back(seen[i].type());
  }
  EXPECT_THAT(by_claim, SizeIs(kWriters * kClaimsEach));
  for (const auto& [claim, types] : by_claim) {
    EXPECT_THAT(types,
                ElementsAreArray({"claim_created", "claim_submitted", "information_requested"}))
        << claim;
  }
  // after_sequence still resumes as it always did.
  v1::StreamEventsRequest by_sequence;
  by_sequence.set_after_sequence(seen[4].sequence());
  Read resumed = Stream(by_sequence, 1);
  ASSERT_THAT(resumed.events, SizeIs(1));
  EXPECT_EQ(resumed.events[0].sequence(), seen[5].sequence());
}

TEST_P(EventStreamE2eTest, PartitionStreamsSplitTheOutboxAndResumeWithinTheirPartition) {
  for (int i = 0; i < 6; ++i) Lifecycle("contoso");
  const std::size_t total = 18;
  Read all = Stream(v1::StreamEventsRequest(), total);
  ASSERT_THAT(all.events, SizeIs(total));

  std::size_t sum = 0;
  std::map<std::string, int> partition_of;
  const int partitions = server_->repository().EventPartitions();
  for (int p = 0; p < partitions; ++p) {
    v1::StreamEventsRequest request;
    request.set_partition(p);
    std::size_t expected = 0;
    for (const v1::Event& e : all.events) {
      if (e.partition() == p) ++expected;
    }
    Read mine = Stream(request, expected, std::chrono::milliseconds(expected == 0 ? 300 : 10000));
    ASSERT_THAT(mine.events, SizeIs(expected)) << "partition " << p;
    for (const v1::Event& e : mine.events) {
      EXPECT_EQ(e.partition(), p);
      auto [it, added] = partition_of.emplace(e.claim(), p);
      EXPECT_EQ(it->second, p) << "a claim's events stay in one partition";
    }
    sum += mine.events.size();
    if (mine.events.size() < 2) continue;
    // Resuming from the first event's cursor gives the partition's second event next.
    v1::StreamEventsRequest resume;
    resume.set_cursor(mine.events[0].cursor());
    Read next = Stream(resume, 1);
    ASSERT_THAT(next.events, SizeIs(1));
    EXPECT_EQ(next.events[0].sequence(), mine.events[1].sequence());
    // The cursor remembers the partition; naming another one is an error.
    resume.set_partition((p + 1) % partitions);
    EXPECT_EQ(Stream(resume, 1).status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_EQ(sum, total);
}

TEST_P(EventStreamE2eTest, BadPositionsAreInvalidArgument) {
  Lifecycle("contoso");
  const Read all = Stream(v1::StreamEventsRequest(), 3);
  ASSERT_THAT(all.events, SizeIs(3));
  std::vector<v1::StreamEventsRequest> bad(4);
  bad[0].set_cursor("not a cursor");
  bad[1].set_cursor(all.events[0].cursor());
  bad[1].set_after_sequence(all.events[0].sequence());
  bad[2].set_partition(server_->repository().EventPartitions());
  bad[3].set_partition(-1);
  for (const v1::StreamEventsRequest& request : bad) {
    EXPECT_EQ(Stream(request, 1).status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << request.ShortDebugString();
  }
}

TEST_P(EventStreamE2eTest, CursorOlderThanRetentionIsOutOfRange) {
  Lifecycle("contoso");
  const Read all = Stream(v1::StreamEventsRequest(), 3);
  ASSERT_THAT(all.events, SizeIs(3));
  // A year on, retention has removed everything.
  ASSERT_OK_AND_ASSIGN(int64_t purged,
                       server_->repository().PurgeOldEvents(absl::Now() + absl::Hours(365 * 24)));
  EXPECT_EQ(purged, 3);
  v1::StreamEventsRequest old;
  old.set_cursor(all.events[0].cursor());
  Read expired = Stream(old, 1);
  EXPECT_EQ(expired.status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(Details(expired.status).info.reason(), "CURSOR_EXPIRED");
  // A consumer that had read everything lost nothing: its stream just waits.
  v1::StreamEventsRequest current;
  current.set_cursor(all.events[2].cursor());
  Read waiting = Stream(current, 1, std::chrono::milliseconds(500));
  EXPECT_EQ(waiting.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStreamE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariaDb), BackendName);

// An operator's database.event_partitions and database.event_retention_hours reach the outbox:
// values other than the defaults, which an unwired setting would silently replace.
class ConfiguredOutboxE2eTest : public EventStreamE2eTest {
 protected:
  void Configure(config::ServerConfig& config) override {
    config.database.event_partitions = 3;
    config.database.event_retention = absl::ZeroDuration();  // keep events forever
  }
};

TEST_P(ConfiguredOutboxE2eTest, PartitionCountIsTheConfiguredOne) {
  EXPECT_EQ(server_->repository().EventPartitions(), 3);
  Lifecycle("contoso");
  v1::StreamEventsRequest last;
  last.set_partition(2);
  // The claim's events are in one of the three; the others have none yet to wait for.
  EXPECT_NE(Stream(last, 1, std::chrono::milliseconds(300)).status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::StreamEventsRequest beyond;
  beyond.set_partition(3);
  EXPECT_EQ(Stream(beyond, 1).status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(ConfiguredOutboxE2eTest, ZeroRetentionKeepsEventsForever) {
  Lifecycle("contoso");
  ASSERT_OK_AND_ASSIGN(int64_t purged, server_->repository().PurgeOldEvents(
                                           absl::Now() + absl::Hours(10 * 365 * 24)));
  EXPECT_EQ(purged, 0);
  EXPECT_THAT(Stream(v1::StreamEventsRequest(), 3).events, SizeIs(3));
}

INSTANTIATE_TEST_SUITE_P(Backends, ConfiguredOutboxE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariaDb), BackendName);

}  // namespace
}  // namespace claims::testing
