#include "server/runtime/worker_pool.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace claims::server {
namespace {

TEST(WorkerPoolTest, RunsTasksAndRefusesPastTheQueueBound) {
  WorkerPool pool(1, 2);
  absl::Notification started;
  absl::Notification release;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.Notify();
    release.WaitForNotification();
    ++ran;
  }));
  started.WaitForNotification();  // the one thread is busy; the queue is empty
  EXPECT_EQ(pool.queued(), 0);
  ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));
  ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_EQ(pool.queued(), 2);

  // Refused: the task is left to the caller, with what it owns.
  auto owned = std::make_unique<int>(7);
  WorkerPool::Task refused = [&, owned = std::move(owned)] { ran += *owned; };
  EXPECT_FALSE(pool.TrySubmit(std::move(refused)));
  EXPECT_EQ(pool.rejected(), 1);
  std::move(refused)();
  EXPECT_EQ(ran.load(), 7);

  release.Notify();
}

TEST(WorkerPoolTest, TheDestructorDrainsTheQueue) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2, 100);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));
  }
  EXPECT_EQ(ran.load(), 50);
}

// Waits until `threads` workers wait for a task (they all start idle, and go back after each).
void AwaitIdle(const WorkerPool& pool, int threads) {
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (pool.idle() < threads && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(pool.idle(), threads);
}

TEST(WorkerPoolTest, OneCallAtATimeGoesToTheThreadThatRanTheLast) {
  WorkerPool pool(4, 10);
  std::vector<std::thread::id> ran_on;
  for (int i = 0; i < 20; ++i) {
    AwaitIdle(pool, 4);
    absl::Notification done;
    ASSERT_TRUE(pool.TrySubmit([&] {
      ran_on.push_back(std::this_thread::get_id());
      done.Notify();
    }));
    done.WaitForNotification();
  }
  // A shared condition variable would hand these to the longest-waiting thread in turn.
  EXPECT_EQ(std::set<std::thread::id>(ran_on.begin(), ran_on.end()).size(), 1u);
}

TEST(WorkerPoolTest, ConcurrentCallsUseEveryThread) {
  WorkerPool pool(4, 10);
  AwaitIdle(pool, 4);
  std::mutex mu;
  std::set<std::thread::id> threads;
  std::atomic<int> inside{0};
  absl::Notification all_inside;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(pool.TrySubmit([&] {
      {
        std::lock_guard lock(mu);
        threads.insert(std::this_thread::get_id());
      }
      // Each task holds its thread until all four run at once: only four threads can do that.
      if (++inside == 4) all_inside.Notify();
      all_inside.WaitForNotification();
    }));
  }
  EXPECT_TRUE(all_inside.WaitForNotificationWithTimeout(absl::Seconds(20)));
  AwaitIdle(pool, 4);
  EXPECT_EQ(threads.size(), 4u);
  EXPECT_EQ(pool.queued(), 0);
}

}  // namespace
}  // namespace claims::server
