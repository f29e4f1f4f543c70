#include "cli/output.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

namespace claims::cli {
namespace {

std::string& OutputFlag() {
  static auto* flag = new std::string();
  return *flag;
}

// Characters, not bytes: UTF-8 continuation bytes do not advance the column.
std::size_t DisplayWidth(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string CutTo(const std::string& text, std::size_t max_chars) {
  std::string flat = text;
  // A newline inside a cell would break the table's rows.
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  if (DisplayWidth(flat) <= max_chars) return flat;
  std::size_t chars = 0;
  std::size_t end = 0;
  while (end < flat.size()) {
    if ((static_cast<unsigned char>(flat[end]) & 0xC0) != 0x80) {
      if (chars == max_chars - 3) break;
      ++chars;
    }
    ++end;
  }
  return flat.substr(0, end) + "...";
}

}  // namespace

void AddOutputOption(CLI::App& app) {
  app.add_option("--output", OutputFlag(),
                 "text or json; default: text on a terminal, json when piped")
      ->envname("CLAIMS_OUTPUT")
      ->check(CLI::IsMember({"text", "json"}));
}

bool OutputFormatGiven() { return !OutputFlag().empty(); }

OutputFormat SelectedOutput() {
  const std::string& flag = OutputFlag();
  if (flag == "json") return OutputFormat::kJson;
  if (flag == "text") return OutputFormat::kText;
  return isatty(STDOUT_FILENO) ? OutputFormat::kText : OutputFormat::kJson;
}

void PrintJson(const google::protobuf::Message& message, std::ostream& out) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  out << json;
}

std::string CompactJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string FormatTime(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "-";
  return google::protobuf::util::TimeUtil::ToString(time);
}

Table::Table(std::vector<std::string> headers, std::size_t max_cell_chars)
    : headers_(std::move(headers)), max_cell_chars_(std::max<std::size_t>(max_cell_chars, 8)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (std::string& cell : cells) cell = CutTo(cell.empty() ? "-" : cell, max_cell_chars_);
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  std::vector<std::size_t> widths(headers_.size());
  for (std::size_t i = 0; i < headers_.size(); ++i) widths[i] = DisplayWidth(headers_[i]);
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - DisplayWidth(row[i]) + 2, ' ');
    }
    out << line << "\n";
  };
  print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

std::string JoinOrDash(const std::vector<std::string>& values) {
  if (values.empty()) return "-";
  std::string joined;
  for (const std::string& value : values) {
    if (!joined.empty()) joined += ", ";
    joined += value;
  }
  return joined;
}

}  // namespace claims::cli
