#pragma once

// Applies what workflow/version_change.h decides to the claims in the repository: the live
// impact of a new version (a dry run), migration of running claims to a newer version, and
// recomputing deadlines after a calendar changed. Each claim is read with its whole history,
// decided on, and written in its own transaction guarded by the claim's version, so a crash
// leaves every claim either changed or not, a second call resumes with the claims not yet
// changed, and two replicas working at once never change a claim twice (the loser of a race
// re-reads the claim and finds it done). Callers check permissions; this layer does not.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/runtime/clock.h"
#include "server/runtime/workflow_registry.h"
#include "storage/repository.h"
#include "workflow/definition.h"
#include "workflow/version_change.h"

namespace claims::server {

// What a change does, or did, to one running claim.
struct ClaimChange {
  std::string claim_id;
  std::string partner_id;
  std::string state;
  std::string new_state;  // empty when stranded
  bool stranded = false;
  std::vector<workflow::DeadlineMove> moves;
};

// One page of claims examined, by claim id.
struct ClaimChangePage {
  int64_t examined = 0;
  int64_t stranded = 0;
  int64_t with_moved_deadlines = 0;
  int64_t changed = 0;  // written by this call (0 for a dry run)
  int64_t skipped = 0;  // changed concurrently by another caller; left to it or a later call
  std::vector<ClaimChange> claims;  // only those stranded, moved or changed
  std::string next_page_token;      // empty on the last page
};

struct MigrationRun {
  int64_t from_version = 0;
  int64_t to_version = 0;
  int64_t migrated = 0;
  int64_t skipped = 0;
  int64_t remaining = 0;  // running claims still on from_version after this call
  std::vector<ClaimChange> claims;
};

class WorkflowChanges {
 public:
  // `timers_changed` is called after a call wrote claims whose timers changed (the scheduler's
  // Wake), so a deadline that moved earlier is swept on time.
  WorkflowChanges(storage::Repository& repository, WorkflowRegistry& registry, const Clock& clock,
                  std::function<void()> timers_changed);

  // The running claims of `before` (a published version: before.name, before.version) and
  // what `after` would do to them, page_size claims from page_token on. Writes nothing.
  // INVALID_ARGUMENT for a page token this did not give.
  absl::StatusOr<ClaimChangePage> LiveImpact(const workflow::Definition& before,
                                             const workflow::Definition& after, int page_size,
                                             std::string_view page_token);

  // Migrates up to page_size running claims of `workflow` to `to_version` from the version its
  // migrate_from names. NOT_FOUND (no such version), FAILED_PRECONDITION with reason
  // MIGRATION_NOT_DECLARED or CLAIMS_STRANDED (every live claim is checked first; the stranded
  // ones named in the message). validate_only: the check and the first page of what would
  // move, nothing written.
  absl::StatusOr<MigrationRun> Migrate(std::string_view workflow, int64_t to_version,
                                       bool validate_only, int page_size);

  // Recomputes the deadlines of page_size running claims of (workflow, version) from
  // page_token on, under the calendars loaded now; dry_run writes nothing.
  absl::StatusOr<ClaimChangePage> RecomputeDeadlines(std::string_view workflow, int64_t version,
                                                     bool dry_run, int page_size,
                                                     std::string_view page_token);

 private:
  storage::Repository& repository_;
  WorkflowRegistry& registry_;
  const Clock& clock_;
  std::function<void()> timers_changed_;
};

}  // namespace claims::server
