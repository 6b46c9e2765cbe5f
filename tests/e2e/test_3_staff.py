"""Issue 12 end to end, in the real window: a real iampass-server with staff added by its CLI; the
console keeps no secret. A help-desk member signs in by approving on their phone (the real
iampass-device CLI), logs a session out, and sees no admin screens; an admin signs in and adds a
staff member; the console locks itself after its idle time. Screenshots of each screen."""

import importlib
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import DEVICE, SHOTS, device

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "common"))
from iampass_server import SERVER, Server  # noqa: E402
import web_phone  # noqa: E402

IDLE_LOCK_SECS = 20
CONSOLE_ENV = {"IAMPASS_DESK_IDLE_LOCK_SECS": str(IDLE_LOCK_SECS)}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("staff-server"))
    s = Server(tmp, {"Help desk": []})
    s.app_id, s.secret = s.apps["Help desk"]
    for name, role in [("Hana Help", "helpdesk"), ("Abe Admin", "admin")]:
        out = subprocess.run([SERVER, *s.db_args, "staff", "add", "--app", s.app_id, "--name", name, "--role", role,
                              "--public-url", s.url, "--json"], check=True, capture_output=True, text=True).stdout
        link = json.loads(out)["registration_link"]
        device("enroll", link, "--state", os.path.join(tmp, f"{role}.json"), "--name", f"{name}'s phone")
    s.phones = {"helpdesk": os.path.join(tmp, "helpdesk.json"), "admin": os.path.join(tmp, "admin.json")}
    yield s
    s.stop()


def official(server):
    """The official client's two APIs, pointed at this server (it reads the address at import)."""
    os.environ["IAMPASS_SERVER"] = server.url
    import IAMPASS.config
    importlib.reload(IAMPASS.config)
    import IAMPASS.authentication_api
    import IAMPASS.management_api
    importlib.reload(IAMPASS.authentication_api)
    importlib.reload(IAMPASS.management_api)
    assert IAMPASS.config.IAMPASS_SERVER.startswith("http://127.0.0.1:")
    return (IAMPASS.authentication_api.AuthenticationAPI(server.app_id, server.secret),
            IAMPASS.management_api.ManagementAPI(server.app_id, server.secret))


def sign_in(console, name, phone_state, shot=None):
    console.when("sign-in-name").send_keys(name)
    console.click("sign-in-submit")
    if shot:
        # The console waits for the phone; the phone answers once this is on screen.
        console.when("sign-in-waiting")
        console.shot(shot)
    phone = subprocess.Popen([DEVICE, "approve", "--state", phone_state, "--timeout", "30"], stdout=subprocess.PIPE, text=True)
    header = console.when("signed-in-as", name)
    phone.communicate(timeout=30)
    return header


def test_helpdesk_signs_in_with_the_phone_and_logs_a_session_out(console, server):
    console.when("staff-url").send_keys(server.url)
    console.when("staff-app").send_keys(server.app_id)
    console.click("use-staff-sign-in")
    console.when("sign-in-name")
    console.shot("30-staff-sign-in")
    started = time.monotonic()
    sign_in(console, "Hana Help", server.phones["helpdesk"], shot="31-approve-on-phone")
    print(f"\nsign-in: name sent → console open ≤ {(time.monotonic() - started) * 1000:.0f} ms (includes the CLI phone's poll)")
    assert "Help desk" in console.by_id("signed-in-as").text
    # Admin screens are absent, not disabled; the help desk adds employees to the team book.
    assert console.by_id("nav-staff", many=True) == []
    assert console.by_id("nav-kiosk", many=True) == []
    console.when("add-employee")

    # An employee logs in through the official client; the help desk logs the session out.
    authentication, management = official(server)
    assert management.add_user("emp-1") == 0
    link = management.get_registration_link("emp-1", "Employee One")
    emp_state = os.path.join(console.tmp, "emp.json")
    device("enroll", link, "--state", emp_state, "--name", "Emp's phone")
    phone = subprocess.Popen([DEVICE, "approve", "--state", emp_state, "--timeout", "30"], stdout=subprocess.PIPE, text=True)
    session = authentication.authenticate_user("emp-1")
    assert session is not None
    phone.communicate(timeout=30)
    console.click("nav-dashboard")
    console.when("session-table")

    def active_row(_):
        for row in console.by_id("session-row", many=True):
            if row.get_attribute("data-status") == "active":
                return row
        return False
    row = console.wait.until(active_row)
    console.shot("32-signed-in-helpdesk")
    from selenium.webdriver.common.by import By
    row.find_element(By.CSS_SELECTOR, '[data-testid="logout"]').click()
    console.click("confirm-logout-yes")
    for _ in range(200):
        if session.get_status().name == "closed":
            break
        time.sleep(0.05)
    assert session.get_status().name == "closed"
    console.click("sign-out")
    console.when("sign-in-name")


