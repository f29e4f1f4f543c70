#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/repository.h"

namespace claims::server {

// Where an event stream stands: after which outbox sequence, over every partition or one.
struct StreamPosition {
  std::optional<int> partition;  // nullopt: every partition
  int64_t after_sequence = 0;
};

// A StreamEvents cursor: an opaque, versioned token for a position, so the way positions are
// kept may change without breaking consumers that stored one. Version 1 holds the partition
// filter and the outbox sequence (which is one order over every partition).
std::string EncodeCursor(const StreamPosition& position);
// INVALID_ARGUMENT when `cursor` is not one EncodeCursor made.
absl::StatusOr<StreamPosition> DecodeCursor(std::string_view cursor);

// Reads the outbox once for every waiting event stream: one thread polls the repository (or is
// woken by a local commit) and hands each waiter the events after its position. Streams of one
// partition share one read per partition; streams of every partition share another. Polling
// covers events committed by other replicas. Thread-safe.
class EventFeed {
 public:
  // The next events after the waiter's position (at least one), or why the stream cannot go
  // on: OUT_OF_RANGE when retention removed events after its position.
  using Delivery = std::function<void(absl::StatusOr<std::vector<storage::OutboxEvent>> events)>;

  EventFeed(storage::Repository& repository, absl::Duration poll_interval);
  ~EventFeed();

  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  void Start();
  void Stop();

  // Calls `deliver` once, on the feed's thread, with the next events after `position`.
  // `owner` identifies the stream, for Close(). Ignored for closed owners.
  void Await(const void* owner, const StreamPosition& position, Delivery deliver);

  // Drops the owner's waits and refuses new ones; returns once no delivery to it is running.
  void Close(const void* owner);
  // Forgets a closed owner (its address may be reused).
  void Forget(const void* owner);

  // Events were committed: look now rather than at the next poll.
  void Notify();

  // The partitions a stream may ask for: [0, partitions()).
  int partitions() const { return repository_.EventPartitions(); }

 private:
  struct Waiter {
    StreamPosition position;
    Delivery deliver;
  };
  void Loop();
  // Reads for the waiters of one partition filter and delivers to those it satisfies.
  void Serve(std::optional<int> partition, int64_t from);

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
