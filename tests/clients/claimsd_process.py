"""A real claimsd on loopback for the client tests: its own directory with the shipped
workflows, a manual clock (so the TestClock serves), SQLite or a fresh database on the test
MariaDB (tests/testing/mariadb.sh, via CLAIMS_TEST_MYSQL_URL_FILE), started and stopped by PID."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid

CLAIMSD = os.environ["CLAIMSD"]
CONFIG_DIR = os.environ["CLAIMS_CONFIG_DIR"]
BACKEND = os.environ.get("CLAIMS_TEST_BACKEND", "sqlite")


def _fresh_mariadb_url():
    url_file = os.environ["CLAIMS_TEST_MYSQL_URL_FILE"]
    with open(url_file) as f:
        server_url = f.read().strip()
    name = "claims_client_" + uuid.uuid4().hex[:12]
    socket = os.path.join(os.path.dirname(url_file), "mysqld.sock")
    subprocess.run(["mariadb", "--no-defaults", f"--socket={socket}", "-uroot", "-e",
                    f"CREATE DATABASE {name}"], check=True)
    return server_url + name


class Claimsd:
    """`extra_config`: YAML appended to the configuration (e.g. an auth section)."""

    def __init__(self, extra_config=""):
        self.extra_config = extra_config
        self.dir = tempfile.mkdtemp(prefix="claims-client-")
        for sub in ("workflows", "calendars"):
            shutil.copytree(os.path.join(CONFIG_DIR, sub), os.path.join(self.dir, sub))
        self.url = _fresh_mariadb_url() if BACKEND == "mariadb" else "sqlite:claims.db"
        self.port = 0
        self.environment = {}
        self.process = None
        self._logs = 0

    def _write_config(self):
        with open(os.path.join(CONFIG_DIR, "claimsd.yaml")) as f:
            text = f.read()
        text = re.sub(r"(?m)^  url: .*$", f"  url: {self.url}", text)
        text = re.sub(r"(?m)^listen: .*$", f"listen: 127.0.0.1:{self.port}", text)
        text = re.sub(r"(?m)^  listen: .*$", '  listen: ""', text)
        text = re.sub(r"(?m)^clock: .*$", "clock: manual", text)
        text = re.sub(r"(?m)^shutdown_grace_seconds: .*$", "shutdown_grace_seconds: 1", text)
        text = re.sub(r"(?m)^access_log: .*$", "access_log: false", text)
        path = os.path.join(self.dir, "claimsd.yaml")
        with open(path, "w") as f:
            f.write(text + self.extra_config)
        return path

    def start(self):
        """Starts claimsd (on the port it had before, after a stop); returns host:port."""
        config = self._write_config()
        self._logs += 1
        log_path = os.path.join(self.dir, f"log{self._logs}")
        log = open(log_path, "w")
        self.process = subprocess.Popen([CLAIMSD, "--config", config], stdout=log,
                                        stderr=subprocess.STDOUT, cwd=self.dir,
                                        env=dict(os.environ, **self.environment))
        log.close()
        for _ in range(200):
            with open(log_path) as f:
                log_text = f.read()
            match = re.search(r"port (\d+)", log_text)
            if match:
                # The start line names the database kind: a test meant for MariaDB that ran on
                # SQLite would prove nothing about MariaDB.
                kind = "mysql" if BACKEND == "mariadb" else "sqlite"
                if f"database {kind}" not in log_text:
                    raise RuntimeError(f"claimsd is not on {kind}:\n{log_text}")
                self.port = int(match.group(1))
                return self.target
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        with open(log_path) as f:
            raise RuntimeError("claimsd did not start:\n" + f.read())

    @property
    def target(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
