#include "workflow/internal/yaml_reader.h"

#include <exception>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "workflow/internal/suggest.h"
#include "workflow/internal/text.h"
#include "yaml-cpp/anchor.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/parser.h"

namespace claims::workflow::internal {
namespace {

// Thrown by the event pass to stop parsing at the first limit crossed.
struct LimitExceeded {
  YAML::Mark mark;
  std::string message;
};

// Counts what YAML::Load would build, without building it. yaml-cpp resolves an alias to the
// anchored node itself, so the tree it returns is small even for an alias bomb, but anything
// that walks it visits the anchored subtree once per alias: each alias therefore counts as the
// number of nodes it stands for.
class LimitsHandler : public YAML::EventHandler {
 public:
  explicit LimitsHandler(const LoadLimits& limits) : limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      throw LimitExceeded{mark, "a workflow file holds exactly one YAML document"};
    }
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    Leaf(mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchor_sizes_.find(anchor);
    // An alias to an anchor still open (a recursive structure) cannot be expanded at all.
    if (it == anchor_sizes_.end()) {
      throw LimitExceeded{mark, "alias refers to an anchor that is not complete"};
    }
    alias_nodes_ += it->second;
    if (alias_nodes_ > limits_.max_alias_expansions) {
      throw LimitExceeded{
          mark, Cat("aliases expand to more than ", limits_.max_alias_expansions, " nodes")};
    }
    AddNodes(mark, it->second);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Open_ {
    YAML::anchor_t anchor;
    std::size_t nodes_before;
  };

  void AddNodes(const YAML::Mark& mark, std::size_t count) {
    nodes_ += count;
    if (nodes_ > limits_.max_nodes) {
      throw LimitExceeded{mark, Cat("document has more than ", limits_.max_nodes, " nodes")};
    }
  }
  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    AddNodes(mark, 1);
    if (anchor != YAML::NullAnchor) anchor_sizes_[anchor] = 1;
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (open_.size() >= static_cast<std::size_t>(limits_.max_depth)) {
      throw LimitExceeded{mark,
                          Cat("document is nested deeper than ", limits_.max_depth, " levels")};
    }
    open_.push_back({anchor, nodes_});
    AddNodes(mark, 1);
  }
  void Close() {
    if (open_.empty()) return;
    const Open_ closed = open_.back();
    open_.pop_back();
    if (closed.anchor != YAML::NullAnchor) {
      anchor_sizes_[closed.anchor] = nodes_ - closed.nodes_before;
    }
  }

