#pragma once

// Domain values shared by the engine, storage and the server. Plain data: no behaviour beyond
// small helpers, no I/O. Storage persists these; the engine reads a Claim and produces a Decision
// (workflow/decision.h) that storage applies atomically.

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace claims::workflow {

// Who is looking at or acting on a claim. Decides comment visibility and history labels.
enum class Perspective { kPartner, kReviewer, kCustomer, kSystem };

std::string_view PerspectiveName(Perspective p);
std::optional<Perspective> ParsePerspective(std::string_view name);

// The one performing an action. Roles are matched against the definition's roles; partner_id
// is the tenant the actor belongs to (empty for reviewers, customers acting by link, system).
struct Actor {
  std::string id;
  std::vector<std::string> roles;
  std::string partner_id;
};

// The system actor fires timers; definitions refer to it by this role name.
inline constexpr std::string_view kSystemRole = "system";

struct Contact {
  std::string name;
  std::string email;
  std::string phone;
  bool operator==(const Contact&) const = default;
};

struct Customer {
  std::string tenant_id;  // the customer's tenant GUID
  std::string name;
  bool operator==(const Customer&) const = default;
};

// Field names as the workflow YAML and field masks spell them.
inline constexpr std::string_view kFieldMpnId = "mpn_id";
inline constexpr std::string_view kFieldCustomer = "customer";
inline constexpr std::string_view kFieldCustomerContact = "customer_contact";
inline constexpr std::string_view kFieldPartnerContact = "partner_contact";
inline constexpr std::string_view kFieldProducts = "products";
inline constexpr std::string_view kFieldActivity = "activity";

// The business data of a claim: what partners fill in and may later edit.
struct ClaimFields {
  std::string mpn_id;
  Customer customer;
  Contact customer_contact;
  Contact partner_contact;
  std::vector<std::string> products;  // codes from the definition's products catalog
  std::string activity;               // a code from the definition's activities catalog
  bool operator==(const ClaimFields&) const = default;
};

enum class SlaStatus { kOnTrack, kAtRisk, kBreached };

enum class TimerStatus {
  kArmed,      // counting down; fires (warning, then deadline) at next_fire_at
  kPaused,     // stopped with `remaining` business time left; resumes on leaving pause states
  kBreached,   // deadline passed and flagged; never fires again
  kFired,      // deadline passed and its transition was performed
  kCancelled,  // stopped by leaving to a stop state; never fires again
};

// One SLA timer of one claim. Timer names are the definition's timer ids, unique per claim.
struct TimerInstance {
  std::string name;
  TimerStatus status = TimerStatus::kArmed;
  absl::Time started_at = absl::InfinitePast();
  absl::Time due_at = absl::InfiniteFuture();   // meaningful while armed
  absl::Time warn_at = absl::InfiniteFuture();  // InfiniteFuture when no warning is configured
  bool warned = false;
  absl::Duration remaining = absl::ZeroDuration();  // while paused: time left, in the timer's unit
  bool operator==(const TimerInstance&) const = default;

  // When a sweeper must next look at this timer: the warning if not yet sent, else the deadline.
  // InfiniteFuture unless armed.
  absl::Time NextFireAt() const {
    if (status != TimerStatus::kArmed) return absl::InfiniteFuture();
    return (!warned && warn_at < due_at) ? warn_at : due_at;
  }
};

// Facts about the claim's past that guards need, kept up to date by the engine so that
// deciding never has to read the whole history.
struct ClaimFacts {
  std::map<std::string, int32_t> action_counts;  // transition id -> times performed
  // catalog id -> reason codes given by the last transition that took reasons from it.
  std::map<std::string, std::vector<std::string>> last_reasons;
  int32_t evidence_added_in_state = 0;  // uploads since entering the current state
  int32_t comments_added_in_state = 0;
  bool operator==(const ClaimFacts&) const = default;
};

// A claim as the engine sees it and storage keeps it.
struct Claim {
  std::string id;          // time-ordered unique id (ULID), assigned by storage
  std::string partner_id;  // the tenant; shard key
  ClaimFields fields;
  std::string workflow_name;
  int64_t workflow_version = 0;
  std::string state;
  absl::Time state_entered_at = absl::InfinitePast();
  SlaStatus sla_status = SlaStatus::kOnTrack;
  absl::Time next_deadline = absl::InfiniteFuture();  // earliest due_at of armed timers
  int32_t evidence_count = 0;
  ClaimFacts facts;
  std::vector<TimerInstance> timers;
  int64_t version = 0;  // optimistic concurrency; bumped by every applied decision
  absl::Time create_time = absl::InfinitePast();
  absl::Time update_time = absl::InfinitePast();
  std::string created_by;
};

enum class CommentVisibility { kPublic, kInternal };  // internal: reviewers and system only

struct Comment {
  std::string id;  // assigned by storage
  std::string author_id;
  Perspective perspective = Perspective::kPartner;
  std::string text;
  CommentVisibility visibility = CommentVisibility::kPublic;
  absl::Time create_time = absl::InfinitePast();
};

// Proof of execution. `content` is empty when only metadata was read.
struct Evidence {
  std::string id;  // assigned by storage
  std::string file_name;
  std::string content_type;
  int64_t size_bytes = 0;
  std::string sha256_hex;
  std::string uploaded_by;
  absl::Time upload_time = absl::InfinitePast();
  std::string content;
};

// kMigration: the claim moved to a newer workflow version (workflow/version_change.h);
// kDeadlineChange: its deadlines were recomputed after a calendar changed.
enum class HistoryKind {
  kCreated,
  kAction,
  kEdit,
  kComment,
  kEvidence,
  kTimer,
  kMigration,
  kDeadlineChange
};

struct FieldChange {
  std::string field;
  std::string before;
  std::string after;
  bool operator==(const FieldChange&) const = default;
};

// Append-only record of everything that happened to a claim.
struct HistoryEntry {
  int64_t sequence = 0;  // per claim, assigned by storage
  HistoryKind kind = HistoryKind::kAction;
  std::string name;  // transition id, timer id, or empty
  std::string actor_id;
  Perspective perspective = Perspective::kSystem;
  absl::Time time = absl::InfinitePast();
  std::string from_state;
  std::string to_state;
  std::vector<std::string> reasons;
  std::string comment;
  // The comment is internal (CommentVisibility::kInternal): only reviewers and the system may
  // read its text.
  bool internal_comment = false;
  std::vector<FieldChange> changes;
};

// The attributes of an event: a few short name/value pairs, unique names, sorted by name.
// One vector rather than a tree node per pair: a decision builds several events, and their
// attribute nodes were most of what deciding allocated.
class EventAttributes {
 public:
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;
  using iterator = const_iterator;

  EventAttributes() = default;
  // A name given twice keeps its last value, as with Set.
  EventAttributes(std::initializer_list<value_type> pairs) {
    for (const value_type& pair : pairs) Set(pair.first, pair.second);
  }

  // Sets `name` to `value`, replacing a value it had.
  void Set(std::string_view name, std::string value) {
    auto it = LowerBound(name);
    if (it != pairs_.end() && it->first == name) {
      it->second = std::move(value);
    } else {
      pairs_.emplace(it, std::string(name), std::move(value));
    }
  }
  // The value of `name`, or null when there is none.
  const std::string* Find(std::string_view name) const {
    auto it = std::lower_bound(pairs_.begin(), pairs_.end(), name,
                               [](const value_type& p, std::string_view n) { return p.first < n; });
    return it != pairs_.end() && it->first == name ? &it->second : nullptr;
  }
  bool contains(std::string_view name) const { return Find(name) != nullptr; }
  // The value of `name`; throws std::out_of_range when there is none, as std::map::at does.
  const std::string& at(std::string_view name) const {
    const std::string* value = Find(name);
    if (value == nullptr) throw std::out_of_range("no event attribute " + std::string(name));
    return *value;
  }

  void reserve(std::size_t n) { pairs_.reserve(n); }
  std::size_t size() const { return pairs_.size(); }
  bool empty() const { return pairs_.empty(); }
  const_iterator begin() const { return pairs_.begin(); }
  const_iterator end() const { return pairs_.end(); }
  bool operator==(const EventAttributes&) const = default;

 private:
  std::vector<value_type>::iterator LowerBound(std::string_view name) {
    // The engine sets names in ascending order, so the end is the usual answer.
    if (pairs_.empty() || pairs_.back().first < name) return pairs_.end();
    return std::lower_bound(pairs_.begin(), pairs_.end(), name,
                            [](const value_type& p, std::string_view n) { return p.first < n; });
  }

  std::vector<value_type> pairs_;
};

// An outbox event: written in the same transaction as the decision that emitted it.
struct Event {
  int64_t sequence = 0;  // global, increasing; assigned by storage
  std::string type;
  std::string claim_id;
  std::string partner_id;
  absl::Time time = absl::InfinitePast();
  EventAttributes attributes;
};

}  // namespace claims::workflow
