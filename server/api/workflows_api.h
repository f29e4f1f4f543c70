#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "claims/v1/workflow_service.pb.h"
#include "server/api/caller.h"
#include "server/runtime/workflow_registry.h"

namespace claims::server {

// What the Workflows API does, apart from the transport: the loaded workflows as typed
// messages, validation of YAML text without side effects, and their diagrams. Every
// authenticated caller may use it. Errors are absl::Status with google.rpc payloads
// (status_mapping.h). Thread-safe.
class WorkflowsApi {
 public:
  WorkflowsApi(WorkflowRegistry& workflows, std::string default_workflow)
      : workflows_(workflows), default_workflow_(std::move(default_workflow)) {}

  absl::StatusOr<v1::ListWorkflowsResponse> ListWorkflows(const Caller& caller,
                                                          const v1::ListWorkflowsRequest& req);
  absl::StatusOr<v1::Workflow> GetWorkflow(const Caller& caller, const v1::GetWorkflowRequest& req);
  absl::StatusOr<v1::ValidateWorkflowResponse> ValidateWorkflow(
      const Caller& caller, const v1::ValidateWorkflowRequest& req);
  absl::StatusOr<v1::RenderGraphResponse> RenderGraph(const Caller& caller,
                                                      const v1::RenderGraphRequest& req);

 private:
  struct VersionName {
    std::string workflow;
    int64_t version = 0;  // 0: the newest
  };
  // INVALID_ARGUMENT unless `name` is workflows/{workflow}[/versions/{version}].
  static absl::StatusOr<VersionName> ParseName(const std::string& name, const char* field);
  // The published record and engine `name` stands for; NOT_FOUND if none.
  absl::StatusOr<std::pair<storage::WorkflowRecord, std::shared_ptr<const workflow::Engine>>> Find(
      const VersionName& name);

  WorkflowRegistry& workflows_;
  const std::string default_workflow_;
};

}  // namespace claims::server