def test_admin_signs_in_and_adds_a_staff_member(console, server):
    sign_in(console, "Abe Admin", server.phones["admin"])
    # An employee's enrollment on the organisation's server shows the QR code a phone opens.
    console.click("add-employee")
    console.when("employee-name").send_keys("Eve Ortiz")
    console.click("employee-save")
    console.when("notice", "Added Eve Ortiz")
    console.click("enroll")
    console.when("qr")
    assert console.by_id("enroll-unreachable", many=True) == []
    console.shot("05-enroll-qr")
    console.click("back")
    console.click("nav-staff")
    console.when("staff-table", "Hana Help")
    console.when("staff-name").send_keys("Kit Kiosk")
    from selenium.webdriver.support.ui import Select
    Select(console.by_id("staff-role")).select_by_value("kiosk")
    console.click("staff-add")
    url = console.when("staff-register-url").text
    assert "/register/" in url
    console.shot("33-staff-added")
    console.driver.find_element("css selector", '[data-testid="staff-enrollment"] button.primary').click()
    console.when("staff-table", "Kit Kiosk")
    console.shot("34-staff-screen")
    out = subprocess.run([SERVER, *server.db_args, "staff", "list", "--app", server.app_id],
                         check=True, capture_output=True, text=True).stdout
    assert "Kit Kiosk" in out and "kiosk" in out


def test_an_admin_e_mails_an_enrollment_link_through_the_relay(console, server):
    from smtp_sink import SmtpSink
    from selenium.webdriver.support.ui import Select
    sink = SmtpSink()
    try:
        console.click("nav-settings")
        for field, value in (("smtp-host", "127.0.0.1"), ("smtp-port", str(sink.port)), ("smtp-user", "desk"),
                             ("smtp-password", "relay-pass"), ("smtp-from", "IT help desk <helpdesk@corp.example>")):
            el = console.when(field)
            el.clear()
            el.send_keys(value)
        Select(console.by_id("smtp-security")).select_by_value("none")
        console.click("smtp-save")
        console.when("smtp-form", "E-mail relay saved")
        console.click("nav-employees")
        console.click("add-employee")
        console.when("employee-name").send_keys("Fay Mail")
        console.when("employee-email").send_keys("fay@corp.example")
        console.click("employee-save")
        console.when("notice", "Added Fay Mail")
        row = next(r for r in console.by_id("employee-row", many=True) if "Fay Mail" in r.text)
        from selenium.webdriver.common.by import By
        row.find_element(By.CSS_SELECTOR, '[data-testid="enroll"]').click()
        console.when("qr")
        console.click("email-link")
        shown = console.when("register-url", "/register/")
        console.wait.until(lambda _: sink.messages)
        message = sink.messages[0]
        assert message["to"] == ["<fay@corp.example>"] and message["auth"] == ("desk", "relay-pass")
        # Quoted-printable: soft line breaks, and the link's fragment (#name=…) has `=` and `%` escaped.
        data = message["data"].replace("=\r\n", "").replace("=3D", "=").replace("=25", "%")
        assert "image/png" in data
        console.wait.until(lambda _: console.by_id("register-url").text in data)
        console.shot("19-email-sent")
        console.click("back")
    finally:
        sink.stop()


