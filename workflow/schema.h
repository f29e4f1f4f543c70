#pragma once

#include <string_view>

namespace claims::workflow {

// The JSON Schema (draft 2020-12) of the workflow language, for editors with a YAML language
// server: every key with a description for hover help, `additionalProperties: false` so that
// typos are flagged while typing. It checks shape only; LoadDefinition also checks references
// between parts (unknown states, roles, catalog codes) and the shape of the process.
std::string_view WorkflowJsonSchema();

// The schema of a calendar file that a workflow includes (`include: ../calendars/us.yaml`).
std::string_view CalendarJsonSchema();

}  // namespace claims::workflow
