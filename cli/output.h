#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>
#include <vector>

namespace claims::cli {

// How commands print what they got: text for people (tables for lists and histories), JSON
// for scripts (the message as protobuf's JSON mapping, proto field names).
enum class OutputFormat { kText, kJson };

// Adds --output text|json (env CLAIMS_OUTPUT) to `app`. Without it: text when standard output
// is a terminal, JSON otherwise, so pipelines and scripts written against JSON keep working.
void AddOutputOption(CLI::App& app);

// The format chosen for this run; valid once the command line is parsed.
OutputFormat SelectedOutput();
// Whether --output (or CLAIMS_OUTPUT) was given. The local workflow commands (validate) print
// text unless JSON is asked for: editors and scripts parse their file:line:col lines.
bool OutputFormatGiven();

// The message as indented JSON with proto field names, and a newline.
void PrintJson(const google::protobuf::Message& message, std::ostream& out);
// The same on one line: one event a line for `claims watch`.
std::string CompactJson(const google::protobuf::Message& message);

// RFC 3339 in UTC ("2026-12-17T18:00:00Z"); "-" when unset.
std::string FormatTime(const google::protobuf::Timestamp& time);

// Columns aligned with two spaces between them, a header row first; a value longer than
// max_cell_chars (counted in characters, not bytes) is cut with "...".
class Table {
 public:
  explicit Table(std::vector<std::string> headers, std::size_t max_cell_chars = 60);
  void AddRow(std::vector<std::string> cells);
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
  std::size_t max_cell_chars_;
};

// Joins with ", "; "-" for none.
std::string JoinOrDash(const std::vector<std::string>& values);

}  // namespace claims::cli
