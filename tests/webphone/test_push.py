"""Web Push to the web phone: a push service on loopback (in this test) receives each login as the
standards define it: encrypted for the subscription's keys (aes128gcm, RFC 8291, decrypted here),
signed with a VAPID token (RFC 8292, verified here against the server's public key), with the
login's timeout as TTL and high urgency. A 503 is retried; a 410 removes the subscription. The
service worker shows the pushed request (delivered through Chromium's DevTools protocol)."""

import base64
import json
import os
import queue
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from conftest import authentication


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService:
    """A push service on 127.0.0.1: records every message and answers with the next queued status."""

    def __init__(self):
        self.received = queue.Queue()
        self.answers = queue.Queue()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.received.put((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status = 201 if service.answers.empty() else service.answers.get()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def next(self, timeout=15):
        return self.received.get(timeout=timeout)

    def stop(self):
        self.http.shutdown()


@pytest.fixture
def push_service():
    s = PushService()
    yield s
    s.stop()


class Subscription:
    """What a browser's PushManager makes: a P-256 key pair and a 16-byte auth secret."""

    def __init__(self, endpoint):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                     serialization.PublicFormat.UncompressedPoint)
        self.json = {"endpoint": endpoint, "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}

    def decrypt(self, body):
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


def check_vapid(headers, vapid_public_key, endpoint_origin):
    """The Authorization header is `vapid t=<ES256 JWT>, k=<the server's key>`; returns the claims."""
    scheme, params = headers["authorization"].split(" ", 1)
    assert scheme == "vapid"
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    assert fields["k"] == vapid_public_key
    header, claims, signature = fields["t"].split(".")
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
    key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    claims = json.loads(unb64url(claims))
    assert claims["aud"] == endpoint_origin and claims["sub"] == "mailto:ops@example.com"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    return claims


def vapid_key(server):
    with urllib.request.urlopen(f"{server.phone_url}/phone/api/push/key", timeout=10) as r:
        return json.loads(r.read())["vapid_public_key"]


def test_each_login_is_pushed_encrypted_and_signed(server, phone, enrolled, push_service):
    sub = Subscription(f"{push_service.url}/push/one")
    assert phone.api("GET", "push") == (200, {"subscribed": False})
    assert phone.api("PUT", "push", sub.json) == (200, {"subscribed": True})
    session = authentication(server).authenticate_user(enrolled)
    path, headers, body = push_service.next()
    assert path == "/push/one"
    assert (headers["content-encoding"], headers["ttl"], headers["urgency"]) == ("aes128gcm", "60", "high")
    check_vapid(headers, vapid_key(server), push_service.url)
    message = sub.decrypt(body)
    assert message["application_name"] == "Payroll" and message["user_id"] == enrolled
    assert message["session_id"] == phone.api("GET", "requests")[1]["requests"][0]["session_id"]
    assert session.session_token not in body.decode("latin-1")


def test_a_busy_push_service_is_retried_and_a_gone_subscription_removed(server, phone, enrolled, push_service):
    sub = Subscription(f"{push_service.url}/push/two")
    phone.api("PUT", "push", sub.json)
    push_service.answers.put(503)
    authentication(server).authenticate_user(enrolled)
    first, second = push_service.next(), push_service.next()
    assert sub.decrypt(first[2])["session_id"] == sub.decrypt(second[2])["session_id"]

    push_service.answers.put(410)
    authentication(server).authenticate_user(enrolled)
    push_service.next()
    for _ in range(100):  # the removal follows the 410 at once; bounded wait for it
        if phone.api("GET", "push")[1] == {"subscribed": False}:
            break
        time.sleep(0.05)
    assert phone.api("GET", "push") == (200, {"subscribed": False})
    authentication(server).authenticate_user(enrolled)
    with pytest.raises(queue.Empty):
        push_service.next(timeout=1.5)


def test_subscriptions_to_other_hosts_are_refused(phone, enrolled):
    for endpoint in ("https://evil.example/push", "http://fcm.googleapis.com/fcm/send/x", "file:///etc/passwd"):
        status, body = phone.api("PUT", "push", Subscription(endpoint).json)
        assert (status, body["error"]) == (400, "invalid_subscription"), endpoint
    bad_keys = Subscription("https://fcm.googleapis.com/fcm/send/x").json
    bad_keys["keys"]["auth"] = b64url(b"short")
    assert phone.api("PUT", "push", bad_keys)[1]["error"] == "invalid_subscription"
    assert phone.api("GET", "push") == (200, {"subscribed": False})


def registration_id(phone, scope):
    """The service worker's registration id, as Chromium's own service-worker page lists it."""
    d = phone.driver
    d.switch_to.new_window("tab")
    try:
        d.get("chrome://serviceworker-internals/")
        text = phone.wait(lambda: "Registration ID" in phone.text() and phone.text())
        block = text[text.index(f"Scope: {scope}"):]
        return block.split("Registration ID: ", 1)[1].split()[0]
    finally:
        d.close()
        d.switch_to.window(d.window_handles[0])


def test_the_service_worker_shows_a_pushed_request_and_its_tap_opens_it(server, phone, enrolled):
    d = phone.driver
    d.execute_cdp_cmd("Browser.grantPermissions", {"origin": server.phone_url, "permissions": ["notifications"]})
    scope = d.execute_async_script(
        "const done = arguments[0]; navigator.serviceWorker.ready.then(r => done(r.scope), e => done(String(e)))")
    assert scope == f"{server.phone_url}/phone/"
    authentication(server).authenticate_user(enrolled)
    phone.one("request")
    session_id = phone.api("GET", "requests")[1]["requests"][0]["session_id"]
    message = {"session_id": session_id, "application_name": "Payroll", "user_id": enrolled, "answer_by": ""}
    d.execute_cdp_cmd("ServiceWorker.enable", {})
    delivery = {"origin": f"{server.phone_url}/", "registrationId": registration_id(phone, scope),
                "data": json.dumps(message)}

    def pushed():
        # Delivered again until shown: a worker that was stopped may miss the first one while it starts.
        d.execute_cdp_cmd("ServiceWorker.deliverPushMessage", delivery)
        time.sleep(0.2)
        return d.execute_async_script(
            "const done = arguments[0]; navigator.serviceWorker.ready.then(r => r.getNotifications())"
            ".then(ns => done(ns.map(n => [n.title, n.body, n.tag, n.data && n.data.url])), e => done([]))")

    shown = phone.wait(pushed)
    assert shown == [["Sign in to Payroll?", "Tap to approve or deny.", session_id, f"/phone/#request={session_id}"]]
    # A tap opens the notification's URL in the app: the request is there to answer.
    d.get(server.phone_url + shown[0][3])
    phone.wait(lambda: d.find_elements("id", f"request-{session_id}"))
    phone.one("approve-button").click()
    phone.wait(lambda: "Approved" in phone.one("result").text)
