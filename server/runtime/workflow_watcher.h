#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace claims::server {

// Notices when the files of a directory change (added, removed, rewritten) by comparing names,
// sizes and modification times every `interval`, and then calls `on_change`. Polling, not
// inotify, so it also works on the volumes Kubernetes mounts ConfigMaps on, which swap a
// symlink rather than write files.
class WorkflowWatcher {
 public:
  WorkflowWatcher(std::string directory, absl::Duration interval, std::function<void()> on_change);
  ~WorkflowWatcher();

  WorkflowWatcher(const WorkflowWatcher&) = delete;
  WorkflowWatcher& operator=(const WorkflowWatcher&) = delete;

  void Start();
  void Stop();

  // The current fingerprint of the directory; exposed for tests.
  std::string FingerprintForTest() const { return Fingerprint(); }

 private:
  std::string Fingerprint() const;
  void Loop(std::string baseline);

  const std::string directory_;
  const absl::Duration interval_;
  const std::function<void()> on_change_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace claims::server
