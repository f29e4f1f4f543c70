#pragma once

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/api/caller.h"
#include "server/api/proto_mapping.h"
#include "server/api/request_limits.h"
#include "server/runtime/clock.h"
#include "server/runtime/workflow_registry.h"
#include "storage/repository.h"

namespace claims::server {

// What the Claims API does, apart from the transport: authorisation by tenant, idempotent
// retries, optimistic concurrency, and turning engine outcomes into stored decisions. Takes and
// returns API messages; errors are absl::Status with google.rpc payloads (status_mapping.h).
// Thread-safe.
class ClaimsLogic {
 public:
  struct Options {
    std::string default_workflow = "cpor-association";
    absl::Duration idempotency_retention = absl::Hours(24);
    int64_t max_evidence_bytes = 10 * 1024 * 1024;
    // The largest document UploadEvidence accepts (evidence.max_bytes).
    int64_t max_upload_bytes = 64 * 1024 * 1024;
    // A concurrent change moved the claim on: decide again on the new version this many
    // times before answering ABORTED (only when the caller sent no etag).
    int max_conflict_retries = 3;
    // A ListClaims page ends early rather than hold more than this (request_limits.h).
    std::size_t max_list_page_bytes = kMaxListPageBytes;
  };

  // `on_applied` runs after every stored decision, so the timer scheduler can shorten its
  // sleep and event streams can look at the outbox at once.
  using AppliedCallback = std::function<void(const workflow::Decision&)>;
  ClaimsLogic(storage::Repository& repository, WorkflowRegistry& workflows, const Clock& clock,
              const Authenticator& authenticator, Options options, AppliedCallback on_applied = {});

  // The caller `authenticator` finds behind `metadata`, with roles interpreted by the default
  // workflow.
  absl::StatusOr<Caller> Authenticate(const Metadata& metadata) const;

  absl::StatusOr<pb::Claim> CreateClaim(const Caller& caller, const pb::CreateClaimRequest& req);
  absl::StatusOr<pb::Claim> GetClaim(const Caller& caller, const pb::GetClaimRequest& req);
  absl::StatusOr<pb::ListClaimsResponse> ListClaims(const Caller& caller,
                                                    const pb::ListClaimsRequest& req);
  absl::StatusOr<pb::Claim> UpdateClaim(const Caller& caller, const pb::UpdateClaimRequest& req);
  absl::StatusOr<pb::Claim> PerformAction(const Caller& caller,
                                          const pb::PerformActionRequest& req);
  absl::StatusOr<pb::Comment> AddComment(const Caller& caller, const pb::AddCommentRequest& req);
  absl::StatusOr<pb::Evidence> AddEvidence(const Caller& caller, const pb::AddEvidenceRequest& req);
  absl::StatusOr<pb::ClaimHistory> GetClaimHistory(const Caller& caller,
                                                   const pb::GetClaimHistoryRequest& req);

  // Evidence content, which evidence_streams.h carries over the wire chunk by chunk. These
  // block on the database: call them off gRPC's threads.

  // A document someone is downloading.
  struct EvidenceDownload {
    std::string claim_id;
    pb::Evidence metadata;  // name, file_name, content_type, size_bytes, sha256, uploader, time
  };
  // The evidence `req.name` names, if `caller` may see its claim. NOT_FOUND (EVIDENCE_NOT_FOUND)
  // with the same message whether the evidence is missing or its claim is not the caller's to
  // see; INVALID_ARGUMENT for a malformed name.
  absl::StatusOr<EvidenceDownload> OpenEvidence(const Caller& caller,
                                                const pb::GetEvidenceContentRequest& req);
  // Stored chunk `index` of the download's content; nullopt past the last.
  absl::StatusOr<std::optional<std::string>> ReadEvidenceChunk(const EvidenceDownload& download,
                                                               int64_t index);

