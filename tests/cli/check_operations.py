"""What operators rely on, against claimsd run as a process (as a container runtime runs it):

- log_format json: every line claimsd writes is one JSON object;
- the access log: one line per call with method, code, latency, actor, claim and request id, and
  never the bearer token, comment text or evidence bytes the calls carried;
- /metrics: every family the alerts in docs/operations.md use;
- SIGTERM: an open StreamEvents ends within a second with UNAVAILABLE "server shutting down",
  the health port stops answering SERVING, a call in flight (held on SQLite's write lock) still
  completes, and the process exits 0 within shutdown_grace_seconds; a call that stays stuck
  past the grace does not hold the exit (claimsd exits 1 a few seconds after the grace).

check_operations.py CLAIMSD CLAIMSCTL CONFIG_DIR PROTO_DIR. Run with /usr/bin/python3 (Debian's
grpcio and protobuf); the StreamEvents messages are generated from PROTO_DIR with protoc here.
"""
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import grpc

claimsd, claimsctl, config_dir, proto_dir = sys.argv[1:5]
GRACE_SECONDS = 4
# How long the in-flight call is held after SIGTERM: well inside the grace.
HELD_SECONDS = 1.0
SECRET_TOKEN = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.NEVER-LOGGED-TOKEN"
SECRET_COMMENT = "never-logged comment text 7f3a"
SECRET_EVIDENCE = b"%PDF-1.7 never-logged evidence bytes 91c2"

failures = 0
passes = 0


def check(description, condition, detail=""):
    global failures, passes
    if condition:
        passes += 1
        print(f"ok: {description}")
    else:
        failures += 1
        print(f"FAIL: {description} {detail}".rstrip())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


work = tempfile.mkdtemp(prefix="claims-ops-")
subprocess.run(["cp", "-r", f"{config_dir}/workflows", f"{config_dir}/calendars", work], check=True)
metrics_port, health_port = free_port(), free_port()
config = open(f"{config_dir}/claimsd.yaml", encoding="utf-8").read()
replacements = [
    (r"(?m)^listen: .*", "listen: 127.0.0.1:0"),
    (r"(?m)^  url: sqlite:.*", "  url: sqlite:claims.db"),
    (r"(?m)^  listen: 127.0.0.1:9464.*", f"  listen: 127.0.0.1:{metrics_port}"),
    (r'(?m)^  listen: "".*', f"  listen: 127.0.0.1:{health_port}"),
    (r"(?m)^shutdown_grace_seconds: .*", f"shutdown_grace_seconds: {GRACE_SECONDS}"),
    (r"(?m)^log_format: .*", "log_format: json"),
    (r"(?m)^access_log: .*", "access_log: true"),
    # No sweeper: the timer made overdue below stays unfired, so the lag it leaves is known.
    (r"(?m)^  enabled: true.*", "  enabled: false"),
]
for pattern, replacement in replacements:
    config, count = re.subn(pattern, replacement, config)
    assert count == 1, f"the shipped config has no line for {pattern}"
open(f"{work}/claimsd.yaml", "w", encoding="utf-8").write(config)
STUCK_GRACE_SECONDS = 1
AFTER_GRACE_SECONDS = 3  # server/main.cc kShutdownAfterGrace
open(f"{work}/claimsd-stuck.yaml", "w", encoding="utf-8").write(re.sub(
    r"(?m)^shutdown_grace_seconds: .*", f"shutdown_grace_seconds: {STUCK_GRACE_SECONDS}",
    re.sub(r"(?m)^  listen: 127.0.0.1:\d+", '  listen: ""', config)))

generated = f"{work}/generated"
os.mkdir(generated)
protos = [f"claims/v1/{p}" for p in os.listdir(f"{proto_dir}/claims/v1") if p.endswith(".proto")]
subprocess.run(["protoc", f"-I{proto_dir}", f"--python_out={generated}", *protos], check=True)
sys.path.insert(0, generated)
from claims.v1 import claim_pb2, claims_service_pb2  # noqa: E402  (generated above)



def start_claimsd(config_path, log_path):
    """claimsd in the background, its output in log_path; returns it and its port."""
    log = open(log_path, "wb")
    process = subprocess.Popen([claimsd, "--config", config_path], stdout=log,
                               stderr=subprocess.STDOUT, cwd=work)
    log.close()
    for _ in range(200):
        match = re.search(r"\(port (\d+)\)", open(log_path, encoding="utf-8").read())
        if match:
            return process, int(match.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.05)
    print(open(log_path, encoding="utf-8").read())
    process.kill()
    sys.exit("claimsd did not start")


