"""The official client's Management API calls, unchanged, against iampass-server."""

import json
import urllib.parse
import urllib.request
from urllib.error import HTTPError

from IAMPASS.hmac import make_authentication_headers
from IAMPASS.management_api import ManagementAPIResult


def signed(server, method, path, body=None):
    """A request signed by the official client's own signing function (for routes the client
    library has no method for)."""
    url = server.url + path
    headers = make_authentication_headers(server.app_id, server.secret, url)
    headers["Content-Type"] = "application/json"
    data = json.dumps(body).encode() if body is not None else None
    return urllib.request.Request(url, headers=headers, data=data, method=method)


def test_add_users_created_then_existing(management, user):
    other = user + "-2"
    assert management.add_users([user, other]) == ([user, other], [])
    assert management.add_users([user]) == ([], [user])


def test_add_user_success_then_user_exists(management, user):
    assert management.add_user(user) == ManagementAPIResult.success
    assert management.add_user(user) == ManagementAPIResult.user_exists


def test_delete_users(management, user):
    management.add_user(user)
    assert management.delete_users([user]) == ManagementAPIResult.success
    assert management.delete_user(user) == ManagementAPIResult.success
    assert management.has_registered_mobile_device(user) == ManagementAPIResult.failed


def test_registration_link_with_spaces_and_non_ascii(server, management):
    for uid in ["plain", "with space", "slash/and@at", "plus+sign", "élève 名前"]:
        management.add_user(uid)
        link = management.get_registration_link(uid, "Ann Lée Ünal")
        assert link.startswith(server.url + "/register/"), link
        req = urllib.request.Request(link, headers={"Accept": "application/json"})
        info = json.loads(urllib.request.urlopen(req).read())
        assert (info["display_name"], info["application_name"], info["user_id"]) == ("Ann Lée Ünal", "Conformance", uid)


def test_registration_link_for_unknown_user_is_none(management):
    assert management.get_registration_link("nobody-here", None) is None


def test_has_registered_mobile_device(management, enrolled, user):
    assert management.has_registered_mobile_device(user) == ManagementAPIResult.has_mobile_device
    management.add_user(user + "-x")
    assert management.has_registered_mobile_device(user + "-x") == ManagementAPIResult.no_mobile_device


def test_lost_user_mobile_device(server, management, enrolled, user):
    path = "/management/lost_user_mobile_device/{}/{}".format(server.app_id, urllib.parse.quote_plus(user))
    reply = json.loads(urllib.request.urlopen(signed(server, "GET", path)).read())
    assert reply["status"] is True and reply["register_url"].startswith(server.url + "/register/")
    assert management.has_registered_mobile_device(user) == ManagementAPIResult.no_mobile_device


def test_send_registration_sms_reports_not_configured(management, user):
    management.add_user(user)
    assert management.send_registration_sms(user, "Ann", "+15551234567", None) is False


def test_wrong_secret_is_refused_with_a_json_reason(server):
    url = server.url + "/management/add_users/" + server.app_id
    headers = make_authentication_headers(server.app_id, "NOT-THE-SECRET", url)
    req = urllib.request.Request(url, headers=headers, data=b'{"users": ["x"]}')
    try:
        urllib.request.urlopen(req)
        raise AssertionError("accepted a bad signature")
    except HTTPError as e:
        body = e.read().decode()
        assert e.code == 401
        assert json.loads(body)["error"] == "bad_signature"
        assert server.secret not in body and "NOT-THE-SECRET" not in body
