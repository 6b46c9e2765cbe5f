"""Runs last: no phone token or registration-link token this run handled reached the server's log."""

from conftest import SEEN_SECRETS


def test_no_token_reached_the_servers_log(server):
    server.log.flush()
    with open(server.log_path) as f:
        log = f.read()
    assert "request" in log, "the access log is on"
    secrets = [s for s in SEEN_SECRETS if s]
    assert len(secrets) > 10
    leaked = [s for s in secrets if s in log]
    assert leaked == []
