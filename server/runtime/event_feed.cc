#include "server/runtime/event_feed.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"

namespace claims::server {
namespace {

constexpr int kBatch = 500;
constexpr char kCursorVersion[] = "1";
constexpr char kEveryPartition[] = "*";

}  // namespace

std::string EncodeCursor(const StreamPosition& position) {
  return absl::WebSafeBase64Escape(absl::StrCat(
      kCursorVersion, ":",
      position.partition.has_value() ? absl::StrCat(*position.partition) : kEveryPartition, ":",
      position.after_sequence));
}

absl::StatusOr<StreamPosition> DecodeCursor(std::string_view cursor) {
  const absl::Status invalid = absl::InvalidArgumentError("cursor is not one this service made");
  std::string text;
  if (!absl::WebSafeBase64Unescape(absl::string_view(cursor.data(), cursor.size()), &text)) {
    return invalid;
  }
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  if (parts.size() != 3 || parts[0] != kCursorVersion) return invalid;
  StreamPosition position;
  if (parts[1] != kEveryPartition) {
    int partition = 0;
    if (!absl::SimpleAtoi(parts[1], &partition) || partition < 0) return invalid;
    position.partition = partition;
  }
  if (!absl::SimpleAtoi(parts[2], &position.after_sequence) || position.after_sequence < 0) {
    return invalid;
  }
  return position;
}

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

void EventFeed::Await(const void* owner, const StreamPosition& position, Delivery deliver) {
  {
    std::lock_guard lock(mu_);
    if (closed_.count(owner) > 0) return;
    waiters_.emplace(owner, Waiter{position, std::move(deliver)});
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
    // Per partition filter (nullopt: every partition), the earliest position waiting on it.
    std::map<std::optional<int>, int64_t> reads;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, absl::ToChronoMilliseconds(poll_interval_),
                     [this]()
                         ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || notified_; });
      if (stopping_) return;
      notified_ = false;
      for (const auto& [owner, waiter] : waiters_) {
        auto [it, added] = reads.emplace(waiter.position.partition, waiter.position.after_sequence);
        if (!added) it->second = std::min(it->second, waiter.position.after_sequence);
      }
    }
    for (const auto& [partition, from] : reads) Serve(partition, from);
  }
}

void EventFeed::Serve(std::optional<int> partition, int64_t from) {
  absl::StatusOr<storage::EventPage> page = repository_.ReadOutbox({from, partition, kBatch});
  if (!page.ok()) {
    spdlog::warn("reading the outbox failed: {}", page.status().ToString());
    return;
  }
  const std::vector<storage::OutboxEvent>& events = page->events;
  // Take the waiters the read satisfies; deliver outside the lock so a delivery may wait
  // again without deadlocking.
  std::vector<std::pair<const void*, Waiter>> ready;
  {
    std::lock_guard lock(mu_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      const StreamPosition& at = it->second.position;
      const bool expired = at.after_sequence > 0 && at.after_sequence < page->purged_through;
      // A waiter that came after the read began may be behind where it started: the read says
      // nothing about the events it needs, and the next round reads for it (Await notified).
      const bool covered = at.partition == partition && at.after_sequence >= from;
      if (covered &&
          (expired || (!events.empty() && events.back().event.sequence > at.after_sequence))) {
        delivering_.insert(it->first);
        ready.emplace_back(it->first, std::move(it->second));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
    // A full batch may leave more behind it.
    if (static_cast<int>(events.size()) == kBatch) notified_ = true;
  }
  for (auto& [owner, waiter] : ready) {
    const int64_t after = waiter.position.after_sequence;
    if (after > 0 && after < page->purged_through) {
      waiter.deliver(absl::OutOfRangeError(
          absl::StrCat("the outbox no longer holds the events after sequence ", after,
                       ": retention removed everything up to ", page->purged_through,
                       "; start again from the beginning (after_sequence 0) or a newer cursor")));
    } else {
      std::vector<storage::OutboxEvent> mine;
      for (const auto& event : events) {
        if (event.event.sequence > after) mine.push_back(event);
      }
      waiter.deliver(std::move(mine));
    }
    {
      std::lock_guard lock(mu_);
      delivering_.erase(owner);
    }
    delivered_.notify_all();
  }
}

}  // namespace claims::server
