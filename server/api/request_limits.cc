#include "server/api/request_limits.h"

#include <google/protobuf/descriptor.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "server/api/status_mapping.h"

namespace claims::server {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Reflection;

// Resource names: partners/{partner}/claims/{claim}[/comments/{id}], each segment at most 128.
constexpr int64_t kPartnerName = 160;
constexpr int64_t kClaimName = 320;
constexpr int64_t kChildName = 400;
constexpr int64_t kRequestId = 128;
constexpr int64_t kId = 64;  // action, state, reason, product and other workflow ids
constexpr int64_t kActor = 128;
constexpr int64_t kText = 16 * 1024;
constexpr int64_t kUploadChunk = 1024 * 1024;
constexpr int64_t kWorkflowName = 200;
// The loader's own bound on a workflow file (workflow::LoadLimits::max_bytes).
constexpr int64_t kWorkflowSource = 1024 * 1024;

// At most this many violations are listed; one is enough to fix, the rest is noise.
constexpr std::size_t kMaxViolationsListed = 10;

const std::vector<FieldLimit>* BuildLimits() {
  return new std::vector<FieldLimit>{
      {"claims.v1.CreateClaimRequest.parent", kPartnerName},
      {"claims.v1.CreateClaimRequest.workflow", 128},
      {"claims.v1.CreateClaimRequest.request_id", kRequestId},
      {"claims.v1.GetClaimRequest.name", kClaimName},
      {"claims.v1.ListClaimsRequest.parent", kPartnerName},
      {"claims.v1.ListClaimsRequest.page_token", 512},
      {"claims.v1.ListClaimsRequest.state", kId},
      {"claims.v1.UpdateClaimRequest.request_id", kRequestId},
      {"google.protobuf.FieldMask.paths", kId, 16},
      {"claims.v1.PerformActionRequest.name", kClaimName},
      {"claims.v1.PerformActionRequest.action", kId},
      {"claims.v1.PerformActionRequest.reasons", kId, 16},
      {"claims.v1.PerformActionRequest.comment", kText},
      {"claims.v1.PerformActionRequest.etag", kId},
      {"claims.v1.PerformActionRequest.request_id", kRequestId},
      {"claims.v1.AddCommentRequest.parent", kClaimName},
      {"claims.v1.AddCommentRequest.request_id", kRequestId},
      {"claims.v1.AddEvidenceRequest.parent", kClaimName},
      {"claims.v1.AddEvidenceRequest.request_id", kRequestId},
      {"claims.v1.GetClaimHistoryRequest.name", kClaimName},
      {"claims.v1.GetClaimHistoryRequest.page_token", 512},
      {"claims.v1.StreamEventsRequest.types", kId, 32},
      {"claims.v1.Claim.name", kClaimName},
      {"claims.v1.Claim.mpn_id", 32},
      {"claims.v1.Claim.products", kId, 32},
      {"claims.v1.Claim.activity", kId},
      {"claims.v1.Claim.workflow", 128},
      {"claims.v1.Claim.state", kId},
      {"claims.v1.Claim.timers", 0, 32},
      {"claims.v1.Claim.available_actions", kId, 64},
      {"claims.v1.Claim.etag", kId},
      {"claims.v1.Claim.creator", kActor},
      {"claims.v1.Customer.tenant_id", kId},
      {"claims.v1.Customer.name", 256},
      {"claims.v1.Contact.name", 256},
      {"claims.v1.Contact.email", 320},
      {"claims.v1.Contact.phone", kId},
      {"claims.v1.Timer.name", kId},
      {"claims.v1.Comment.name", kChildName},
      {"claims.v1.Comment.author", kActor},
      {"claims.v1.Comment.text", kText},
      {"claims.v1.Evidence.name", kChildName},
      {"claims.v1.Evidence.file_name", 255},
      {"claims.v1.Evidence.content_type", 127},
      {"claims.v1.Evidence.sha256", kId},
      {"claims.v1.Evidence.uploader", kActor},
      {"claims.v1.Evidence.content", kConfiguredBytes},
      {"claims.v1.Claim.actions", 0, 64},
      {"claims.v1.Claim.next_deadline_display", 128},
      {"claims.v1.Timer.due_display", 128},
      {"claims.v1.AvailableAction.id", kId},
      {"claims.v1.AvailableAction.display_name", 256},
      {"claims.v1.AvailableAction.to_state", kId},
      {"claims.v1.ReasonInput.catalog", kId},
      {"claims.v1.ReasonInput.choices", 0, 256},
      {"claims.v1.CatalogEntry.id", kId},
      {"claims.v1.CatalogEntry.display_name", 256},
      {"claims.v1.StreamEventsRequest.cursor", 4096},
      {"claims.v1.GetEvidenceContentRequest.name", kChildName},
      {"claims.v1.UploadEvidenceRequest.data", kUploadChunk},
      {"claims.v1.EvidenceUploadHeader.parent", kClaimName},
      {"claims.v1.EvidenceUploadHeader.file_name", 255},
      {"claims.v1.EvidenceUploadHeader.content_type", 127},
      {"claims.v1.EvidenceUploadHeader.sha256", kId},
      {"claims.v1.EvidenceUploadHeader.request_id", kRequestId},
      {"claims.v1.GetWorkflowRequest.name", kWorkflowName},
      {"claims.v1.ValidateWorkflowRequest.source", kWorkflowSource},
      {"claims.v1.ValidateWorkflowRequest.file_name", 255},
      {"claims.v1.RenderGraphRequest.name", kWorkflowName},
      {"claims.v1.RenderGraphRequest.source", kWorkflowSource},
      {"claims.v1.DiffWorkflowVersionsRequest.before_name", kWorkflowName},
      {"claims.v1.DiffWorkflowVersionsRequest.before_source", kWorkflowSource},
      {"claims.v1.DiffWorkflowVersionsRequest.after_name", kWorkflowName},
      {"claims.v1.DiffWorkflowVersionsRequest.after_source", kWorkflowSource},
      {"claims.v1.DiffWorkflowVersionsRequest.page_token", 512},
      {"claims.v1.MigrateClaimsRequest.name", kWorkflowName},
      {"claims.v1.RecomputeDeadlinesRequest.name", kWorkflowName},
      {"claims.v1.RecomputeDeadlinesRequest.page_token", 512},
  };
}

using LimitIndex = absl::flat_hash_map<const FieldDescriptor*, const FieldLimit*>;

const LimitIndex& Index() {
  static const LimitIndex* index = [] {
    auto* out = new LimitIndex();
    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    for (const FieldLimit& limit : RequestFieldLimits()) {
      const FieldDescriptor* field = pool->FindFieldByName(std::string(limit.field));
      // Only the proto files whose generated code a binary links are in its pool; a binary
      // without a service receives none of its requests. (request_limits_test checks that
      // every name in the table resolves.)
      if (field == nullptr) continue;
      (*out)[field] = &limit;
    }
    return out;
  }();
  return *index;
}

// Fields a table entry does not name (scalars, timestamps) need none; strings and repeated
// fields without one are held to this, and the test insists that every one has its entry.
constexpr FieldLimit kFallback{"", 1024, 16};

struct Walk {
  int64_t configured_max_bytes;
  std::vector<workflow::FieldViolation> violations;
  std::string first_reason;

