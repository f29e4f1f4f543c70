// claimsctl schema [--calendar]: the JSON Schema of the workflow language (or of an included
// calendar file), for editors with a YAML language server.

#include <iostream>
#include <memory>

#include "cli/command_registry.h"
#include "workflow/schema.h"

namespace claims::cli {
namespace {

void AddSchemaCommand(CLI::App& app, int& exit_code) {
  auto calendar = std::make_shared<bool>(false);
  CLI::App* command =
      app.add_subcommand("schema", "Print the JSON Schema (draft 2020-12) of workflow files");
  command->add_flag("--calendar", *calendar, "Print the schema of calendar files instead");
  command->callback([calendar, &exit_code] {
    std::cout << (*calendar ? workflow::CalendarJsonSchema() : workflow::WorkflowJsonSchema());
    exit_code = 0;
  });
}

const CommandRegistration kRegistration{"schema", &AddSchemaCommand};

}  // namespace
}  // namespace claims::cli
