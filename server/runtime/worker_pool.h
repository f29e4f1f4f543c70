#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"

namespace claims::server {

// Fixed threads for handler work that blocks (database calls), so gRPC's callback threads
// never wait on I/O. Tasks run in submission order. The queue is bounded: a call that would
// wait behind `max_queued` others is refused at once, so an overload shows as fast refusals a
// client can back off from rather than as latency without bound. The destructor drains the
// queue. Thread-safe.
//
// A task goes to the thread that went idle last: below full load the same few threads take
// every call, their stacks and caches still warm, instead of the calls rotating over every
// thread as a shared condition variable would have it.
class WorkerPool {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  WorkerPool(int threads, int max_queued);
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` (moving from it); false, leaving `task` as it was, when max_queued tasks
  // already wait.
  [[nodiscard]] bool TrySubmit(Task&& task);

  // Tasks waiting for a thread (not those running).
  int queued() const;
  // Threads waiting for a task.
  int idle() const;
  // Tasks refused by TrySubmit so far.
  int64_t rejected() const;
  int max_queued() const { return max_queued_; }

 private:
  struct Worker {
    std::condition_variable wake;
    bool woken = false;  // guarded by the pool's mu_: taken off idle_ for a task
  };

  void Work(Worker& self);

  const int max_queued_;
  mutable std::mutex mu_;
  std::deque<Task> tasks_ ABSL_GUARDED_BY(mu_);
  // Waiting threads, the last to go idle at the back.
  std::vector<Worker*> idle_ ABSL_GUARDED_BY(mu_);
  int64_t rejected_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace claims::server
