#include "server/api/content_sniffing.h"

#include <magic.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace claims::server {

struct ContentSniffer::Handle {
  magic_t magic = nullptr;
  ~Handle() {
    if (magic != nullptr) magic_close(magic);
  }
};

absl::StatusOr<std::unique_ptr<ContentSniffer>> ContentSniffer::Create() {
  auto handle = std::make_unique<Handle>();
  // Only the media type; no decompression, so a compressed file is judged as what it is.
  handle->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
  if (handle->magic == nullptr) return absl::InternalError("libmagic: magic_open failed");
  if (magic_load(handle->magic, nullptr) != 0) {
    return absl::InternalError(absl::StrCat(
        "libmagic cannot load its database (package libmagic-mgc): ", magic_error(handle->magic)));
  }
  return std::unique_ptr<ContentSniffer>(new ContentSniffer(std::move(handle)));
}

ContentSniffer::ContentSniffer(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}

ContentSniffer::~ContentSniffer() = default;

std::string ContentSniffer::MediaType(std::string_view head) {
  std::lock_guard lock(mu_);
  const char* type = magic_buffer(handle_->magic, head.data(), head.size());
  if (type == nullptr) return "application/octet-stream";
  return absl::AsciiStrToLower(type);
}

bool ContentMatchesDeclaredType(std::string_view declared, std::string_view sniffed) {
  if (declared == sniffed) return true;
  if (declared.rfind("application/vnd.openxmlformats-officedocument.", 0) == 0) {
    return sniffed == "application/zip";
  }
  if (declared == "application/msword" || declared == "application/vnd.ms-excel" ||
      declared == "application/vnd.ms-powerpoint") {
    return sniffed == "application/cdfv2" || sniffed == "application/x-ole-storage" ||
           sniffed == "application/vnd.ms-office";
  }
  return false;
}

}  // namespace claims::server