def test_a_second_desk_shares_the_team_book_once_an_admin_approves_it(console, server, tmp_path):
    """Issue 26 in the real windows: desk B (a colleague's computer) signs in as the help desk and
    shows its fingerprint; the admin on desk A sees the same words for it and approves; desk B then
    has every employee, adds one that appears on desk A without a reload, and enrolls them with the
    web phone in Chromium, which names them from the link (the server never hears the name); desk
    A's dashboard names their session."""
    from conftest import Console
    from selenium.webdriver.common.by import By
    console.click("nav-employees")
    console.click("export-csv")
    path = console.when("notice", "Saved ").text.split("Saved ", 1)[1].strip()
    assert "Eve Ortiz" in open(path).read()
    other = Console(str(tmp_path), False, CONSOLE_ENV)
    try:
        other.when("staff-url").send_keys(server.url)
        other.when("staff-app").send_keys(server.app_id)
        other.click("use-staff-sign-in")
        sign_in(other, "Hana Help", server.phones["helpdesk"])
        other.click("nav-settings")
        theirs = other.when("desk-fingerprint").text.strip()
        other.when("team-state", "Waiting for an admin")
        other.shot("36-desk-waiting")

        # Desk A: the request, with the fingerprint computed from the key the server holds.
        console.click("nav-settings")
        def pending_row(_):
            for row in console.by_id("desk-row", many=True):
                if "Waiting for approval" in row.text:
                    return row
            return False
        console.when("desk-table")
        row = console.wait.until(pending_row)
        assert theirs in row.text, f"desk A shows {row.text!r}, desk B shows {theirs}"
        row.find_element(By.CSS_SELECTOR, '[data-testid="fingerprint-compared"]').click()
        console.shot("37-desk-approve")
        row.find_element(By.CSS_SELECTOR, '[data-testid="approve-desk"]').click()
        console.when("team-notice", "now holds the team book")

        # Desk B gets the key by itself (the stream says it was approved), then the whole book.
        other.when("team-state", "Holds the team book")
        assert other.by_id("book-fingerprint").text == console.by_id("book-fingerprint").text
        other.click("nav-employees")
        other.when("employee-table", "Fay Mail")
        console.click("nav-employees")
        console.when("employee-table", "Fay Mail")
        other.click("add-employee")
        other.when("employee-name").send_keys("Gus Green")
        other.click("employee-save")
        other.when("notice", "Added Gus Green")
        console.when("employee-table", "Gus Green")
        console.shot("38-added-on-another-desk")

        # Desk B enrolls Gus with the web phone in Chromium: the link names him in its fragment,
        # which the phone reads and the server never gets.
        row = next(r for r in other.by_id("employee-row", many=True) if "Gus Green" in r.text)
        row.find_element(By.CSS_SELECTOR, '[data-testid="enroll"]').click()
        link = other.when("register-url", "/register/").text.strip()
        assert link.endswith("#name=Gus%20Green"), link
        phone = web_phone.Phone(f"http://localhost:{server.port}", SHOTS)
        try:
            phone.driver.get(link)
            phone.one("enroll-button")
            assert "For Gus Green in Help desk" in phone.text()
            phone.one("enroll-button").click()
            assert "Gus Green" in phone.one("enrolled").text
            assert "Gus Green" in phone.one("who").text
            phone.shot("e2e-enrolled-named")
            other.when("enroll-status", "Enrolled")
            other.shot("39-enrolled-from-desk-b")
            user_id = phone.driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "fetch('/phone/api/me', {headers: {authorization: 'Bearer ' + localStorage.getItem('iampass.phone')}})"
                ".then(r => r.json()).then(j => done(j.user_id));")

            # Gus logs in through the official client and approves on the phone, which names him;
            # desk A's dashboard names him too.
            authentication, _ = official(server)
            session = authentication.authenticate_user(user_id)
            assert session is not None
            assert phone.one("request-who").text == "Gus Green"
            phone.one("approve-button").click()
            phone.one("result")
        finally:
            phone.quit()
        console.click("nav-dashboard")
        console.when("session-table", "Gus Green")
        console.shot("40-dashboard-names-desk-b-employee")
        other.click("sign-out")
        other.when("sign-in-name")
    finally:
        other.quit()


