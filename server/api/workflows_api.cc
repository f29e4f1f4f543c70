#include "server/api/workflows_api.h"

#include <map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/api/proto_mapping.h"
#include "server/api/request_limits.h"
#include "server/api/status_mapping.h"
#include "server/api/workflow_mapping.h"
#include "server/sha256.h"
#include "workflow/graph.h"
#include "workflow/version_change.h"

namespace claims::server {
namespace {

constexpr char kWorkflows[] = "workflows";
constexpr char kVersions[] = "versions";
// Diagnostics quoted in a refusal of a source; the rest are one ValidateWorkflow call away.
constexpr std::size_t kMaxDiagnosticsQuoted = 20;

std::string FormatWorkflowName(const std::string& id) { return absl::StrCat(kWorkflows, "/", id); }
std::string FormatVersionName(const std::string& id, int64_t version) {
  return absl::StrCat(kWorkflows, "/", id, "/", kVersions, "/", version);
}

absl::Status NotFound(const std::string& name) {
  return WithErrorInfo(absl::NotFoundError(absl::StrCat(name, " not found")), "WORKFLOW_NOT_FOUND",
                       {{"name", name}});
}

constexpr int kDefaultPageSize = 200;
constexpr int kMaxPageSize = 1000;

// INVALID_ARGUMENT naming `field` with the first diagnostics. The details travel in trailing
// metadata, which clients accept up to 8 KiB by default: the rest are one ValidateWorkflow
// call away, and the last violation says how many there are.
absl::Status DoesNotValidate(const std::string& field,
                             const std::vector<workflow::Diagnostic>& diagnostics) {
  std::vector<workflow::FieldViolation> violations;
  for (const auto& diagnostic : diagnostics) {
    if (violations.size() == kMaxDiagnosticsQuoted) {
      violations.push_back(
          {field, absl::StrCat(diagnostics.size() - kMaxDiagnosticsQuoted,
                               " more problems: ValidateWorkflow lists every one")});
      break;
    }
    violations.push_back({field, diagnostic.ToString()});
  }
  return InvalidArgument(
      absl::StrCat(field, " does not validate: ", diagnostics.size(), " problems"), violations,
      "INVALID_WORKFLOW");
}

absl::StatusOr<int> PageSize(int32_t requested) {
  if (requested == 0) return kDefaultPageSize;
  if (requested < 0 || requested > kMaxPageSize) {
    return InvalidArgument(
        absl::StrCat("page_size ", requested, " is not from 1 to ", kMaxPageSize),
        {{"page_size", "1 to 1000, or 0 for 200"}});
  }
  return requested;
}

// Live impact, migration and recomputing read and change the claims of every partner: only a
// reviewer of the workflow may, and the refusal names no claim.
absl::Status RequireReviewer(const Caller& caller, const workflow::Definition& definition,
                             const std::string& what) {
  for (const std::string& role : caller.actor.roles) {
    const workflow::RoleDef* def = definition.FindRole(role);
    if (def != nullptr && def->perspective == workflow::Perspective::kReviewer) {
      return absl::OkStatus();
    }
  }
  return WithErrorInfo(absl::PermissionDeniedError(absl::StrCat(
                           what, " needs a reviewer role of workflow ", definition.name)),
                       "REVIEWER_ROLE_REQUIRED",
                       {{"workflow", FormatWorkflowName(definition.name)}});
}

bool HasPayload(const absl::Status& status, const char* type) {
  return status.GetPayload(absl::StrCat("type.googleapis.com/", type)).has_value();
}

// WorkflowChanges' errors as the API documents them: every refusal with its ErrorInfo, a bad
// page token named in a BadRequest.
absl::Status ChangeError(absl::Status status, const std::string& workflow_name) {
  if (HasPayload(status, "google.rpc.ErrorInfo")) return status;
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return InvalidArgument(message, {{"page_token", message}}, "INVALID_PAGE_TOKEN");
    case absl::StatusCode::kNotFound:
      return WithErrorInfo(std::move(status), "WORKFLOW_NOT_FOUND", {{"name", workflow_name}});
    default:
      return status;
  }
}

void ToClaimImpact(const ClaimChange& change, v1::ClaimImpact* out) {
  out->set_claim(absl::StrCat("claims/", change.claim_id));
  out->set_partner_id(change.partner_id);
  out->set_state(change.state);
  out->set_new_state(change.new_state);
  out->set_stranded(change.stranded);
  for (const workflow::DeadlineMove& move : change.moves) {
    ToProto(move, out->add_deadline_moves());
  }
}

}  // namespace

