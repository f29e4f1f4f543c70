"""Waits until a grpc.health.v1 service answers SERVING: grpc_health.py ADDRESS [SERVICE] [SECONDS]

Exits 0 once Check(SERVICE) is SERVING, 1 when SECONDS (default 60) pass first. Needs only
python3-grpcio: the request and answer are one-field messages, encoded here by hand, so no
generated health stubs are required. Run with /usr/bin/python3.
"""
import sys
import time

import grpc

address = sys.argv[1]
service = sys.argv[2] if len(sys.argv) > 2 else ""
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}

name = service.encode()
# HealthCheckRequest {string service = 1;}: tag 0x0a, a one-byte length (names are short).
request = (b"\x0a" + bytes([len(name)]) + name) if name else b""
deadline = time.monotonic() + seconds
last = "no answer"
with grpc.insecure_channel(address) as channel:
    check = channel.unary_unary("/grpc.health.v1.Health/Check")
    while time.monotonic() < deadline:
        try:
            answer = check(request, timeout=2)
            # HealthCheckResponse {ServingStatus status = 1;}: tag 0x08, then the enum value.
            status = answer[1] if len(answer) == 2 and answer[0] == 0x08 else 0
            last = STATUS.get(status, str(status))
            if status == 1:
                print(f"{address} {service or '(server)'}: SERVING")
                sys.exit(0)
        except grpc.RpcError as error:
            last = f"{error.code().name}: {error.details()}"
        time.sleep(0.5)
print(f"{address} {service or '(server)'}: not SERVING after {seconds:.0f}s ({last})",
      file=sys.stderr)
sys.exit(1)
