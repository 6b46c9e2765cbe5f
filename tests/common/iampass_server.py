"""A real iampass-server for the Python suites (conformance, web phone): applications made with the
server's own CLI, then `serve` on 127.0.0.1 port 0, its address read from the line it prints when
ready, its log kept in the run's folder. The official client reads IAMPASS_SERVER once, at import,
so `point_official_client` must run before any test module imports it."""

import hashlib
import json
import os
import subprocess
import urllib.parse

SERVER = os.environ.get("IAMPASS_SERVER_BIN", "target/debug/iampass-server")
# Set by tests/packages: the installed server, run as its service user with its installed settings
# (/etc/iampass/server.toml names the database and key), the way its systemd unit runs it.
AS_USER = os.environ.get("IAMPASS_SERVER_USER")
# Set by scripts/test for the PostgreSQL pass: a database of a throwaway cluster, whose user may
# create databases; each server gets a database of its own there.
POSTGRES = os.environ.get("IAMPASS_TEST_POSTGRES")


def database(tmp):
    """The `--db` and `--key-file` flags for a server keeping its data in `tmp`: a SQLite file, or
    a fresh PostgreSQL database and a key made beforehand (a node never makes its own)."""
    key = os.path.join(tmp, "iampass.db.key")
    if not POSTGRES:
        return ["--db", os.path.join(tmp, "iampass.db"), "--key-file", key]
    name = "c_" + hashlib.sha256(tmp.encode()).hexdigest()[:20]
    subprocess.run(["psql", "-q", POSTGRES, "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    url = urllib.parse.urlsplit(POSTGRES)._replace(path="/" + name).geturl()
    subprocess.run([SERVER, "--key-file", key, "key", "init"], check=True, capture_output=True)
    return ["--db", url, "--key-file", key]


class Server:
    def __init__(self, tmp, apps, *serve_args):
        """`apps`: name → extra `app create` flags; `serve_args`: extra `serve` flags."""
        self.tmp = tmp
        # The flags naming its database and key, for suites that run other server commands on it.
        self.db_args = [] if AS_USER else database(tmp)
        server = ["runuser", "-u", AS_USER, "--", SERVER] if AS_USER else [SERVER, *self.db_args]
        self.apps = {}
        for name, flags in apps.items():
            out = subprocess.run([*server, "app", "create", "--name", name, "--json", *flags],
                                 check=True, capture_output=True, text=True).stdout
            app = json.loads(out)
            self.apps[name] = (app["application_id"], app["application_secret"])
        self.log_path = os.path.join(tmp, "server.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([*server, "serve", "--listen", "127.0.0.1:0", *serve_args],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("iampass-server listening on "), f"server did not start: {line!r}"
        self.url = line.rsplit(" ", 1)[1].strip()
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


def point_official_client(server):
    """Points the official client at `server` (it reads IAMPASS_SERVER once, at first import)."""
    os.environ["IAMPASS_SERVER"] = server.url
    from IAMPASS import config

    # Network tests only ever reach loopback.
    assert config.IAMPASS_SERVER.startswith("http://127.0.0.1:"), config.IAMPASS_SERVER
