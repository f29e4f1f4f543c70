#pragma once

#include <nlohmann/json.hpp>

#include "workflow/simulation.h"

namespace claims::server {

// A simulation trace as JSON: what `claimsctl simulate --output json` prints and the
// playground draws, so the two never disagree. Times are RFC 3339 in UTC ("time"), and also in
// the workflow calendar's zone ("local_time") for people.
nlohmann::json TraceToJson(const workflow::SimulationTrace& trace);

}  // namespace claims::server