absl::StatusOr<WorkflowsApi::VersionName> WorkflowsApi::ParseName(const std::string& name,
                                                                  const char* field,
                                                                  bool version_required) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  VersionName out;
  const bool shape =
      (parts.size() == 4 || (parts.size() == 2 && !version_required)) && parts[0] == kWorkflows &&
      !parts[1].empty() &&
      (parts.size() == 2 ||
       (parts[2] == kVersions && absl::SimpleAtoi(parts[3], &out.version) && out.version > 0));
  if (!shape && version_required) {
    return InvalidArgument(
        absl::StrCat("'", QuotePrefix(name), "' is not workflows/{workflow}/versions/{version}"),
        {{field, "must be workflows/{workflow}/versions/{version}"}});
  }
  if (!shape) {
    return InvalidArgument(
        absl::StrCat("'", QuotePrefix(name), "' is not workflows/{workflow}[/versions/{version}]"),
        {{field, "must be workflows/{workflow} or workflows/{workflow}/versions/{version}"}});
  }
  out.workflow = parts[1];
  return out;
}

absl::StatusOr<std::pair<storage::WorkflowRecord, std::shared_ptr<const workflow::Engine>>>
WorkflowsApi::Find(const VersionName& name) {
  int64_t version = name.version;
  if (version == 0) {
    auto latest = workflows_.Latest(name.workflow);
    if (absl::IsNotFound(latest.status())) return NotFound(FormatWorkflowName(name.workflow));
    if (!latest.ok()) return latest.status();
    version = (*latest)->definition().version;
  }
  absl::StatusOr<storage::WorkflowRecord> record =
      workflows_.PublishedVersion(name.workflow, version);
  if (absl::IsNotFound(record.status())) return NotFound(FormatVersionName(name.workflow, version));
  if (!record.ok()) return record.status();
  auto engine = workflows_.Get(name.workflow, version);
  if (!engine.ok()) return engine.status();
  return std::make_pair(*std::move(record), *std::move(engine));
}

absl::StatusOr<v1::ListWorkflowsResponse> WorkflowsApi::ListWorkflows(
    const Caller&, const v1::ListWorkflowsRequest& req) {
  if (absl::Status limits = CheckRequestLimits(req, 0); !limits.ok()) return limits;
  absl::StatusOr<std::vector<storage::WorkflowRecord>> published = workflows_.Published();
  if (!published.ok()) return published.status();
  // Ascending by name and version: group, then list each group's versions newest first.
  std::map<std::string, std::vector<const storage::WorkflowRecord*>> by_name;
  for (const auto& record : *published) by_name[record.name].push_back(&record);
  v1::ListWorkflowsResponse out;
  for (const auto& [id, records] : by_name) {
    v1::WorkflowSummary* summary = out.add_workflows();
    summary->set_name(FormatWorkflowName(id));
    summary->set_id(id);
    summary->set_is_default(id == default_workflow_);
    if (auto latest = workflows_.Latest(id); latest.ok()) {
      summary->set_description((*latest)->definition().description);
    }
    for (auto it = records.rbegin(); it != records.rend(); ++it) {
      v1::WorkflowVersion* version = summary->add_versions();
      version->set_version((*it)->version);
      version->set_sha256((*it)->sha256_hex);
    }
  }
  return out;
}

absl::StatusOr<v1::Workflow> WorkflowsApi::GetWorkflow(const Caller&,
                                                       const v1::GetWorkflowRequest& req) {
  if (absl::Status limits = CheckRequestLimits(req, 0); !limits.ok()) return limits;
  absl::StatusOr<VersionName> name = ParseName(req.name(), "name");
  if (!name.ok()) return name.status();
  auto found = Find(*name);
  if (!found.ok()) return found.status();
  const auto& [record, engine] = *found;
  v1::Workflow out;
  ToProto(engine->definition(), &out);
  out.set_name(FormatVersionName(record.name, record.version));
  out.set_sha256(record.sha256_hex);
  out.set_is_default(record.name == default_workflow_);
  if (record.create_time != absl::InfinitePast()) {
    ToProto(record.create_time, out.mutable_publish_time());
  }
  if (req.view() == v1::WORKFLOW_VIEW_FULL) out.set_source(record.source);
  return out;
}

