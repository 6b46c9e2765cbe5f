"""The web phone end to end: enroll with a passkey at the registration link, then answer logins
that the official IAMPASS client starts, in a real Chromium with a virtual authenticator."""

import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from IAMPASS.management_api import ManagementAPIResult
from IAMPASS.status import Status

from conftest import SEEN_SECRETS, Phone, Server, authentication, common, management, new_user


# Fetching a request turns a login from pending to identifying; both still wait for the phone.
WAITING = (Status.pending, Status.identifying)


def wait_status(session, done, attempts=400):
    """Polls the status as an integrating app would, until `done(status)` (bounded)."""
    for _ in range(attempts):
        status = session.get_status()
        if done(status):
            return status
        time.sleep(0.025)
    return session.get_status()


def status_json(session):
    """The raw status answer, signed with the session's credentials like the client does."""
    from IAMPASS.hmac import make_authentication_headers

    req = urllib.request.Request(session.status_url, headers=make_authentication_headers(
        session.session_token, session.session_secret, session.status_url))
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def login_showing_code(server, user, app="Matching"):
    """A login as an integrating app with number matching makes it: signed by the official client's
    own function and read by its own Session parser, keeping the code the login screen shows (the
    client's authenticate_user drops it)."""
    from IAMPASS.hmac import make_authentication_headers
    from IAMPASS.session import Session

    app_id, secret = server.apps[app]
    url = f"{server.url}/authentication/authenticate_user/{app_id}/{urllib.parse.quote_plus(user)}"
    headers = make_authentication_headers(app_id, secret, url)
    headers["Content-Type"] = "application/json"
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers, data=b"{}"), timeout=10) as r:
        data = json.loads(r.read())
    return Session.from_authentication_response(data), data["authentication_status"]["verification_code"]


def login(server, user, app="Payroll"):
    session = authentication(server, app).authenticate_user(user)
    assert session is not None and session.session_status == Status.pending
    return session


def test_enroll_then_approve_makes_the_session_active(server, phone):
    user, link = new_user(server)
    assert management(server).has_registered_mobile_device(user) != ManagementAPIResult.has_mobile_device
    phone.enroll(link, shot="enroll")
    phone.shot("enrolled")
    assert management(server).has_registered_mobile_device(user) == ManagementAPIResult.has_mobile_device
    listed = server.signed("Payroll", "GET", "/management/users/{app}?user=" + urllib.parse.quote_plus(user))
    device = listed["users"][0]["device"]
    # A virtual platform authenticator's passkey is not backed up: "this phone only".
    assert (device["kind"], device["name"], device["synced"], device["platform"]) == ("passkey", "Web phone", False, "Android")
    session = login(server, user)
    request = phone.one("request")
    # Named as the application's link named them (the official client sent "Ann Lée").
    assert "Payroll" in request.text and "Ann Lée" in request.text
    # What the server saw of the login's request: the official client's address and user agent.
    assert phone.one("request-origin").text.startswith("From 127.0.0.1 · Python-urllib/")
    phone.shot("request")
    phone.one("approve-button").click()
    result = phone.one("result")
    assert wait_status(session, lambda s: s not in WAITING) == Status.active
    phone.wait(lambda: "Approved" in result.text)
    phone.wait(lambda: len(phone.all("session")) == 1)
    phone.shot("approved")


def test_a_help_desk_verification_reads_as_one_not_as_a_sign_in(server, phone, enrolled):
    started = server.signed("Payroll", "POST", f"/console/v1/{{app}}/verifications/{enrolled}")
    assert started["verification_id"], started
    card = phone.one("request")
    assert card.get_attribute("data-purpose") == "verification"
    assert "The help desk is verifying your identity" in card.text, card.text
    assert "Sign in to" not in card.text
    assert "signs nothing in" in phone.one("verification-explained").text
    phone.shot("verification")
    phone.one("approve-button").click()
    phone.wait(lambda: "the help desk now knows it is you" in phone.one("result").text)
    answer = server.signed("Payroll", "GET", f"/console/v1/{{app}}/verification/{started['verification_id']}")
    assert answer["status"] == "active", answer


def test_deny_cancels_and_fraud_fails(server, phone, enrolled):
    first = login(server, enrolled)
    phone.one("request")
    phone.one("deny-button").click()
    assert wait_status(first, lambda s: s == Status.cancelled) == Status.cancelled
    phone.wait(lambda: "Denied" in phone.one("result").text)
    second = login(server, enrolled)
    phone.wait(lambda: len(phone.all("request")) == 1)
    phone.one("fraud-button").click()
    assert wait_status(second, lambda s: s == Status.failed) == Status.failed
    assert status_json(second)["authentication_status"]["reason"] == "fraud"
    phone.wait(lambda: "fraud" in phone.one("result").text)


