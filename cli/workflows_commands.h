#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "cli/client_connection.h"

namespace claims::cli {

// "cpor-association" and "workflows/cpor-association" name the same workflow; a version > 0
// picks one of its versions: workflows/cpor-association/versions/2.
std::string WorkflowName(const std::string& given, std::int64_t version);

// `workflows diff`, `workflows migrate` and `workflows recompute-deadlines`, added to the
// `workflows` command, whose connection options `options` holds.
void AddWorkflowChangeCommands(CLI::App& workflows, std::shared_ptr<ClientOptions> options,
                               int& exit_code);

}  // namespace claims::cli
