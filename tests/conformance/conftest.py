"""Starts one real iampass-server on 127.0.0.1 (port 0) with a fresh SQLite file and one application
(tests/common/iampass_server.py), and points the official client at it."""

import os
import shutil
import subprocess
import sys
import tempfile
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "common"))
from iampass_server import Server, point_official_client  # noqa: E402

DEVICE = os.environ.get("IAMPASS_DEVICE_BIN", "target/debug/iampass-device")


_SERVER = None
# Every secret value this run handled; test_zz_logs checks none reached the server's log.
SEEN_SECRETS = []


def remember(*values):
    SEEN_SECRETS.extend(v for v in values if v)


def pytest_configure(config):
    """Starts the server before test modules are imported (see `point_official_client`)."""
    global _SERVER
    _SERVER = Server(tempfile.mkdtemp(prefix="iampass-conformance-"), {"Conformance": []}, "--request-timeout", "20")
    _SERVER.app_id, _SERVER.secret = _SERVER.apps["Conformance"]
    remember(_SERVER.secret)
    point_official_client(_SERVER)


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