absl::StatusOr<v1::ValidateWorkflowResponse> WorkflowsApi::ValidateWorkflow(
    const Caller&, const v1::ValidateWorkflowRequest& req) {
  if (absl::Status limits = CheckRequestLimits(req, 0); !limits.ok()) return limits;
  if (req.source().empty()) {
    return InvalidArgument("source is empty", {{"source", "the YAML text to validate"}});
  }
  const std::string file_name = req.file_name().empty() ? "workflow.yaml" : req.file_name();
  workflow::LoadResult result = workflows_.Validate(req.source(), file_name);
  v1::ValidateWorkflowResponse out;
  out.set_valid(result.ok());
  for (const auto& diagnostic : result.diagnostics) ToProto(diagnostic, out.add_diagnostics());
  if (result.ok()) {
    out.set_id(result.definition->name);
    out.set_version(result.definition->version);
  }
  return out;
}

absl::StatusOr<v1::RenderGraphResponse> WorkflowsApi::RenderGraph(
    const Caller&, const v1::RenderGraphRequest& req) {
  if (absl::Status limits = CheckRequestLimits(req, 0); !limits.ok()) return limits;
  if (req.format() != v1::GRAPH_FORMAT_DOT && req.format() != v1::GRAPH_FORMAT_MERMAID) {
    return InvalidArgument("format is required", {{"format", "GRAPH_FORMAT_DOT or _MERMAID"}});
  }
  std::shared_ptr<const workflow::Definition> definition;
  std::shared_ptr<const workflow::Engine> engine;
  switch (req.workflow_case()) {
    case v1::RenderGraphRequest::kName: {
      absl::StatusOr<VersionName> name = ParseName(req.name(), "name");
      if (!name.ok()) return name.status();
      auto found = Find(*name);
      if (!found.ok()) return found.status();
      engine = found->second;
      break;
    }
    case v1::RenderGraphRequest::kSource: {
      workflow::LoadResult result = workflows_.Validate(req.source(), "workflow.yaml");
      if (!result.ok()) return DoesNotValidate("source", result.diagnostics);
      definition = result.definition;
      break;
    }
    case v1::RenderGraphRequest::WORKFLOW_NOT_SET:
      return InvalidArgument("name or source is required",
                             {{"name", "a loaded workflow, or source: YAML text"}});
  }
  const workflow::Definition& def = engine ? engine->definition() : *definition;
  v1::RenderGraphResponse out;
  out.set_format(req.format());
  out.set_graph(req.format() == v1::GRAPH_FORMAT_DOT ? workflow::RenderDot(def)
                                                     : workflow::RenderMermaid(def));
  return out;
}

absl::StatusOr<WorkflowsApi::DiffSide> WorkflowsApi::ResolveDiffSide(bool is_name,
                                                                     const std::string& value,
                                                                     const char* name_field,
                                                                     const char* source_field) {
  DiffSide side;
  if (is_name) {
    absl::StatusOr<VersionName> name = ParseName(value, name_field, /*version_required=*/true);
    if (!name.ok()) return name.status();
    auto found = Find(*name);
    if (!found.ok()) return found.status();
    side.engine = found->second;
    side.file = FormatVersionName(name->workflow, name->version);
    return side;
  }
  if (value.empty()) {
    return InvalidArgument(absl::StrCat(source_field, " is empty"),
                           {{source_field, "the YAML text of a workflow version"}});
  }
  side.file = source_field;
  workflow::LoadResult result = workflows_.Validate(value, side.file);
  if (!result.ok()) return DoesNotValidate(source_field, result.diagnostics);
  side.definition = result.definition;
  side.source = value;
  return side;
}

