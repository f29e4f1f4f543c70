#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/internal/dialect.h"
#include "storage/internal/statement.h"
#include "storage/repository.h"
#include "workflow/claim.h"

// Claims and timers as rows: the column values bound to statements and how they map to the
// domain types.
namespace claims::storage::internal {

// ListClaims' page size when the caller names none, and the most it returns.
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// The columns of one claims row, bound in kClaimColumns order.
struct ClaimRow {
  std::string id;
  std::string partner_id;
  std::string mpn_id;
  std::string customer_tenant_id;
  std::string customer_name;
  std::string customer_contact_name;
  std::string customer_contact_email;
  std::string customer_contact_phone;
  std::string partner_contact_name;
  std::string partner_contact_email;
  std::string partner_contact_phone;
  std::string products;
  std::string activity;
  std::string workflow_name;
  int64_t workflow_version = 0;
  std::string state;
  int64_t state_entered_at = 0;
  std::string sla_status;
  int64_t next_deadline = 0;
  int evidence_count = 0;
  std::string facts;
  int64_t version = 0;
  int64_t create_time = 0;
  int64_t update_time = 0;
  std::string created_by;

  void BindInto(Stmt& st);
};

ClaimRow ToRow(const workflow::Claim& c);
absl::StatusOr<workflow::Claim> FromRow(const ClaimRow& r);

// The columns of one timers row, bound in kTimerColumns order (claim_id apart).
struct TimerRow {
  std::string claim_id;
  std::string name;
  std::string status;
  int64_t started_at = 0;
  int64_t due_at = 0;
  int64_t warn_at = 0;
  int warned = 0;
  int64_t remaining_us = 0;

  void BindInto(Stmt& st);
  absl::StatusOr<workflow::TimerInstance> ToTimer() const;
};

// Reads one claim with its timers; nullopt when there is no such row (or, with a skip-locked
// select, when another transaction holds it).
absl::StatusOr<std::optional<workflow::Claim>> LoadClaim(Conn& conn, std::string_view select,
                                                         std::string_view claim_id);

// ListClaims' statement for `filter`: the conditions that apply, in the order their values are
// bound (filter fields in declaration order, then the page key, then the limit).
std::string ListClaimsSql(const Dialect& dialect, const ClaimFilter& filter, bool has_key);

// ListClaimsOfWorkflow's and CountClaimsOfWorkflow's statements for `states` states (0: every
// state): bound name, version, then (listing only) the id after which to start, then each
// state as :s<i>, then (listing only) the limit.
std::string ListClaimsOfWorkflowSql(const Dialect& dialect, size_t states);
std::string CountClaimsOfWorkflowSql(const Dialect& dialect, size_t states);

// The outbox read after a sequence, of every partition (events_by_sequence) or of one
// (events_by_partition). The index is named: on MySQL the primary key starts with
// partition_id too, and a range over it would read the partition's whole stretch and sort.
std::string SelectEventsSql(const Dialect& dialect, bool one_partition);

// Adds their timers to `claims` (at most a page of them), in one statement.
absl::Status LoadTimersOfClaims(Conn& conn, std::vector<workflow::Claim>& claims);

}  // namespace claims::storage::internal
