"""Starts one real iampass-server on 127.0.0.1 (port 0) with a fresh SQLite file, creates an
application with the server's own CLI, and points the official client at it through
IAMPASS_SERVER, which the client reads once, at import."""

import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

SERVER = os.environ.get("IAMPASS_SERVER_BIN", "target/debug/iampass-server")
DEVICE = os.environ.get("IAMPASS_DEVICE_BIN", "target/debug/iampass-device")


class Server:
    def __init__(self, tmp):
        self.tmp = tmp
        self.db = os.path.join(tmp, "conformance.db")
        out = subprocess.run(
            [SERVER, "--db", self.db, "app", "create", "--name", "Conformance", "--json"],
            check=True, capture_output=True, text=True,
        ).stdout
        app = json.loads(out)
        self.app_id, self.secret = app["application_id"], app["application_secret"]
        remember(self.secret)
        self.log_path = os.path.join(tmp, "server.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [SERVER, "--db", self.db, "serve", "--listen", "127.0.0.1:0", "--request-timeout", "20"],
            stdout=subprocess.PIPE, stderr=self.log, text=True,
        )
        line = self.proc.stdout.readline()
        assert line.startswith("iampass-server listening on "), f"server did not start: {line!r}"
        self.url = line.rsplit(" ", 1)[1].strip()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


_SERVER = None
# Every secret value this run handled; test_zz_logs checks none reached the server's log.
SEEN_SECRETS = []


def remember(*values):
    SEEN_SECRETS.extend(v for v in values if v)


def pytest_configure(config):
    """Starts the server before test modules are imported: the official client reads
    IAMPASS_SERVER once, when it is first imported."""
    global _SERVER
    tmp = tempfile.mkdtemp(prefix="iampass-conformance-")
    _SERVER = Server(tmp)
    os.environ["IAMPASS_SERVER"] = _SERVER.url
    from IAMPASS import config as client_config

    # Network tests only ever reach loopback.
    assert client_config.IAMPASS_SERVER.startswith("http://127.0.0.1:"), client_config.IAMPASS_SERVER


def pytest_unconfigure(config):
    if _SERVER is not None:
        _SERVER.stop()
        shutil.rmtree(_SERVER.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    return _SERVER


@pytest.fixture(scope="session")
def management(server):
    from IAMPASS.management_api import ManagementAPI

    return ManagementAPI(server.app_id, server.secret)


@pytest.fixture(scope="session")
def authentication(server):
    from IAMPASS.authentication_api import AuthenticationAPI

    return AuthenticationAPI(server.app_id, server.secret)


@pytest.fixture
def user():
    """A fresh user id with characters that need encoding."""
    return f"user+{uuid.uuid4().hex[:8]}@corp é"


def device(*args, check=True, timeout=60):
    """Runs the real iampass-device CLI."""
    return subprocess.run([DEVICE, *args], check=check, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def enrolled(server, management, user, tmp_path):
    """A user with a phone enrolled through the registration link the official client got."""
    assert management.add_user(user) == 0  # ManagementAPIResult.success
    link = management.get_registration_link(user, "Ann Lée")
    remember(link.rsplit("/", 1)[1])
    state = str(tmp_path / "phone.json")
    device("enroll", link, "--state", state, "--name", "conformance phone")
    return user, state