absl::StatusOr<std::shared_ptr<const workflow::Engine>> WorkflowsApi::PublishedBefore(
    const DiffSide& before) {
  if (before.engine) return before.engine;
  // The running claims are on what was published: a source stands for that version only when
  // it is its text, or the impact reported would be of a definition no claim runs on.
  const workflow::Definition& definition = *before.definition;
  const std::string name = FormatVersionName(definition.name, definition.version);
  absl::StatusOr<storage::WorkflowRecord> record =
      workflows_.PublishedVersion(definition.name, definition.version);
  if (absl::IsNotFound(record.status())) {
    return WithErrorInfo(
        absl::NotFoundError(absl::StrCat(
            "against_live needs the running claims of a published version; before_source is ", name,
            ", which is not published")),
        "WORKFLOW_NOT_FOUND", {{"name", name}});
  }
  if (!record.ok()) return record.status();
  if (record->sha256_hex != Sha256Hex(before.source)) {
    return InvalidArgument(
        absl::StrCat("before_source declares ", name,
                     " but is not its published text; name the published version instead"),
        {{"before_source", absl::StrCat("with against_live: the text of ", name,
                                        " as published, or use "
                                        "before_name")}},
        "SOURCE_NOT_PUBLISHED");
  }
  return workflows_.Get(definition.name, definition.version);
}

absl::StatusOr<v1::DiffWorkflowVersionsResponse> WorkflowsApi::DiffWorkflowVersions(
    const Caller& caller, const v1::DiffWorkflowVersionsRequest& req) {
  if (absl::Status limits = CheckRequestLimits(req, 0); !limits.ok()) return limits;
  if (req.before_case() == v1::DiffWorkflowVersionsRequest::BEFORE_NOT_SET) {
    return InvalidArgument("before_name or before_source is required",
                           {{"before_name", "the old version: published, or YAML text"}});
  }
  if (req.after_case() == v1::DiffWorkflowVersionsRequest::AFTER_NOT_SET) {
    return InvalidArgument("after_name or after_source is required",
                           {{"after_name", "the new version: published, or YAML text"}});
  }
  absl::StatusOr<int> page_size = PageSize(req.page_size());
  if (!page_size.ok()) return page_size.status();
  if (!req.against_live() && !req.page_token().empty()) {
    return InvalidArgument("page_token pages the running claims: it needs against_live",
                           {{"page_token", "only with against_live"}}, "INVALID_PAGE_TOKEN");
  }
  const bool before_is_name = req.before_case() == v1::DiffWorkflowVersionsRequest::kBeforeName;
  absl::StatusOr<DiffSide> before =
      ResolveDiffSide(before_is_name, before_is_name ? req.before_name() : req.before_source(),
                      "before_name", "before_source");
  if (!before.ok()) return before.status();
  const bool after_is_name = req.after_case() == v1::DiffWorkflowVersionsRequest::kAfterName;
  absl::StatusOr<DiffSide> after =
      ResolveDiffSide(after_is_name, after_is_name ? req.after_name() : req.after_source(),
                      "after_name", "after_source");
  if (!after.ok()) return after.status();
  const workflow::Definition& old_definition = before->get();
  const workflow::Definition& new_definition = after->get();
  if (old_definition.name != new_definition.name) {
    return InvalidArgument(
        absl::StrCat("before is workflow ", old_definition.name, " and after is ",
                     new_definition.name, ": only versions of one workflow compare"),
        {{after_is_name ? "after_name" : "after_source",
          absl::StrCat("a version of ", old_definition.name)}},
        "WORKFLOW_MISMATCH");
  }

  v1::DiffWorkflowVersionsResponse out;
  v1::DefinitionDiff* diff = out.mutable_diff();
  ToProto(workflow::DiffDefinitions(old_definition, new_definition), diff);
  diff->set_workflow_id(old_definition.name);
  diff->set_before_version(old_definition.version);
  diff->set_after_version(new_definition.version);
  if (new_definition.migrate_from.has_value()) {
    out.set_migration_declared(true);
    for (const workflow::Diagnostic& problem :
         workflow::CheckMigration(old_definition, new_definition, after->file)) {
      ToProto(problem, out.add_migration_problems());
    }
  }
  if (!req.against_live()) return out;

  // Before anything about a claim is read.
  if (absl::Status allowed = RequireReviewer(caller, old_definition, "against_live");
      !allowed.ok()) {
    return allowed;
  }
  absl::StatusOr<std::shared_ptr<const workflow::Engine>> published = PublishedBefore(*before);
  if (!published.ok()) return published.status();
  absl::StatusOr<ClaimChangePage> page =
      changes_.LiveImpact((*published)->definition(), new_definition, *page_size, req.page_token());
  if (!page.ok()) {
    return ChangeError(page.status(),
                       FormatVersionName(old_definition.name, old_definition.version));
  }
  v1::LiveImpact* live = out.mutable_live();
  live->set_claims_examined(page->examined);
  live->set_claims_stranded(page->stranded);
  live->set_claims_with_moved_deadlines(page->with_moved_deadlines);
  for (const ClaimChange& change : page->claims) ToClaimImpact(change, live->add_claims());
  live->set_next_page_token(page->next_page_token);
  return out;
}

