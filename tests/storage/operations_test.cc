// Opening, migrating, reconnecting and query plans; ids and storage URLs.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/internal/url.h"
#include "tests/storage/repository_fixture.h"

namespace claims::storage {
namespace {

using ::claims::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(IdsTest, NewIdsAreUlidsThatSortByCreation) {
  std::string previous;
  absl::Time now = T0();
  for (int i = 0; i < 2000; ++i) {
    // The same millisecond many times, then the clock going backwards.
    absl::Time t = i < 1000 ? now : now - absl::Seconds(1);
    std::string id = NewId(t);
    ASSERT_TRUE(IsValidId(id)) << id;
    ASSERT_GT(id, previous);
    previous = id;
  }
  EXPECT_EQ(NewId(absl::FromUnixMillis(0)).size(), 26u);
  EXPECT_FALSE(IsValidId("01ARZ3NDEKTSV4RRFFQ69G5FAI")) << "I is not Crockford base32";
  EXPECT_FALSE(IsValidId("01ARZ3NDEKTSV4RRFFQ69G5FA"));
  EXPECT_TRUE(IsValidId("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
}

TEST(IdsTest, IdsFromManyThreadsAreUnique) {
  constexpr int kThreads = 4, kEach = 5000;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) ids[static_cast<size_t>(t)].push_back(NewId(absl::Now()));
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
}

TEST(StorageUrlTest, ParsesBothBackends) {
  ASSERT_OK_AND_ASSIGN(internal::ConnectionTarget sqlite,
                       internal::ParseStorageUrl("sqlite:/var/lib/claims db/claims.db", true));
  EXPECT_EQ(sqlite.backend, internal::Backend::kSqlite);
  EXPECT_EQ(sqlite.soci_connect_string, "db=\"/var/lib/claims db/claims.db\"");
  ASSERT_OK_AND_ASSIGN(internal::ConnectionTarget memory,
                       internal::ParseStorageUrl("sqlite::memory:", true));
  EXPECT_TRUE(memory.in_memory);

  ASSERT_OK_AND_ASSIGN(
      internal::ConnectionTarget mysql,
      internal::ParseStorageUrl("mysql://app%40x:p%20w%3A@db.example:3307/claims_1", true));
  EXPECT_EQ(mysql.backend, internal::Backend::kMySql);
  EXPECT_EQ(mysql.database, "claims_1");
  EXPECT_THAT(mysql.soci_connect_string, HasSubstr("user='app@x'"));
  EXPECT_THAT(mysql.soci_connect_string, HasSubstr("password='p w:'"));
  EXPECT_THAT(mysql.soci_connect_string, HasSubstr("host='db.example' port=3307"));
  EXPECT_THAT(mysql.soci_connect_string, HasSubstr("dbname=claims_1"));
  EXPECT_THAT(mysql.soci_connect_string, Not(HasSubstr("reconnect")));
}

TEST(StorageUrlTest, RejectsMalformedUrls) {
  for (const char* url : {"postgres://u:p@h/db", "sqlite:", "mysql://h/db",
                          "mysql://u:p@h:99999/db", "mysql://u:p@h/db;drop", "mysql://u:p%zz@h/db",
                          "mysql://u:p%2@h/db", "mysql://u:it's@h/db", "mysql://u:p@h/"}) {
    SCOPED_TRACE(url);
    EXPECT_THAT(internal::ParseStorageUrl(url, true), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_OK(internal::ParseStorageUrl("mysql://u:p@h/", false));
  absl::Status bad = internal::ParseStorageUrl("mysql://u:secret'@h/db", true).status();
  EXPECT_THAT(std::string(bad.message()), Not(HasSubstr("secret")));
}

// Databases of their own, not opened by the fixture: for migrations and plans.
using DatabaseTest = FreshDatabaseTest;

TEST_P(DatabaseTest, MigrationsAreIdempotent) {
  ASSERT_OK_AND_ASSIGN(int version, MigrateDatabase(options_));
  EXPECT_EQ(version, LatestSchemaVersion());
  ASSERT_OK_AND_ASSIGN(version, MigrateDatabase(options_));
  EXPECT_EQ(version, LatestSchemaVersion());
  options_.migrate = false;
  EXPECT_OK(OpenSociRepository(options_).status());
}

TEST_P(DatabaseTest, UnmigratedDatabaseIsRefusedWithoutMigrate) {
  options_.migrate = false;
  EXPECT_THAT(OpenSociRepository(options_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("migrate")));
}

TEST_P(DatabaseTest, ConcurrentStartsMigrateOnce) {
  constexpr int kStarts = 4;
  std::vector<absl::Status> results(kStarts);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStarts; ++i) {
    threads.emplace_back(
        [&, i] { results[static_cast<size_t>(i)] = OpenSociRepository(options_).status(); });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_OK(s);
  ASSERT_OK_AND_ASSIGN(int version, MigrateDatabase(options_));
  EXPECT_EQ(version, LatestSchemaVersion());
}

TEST_P(DatabaseTest, ListAndDueTimerQueriesUseTheirIndexes) {
  {
    // Enough rows that reading the first LIMIT rows of an index beats scanning the table, with
    // few timers due: the shape of a production table.
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Repository> repo, OpenSociRepository(options_));
    constexpr int kClaims = 1200, kWriters = 4;
    const absl::Time now = absl::Now();
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        for (int i = w; i < kClaims; i += kWriters) {
          RepositoryTest::NewClaim n =
              RepositoryTest::MakeClaim(absl::StrCat("partner-", i % 30), T0() + absl::Seconds(i),
                                        i % 4 ? "editing" : "submitted");
          n.claim.timers[0].due_at = now + absl::Hours(i < 10 ? -1 : i);
          n.claim.timers[0].warn_at = absl::InfiniteFuture();
          n.decision.timers = n.claim.timers;
          EXPECT_OK(repo->CreateClaim(n.claim, n.decision, WriteOptions()));
        }
      });
    }
    for (std::thread& t : writers) t.join();
  }
  ASSERT_OK_AND_ASSIGN(std::vector<QueryPlan> plans, ExplainQueries(options_));
  std::map<std::string, QueryPlan> by_name;
  for (const QueryPlan& p : plans) {
    // Printed for docs/storage.md.
    std::cout << p.name << ":\n  " << p.sql << "\n  " << absl::StrJoin(p.plan, "\n  ") << "\n";
    by_name[p.name] = p;
  }
  EXPECT_THAT(by_name["list_by_partner"].indexes, Contains("claims_by_partner"));
  EXPECT_THAT(by_name["list_by_partner_next_page"].indexes, Contains("claims_by_partner"));
  EXPECT_THAT(by_name["list_by_state"].indexes, Contains("claims_by_state"));
  EXPECT_THAT(by_name["list_breached"].indexes, Contains("claims_by_sla"));
  EXPECT_THAT(by_name["list_by_partner_state"].indexes, Contains("claims_by_partner_state"));
  EXPECT_THAT(by_name["list_partner_breached"].indexes, Contains("claims_by_partner_sla"));
  EXPECT_THAT(by_name["list_deadline_before"].indexes, Contains("claims_by_deadline"));
  EXPECT_THAT(by_name["list_created_window"].indexes, Contains("claims_by_create"));
  EXPECT_THAT(by_name["list_all"].indexes, Contains("claims_by_create"));
  EXPECT_THAT(by_name["workflow_claims"].indexes, Contains("claims_by_workflow"));
  EXPECT_THAT(by_name["count_workflow_claims"].indexes, Contains("claims_by_workflow"));
  // Migration and the deadline recompute page through a version's claims from the index alone.
  for (const char* name : {"workflow_claims", "count_workflow_claims"}) {
    EXPECT_THAT(
        absl::StrJoin(by_name[name].plan, "\n"),
        HasSubstr(GetParam() == TestBackend::kMariaDb ? "key=claims_by_workflow"
                                                      : "COVERING INDEX claims_by_workflow"))
        << name;
    if (GetParam() == TestBackend::kMariaDb) {
      EXPECT_THAT(absl::StrJoin(by_name[name].plan, "\n"), HasSubstr("index-only")) << name;
    }
  }
  EXPECT_THAT(by_name["due_timers"].indexes, Contains("timers_by_next_fire"));
  EXPECT_THAT(by_name["history_page"].indexes, Contains("PRIMARY"));
  EXPECT_THAT(by_name["events_after"].indexes, Contains("events_by_sequence"));
  EXPECT_THAT(by_name["partition_events_after"].indexes, Contains("events_by_partition"));
  for (const char* name :
       {"list_by_partner", "list_by_state", "list_by_partner_state", "list_partner_breached",
        "list_created_window", "list_all", "workflow_claims", "due_timers", "history_page",
        "events_after", "partition_events_after"}) {
    EXPECT_THAT(by_name[name].plan, Not(Contains("filesort"))) << name;
    EXPECT_THAT(absl::StrJoin(by_name[name].plan, "\n"), Not(HasSubstr("TEMP B-TREE")))
        << name << ": the order comes from the index";
  }
  if (GetParam() == TestBackend::kMariaDb) {
    // MIN over the index is read from its first entry.
    EXPECT_THAT(by_name["next_timer_due"].plan, Contains("Select tables optimized away"));
  } else {
    EXPECT_THAT(by_name["next_timer_due"].indexes, Contains("timers_by_next_fire"));
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kMariaDb),
                         BackendName);

TEST(SqliteTest, InMemoryDatabaseWorks) {
  StorageOptions options;
  options.url = "sqlite::memory:";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Repository> repo, OpenSociRepository(options));
  RepositoryTest::NewClaim n = RepositoryTest::MakeClaim("p1", T0());
  ASSERT_OK(repo->CreateClaim(n.claim, n.decision, WriteOptions()));
  EXPECT_OK(repo->GetClaim(n.claim.id).status());
}