def test_number_matching_right_code_approves_and_wrong_code_fails(server, phone):
    user, link = new_user(server, "Matching")
    phone.enroll(link)
    right, code = login_showing_code(server, user)
    phone.one("code-input").send_keys(code)
    phone.shot("code")
    phone.one("approve-button").click()
    assert wait_status(right, lambda s: s not in WAITING) == Status.active

    wrong, code = login_showing_code(server, user)
    other = "%02d" % ((int(code) + 1) % 100)
    phone.wait(lambda: len(phone.all("code-input")) == 1)
    phone.one("code-input").send_keys(other)
    phone.one("approve-button").click()
    assert wait_status(wrong, lambda s: s not in WAITING) == Status.failed
    phone.wait(lambda: "does not match" in phone.one("result").text)


def test_an_authenticator_that_does_not_verify_the_user_cannot_approve(server, phone, enrolled):
    session = login(server, enrolled)
    phone.one("request")
    phone.driver.set_user_verified(False)
    phone.one("approve-button").click()
    phone.wait(lambda: "Not approved" in phone.one("result").text)
    phone.shot("not-verified")
    assert session.get_status() in WAITING
    phone.driver.set_user_verified(True)


def test_the_name_in_the_links_fragment_shows_on_the_phone_and_never_reaches_the_server(server, phone):
    """The console puts the employee's name in the link's fragment (the server gets no name): the
    phone shows it at enrollment, in its header and on each request, and keeps the code out of its
    address."""
    user, link = new_user(server, display="")
    name = "Zoë Fragment-Okonkwo"
    phone.driver.get(link + "#name=" + urllib.parse.quote(name))
    phone.one("enroll-button")
    assert f"For {name} in Payroll" in phone.driver.find_element("css selector", "main").text
    assert link.rsplit("/", 1)[1] not in phone.driver.current_url, "the code left the address"
    phone.shot("enroll-named")
    phone.one("enroll-button").click()
    assert name in phone.one("enrolled").text
    assert name in phone.one("who").text
    session = login(server, user)
    assert phone.one("request-who").text == name
    phone.shot("request-named")
    phone.one("approve-button").click()
    assert wait_status(session, lambda s: s not in WAITING) == Status.active
    server.log.flush()
    with open(server.log_path) as f:
        assert "Fragment-Okonkwo" not in f.read(), "the name never reached the server"
    listed = server.signed("Payroll", "GET", "/management/users/{app}?user=" + urllib.parse.quote_plus(user))
    assert "Okonkwo" not in json.dumps(listed)


def test_a_used_link_and_an_expired_link_bind_nothing(server, phone, tmp_path, monkeypatch):
    user, link = new_user(server)
    phone.enroll(link)
    again = Phone(server)
    try:
        again.driver.get(link)
        again.wait(lambda: "already been used" in again.text())
        assert again.all("enroll-button") == []
        again.shot("link-used")
    finally:
        again.quit()

    short = Server(str(tmp_path), "--link-lifetime", "1")
    late = Phone(short)
    try:
        import IAMPASS.management_api

        monkeypatch.setattr(IAMPASS.management_api, "IAMPASS_SERVER", short.url)
        m = management(short)
        user = "late@corp.example"
        m.add_user(user)
        link = m.get_registration_link(user, "Late")
        time.sleep(1.5)
        late.driver.get(link.replace(short.url, short.phone_url))
        late.wait(lambda: "expired" in late.text())
        assert late.all("enroll-button") == []
        assert m.has_registered_mobile_device(user) != ManagementAPIResult.has_mobile_device
    finally:
        late.quit()
        short.stop()


def test_a_replayed_assertion_and_one_for_another_request_are_refused(server, phone, enrolled):
    phone.record_approvals()
    first = login(server, enrolled)
    phone.one("request")
    phone.one("approve-button").click()
    assert wait_status(first, lambda s: s not in WAITING) == Status.active
    phone.wait(lambda: len(phone.approvals()) == 1)
    first_url, sent = phone.approvals()[0]

    # The same answer again: its ticket is spent and the login no longer waits.
    status, body = phone.api("POST", first_url, sent)
    assert status in (403, 409), body

    # The first login's assertion offered for a second login: refused by the ticket's binding, and,
    # with the second login's own ticket, by the challenge it signed.
    second = login(server, enrolled)
    phone.wait(lambda: len(phone.all("request")) == 1)
    second_id = pending_ids(phone)[0]
    status, body = phone.api("POST", f"requests/{second_id}/approve", sent)
    assert (status, body["error"]) == (403, "invalid_ticket"), body
    status, ceremony = phone.api("POST", f"requests/{second_id}/options", {})
    assert status == 200, ceremony
    status, body = phone.api("POST", f"requests/{second_id}/approve",
                             {"ticket": ceremony["ticket"], "credential": sent["credential"]})
    assert (status, body["error"]) == (403, "passkey_refused"), body
    assert second.get_status() in WAITING


