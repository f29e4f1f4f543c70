#include "server/api/request_decoding.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/stubs/common.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "server/api/status_mapping.h"

namespace claims::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Deeper than any request of ours can nest; guards the recursion against hostile input.
constexpr int kMaxDepth = 64;

struct Utf8Problem {
  std::string field;
};

std::string FieldPath(const std::string& prefix, const FieldDescriptor& field, int index) {
  std::string path = prefix.empty() ? field.name() : absl::StrCat(prefix, ".", field.name());
  if (field.is_repeated()) absl::StrAppend(&path, "[", index, "]");
  return path;
}

enum class Walk { kEnd, kBadString, kMalformed };

// Walks the wire bytes of one message of type `type`, up to the stream's current limit, and
// stops at the first string that is not UTF-8. Malformed bytes stop the walk too: the parse
// that follows reports those.
Walk FindBadString(CodedInputStream& in, const Descriptor& type, const std::string& prefix,
                   int depth, Utf8Problem* problem) {
  absl::flat_hash_map<int, int> seen;  // occurrences of each repeated field, for its index
  std::string scratch;
  for (;;) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return in.ConsumedEntireMessage() ? Walk::kEnd : Walk::kMalformed;
    const FieldDescriptor* field = type.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    const bool delimited =
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    const bool walk = field != nullptr && delimited &&
                      (field->type() == FieldDescriptor::TYPE_STRING ||
                       field->type() == FieldDescriptor::TYPE_MESSAGE);
    if (!walk) {
      if (!WireFormatLite::SkipField(&in, tag)) return Walk::kMalformed;
      continue;
    }
    const int index = field->is_repeated() ? seen[field->number()]++ : 0;
    uint32_t length = 0;
    if (!in.ReadVarint32(&length) || length > static_cast<uint32_t>(INT32_MAX)) {
      return Walk::kMalformed;
    }
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (!in.ReadString(&scratch, static_cast<int>(length))) return Walk::kMalformed;
      if (!google::protobuf::internal::IsStructurallyValidUTF8(scratch.data(),
                                                               static_cast<int>(scratch.size()))) {
        problem->field = FieldPath(prefix, *field, index);
        return Walk::kBadString;
      }
      continue;
    }
    if (depth >= kMaxDepth) return Walk::kMalformed;
    const CodedInputStream::Limit limit = in.PushLimit(static_cast<int>(length));
    const Walk inner = FindBadString(in, *field->message_type(), FieldPath(prefix, *field, index),
                                     depth + 1, problem);
    if (inner != Walk::kEnd) return inner;
    in.PopLimit(limit);
  }
}

}  // namespace

absl::Status DecodeRequest(const grpc::ByteBuffer& wire, google::protobuf::Message* message) {
  // A copy shares the slices (a reference count each); the readers need a mutable buffer.
  grpc::ByteBuffer buffer(wire);
  const std::string& type = message->GetDescriptor()->full_name();
  {
    grpc::ProtoBufferReader reader(&buffer);
    CodedInputStream in(&reader);
    Utf8Problem problem;
    if (FindBadString(in, *message->GetDescriptor(), "", 0, &problem) == Walk::kBadString) {
      return InvalidArgument(
          absl::StrCat(problem.field,
                       ": not valid UTF-8 (string fields must be UTF-8; binary data belongs in "
                       "bytes fields)"),
          {{problem.field, "not valid UTF-8"}}, "INVALID_UTF8");
    }
  }
  grpc::ProtoBufferReader reader(&buffer);
  if (!reader.status().ok() || !message->ParseFromZeroCopyStream(&reader)) {
    return InvalidArgument(absl::StrCat("the request is not a serialized ", type), {},
                           "MALFORMED_REQUEST");
  }
  return absl::OkStatus();
}

}  // namespace claims::server
