#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/status/status.h"

namespace claims::server {

// Parses a request as it came off the wire into `message`.
//
// Why this exists: gRPC 1.51's callback handlers (grpcpp/impl/codegen/
// server_callback_handlers.h) drop the status of a failed parse and answer UNIMPLEMENTED with
// an empty message, and protobuf logs an error line for every proto3 string that is not UTF-8.
// Our handlers therefore take the raw bytes: every string field, at any depth, is checked for
// UTF-8 first (against `message`'s descriptor, so new fields are covered without code), and
// only then is the message parsed, which then cannot hit protobuf's UTF-8 log line.
//
// INVALID_ARGUMENT, with a google.rpc.BadRequest naming the field path (e.g.
// "claim.customer.name", "reasons[1]") and ErrorInfo reason INVALID_UTF8, when a string is not
// UTF-8; INVALID_ARGUMENT with reason MALFORMED_REQUEST when the bytes are not a serialized
// message of that type.
absl::Status DecodeRequest(const grpc::ByteBuffer& wire, google::protobuf::Message* message);

}  // namespace claims::server