// Commits never checkpoint: the write-ahead log reaches the database file only through the
// background thread, so the file grows while the writers stay below SQLite's automatic
// threshold (1000 pages) that would otherwise have copied it inside some COMMIT.
TEST(SqliteTest, CheckpointsRunInTheBackground) {
  StorageOptions options;
  options.url = testing::FreshSqliteUrl();
  const std::string path = testing::SqliteFileOf(options.url);
  for (absl::Duration interval : {absl::ZeroDuration(), absl::Milliseconds(20)}) {
    testing::RemoveSqliteDatabase(options.url);
    options.sqlite_checkpoint_interval = interval;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Repository> repo, OpenSociRepository(options));
    // Let the migrations' own pages settle into the file first.
    absl::SleepFor(absl::Milliseconds(100));
    const auto before = std::filesystem::file_size(path);
    for (int i = 0; i < 20; ++i) {
      RepositoryTest::NewClaim n = RepositoryTest::MakeClaim("p1", T0() + absl::Seconds(i));
      ASSERT_OK(repo->CreateClaim(n.claim, n.decision, WriteOptions()));
    }
    bool grew = false;
    for (int poll = 0; poll < 100 && !grew; ++poll) {
      absl::SleepFor(absl::Milliseconds(20));
      grew = std::filesystem::file_size(path) > before;
    }
    // 20 claims write far fewer than 1000 log frames: SQLite alone leaves them in the log.
    EXPECT_EQ(grew, interval > absl::ZeroDuration())
        << "interval " << interval << ": database file " << before << " -> "
        << std::filesystem::file_size(path) << " bytes";
  }
  testing::RemoveSqliteDatabase(options.url);
}

