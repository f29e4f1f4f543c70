#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "claims/v1/workflow_service.pb.h"
#include "server/api/caller.h"
#include "server/runtime/workflow_changes.h"
#include "server/runtime/workflow_registry.h"

namespace claims::server {

// What the Workflows API does, apart from the transport: the loaded workflows as typed
// messages, validation of YAML text without side effects, their diagrams, and what a new
// version or a changed calendar does to running claims. Reading workflows is open to every
// authenticated caller; whatever reads or changes the claims of every partner (against_live,
// MigrateClaims, RecomputeDeadlines) needs a reviewer role of the workflow concerned. Errors are
// absl::Status with google.rpc payloads (status_mapping.h). Thread-safe.
class WorkflowsApi {
 public:
  WorkflowsApi(WorkflowRegistry& workflows, WorkflowChanges& changes, std::string default_workflow)
      : workflows_(workflows), changes_(changes), default_workflow_(std::move(default_workflow)) {}

  absl::StatusOr<v1::ListWorkflowsResponse> ListWorkflows(const Caller& caller,
                                                          const v1::ListWorkflowsRequest& req);
  absl::StatusOr<v1::Workflow> GetWorkflow(const Caller& caller, const v1::GetWorkflowRequest& req);
  absl::StatusOr<v1::ValidateWorkflowResponse> ValidateWorkflow(
      const Caller& caller, const v1::ValidateWorkflowRequest& req);
  absl::StatusOr<v1::RenderGraphResponse> RenderGraph(const Caller& caller,
                                                      const v1::RenderGraphRequest& req);
  absl::StatusOr<v1::DiffWorkflowVersionsResponse> DiffWorkflowVersions(
      const Caller& caller, const v1::DiffWorkflowVersionsRequest& req);
  absl::StatusOr<v1::MigrateClaimsResponse> MigrateClaims(const Caller& caller,
                                                          const v1::MigrateClaimsRequest& req);
  absl::StatusOr<v1::RecomputeDeadlinesResponse> RecomputeDeadlines(
      const Caller& caller, const v1::RecomputeDeadlinesRequest& req);

 private:
  struct VersionName {
    std::string workflow;
    int64_t version = 0;  // 0: the newest
  };
  // INVALID_ARGUMENT unless `name` is workflows/{workflow}[/versions/{version}]; with
  // `version_required`, only the second form.
  static absl::StatusOr<VersionName> ParseName(const std::string& name, const char* field,
                                               bool version_required = false);
  // The published record and engine `name` stands for; NOT_FOUND if none.
  absl::StatusOr<std::pair<storage::WorkflowRecord, std::shared_ptr<const workflow::Engine>>> Find(
      const VersionName& name);

  // What a request that changes one published version's running claims names, checked in the
  // order every such RPC checks it: the name, the page size, that the version is published,
  // then that `caller` reviews it (so a partner learns nothing of versions it may not touch).
  struct RunningChangeTarget {
    VersionName name;
    int page_size = 0;
  };
  absl::StatusOr<RunningChangeTarget> ResolveRunningChange(const Caller& caller,
                                                           const std::string& name,
                                                           int32_t page_size, const char* rpc);

  // One side of a diff: a published version (engine set) or YAML text that validated
  // (definition and source set).
  struct DiffSide {
    std::shared_ptr<const workflow::Engine> engine;
    std::shared_ptr<const workflow::Definition> definition;
    std::string source;
    std::string file;  // what diagnostics about this side name
    const workflow::Definition& get() const { return engine ? engine->definition() : *definition; }
  };
  absl::StatusOr<DiffSide> ResolveDiffSide(bool is_name, const std::string& value,
                                           const char* name_field, const char* source_field);
  // The published engine the running claims of `before` are on: `before` itself, or for a
  // source the published version it names when its text is that version's.
  absl::StatusOr<std::shared_ptr<const workflow::Engine>> PublishedBefore(const DiffSide& before);

  WorkflowRegistry& workflows_;
  WorkflowChanges& changes_;
  const std::string default_workflow_;
};

}  // namespace claims::server
