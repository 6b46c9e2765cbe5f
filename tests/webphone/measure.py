"""Measures the web phone (docs/BENCHMARKS.md): the bytes a phone downloads to enroll and to approve
on a first visit (what Chromium's resource timing reports as transferred, gzip as served), and the
time from a login started by the official client to the request shown on an open app page.
Run through scripts/bench-webphone. Not a test: it asserts nothing, it prints numbers."""

import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from conftest import Phone, Server, new_user  # noqa: E402

TRANSFERRED = """
const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
return entries.map(e => [e.name, e.transferSize, e.encodedBodySize]);
"""


def downloaded(phone):
    rows = phone.driver.execute_script(TRANSFERRED)
    return sum(r[1] for r in rows), rows


def main(logins=30):
    # Every login is denied at once: the push-fatigue cap would stop them after five.
    server = Server(tempfile.mkdtemp(prefix="iampass-measure-"), "--push-cap", "0")
    os.environ["IAMPASS_SERVER"] = server.url
    from IAMPASS.authentication_api import AuthenticationAPI

    auth = AuthenticationAPI(*server.apps["Payroll"])
    phone = Phone(server)
    try:
        user, link = new_user(server)
        phone.driver.get(link)
        phone.one("enroll-button").click()
        phone.one("enrolled")
        enroll_bytes, enroll_rows = downloaded(phone)

        # Approving on a first visit: no HTTP cache, no service worker or its cache (the phone keeps
        # only its sign-in), the app opened, one login approved.
        phone.driver.execute_async_script("""
            const done = arguments[0];
            Promise.all([
              navigator.serviceWorker.getRegistrations().then(rs => Promise.all(rs.map(r => r.unregister()))),
              caches.keys().then(ks => Promise.all(ks.map(k => caches.delete(k)))),
            ]).then(done, done);""")
        phone.driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        phone.driver.get(f"{server.phone_url}/phone/")
        phone.wait(lambda: "Sign-in requests" in phone.text())
        auth.authenticate_user(user)
        phone.one("approve-button").click()
        phone.wait(lambda: "Approved" in phone.one("result").text)
        approve_bytes, approve_rows = downloaded(phone)

        # Login → request on screen: the page stamps when each request card appears.
        phone.driver.execute_script("""
            window.__seen = {};
            new MutationObserver(() => {
              for (const el of document.querySelectorAll('[data-testid=request]'))
                if (!window.__seen[el.id]) window.__seen[el.id] = performance.timeOrigin + performance.now();
            }).observe(document.body, {childList: true, subtree: true});""")
        latencies = []
        for _ in range(logins):
            before = set(phone.driver.execute_script("return Object.keys(window.__seen)"))
            started = time.time() * 1000
            auth.authenticate_user(user)
            new = phone.wait(lambda: set(phone.driver.execute_script("return Object.keys(window.__seen)")) - before)
            shown = phone.driver.execute_script(f"return window.__seen[{json.dumps(next(iter(new)))}]")
            latencies.append(shown - started)
            phone.one("deny-button").click()
            phone.wait(lambda: not phone.all("request"))
        latencies.sort()
        print(json.dumps({
            "enroll_bytes": enroll_bytes, "enroll_resources": enroll_rows,
            "approve_bytes": approve_bytes, "approve_resources": approve_rows,
            "login_to_shown_ms": {"n": len(latencies), "p50": statistics.median(latencies),
                                  "p90": latencies[int(len(latencies) * 0.9) - 1], "max": latencies[-1]},
        }, indent=1))
    finally:
        phone.quit()
        server.stop()


if __name__ == "__main__":
    main()
