#pragma once

#include "claims/v1/claims_service.grpc.pb.h"
#include "server/claims_logic.h"
#include "server/event_feed.h"
#include "server/metrics.h"
#include "server/worker_pool.h"

namespace claims::server {

// The gRPC face of ClaimsLogic: reads the caller from metadata, honours the caller's deadline
// and cancellation, runs the logic on the worker pool and maps the result to a status.
class ClaimsService final : public pb::Claims::CallbackService {
 public:
  ClaimsService(ClaimsLogic& logic, WorkerPool& workers, EventFeed& events, ServerMetrics& metrics)
      : logic_(logic), workers_(workers), events_(events), metrics_(metrics) {}

  grpc::ServerUnaryReactor* CreateClaim(grpc::CallbackServerContext* context,
                                        const pb::CreateClaimRequest* request,
                                        pb::Claim* response) override;
  grpc::ServerUnaryReactor* GetClaim(grpc::CallbackServerContext* context,
                                     const pb::GetClaimRequest* request,
                                     pb::Claim* response) override;
  grpc::ServerUnaryReactor* ListClaims(grpc::CallbackServerContext* context,
                                       const pb::ListClaimsRequest* request,
                                       pb::ListClaimsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateClaim(grpc::CallbackServerContext* context,
                                        const pb::UpdateClaimRequest* request,
                                        pb::Claim* response) override;
  grpc::ServerUnaryReactor* PerformAction(grpc::CallbackServerContext* context,
                                          const pb::PerformActionRequest* request,
                                          pb::Claim* response) override;
  grpc::ServerUnaryReactor* AddComment(grpc::CallbackServerContext* context,
                                       const pb::AddCommentRequest* request,
                                       pb::Comment* response) override;
  grpc::ServerUnaryReactor* AddEvidence(grpc::CallbackServerContext* context,
                                        const pb::AddEvidenceRequest* request,
                                        pb::Evidence* response) override;
  grpc::ServerUnaryReactor* GetClaimHistory(grpc::CallbackServerContext* context,
                                            const pb::GetClaimHistoryRequest* request,
                                            pb::ClaimHistory* response) override;
  grpc::ServerWriteReactor<pb::Event>* StreamEvents(
      grpc::CallbackServerContext* context, const pb::StreamEventsRequest* request) override;

 private:
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context, const Request* request,
                                  Response* response,
                                  absl::StatusOr<Response> (ClaimsLogic::*method)(const Caller&,
                                                                                  const Request&));

  ClaimsLogic& logic_;
  WorkerPool& workers_;
  EventFeed& events_;
  ServerMetrics& metrics_;
};

}  // namespace claims::server
