#pragma once

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/client_connection.h"

namespace claims::cli {

// Adds `watch` to `claims`: follows StreamEvents, printing each event with its cursor, and
// reconnects from the last cursor when the stream breaks (a claimsd restart), so nothing is
// missed or printed twice.
void AddWatchCommand(CLI::App& claims, std::shared_ptr<ClientOptions> options, int& exit_code);

}  // namespace claims::cli
