"""Runs last (by name): the server's whole log from this run holds no secret, token, nonce or
signature that passed through it."""


def test_no_secret_reached_the_server_log(server):
    from conftest import SEEN_SECRETS

    server.log.flush()
    log = open(server.log_path, encoding="utf-8").read()
    assert "request" in log, "the access log is empty: nothing was checked"
    assert len(SEEN_SECRETS) > 10, "too few secrets were recorded for this check to mean anything"
    for secret in SEEN_SECRETS:
        assert secret not in log, "a secret or token appears in the server log"
    for marker in ("hmac ", "IAMPASS-Device-1", "session_secret", "application_secret"):
        assert marker not in log, f"{marker!r} appears in the server log"
