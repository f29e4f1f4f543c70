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

absl::StatusOr<std::vector<workflow::Event>> SociRepository::ReadEvents(int64_t after_sequence,
                                                                        int max_events) {
  if (max_events <= 0) return absl::InvalidArgumentError("max_events must be positive");
  std::vector<workflow::Event> events;
  RETURN_IF_ERROR(Transact("ReadEvents", TxMode::kNone, [&](Conn& s) -> absl::Status {
    events.clear();
    workflow::Event ev;
    int64_t time = 0;
    std::string attributes;
    Stmt st(s);
    st.Into(ev.sequence).Into(ev.type).Into(ev.claim_id).Into(ev.partner_id).Into(time);
    st.Into(attributes).Use(after_sequence).Use(max_events);
    for (bool more = st.Run(kSelectEvents); more; more = st.Fetch()) {
      ev.time = DecodeTime(time);
      ASSIGN_OR_RETURN(ev.attributes, DecodeAttributes(attributes));
      events.push_back(ev);
    }
    return absl::OkStatus();
  }));
  return events;
}

}  // namespace claims::storage::internal
