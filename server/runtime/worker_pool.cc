#include "server/runtime/worker_pool.h"

namespace claims::server {

WorkerPool::WorkerPool(int threads, int max_queued) : max_queued_(max_queued) {
  workers_.reserve(static_cast<std::size_t>(threads));
  threads_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    threads_.emplace_back([this, worker = workers_.back().get()] { Work(*worker); });
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  for (auto& worker : workers_) worker->wake.notify_one();
  for (auto& thread : threads_) thread.join();
}

bool WorkerPool::TrySubmit(Task&& task) {
  Worker* wake = nullptr;
  {
    std::lock_guard lock(mu_);
    if (static_cast<int>(tasks_.size()) >= max_queued_) {
      ++rejected_;
      return false;
    }
    tasks_.push_back(std::move(task));
    if (!idle_.empty()) {
      wake = idle_.back();
      idle_.pop_back();
      wake->woken = true;
    }
  }
  if (wake != nullptr) wake->wake.notify_one();
  return true;
}

int WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(tasks_.size());
}

int WorkerPool::idle() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(idle_.size());
}

int64_t WorkerPool::rejected() const {
  std::lock_guard lock(mu_);
  return rejected_;
}

void WorkerPool::Work(Worker& self) {
  std::unique_lock lock(mu_);
  for (;;) {
    // Woken for a task another thread took first, it goes back to the idle stack's top.
    while (tasks_.empty() && !stopping_) {
      self.woken = false;
      idle_.push_back(&self);
      self.wake.wait(lock,
                     [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return self.woken || stopping_; });
    }
    if (tasks_.empty()) return;  // stopping and drained
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    std::move(task)();
    lock.lock();
  }
}

}  // namespace claims::server
