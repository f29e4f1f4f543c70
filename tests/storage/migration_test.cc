// A database an older build filled (schema version 1) migrates with its data: existing events
// keep their sequences and order and take their claim's partition, the history count is kept
// on the claim row, and what is written afterwards follows on from what was there.

#include <string>
#include <vector>

#include "storage/internal/codec.h"
#include "tests/storage/repository_fixture.h"

namespace claims::storage {
namespace {

using ::testing::SizeIs;

using MigrationTest = FreshDatabaseTest;

// One claim row as schema version 1 had it, with `history` entries and one event each.
std::vector<std::string> Version1Claim(const std::string& id, int history, int64_t first_event) {
  std::vector<std::string> sql = {absl::StrCat(
      "INSERT INTO claims (id, partner_id, mpn_id, customer_tenant_id, customer_name, "
      "customer_contact_name, customer_contact_email, customer_contact_phone, "
      "partner_contact_name, partner_contact_email, partner_contact_phone, products, activity, "
      "workflow_name, workflow_version, state, state_entered_at, sla_status, next_deadline, "
      "evidence_count, facts, version, create_time, update_time, created_by, write_token) "
      "VALUES ('",
      id,
      "', 'p1', 'mpn', 't', 'n', '', '', '', '', '', '', '[]', 'a', 'cpor-association', 1, "
      "'editing', 0, 'on_track', 9223372036854775807, 0, '",
      internal::EncodeFacts(workflow::ClaimFacts()), "', ", history, ", 0, 0, 'u', '", id, "')")};
  for (int i = 1; i <= history; ++i) {
    sql.push_back(absl::StrCat(
        "INSERT INTO history (claim_id, sequence, kind, name, actor_id, perspective, time, "
        "details) VALUES ('",
        id, "', ", i, ", 'action', 'step', 'u', 'partner', ", i, ", '",
        internal::EncodeHistoryDetails(workflow::HistoryEntry()), "')"));
    sql.push_back(absl::StrCat(
        "INSERT INTO events (sequence, type, claim_id, partner_id, time, attributes) VALUES (",
        first_event + i - 1, ", 'old_", i, "', '", id, "', 'p1', ", i, ", '{}')"));
  }
  return sql;
}

TEST_P(MigrationTest, DataFromVersionOneIsKeptAndWritingCarriesOn) {
  ASSERT_OK_AND_ASSIGN(int version, MigrateDatabaseForTest(options_, 1));
  ASSERT_EQ(version, 1);
  const std::string a = NewId(T0()), b = NewId(T0());
  std::vector<std::string> fill = Version1Claim(a, 3, 1);
  for (std::string& s : Version1Claim(b, 2, 4)) fill.push_back(std::move(s));
  fill.push_back("UPDATE event_counter SET last_sequence = 5 WHERE id = 1");
  ASSERT_OK(ExecuteSqlForTest(options_, fill));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Repository> repo, OpenSociRepository(options_));
  ASSERT_OK_AND_ASSIGN(EventPage page, repo->ReadOutbox({0, std::nullopt, 100}));
  ASSERT_THAT(page.events, SizeIs(5));
  for (int i = 0; i < 5; ++i) {
    const OutboxEvent& e = page.events[static_cast<size_t>(i)];
    EXPECT_EQ(e.event.sequence, i + 1);
    EXPECT_EQ(e.partition, 0) << "claims from before partitions are in partition 0";
  }
  EXPECT_EQ(page.events[0].event.type, "old_1");
  EXPECT_EQ(page.events[3].event.claim_id, b);
  ASSERT_OK_AND_ASSIGN(EventPage zero, repo->ReadOutbox({0, 0, 100}));
  EXPECT_THAT(zero.events, SizeIs(5));

