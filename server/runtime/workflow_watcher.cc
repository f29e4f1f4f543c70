#include "server/runtime/workflow_watcher.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"

namespace claims::server {

WorkflowWatcher::WorkflowWatcher(std::string directory, absl::Duration interval,
                                 std::function<void()> on_change)
    : directory_(std::move(directory)), interval_(interval), on_change_(std::move(on_change)) {}

WorkflowWatcher::~WorkflowWatcher() { Stop(); }

void WorkflowWatcher::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || interval_ <= absl::ZeroDuration()) return;
  stopping_ = false;
  // Taken before Start returns, so a change made right after it is never part of the baseline.
  thread_ = std::thread([this, baseline = Fingerprint()]() mutable { Loop(std::move(baseline)); });
}

void WorkflowWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string WorkflowWatcher::Fingerprint() const {
  namespace fs = std::filesystem;
  std::vector<std::string> entries;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory_, ec)) {
    std::error_code entry_ec;
    // Follows symlinks, so a swapped ConfigMap link shows up as changed files.
    const auto size = fs::file_size(entry.path(), entry_ec);
    const auto time = fs::last_write_time(entry.path(), entry_ec);
    if (entry_ec) continue;
    entries.push_back(absl::StrCat(entry.path().filename().string(), ":", size, ":",
                                   time.time_since_epoch().count()));
  }
  std::sort(entries.begin(), entries.end());
  std::string fingerprint;
  for (const auto& e : entries) absl::StrAppend(&fingerprint, e, "\n");
  return fingerprint;
}

void WorkflowWatcher::Loop(std::string last) {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, absl::ToChronoMilliseconds(interval_),
                     [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; });
      if (stopping_) return;
    }
    std::string now = Fingerprint();
    if (now != last) {
      last = std::move(now);
      on_change_();
    }
  }
}

}  // namespace claims::server