  // A document someone is uploading, staged until CompleteUpload.
  struct EvidenceUpload {
    ClaimName claim;
    std::string evidence_id;
    pb::EvidenceUploadHeader header;
  };
  // Checks the header (file name, size within Options::max_upload_bytes, sha256 in hex, a
  // content type the claim's workflow allows: CONTENT_TYPE_NOT_ALLOWED), that `caller` may see
  // the claim and may add evidence to it now (the same rules as AddEvidence), then starts
  // staging. Errors as UploadEvidence's, before any content is read.
  absl::StatusOr<EvidenceUpload> BeginUpload(const Caller& caller,
                                             const pb::EvidenceUploadHeader& header);
  // Stages the next chunk (numbered from 0).
  absl::Status AppendUpload(const EvidenceUpload& upload, int64_t index, std::string_view data);
  // Adds the staged document to the claim, in one decision as AddEvidence would (decided again
  // on the claim as it is now, with the same idempotency), publishing what was staged.
  absl::StatusOr<pb::Evidence> CompleteUpload(const Caller& caller, const EvidenceUpload& upload);
  // Drops what was staged unless CompleteUpload published it; safe to call in every case.
  void DiscardUpload(const EvidenceUpload& upload);

 private:
  using DecideFn = std::function<workflow::Outcome(const workflow::Engine&, const workflow::Claim&,
                                                   const workflow::Actor&, absl::Time now)>;
  template <typename Response>
  using RespondFn = std::function<Response(const workflow::Engine&, const workflow::Claim& after,
                                           const ClaimAccess&, const workflow::Decision&)>;

  // A claim the caller may see, and how they act on it.
  struct VisibleClaim {
    workflow::Claim claim;
    ClaimAccess access;
  };
  // Loads the claim `name` if `caller` may see it; NOT_FOUND otherwise, whether it exists or
  // belongs to someone else.
  absl::StatusOr<VisibleClaim> LoadVisibleClaim(const Caller& caller, const ClaimName& name);
  // How `caller` acts on `claim` read under `name` with status `read`; NOT_FOUND unless the read
  // succeeded and one of the caller's roles applies to the claim.
  absl::StatusOr<ClaimAccess> CheckVisible(const Caller& caller, const ClaimName& name,
                                           const absl::Status& read,
                                           const workflow::Claim* claim) const;

  // The read-decide-write cycle shared by every change to an existing claim.
  template <typename Response>
  absl::StatusOr<Response> Mutate(const Caller& caller, const char* method,
                                  const google::protobuf::Message& request,
                                  const std::string& request_id, const ClaimName& name,
                                  const std::string& etag, const DecideFn& decide,
                                  const RespondFn<Response>& respond,
                                  const std::vector<std::string>& published_uploads = {});

  // What makes a request retry-safe: the caller's scope (tenants and actor, see
  // Caller::IdempotencyScope) with the method, the request id and a hash of the request. An
  // empty request_id means the request is not idempotent.
  struct IdempotencyKey {
    std::string scope;
    std::string request_id;
    std::string request_hash;
  };
  static IdempotencyKey MakeIdempotencyKey(const Caller& caller, const char* method,
                                           const google::protobuf::Message& request,
                                           const std::string& request_id);

  // The stored answer to an earlier request with the same key, if any. INVALID_ARGUMENT
  // (REQUEST_ID_REUSED) when the key's request id came with a different request: the scope
  // holds the caller's tenants, so only the same caller can learn that.
  template <typename Response>
  absl::StatusOr<std::optional<Response>> FindAnswer(const IdempotencyKey& key);

  // `failure` as the answer to a request, unless an identical request (a duplicate that was in
  // flight at the same time) stored an answer meanwhile: then that answer, so a duplicate never
  // gets an answer the first request did not get.
  template <typename Response>
  absl::StatusOr<Response> SettleFailure(const IdempotencyKey& key, absl::Status failure);

  // The write options that store `response` as the answer to `key`, in the same transaction.
  storage::WriteOptions StoreAnswer(const IdempotencyKey& key,
                                    const google::protobuf::Message& response,
                                    absl::Time now) const;

  // The answer once the decision's write returned `written`: `response`, or the answer a
  // concurrent retry of the same request stored first, or the write's error.
  template <typename Response>
  absl::StatusOr<Response> Conclude(const absl::Status& written, const IdempotencyKey& key,
                                    Response response, const workflow::Decision& decision);

  // INVALID_ARGUMENT when a field of `request` is over its limit (request_limits.h).
  absl::Status CheckLimits(const google::protobuf::Message& request) const;

  pb::Claim ClaimToProto(const workflow::Engine& engine, const workflow::Claim& claim,
                         const ClaimAccess& access) const;

  storage::Repository& repository_;
  WorkflowRegistry& workflows_;
  const Clock& clock_;
  const Authenticator& authenticator_;
  Options options_;
  AppliedCallback on_applied_;
};

}  // namespace claims::server
