#pragma once

#include <CLI/CLI.hpp>

namespace claims::cli {

// Each command registers its sub-command on the app; the callback it installs runs the command
// and sets `exit_code`.
void AddValidateCommand(CLI::App& app, int& exit_code);
void AddGraphCommand(CLI::App& app, int& exit_code);
void AddSchemaCommand(CLI::App& app, int& exit_code);
void AddSimulateCommand(CLI::App& app, int& exit_code);
void AddClientCommands(CLI::App& app, int& exit_code);

}  // namespace claims::cli
