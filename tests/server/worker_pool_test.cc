#include "server/runtime/worker_pool.h"

#include <atomic>
#include <memory>

#include "absl/synchronization/notification.h"
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

}  // namespace
}  // namespace claims::server
