"""The server on HTTPS with a test certificate: the official client (its urllib, trusting the test
CA through SSL_CERT_FILE) and the reference phone (reqwest, trusting it through IAMPASS_CA_CERT)
log in end to end, as over HTTP."""

import datetime
import ipaddress
import os
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import DEVICE, Server


def write_certificate(tmp):
    """A test CA and a certificate it issued for localhost and 127.0.0.1: (CA, chain, key) paths."""
    now = datetime.datetime.now(datetime.timezone.utc)

    def issue(subject, key, issuer, issuer_key, ca):
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iampass test CA")])
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    ca = issue(ca_name, ca_key, ca_name, ca_key, True)
    leaf = issue(leaf_name, leaf_key, ca_name, ca_key, False)
    paths = [os.path.join(tmp, n) for n in ("ca.pem", "chain.pem", "key.pem")]
    pem = serialization.Encoding.PEM
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(paths[1], "wb") as f:
        f.write(leaf.public_bytes(pem) + ca.public_bytes(pem))
    with open(paths[2], "wb") as f:
        f.write(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


@pytest.fixture
def https_server(tmp_path):
    ca, cert, key = write_certificate(str(tmp_path))
    server = Server(str(tmp_path), {"TLS": []}, "--tls-cert", cert, "--tls-key", key)
    assert server.url.startswith("https://127.0.0.1:"), server.url
    yield (server.url, *server.apps["TLS"], ca)
    server.stop()


def test_the_official_client_and_the_phone_over_https(https_server, monkeypatch, tmp_path):
    url, app_id, secret, ca = https_server
    import IAMPASS.authentication_api
    import IAMPASS.management_api
    from IAMPASS.status import Status

    for module in (IAMPASS.management_api, IAMPASS.authentication_api):
        monkeypatch.setattr(module, "IAMPASS_SERVER", url)
    monkeypatch.setenv("SSL_CERT_FILE", ca)
    management = IAMPASS.management_api.ManagementAPI(app_id, secret)
    assert management.add_user("tls-user") == 0
    link = management.get_registration_link("tls-user", "Tess")
    assert link.startswith(url + "/register/")

    env = dict(os.environ, IAMPASS_CA_CERT=ca)
    state = str(tmp_path / "phone.json")
    subprocess.run([DEVICE, "enroll", link, "--state", state], check=True, env=env, capture_output=True, timeout=30)
    phone = subprocess.Popen([DEVICE, "approve", "--state", state, "--timeout", "30"], env=env,
                             stdout=subprocess.PIPE, text=True)
    session = IAMPASS.authentication_api.AuthenticationAPI(app_id, secret).authenticate_user("tls-user")
    out, _ = phone.communicate(timeout=30)
    assert phone.returncode == 0 and "active" in out
    assert session.get_status() == Status.active


def test_without_the_root_neither_trusts_the_server(https_server, tmp_path):
    url, _, _, _ = https_server
    env = {k: v for k, v in os.environ.items() if k != "IAMPASS_CA_CERT"}
    run = subprocess.run([DEVICE, "enroll", url + "/register/x", "--state", str(tmp_path / "p.json")],
                         env=env, capture_output=True, text=True, timeout=30)
    assert run.returncode != 0 and "certificate" in run.stderr.lower(), run.stderr
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    run = subprocess.run([DEVICE, "enroll", url + "/register/x", "--state", str(tmp_path / "p.json")],
                         env=dict(env, IAMPASS_CA_CERT=str(bad)), capture_output=True, text=True, timeout=30)
    assert run.returncode != 0 and "IAMPASS_CA_CERT" in run.stderr, run.stderr
