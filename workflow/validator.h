#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "workflow/definition.h"
#include "workflow/loader.h"

namespace claims::workflow {

// Where each part of a definition was written, so that checks on the built model can point at
// the exact YAML node. Keys are slash-separated paths into the document, as the loader reads it:
// "transitions/3/roles/1", "timers/0/on_deadline/transition".
class SourceMap {
 public:
  explicit SourceMap(std::string main_file) : main_file_(std::move(main_file)) {}

  const std::string& main_file() const { return main_file_; }

  void Add(std::string path, std::string_view file, Position position);

  // The location of `path`, or of its nearest recorded ancestor; the main file at 0:0 when
  // nothing on the way is recorded (a definition built in code).
  Diagnostic At(std::string_view path, std::string message) const;

  // Marks a part the loader could not read, so that checks on the model do not report it again
  // (e.g. "unknown state ''" after "missing key 'to'").
  bool Has(std::string_view path) const;

  void MarkInvalid(std::string path);
  bool IsInvalid(std::string_view path) const;  // `path` or one of its ancestors

 private:
  struct Location {
    std::size_t file = 0;
    Position position;
  };
  std::string main_file_;
  std::vector<std::string> files_;
  absl::flat_hash_map<std::string, Location> locations_;
  absl::flat_hash_set<std::string> invalid_;
};

// Checks the cross-references and the shape of the process a loaded definition describes:
// unknown or duplicate ids (states, roles, catalogs and their codes, calendars, fields,
// transitions), unreachable states, dead ends, transitions out of terminal states, timers
// whose deadline transition is not available wherever they run or not open to `system`, bad
// durations, unknown time zones, reason bounds. Returns every problem, sorted by position.
// `definition` need not be indexed.
std::vector<Diagnostic> ValidateDefinition(const Definition& definition, const SourceMap& sources);

}  // namespace claims::workflow
