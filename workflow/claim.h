#pragma once

// Domain values shared by the engine, storage and the server. Plain data: no behaviour beyond
// small helpers, no I/O. Storage persists these; the engine reads a Claim and produces a Decision
// (workflow/decision.h) that storage applies atomically.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
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

enum class HistoryKind { kCreated, kAction, kEdit, kComment, kEvidence, kTimer };

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

// An outbox event: written in the same transaction as the decision that emitted it.
struct Event {
  int64_t sequence = 0;  // global, increasing; assigned by storage
  std::string type;
  std::string claim_id;
  std::string partner_id;
  absl::Time time = absl::InfinitePast();
  std::map<std::string, std::string> attributes;
};

}  // namespace claims::workflow