  const LoadLimits& limits_;
  int documents_ = 0;
  std::size_t nodes_ = 0;
  std::size_t alias_nodes_ = 0;
  std::vector<Open_> open_;
  absl::flat_hash_map<YAML::anchor_t, std::size_t> anchor_sizes_;
};

bool IsIdentifier(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  if (text[0] < 'a' || text[0] > 'z') return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return Cat("'", node.Scalar(), "'");
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

}  // namespace

Position PositionOf(const YAML::Mark& mark) {
  if (mark.is_null()) return Position{1, 1};
  return Position{mark.line + 1, mark.column + 1};
}

std::optional<YAML::Node> ParseBounded(std::string_view text, const std::string& file,
                                       const LoadLimits& limits,
                                       std::vector<Diagnostic>& diagnostics) {
  auto fail = [&](const YAML::Mark& mark, std::string message) {
    const Position position = PositionOf(mark);
    diagnostics.push_back(Diagnostic{file, position.line, position.column, std::move(message)});
    return std::nullopt;
  };
  if (text.size() > limits.max_bytes) {
    return fail(YAML::Mark::null_mark(),
                Cat("file is ", text.size(), " bytes, more than the limit of ", limits.max_bytes));
  }
  const std::string owned(text);
  try {
    std::istringstream stream(owned);
    YAML::Parser parser(stream);
    LimitsHandler handler(limits);
    while (parser.HandleNextDocument(handler)) {
    }
    YAML::Node root = YAML::Load(owned);
    return root;
  } catch (const LimitExceeded& e) {
    return fail(e.mark, e.message);
  } catch (const YAML::Exception& e) {
    return fail(e.mark, e.msg);
  } catch (const std::exception& e) {
    return fail(YAML::Mark::null_mark(), Cat("cannot parse: ", e.what()));
  }
}

void YamlReader::Error(const YAML::Mark& mark, std::string message) {
  const Position position = PositionOf(mark);
  diagnostics_.push_back(Diagnostic{file_, position.line, position.column, std::move(message)});
}

void YamlReader::Record(const std::string& path, const YAML::Node& node) {
  sources_.Add(path, file_, PositionOf(node.Mark()));
}

std::optional<std::string> YamlReader::String(const YAML::Node& node, const std::string& path) {
  Record(path, node);
  if (!node.IsScalar()) {
    Error(node, Cat("expected a string, found ", Describe(node)));
    Invalid(path);
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::string> YamlReader::Id(const YAML::Node& node, const std::string& path) {
  std::optional<std::string> text = String(node, path);
  if (!text.has_value()) return std::nullopt;
  if (!IsIdentifier(*text)) {
    Error(node, Cat("'", *text,
                    "' is not an id: use lower_snake_case (a-z, 0-9, _), at most 64 "
                    "characters, starting with a letter"));
    Invalid(path);
    return std::nullopt;
  }
  return text;
}

std::optional<int64_t> YamlReader::Int(const YAML::Node& node, const std::string& path) {
  Record(path, node);
  int64_t value = 0;
  if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, value)) {
    Error(node, Cat("expected an integer, found ", Describe(node)));
    Invalid(path);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> YamlReader::Bool(const YAML::Node& node, const std::string& path) {
  Record(path, node);
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    Error(node, Cat("expected true or false, found ", Describe(node)));
    Invalid(path);
    return std::nullopt;
  }
  return value;
}

bool YamlReader::ExpectSequence(const YAML::Node& node, const std::string& path,
                                std::string_view what) {
  Record(path, node);
  if (node.IsSequence()) return true;
  Error(node, Cat("expected a sequence of ", what, ", found ", Describe(node)));
  Invalid(path);
  return false;
}

std::vector<std::string> YamlReader::IdList(const YAML::Node& node, const std::string& path) {
  std::vector<std::string> ids;
  if (!ExpectSequence(node, path, "ids")) return ids;
  // Invalid entries stay as "" (their path marked invalid) so that the model's indices are
  // the file's and positions line up.
  for (std::size_t i = 0; i < node.size(); ++i) {
    ids.push_back(Id(node[i], Cat(path, "/", i)).value_or(""));
  }
  return ids;
}

MapReader::MapReader(YamlReader& reader, const YAML::Node& node, std::string path, std::string what,
                     std::vector<std::string_view> allowed, std::string_view unknown)
    : reader_(reader), node_(node), path_(std::move(path)), what_(std::move(what)) {
  reader_.Record(path_, node_);
  if (!node_.IsMap()) {
    reader_.Error(node_, Cat("expected a mapping for ", what_, ", found ", Describe(node_)));
    reader_.Invalid(path_);
    return;
  }
  ok_ = true;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const YAML::Node key_node = it->first;
    if (!key_node.IsScalar()) {
      reader_.Error(key_node, Cat("keys of ", what_, " must be strings"));
      continue;
    }
    const std::string key = key_node.Scalar();
    bool known = false;
    for (std::string_view candidate : allowed) known = known || candidate == key;
    if (!known) {
      has_unknown_keys_ = true;
      reader_.Error(key_node,
                    Cat("unknown ", unknown, " '", key, "' in ", what_, DidYouMean(key, allowed)));
      continue;
    }
    bool duplicate = false;
    for (const Entry& entry : entries_) duplicate = duplicate || entry.key == key;
    if (duplicate) {
      reader_.Error(key_node, Cat("duplicate key '", key, "' in ", what_));
      continue;
    }
    entries_.push_back(Entry{key, key_node, it->second});
    reader_.Record(Path(key), it->second);
  }
}

const YAML::Node* MapReader::Get(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) return entry.value.IsNull() ? nullptr : &entry.value;
  }
  return nullptr;
}

const YAML::Node* MapReader::Required(std::string_view key) {
  if (!ok_) return nullptr;
  for (const Entry& entry : entries_) {
    if (entry.key != key) continue;
    if (!entry.value.IsNull()) return &entry.value;
    reader_.Error(entry.key_node, Cat("key '", key, "' of ", what_, " has no value"));
    reader_.Invalid(Path(key));
    return nullptr;
  }
  reader_.Error(node_, Cat(what_, " is missing required key '", key, "'"));
  reader_.Invalid(Path(key));
  return nullptr;
}

std::vector<std::string> MapReader::Keys() const {
  std::vector<std::string> keys;
  keys.reserve(entries_.size());
  for (const Entry& entry : entries_) keys.push_back(entry.key);
  return keys;
}

}  // namespace claims::workflow::internal
