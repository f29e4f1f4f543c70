#pragma once

#include <string_view>
#include <vector>

namespace claims::server {

// One file of the playground's page, compiled into the binary (embed_page.cmake).
struct PageAsset {
  std::string_view path;  // as requested: "/" for index.html, "/playground.js", ...
  std::string_view content_type;
  std::string_view body;
};

// Every file of server/playground/page/.
const std::vector<PageAsset>& PageAssets();

}  // namespace claims::server
