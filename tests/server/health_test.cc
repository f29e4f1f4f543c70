#include "server/runtime/health.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace claims::server {
namespace {

// A database whose answer the test decides: up, down, or hanging until released.
class ScriptedDatabase {
 public:
  enum class Mode { kUp, kDown, kHang };

  void Set(Mode mode) {
    std::lock_guard lock(mu_);
    mode_ = mode;
    if (mode != Mode::kHang) released_.notify_all();
  }
  absl::Status Ping(absl::Duration) {
    ++pings_;
    std::unique_lock lock(mu_);
    if (mode_ == Mode::kHang) {
      ++hanging_;
      released_.wait(lock, [this] { return mode_ != Mode::kHang; });
      --hanging_;
    }
    return mode_ == Mode::kUp ? absl::OkStatus() : absl::UnavailableError("refused");
  }
  int pings() const { return pings_; }
  int hanging() {
    std::lock_guard lock(mu_);
    return hanging_;
  }

 private:
  std::mutex mu_;
  std::condition_variable released_;
  Mode mode_ = Mode::kUp;
  int hanging_ = 0;
  std::atomic<int> pings_{0};
};

// Verdicts as the listener saw them.
class Verdicts {
 public:
  void Add(bool up) {
    std::lock_guard lock(mu_);
    seen_.push_back(up);
  }
  std::vector<bool> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<bool> seen_;
};

// Polls `done` every 10 ms for up to `limit`; how long it took, or nullopt.
template <typename Condition>
std::optional<absl::Duration> Within(absl::Duration limit, Condition done) {
  const absl::Time start = absl::Now();
  while (absl::Now() - start < limit) {
    if (done()) return absl::Now() - start;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

DatabaseHealth::Options Fast() {
  DatabaseHealth::Options options;
  options.interval = absl::Milliseconds(50);
  options.timeout = absl::Milliseconds(200);
  return options;
}

TEST(DatabaseHealthTest, TheFirstVerdictIsKnownWhenStartReturns) {
  ScriptedDatabase db;
  Verdicts verdicts;
  DatabaseHealth health([&](absl::Duration t) { return db.Ping(t); }, Fast(),
                        [&](bool up, const absl::Status&) { verdicts.Add(up); });
  health.Start();
  EXPECT_TRUE(health.up());
  EXPECT_EQ(verdicts.seen(), std::vector<bool>{true});
  health.Stop();
}

TEST(DatabaseHealthTest, FollowsTheDatabaseDownAndBackReportingOnlyChanges) {
  ScriptedDatabase db;
  Verdicts verdicts;
  DatabaseHealth health([&](absl::Duration t) { return db.Ping(t); }, Fast(),
                        [&](bool up, const absl::Status&) { verdicts.Add(up); });
  health.Start();
  db.Set(ScriptedDatabase::Mode::kDown);
  EXPECT_TRUE(Within(absl::Seconds(5), [&] { return !health.up(); }));
  const int pings = db.pings();
  EXPECT_TRUE(Within(absl::Seconds(5), [&] { return db.pings() > pings + 3; }));
  db.Set(ScriptedDatabase::Mode::kUp);
  EXPECT_TRUE(Within(absl::Seconds(5), [&] { return health.up(); }));
  health.Stop();
  EXPECT_EQ(verdicts.seen(), (std::vector<bool>{true, false, true}));
}

// A ping that never answers must not freeze the check: down after the timeout, no second ping
// piled on the hanging one, and up again once the database answers.
TEST(DatabaseHealthTest, AHangingPingIsDownWithinTheTimeoutAndIsNotJoinedByOthers) {
  ScriptedDatabase db;
  Verdicts verdicts;
  DatabaseHealth health([&](absl::Duration t) { return db.Ping(t); }, Fast(),
                        [&](bool up, const absl::Status&) { verdicts.Add(up); });
  health.Start();
  db.Set(ScriptedDatabase::Mode::kHang);
  const std::optional<absl::Duration> down = Within(absl::Seconds(5), [&] { return !health.up(); });
  ASSERT_TRUE(down.has_value());
  EXPECT_LT(*down, absl::Milliseconds(1500));  // the next interval at most, then the timeout
  // Rounds go on (several intervals) without a second ping piled on the hanging one.
  const int pings = db.pings();
  EXPECT_FALSE(
      Within(absl::Milliseconds(600), [&] { return db.hanging() > 1 || db.pings() > pings; }));
  EXPECT_FALSE(health.up());
  db.Set(ScriptedDatabase::Mode::kUp);
  EXPECT_TRUE(Within(absl::Seconds(5), [&] { return health.up(); }));
  health.Stop();
  EXPECT_EQ(verdicts.seen(), (std::vector<bool>{true, false, true}));
}

TEST(DatabaseHealthTest, StopWaitsForAHangingPing) {
  ScriptedDatabase db;
  DatabaseHealth health([&](absl::Duration t) { return db.Ping(t); }, Fast(),
                        [](bool, const absl::Status&) {});
  health.Start();
  db.Set(ScriptedDatabase::Mode::kHang);
  ASSERT_TRUE(Within(absl::Seconds(5), [&] { return db.hanging() == 1; }));
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    db.Set(ScriptedDatabase::Mode::kDown);
  });
  health.Stop();  // returns only once the ping has: nothing outlives the repository
  EXPECT_EQ(db.hanging(), 0);
  release.join();
}

TEST(DatabaseHealthTest, TheTimerLagHookRunsAfterSuccessfulPingsOnly) {
  ScriptedDatabase db;
  std::atomic<int> sampled{0};
  DatabaseHealth::Options options = Fast();
  options.after_ping = [&] { ++sampled; };
  DatabaseHealth health([&](absl::Duration t) { return db.Ping(t); }, options,
                        [](bool, const absl::Status&) {});
  health.Start();
  EXPECT_TRUE(Within(absl::Seconds(5), [&] { return sampled.load() >= 2; }));
  db.Set(ScriptedDatabase::Mode::kDown);
  ASSERT_TRUE(Within(absl::Seconds(5), [&] { return !health.up(); }));
  const int before = sampled.load();
  const int pings = db.pings();
  ASSERT_TRUE(Within(absl::Seconds(5), [&] { return db.pings() > pings + 2; }));
  EXPECT_EQ(sampled.load(), before);
  health.Stop();
}

}  // namespace
}  // namespace claims::server
