"""Issue 5 end to end, in the real window: the official IAMPASS client logs an employee in with the
phone (iampass-device) approving; the session appears on the dashboard by itself; a click logs it
out and the official client's get_status reports closed. Then caller verification, approved and
denied. A screenshot at each step."""

import glob
import importlib
import os
import subprocess
import time

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By

from conftest import DEVICE, device

START_LOCAL = True


def wait_row(console, status, name):
    """The dashboard row of `name` in `status`, once it shows."""
    def found(_):
        for row in console.by_id("session-row", many=True):
            if row.get_attribute("data-status") == status and name in row.text:
                return row
        return False
    return console.wait.until(found)


def test_setup_an_enrolled_employee(console):
    console.click("add-employee")
    console.when("employee-name").send_keys("Dana Reyes")
    console.click("employee-save")
    console.when("notice", "Added Dana Reyes")
    console.click("enroll")
    link = console.when("register-url").text
    device("enroll", link, "--state", os.path.join(console.tmp, "dana.json"), "--name", "Dana's phone")
    console.when("enroll-status", "Enrolled")
    console.click("nav-settings")
    console.app_id = console.when("application-id").text
    console.server_url = console.when("server-url").text
    secret_file = glob.glob(os.path.join(console.tmp, "data", "secrets", f"{console.app_id}.secret"))[0]
    console.secret = open(secret_file).read().strip()
    console.click("nav-employees")


def official_client(console):
    """The official client, pointed at the console's server before it is first imported."""
    os.environ["IAMPASS_SERVER"] = console.server_url
    import IAMPASS.config
    importlib.reload(IAMPASS.config)
    assert IAMPASS.config.IAMPASS_SERVER.startswith("http://127.0.0.1:")
    from IAMPASS.authentication_api import AuthenticationAPI

    return AuthenticationAPI(console.app_id, console.secret)


def test_a_login_appears_live_and_one_click_logs_it_out(console):
    console.click("nav-dashboard")
    console.when("session-table")
    console.wait.until(lambda _: "Live" in console.by_id("live-indicator").text)
    import sqlite3
    token = sqlite3.connect(os.path.join(console.tmp, "data", "book.db")).execute(
        "SELECT token FROM iampass_tokens t JOIN employees e ON e.id = t.employee_id WHERE e.name = 'Dana Reyes'").fetchone()[0]
    phone = subprocess.Popen([DEVICE, "approve", "--state", os.path.join(console.tmp, "dana.json"), "--timeout", "30"], stdout=subprocess.PIPE, text=True)
    session = official_client(console).authenticate_user(token)
    assert session is not None and session.session_token
    changed = time.monotonic()
    row = wait_row(console, "active", "Dana Reyes")
    shown = time.monotonic()
    phone.communicate(timeout=30)
    assert session.get_status().name == "active"
    print(f"\nsession active on the server → row shows Active: ≤ {(shown - changed) * 1000:.0f} ms from the login call")
    console.shot("10-dashboard-active")
    row.find_element(By.CSS_SELECTOR, '[data-testid="logout"]').click()
    console.when("confirm-logout")
    console.shot("11-confirm-logout")
    clicked = time.monotonic()
    console.click("confirm-logout-yes")
    wait_row(console, "closed", "Dana Reyes")
    print(f"logout clicked → row shows Logged out (server change, event, batch, window): {(time.monotonic() - clicked) * 1000:.0f} ms")
    assert session.get_status().name == "closed"
    console.when("count-closed", "1 Logged out")
    console.shot("12-dashboard-closed")


def verify(console, answer):
    state = os.path.join(console.tmp, "dana.json")
    phone = subprocess.Popen([DEVICE, answer, "--state", state, "--timeout", "30"], stdout=subprocess.PIPE, text=True)
    console.click("nav-employees")
    console.click("verify")
    console.when("verify-dialog")
    def answered(_):
        try:
            text = console.by_id("verify-result").text
        except WebDriverException:  # re-rendered between find and read
            return False
        waiting = ("Sending a push", "Push sent")
        return text if text and not any(w in text for w in waiting) else False

    result = console.wait.until(answered)
    phone.communicate(timeout=30)
    return result


def test_verify_a_caller_approved(console):
    result = verify(console, "approve")
    assert "Verified" in result
    console.shot("13-verify-approved")
    console.click("verify-close")


def test_a_denied_verification_is_not_an_alert_but_a_denied_login_is(console):
    result = verify(console, "deny")
    assert "Not verified" in result and "denied" in result
    console.shot("14-verify-denied")
    console.click("verify-close")
    console.click("nav-dashboard")
    # The verification shows as a row; it raises no "denied a login push" alert.
    wait_row(console, "cancelled", "Dana Reyes")
    assert all("denied" not in a.text for a in console.by_id("alerts", many=True))
    # A login Dana denies does.
    import sqlite3
    token = sqlite3.connect(os.path.join(console.tmp, "data", "book.db")).execute(
        "SELECT token FROM iampass_tokens t JOIN employees e ON e.id = t.employee_id WHERE e.name = 'Dana Reyes'").fetchone()[0]
    phone = subprocess.Popen([DEVICE, "deny", "--state", os.path.join(console.tmp, "dana.json"), "--timeout", "30"], stdout=subprocess.PIPE, text=True)
    official_client(console).authenticate_user(token)
    phone.communicate(timeout=30)
    console.when("alerts", "denied a login push")
    console.shot("15-dashboard-alert")


def test_a_verification_reads_as_one_on_the_phone_and_cancel_withdraws_it(console):
    state = os.path.join(console.tmp, "dana.json")
    console.click("nav-employees")
    console.click("verify")
    console.when("verify-result", "Push sent")
    assert "weak evidence" in console.by_id("verify-weak").text
    shown = device("pending", "--state", state, "--wait", "10").stdout
    assert "the help desk is verifying the identity of" in shown, shown
    console.when("verify-countdown", "more")
    console.shot("20-verify-waiting")
    console.click("verify-cancel")
    console.when("verify-result", "Cancelled")
    assert "no requests waiting" in device("pending", "--state", state).stdout
    console.click("verify-close")


def test_the_employee_page_shows_phone_pushes_and_actions(console):
    console.click("nav-employees")
    console.click("open-employee")
    console.when("person-name", "Dana Reyes")
    console.when("person-phone", "Dana's phone")
    sessions = console.when("person-sessions", "Caller verification")
    assert "Refused on the phone" in sessions.text and "127.0.0.1" in sessions.text
    assert "Caller verification" in console.by_id("person-audit").text
    # Every action is on this screen too.
    for action in ("verify", "logout-everywhere", "lost-phone", "remove"):
        assert console.by_id(action, many=True), action
    console.shot("18-employee-page")
    console.click("back-to-employees")
    console.when("employee-table")