def pending_ids(phone):
    """The ids of the logins waiting for this phone, as its API lists them."""
    status, body = phone.api("GET", "requests")
    assert status == 200, body
    return [r["session_id"] for r in body["requests"]]


def test_lost_phone_removes_the_web_phone(server, phone, enrolled):
    server.signed("Payroll", "GET", "/management/lost_user_mobile_device/{app}/" + urllib.parse.quote(enrolled))
    phone.one("removed", timeout=40)
    phone.shot("removed")
    assert phone.token() is None


def test_a_long_id_never_makes_the_page_wider_than_the_phone(server, phone):
    """An integrating app's user id can be long, and no name comes with its link: the pages wrap it."""
    user = "a.very.long.user.identifier." + "x" * 90 + "@corp.example"
    m = management(server)
    assert m.add_user(user) == 0
    link = m.get_registration_link(user, "")
    phone.enroll(link)
    session = login(server, user)
    phone.one("request")
    width = phone.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} CSS px wide on a 390 px phone"
    phone.one("deny-button").click()
    assert wait_status(session, lambda s: s not in WAITING) == Status.cancelled


def test_offline_is_said_at_once_and_the_phone_asks_again_when_back(server, phone, enrolled):
    phone.one("none-waiting")
    phone.driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    started = time.monotonic()
    banner = phone.wait(lambda: next((p for p in phone.driver.find_elements("css selector", "p.status.warn") if "Offline" in p.text), None), timeout=5)
    print(f"\noffline noticed after {(time.monotonic() - started) * 1000:.0f} ms")
    assert banner is not None
    assert phone.all("none-waiting") == [], "never \"no sign-in is waiting\" while offline"
    phone.driver.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
    session = login(server, enrolled)
    phone.one("request", timeout=10)
    assert not any("Offline" in p.text for p in phone.driver.find_elements("css selector", "p.status.warn"))
    phone.one("deny-button").click()
    assert wait_status(session, lambda s: s not in WAITING) == Status.cancelled


def test_remote_logout_from_the_app(server, phone, enrolled):
    session = login(server, enrolled)
    phone.one("request")
    phone.one("approve-button").click()
    assert wait_status(session, lambda s: s not in WAITING) == Status.active
    phone.wait(lambda: len(phone.all("logout-button")) == 1)
    phone.one("logout-button").click()
    assert wait_status(session, lambda s: s == Status.closed) == Status.closed
    phone.wait(lambda: "Logged out" in phone.one("result").text)


def test_a_second_login_while_the_first_is_pending(server, phone, enrolled):
    first = login(server, enrolled)
    second = login(server, enrolled)
    phone.wait(lambda: len(phone.all("request")) == 2)
    assert "2 sign-ins are waiting at once" in phone.one("several-waiting").text
    assert [n.text for n in phone.all("request-number")] == ["1 of 2:", "2 of 2:"]
    assert all(" s</strong>" in c.get_attribute("innerHTML") for c in phone.all("request-countdown")), "each counts down"
    phone.shot("two-requests")
    phone.all("approve-button")[0].click()
    phone.wait(lambda: "Approved" in phone.one("result").text)
    phone.wait(lambda: len(phone.all("request")) == 1)
    approved = first.get_status() == Status.active
    assert approved != (second.get_status() == Status.active)
    still = second if approved else first
    assert still.get_status() in WAITING
    phone.one("deny-button").click()
    assert wait_status(still, lambda s: s == Status.cancelled) == Status.cancelled


def test_an_installed_app_finds_its_phone_with_the_passkey(server, phone, enrolled):
    phone.driver.execute_script("localStorage.clear()")
    phone.driver.get(f"{server.phone_url}/phone/")
    button = phone.one("signin-button")
    phone.shot("sign-in")
    button.click()
    phone.wait(lambda: "Sign-in requests" in phone.text())
    session = login(server, enrolled)
    phone.one("request")
    phone.one("approve-button").click()
    assert wait_status(session, lambda s: s not in WAITING) == Status.active


