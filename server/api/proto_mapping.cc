#include "server/api/proto_mapping.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/api/status_mapping.h"

namespace claims::server {
namespace {

constexpr char kPartners[] = "partners";
constexpr char kClaims[] = "claims";

bool IsValidSegment(std::string_view segment) {
  if (segment.empty() || segment.size() > 128) return false;
  for (char c : segment) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void ToProto(const workflow::Contact& contact, pb::Contact* out) {
  out->set_name(contact.name);
  out->set_email(contact.email);
  out->set_phone(contact.phone);
}

workflow::Contact FromProto(const pb::Contact& contact) {
  return {contact.name(), contact.email(), contact.phone()};
}

pb::SlaStatus ToProto(workflow::SlaStatus status) {
  switch (status) {
    case workflow::SlaStatus::kOnTrack:
      return pb::SLA_STATUS_ON_TRACK;
    case workflow::SlaStatus::kAtRisk:
      return pb::SLA_STATUS_AT_RISK;
    case workflow::SlaStatus::kBreached:
      return pb::SLA_STATUS_BREACHED;
  }
  return pb::SLA_STATUS_UNSPECIFIED;
}

}  // namespace

pb::Timer::State ToProto(workflow::TimerStatus status) {
  switch (status) {
    case workflow::TimerStatus::kArmed:
      return pb::Timer::ARMED;
    case workflow::TimerStatus::kPaused:
      return pb::Timer::PAUSED;
    case workflow::TimerStatus::kBreached:
      return pb::Timer::BREACHED;
    case workflow::TimerStatus::kFired:
      return pb::Timer::FIRED;
    case workflow::TimerStatus::kCancelled:
      return pb::Timer::CANCELLED;
  }
  return pb::Timer::STATE_UNSPECIFIED;
}

namespace {

pb::HistoryEntry::Kind ToProto(workflow::HistoryKind kind) {
  switch (kind) {
    case workflow::HistoryKind::kCreated:
      return pb::HistoryEntry::CREATED;
    case workflow::HistoryKind::kAction:
      return pb::HistoryEntry::ACTION;
    case workflow::HistoryKind::kEdit:
      return pb::HistoryEntry::EDIT;
    case workflow::HistoryKind::kComment:
      return pb::HistoryEntry::COMMENT;
    case workflow::HistoryKind::kEvidence:
      return pb::HistoryEntry::EVIDENCE;
    case workflow::HistoryKind::kTimer:
      return pb::HistoryEntry::TIMER;
    case workflow::HistoryKind::kMigration:
      return pb::HistoryEntry::MIGRATION;
    case workflow::HistoryKind::kDeadlineChange:
      return pb::HistoryEntry::DEADLINE_CHANGE;
  }
  return pb::HistoryEntry::KIND_UNSPECIFIED;
}

}  // namespace

std::string FormatPartnerName(std::string_view partner) {
  return absl::StrCat(kPartners, "/", std::string(partner));
}

std::string FormatClaimName(std::string_view partner, std::string_view claim) {
  return absl::StrCat(kPartners, "/", std::string(partner), "/", kClaims, "/", std::string(claim));
}

absl::StatusOr<std::string> ParsePartnerName(std::string_view name, std::string_view field) {
  std::vector<std::string> parts = absl::StrSplit(std::string(name), '/');
  if (parts.size() != 2 || parts[0] != kPartners || !IsValidSegment(parts[1])) {
    return InvalidArgument(absl::StrCat("'", std::string(name), "' is not partners/{partner}"),
                           {{std::string(field), "must be partners/{partner}"}});
  }
  return parts[1];
}

absl::StatusOr<ClaimName> ParseClaimName(std::string_view name, std::string_view field) {
  std::vector<std::string> parts = absl::StrSplit(std::string(name), '/');
  if (parts.size() != 4 || parts[0] != kPartners || parts[2] != kClaims ||
      !IsValidSegment(parts[1]) || !IsValidSegment(parts[3])) {
    return InvalidArgument(
        absl::StrCat("'", std::string(name), "' is not partners/{partner}/claims/{claim}"),
        {{std::string(field), "must be partners/{partner}/claims/{claim}"}});
  }
  return ClaimName{parts[1], parts[3]};
}

void ToProto(absl::Time time, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(time);
  int64_t seconds = micros / 1'000'000;
  int64_t rest = micros % 1'000'000;
  if (rest < 0) {
    rest += 1'000'000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}

absl::Time FromProto(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

std::string Etag(int64_t version) { return absl::StrCat("\"", version, "\""); }

workflow::ClaimFields FieldsFromProto(const pb::Claim& claim) {
  workflow::ClaimFields fields;
  fields.mpn_id = claim.mpn_id();
  fields.customer = {claim.customer().tenant_id(), claim.customer().name()};
  fields.customer_contact = FromProto(claim.customer_contact());
  fields.partner_contact = FromProto(claim.partner_contact());
  fields.products.assign(claim.products().begin(), claim.products().end());
  fields.activity = claim.activity();
  return fields;
}

void ToProto(const workflow::Claim& claim, const std::vector<std::string>& available_actions,
             pb::Claim* out) {
  out->set_name(FormatClaimName(claim.partner_id, claim.id));
  out->set_mpn_id(claim.fields.mpn_id);
  out->mutable_customer()->set_tenant_id(claim.fields.customer.tenant_id);
  out->mutable_customer()->set_name(claim.fields.customer.name);
  ToProto(claim.fields.customer_contact, out->mutable_customer_contact());
  ToProto(claim.fields.partner_contact, out->mutable_partner_contact());
  for (const auto& product : claim.fields.products) out->add_products(product);
  out->set_activity(claim.fields.activity);
  out->set_workflow(claim.workflow_name);
  out->set_workflow_version(claim.workflow_version);
  out->set_state(claim.state);
  ToProto(claim.state_entered_at, out->mutable_state_enter_time());
  out->set_sla_status(ToProto(claim.sla_status));
  if (claim.next_deadline != absl::InfiniteFuture()) {
    ToProto(claim.next_deadline, out->mutable_next_deadline());
  }
  for (const auto& timer : claim.timers) {
    auto* t = out->add_timers();
    t->set_name(timer.name);
    t->set_state(ToProto(timer.status));
    if (timer.status == workflow::TimerStatus::kArmed) {
      ToProto(timer.due_at, t->mutable_due_time());
    }
    if (timer.status == workflow::TimerStatus::kPaused) {
      t->set_remaining_seconds(absl::ToInt64Seconds(timer.remaining));
    }
  }
  out->set_evidence_count(claim.evidence_count);
  for (const auto& action : available_actions) out->add_available_actions(action);
  out->set_etag(Etag(claim.version));
  ToProto(claim.create_time, out->mutable_create_time());
  ToProto(claim.update_time, out->mutable_update_time());
  out->set_creator(claim.created_by);
}

void ToProto(const workflow::Comment& comment, std::string_view claim_name, pb::Comment* out) {
  out->set_name(absl::StrCat(std::string(claim_name), "/comments/", comment.id));
  out->set_author(comment.author_id);
  out->set_perspective(ToProto(comment.perspective));
  out->set_text(comment.text);
  out->set_visibility(comment.visibility == workflow::CommentVisibility::kInternal
                          ? pb::Comment::INTERNAL
                          : pb::Comment::PUBLIC);
  ToProto(comment.create_time, out->mutable_create_time());
}

void ToProto(const workflow::Evidence& evidence, std::string_view claim_name, pb::Evidence* out) {
  out->set_name(absl::StrCat(std::string(claim_name), "/evidence/", evidence.id));
  out->set_file_name(evidence.file_name);
  out->set_content_type(evidence.content_type);
  out->set_size_bytes(evidence.size_bytes);
  out->set_sha256(evidence.sha256_hex);
  out->set_uploader(evidence.uploaded_by);
  ToProto(evidence.upload_time, out->mutable_upload_time());
}

void ToProto(const workflow::HistoryEntry& entry, pb::HistoryEntry* out) {
  out->set_sequence(entry.sequence);
  out->set_kind(ToProto(entry.kind));
  out->set_name(entry.name);
  out->set_actor(entry.actor_id);
  out->set_perspective(ToProto(entry.perspective));
  ToProto(entry.time, out->mutable_time());
  out->set_from_state(entry.from_state);
  out->set_to_state(entry.to_state);
  for (const auto& reason : entry.reasons) out->add_reasons(reason);
  out->set_comment(entry.comment);
  for (const auto& change : entry.changes) {
    auto* c = out->add_changes();
    c->set_field(change.field);
    c->set_before(change.before);
    c->set_after(change.after);
  }
}

void ToProto(const workflow::Event& event, pb::Event* out) {
  out->set_sequence(event.sequence);
  out->set_type(event.type);
  out->set_claim(FormatClaimName(event.partner_id, event.claim_id));
  ToProto(event.time, out->mutable_time());
  for (const auto& [key, value] : event.attributes) (*out->mutable_attributes())[key] = value;
}

pb::Perspective ToProto(workflow::Perspective perspective) {
  switch (perspective) {
    case workflow::Perspective::kPartner:
      return pb::PERSPECTIVE_PARTNER;
    case workflow::Perspective::kReviewer:
      return pb::PERSPECTIVE_REVIEWER;
    case workflow::Perspective::kCustomer:
      return pb::PERSPECTIVE_CUSTOMER;
    case workflow::Perspective::kSystem:
      return pb::PERSPECTIVE_SYSTEM;
  }
  return pb::PERSPECTIVE_UNSPECIFIED;
}

workflow::CommentVisibility FromProto(pb::Comment::Visibility visibility) {
  return visibility == pb::Comment::INTERNAL ? workflow::CommentVisibility::kInternal
                                             : workflow::CommentVisibility::kPublic;
}

}  // namespace claims::server
