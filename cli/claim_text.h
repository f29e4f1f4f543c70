#pragma once

#include <iosfwd>
#include <string>

#include "claims/v1/claims_service.pb.h"

namespace claims::cli {

// How claims read in `--output text`. Deadlines show as the server words them
// (Claim.next_deadline_display, Timer.due_display: "end of Thu 24 Dec 2026,
// America/Los_Angeles") next to the exact instant.

// One field a line, then its timers and the actions the caller may take with what they need.
void PrintClaimText(const v1::Claim& claim, std::ostream& out);
// A table: one claim a row, then the next page token if there is one.
void PrintClaimListText(const v1::ListClaimsResponse& list, std::ostream& out);
// The claim's summary, then tables of its history, comments and evidence.
void PrintHistoryText(const v1::ClaimHistory& history, std::ostream& out);
void PrintCommentText(const v1::Comment& comment, std::ostream& out);
void PrintEvidenceText(const v1::Evidence& evidence, std::ostream& out);
// One line an event, its cursor last so a script can resume from the last line:
//   SEQUENCE TIME TYPE CLAIM partition=P [key=value...] cursor=CURSOR
std::string EventLine(const v1::Event& event);

}  // namespace claims::cli
