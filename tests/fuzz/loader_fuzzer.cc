// libFuzzer target for LoadDefinition: any bytes must give either a definition or at least
// one diagnostic, never a crash, a hang or a leak; definitions that load must also render.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "workflow/graph.h"
#include "workflow/loader.h"

namespace {

// Every include resolves to a small valid calendar, except one name, so that both the
// included-file path and the missing-file path are reachable from the seeds.
std::optional<std::string> ResolveInclude(std::string_view path) {
  if (path == "missing.yaml") return std::nullopt;
  return std::string(
      "time_zone: America/Los_Angeles\n"
      "weekend: [saturday, sunday]\n"
      "holidays: [2026-01-01, {date: 2026-12-25, name: Christmas Day}]\n");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const claims::workflow::LoadResult result =
      claims::workflow::LoadDefinition(text, "fuzz.yaml", &ResolveInclude);
  if (result.ok() == !result.diagnostics.empty()) __builtin_trap();
  for (const claims::workflow::Diagnostic& diagnostic : result.diagnostics) {
    if (diagnostic.message.empty() || diagnostic.line < 0 || diagnostic.column < 0) {
      __builtin_trap();
    }
  }
  if (result.ok()) {
    const std::string dot = claims::workflow::RenderDot(*result.definition);
    const std::string mermaid = claims::workflow::RenderMermaid(*result.definition);
    if (dot.empty() || mermaid.empty()) __builtin_trap();
  }
  return 0;
}