def test_the_app_is_installable_and_cannot_be_framed(server):
    with urllib.request.urlopen(f"{server.phone_url}/phone/", timeout=10) as r:
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert r.headers["Cache-Control"] == "no-cache"
        page = r.read().decode()
    assert 'rel="manifest"' in page
    with urllib.request.urlopen(f"{server.phone_url}/phone/manifest.webmanifest", timeout=10) as r:
        manifest = json.loads(r.read())
    assert (manifest["display"], manifest["start_url"], manifest["scope"]) == ("standalone", "/phone/", "/phone/")
    assert sorted(i["sizes"] for i in manifest["icons"]) == ["192x192", "512x512"]
    for icon in manifest["icons"]:
        with urllib.request.urlopen(server.phone_url + icon["src"], timeout=10) as r:
            assert r.headers["Content-Type"] == "image/png" and r.read(8) == b"\x89PNG\r\n\x1a\n"
    with urllib.request.urlopen(f"{server.phone_url}/phone/sw.js", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/javascript")
        etag = r.headers["ETag"]
    # Revalidating an unchanged file costs a 304, not the file.
    again = urllib.request.Request(f"{server.phone_url}/phone/sw.js", headers={"If-None-Match": etag})
    try:
        urllib.request.urlopen(again, timeout=10)
        raise AssertionError("expected 304")
    except urllib.error.HTTPError as e:
        assert e.code == 304


def test_a_browser_without_passkeys_is_told_so_and_binds_nothing(server):
    user, link = new_user(server)
    bare = Phone(server)
    try:
        bare.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                    {"source": "delete window.PublicKeyCredential;"})
        bare.driver.get(link)
        bare.wait(lambda: "cannot use passkeys" in bare.text())
        assert bare.all("enroll-button") == []
        bare.shot("no-webauthn")
    finally:
        bare.quit()
    assert management(server).has_registered_mobile_device(user) != ManagementAPIResult.has_mobile_device


def staff_phone(server, name):
    """A help-desk staff member whose phone is a web phone (added with the server's own CLI)."""
    app_id, _ = server.apps["Payroll"]
    out = subprocess.run([common.SERVER, *server.db_args, "staff", "add", "--app", app_id, "--name", name,
                          "--role", "helpdesk", "--public-url", server.phone_url, "--json"],
                         check=True, capture_output=True, text=True).stdout
    link = json.loads(out)["registration_link"]
    SEEN_SECRETS.append(link.rsplit("/", 1)[1])
    return link


def call(server, method, path, body=None, token=None):
    app_id, _ = server.apps["Payroll"]
    req = urllib.request.Request(server.url + path.format(app=app_id), method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"content-type": "application/json",
                                          **({"authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=15) as r:
        return json.loads(r.read())


def test_a_colleagues_recovery_reads_as_one_and_says_who_asks_for_whom_and_why(server, phone):
    """Issue 27: the second staff member's phone shows a recovery's approval as what it is (who asks
    to move which employee to a new phone, the check and the reason), and approving signs nobody in."""
    phone.enroll(staff_phone(server, "Bea Approver"))
    asker = Phone(server)
    try:
        asker.enroll(staff_phone(server, "Hal Asker"))
        started = call(server, "POST", "/console/v1/{app}/sign_in", {"staff": "Hal Asker"})
        asker.one("approve-button").click()
        asker.one("result")
        token = call(server, "GET", urllib.parse.urlsplit(started["status_url"]).path + "?wait=10")["token"]
        SEEN_SECRETS.append(token)
    finally:
        asker.quit()
    user, _ = new_user(server)
    recovery = call(server, "POST", "/console/v1/{app}/recoveries", {
        "user_id": user, "reason": "phone stolen on the train", "check": "called_back_number_on_file",
        "evidence": {"kind": "second_staff", "approver": "Bea Approver"}}, token)
    assert recovery["state"] == "waiting", recovery
    card = phone.one("request")
    assert card.get_attribute("data-purpose") == "recovery_approval"
    assert "Hal Asker asks you to approve a new phone" in card.text, card.text
    explained = phone.one("recovery-explained").text
    for words in (user, "called back the number on file", "phone stolen on the train", "if in doubt, deny"):
        assert words in explained, explained
    assert "Sign in to" not in card.text
    phone.shot("recovery-approval")
    phone.one("approve-button").click()
    phone.wait(lambda: "Nothing was signed in" in phone.one("result").text)
    answer = call(server, "GET", f"/console/v1/{{app}}/recoveries/{recovery['recovery_id']}", token=token)
    assert (answer["state"], answer["approver"]) == ("approved", "Bea Approver"), answer