def test_a_lost_phone_is_moved_only_with_a_colleagues_approval(console, server):
    """Issue 27 in the real window: an employee's phone is lost; stopping it is immediate, but the
    new phone's code comes only after a second staff member (Hana, on her own phone: the real CLI,
    which shows who asks, for whom and why) approves; the employee then enrolls the web phone in
    Chromium, and their page shows the recovery."""
    from selenium.webdriver.common.by import By
    console.click("nav-employees")
    console.click("add-employee")
    console.when("employee-name").send_keys("Ivy Lost")
    console.click("employee-save")
    console.when("notice", "Added Ivy Lost")
    row = lambda: next(r for r in console.by_id("employee-row", many=True) if "Ivy Lost" in r.text)  # noqa: E731
    row().find_element(By.CSS_SELECTOR, '[data-testid="enroll"]').click()
    link = console.when("register-url", "/register/").text.strip()
    old_state = os.path.join(console.tmp, "ivy-old.json")
    device("enroll", link, "--state", old_state, "--name", "Ivy's old phone")
    console.when("enroll-status", "Enrolled")
    console.click("back")

    row().find_element(By.CSS_SELECTOR, '[data-testid="lost-phone"]').click()
    console.click("confirm-lost-yes")
    console.when("recover-dialog")
    console.when("recover-approver").send_keys("Hana Help")
    console.when("recover-reason").send_keys("phone stolen on the train")
    console.click("recover-check-called_back_number_on_file")
    console.shot("50-recover-ask")
    console.click("recover-ask")
    console.when("recover-status", "Waiting for Hana Help")
    console.shot("51-recover-waiting")
    # The old phone no longer works: stopping it took effect at once.
    stopped = subprocess.run([DEVICE, "pending", "--state", old_state], capture_output=True, text=True, timeout=30)
    assert stopped.returncode != 0, stopped.stdout
    approved = subprocess.run([DEVICE, "approve", "--state", server.phones["helpdesk"], "--timeout", "30"],
                              check=True, capture_output=True, text=True, timeout=40).stdout
    assert "Abe Admin asks you to approve moving" in approved and "phone stolen on the train" in approved, approved
    console.when("recover-status", "Approved by Hana Help")
    console.shot("52-recover-approved")
    console.click("recover-show-code")
    link = console.when("register-url", "/register/").text.strip()
    assert link.endswith("#name=Ivy%20Lost"), link
    phone = web_phone.Phone(f"http://localhost:{server.port}", SHOTS)
    try:
        phone.driver.get(link)
        phone.one("enroll-button").click()
        assert "Ivy Lost" in phone.one("enrolled").text
    finally:
        phone.quit()
    console.when("enroll-status", "Enrolled")
    console.click("back")
    row().find_element(By.CSS_SELECTOR, '[data-testid="open-employee"]').click()
    history = console.when("recovery-history", "approved by Hana Help").text
    assert "new link issued" in history, history
    console.shot("53-recovery-history")
    console.click("back-to-employees")


def test_the_console_locks_after_its_idle_time(console, server):
    console.click("nav-settings")
    console.when("settings-staff", "Abe Admin")
    # No input from here: the lock comes by itself, bounded at twice its time.
    deadline = time.monotonic() + 2 * IDLE_LOCK_SECS + 10
    while time.monotonic() < deadline and not console.by_id("sign-in-notice", many=True):
        time.sleep(0.5)
    notice = console.when("sign-in-notice").text
    assert "Locked after" in notice, notice
    console.shot("35-idle-locked")
    # The sign-in is over on the server too.
    out = subprocess.run([SERVER, *server.db_args, "staff", "list", "--app", server.app_id],
                         check=True, capture_output=True, text=True).stdout
    assert "Abe Admin" in out
    line = next(l for l in out.splitlines() if "Abe Admin" in l)
    assert "0 signed in" in line, line
