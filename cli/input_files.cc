#include "cli/input_files.h"

#include <filesystem>
#include <iostream>

#include "absl/status/statusor.h"
#include "config/file_reading.h"

namespace claims::cli {

std::optional<std::string> ReadInputFile(const std::string& path) {
  absl::StatusOr<std::string> text = config::ReadFileWithin(path, workflow::LoadLimits{}.max_bytes);
  if (!text.ok()) {
    std::string message(text.status().message());
    // ReadFileWithin names the file already, as "PATH: ..." or "cannot read PATH: ...".
    if (message.rfind(path, 0) != 0) message = path + ": " + message;
    std::cerr << message << "\n";
    return std::nullopt;
  }
  return *std::move(text);
}

workflow::IncludeResolver IncludesRelativeTo(const std::string& file) {
  const std::filesystem::path dir = std::filesystem::path(file).parent_path();
  return [dir](std::string_view include) -> std::optional<std::string> {
    const std::string path = (dir / std::string(include)).string();
    absl::StatusOr<std::string> text =
        config::ReadFileWithin(path, workflow::LoadLimits{}.max_bytes);
    if (text.ok()) return *std::move(text);
    // A missing include is the loader's to report, at the include's position; say more only
    // when the file is there but refused.
    if (text.status().code() != absl::StatusCode::kNotFound) {
      std::cerr << text.status().message() << "\n";
    }
    return std::nullopt;
  };
}

}  // namespace claims::cli
