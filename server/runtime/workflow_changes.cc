#include "server/runtime/workflow_changes.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/api/status_mapping.h"
#include "workflow/decision.h"

namespace claims::server {
namespace {

// A page asks the repository for one claim more than it returns, to know whether another
// follows; the repository's most is 1000.
constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 500;
// History is read in pages of this many entries (a claim may have 10,000).
constexpr int kHistoryPageSize = 1000;
// How many stranded claims the refusal names; the rest are counted.
constexpr size_t kStrandedNamed = 10;
// Write attempts per claim when another writer (a reviewer, a timer) moves it in between.
constexpr int kWriteAttempts = 3;

constexpr absl::string_view kTokenPrefix = "claims.workflow_changes.v1:";

std::string TokenAfter(const std::string& claim_id) {
  return absl::WebSafeBase64Escape(absl::StrCat(kTokenPrefix, claim_id));
}

absl::StatusOr<std::string> ClaimIdOfToken(std::string_view token) {
  if (token.empty()) return std::string();
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &decoded) ||
      !absl::StartsWith(decoded, kTokenPrefix) || decoded.size() == kTokenPrefix.size()) {
    return absl::InvalidArgumentError("page_token is not one this listing returned");
  }
  return decoded.substr(kTokenPrefix.size());
}

absl::StatusOr<int> PageSize(int page_size) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  return page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
}

// The states a claim may still leave: the repository keeps terminal claims forever, and
// none of them is migrated or has deadlines to move.
std::vector<std::string> RunningStates(const workflow::Definition& definition) {
  std::vector<std::string> states;
  for (const workflow::StateDef& s : definition.states) {
    if (!s.terminal) states.push_back(s.id);
  }
  return states;
}

// One page of the running claims of `definition`'s version from `page_token` on, with the
// token of the next page (empty on the last): one claim more than the page is read to know
// whether there is a next one.
struct RunningPage {
  std::vector<storage::ClaimOfWorkflow> claims;
  std::string next_page_token;
};
absl::StatusOr<RunningPage> ListRunning(storage::Repository& repository,
                                        const workflow::Definition& definition, int page_size,
                                        std::string_view page_token) {
  absl::StatusOr<int> size = PageSize(page_size);
  if (!size.ok()) return size.status();
  absl::StatusOr<std::string> after_id = ClaimIdOfToken(page_token);
  if (!after_id.ok()) return after_id.status();
  absl::StatusOr<std::vector<storage::ClaimOfWorkflow>> listed = repository.ListClaimsOfWorkflow(
      definition.name, definition.version, RunningStates(definition), *after_id, *size + 1);
  if (!listed.ok()) return listed.status();
  RunningPage page;
  page.claims = *std::move(listed);
  if (static_cast<int>(page.claims.size()) > *size) {
    page.claims.pop_back();
    page.next_page_token = TokenAfter(page.claims.back().id);
  }
  return page;
}

bool IsRunning(const workflow::Definition& definition, std::string_view state) {
  const workflow::StateDef* s = definition.FindState(state);
  return s != nullptr && !s->terminal;
}

struct ClaimWithHistory {
  workflow::Claim claim;
  std::vector<workflow::HistoryEntry> history;
};

// The claim and its whole history, a page of entries at a time. A write between two pages
// shows as a claim version that moved: the read starts over, so the history always belongs to
// the claim version the caller guards its write with.
absl::StatusOr<ClaimWithHistory> LoadWithHistory(storage::Repository& repository,
                                                 const std::string& claim_id) {
  for (int attempt = 0;; ++attempt) {
    ClaimWithHistory loaded;
    storage::HistoryRange range;
    range.max_entries = kHistoryPageSize;
    range.history_only = true;
    bool moved = false;
    for (bool first = true;; first = false) {
      absl::StatusOr<storage::ClaimDetails> details =
          repository.GetClaimDetails(claim_id, workflow::Perspective::kSystem, range);
      if (!details.ok()) return details.status();
      if (first) {
        loaded.claim = std::move(details->claim);
      } else if (details->claim.version != loaded.claim.version) {
        moved = true;
        break;
      }
      for (workflow::HistoryEntry& h : details->history) loaded.history.push_back(std::move(h));
      if (!details->more_history || loaded.history.empty()) break;
      range.after_sequence = loaded.history.back().sequence;
    }
    if (!moved) return loaded;
    if (attempt + 1 == kWriteAttempts) {
      return absl::AbortedError(
          absl::StrCat("claim ", claim_id, " kept changing while its history was read"));
    }
  }
}

