"""Refusing something huge must not cost memory in proportion to it.

claimsd as a process on loopback: its peak RSS (VmHWM) after it refuses a 50 MB workflow file
dropped into its workflow directory, and after a 100 MB request, stays within 20 MB of its peak
when idle. claimsctl: its peak RSS while refusing a 50 MB workflow file, and a 100 MB answer
from a server, stays within 20 MB of the same command on ordinary input.

check_memory.py CLAIMSD CLAIMSCTL CONFIG_DIR
"""

import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import grpc

LIMIT_KB = 20 * 1024
HUGE = 50 * 1000 * 1000
MESSAGE = 100 * 1024 * 1024
failures = []
# A ListClaimsRequest for partners/contoso (field 1, the parent).
LIST_CONTOSO = b"\x0a" + bytes([len(b"partners/contoso")]) + b"partners/contoso"


def check(description, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + description + (f" ({detail})" if detail else ""))
    if not ok:
        failures.append(description)


def peak_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmHWM:\s+(\d+) kB", status.read()).group(1))


def child_peak_kb(argv, env=None):
    """Runs argv to completion in a fresh process; returns (exit code, output, its peak RSS)."""
    # RUSAGE_CHILDREN is the maximum over every child waited for, so each measurement runs
    # in a child python of its own that reports only its own child.
    probe = (
        "import resource,subprocess,sys;"
        "p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "print(p.returncode);print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
        "sys.stdout.write(p.stdout+p.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True,
                         env=env, timeout=120).stdout
    code, rss, rest = out.split("\n", 2)
    return int(code), rest, int(rss)


def huge_file(path):
    with open(path, "wb") as f:
        block = b"states:\n" + b"a" * (1 << 20)
        written = 0
        while written < HUGE:
            f.write(block)
            written += len(block)


