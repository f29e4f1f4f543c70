#pragma once

// Conversions between the wire types (claims.v1) and the domain (workflow/claim.h), and the
// resource names of the API: partners/{partner}/claims/{claim}.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "claims/v1/claims_service.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "workflow/claim.h"

namespace claims::server {

namespace pb = ::claims::v1;

// Matches any partner in a name: "partners/-/claims/{claim}" (reviewers).
inline constexpr char kAnyPartner[] = "-";

struct ClaimName {
  std::string partner;
  std::string claim;
};

std::string FormatPartnerName(std::string_view partner);
std::string FormatClaimName(std::string_view partner, std::string_view claim);

// INVALID_ARGUMENT (with a BadRequest naming `field`) unless `name` is partners/{partner}.
absl::StatusOr<std::string> ParsePartnerName(std::string_view name, std::string_view field);
// INVALID_ARGUMENT unless `name` is partners/{partner}/claims/{claim}.
absl::StatusOr<ClaimName> ParseClaimName(std::string_view name, std::string_view field);

void ToProto(absl::Time time, google::protobuf::Timestamp* out);
absl::Time FromProto(const google::protobuf::Timestamp& timestamp);

// The etag of a claim version; opaque to clients.
std::string Etag(int64_t version);

workflow::ClaimFields FieldsFromProto(const pb::Claim& claim);
void ToProto(const workflow::Claim& claim, const std::vector<std::string>& available_actions,
             pb::Claim* out);
void ToProto(const workflow::Comment& comment, std::string_view claim_name, pb::Comment* out);
void ToProto(const workflow::Evidence& evidence, std::string_view claim_name, pb::Evidence* out);
void ToProto(const workflow::HistoryEntry& entry, pb::HistoryEntry* out);
void ToProto(const workflow::Event& event, pb::Event* out);

pb::Perspective ToProto(workflow::Perspective perspective);
pb::Timer::State ToProto(workflow::TimerStatus status);
workflow::CommentVisibility FromProto(pb::Comment::Visibility visibility);

}  // namespace claims::server
