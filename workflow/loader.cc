#include "workflow/loader.h"

#include <algorithm>
#include <exception>
#include <set>
#include <utility>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "workflow/internal/language.h"
#include "workflow/internal/suggest.h"
#include "workflow/internal/text.h"
#include "workflow/internal/yaml_reader.h"
#include "workflow/validator.h"
#include "workflow/weekday_names.h"

namespace claims::workflow {

using internal::Cat;
using internal::Join;
using internal::Split;

std::string Diagnostic::ToString() const {
  return Cat(file, ":", line, ":", column, ": ", message);
}

namespace {

using internal::DidYouMean;
using internal::MapReader;
using internal::YamlReader;

std::string Sub(std::string_view path, std::size_t index) { return Cat(path, "/", index); }

// type "/" subtype, each of RFC 6838's restricted-name characters, in lower case.
bool IsMediaType(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == slash) continue;
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '+' ||
                         c == '-' || c == '_';
    if (!allowed) return false;
  }
  return true;
}

// Lexical, so loading stays free of I/O: "a/b/../c" -> "a/c".
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> parts;
  for (std::string_view part : Split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == ".." && !parts.empty() && parts.back() != "..") {
      parts.pop_back();
    } else {
      parts.push_back(part);
    }
  }
  std::string joined = Join(parts, "/");
  if (!path.empty() && path.front() == '/') return "/" + joined;
  return joined.empty() ? "." : joined;
}

// How diagnostics name an included file: relative to the including file, as a reader would
// find it from where the including file was named.
std::string IncludedFileName(std::string_view including_file, std::string_view include) {
  if (!include.empty() && include.front() == '/') return NormalizePath(include);
  const std::size_t slash = including_file.rfind('/');
  if (slash == std::string_view::npos) return NormalizePath(include);
  return NormalizePath(Cat(including_file.substr(0, slash + 1), include));
}

