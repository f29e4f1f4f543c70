#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "storage/repository.h"
#include "workflow/claim.h"

namespace claims::server {

// Reads the outbox once for every waiting event stream: one thread polls the repository (or is
// woken by a local commit) and hands each waiter the events after its cursor. Polling covers
// events committed by other replicas. Thread-safe.
class EventFeed {
 public:
  using Delivery = std::function<void(std::vector<workflow::Event> events)>;

  EventFeed(storage::Repository& repository, absl::Duration poll_interval);
  ~EventFeed();

  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  void Start();
  void Stop();

  // Calls `deliver` once, on the feed's thread, with the next events after `after_sequence`
  // (at least one). `owner` identifies the stream, for Close(). Ignored for closed owners.
  void Await(const void* owner, int64_t after_sequence, Delivery deliver);

  // Drops the owner's waits and refuses new ones; returns once no delivery to it is running.
  void Close(const void* owner);
  // Forgets a closed owner (its address may be reused).
  void Forget(const void* owner);

  // Events were committed: look now rather than at the next poll.
  void Notify();

 private:
  struct Waiter {
    int64_t after_sequence;
    Delivery deliver;
  };
  void Loop();

  storage::Repository& repository_;
  absl::Duration poll_interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable delivered_;
  std::multimap<const void*, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  std::set<const void*> closed_ ABSL_GUARDED_BY(mu_);
  std::set<const void*> delivering_ ABSL_GUARDED_BY(mu_);
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace claims::server
