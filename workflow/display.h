#pragma once

// How the definition reads to people: deadlines in the calendar's zone, durations and guards in
// words. For API display fields and text output; nothing here decides anything.

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "workflow/business_calendar.h"
#include "workflow/definition.h"

namespace claims::workflow {

// `due` as people read it in `calendar`'s zone. A business-day deadline (`unit` business days)
// that falls at the end of a business day (00:00 local of the next day, as
// BusinessCalendar::Add gives) reads as that day: "end of Thu 24 Dec 2026,
// America/Los_Angeles". Anything else reads as its local time:
// "Mon 2 Mar 2026 09:00 EST, America/New_York". Empty for an infinite `due`.
std::string DeadlineDisplay(const BusinessCalendar& calendar, absl::Time due, DurationUnit unit);

// The YAML key of a guard kind ("min_evidence", "within", ...).
std::string_view GuardKindId(GuardKind kind);

// "5 business days", "1 day", "48 hours".
std::string DurationDisplay(const WorkflowDuration& duration);

// The condition a guard checks, in words: "at least 1 evidence document", "within 30 days of
// entering the state (calendar business)", "the last rejection_reasons include none of
// partner_request", "customer is set", "taken fewer than 1 time (dispute)".
std::string GuardDisplay(const GuardDef& guard);

}  // namespace claims::workflow
