"""Issue 4 end to end: first run, a local server started from the console, an employee added
through the UI and enrolled by `iampass-device enroll` from the link the UI gives; the screen
turns to Enrolled by itself. Also CSV import, audit, the kiosk and its PIN. A screenshot at each
step."""

import os
import time

from selenium.webdriver.common.by import By

from conftest import device

START_LOCAL = False


def test_first_run_offers_setup_and_starts_a_local_server(console):
    console.when("start-local")
    assert "Not connected" in console.by_id("connection").text
    console.shot("01-first-run-setup")
    console.click("start-local")
    assert "Local server" in console.when("connection", "Local server").text
    console.when("employee-table")
    assert console.by_id("warning-banner").text.startswith("Note:")


def test_add_an_employee_through_the_form(console):
    console.click("add-employee")
    console.when("employee-name").send_keys("Ann Lee")
    console.by_id("employee-email").send_keys("ann.lee@corp.example")
    console.by_id("employee-number").send_keys("E-1001")
    console.by_id("employee-department").send_keys("Sales")
    console.shot("02-add-employee")
    console.click("employee-save")
    console.when("notice", "Added Ann Lee")
    rows = console.by_id("employee-row", many=True)
    assert len(rows) == 1 and "Not enrolled" in rows[0].text


def test_import_employees_from_csv_with_a_preview(console):
    path = os.path.join(console.tmp, "people.csv")
    with open(path, "w") as f:
        f.write("name,email,employee_number,department\n")
        f.write("Bob Stone,bob@corp.example,E-1002,Ops\n")
        f.write("Cy Young,cy@corp.example,E-1003,Ops\n")
    console.click("import-csv")
    console.when("import-file").send_keys(path)
    console.when("import-summary", "2 ready")
    console.shot("03-import-preview")
    console.click("import-commit")
    console.when("notice", "Imported 2")
    assert len(console.by_id("employee-row", many=True)) == 3
    console.shot("04-employees")


def test_enroll_with_the_phone_and_the_screen_turns_by_itself(console):
    row = next(r for r in console.by_id("employee-row", many=True) if "Ann Lee" in r.text)
    row.find_element(By.CSS_SELECTOR, '[data-testid="enroll"]').click()
    # The console's own server is on this computer only: no QR code a phone cannot open, but the
    # link for the reference phone here.
    console.when("enroll-unreachable")
    assert console.by_id("qr", many=True) == []
    assert "Waiting for the phone" in console.by_id("enroll-status").text
    link = console.by_id("register-url").text
    assert "/register/" in link
    console.shot("05-enroll-local-server")
    state = os.path.join(console.tmp, "phone.json")
    started = time.monotonic()
    device("enroll", link, "--state", state, "--name", "Ann's phone")
    bound = time.monotonic()
    console.when("enroll-status", "Enrolled")
    shown = time.monotonic()
    console.shot("06-enrolled")
    # The link is used up: nothing on the screen acts on it any more.
    assert not console.by_id("new-link").is_enabled() and not console.by_id("copy-link").is_enabled()
    assert console.by_id("register-url", many=True) == []
    print(f"\nphone bound → screen shows Enrolled: {(shown - bound) * 1000:.0f} ms (enroll command took {(bound - started) * 1000:.0f} ms)")
    console.click("back")
    row = console.wait.until(lambda _: next((r for r in console.by_id("employee-row", many=True) if "Ann Lee" in r.text), False))
    assert "Enrolled" in row.text


def test_the_audit_log_records_every_action(console):
    console.click("nav-audit")
    table = console.when("audit-table", "Phone enrolled")
    for action in ("Local server started", "Employee added", "Employees imported", "Registration link issued", "Phone enrolled"):
        assert action in table.text, action
    console.shot("07-audit")
    # Filtered by employee: only the rows about Ann.
    console.when("audit-search").send_keys("Ann Lee")
    console.wait.until(lambda _: all("Ann Lee" in r.text for r in console.by_id("audit-row", many=True)))
    assert "Employees imported" not in console.by_id("audit-table").text
    # The server's own log: the registration link it issued for Ann, named from the book, in the
    # same words as this console's log.
    console.click("audit-tab-server")
    server = console.when("server-audit-table", "Ann Lee")
    assert "Registration link issued" in server.text and "127.0.0.1" in server.text
    console.shot("16-server-audit")
    console.by_id("audit-search").clear()


def test_kiosk_needs_a_pin_then_enrolls_only_when_staff_confirm_and_leaves_with_it(console):
    console.click("nav-kiosk")
    console.when("error-banner", "Set a staff PIN")
    console.when("settings-pin").send_keys("482913")
    console.click("settings-pin-save")
    console.shot("08-settings")
    console.click("nav-kiosk")
    console.when("kiosk")
    console.when("kiosk-progress", "2 still to enroll")
    # No name shows until someone types theirs; no code shows until staff confirm.
    assert console.by_id("kiosk-pick", many=True) == [] and console.by_id("qr", many=True) == []
    console.when("kiosk-search").send_keys("Bob")
    console.shot("09-kiosk")
    console.click("kiosk-pick")
    console.when("kiosk-confirm", "checks your ID")
    console.when("kiosk-confirm-pin").send_keys("1111")
    console.click("kiosk-confirm-submit")
    console.when("kiosk-problem", "Wrong PIN")
    assert console.by_id("enroll-unreachable", many=True) == []
    console.when("kiosk-confirm-pin").send_keys("482913")
    console.click("kiosk-confirm-submit")
    console.when("enroll-name", "Bob Stone")
    # The console's own server: the kiosk says a phone cannot open its code instead of showing one.
    console.when("enroll-unreachable")
    assert console.by_id("qr", many=True) == []
    console.shot("09b-kiosk-confirmed")
    console.click("kiosk-exit")
    console.when("kiosk-pin").send_keys("0000")
    console.click("kiosk-pin-submit")
    console.wait.until(lambda d: "Wrong PIN" in d.page_source)
    pin = console.by_id("kiosk-pin")
    pin.clear()
    pin.send_keys("482913")
    console.click("kiosk-pin-submit")
    console.when("employee-table")
