#include "server/claims_service.h"

#include <chrono>
#include <exception>
#include <map>

#include "server/status_mapping.h"
#include "spdlog/spdlog.h"

namespace claims::server {
namespace {

std::multimap<std::string, std::string> Metadata(const grpc::CallbackServerContext& context) {
  std::multimap<std::string, std::string> metadata;
  for (const auto& [key, value] : context.client_metadata()) {
    metadata.emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
  }
  return metadata;
}

}  // namespace

template <typename Request, typename Response>
grpc::ServerUnaryReactor* ClaimsService::Serve(
    grpc::CallbackServerContext* context, const Request* request, Response* response,
    absl::StatusOr<Response> (ClaimsLogic::*method)(const Caller&, const Request&)) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  workers_.Submit([this, context, request, response, method, reactor] {
    absl::Status status;
    if (context->IsCancelled()) {
      status = absl::CancelledError("the caller cancelled the request");
    } else if (context->deadline() <= std::chrono::system_clock::now()) {
      // Queued past the caller's deadline: doing the work now would change a claim nobody
      // waits for an answer about.
      status = absl::DeadlineExceededError("deadline passed before the request was served");
    } else {
      try {
        absl::StatusOr<Caller> caller = logic_.Authenticate(Metadata(*context));
        if (!caller.ok()) {
          status = caller.status();
        } else {
          absl::StatusOr<Response> result = (logic_.*method)(*caller, *request);
          if (result.ok()) {
            *response = *std::move(result);
          } else {
            status = result.status();
          }
        }
      } catch (const std::exception& e) {
        spdlog::error("{}: unexpected exception: {}", Request::descriptor()->name(), e.what());
        status = absl::InternalError("internal error");
      }
    }
    if (!status.ok() && (status.code() == absl::StatusCode::kInternal ||
                         status.code() == absl::StatusCode::kUnavailable)) {
      spdlog::warn("{}: {}", Request::descriptor()->name(), status.ToString());
    }
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

grpc::ServerUnaryReactor* ClaimsService::CreateClaim(grpc::CallbackServerContext* context,
                                                     const pb::CreateClaimRequest* request,
                                                     pb::Claim* response) {
  return Serve(context, request, response, &ClaimsLogic::CreateClaim);
}

grpc::ServerUnaryReactor* ClaimsService::GetClaim(grpc::CallbackServerContext* context,
                                                  const pb::GetClaimRequest* request,
                                                  pb::Claim* response) {
  return Serve(context, request, response, &ClaimsLogic::GetClaim);
}

grpc::ServerUnaryReactor* ClaimsService::ListClaims(grpc::CallbackServerContext* context,
                                                    const pb::ListClaimsRequest* request,
                                                    pb::ListClaimsResponse* response) {
  return Serve(context, request, response, &ClaimsLogic::ListClaims);
}

grpc::ServerUnaryReactor* ClaimsService::UpdateClaim(grpc::CallbackServerContext* context,
                                                     const pb::UpdateClaimRequest* request,
                                                     pb::Claim* response) {
  return Serve(context, request, response, &ClaimsLogic::UpdateClaim);
}

grpc::ServerUnaryReactor* ClaimsService::PerformAction(grpc::CallbackServerContext* context,
                                                       const pb::PerformActionRequest* request,
                                                       pb::Claim* response) {
  return Serve(context, request, response, &ClaimsLogic::PerformAction);
}

grpc::ServerUnaryReactor* ClaimsService::AddComment(grpc::CallbackServerContext* context,
                                                    const pb::AddCommentRequest* request,
                                                    pb::Comment* response) {
  return Serve(context, request, response, &ClaimsLogic::AddComment);
}

grpc::ServerUnaryReactor* ClaimsService::AddEvidence(grpc::CallbackServerContext* context,
                                                     const pb::AddEvidenceRequest* request,
                                                     pb::Evidence* response) {
  return Serve(context, request, response, &ClaimsLogic::AddEvidence);
}

grpc::ServerUnaryReactor* ClaimsService::GetClaimHistory(
    grpc::CallbackServerContext* context, const pb::GetClaimHistoryRequest* request,
    pb::ClaimHistory* response) {
  return Serve(context, request, response, &ClaimsLogic::GetClaimHistory);
}

}  // namespace claims::server
