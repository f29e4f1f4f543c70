#include "server/event_feed.h"

#include <algorithm>
#include <limits>

#include "spdlog/spdlog.h"

namespace claims::server {
namespace {

constexpr int kBatch = 500;

}  // namespace

EventFeed::EventFeed(storage::Repository& repository, absl::Duration poll_interval)
    : repository_(repository), poll_interval_(poll_interval) {}

EventFeed::~EventFeed() { Stop(); }

void EventFeed::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void EventFeed::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventFeed::Await(const void* owner, int64_t after_sequence, Delivery deliver) {
  {
    std::lock_guard lock(mu_);
    if (closed_.count(owner) > 0) return;
    waiters_.emplace(owner, Waiter{after_sequence, std::move(deliver)});
    notified_ = true;  // a new waiter may be behind: read for it now
  }
  wake_.notify_all();
}

void EventFeed::Close(const void* owner) {
  std::unique_lock lock(mu_);
  closed_.insert(owner);
  waiters_.erase(owner);
  delivered_.wait(
      lock, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return delivering_.count(owner) == 0; });
}

void EventFeed::Forget(const void* owner) {
  std::lock_guard lock(mu_);
  closed_.erase(owner);
}

void EventFeed::Notify() {
  {
    std::lock_guard lock(mu_);
    // No stream waits: one that starts to (Await, or again after a delivery) reads the outbox
    // then, so waking the thread for nobody would only cost every decision a context switch.
    if (waiters_.empty()) return;
    notified_ = true;
  }
  wake_.notify_all();
}

void EventFeed::Loop() {
  for (;;) {
    int64_t from = std::numeric_limits<int64_t>::max();
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, absl::ToChronoMilliseconds(poll_interval_),
                     [this]()
                         ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || notified_; });
      if (stopping_) return;
      notified_ = false;
      for (const auto& [owner, waiter] : waiters_) from = std::min(from, waiter.after_sequence);
    }
    if (from == std::numeric_limits<int64_t>::max()) continue;

    absl::StatusOr<std::vector<workflow::Event>> events = repository_.ReadEvents(from, kBatch);
    if (!events.ok()) {
      spdlog::warn("reading the outbox failed: {}", events.status().ToString());
      continue;
    }
    if (events->empty()) continue;

    // Take the waiters the batch satisfies; deliver outside the lock so a delivery may wait
    // again without deadlocking.
    std::vector<std::pair<const void*, Waiter>> ready;
    {
      std::lock_guard lock(mu_);
      for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (events->back().sequence > it->second.after_sequence) {
          delivering_.insert(it->first);
          ready.emplace_back(it->first, std::move(it->second));
          it = waiters_.erase(it);
        } else {
          ++it;
        }
      }
      // A full batch may leave more behind it.
      if (static_cast<int>(events->size()) == kBatch) notified_ = true;
    }
    for (auto& [owner, waiter] : ready) {
      std::vector<workflow::Event> mine;
      for (const auto& event : *events) {
        if (event.sequence > waiter.after_sequence) mine.push_back(event);
      }
      waiter.deliver(std::move(mine));
      {
        std::lock_guard lock(mu_);
        delivering_.erase(owner);
      }
      delivered_.notify_all();
    }
  }
}

}  // namespace claims::server
