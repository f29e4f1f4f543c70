#pragma once

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/client_connection.h"

namespace claims::cli {

// Adds `evidence` to the `claims` command: `get NAME -o FILE` and `upload CLAIM FILE [--type T]`
// by streaming, and `evidence CLAIM FILE [--content-type T]` in one message.
void AddEvidenceCommands(CLI::App& claims, std::shared_ptr<const ClientOptions> options,
                         int& exit_code);

}  // namespace claims::cli