def hold_create(env, request_id):
    """A CreateClaim that waits on the write lock the caller holds."""
    return subprocess.Popen(
        [claimsctl, "claims", "create", "partners/contoso", "--mpn", "7654321",
         "--customer-tenant-id", "6f1c2a9e-0000-4000-8000-000000000002", "--customer-name",
         "Northwind", "--product", "power_bi", "--activity", "pre_sales", "--request-id",
         request_id], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


log_path = f"{work}/claimsd.log"
server, port = start_claimsd(f"{work}/claimsd.yaml", log_path)
try:
    address = f"127.0.0.1:{port}"

    env = dict(os.environ, CLAIMS_SERVER=address, CLAIMS_ACTOR="pat", CLAIMS_ROLES="billing_admin",
               CLAIMS_PARTNER="contoso")

    def claimsctl_json(*args, **extra_env):
        out = subprocess.run([claimsctl, *args], env=dict(env, **extra_env), check=True,
                             capture_output=True, text=True, timeout=30).stdout
        return json.loads(out)

    claim = claimsctl_json("claims", "create", "partners/contoso", "--mpn", "1234567",
                           "--customer-tenant-id", "6f1c2a9e-0000-4000-8000-000000000001",
                           "--customer-name", "Fabrikam", "--product", "dynamics_365_sales",
                           "--activity", "revenue_association", "--request-id", "ops-create-1",
                           CLAIMS_TOKEN=SECRET_TOKEN)
    name = claim["name"]
    claimsctl_json("claims", "comment", name, SECRET_COMMENT)
    with open(f"{work}/poe.pdf", "wb") as poe:
        poe.write(SECRET_EVIDENCE)
    claimsctl_json("claims", "evidence", name, f"{work}/poe.pdf")
    claimsctl_json("claims", "act", name, "submit")

    # The submitted claim's armed timers, made due ten minutes ago (next_fire_at is in
    # microseconds since the epoch; unarmed timers hold the largest BIGINT).
    LAG_SECONDS = 600
    with sqlite3.connect(f"{work}/claims.db") as db:
        overdue = db.execute(
            "UPDATE timers SET next_fire_at = ? WHERE next_fire_at < 9223372036854775807",
            (int((time.time() - LAG_SECONDS) * 1e6),)).rowcount
    check(f"the submitted claim has armed timers ({overdue})", overdue > 0)

    # An open stream, read by a thread that records when and how it ends.
    channel = grpc.insecure_channel(address)
    stream_events = channel.unary_stream(
        "/claims.v1.Claims/StreamEvents",
        request_serializer=claims_service_pb2.StreamEventsRequest.SerializeToString,
        response_deserializer=claim_pb2.Event.FromString)
    ended = {}
    events_seen = []

    def read_stream():
        call = stream_events(claims_service_pb2.StreamEventsRequest(after_sequence=0),
                             metadata=[("x-claims-actor", "rita"), ("x-claims-roles", "reviewer")])
        try:
            for response in call:
                events_seen.append(response)
            ended["code"] = grpc.StatusCode.OK
        except grpc.RpcError as error:
            ended["code"] = error.code()
            ended["details"] = error.details()
        ended["at"] = time.monotonic()

    reader = threading.Thread(target=read_stream, daemon=True)
    reader.start()

    def scrape():
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as r:
            return r.read().decode()

    def timer_lag(metrics):
        match = re.search(r"(?m)^claims_timer_lag_seconds (\S+)$", metrics)
        return float(match.group(1)) if match else None

    # The lag is sampled after each health ping (health.check_interval_ms, 1 s).
    metrics = ""
    for _ in range(100):
        metrics = scrape()
        if (re.search(r"(?m)^claims_event_streams_open 1$", metrics) and events_seen and
                (timer_lag(metrics) or 0) >= LAG_SECONDS):
            break
        time.sleep(0.05)
    check("the stream is open and has delivered the claim's events",
          bool(events_seen) and "claims_event_streams_open 1" in metrics)
    lag = timer_lag(metrics)
    check(f"timer lag is now minus the oldest unfired due timer ({lag} s, made {LAG_SECONDS} s)",
          lag is not None and LAG_SECONDS <= lag < LAG_SECONDS + 30)

    families = {
        "database pool in use": r'claims_db_pool_connections\{state="in_use"\} \d',
        "database pool size": r'claims_db_pool_connections\{state="size"\} 4',
        "database pool waits": r"claims_db_pool_waits_total \d",
        "database pool wait time": r"claims_db_pool_wait_seconds_total \d",
        "database up": r"claims_database_up 1",
        "timer lag": r"claims_timer_lag_seconds \d",
        "worker queue depth": r"claims_worker_queue_depth \d",
        "worker queue rejections": r"claims_worker_queue_rejected_total \d",
        "events streamed": r"claims_events_streamed_total [1-9]",
        "event streams open": r"claims_event_streams_open 1",
        "build info": r'claims_build_info\{[^}]*version="\d+\.\d+\.\d+"[^}]*\} 1',
        "calls by method and code": r'claims_rpc_calls_total\{code="OK",method="CreateClaim"\} 1',
        "call latency": r'claims_rpc_latency_seconds_count\{method="PerformAction"\} 1',
        "timers fired": r"claims_sla_timers_fired_total \d",
        "process CPU": r"process_cpu_seconds_total \d",
        "process memory": r"process_resident_memory_bytes [1-9]",
        "process file descriptors": r"process_open_fds [1-9]",
        "process start time": r"process_start_time_seconds [1-9]",
    }
    for cause in ("deadlock", "lock_timeout", "busy", "connection_lost"):
        families[f"transaction retries ({cause})"] = (
            r'claims_db_transaction_retries_total\{cause="%s"\} \d' % cause)
    for description, pattern in families.items():
        check(f"metrics: {description}", re.search(r"(?m)^" + pattern, metrics),
              f"(no line matching {pattern})")

    def health_status():
        request = b"\x0a\x10claims.v1.Claims"
        with grpc.insecure_channel(f"127.0.0.1:{health_port}") as health_channel:
            try:
                answer = health_channel.unary_unary("/grpc.health.v1.Health/Check")(
                    request, timeout=1)
            except grpc.RpcError as error:
                return error.code().name
        return {1: "SERVING", 2: "NOT_SERVING"}.get(answer[1] if len(answer) == 2 else 0,
                                                    "UNKNOWN")

    check("health is SERVING before SIGTERM", health_status() == "SERVING")

    # A call in flight at SIGTERM (so the drain lasts, and the health port answers NOT_SERVING
    # through it): CreateClaim waits on the database's write lock, held here
    # (claimsd's busy timeout is longer than the hold).
    lock = sqlite3.connect(f"{work}/claims.db", isolation_level=None, timeout=5,
                           check_same_thread=False)
    lock.execute("BEGIN EXCLUSIVE")
    in_flight = hold_create(env, "ops-in-flight")
    time.sleep(0.5)
    check("the CreateClaim is still in flight on the held lock", in_flight.poll() is None)

    sent = time.monotonic()
    server.send_signal(signal.SIGTERM)
    release = threading.Timer(HELD_SECONDS, lambda: lock.execute("COMMIT"))
    release.start()
    after_signal = []
    while time.monotonic() - sent < 0.5 and server.poll() is None:
        after_signal.append(health_status())
        time.sleep(0.02)
    check(f"health stops answering SERVING once SIGTERM arrives ({sorted(set(after_signal))})",
          "NOT_SERVING" in after_signal and "SERVING" not in after_signal[1:],
          f"(probes: {after_signal})")
    reader.join(timeout=5)
    try:
        in_flight_out, _ = in_flight.communicate(timeout=GRACE_SECONDS + 2)
    except subprocess.TimeoutExpired:
        in_flight.kill()
        in_flight_out, _ = in_flight.communicate()
    drained_seconds = time.monotonic() - sent
    check(f"the call in flight at SIGTERM completes ({round(drained_seconds, 3)} s after it)",
          in_flight.returncode == 0 and '"state": "editing"' in in_flight_out.replace('":"', '": "'),
          in_flight_out[-300:])
    stream_seconds = ended["at"] - sent if "at" in ended else None
    check(f"the stream ends within 1 s of SIGTERM ({stream_seconds and round(stream_seconds, 3)} s)",
          stream_seconds is not None and stream_seconds < 1.0, str(ended))
    check("the stream ends UNAVAILABLE \"server shutting down\"",
          ended.get("code") == grpc.StatusCode.UNAVAILABLE and
          "server shutting down" in ended.get("details", ""), str(ended))
    try:
        exit_code = server.wait(timeout=GRACE_SECONDS + 1)
    except subprocess.TimeoutExpired:
        exit_code = None
    exit_seconds = time.monotonic() - sent
    check(f"claimsd exits 0 within shutdown_grace_seconds ({round(exit_seconds, 3)} s, "
          f"grace {GRACE_SECONDS} s)", exit_code == 0 and exit_seconds <= GRACE_SECONDS,
          f"(exit code {exit_code})")
    channel.close()
    release.join()
    lock.close()
finally:
    if server.poll() is None:
        server.kill()
        server.wait()

# A call stuck past the grace: the lock is held until claimsd has gone.
stuck_server, stuck_port = start_claimsd(f"{work}/claimsd-stuck.yaml", f"{work}/stuck.log")
lock = sqlite3.connect(f"{work}/claims.db", isolation_level=None, timeout=5)
try:
    lock.execute("BEGIN EXCLUSIVE")
    stuck = hold_create(dict(env, CLAIMS_SERVER=f"127.0.0.1:{stuck_port}"), "ops-stuck")
    time.sleep(0.5)
    sent = time.monotonic()
    stuck_server.send_signal(signal.SIGTERM)
    limit = STUCK_GRACE_SECONDS + AFTER_GRACE_SECONDS
    try:
        stuck_code = stuck_server.wait(timeout=limit + 2)
    except subprocess.TimeoutExpired:
        stuck_code = None
    stuck_seconds = time.monotonic() - sent
    stuck_log = open(f"{work}/stuck.log", encoding="utf-8").read()
    check(f"a call stuck past the grace does not hold the exit ({round(stuck_seconds, 3)} s; "
          f"grace {STUCK_GRACE_SECONDS} s + {AFTER_GRACE_SECONDS} s)",
          stuck_code == 1 and limit - 0.5 <= stuck_seconds <= limit + 1 and
          "calls still running" in stuck_log, f"(exit code {stuck_code})")
    stuck_out, _ = stuck.communicate(timeout=10)
    check("the stuck call's caller is told UNAVAILABLE", "UNAVAILABLE" in stuck_out, stuck_out)
finally:
    lock.close()
    if stuck_server.poll() is None:
        stuck_server.kill()
        stuck_server.wait()

text = open(log_path, "rb").read()
lines = [line for line in text.decode("utf-8", "replace").splitlines() if line.strip()]
objects = []
for line in lines:
    try:
        objects.append(json.loads(line))
    except json.JSONDecodeError:
        objects.append(None)
check(f"every log line is one JSON object ({len(lines)} lines)",
      lines and all(isinstance(o, dict) for o in objects),
      str([l for l, o in zip(lines, objects) if not isinstance(o, dict)][:3]))
objects = [o for o in objects if isinstance(o, dict)]
check("log lines carry time, level and logger",
      all({"time", "level", "logger"} <= o.keys() for o in objects))
access = [o for o in objects if o.get("logger") == "access"]
by_method = {}
for line in access:
    by_method.setdefault(line.get("method"), []).append(line)
for method, calls in (("CreateClaim", 2), ("AddComment", 1), ("AddEvidence", 1),
                      ("PerformAction", 1), ("StreamEvents", 1)):
    check(f"one access line for each {method} call ({calls})",
          len(by_method.get(method, [])) == calls, str(by_method.get(method)))
creates = {line.get("request_id"): line for line in by_method.get("CreateClaim", [])}
create = creates.get("ops-create-1", {})
held = creates.get("ops-in-flight", {})
check("the call held over SIGTERM is logged OK with the time it waited",
      held.get("code") == "OK" and held.get("latency_ms", 0) >= HELD_SECONDS * 1000, str(held))
check("the CreateClaim line has code, latency, actor, claim and request id",
      create.get("code") == "OK" and isinstance(create.get("latency_ms"), (int, float)) and
      create.get("actor") == "pat" and create.get("claim") == name and
      create.get("request_id") == "ops-create-1", str(create))
for method in ("AddComment", "AddEvidence", "PerformAction"):
    line = (by_method.get(method) or [{}])[0]
    check(f"the {method} line names the claim and the actor",
          line.get("claim", "").startswith(name) and line.get("actor") == "pat", str(line))
stream_line = (by_method.get("StreamEvents") or [{}])[0]
check("the StreamEvents line records how the stream ended",
      stream_line.get("code") == "UNAVAILABLE" and stream_line.get("actor") == "rita",
      str(stream_line))
for secret, what in ((SECRET_TOKEN.encode(), "the bearer token"),
                     (SECRET_TOKEN.split(".")[1].encode(), "any part of the token"),
                     (SECRET_COMMENT.encode(), "the comment text"),
                     (SECRET_EVIDENCE, "the evidence bytes"),
                     (b"never-logged", "any of them")):
    check(f"the log never holds {what}", secret not in text)

subprocess.run(["rm", "-rf", work])
print(f"{passes} passed, {failures} failed")
sys.exit(1 if failures else 0)