  void Add(std::string field, std::string description, const char* reason) {
    if (first_reason.empty()) first_reason = reason;
    if (violations.size() < kMaxViolationsListed) {
      violations.push_back({std::move(field), std::move(description)});
    }
  }

  void CheckValue(const FieldDescriptor& field, const FieldLimit& limit, const std::string& path,
                  const std::string& value) {
    const int64_t max =
        limit.max_bytes == kConfiguredBytes ? configured_max_bytes : limit.max_bytes;
    const auto size = static_cast<int64_t>(value.size());
    if (max <= 0 || size <= max) return;
    std::string description = absl::StrCat(size, " bytes; at most ", max);
    // Bytes are opaque (evidence content): never quoted.
    if (field.type() == FieldDescriptor::TYPE_STRING) {
      absl::StrAppend(&description, "; starts with \"", QuotePrefix(value), "\"");
    }
    Add(path, std::move(description), "FIELD_TOO_LONG");
  }

  void Visit(const google::protobuf::Message& message, const std::string& prefix) {
    const Reflection* reflection = message.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    reflection->ListFields(message, &fields);
    for (const FieldDescriptor* field : fields) {
      const std::string path =
          prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
      auto it = Index().find(field);
      const FieldLimit& limit = it == Index().end() ? kFallback : *it->second;
      const bool is_string = field->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
      const bool is_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
      if (field->is_map()) continue;  // no request carries a map
      if (field->is_repeated()) {
        const int count = reflection->FieldSize(message, field);
        if (limit.max_items > 0 && count > limit.max_items) {
          Add(path, absl::StrCat(count, " items; at most ", limit.max_items), "TOO_MANY_ITEMS");
          continue;  // the elements of a list that is refused need no further look
        }
        for (int i = 0; i < count; ++i) {
          const std::string element = absl::StrCat(path, "[", i, "]");
          if (is_string) {
            std::string scratch;
            CheckValue(*field, limit, element,
                       reflection->GetRepeatedStringReference(message, field, i, &scratch));
          } else if (is_message) {
            Visit(reflection->GetRepeatedMessage(message, field, i), element);
          }
        }
        continue;
      }
      if (is_string) {
        std::string scratch;
        CheckValue(*field, limit, path, reflection->GetStringReference(message, field, &scratch));
      } else if (is_message) {
        Visit(reflection->GetMessage(message, field), path);
      }
    }
  }
};

}  // namespace

const std::vector<FieldLimit>& RequestFieldLimits() {
  static const std::vector<FieldLimit>* limits = BuildLimits();
  return *limits;
}

std::string QuotePrefix(std::string_view value, std::size_t max_bytes) {
  if (value.size() <= max_bytes) return std::string(value);
  std::size_t end = max_bytes;
  // Back up to the first byte of a UTF-8 sequence, so the quote stays valid UTF-8.
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
  return absl::StrCat(absl::string_view(value.data(), end), "...");
}

absl::Status CheckRequestLimits(const google::protobuf::Message& request,
                                int64_t configured_max_bytes) {
  Walk walk{configured_max_bytes, {}, {}};
  walk.Visit(request, "");
  if (walk.violations.empty()) return absl::OkStatus();
  const workflow::FieldViolation& first = walk.violations.front();
  return InvalidArgument(absl::StrCat(first.field, " is over its limit: ", first.description),
                         walk.violations, walk.first_reason);
}

}  // namespace claims::server
