#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "server/sha256.h"
#include "storage/repository.h"
#include "workflow/engine.h"
#include "workflow/loader.h"

namespace claims::server {

// The published workflow versions and an engine for each. Files in the workflows directory
// are validated and published to the repository (a published version is immutable); claims
// stay on the version they started on, loaded back from the repository when the file has
// moved on. Thread-safe.
class WorkflowRegistry {
 public:
  explicit WorkflowRegistry(storage::Repository& repository) : repository_(repository) {}

  // Loads and publishes every *.yaml in `directory` (includes resolved against it). Returns
  // INVALID_ARGUMENT with every diagnostic when a file is invalid, ALREADY_EXISTS when a
  // published (name, version) changed content; nothing is replaced then.
  absl::Status LoadDirectory(const std::string& directory);

  // A version whose engine's calendars differ after a reload (an included calendar file
  // changed): its running claims keep the deadlines computed under the old calendars until
  // RecomputeDeadlines (claimsctl workflows recompute-deadlines) moves them.
  struct CalendarChange {
    std::string name;
    int64_t version = 0;
    std::vector<std::string> calendars;  // ids of the calendars added, removed or changed
  };
  // LoadDirectory that also recompiles the engines compiled earlier from the repository for
  // versions no file holds any more (their calendars resolve against the directory), and
  // lists in `calendar_changes` (when given) every version whose calendars changed, by name and
  // version. An old version that no longer compiles (an include it needs was removed) keeps its
  // engine, and the reason is logged.
  absl::Status LoadDirectory(const std::string& directory,
                             std::vector<CalendarChange>* calendar_changes);

  // The engine for one version, from memory or else from the repository. NOT_FOUND if never
  // published.
  absl::StatusOr<std::shared_ptr<const workflow::Engine>> Get(std::string_view name,
                                                              int64_t version);

  // The newest loaded version of `name`: what new claims start on. NOT_FOUND if none.
  absl::StatusOr<std::shared_ptr<const workflow::Engine>> Latest(std::string_view name);

  // Every published version (from the repository, so also versions no file holds any more),
  // by name and then version, ascending.
  absl::StatusOr<std::vector<storage::WorkflowRecord>> Published();

  // One published version with its source. NOT_FOUND if never published.
  absl::StatusOr<storage::WorkflowRecord> PublishedVersion(std::string_view name, int64_t version);

  // Loads and validates `source` as LoadDirectory would (includes resolved against the loaded
  // directory), without publishing or keeping anything.
  workflow::LoadResult Validate(std::string_view source, std::string_view file_name);

 private:
  // Includes resolve against `directory`; why an include that exists could not be read goes
  // to `unreadable` when given.
  static workflow::LoadResult LoadText(std::string_view source, std::string_view file_name,
                                       const std::string& directory,
                                       std::vector<std::string>* unreadable);
  absl::StatusOr<std::shared_ptr<const workflow::Engine>> Compile(const std::string& source,
                                                                  const std::string& file_name,
                                                                  const std::string& directory);

  storage::Repository& repository_;
  std::string directory_;
  std::mutex mu_;
  std::map<std::pair<std::string, int64_t>, std::shared_ptr<const workflow::Engine>> engines_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace claims::server
