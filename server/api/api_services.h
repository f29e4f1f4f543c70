#pragma once

// The gRPC faces of the Workflows and TestClock APIs: each method a raw callback handler made
// by UnaryCalls (decode, worker pool, authentication, access log, metrics) around the API
// class that does the work.

#include "claims/v1/test_clock.grpc.pb.h"
#include "claims/v1/workflow_service.grpc.pb.h"
#include "server/api/test_clock_api.h"
#include "server/api/unary_calls.h"
#include "server/api/workflows_api.h"

namespace claims::server {

class WorkflowsService final : public v1::Workflows::Service {
 public:
  WorkflowsService(WorkflowsApi& api, UnaryCalls& calls);
};

// Only registered when the server's clock is manual (ClaimsServer).
class TestClockService final : public v1::TestClock::Service {
 public:
  TestClockService(TestClockApi& api, UnaryCalls& calls);
};

}  // namespace claims::server
