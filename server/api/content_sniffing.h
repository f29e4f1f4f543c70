#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"

namespace claims::server {

// Tells a document's media type from its first bytes, with libmagic (the database of the
// `file` command), so an upload cannot pass an executable off as a PDF by declaring it one.
// Thread-safe: libmagic's handle is not, so calls take turns.
class ContentSniffer {
 public:
  // Loads the system's compiled magic database once. INTERNAL when it cannot be loaded.
  static absl::StatusOr<std::unique_ptr<ContentSniffer>> Create();
  ~ContentSniffer();
  ContentSniffer(const ContentSniffer&) = delete;
  ContentSniffer& operator=(const ContentSniffer&) = delete;

  // The media type of content that begins with `head`, lower case, without parameters
  // ("application/pdf"); "application/octet-stream" when nothing matches.
  std::string MediaType(std::string_view head);

 private:
  struct Handle;
  explicit ContentSniffer(std::unique_ptr<Handle> handle);

  std::mutex mu_;
  std::unique_ptr<Handle> handle_ ABSL_GUARDED_BY(mu_);
};

// Whether content libmagic calls `sniffed` may be stored under the declared media type
// `declared`. Equal types match; so do the containers libmagic reports when it cannot look
// further in: a ZIP for an Office Open XML document, an OLE2 compound file for a legacy Office
// one.
bool ContentMatchesDeclaredType(std::string_view declared, std::string_view sniffed);

}  // namespace claims::server
