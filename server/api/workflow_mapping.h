#pragma once

// The workflow definition on the wire (claims.v1.Workflow and the parts of a Claim that come
// from its workflow: what each available action needs, and deadlines as people read them).

#include "claims/v1/claims_service.pb.h"
#include "claims/v1/workflow.pb.h"
#include "claims/v1/workflow_service.pb.h"
#include "workflow/claim.h"
#include "workflow/definition.h"
#include "workflow/loader.h"
#include "workflow/version_change.h"

namespace claims::server {

// The typed definition; the caller adds what the definition does not hold (name, sha256,
// is_default, publish_time, source).
void ToProto(const workflow::Definition& definition, v1::Workflow* out);

// What a transition asks of the caller, with the reason codes it accepts and their display
// names resolved from the catalog.
void ToProto(const workflow::Definition& definition, const workflow::TransitionInputs& inputs,
             v1::ActionInputs* out);

// Fills out->actions for out->available_actions (same order) and the display fields of the
// claim's deadlines (Claim.next_deadline_display, Timer.due_display), from `claim`'s workflow.
// `out` already holds ToProto(claim, ...).
void AddWorkflowViews(const workflow::Definition& definition, const workflow::Claim& claim,
                      v1::Claim* out);

void ToProto(const workflow::Diagnostic& diagnostic, v1::Diagnostic* out);

// The definition-level difference of two versions of one workflow; the caller sets
// workflow_id and the two versions.
void ToProto(const workflow::DefinitionDiff& diff, v1::DefinitionDiff* out);

// One timer's move. due_before/due_after stay unset for a timer that is not armed on that side,
// and shift_seconds is then 0.
void ToProto(const workflow::DeadlineMove& move, v1::DeadlineMove* out);

}  // namespace claims::server
