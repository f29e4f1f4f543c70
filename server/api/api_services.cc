#include "server/api/api_services.h"

#include <cstdlib>
#include <string>

#include "spdlog/spdlog.h"

namespace claims::server {
namespace {

// The index gRPC's generated service gives `method`: the order of the .proto, as in the
// descriptor. Aborts on a name the service lacks (a typo here, not an input).
int MethodIndex(const google::protobuf::ServiceDescriptor& service, const char* method) {
  const google::protobuf::MethodDescriptor* descriptor = service.FindMethodByName(method);
  if (descriptor == nullptr) {
    spdlog::critical("{} has no method {}", service.full_name(), method);
    std::abort();
  }
  return descriptor->index();
}

// Every method of `service` must be registered, or the synchronous base class would serve it.
void CheckComplete(const google::protobuf::ServiceDescriptor& service, int registered) {
  if (registered != service.method_count()) {
    spdlog::critical("{}: {} of {} methods registered", service.full_name(), registered,
                     service.method_count());
    std::abort();
  }
}

}  // namespace

WorkflowsService::WorkflowsService(WorkflowsApi& api, UnaryCalls& calls) {
  const auto& service = *v1::ListWorkflowsRequest::descriptor()->file()->service(0);
  MarkMethodRawCallback(MethodIndex(service, "ListWorkflows"),
                        calls.Handler<v1::ListWorkflowsRequest, v1::ListWorkflowsResponse>(
                            [&api](const Caller& caller, const v1::ListWorkflowsRequest& req) {
                              return api.ListWorkflows(caller, req);
                            }));
  MarkMethodRawCallback(MethodIndex(service, "GetWorkflow"),
                        calls.Handler<v1::GetWorkflowRequest, v1::Workflow>(
                            [&api](const Caller& caller, const v1::GetWorkflowRequest& req) {
                              return api.GetWorkflow(caller, req);
                            }));
  MarkMethodRawCallback(MethodIndex(service, "ValidateWorkflow"),
                        calls.Handler<v1::ValidateWorkflowRequest, v1::ValidateWorkflowResponse>(
                            [&api](const Caller& caller, const v1::ValidateWorkflowRequest& req) {
                              return api.ValidateWorkflow(caller, req);
                            }));
  MarkMethodRawCallback(MethodIndex(service, "RenderGraph"),
                        calls.Handler<v1::RenderGraphRequest, v1::RenderGraphResponse>(
                            [&api](const Caller& caller, const v1::RenderGraphRequest& req) {
                              return api.RenderGraph(caller, req);
                            }));
  MarkMethodRawCallback(
      MethodIndex(service, "DiffWorkflowVersions"),
      calls.Handler<v1::DiffWorkflowVersionsRequest, v1::DiffWorkflowVersionsResponse>(
          [&api](const Caller& caller, const v1::DiffWorkflowVersionsRequest& req) {
            return api.DiffWorkflowVersions(caller, req);
          }));
  MarkMethodRawCallback(MethodIndex(service, "MigrateClaims"),
                        calls.Handler<v1::MigrateClaimsRequest, v1::MigrateClaimsResponse>(
                            [&api](const Caller& caller, const v1::MigrateClaimsRequest& req) {
                              return api.MigrateClaims(caller, req);
                            }));
  MarkMethodRawCallback(
      MethodIndex(service, "RecomputeDeadlines"),
      calls.Handler<v1::RecomputeDeadlinesRequest, v1::RecomputeDeadlinesResponse>(
          [&api](const Caller& caller, const v1::RecomputeDeadlinesRequest& req) {
            return api.RecomputeDeadlines(caller, req);
          }));
  CheckComplete(service, 7);
}

TestClockService::TestClockService(TestClockApi& api, UnaryCalls& calls) {
  const auto& service = *v1::GetTimeRequest::descriptor()->file()->service(0);
  MarkMethodRawCallback(MethodIndex(service, "GetTime"),
                        calls.Handler<v1::GetTimeRequest, v1::ClockTime>(
                            [&api](const Caller& caller, const v1::GetTimeRequest& req) {
                              return api.GetTime(caller, req);
                            }));
  MarkMethodRawCallback(MethodIndex(service, "SetTime"),
                        calls.Handler<v1::SetTimeRequest, v1::ClockTime>(
                            [&api](const Caller& caller, const v1::SetTimeRequest& req) {
                              return api.SetTime(caller, req);
                            }));
  MarkMethodRawCallback(MethodIndex(service, "AdvanceTime"),
                        calls.Handler<v1::AdvanceTimeRequest, v1::ClockTime>(
                            [&api](const Caller& caller, const v1::AdvanceTimeRequest& req) {
                              return api.AdvanceTime(caller, req);
                            }));
  CheckComplete(service, 3);
}

}  // namespace claims::server