// Under steady writes a PASSIVE checkpoint never finds the log fully copied, and SQLite starts
// the log over only when a writer begins on a fully copied one: without the checkpointer's
// second pass with writers held off, the -wal file grew by every frame written (750 MB in the
// storage benchmark's 10,000 calls).
TEST(SqliteTest, LogStaysBoundedUnderSteadyWrites) {
  StorageOptions options;
  options.url = testing::FreshSqliteUrl();
  options.sqlite_checkpoint_interval = absl::Milliseconds(20);
  options.sqlite_wal_restart_bytes = 512 * 1024;
  const std::string log = testing::SqliteFileOf(options.url) + "-wal";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Repository> repo, OpenSociRepository(options));
  // About 66,000 log frames (270 MB) in all: what an unbounded log holds at the end.
  constexpr int kClaims = 3000;
  for (int i = 0; i < kClaims; ++i) {
    RepositoryTest::NewClaim n = RepositoryTest::MakeClaim("p1", T0() + absl::Seconds(i));
    ASSERT_OK(repo->CreateClaim(n.claim, n.decision, WriteOptions()));
  }
  // The file keeps the largest size the log reached: when bounded, what the writer commits
  // between two checkpoints (10 to 24 MB seen here), whatever the number of claims.
  const auto largest_log = std::filesystem::file_size(log);
  EXPECT_LT(largest_log, 64 * 1024 * 1024) << "log " << largest_log << " bytes";
  repo.reset();
  testing::RemoveSqliteDatabase(options.url);
}

