#pragma once

#include <string>

#include "workflow/definition.h"

namespace claims::workflow {

// Renders the state diagram of `definition` for people: states with their display names,
// one edge per (transition, source state) labelled with the transition id and the roles that
// may take it, the SLA timers each state starts or pauses, the transition a timer performs at
// its deadline (dashed), the creation arrow into the initial state, and terminal states drawn
// apart. Pure functions of the definition; the output is deterministic (file order).

// Graphviz DOT, for `dot -Tsvg`.
std::string RenderDot(const Definition& definition);

// Mermaid `stateDiagram-v2`, for Markdown viewers.
std::string RenderMermaid(const Definition& definition);

}  // namespace claims::workflow
