#include "storage/internal/rows.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/internal/codec.h"
#include "storage/internal/status_macros.h"
#include "storage/internal/strings.h"

namespace claims::storage::internal {

using workflow::Claim;

void ClaimRow::BindInto(Stmt& st) {
  st.Into(id).Into(partner_id).Into(mpn_id).Into(customer_tenant_id).Into(customer_name);
  st.Into(customer_contact_name).Into(customer_contact_email).Into(customer_contact_phone);
  st.Into(partner_contact_name).Into(partner_contact_email).Into(partner_contact_phone);
  st.Into(products).Into(activity).Into(workflow_name).Into(workflow_version).Into(state);
  st.Into(state_entered_at).Into(sla_status).Into(next_deadline).Into(evidence_count);
  st.Into(facts).Into(version).Into(create_time).Into(update_time).Into(created_by);
}

ClaimRow ToRow(const Claim& c) {
  ClaimRow r;
  r.id = c.id;
  r.partner_id = c.partner_id;
  r.mpn_id = c.fields.mpn_id;
  r.customer_tenant_id = c.fields.customer.tenant_id;
  r.customer_name = c.fields.customer.name;
  r.customer_contact_name = c.fields.customer_contact.name;
  r.customer_contact_email = c.fields.customer_contact.email;
  r.customer_contact_phone = c.fields.customer_contact.phone;
  r.partner_contact_name = c.fields.partner_contact.name;
  r.partner_contact_email = c.fields.partner_contact.email;
  r.partner_contact_phone = c.fields.partner_contact.phone;
  r.products = EncodeStringList(c.fields.products);
  r.activity = c.fields.activity;
  r.workflow_name = c.workflow_name;
  r.workflow_version = c.workflow_version;
  r.state = c.state;
  r.state_entered_at = EncodeTime(c.state_entered_at);
  r.sla_status = std::string(SlaStatusName(c.sla_status));
  r.next_deadline = EncodeTime(c.next_deadline);
  r.evidence_count = c.evidence_count;
  r.facts = EncodeFacts(c.facts);
  r.version = c.version;
  r.create_time = EncodeTime(c.create_time);
  r.update_time = EncodeTime(c.update_time);
  r.created_by = c.created_by;
  return r;
}

absl::StatusOr<Claim> FromRow(const ClaimRow& r) {
  Claim c;
  c.id = r.id;
  c.partner_id = r.partner_id;
  c.fields.mpn_id = r.mpn_id;
  c.fields.customer = {r.customer_tenant_id, r.customer_name};
  c.fields.customer_contact = {r.customer_contact_name, r.customer_contact_email,
                               r.customer_contact_phone};
  c.fields.partner_contact = {r.partner_contact_name, r.partner_contact_email,
                              r.partner_contact_phone};
  ASSIGN_OR_RETURN(c.fields.products, DecodeStringList(r.products));
  c.fields.activity = r.activity;
  c.workflow_name = r.workflow_name;
  c.workflow_version = r.workflow_version;
  c.state = r.state;
  c.state_entered_at = DecodeTime(r.state_entered_at);
  ASSIGN_OR_RETURN(c.sla_status, ParseSlaStatus(r.sla_status));
  c.next_deadline = DecodeTime(r.next_deadline);
  c.evidence_count = r.evidence_count;
  ASSIGN_OR_RETURN(c.facts, DecodeFacts(r.facts));
  c.version = r.version;
  c.create_time = DecodeTime(r.create_time);
  c.update_time = DecodeTime(r.update_time);
  c.created_by = r.created_by;
  return c;
}

void TimerRow::BindInto(Stmt& st) {
  st.Into(name).Into(status).Into(started_at).Into(due_at).Into(warn_at).Into(warned);
  st.Into(remaining_us);
}

absl::StatusOr<workflow::TimerInstance> TimerRow::ToTimer() const {
  workflow::TimerInstance t;
  t.name = name;
  ASSIGN_OR_RETURN(t.status, ParseTimerStatus(status));
  t.started_at = DecodeTime(started_at);
  t.due_at = DecodeTime(due_at);
  t.warn_at = DecodeTime(warn_at);
  t.warned = warned != 0;
  t.remaining = DecodeDuration(remaining_us);
  return t;
}

absl::StatusOr<std::optional<Claim>> LoadClaim(Conn& conn, std::string_view select,
                                               std::string_view claim_id) {
  ClaimRow row;
  std::string id(claim_id);
  Stmt st(conn);
  row.BindInto(st);
  st.Use(id);
  if (!st.Run(select)) return std::optional<Claim>();
  ASSIGN_OR_RETURN(Claim claim, FromRow(row));
  TimerRow timer;
  Stmt timers(conn);
  timer.BindInto(timers);
  timers.Use(id);
  for (bool more = timers.Run(kSelectTimers); more; more = timers.Fetch()) {
    ASSIGN_OR_RETURN(workflow::TimerInstance t, timer.ToTimer());
    claim.timers.push_back(std::move(t));
  }
  return std::optional<Claim>(std::move(claim));
}

namespace {

// The index that serves a listing's equality conditions in create_time order, so a page costs
// its rows whatever the history behind it. Only claims with an armed timer have a deadline
// (the others hold "never"), so a deadline_before listing reads at most the claims in flight
// from claims_by_deadline and sorts them; deadline_after matches the finished claims too and is
// left to the optimizer. Without a partner, state or SLA condition claims_by_create needs no hint.
absl::string_view ListingIndex(const ClaimFilter& filter) {
  const bool partner = !filter.partner_id.empty();
  // "Not breached" is a range over sla_status, out of create_time order: the partner's or the
  // state's index serves it better.
  const bool breached = filter.sla_breached.value_or(false);
  if (partner && filter.state) return "claims_by_partner_state";
  if (partner && breached) return "claims_by_partner_sla";
  if (partner) return "claims_by_partner";
  if (filter.state) return "claims_by_state";
  if (breached) return "claims_by_sla";
  if (filter.deadline_before) return "claims_by_deadline";
  return "";
}

}  // namespace

std::string ListClaimsSql(const Dialect& dialect, const ClaimFilter& filter, bool has_key) {
  std::vector<absl::string_view> conditions;
  if (!filter.partner_id.empty()) conditions.push_back(Av(kCondPartner));
  if (filter.state) conditions.push_back(Av(kCondState));
  if (filter.sla_breached) {
    conditions.push_back(Av(*filter.sla_breached ? kCondBreached : kCondNotBreached));
  }
  if (filter.deadline_before) conditions.push_back(Av(kCondDeadlineBefore));
  if (filter.deadline_after) conditions.push_back(Av(kCondDeadlineAfter));
  if (filter.created_after) conditions.push_back(Av(kCondCreatedAfter));
  if (filter.created_before) conditions.push_back(Av(kCondCreatedBefore));
  if (has_key) conditions.push_back(Av(kCondAfterKey));
  std::string sql = dialect.select_claims_prefix;
  if (absl::string_view index = ListingIndex(filter); !index.empty()) {
    absl::StrAppend(&sql, dialect.index_hint_prefix, index, dialect.index_hint_suffix);
  }
  if (!conditions.empty()) absl::StrAppend(&sql, " WHERE ", absl::StrJoin(conditions, " AND "));
  absl::StrAppend(&sql, Av(kListClaimsOrder));
  return sql;
}

namespace {

std::string StateList(size_t states) {
  if (states == 0) return "";
  std::vector<std::string> placeholders;
  placeholders.reserve(states);
  for (size_t i = 0; i < states; ++i) placeholders.push_back(absl::StrCat(":s", i));
  return absl::StrCat(" AND state IN (", absl::StrJoin(placeholders, ", "), ")");
}

}  // namespace

std::string ListClaimsOfWorkflowSql(const Dialect& dialect, size_t states) {
  return absl::StrCat(Av(kSelectClaimsOfWorkflowPrefix), dialect.index_hint_prefix,
                      "claims_by_workflow", dialect.index_hint_suffix, Av(kCondWorkflow),
                      StateList(states), Av(kListByIdOrder));
}

std::string CountClaimsOfWorkflowSql(const Dialect& dialect, size_t states) {
  return absl::StrCat(Av(kCountClaimsOfWorkflowPrefix), dialect.index_hint_prefix,
                      "claims_by_workflow", dialect.index_hint_suffix, Av(kCondWorkflowAll),
                      StateList(states));
}

std::string SelectEventsSql(const Dialect& dialect, bool one_partition) {
  return absl::StrCat(Av(kSelectEventsPrefix), dialect.index_hint_prefix,
                      one_partition ? "events_by_partition" : "events_by_sequence",
                      dialect.index_hint_suffix,
                      Av(one_partition ? kCondPartitionEventsAfter : kCondEventsAfter));
}

absl::Status LoadTimersOfClaims(Conn& conn, std::vector<Claim>& claims) {
  if (claims.empty()) return absl::OkStatus();
  std::map<std::string, size_t> index;
  std::vector<std::string> placeholders;
  for (size_t i = 0; i < claims.size(); ++i) {
    index[claims[i].id] = i;
    placeholders.push_back(absl::StrCat(":c", i));
  }
  TimerRow timer;
  Stmt ts(conn);
  ts.Into(timer.claim_id);
  timer.BindInto(ts);
  for (const Claim& c : claims) ts.Use(c.id);
  std::string sql = absl::StrCat(Av(kSelectTimersOfClaimsPrefix), absl::StrJoin(placeholders, ", "),
                                 Av(kSelectTimersOfClaimsOrder));
  for (bool more = ts.Run(sql); more; more = ts.Fetch()) {
    ASSIGN_OR_RETURN(workflow::TimerInstance t, timer.ToTimer());
    claims[index[timer.claim_id]].timers.push_back(std::move(t));
  }
  return absl::OkStatus();
}

}  // namespace claims::storage::internal
