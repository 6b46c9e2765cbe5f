"""The official client's full login, with iampass-device as the phone."""

import json
import subprocess
import time
import urllib.parse
import urllib.request

from IAMPASS.authentication_method import AuthenticationMethod
from IAMPASS.status import Status

from conftest import DEVICE, device, remember
from test_management import signed


def wait_for(session, done, attempts=500):
    """Polls status_url as an integrating app would, until `done(status)` (bounded)."""
    for _ in range(attempts):
        status = session.get_status()
        if done(status):
            return status
        time.sleep(0.02)
    return session.get_status()


def logged_in(authentication, user, state):
    """A login by the official client that the phone (iampass-device) approves."""
    phone = subprocess.Popen([DEVICE, "approve", "--state", state, "--timeout", "30"], stdout=subprocess.PIPE, text=True)
    session = authentication.authenticate_user(user)
    remember(session.session_token, session.session_secret)
    assert wait_for(session, lambda s: s == Status.active) == Status.active
    out, _ = phone.communicate(timeout=30)
    assert phone.returncode == 0 and "active" in out
    return session


def test_no_device_means_not_started(authentication, management, user):
    management.add_user(user)
    session = authentication.authenticate_user(user)
    remember(session.session_token, session.session_secret)
    assert session.session_status == Status.failed
    assert session.failure_reason == "no_device"
    assert session.session_token is None


def test_unknown_user_returns_none(authentication):
    assert authentication.authenticate_user("no-such-user-anywhere") is None


def test_full_login_then_destroy(authentication, enrolled):
    user, state = enrolled
    phone = subprocess.Popen([DEVICE, "approve", "--state", state, "--timeout", "30"], stdout=subprocess.PIPE, text=True)
    session = authentication.authenticate_user(user, [AuthenticationMethod.acceptance, AuthenticationMethod.device], 600)
    remember(session.session_token, session.session_secret)
    assert session.session_status == Status.pending
    assert session.in_progress
    status = wait_for(session, lambda s: s not in (Status.pending, Status.identifying))
    assert status == Status.active and session.active
    out, _ = phone.communicate(timeout=30)
    assert phone.returncode == 0 and "active" in out
    assert session.destroy() is True
    assert session.get_status() == Status.closed


def test_status_answer_has_both_shapes(authentication, enrolled):
    user, state = enrolled
    session = authentication.authenticate_user(user)
    remember(session.session_token, session.session_secret)
    req = urllib.request.Request(session.status_url, method="GET")
    from IAMPASS.hmac import make_authentication_headers
    for k, v in make_authentication_headers(session.session_token, session.session_secret, session.status_url).items():
        req.add_header(k, v)
    body = json.loads(urllib.request.urlopen(req).read())
    assert body["session_status"] == body["authentication_status"]["session_status"] == "pending"
    assert body["authenticated"] is False
    device("deny", "--state", state, "--timeout", "10")


def test_denied_login_is_cancelled(authentication, enrolled):
    user, state = enrolled
    session = authentication.authenticate_user(user)
    remember(session.session_token, session.session_secret)
    device("deny", "--state", state, "--timeout", "10")
    assert session.get_status() == Status.cancelled
    assert session.failed


def test_remote_logout_through_logout_user_reaches_the_client(server, authentication, enrolled):
    user, state = enrolled
    session = logged_in(authentication, user, state)
    path = "/management/logout_user/{}/{}".format(server.app_id, urllib.parse.quote_plus(user))
    reply = json.loads(urllib.request.urlopen(signed(server, "POST", path, {})).read())
    assert reply == {"status": True, "closed": 1}
    assert session.get_status() == Status.closed


def test_walkaway_is_seen_by_the_client(authentication, enrolled):
    user, state = enrolled
    session = logged_in(authentication, user, state)
    device("presence", "--state", state, "--away")
    assert session.get_status() == Status.walkaway
    device("presence", "--state", state, "--near")
    assert session.get_status() == Status.active
    sessions = json.loads(device("sessions", "--state", state, "--json").stdout)
    device("logout", "--state", state, sessions[0]["session_id"])
    assert session.get_status() == Status.closed