// The deadline moves of `moves` whose timer the decision writes.
std::vector<workflow::DeadlineMove> MovesWritten(const std::vector<workflow::DeadlineMove>& moves,
                                                 const workflow::Decision& decision) {
  std::vector<workflow::DeadlineMove> written;
  for (const workflow::DeadlineMove& m : moves) {
    for (const workflow::TimerInstance& t : decision.timers) {
      if (t.name == m.timer) {
        written.push_back(m);
        break;
      }
    }
  }
  return written;
}

ClaimChange ChangeOf(const workflow::Claim& claim) {
  ClaimChange change;
  change.claim_id = claim.id;
  change.partner_id = claim.partner_id;
  change.state = claim.state;
  return change;
}

std::string VersionName(std::string_view workflow, int64_t version) {
  return absl::StrCat(std::string(workflow), " version ", version);
}

}  // namespace

WorkflowChanges::WorkflowChanges(storage::Repository& repository, WorkflowRegistry& registry,
                                 const Clock& clock, std::function<void()> timers_changed)
    : repository_(repository),
      registry_(registry),
      clock_(clock),
      timers_changed_(std::move(timers_changed)) {}

absl::StatusOr<ClaimChangePage> WorkflowChanges::LiveImpact(const workflow::Definition& before,
                                                            const workflow::Definition& after,
                                                            int page_size,
                                                            std::string_view page_token) {
  absl::StatusOr<RunningPage> listed = ListRunning(repository_, before, page_size, page_token);
  if (!listed.ok()) return listed.status();

  ClaimChangePage page;
  page.next_page_token = listed->next_page_token;
  for (const storage::ClaimOfWorkflow& listed_claim : listed->claims) {
    absl::StatusOr<ClaimWithHistory> loaded = LoadWithHistory(repository_, listed_claim.id);
    if (!loaded.ok()) return loaded.status();
    const workflow::Claim& claim = loaded->claim;
    ++page.examined;
    // Moved on since the listing (migrated, finished): not a claim of `before` any more.
    if (claim.workflow_version != before.version || !IsRunning(before, claim.state)) continue;
    ClaimChange change = ChangeOf(claim);
    std::optional<std::string> placed = workflow::MigratedState(after, claim.state);
    if (!placed) {
      change.stranded = true;
      ++page.stranded;
      page.claims.push_back(std::move(change));
      continue;
    }
    change.new_state = *placed;
    change.moves = workflow::ReplayTimers(after, claim, loaded->history).moves;
    if (!change.moves.empty()) ++page.with_moved_deadlines;
    if (!change.moves.empty() || change.new_state != change.state) {
      page.claims.push_back(std::move(change));
    }
  }
  return page;
}