def start_claimsd(claimsd, work):
    log = open(os.path.join(work, "log"), "w+")
    proc = subprocess.Popen([claimsd, "--config", os.path.join(work, "claimsd.yaml")],
                            stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        log.seek(0)
        found = re.search(r"port (\d+)", log.read())
        if found:
            return proc, int(found.group(1)), log
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    log.seek(0)
    sys.exit("claimsd did not start:\n" + log.read())


def raw_call(port, method, payload):
    channel = grpc.insecure_channel(f"127.0.0.1:{port}",
                                    options=[("grpc.max_send_message_length", -1)])
    call = channel.unary_unary(method, request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)
    try:
        call(payload, timeout=60, metadata=[("x-claims-actor", "pat"),
                                            ("x-claims-roles", "billing_admin"),
                                            ("x-claims-partner", "contoso")])
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()
    finally:
        channel.close()


def claimsd_checks(claimsd, config_dir, work):
    shutil.copytree(os.path.join(config_dir, "workflows"), os.path.join(work, "workflows"))
    shutil.copytree(os.path.join(config_dir, "calendars"), os.path.join(work, "calendars"))
    with open(os.path.join(config_dir, "claimsd.yaml")) as f:
        config = f.read()
    config = re.sub(r"(?m)^listen: .*", "listen: 127.0.0.1:0", config)
    config = re.sub(r"(?m)^  listen: .*", '  listen: ""', config)
    config = re.sub(r"(?m)^  url: sqlite:.*", "  url: sqlite:claims.db", config)
    config = re.sub(r"(?m)^  watch_seconds: .*", "  watch_seconds: 1", config)
    with open(os.path.join(work, "claimsd.yaml"), "w") as f:
        f.write(config)
    proc, port, log = start_claimsd(claimsd, work)
    try:
        # Idle: started, and having answered ordinary calls.
        for _ in range(3):
            raw_call(port, "/claims.v1.Claims/ListClaims", LIST_CONTOSO)
        idle = peak_kb(proc.pid)

        huge_file(os.path.join(work, "workflows", "huge.yaml"))
        refused = False
        for _ in range(100):
            log.seek(0)
            if re.search(r"huge\.yaml: \d+ bytes, more than the limit", log.read()):
                refused = True
                break
            time.sleep(0.1)
        check("claimsd refuses a 50 MB workflow file dropped into its directory", refused)
        after_file = peak_kb(proc.pid)
        check("claimsd's peak RSS stays within 20 MB of idle after refusing it",
              after_file - idle < LIMIT_KB, f"idle {idle} kB, after {after_file} kB")
        os.remove(os.path.join(work, "workflows", "huge.yaml"))

        # A CreateClaimRequest whose first field claims 100 MB.
        payload = b"\x0a" + b"x" * MESSAGE
        code = raw_call(port, "/claims.v1.Claims/CreateClaim", payload)
        check("claimsd refuses a 100 MB request with RESOURCE_EXHAUSTED",
              code == grpc.StatusCode.RESOURCE_EXHAUSTED, str(code))
        after_message = peak_kb(proc.pid)
        check("claimsd's peak RSS stays within 20 MB of idle after refusing it",
              after_message - idle < LIMIT_KB, f"idle {idle} kB, after {after_message} kB")
        # Four at once (400 MB) cost about what one does: the quota is shared by every
        # connection, so the bound is not per request.
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            codes = list(pool.map(lambda _: raw_call(port, "/claims.v1.Claims/CreateClaim",
                                                     payload), range(4)))
        check("four 100 MB requests at once are all refused",
              all(c == grpc.StatusCode.RESOURCE_EXHAUSTED for c in codes), str(codes))
        after_four = peak_kb(proc.pid)
        check("claimsd's peak RSS stays within 2 x 20 MB of idle after refusing four at once",
              after_four - idle < 2 * LIMIT_KB, f"idle {idle} kB, after {after_four} kB")
        code = raw_call(port, "/claims.v1.Claims/ListClaims", LIST_CONTOSO)
        check("claimsd still answers afterwards", code == grpc.StatusCode.OK, str(code))
        print(f"claimsd peak RSS: idle {idle} kB, after a 50 MB file {after_file} kB, after a "
              f"100 MB request {after_message} kB, after four {after_four} kB")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


class HugeAnswers(grpc.GenericRpcHandler):
    """A server that answers GetClaim with `size` bytes (an empty Claim when size is 0)."""

    def __init__(self, size):
        self.size = size

    def service(self, handler_call_details):
        if handler_call_details.method != "/claims.v1.Claims/GetClaim":
            return None
        answer = b"\x0a" + b"x" * self.size if self.size else b""
        return grpc.unary_unary_rpc_method_handler(
            lambda request, context: answer,
            request_deserializer=lambda b: b, response_serializer=lambda b: b)


def serve(size):
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(2),
                         options=[("grpc.max_send_message_length", -1)])
    server.add_generic_rpc_handlers((HugeAnswers(size),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def claimsctl_checks(claimsctl, config_dir, work):
    shipped = os.path.join(config_dir, "workflows", "cpor-association.yaml")
    huge = os.path.join(work, "huge.yaml")
    huge_file(huge)
    code, _, ordinary = child_peak_kb([claimsctl, "validate", shipped])
    check("claimsctl validates the shipped workflow", code == 0)
    code, out, refused = child_peak_kb([claimsctl, "validate", huge])
    check("claimsctl refuses a 50 MB workflow file", code != 0 and "more than the limit" in out,
          out.strip()[:200])
    check("claimsctl's peak RSS refusing it stays within 20 MB of validating the shipped one",
          refused - ordinary < LIMIT_KB, f"ordinary {ordinary} kB, refusing {refused} kB")

    env = dict(os.environ, CLAIMS_ACTOR="pat", CLAIMS_ROLES="billing_admin",
               CLAIMS_PARTNER="contoso")
    small_server, small_port = serve(0)
    huge_server, huge_port = serve(MESSAGE)
    try:
        name = "partners/contoso/claims/c1"
        code, _, small = child_peak_kb(
            [claimsctl, "claims", "get", name, "--server", f"127.0.0.1:{small_port}"], env)
        check("claimsctl reads an ordinary answer", code == 0)
        code, out, big = child_peak_kb(
            [claimsctl, "claims", "get", name, "--server", f"127.0.0.1:{huge_port}"], env)
        check("claimsctl refuses a 100 MB answer", code != 0 and "RESOURCE_EXHAUSTED" in out,
              out.strip()[:200])
        check("claimsctl's peak RSS refusing it stays within 20 MB of an ordinary answer",
              big - small < LIMIT_KB, f"ordinary {small} kB, refusing {big} kB")
        print(f"claimsctl peak RSS: validate {ordinary} kB, refusing a 50 MB file {refused} kB, "
              f"an ordinary answer {small} kB, refusing a 100 MB answer {big} kB")
    finally:
        small_server.stop(0)
        huge_server.stop(0)


def main():
    claimsd, claimsctl, config_dir = sys.argv[1:4]
    work = tempfile.mkdtemp(prefix="claims-memory-")
    try:
        claimsd_checks(claimsd, config_dir, os.path.join(work, "server"))
        os.makedirs(os.path.join(work, "cli"))
        claimsctl_checks(claimsctl, config_dir, os.path.join(work, "cli"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