absl::StatusOr<WorkflowsApi::RunningChangeTarget> WorkflowsApi::ResolveRunningChange(
    const Caller& caller, const std::string& name, int32_t page_size, const char* rpc) {
  RunningChangeTarget target;
  absl::StatusOr<VersionName> parsed = ParseName(name, "name", /*version_required=*/true);
  if (!parsed.ok()) return parsed.status();
  target.name = *std::move(parsed);
  absl::StatusOr<int> size = PageSize(page_size);
  if (!size.ok()) return size.status();
  target.page_size = *size;
  auto found = Find(target.name);
  if (!found.ok()) return found.status();
  if (absl::Status allowed = RequireReviewer(caller, found->second->definition(), rpc);
      !allowed.ok()) {
    return allowed;
  }
  return target;
}

absl::StatusOr<v1::MigrateClaimsResponse> WorkflowsApi::MigrateClaims(
    const Caller& caller, const v1::MigrateClaimsRequest& req) {
  if (absl::Status limits = CheckRequestLimits(req, 0); !limits.ok()) return limits;
  absl::StatusOr<RunningChangeTarget> target =
      ResolveRunningChange(caller, req.name(), req.page_size(), "MigrateClaims");
  if (!target.ok()) return target.status();
  const VersionName& name = target->name;
  absl::StatusOr<MigrationRun> run =
      changes_.Migrate(name.workflow, name.version, req.validate_only(), target->page_size);
  if (!run.ok()) return ChangeError(run.status(), FormatVersionName(name.workflow, name.version));
  v1::MigrateClaimsResponse out;
  out.set_from_version(run->from_version);
  out.set_to_version(run->to_version);
  out.set_claims_migrated(run->migrated);
  out.set_claims_skipped(run->skipped);
  out.set_remaining_claims(run->remaining);
  for (const ClaimChange& change : run->claims) ToClaimImpact(change, out.add_claims());
  return out;
}

absl::StatusOr<v1::RecomputeDeadlinesResponse> WorkflowsApi::RecomputeDeadlines(
    const Caller& caller, const v1::RecomputeDeadlinesRequest& req) {
  if (absl::Status limits = CheckRequestLimits(req, 0); !limits.ok()) return limits;
  absl::StatusOr<RunningChangeTarget> target =
      ResolveRunningChange(caller, req.name(), req.page_size(), "RecomputeDeadlines");
  if (!target.ok()) return target.status();
  const VersionName& name = target->name;
  absl::StatusOr<ClaimChangePage> page = changes_.RecomputeDeadlines(
      name.workflow, name.version, req.dry_run(), target->page_size, req.page_token());
  if (!page.ok()) return ChangeError(page.status(), FormatVersionName(name.workflow, name.version));
  v1::RecomputeDeadlinesResponse out;
  out.set_claims_examined(page->examined);
  out.set_claims_changed(req.dry_run() ? page->with_moved_deadlines : page->changed);
  out.set_claims_skipped(page->skipped);
  for (const ClaimChange& change : page->claims) ToClaimImpact(change, out.add_claims());
  out.set_next_page_token(page->next_page_token);
  return out;
}

}  // namespace claims::server
