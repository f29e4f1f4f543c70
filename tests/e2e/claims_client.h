#pragma once

// A test client for the Claims API: one generated stub on a real loopback channel, calls as a
// named actor, each with a deadline.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "claims/v1/claims_service.grpc.pb.h"

namespace claims::testing {

// A CreateClaimRequest for a valid CPOR claim of `partner`: customer, contacts, product and
// activity as the shipped workflow wants them.
inline v1::CreateClaimRequest SampleClaimRequest(const std::string& partner = "contoso",
                                                 const std::string& request_id = "") {
  v1::CreateClaimRequest request;
  request.set_parent("partners/" + partner);
  request.set_request_id(request_id);
  v1::Claim* claim = request.mutable_claim();
  claim->set_mpn_id("1234567");
  claim->mutable_customer()->set_tenant_id("6f1c2a9e-0000-4000-8000-000000000001");
  claim->mutable_customer()->set_name("Fabrikam");
  claim->mutable_customer_contact()->set_name("Fay");
  claim->mutable_customer_contact()->set_email("fay@fabrikam.example");
  claim->mutable_partner_contact()->set_name("Pat");
  claim->mutable_partner_contact()->set_email("pat@contoso.example");
  claim->add_products("dynamics_365_sales");
  claim->set_activity("revenue_association");
  return request;
}

struct Identity {
  std::string actor;
  std::string roles;  // comma separated
  std::string partner;
  std::string customer_tenant;
};

inline Identity Partner(const std::string& partner, const std::string& actor = "pat") {
  return {actor, "billing_admin", partner, ""};
}
inline Identity Reviewer(const std::string& actor = "rita") { return {actor, "reviewer", "", ""}; }
inline Identity Customer(const std::string& tenant) { return {"cora", "customer", "", tenant}; }

class ClaimsClient {
 public:
  explicit ClaimsClient(std::shared_ptr<grpc::Channel> channel)
      : stub_(v1::Claims::NewStub(std::move(channel))) {}

  template <typename Request, typename Response>
  grpc::Status Call(const Identity& who, const Request& request, Response* response,
                    grpc::Status (v1::Claims::Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!who.actor.empty()) context.AddMetadata("x-claims-actor", who.actor);
    if (!who.roles.empty()) context.AddMetadata("x-claims-roles", who.roles);
    if (!who.partner.empty()) context.AddMetadata("x-claims-partner", who.partner);
    if (!who.customer_tenant.empty()) {
      context.AddMetadata("x-claims-customer-tenant", who.customer_tenant);
    }
    return (stub_.get()->*method)(&context, request, response);
  }

  grpc::Status Create(const Identity& who, const v1::CreateClaimRequest& request,
                      v1::Claim* claim) {
    return Call(who, request, claim, &v1::Claims::Stub::CreateClaim);
  }
  grpc::Status Get(const Identity& who, const std::string& name, v1::Claim* claim) {
    v1::GetClaimRequest request;
    request.set_name(name);
    return Call(who, request, claim, &v1::Claims::Stub::GetClaim);
  }
  grpc::Status Act(const Identity& who, const std::string& name, const std::string& action,
                   v1::Claim* claim, std::vector<std::string> reasons = {},
                   const std::string& comment = "") {
    v1::PerformActionRequest request;
    request.set_name(name);
    request.set_action(action);
    for (auto& reason : reasons) request.add_reasons(reason);
    request.set_comment(comment);
    return Call(who, request, claim, &v1::Claims::Stub::PerformAction);
  }
  grpc::Status Act(const Identity& who, const v1::PerformActionRequest& request, v1::Claim* claim) {
    return Call(who, request, claim, &v1::Claims::Stub::PerformAction);
  }
  grpc::Status AddEvidence(const Identity& who, const std::string& claim_name,
                           const std::string& file_name, const std::string& content,
                           v1::Evidence* evidence) {
    v1::AddEvidenceRequest request;
    request.set_parent(claim_name);
    request.mutable_evidence()->set_file_name(file_name);
    request.mutable_evidence()->set_content_type("application/pdf");
    request.mutable_evidence()->set_content(content);
    return Call(who, request, evidence, &v1::Claims::Stub::AddEvidence);
  }
  grpc::Status AddComment(const Identity& who, const std::string& claim_name,
                          const std::string& text, v1::Comment::Visibility visibility,
                          v1::Comment* comment) {
    v1::AddCommentRequest request;
    request.set_parent(claim_name);
    request.mutable_comment()->set_text(text);
    request.mutable_comment()->set_visibility(visibility);
    return Call(who, request, comment, &v1::Claims::Stub::AddComment);
  }
  grpc::Status Update(const Identity& who, const v1::UpdateClaimRequest& request,
                      v1::Claim* claim) {
    return Call(who, request, claim, &v1::Claims::Stub::UpdateClaim);
  }
  grpc::Status List(const Identity& who, const v1::ListClaimsRequest& request,
                    v1::ListClaimsResponse* response) {
    return Call(who, request, response, &v1::Claims::Stub::ListClaims);
  }
  grpc::Status History(const Identity& who, const std::string& name, v1::ClaimHistory* history) {
    v1::GetClaimHistoryRequest request;
    request.set_name(name);
    return Call(who, request, history, &v1::Claims::Stub::GetClaimHistory);
  }
  grpc::Status History(const Identity& who, const v1::GetClaimHistoryRequest& request,
                       v1::ClaimHistory* history) {
    return Call(who, request, history, &v1::Claims::Stub::GetClaimHistory);
  }

 private:
  std::unique_ptr<v1::Claims::Stub> stub_;
};

}  // namespace claims::testing