  // A decision on an old claim appends history after its three entries and an event after the
  // five, in the claim's partition.
  ASSERT_OK_AND_ASSIGN(workflow::Claim claim, repo->GetClaim(a));
  workflow::Decision d = RepositoryTest::Transition(claim, "submit", "submitted", T0());
  workflow::Claim after = workflow::ApplyDecision(claim, d, T0());
  ASSERT_OK(repo->ApplyDecision(after, d, {}));
  ASSERT_OK_AND_ASSIGN(ClaimDetails details,
                       repo->GetClaimDetails(a, workflow::Perspective::kSystem));
  ASSERT_THAT(details.history, SizeIs(4));
  EXPECT_EQ(details.history[3].sequence, 4);
  EXPECT_EQ(details.history[3].name, "submit");
  ASSERT_OK_AND_ASSIGN(page, repo->ReadOutbox({5, std::nullopt, 100}));
  ASSERT_THAT(page.events, SizeIs(1));
  EXPECT_EQ(page.events[0].event.sequence, 6);
  EXPECT_EQ(page.events[0].partition, 0);

  // Migrating again changes nothing.
  ASSERT_OK_AND_ASSIGN(version, MigrateDatabase(options_));
  EXPECT_EQ(version, LatestSchemaVersion());
}

// Evidence stored whole in evidence.content before version 4 reads back the same from chunks.
TEST_P(MigrationTest, EvidenceContentFromVersionThreeMovesIntoChunks) {
  ASSERT_OK_AND_ASSIGN(int version, MigrateDatabaseForTest(options_, 3));
  ASSERT_EQ(version, 3);
  const std::string claim = NewId(T0()), evidence = NewId(T0());
  std::vector<std::string> fill = Version1Claim(claim, 1, 1);
  fill.push_back(absl::StrCat(
      "INSERT INTO evidence (claim_id, id, file_name, content_type, size_bytes, sha256, "
      "uploaded_by, upload_time, content) VALUES ('",
      claim, "', '", evidence, "', 'old.pdf', 'application/pdf', 12, '", std::string(64, 'b'),
      "', 'pat', 0, '%PDF-1.4 old')"));
  ASSERT_OK(ExecuteSqlForTest(options_, fill));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Repository> repo, OpenSociRepository(options_));
  ASSERT_OK_AND_ASSIGN(workflow::Evidence got, repo->GetEvidence(claim, evidence));
  EXPECT_EQ(got.content, "%PDF-1.4 old");
  EXPECT_EQ(got.size_bytes, 12);
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> chunk,
                       repo->ReadEvidenceChunk(claim, evidence, 0));
  EXPECT_EQ(chunk, "%PDF-1.4 old");
  ASSERT_OK_AND_ASSIGN(chunk, repo->ReadEvidenceChunk(claim, evidence, 1));
  EXPECT_EQ(chunk, std::nullopt);
}

// MySQL commits DDL statement by statement: a migration cut short is finished by the next run,
// whose ALTERs of columns that exist already count as done. (SQLite migrates in one
// transaction, so it is never cut short.)
TEST(MariaDbMigrationTest, InterruptedMigrationIsCompletedByTheNextRun) {
  absl::StatusOr<std::string> url = testing::FreshMariaDbUrl();
  ASSERT_TRUE(url.ok()) << url.status();
  StorageOptions options_;
  options_.url = *url;
  ASSERT_OK_AND_ASSIGN(int version, MigrateDatabaseForTest(options_, LatestSchemaVersion()));
  ASSERT_EQ(version, LatestSchemaVersion());
  // Forget that the last migration was recorded, as if the run stopped before recording it.
  ASSERT_OK(ExecuteSqlForTest(options_, {absl::StrCat("DELETE FROM schema_version WHERE version = ",
                                                      LatestSchemaVersion())}));
  ASSERT_OK_AND_ASSIGN(version, MigrateDatabase(options_));
  EXPECT_EQ(version, LatestSchemaVersion());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Repository> repo, OpenSociRepository(options_));
  RepositoryTest::NewClaim n = RepositoryTest::MakeClaim("p1", T0());
  ASSERT_OK(repo->CreateClaim(n.claim, n.decision, WriteOptions()));
  ASSERT_OK_AND_ASSIGN(std::vector<workflow::Event> events, repo->ReadEvents(0, 10));
  EXPECT_THAT(events, SizeIs(1));
}

INSTANTIATE_TEST_SUITE_P(Backends, MigrationTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         BackendName);

}  // namespace
}  // namespace claims::storage
