#pragma once

// Helpers the loader reads YAML with: a bounded parse, and typed readers that report every
// problem as a Diagnostic at the node's line and column and record where each value came from.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/loader.h"
#include "workflow/validator.h"
#include "yaml-cpp/yaml.h"

namespace claims::workflow::internal {

// Parses one YAML document within `limits`: the size is checked before parsing, then an
// event pass counts nesting depth, nodes and alias expansions (an alias counts as the nodes it
// stands for, so an alias bomb is refused in linear time) before any node tree is built.
// Returns the root, or nullopt after appending diagnostics. Never throws.
std::optional<YAML::Node> ParseBounded(std::string_view text, const std::string& file,
                                       const LoadLimits& limits,
                                       std::vector<Diagnostic>& diagnostics);

Position PositionOf(const YAML::Mark& mark);

class YamlReader {
 public:
  YamlReader(std::string file, std::vector<Diagnostic>& diagnostics, SourceMap& sources)
      : file_(std::move(file)), diagnostics_(diagnostics), sources_(sources) {}

  const std::string& file() const { return file_; }

  void Error(const YAML::Mark& mark, std::string message);
  void Error(const YAML::Node& node, std::string message) {
    Error(node.Mark(), std::move(message));
  }
  void Record(const std::string& path, const YAML::Node& node);
  void Invalid(const std::string& path) { sources_.MarkInvalid(path); }

  // Typed scalars. Each records `path` and, on a type error, reports it and marks `path`
  // invalid.
  std::optional<std::string> String(const YAML::Node& node, const std::string& path);
  // A lower_snake_case identifier.
  std::optional<std::string> Id(const YAML::Node& node, const std::string& path);
  std::optional<int64_t> Int(const YAML::Node& node, const std::string& path);
  std::optional<bool> Bool(const YAML::Node& node, const std::string& path);
  // A sequence of identifiers; entries that are not identifiers are reported and read as "".
  std::vector<std::string> IdList(const YAML::Node& node, const std::string& path);
  // Reports a node that is not a sequence; true when it is one.
  bool ExpectSequence(const YAML::Node& node, const std::string& path, std::string_view what);

 private:
  std::string file_;
  std::vector<Diagnostic>& diagnostics_;
  SourceMap& sources_;
};

// One YAML mapping read against the keys it may have: reports a node that is not a map,
// non-string and duplicate keys, and unknown keys (with the closest known one).
class MapReader {
 public:
  // `what` names the mapping in messages ("transition", "guard"); `unknown` names what an
  // unknown key is ("key", "guard kind", "duration unit").
  MapReader(YamlReader& reader, const YAML::Node& node, std::string path, std::string what,
            std::vector<std::string_view> allowed, std::string_view unknown = "key");

  bool ok() const { return ok_; }
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  std::string Path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "/" + std::string(key);
  }

  // The value at `key`; null when the key is absent or has no value.
  const YAML::Node* Get(std::string_view key) const;
  // As Get, but reports a missing key (or one without a value) and marks its path invalid.
  const YAML::Node* Required(std::string_view key);
  // Keys present, in file order.
  std::vector<std::string> Keys() const;
  // True when an unknown key was reported, so that callers need not report what it was
  // meant to be as missing too.
  bool has_unknown_keys() const { return has_unknown_keys_; }

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };
  YamlReader& reader_;
  YAML::Node node_;
  std::string path_;
  std::string what_;
  bool ok_ = false;
  bool has_unknown_keys_ = false;
  std::vector<Entry> entries_;
};

}  // namespace claims::workflow::internal
