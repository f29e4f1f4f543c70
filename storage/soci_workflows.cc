#include <soci/soci.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "storage/ids.h"
#include "storage/internal/codec.h"
#include "storage/internal/rows.h"
#include "storage/internal/soci_repository_impl.h"
#include "storage/internal/status_macros.h"
#include "storage/internal/strings.h"

namespace claims::storage::internal {

using workflow::Claim;
using workflow::Decision;

absl::Status SociRepository::SaveWorkflow(const WorkflowRecord& workflow) {
  if (workflow.name.empty() || workflow.version <= 0) {
    return absl::InvalidArgumentError("workflow needs a name and a positive version");
  }
  const int64_t create_time =
      EncodeTime(workflow.create_time == absl::InfinitePast() ? absl::Now() : workflow.create_time);
  auto body = [&](Conn& s) -> absl::Status {
    std::string sha;
    {
      std::string name, source;
      int64_t version = 0, time = 0;
      Stmt st(s);
      st.Into(name).Into(version).Into(sha).Into(source).Into(time);
      st.Use(workflow.name).Use(workflow.version);
      if (st.Run(kSelectWorkflow)) {
        if (sha == workflow.sha256_hex) return absl::OkStatus();
        return absl::AlreadyExistsError(absl::StrCat("workflow ", workflow.name, " version ",
                                                     workflow.version,
                                                     " is already published with another sha256"));
      }
    }
    Stmt ins(s);
    ins.Use(workflow.name).Use(workflow.version).Use(workflow.sha256_hex).Use(workflow.source);
    ins.Use(create_time);
    ins.Run(kInsertWorkflow);
    return absl::OkStatus();
  };
  absl::Status status = Transact("SaveWorkflow", TxMode::kWrite, body);
  if (absl::IsAlreadyExists(status)) {
    // Two publishers of the same version raced on the insert; identical content is still a
    // success, which the read in a second run settles.
    absl::Status again = Transact("SaveWorkflow", TxMode::kWrite, body);
    if (again.ok() || absl::IsAlreadyExists(again)) return again;
  }
  return status;
}

absl::StatusOr<WorkflowRecord> SociRepository::GetWorkflow(std::string_view name, int64_t version) {
  WorkflowRecord rec;
  bool found = false;
  const std::string name_value(name);
  RETURN_IF_ERROR(Transact("GetWorkflow", TxMode::kNone, [&](Conn& s) -> absl::Status {
    int64_t time = 0;
    Stmt st(s);
    st.Into(rec.name).Into(rec.version).Into(rec.sha256_hex).Into(rec.source).Into(time);
    st.Use(name_value).Use(version);
    found = st.Run(kSelectWorkflow);
    rec.create_time = DecodeTime(time);
    return absl::OkStatus();
  }));
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("workflow ", Av(name), " version ", version, " not found"));
  }
  return rec;
}

absl::StatusOr<std::vector<WorkflowRecord>> SociRepository::ListWorkflows() {
  std::vector<WorkflowRecord> out;
  RETURN_IF_ERROR(Transact("ListWorkflows", TxMode::kNone, [&](Conn& s) -> absl::Status {
    out.clear();
    WorkflowRecord rec;
    int64_t time = 0;
    Stmt st(s);
    st.Into(rec.name).Into(rec.version).Into(rec.sha256_hex).Into(rec.source).Into(time);
    for (bool more = st.Run(kSelectWorkflows); more; more = st.Fetch()) {
      rec.create_time = DecodeTime(time);
      out.push_back(rec);
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace claims::storage::internal