absl::StatusOr<MigrationRun> WorkflowChanges::Migrate(std::string_view workflow, int64_t to_version,
                                                      bool validate_only, int page_size) {
  absl::StatusOr<int> size = PageSize(page_size);
  if (!size.ok()) return size.status();
  auto to_engine = registry_.Get(workflow, to_version);
  if (!to_engine.ok()) return to_engine.status();
  const workflow::Definition& to = (*to_engine)->definition();
  if (!to.migrate_from.has_value()) {
    return WithErrorInfo(
        absl::FailedPreconditionError(
            absl::StrCat(VersionName(workflow, to_version),
                         " declares no migrate_from, so running claims may not move to it; add a "
                         "migrate_from block naming the version they are on")),
        "MIGRATION_NOT_DECLARED",
        {{"workflow", std::string(workflow)}, {"to_version", absl::StrCat(to_version)}});
  }
  const int64_t from_version = to.migrate_from->from_version;
  auto from_engine = registry_.Get(workflow, from_version);
  if (!from_engine.ok()) {
    return absl::Status(from_engine.status().code(),
                        absl::StrCat("the version ", VersionName(workflow, to_version),
                                     " migrates from: ", from_engine.status().message()));
  }
  const workflow::Definition& from = (*from_engine)->definition();
  const std::vector<std::string> running = RunningStates(from);

  // Every running claim is placed before any is written, so a migration that would strand
  // some claims changes none. Whether a state is placed depends on the state alone, so the
  // claims in the states version `to` does not place are counted and the first few named from
  // the index, however many claims the old version runs. A claim moving into such a state after
  // this check is refused by MigrateClaim and left on the old version (reported stranded).
  std::vector<std::string> unplaced;
  for (const std::string& state : running) {
    if (!workflow::MigratedState(to, state).has_value()) unplaced.push_back(state);
  }
  int64_t stranded_count = 0;
  std::vector<std::pair<std::string, std::string>> stranded_named;  // claim id, state
  std::set<std::string> stranded_states;
  if (!unplaced.empty()) {
    absl::StatusOr<int64_t> count =
        repository_.CountClaimsOfWorkflow(workflow, from_version, unplaced);
    if (!count.ok()) return count.status();
    stranded_count = *count;
  }
  if (stranded_count > 0) {
    absl::StatusOr<std::vector<storage::ClaimOfWorkflow>> first = repository_.ListClaimsOfWorkflow(
        workflow, from_version, unplaced, "", static_cast<int>(kStrandedNamed));
    if (!first.ok()) return first.status();
    for (const storage::ClaimOfWorkflow& c : *first) stranded_named.emplace_back(c.id, c.state);
    for (const std::string& state : unplaced) {
      absl::StatusOr<int64_t> in_state =
          repository_.CountClaimsOfWorkflow(workflow, from_version, {state});
      if (!in_state.ok()) return in_state.status();
      if (*in_state > 0) stranded_states.insert(state);
    }
  }
  if (stranded_count > 0) {
    std::vector<std::string> named;
    for (const auto& [id, state] : stranded_named)
      named.push_back(absl::StrCat(id, " (", state, ")"));
    absl::Status status = absl::FailedPreconditionError(
        absl::StrCat(stranded_count, " running claims of ", VersionName(workflow, from_version),
                     " are in states ", VersionName(workflow, to_version), " does not place (",
                     absl::StrJoin(stranded_states, ", "),
                     "); map them in migrate_from: ", absl::StrJoin(named, ", "),
                     stranded_count > static_cast<int64_t>(named.size()) ? ", ..." : ""));
    for (const auto& [id, state] : stranded_named) {
      status = WithPreconditionFailure(
          std::move(status), "STATE", id,
          absl::StrCat("state '", state, "' has no place in ", VersionName(workflow, to_version)));
    }
    return WithErrorInfo(std::move(status), "CLAIMS_STRANDED",
                         {{"workflow", std::string(workflow)},
                          {"from_version", absl::StrCat(from_version)},
                          {"to_version", absl::StrCat(to_version)},
                          {"stranded_claims", absl::StrCat(stranded_count)},
                          {"states", absl::StrJoin(stranded_states, ",")}});
  }

  MigrationRun run;
  run.from_version = from_version;
  run.to_version = to_version;
  // Migrated claims leave the old version's listing, so every call starts at its front: a
  // second call, or another replica, continues with whatever is still there.
  absl::StatusOr<std::vector<storage::ClaimOfWorkflow>> listed =
      repository_.ListClaimsOfWorkflow(workflow, from_version, running, "", *size);
  if (!listed.ok()) return listed.status();
  bool wrote = false;
  for (const storage::ClaimOfWorkflow& listed_claim : *listed) {
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<ClaimWithHistory> loaded = LoadWithHistory(repository_, listed_claim.id);
      if (!loaded.ok()) return loaded.status();
      const workflow::Claim& claim = loaded->claim;
      if (claim.workflow_version != from_version || !IsRunning(from, claim.state)) {
        // Migrated by another caller, or finished, since the listing.
        ++run.skipped;
        break;
      }
      const absl::Time now = clock_.Now();
      std::variant<workflow::Decision, workflow::ChangeRefusal> outcome =
          workflow::MigrateClaim(from, to, claim, loaded->history, now);
      ClaimChange change = ChangeOf(claim);
      if (auto* refusal = std::get_if<workflow::ChangeRefusal>(&outcome)) {
        spdlog::warn("claim {} stays on {}: {} {}", claim.id, VersionName(workflow, from_version),
                     refusal->reason, refusal->message);
        change.stranded = true;
        run.claims.push_back(std::move(change));
        break;
      }
      workflow::Decision& decision = std::get<workflow::Decision>(outcome);
      change.new_state = decision.to_state;
      change.moves =
          MovesWritten(workflow::ReplayTimers(to, claim, loaded->history).moves, decision);
      if (validate_only) {
        run.claims.push_back(std::move(change));
        break;
      }
      const workflow::Claim after = workflow::ApplyDecision(claim, decision, now);
      absl::Status status = repository_.ApplyDecision(after, decision, storage::WriteOptions());
      if (status.ok()) {
        ++run.migrated;
        wrote = true;
        run.claims.push_back(std::move(change));
        break;
      }
      // The claim moved between the read and the write: read it again and decide on what the
      // other writer left (done already, if that was another migration).
      if (absl::IsAborted(status) && attempt + 1 < kWriteAttempts) continue;
      if (wrote && timers_changed_) timers_changed_();
      return absl::Status(status.code(),
                          absl::StrCat("migrating claim ", claim.id, " to ",
                                       VersionName(workflow, to_version), ": ", status.message()));
    }
  }
  if (wrote && timers_changed_) timers_changed_();
  absl::StatusOr<int64_t> remaining =
      repository_.CountClaimsOfWorkflow(workflow, from_version, running);
  if (!remaining.ok()) return remaining.status();
  run.remaining = *remaining;
  return run;
}