// A date as YYYY-MM-DD, rejecting dates that do not exist (2026-02-30) rather than
// normalizing them.
std::optional<absl::CivilDay> ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto number = [&](std::size_t begin, std::size_t length) -> std::optional<int> {
    int value = 0;
    for (std::size_t i = begin; i < begin + length; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  const std::optional<int> year = number(0, 4);
  const std::optional<int> month = number(5, 2);
  const std::optional<int> day = number(8, 2);
  if (!year || !month || !day) return std::nullopt;
  const absl::CivilDay date(*year, *month, *day);
  if (date.year() != *year || date.month() != *month || date.day() != *day) return std::nullopt;
  return date;
}

class Loader {
 public:
  Loader(const std::string& file, const IncludeResolver& resolve, const LoadLimits& limits,
         std::vector<Diagnostic>& diagnostics, SourceMap& sources)
      : reader_(file, diagnostics, sources),
        resolve_(resolve),
        limits_(limits),
        diagnostics_(diagnostics),
        sources_(sources) {}

  void Load(const YAML::Node& root, Definition& definition) {
    MapReader top(reader_, root, "", "workflow",
                  {"name", "version", "description", "products_catalog", "activities_catalog",
                   "roles", "catalogs", "calendars", "create", "states", "transitions", "timers",
                   "evidence_content_types", "migrate_from"});
    if (!top.ok()) return;
    if (const YAML::Node* node = top.Required("name")) {
      definition.name = reader_.String(*node, "name").value_or("");
    }
    if (const YAML::Node* node = top.Required("version")) {
      definition.version = reader_.Int(*node, "version").value_or(0);
    }
    if (const YAML::Node* node = top.Get("description")) {
      definition.description = reader_.String(*node, "description").value_or("");
    }
    if (const YAML::Node* node = top.Get("products_catalog")) {
      definition.products_catalog = reader_.Id(*node, "products_catalog").value_or("");
    }
    if (const YAML::Node* node = top.Get("activities_catalog")) {
      definition.activities_catalog = reader_.Id(*node, "activities_catalog").value_or("");
    }
    if (const YAML::Node* node = top.Required("roles")) ReadRoles(*node, definition.roles);
    if (const YAML::Node* node = top.Get("catalogs")) ReadCatalogs(*node, definition.catalogs);
    if (const YAML::Node* node = top.Get("calendars")) {
      ReadCalendars(*node, definition.calendars);
    }
    if (const YAML::Node* node = top.Required("create")) ReadCreate(*node, definition.create);
    if (const YAML::Node* node = top.Required("states")) ReadStates(*node, definition.states);
    if (const YAML::Node* node = top.Required("transitions")) {
      ReadTransitions(*node, definition.transitions);
    }
    if (const YAML::Node* node = top.Get("timers")) ReadTimers(*node, definition.timers);
    if (const YAML::Node* node = top.Get("evidence_content_types")) {
      ReadContentTypes(*node, definition.evidence_content_types);
    }
    if (const YAML::Node* node = top.Get("migrate_from")) {
      ReadMigration(*node, definition.migrate_from);
    }
  }

 private:
  // Reads the common `id` and `display_name` of a list item.
  template <typename T>
  void ReadIdAndName(MapReader& map, T& item, bool display_name_required) {
    if (const YAML::Node* node = map.Required("id")) {
      item.id = reader_.Id(*node, map.Path("id")).value_or("");
    }
    const YAML::Node* name =
        display_name_required ? map.Required("display_name") : map.Get("display_name");
    if (name != nullptr)
      item.display_name = reader_.String(*name, map.Path("display_name")).value_or("");
  }

  void ReadRoles(const YAML::Node& node, std::vector<RoleDef>& roles) {
    if (!reader_.ExpectSequence(node, "roles", "roles")) return;
    for (std::size_t i = 0; i < node.size(); ++i) {
      RoleDef role;
      MapReader map(reader_, node[i], Sub("roles", i), "role",
                    {"id", "display_name", "perspective"});
      role.position = internal::PositionOf(node[i].Mark());
      if (map.ok()) {
        ReadIdAndName(map, role, true);
        if (const YAML::Node* value = map.Required("perspective")) {
          std::optional<std::string> text = reader_.String(*value, map.Path("perspective"));
          if (text.has_value()) {
            std::optional<Perspective> perspective = ParsePerspective(*text);
            if (perspective.has_value()) {
              role.perspective = *perspective;
            } else {
              reader_.Error(*value,
                            Cat("unknown perspective '", *text,
                                "' (expected partner, reviewer, customer or "
                                "system)",
                                DidYouMean(*text, {"partner", "reviewer", "customer", "system"})));
              reader_.Invalid(map.Path("perspective"));
            }
          }
        }
      }
      roles.push_back(std::move(role));
    }
  }

  // `migrate_from: {version: N, states: {old_id: new_id}}`. Each mapping is recorded at
  // "migrate_from/states/<old_id>" (its new id), and both ids' positions are kept in the model
  // for the checks that compare two versions (CheckMigration).
  void ReadMigration(const YAML::Node& node, std::optional<MigrationDef>& migration) {
    MapReader map(reader_, node, "migrate_from", "migrate_from", {"version", "states"});
    if (!map.ok()) return;
    MigrationDef read;
    read.position = internal::PositionOf(node.Mark());
    if (const YAML::Node* version = map.Required("version")) {
      read.from_version = reader_.Int(*version, map.Path("version")).value_or(0);
    }
    if (const YAML::Node* states = map.Get("states")) {
      const std::string path = map.Path("states");
      if (!states->IsMap()) {
        reader_.Error(*states, "migrate_from states is a mapping of old state ids to new ones");
        reader_.Invalid(path);
      } else {
        std::size_t index = 0;
        for (auto it = states->begin(); it != states->end(); ++it, ++index) {
          // Keys are recorded under a path no state id can take ('#' is not in an id).
          std::optional<std::string> old_id = reader_.Id(it->first, Cat(path, "/#", index));
          if (!old_id.has_value()) continue;
          const std::string entry_path = Cat(path, "/", *old_id);
          std::optional<std::string> new_id = reader_.Id(it->second, entry_path);
          read.states.emplace_back(*old_id, new_id.value_or(""));
          read.state_positions.emplace_back(internal::PositionOf(it->first.Mark()),
                                            internal::PositionOf(it->second.Mark()));
        }
      }
    }
    migration = std::move(read);
  }

  // Media types as type/subtype in lower case, without parameters: what evidence uploads
  // declare and what sniffing their content yields are compared as such strings.
  void ReadContentTypes(const YAML::Node& node, std::vector<std::string>& types) {
    const std::string path = "evidence_content_types";
    if (!reader_.ExpectSequence(node, path, "a list of media types")) return;
    if (node.size() == 0) {
      reader_.Error(node, "evidence_content_types must list at least one media type");
      return;
    }
    std::vector<std::string> read;
    for (std::size_t i = 0; i < node.size(); ++i) {
      std::optional<std::string> type = reader_.String(node[i], Sub(path, i));
      if (!type.has_value()) continue;
      if (!IsMediaType(*type)) {
        reader_.Error(node[i], Cat("'", *type,
                                   "' is not a media type in lower case (type/subtype, e.g. "
                                   "application/pdf)"));
        continue;
      }
      if (std::find(read.begin(), read.end(), *type) != read.end()) {
        reader_.Error(node[i], Cat("media type '", *type, "' is listed twice"));
        continue;
      }
      read.push_back(*std::move(type));
    }
    types = std::move(read);
  }

  void ReadCatalogs(const YAML::Node& node, std::vector<CatalogDef>& catalogs) {
    if (!reader_.ExpectSequence(node, "catalogs", "catalogs")) return;
    for (std::size_t i = 0; i < node.size(); ++i) {
      CatalogDef catalog;
      catalog.position = internal::PositionOf(node[i].Mark());
      MapReader map(reader_, node[i], Sub("catalogs", i), "catalog",
                    {"id", "display_name", "entries"});
      if (map.ok()) {
        ReadIdAndName(map, catalog, false);
        if (const YAML::Node* entries = map.Required("entries")) {
          const std::string path = map.Path("entries");
          if (reader_.ExpectSequence(*entries, path, "catalog entries")) {
            for (std::size_t j = 0; j < entries->size(); ++j) {
              CatalogEntry entry;
              MapReader entry_map(reader_, (*entries)[j], Sub(path, j), "catalog entry",
                                  {"id", "display_name"});
              if (entry_map.ok()) ReadIdAndName(entry_map, entry, true);
              catalog.entries.push_back(std::move(entry));
            }
          }
        }
      }
      catalogs.push_back(std::move(catalog));
    }
  }

  void ReadCalendars(const YAML::Node& node, std::vector<CalendarDef>& calendars) {
    if (!reader_.ExpectSequence(node, "calendars", "calendars")) return;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string path = Sub("calendars", i);
      MapReader map(reader_, node[i], path, "calendar",
                    {"id", "include", "time_zone", "weekend", "holidays"});
      std::string id;
      CalendarParts parts;
      if (map.ok()) {
        if (const YAML::Node* value = map.Required("id")) {
          id = reader_.Id(*value, map.Path("id")).value_or("");
        }
        if (const YAML::Node* include = map.Get("include")) {
          for (std::string_view key : {"time_zone", "weekend", "holidays"}) {
            if (map.Get(key) != nullptr) {
              reader_.Error(*include, Cat("a calendar that includes a file takes its '", key,
                                          "' from that file; remove it here"));
            }
          }
          ReadIncludedCalendar(*include, path, parts);
        } else {
          ReadCalendarBody(reader_, map, parts);
        }
      }
      absl::TimeZone zone = absl::UTCTimeZone();
      // An unknown zone is the validator's to report, with the other semantic checks.
      if (!parts.zone_name.empty()) absl::LoadTimeZone(parts.zone_name, &zone);
      calendars.push_back(CalendarDef{
          id, BusinessCalendar(id, parts.zone_name, zone, parts.weekend, parts.holidays),
          internal::PositionOf(node[i].Mark())});
    }
  }

  struct CalendarParts {
    std::string zone_name;
    std::set<absl::Weekday> weekend;
    std::set<absl::CivilDay> holidays;
  };

  void ReadIncludedCalendar(const YAML::Node& include, const std::string& path,
                            CalendarParts& parts) {
    std::optional<std::string> include_path = reader_.String(include, path + "/include");
    if (!include_path.has_value()) {
      reader_.Invalid(path);
      return;
    }
    std::optional<std::string> text;
    if (resolve_) text = resolve_(*include_path);
    if (!text.has_value()) {
      reader_.Error(include, Cat("cannot read included file '", *include_path, "'"));
      reader_.Invalid(path);
      return;
    }
    const std::string file = IncludedFileName(reader_.file(), *include_path);
    std::optional<YAML::Node> root = internal::ParseBounded(*text, file, limits_, diagnostics_);
    if (!root.has_value()) {
      reader_.Invalid(path);
      return;
    }
    YamlReader included(file, diagnostics_, sources_);
    MapReader map(included, *root, path, "calendar file",
                  {"description", "time_zone", "weekend", "holidays"});
    if (!map.ok()) return;
    if (const YAML::Node* description = map.Get("description")) {
      included.String(*description, map.Path("description"));
    }
    ReadCalendarBody(included, map, parts);
  }

  static void ReadCalendarBody(YamlReader& reader, MapReader& map, CalendarParts& parts) {
    if (const YAML::Node* zone = map.Required("time_zone")) {
      parts.zone_name = reader.String(*zone, map.Path("time_zone")).value_or("");
    }
    if (const YAML::Node* weekend = map.Required("weekend")) {
      const std::string path = map.Path("weekend");
      if (reader.ExpectSequence(*weekend, path, "weekday names")) {
        std::vector<std::string_view> names;
        for (const auto& [name, unused] : kWeekdayNames) names.push_back(name);
        for (std::size_t i = 0; i < weekend->size(); ++i) {
          const YAML::Node day = (*weekend)[i];
          std::optional<std::string> text = reader.String(day, Sub(path, i));
          if (!text.has_value()) continue;
          bool found = false;
          for (const auto& [name, weekday] : kWeekdayNames) {
            if (name == *text) {
              parts.weekend.insert(weekday);
              found = true;
            }
          }
          if (!found) {
            reader.Error(day, Cat("unknown weekday '", *text, "'", DidYouMean(*text, names)));
          }
        }
      }
    }
    if (const YAML::Node* holidays = map.Get("holidays")) {
      const std::string path = map.Path("holidays");
      if (!reader.ExpectSequence(*holidays, path, "holidays")) return;
      for (std::size_t i = 0; i < holidays->size(); ++i) {
        YAML::Node holiday = (*holidays)[i];
        const std::string holiday_path = Sub(path, i);
        YAML::Node date_node = holiday;
        if (holiday.IsMap()) {
          MapReader holiday_map(reader, holiday, holiday_path, "holiday", {"date", "name"});
          const YAML::Node* date = holiday_map.Required("date");
          if (const YAML::Node* name = holiday_map.Get("name")) {
            reader.String(*name, holiday_map.Path("name"));
          }
          if (date == nullptr) continue;
          date_node = *date;
        }
        std::optional<std::string> text = reader.String(date_node, holiday_path);
        if (!text.has_value()) continue;
        std::optional<absl::CivilDay> day = ParseDate(*text);
        if (!day.has_value()) {
          reader.Error(date_node, Cat("holiday '", *text, "' is not a date: write YYYY-MM-DD"));
          continue;
        }
        parts.holidays.insert(*day);
      }
    }
  }

  std::optional<Requirement> ReadRequirement(const YAML::Node& node, const std::string& path) {
    std::optional<std::string> text = reader_.String(node, path);
    if (!text.has_value()) return std::nullopt;
    if (*text == "required") return Requirement::kRequired;
    if (*text == "optional") return Requirement::kOptional;
    if (*text == "forbidden") return Requirement::kForbidden;
    reader_.Error(node, Cat("expected required, optional or forbidden, found '", *text, "'",
                            DidYouMean(*text, {"required", "optional", "forbidden"})));
    reader_.Invalid(path);
    return std::nullopt;
  }

  std::vector<EventDef> ReadEvents(const YAML::Node& node, const std::string& path) {
    std::vector<EventDef> events;
    if (!reader_.ExpectSequence(node, path, "events")) return events;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      const std::string item_path = Sub(path, i);
      EventDef event;
      if (item.IsMap()) {
        MapReader map(reader_, item, item_path, "event",
                      {"type", "attributes", "reasons_from", "deadline_of"});
        if (const YAML::Node* type = map.Required("type")) {
          event.type = reader_.Id(*type, item_path).value_or("");
        }
        if (const YAML::Node* reasons_from = map.Get("reasons_from")) {
          event.reasons_from = reader_.Id(*reasons_from, map.Path("reasons_from")).value_or("");
        }
        if (const YAML::Node* deadline_of = map.Get("deadline_of")) {
          event.deadline_of = reader_.IdList(*deadline_of, map.Path("deadline_of"));
        }
        if (const YAML::Node* attributes = map.Get("attributes")) {
          if (!attributes->IsMap()) {
            reader_.Error(*attributes, "event attributes are a mapping of names to strings");
          } else {
            for (auto it = attributes->begin(); it != attributes->end(); ++it) {
              std::optional<std::string> key =
                  reader_.Id(it->first, map.Path("attributes") + "/" + "key");
              std::optional<std::string> value =
                  reader_.String(it->second, map.Path("attributes") + "/" + "value");
              if (key.has_value() && value.has_value()) event.attributes.Set(*key, *value);
            }
          }
        }
      } else {
        event.type = reader_.Id(item, item_path).value_or("");
      }
      events.push_back(std::move(event));
    }
    return events;
  }

  // A mapping holding exactly one of business_days, days or hours (and, in guards, other keys).
  std::optional<WorkflowDuration> DurationFrom(MapReader& map, std::string_view what) {
    if (!map.ok()) return std::nullopt;
    std::optional<WorkflowDuration> result;
    int units = 0;
    for (const std::string& key : map.Keys()) {
      std::optional<DurationUnit> unit = internal::ParseDurationUnit(key);
      if (!unit.has_value()) continue;
      if (++units > 1) {
        reader_.Error(map.node(), Cat(what,
                                      " has more than one unit; use one of "
                                      "business_days, days or hours"));
        reader_.Invalid(map.path());
        return std::nullopt;
      }
      const YAML::Node* value = map.Required(key);
      std::optional<int64_t> amount;
      if (value != nullptr) amount = reader_.Int(*value, map.Path(key));
      if (amount.has_value()) result = WorkflowDuration{*amount, *unit};
    }
    if (units == 0) {
      if (!map.has_unknown_keys()) {
        reader_.Error(map.node(), Cat(what, " needs one of business_days, days or hours"));
      }
      reader_.Invalid(map.path());
      return std::nullopt;
    }
    if (!result.has_value()) reader_.Invalid(map.path());
    return result;
  }

  std::optional<WorkflowDuration> ReadDuration(const YAML::Node& node, const std::string& path,
                                               std::string_view what) {
    MapReader map(reader_, node, path, std::string(what), {"business_days", "days", "hours"},
                  "duration unit");
    return DurationFrom(map, what);
  }

  void ReadCreate(const YAML::Node& node, CreateDef& create) {
    MapReader map(reader_, node, "create", "create",
                  {"roles", "initial_state", "required_fields", "events"});
    if (!map.ok()) return;
    if (const YAML::Node* roles = map.Required("roles")) {
      create.roles = reader_.IdList(*roles, map.Path("roles"));
    }
    if (const YAML::Node* initial = map.Required("initial_state")) {
      create.initial_state = reader_.Id(*initial, map.Path("initial_state")).value_or("");
    }
    if (const YAML::Node* fields = map.Get("required_fields")) {
      create.required_fields = reader_.IdList(*fields, map.Path("required_fields"));
    }
    if (const YAML::Node* events = map.Get("events")) {
      create.events = ReadEvents(*events, map.Path("events"));
    }
  }

  void ReadStates(const YAML::Node& node, std::vector<StateDef>& states) {
    if (!reader_.ExpectSequence(node, "states", "states")) return;
    for (std::size_t i = 0; i < node.size(); ++i) {
      StateDef state;
      state.position = internal::PositionOf(node[i].Mark());
      MapReader map(reader_, node[i], Sub("states", i), "state",
                    {"id", "display_name", "description", "terminal", "editable", "evidence_roles",
                     "comment_roles"});
      if (map.ok()) {
        ReadIdAndName(map, state, true);
        if (const YAML::Node* description = map.Get("description")) {
          state.description = reader_.String(*description, map.Path("description")).value_or("");
        }
        if (const YAML::Node* terminal = map.Get("terminal")) {
          state.terminal = reader_.Bool(*terminal, map.Path("terminal")).value_or(false);
        }
        if (const YAML::Node* editable = map.Get("editable")) {
          const std::string path = map.Path("editable");
          if (reader_.ExpectSequence(*editable, path, "edit rules")) {
            for (std::size_t j = 0; j < editable->size(); ++j) {
              EditRule rule;
              MapReader rule_map(reader_, (*editable)[j], Sub(path, j), "edit rule",
                                 {"roles", "fields"});
              if (const YAML::Node* roles = rule_map.Required("roles")) {
                rule.roles = reader_.IdList(*roles, rule_map.Path("roles"));
              }
              if (const YAML::Node* fields = rule_map.Required("fields")) {
                rule.fields = reader_.IdList(*fields, rule_map.Path("fields"));
              }
              state.edit_rules.push_back(std::move(rule));
            }
          }
        }
        if (const YAML::Node* roles = map.Get("evidence_roles")) {
          state.evidence_roles = reader_.IdList(*roles, map.Path("evidence_roles"));
        }
        if (const YAML::Node* roles = map.Get("comment_roles")) {
          state.comment_roles = reader_.IdList(*roles, map.Path("comment_roles"));
        }
      }
      states.push_back(std::move(state));
    }
  }

  void ReadReasonSet(MapReader& map, std::string& catalog, std::vector<std::string>& codes) {
    if (const YAML::Node* node = map.Required("catalog")) {
      catalog = reader_.Id(*node, map.Path("catalog")).value_or("");
    }
    if (const YAML::Node* node = map.Required("codes")) {
      codes = reader_.IdList(*node, map.Path("codes"));
    }
  }

  GuardDef ReadGuard(const YAML::Node& node, const std::string& path,
                     const std::string& transition_id) {
    GuardDef guard;
    guard.position = internal::PositionOf(node.Mark());
    std::vector<std::string_view> allowed = {"id", "message"};
    for (std::string_view kind : internal::GuardKindNames()) allowed.push_back(kind);
    MapReader map(reader_, node, path, "guard", allowed, "guard kind");
    if (!map.ok()) return guard;
    std::optional<std::string> kind_name;
    for (const std::string& key : map.Keys()) {
      if (key == "id" || key == "message") continue;
      if (kind_name.has_value()) {
        reader_.Error(
            node, Cat("a guard has exactly one kind; found '", *kind_name, "' and '", key, "'"));
        reader_.Invalid(path);
        return guard;
      }
      kind_name = key;
    }
    if (!kind_name.has_value()) {
      // An unknown key was meant as the kind; it is reported already.
      if (map.has_unknown_keys()) {
        reader_.Invalid(path);
        return guard;
      }
      reader_.Error(node, Cat("guard needs one of ", Join(internal::GuardKindNames(), ", ")));
      reader_.Invalid(path);
      return guard;
    }
    guard.kind = *internal::ParseGuardKind(*kind_name);
    guard.id = *kind_name;
    if (const YAML::Node* id = map.Get("id"))
      guard.id = reader_.Id(*id, map.Path("id")).value_or("");
    if (const YAML::Node* message = map.Get("message")) {
      guard.message = reader_.String(*message, map.Path("message")).value_or("");
    }
    const YAML::Node* body_node = map.Required(*kind_name);
    if (body_node == nullptr) return guard;
    const YAML::Node& body = *body_node;
    const std::string body_path = map.Path(*kind_name);
    switch (guard.kind) {
      case GuardKind::kMinEvidence: {
        MapReader body_map(reader_, body, body_path, "min_evidence guard", {"count"});
        if (const YAML::Node* count = body_map.Required("count")) {
          guard.count = reader_.Int(*count, body_map.Path("count")).value_or(0);
        }
        break;
      }
      case GuardKind::kWithinDuration: {
        MapReader body_map(reader_, body, body_path, "within guard",
                           {"business_days", "days", "hours", "calendar"});
        if (std::optional<WorkflowDuration> duration = DurationFrom(body_map, "within guard")) {
          guard.duration = *duration;
        }
        if (const YAML::Node* calendar = body_map.Required("calendar")) {
          guard.calendar = reader_.Id(*calendar, body_map.Path("calendar")).value_or("");
        }
        break;
      }
      case GuardKind::kLastReasonIn:
      case GuardKind::kLastReasonNotIn: {
        MapReader body_map(reader_, body, body_path, Cat(*kind_name, " guard"),
                           {"catalog", "codes"});
        if (body_map.ok()) ReadReasonSet(body_map, guard.catalog, guard.codes);
        break;
      }
      case GuardKind::kFieldPresent: {
        MapReader body_map(reader_, body, body_path, "field_present guard", {"field"});
        if (const YAML::Node* field = body_map.Required("field")) {
          guard.field = reader_.Id(*field, body_map.Path("field")).value_or("");
        }
        break;
      }
      case GuardKind::kMaxTimesTaken: {
        MapReader body_map(reader_, body, body_path, "max_times guard", {"count", "action"});
        if (const YAML::Node* count = body_map.Required("count")) {
          guard.count = reader_.Int(*count, body_map.Path("count")).value_or(0);
        }
        // Spelled out in the model so that the engine need not know the default.
        guard.action = transition_id;
        if (const YAML::Node* action = body_map.Get("action")) {
          guard.action = reader_.Id(*action, body_map.Path("action")).value_or("");
        }
        break;
      }
    }
    return guard;
  }

  void ReadInputs(const YAML::Node& node, const std::string& path, TransitionInputs& inputs) {
    MapReader map(reader_, node, path, "inputs",
                  {"reasons", "comment", "new_evidence", "comment_or_new_evidence"});
    if (!map.ok()) return;
    if (const YAML::Node* reasons = map.Get("reasons")) {
      MapReader reasons_map(reader_, *reasons, map.Path("reasons"), "reasons",
                            {"catalog", "codes", "min", "max"});
      if (reasons_map.ok()) {
        ReasonInput input;
        if (const YAML::Node* catalog = reasons_map.Required("catalog")) {
          input.catalog = reader_.Id(*catalog, reasons_map.Path("catalog")).value_or("");
        }
        if (const YAML::Node* codes = reasons_map.Get("codes")) {
          input.codes = reader_.IdList(*codes, reasons_map.Path("codes"));
        }
        std::optional<int64_t> min;
        std::optional<int64_t> max;
        if (const YAML::Node* value = reasons_map.Get("min")) {
          min = reader_.Int(*value, reasons_map.Path("min"));
        }
        if (const YAML::Node* value = reasons_map.Get("max")) {
          max = reader_.Int(*value, reasons_map.Path("max"));
        }
        // min defaults to one reason; max to min, so `min: 2` alone means exactly two.
        const int64_t min_value = std::clamp<int64_t>(min.value_or(1), -1, 1'000'000);
        const int64_t max_value =
            std::clamp<int64_t>(max.value_or(std::max<int64_t>(min_value, 1)), -1, 1'000'000);
        input.min = static_cast<int32_t>(min_value);
        input.max = static_cast<int32_t>(max_value);
        inputs.reasons = std::move(input);
      }
    }
    if (const YAML::Node* comment = map.Get("comment")) {
      inputs.comment =
          ReadRequirement(*comment, map.Path("comment")).value_or(Requirement::kOptional);
    }
    if (const YAML::Node* evidence = map.Get("new_evidence")) {
      inputs.new_evidence =
          ReadRequirement(*evidence, map.Path("new_evidence")).value_or(Requirement::kOptional);
    }
    if (const YAML::Node* either = map.Get("comment_or_new_evidence")) {
      inputs.comment_or_new_evidence =
          reader_.Bool(*either, map.Path("comment_or_new_evidence")).value_or(false);
    }
  }

  void ReadTransitions(const YAML::Node& node, std::vector<TransitionDef>& transitions) {
    if (!reader_.ExpectSequence(node, "transitions", "transitions")) return;
    for (std::size_t i = 0; i < node.size(); ++i) {
      TransitionDef transition;
      transition.position = internal::PositionOf(node[i].Mark());
      MapReader map(reader_, node[i], Sub("transitions", i), "transition",
                    {"id", "display_name", "from", "to", "roles", "inputs", "implied_reasons",
                     "guards", "events"});
      if (map.ok()) {
        ReadIdAndName(map, transition, true);
        if (const YAML::Node* from = map.Required("from")) {
          transition.from = reader_.IdList(*from, map.Path("from"));
        }
        if (const YAML::Node* to = map.Required("to")) {
          transition.to = reader_.Id(*to, map.Path("to")).value_or("");
        }
        if (const YAML::Node* roles = map.Required("roles")) {
          transition.roles = reader_.IdList(*roles, map.Path("roles"));
        }
        if (const YAML::Node* inputs = map.Get("inputs")) {
          ReadInputs(*inputs, map.Path("inputs"), transition.inputs);
        }
        if (const YAML::Node* implied = map.Get("implied_reasons")) {
          MapReader implied_map(reader_, *implied, map.Path("implied_reasons"), "implied_reasons",
                                {"catalog", "codes"});
          if (implied_map.ok()) {
            ReasonSet set;
            ReadReasonSet(implied_map, set.catalog, set.codes);
            transition.implied_reasons = std::move(set);
          }
        }
        if (const YAML::Node* guards = map.Get("guards")) {
          const std::string path = map.Path("guards");
          if (reader_.ExpectSequence(*guards, path, "guards")) {
            for (std::size_t j = 0; j < guards->size(); ++j) {
              transition.guards.push_back(ReadGuard((*guards)[j], Sub(path, j), transition.id));
            }
          }
        }
        if (const YAML::Node* events = map.Get("events")) {
          transition.events = ReadEvents(*events, map.Path("events"));
        }
      }
      transitions.push_back(std::move(transition));
    }
  }

  void ReadDeadline(const YAML::Node& node, const std::string& path, TimerDef& timer) {
    MapReader map(reader_, node, path, "on_deadline",
                  {"breach", "transition", "reasons", "events"});
    if (!map.ok()) return;
    const YAML::Node* breach = map.Get("breach");
    const YAML::Node* transition = map.Get("transition");
    if ((breach != nullptr) == (transition != nullptr)) {
      reader_.Error(node, "on_deadline needs exactly one of 'breach' or 'transition'");
      reader_.Invalid(path);
      return;
    }
    if (breach != nullptr) {
      timer.on_deadline = DeadlineAction::kBreach;
      for (std::string_view key : {"reasons", "events"}) {
        if (map.Get(key) != nullptr) {
          reader_.Error(*breach, Cat("'", key,
                                     "' belongs with 'transition'; a breach "
                                     "lists its events under 'breach'"));
        }
      }
      MapReader breach_map(reader_, *breach, map.Path("breach"), "breach", {"events"});
      if (const YAML::Node* events = breach_map.Get("events")) {
        timer.events = ReadEvents(*events, breach_map.Path("events"));
      }
      return;
    }
    timer.on_deadline = DeadlineAction::kTransition;
    timer.transition = reader_.Id(*transition, map.Path("transition")).value_or("");
    if (const YAML::Node* reasons = map.Get("reasons")) {
      timer.reasons = reader_.IdList(*reasons, map.Path("reasons"));
    }
    if (const YAML::Node* events = map.Get("events")) {
      timer.events = ReadEvents(*events, map.Path("events"));
    }
  }

  void ReadTimers(const YAML::Node& node, std::vector<TimerDef>& timers) {
    if (!reader_.ExpectSequence(node, "timers", "timers")) return;
    for (std::size_t i = 0; i < node.size(); ++i) {
      TimerDef timer;
      timer.position = internal::PositionOf(node[i].Mark());
      MapReader map(reader_, node[i], Sub("timers", i), "timer",
                    {"id", "display_name", "duration", "calendar", "start_on", "pause_in",
                     "stop_on", "warning", "on_deadline"});
      if (map.ok()) {
        ReadIdAndName(map, timer, false);
        if (const YAML::Node* duration = map.Required("duration")) {
          timer.duration = ReadDuration(*duration, map.Path("duration"), "duration")
                               .value_or(WorkflowDuration{});
        }
        if (const YAML::Node* calendar = map.Required("calendar")) {
          timer.calendar = reader_.Id(*calendar, map.Path("calendar")).value_or("");
        }
        if (const YAML::Node* states = map.Required("start_on")) {
          timer.start_on = reader_.IdList(*states, map.Path("start_on"));
        }
        if (const YAML::Node* states = map.Get("pause_in")) {
          timer.pause_in = reader_.IdList(*states, map.Path("pause_in"));
        }
        if (const YAML::Node* states = map.Get("stop_on")) {
          timer.stop_on = reader_.IdList(*states, map.Path("stop_on"));
        }
        if (const YAML::Node* warning = map.Get("warning")) {
          MapReader warning_map(reader_, *warning, map.Path("warning"), "warning",
                                {"before", "events"});
          if (const YAML::Node* before = warning_map.Required("before")) {
            timer.warn_before = ReadDuration(*before, warning_map.Path("before"), "warning.before");
          }
          if (const YAML::Node* events = warning_map.Get("events")) {
            timer.warning_events = ReadEvents(*events, warning_map.Path("events"));
          }
        }
        if (const YAML::Node* deadline = map.Required("on_deadline")) {
          ReadDeadline(*deadline, map.Path("on_deadline"), timer);
        }
      }
      timers.push_back(std::move(timer));
    }
  }

  YamlReader reader_;
  const IncludeResolver& resolve_;
  const LoadLimits& limits_;
  std::vector<Diagnostic>& diagnostics_;
  SourceMap& sources_;
};

}  // namespace

