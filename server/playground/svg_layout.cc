#include "server/playground/svg_layout.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <graphviz/gvplugin.h>

#include <mutex>

#include "absl/strings/str_cat.h"

// The plugins' entry points, exported by libgvplugin_core and libgvplugin_dot_layout.
extern "C" {
extern gvplugin_library_t gvplugin_core_LTX_library;
extern gvplugin_library_t gvplugin_dot_layout_LTX_library;
}

namespace claims::server {
namespace {

// Built in rather than found through the plugin directory's config6 file, which Debian creates
// only when `dot -c` runs: a fresh image or a minimal install may have none.
const lt_symlist_t kBuiltinPlugins[] = {
    {"gvplugin_core_LTX_library", &gvplugin_core_LTX_library},
    {"gvplugin_dot_layout_LTX_library", &gvplugin_dot_layout_LTX_library},
    {nullptr, nullptr},
};

// Graphviz reports parse errors through a global callback; this collects them under the lock.
std::string* parse_errors = nullptr;

int CollectError(char* message) {
  if (parse_errors != nullptr && parse_errors->size() < 4096) parse_errors->append(message);
  return 0;
}

struct Graphviz {
  std::mutex mu;
  GVC_t* context = nullptr;
};

Graphviz& TheGraphviz() {
  // Never destroyed: the context outlives every caller, up to the process's exit.
  static Graphviz* graphviz = new Graphviz;
  return *graphviz;
}

}  // namespace

absl::StatusOr<std::string> RenderSvg(std::string_view dot) {
  Graphviz& graphviz = TheGraphviz();
  std::lock_guard lock(graphviz.mu);
  if (graphviz.context == nullptr) {
    // Lives as long as the process: Graphviz's plugin tables are global anyway.
    graphviz.context = gvContextPlugins(kBuiltinPlugins, 0);
    if (graphviz.context == nullptr) return absl::InternalError("graphviz: no context");
    agseterr(AGERR);
    agseterrf(&CollectError);
  }
  std::string errors;
  parse_errors = &errors;
  const std::string text(dot);
  Agraph_t* graph = agmemread(text.c_str());
  parse_errors = nullptr;
  if (graph == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("graphviz: cannot parse the graph: ", errors));
  }
  std::string svg;
  if (gvLayout(graphviz.context, graph, "dot") != 0) {
    agclose(graph);
    return absl::InternalError("graphviz: dot layout failed");
  }
  char* data = nullptr;
  unsigned int length = 0;
  const int rendered = gvRenderData(graphviz.context, graph, "svg", &data, &length);
  if (rendered == 0 && data != nullptr) svg.assign(data, length);
  gvFreeRenderData(data);
  gvFreeLayout(graphviz.context, graph);
  agclose(graph);
  if (rendered != 0) return absl::InternalError("graphviz: svg rendering failed");
  return svg;
}

}  // namespace claims::server
