"""One real iampass-server on 127.0.0.1 (port 0) with a fresh SQLite file and two applications
(one with number matching), the official client pointed at it, and per test a fresh Chromium
whose virtual authenticator is the phone's platform authenticator. Every wait is bounded."""

import json
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "common"))
import iampass_server as common  # noqa: E402
import web_phone  # noqa: E402

SHOTS = os.environ.get("IAMPASS_SCREENSHOTS", os.path.join(os.path.dirname(__file__), ".screenshots"))


class Server(common.Server):
    """Two applications (one with number matching); pushes may go to a push service on loopback.
    The phone opens it as http://localhost:PORT (passkeys refuse IP literals)."""

    def __init__(self, tmp, *extra):
        super().__init__(tmp, {"Payroll": [], "Matching": ["--number-matching"]}, "--request-timeout", "60",
                         "--push-extra-hosts", "127.0.0.1", "--push-contact", "mailto:ops@example.com", *extra)
        self.phone_url = f"http://localhost:{self.port}"

    def signed(self, app, method, path):
        """A Management API call signed with the official client's own signing function."""
        from IAMPASS.hmac import make_authentication_headers

        app_id, secret = self.apps[app]
        url = self.url + path.format(app=app_id)
        req = urllib.request.Request(url, headers=make_authentication_headers(app_id, secret, url), method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")


_SERVER = None
# Every phone token and registration link this run handled; test_zz checks none reached the log.
SEEN_SECRETS = []


def pytest_configure(config):
    """Starts the server before test modules are imported (see `common.point_official_client`)."""
    global _SERVER
    _SERVER = Server(tempfile.mkdtemp(prefix="iampass-webphone-"))
    common.point_official_client(_SERVER)


def pytest_unconfigure(config):
    if _SERVER is not None:
        _SERVER.stop()
        shutil.rmtree(_SERVER.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    return _SERVER


def management(server, app="Payroll"):
    from IAMPASS.management_api import ManagementAPI

    return ManagementAPI(*server.apps[app])


def authentication(server, app="Payroll"):
    from IAMPASS.authentication_api import AuthenticationAPI

    return AuthenticationAPI(*server.apps[app])


def new_user(server, app="Payroll", display="Ann Lée"):
    """A fresh user of `app` and a registration link for them, from the official client."""
    user = f"ann.{uuid.uuid4().hex[:8]}@corp.example"
    m = management(server, app)
    assert m.add_user(user) == 0
    link = m.get_registration_link(user, display)
    SEEN_SECRETS.append(link.rsplit("/", 1)[1])
    return user, link


class Phone(web_phone.Phone):
    """A phone of this suite: it remembers its token for the log check (`test_zz_logs.py`)."""

    def __init__(self, server):
        super().__init__(server.phone_url, SHOTS)
        self.server = server

    def quit(self):
        try:
            SEEN_SECRETS.append(self.token())
        except Exception:
            pass  # the browser may already be gone
        super().quit()

    def token(self):
        return self.driver.execute_script("return localStorage.getItem('iampass.phone')")

    def api(self, method, path, body=None):
        """A call to the web phone's API with this phone's bearer token: (status, JSON)."""
        req = urllib.request.Request(
            f"{self.server.phone_url}/phone/api/{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"authorization": f"Bearer {self.token()}", "content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def record_approvals(self):
        """Keeps every approval body the page sends, to replay them."""
        self.driver.execute_script("""
            window.__approvals = [];
            const send = window.fetch;
            window.fetch = (url, init) => {
                if (String(url).endsWith('/approve')) window.__approvals.push([String(url), init.body]);
                return send(url, init);
            };""")

    def approvals(self):
        prefix = "/phone/api/"
        return [(url[url.index(prefix) + len(prefix):], json.loads(body))
                for url, body in self.driver.execute_script("return window.__approvals")]


@pytest.fixture
def phone(server):
    p = Phone(server)
    yield p
    p.quit()


@pytest.fixture
def enrolled(server, phone):
    user, link = new_user(server)
    phone.enroll(link)
    return user