TEST(SqliteTest, WalRestartBoundMustBePositive) {
  StorageOptions options;
  options.url = testing::FreshSqliteUrl();
  options.sqlite_wal_restart_bytes = 0;
  EXPECT_THAT(OpenSociRepository(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MariaDbTest, UnreachableServerIsUnavailable) {
  StorageOptions options;
  // Port 1 on loopback: nothing listens there.
  options.url = "mysql://claims:claims@127.0.0.1:1/claims";
  EXPECT_THAT(OpenSociRepository(options), StatusIs(absl::StatusCode::kUnavailable));
}

// A MariaDB of this test's own (tests/testing/mariadb.sh), so that restarting it drops no
// connection of the other storage and end-to-end tests that ctest runs in parallel.
class PrivateMariaDb {
 public:
  PrivateMariaDb()
      : dir_((std::filesystem::temp_directory_path() /
              absl::StrCat("claims-private-mariadb-", ::getpid()))
                 .string()) {}
  ~PrivateMariaDb() {
    Run("stop");
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  bool Start() { return Run("start"); }
  bool Stop() { return Run("stop"); }
  // After Stop: the same port and data again.
  bool Resume() { return Run("resume"); }
  // Same port, same data, every open connection dropped.
  bool Restart() { return Run("restart"); }
  absl::StatusOr<std::string> Url() const {
    std::ifstream in(dir_ + "/url");
    std::string url;
    if (!std::getline(in, url)) return absl::NotFoundError("no url file in " + dir_);
    return url + "claims_reconnect";
  }

 private:
  bool Run(const char* command) const {
    const std::string line =
        absl::StrCat("'", testing::TestMariaDbScript(), "' ", command, " '", dir_, "' >/dev/null");
    return std::system(line.c_str()) == 0;
  }
  std::string dir_;
};

TEST(MariaDbTest, RepositoryReconnectsAfterTheServerRestarts) {
  PrivateMariaDb server;
  ASSERT_TRUE(server.Start());
  ASSERT_OK_AND_ASSIGN(std::string url, server.Url());
  StorageOptions options;
  options.url = url;
  options.pool_size = 3;
  ASSERT_OK(CreateDatabaseIfMissing(options));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Repository> repo, OpenSociRepository(options));
  RepositoryTest::NewClaim n = RepositoryTest::MakeClaim("p1", T0());
  ASSERT_OK(repo->CreateClaim(n.claim, n.decision, WriteOptions()));

  ASSERT_TRUE(server.Restart());

  // Every pooled connection is now dead; each is replaced on first use and the call retried.
  for (int i = 0; i < 4; ++i) ASSERT_OK(repo->GetClaim(n.claim.id).status());
  absl::Time now = T0() + absl::Minutes(1);
  workflow::Decision d = RepositoryTest::Transition(n.claim, "submit", "submitted", now);
  WriteOptions write;
  write.idempotency = IdempotencyRecord{"s", "r", "h", "resp", now + absl::Hours(1)};
  ASSERT_OK(repo->ApplyDecision(workflow::ApplyDecision(n.claim, d, now), d, write));
  ASSERT_OK_AND_ASSIGN(workflow::Claim got, repo->GetClaim(n.claim.id));
  EXPECT_EQ(got.state, "submitted");
  EXPECT_EQ(got.version, 2);
  EXPECT_GE(repo->Stats().retries_connection_lost, 1);
}

TEST(MariaDbTest, PingFollowsTheServerDownAndBack) {
  PrivateMariaDb server;
  ASSERT_TRUE(server.Start());
  ASSERT_OK_AND_ASSIGN(std::string url, server.Url());
  StorageOptions options;
  options.url = url;
  options.pool_size = 2;
  ASSERT_OK(CreateDatabaseIfMissing(options));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Repository> repo, OpenSociRepository(options));
  ASSERT_OK(repo->Ping(absl::Seconds(2)));

  ASSERT_TRUE(server.Stop());
  const absl::Time start = absl::Now();
  EXPECT_THAT(repo->Ping(absl::Seconds(2)), StatusIs(absl::StatusCode::kUnavailable));
  // A refused connection is answered at once, well inside a health check's budget.
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));

  ASSERT_TRUE(server.Resume());
  EXPECT_OK(repo->Ping(absl::Seconds(2)));
}

}  // namespace
}  // namespace claims::storage