absl::StatusOr<ClaimChangePage> WorkflowChanges::RecomputeDeadlines(std::string_view workflow,
                                                                    int64_t version, bool dry_run,
                                                                    int page_size,
                                                                    std::string_view page_token) {
  auto engine = registry_.Get(workflow, version);
  if (!engine.ok()) return engine.status();
  const workflow::Definition& definition = (*engine)->definition();
  absl::StatusOr<RunningPage> listed = ListRunning(repository_, definition, page_size, page_token);
  if (!listed.ok()) return listed.status();

  ClaimChangePage page;
  page.next_page_token = listed->next_page_token;
  for (const storage::ClaimOfWorkflow& listed_claim : listed->claims) {
    ++page.examined;
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<ClaimWithHistory> loaded = LoadWithHistory(repository_, listed_claim.id);
      if (!loaded.ok()) return loaded.status();
      const workflow::Claim& claim = loaded->claim;
      const bool on_version =
          claim.workflow_version == version && IsRunning(definition, claim.state);
      const absl::Time now = clock_.Now();
      std::optional<workflow::Decision> decision =
          on_version ? workflow::RecomputeDeadlines(definition, claim, loaded->history, now)
                     : std::nullopt;
      if (!decision) {
        // Nothing moves; after a lost race, because the winner moved it already.
        if (attempt > 0) ++page.skipped;
        break;
      }
      ClaimChange change = ChangeOf(claim);
      change.new_state = claim.state;
      change.moves =
          MovesWritten(workflow::ReplayTimers(definition, claim, loaded->history).moves, *decision);
      if (attempt == 0) ++page.with_moved_deadlines;
      if (dry_run) {
        page.claims.push_back(std::move(change));
        break;
      }
      const workflow::Claim after = workflow::ApplyDecision(claim, *decision, now);
      absl::Status status = repository_.ApplyDecision(after, *decision, storage::WriteOptions());
      if (status.ok()) {
        ++page.changed;
        page.claims.push_back(std::move(change));
        break;
      }
      if (absl::IsAborted(status) && attempt + 1 < kWriteAttempts) continue;
      if (page.changed > 0 && timers_changed_) timers_changed_();
      return absl::Status(status.code(), absl::StrCat("recomputing the deadlines of claim ",
                                                      claim.id, ": ", status.message()));
    }
  }
  if (page.changed > 0 && timers_changed_) timers_changed_();
  return page;
}

}  // namespace claims::server
