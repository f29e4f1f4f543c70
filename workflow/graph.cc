#include "workflow/graph.h"

#include <string_view>
#include <vector>

#include "workflow/internal/language.h"
#include "workflow/internal/text.h"

namespace claims::workflow {
namespace {

using internal::Cat;
using internal::Join;

std::string DurationText(const WorkflowDuration& duration) {
  std::string unit(internal::DurationUnitName(duration.unit));
  for (char& c : unit) {
    if (c == '_') c = ' ';
  }
  if (duration.amount == 1 && unit.back() == 's') unit.pop_back();
  return Cat(duration.amount, " ", unit);
}

std::string DeadlineText(const TimerDef& timer) {
  if (timer.on_deadline == DeadlineAction::kTransition) return Cat("then ", timer.transition);
  return "then breach";
}

// What a state's box says about the SLA timers: which it starts and which it pauses.
std::vector<std::string> TimerLines(const Definition& definition, std::string_view state) {
  std::vector<std::string> lines;
  for (const TimerDef& timer : definition.timers) {
    for (const std::string& start : timer.start_on) {
      if (start != state) continue;
      lines.push_back(
          Cat("SLA ", timer.id, ": ", DurationText(timer.duration), ", ", DeadlineText(timer)));
    }
    for (const std::string& pause : timer.pause_in) {
      if (pause == state) lines.push_back(Cat("SLA ", timer.id, " paused"));
    }
  }
  return lines;
}

// The timer whose deadline performs `transition`, if any.
const TimerDef* DeadlineTimer(const Definition& definition, std::string_view transition) {
  for (const TimerDef& timer : definition.timers) {
    if (timer.on_deadline == DeadlineAction::kTransition && timer.transition == transition) {
      return &timer;
    }
  }
  return nullptr;
}

std::string DotQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Mermaid's grammar has no quoting inside edge labels: keep to characters that cannot end or
// redirect a statement (a second ':' is a parse error in Mermaid 10, a ';' cuts the label).
std::string MermaidText(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '"':
        out.push_back('\'');
        break;
      case ':':
      case ';':
      case '\n':
      case '{':
      case '}':
      case '#':
        out.push_back(' ');
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string StateLabel(const StateDef& state) {
  return state.display_name.empty() || state.display_name == state.id
             ? state.id
             : Cat(state.display_name, "\n(", state.id, ")");
}

}  // namespace

std::string RenderDot(const Definition& definition) {
  std::string out = Cat("digraph ", DotQuote(definition.name), " {\n");
  out += "  rankdir=LR;\n";
  out +=
      "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f5f7fa\", "
      "fontname=\"Helvetica\"];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  out += "  __create [shape=point, width=0.15, label=\"\"];\n";
  for (const StateDef& state : definition.states) {
    std::string label = StateLabel(state);
    for (const std::string& line : TimerLines(definition, state.id)) label += "\n" + line;
    out += Cat("  ", DotQuote(state.id), " [label=", DotQuote(label));
    if (state.terminal) out += ", peripheries=2, fillcolor=\"#dde3ea\"";
    out += "];\n";
  }
  out +=
      Cat("  __create -> ", DotQuote(definition.create.initial_state),
          " [label=", DotQuote(Cat("create\n[", Join(definition.create.roles, ", "), "]")), "];\n");
  for (const TransitionDef& transition : definition.transitions) {
    std::string label = Cat(transition.id, "\n[", Join(transition.roles, ", "), "]");
    const TimerDef* timer = DeadlineTimer(definition, transition.id);
    if (timer != nullptr) label += Cat("\nat ", timer->id, " deadline");
    for (const std::string& from : transition.from) {
      out +=
          Cat("  ", DotQuote(from), " -> ", DotQuote(transition.to), " [label=", DotQuote(label));
      if (timer != nullptr) out += ", style=dashed";
      out += "];\n";
    }
  }
  out += "}\n";
  return out;
}

std::string RenderMermaid(const Definition& definition) {
  std::string out = "stateDiagram-v2\n";
  out += "  classDef terminal fill:#dde3ea,stroke:#4a5568,stroke-width:3px\n";
  for (const StateDef& state : definition.states) {
    const std::string name = state.display_name.empty() ? state.id : state.display_name;
    out += Cat("  state \"", MermaidText(name), "\" as ", state.id, "\n");
  }
  out += Cat("  [*] --> ", definition.create.initial_state, " : create (",
             MermaidText(Join(definition.create.roles, ", ")), ")\n");
  for (const TransitionDef& transition : definition.transitions) {
    std::string label = Cat(transition.id, " (", Join(transition.roles, ", "), ")");
    if (const TimerDef* timer = DeadlineTimer(definition, transition.id)) {
      label += Cat(" at ", timer->id, " deadline");
    }
    for (const std::string& from : transition.from) {
      out += Cat("  ", from, " --> ", transition.to, " : ", MermaidText(label), "\n");
    }
  }
  for (const StateDef& state : definition.states) {
    if (state.terminal) out += Cat("  ", state.id, " --> [*]\n");
    const std::vector<std::string> lines = TimerLines(definition, state.id);
    if (lines.empty()) continue;
    out += Cat("  note right of ", state.id, "\n");
    // A multi-line note's text runs to "end note", so a ':' is text there; lines are made of
    // ids and numbers, and one per timer.
    for (const std::string& line : lines) out += Cat("    ", line, "\n");
    out += "  end note\n";
  }
  for (const StateDef& state : definition.states) {
    if (state.terminal) out += Cat("  class ", state.id, " terminal\n");
  }
  return out;
}

}  // namespace claims::workflow