LoadResult LoadDefinition(std::string_view yaml_text, std::string_view file_name,
                          const IncludeResolver& resolve, const LoadLimits& limits) {
  LoadResult result;
  const std::string file(file_name);
  try {
    std::optional<YAML::Node> root =
        internal::ParseBounded(yaml_text, file, limits, result.diagnostics);
    if (!root.has_value()) return result;
    SourceMap sources(file);
    auto definition = std::make_shared<Definition>();
    Loader(file, resolve, limits, result.diagnostics, sources).Load(*root, *definition);
    if (root->IsMap()) {
      std::vector<Diagnostic> problems = ValidateDefinition(*definition, sources);
      result.diagnostics.insert(result.diagnostics.end(), problems.begin(), problems.end());
    }
    // Problems in an included file come after the including file's, each file in line order.
    std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                     [&](const Diagnostic& a, const Diagnostic& b) {
                       const bool a_main = a.file == file;
                       const bool b_main = b.file == file;
                       if (a_main != b_main) return a_main;
                       if (a.file != b.file) return a.file < b.file;
                       if (a.line != b.line) return a.line < b.line;
                       return a.column < b.column;
                     });
    if (result.diagnostics.empty()) {
      definition->BuildIndex();
      result.definition = std::move(definition);
    }
  } catch (const std::exception& e) {
    // yaml-cpp throws from accessors on malformed trees; a hostile file must not take the
    // caller down with it.
    result.definition = nullptr;
    result.diagnostics.push_back(Diagnostic{file, 1, 1, Cat("cannot load workflow: ", e.what())});
  }
  return result;
}

}  // namespace claims::workflow
