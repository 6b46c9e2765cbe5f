//! The operator commands of the real binary.

use std::process::Command;

use iampass_proto::wire::StaffRole;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iampass-server"));
    // An installed /etc/iampass/server.toml must not change what these tests run.
    cmd.env("IAMPASS_CONFIG", "/dev/null");
    cmd
}

fn run(db: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = bin().arg("--db").arg(db).args(args).env_remove("IAMPASS_KEY_FILE").output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// Starts `iampass-server serve` on port 0 with `args`, and returns it with its URL (from the
/// line it prints once listening).
fn serve(db: &std::path::Path, args: &[&str], log: bool) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut cmd = bin();
    cmd.arg("--db").arg(db).args(["serve", "--listen", "127.0.0.1:0"]).args(args).stdout(std::process::Stdio::piped());
    if log {
        cmd.env("IAMPASS_LOG", "debug").stderr(std::process::Stdio::piped());
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    (child, url)
}

#[test]
fn app_commands_show_the_secret_once_and_store_it_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ops.db");
    let (ok, out, _) = run(&db, &["app", "create", "--name", "Payroll"]);
    assert!(ok);
    let field = |out: &str, key: &str| out.lines().find_map(|l| l.strip_prefix(key)).map(str::to_owned).unwrap();
    let id = field(&out, "application_id: ");
    let secret = field(&out, "application_secret: ");
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(secret.len(), 32);

    let (ok, list, _) = run(&db, &["app", "list"]);
    assert!(ok && list.contains(&id) && list.contains("Payroll") && !list.contains(&secret));
    let raw = std::fs::read(&db).unwrap();
    assert!(!raw.windows(secret.len()).any(|w| w == secret.as_bytes()), "secret stored in plain text");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let key = dir.path().join("ops.db.key");
        assert_eq!(std::fs::metadata(key).unwrap().permissions().mode() & 0o777, 0o600);
    }

    assert!(run(&db, &["app", "update", &id, "--number-matching", "on"]).0);
    let (_, list, _) = run(&db, &["app", "list", "--json"]);
    assert!(list.contains("\"number_matching\":true"), "{list}");
    let (ok, _, err) = run(&db, &["app", "update", &id, "--number-matching", "maybe"]);
    assert!(!ok && err.contains("possible values"), "{err}");

    let (ok, json, _) = run(&db, &["app", "rotate-secret", &id, "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["application_id"], id.as_str());
    assert_ne!(v["application_secret"], secret.as_str());

    let (ok, _, err) = run(&db, &["app", "delete", &id]);
    assert!(!ok && err.contains("--yes"));
    assert!(run(&db, &["app", "delete", &id, "--yes"]).0);
    let (ok, _, err) = run(&db, &["app", "delete", &id, "--yes"]);
    assert!(!ok && err.contains("no application"));
    let (ok, list, _) = run(&db, &["app", "list", "--json"]);
    assert!(ok && list.trim() == "[]");
}

#[tokio::test(flavor = "multi_thread")]
async fn rotating_the_key_keeps_every_secret_working() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ops.db");
    let key = dir.path().join("ops.db.key");
    let (_, out, _) = run(&db, &["app", "create", "--name", "A", "--json"]);
    let app: serde_json::Value = serde_json::from_str(&out).unwrap();
    // A first start makes the server's VAPID key (a sealed server secret).
    let vapid = |url: &str| {
        let url = format!("{url}/phone/api/push/key");
        async move {
            let key: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            key["vapid_public_key"].as_str().unwrap().to_owned()
        }
    };
    let (mut child, url) = serve(&db, &[], false);
    let vapid_before = vapid(&url).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let before = std::fs::read_to_string(&key).unwrap();
    let (ok, out, err) = run(&db, &["key", "rotate"]);
    assert!(ok, "{err}");
    assert!(out.contains("re-sealed 1 application, 0 session and 2 server secrets with key 2"), "{out}");
    let after = std::fs::read_to_string(&key).unwrap();
    assert!(after.starts_with("2:") && after.lines().count() == 1 && !after.contains(before.trim()));

    // The application's secret, shown before the rotation, still signs.
    let (mut child, url) = serve(&db, &[], false);
    let client = iampass_proto::client::ManagementClient::new(
        &url,
        app["application_id"].as_str().unwrap(),
        app["application_secret"].as_str().unwrap(),
    )
    .unwrap();
    assert!(client.add_users(&["u".into()]).await.is_ok());
    assert_eq!(vapid(&url).await, vapid_before, "the VAPID key survives the rotation");
    child.kill().unwrap();
    child.wait().unwrap();

    // A key that does not open the database is refused before anything changes or is sealed
    // with it, by every command and by `serve`.
    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap();
    for args in [&["key", "rotate"][..], &["app", "create", "--name", "sealed with the wrong key"], &["serve"]] {
        let (ok, _, err) = run(&db, args);
        assert!(!ok && err.contains("not the one the database's secrets are sealed with"), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read_to_string(&key).unwrap().lines().count(), 1);
}

#[test]
fn bad_names_and_unknown_ids_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ops.db");
    let (ok, _, err) = run(&db, &["app", "create", "--name", "  "]);
    assert!(!ok && err.contains("application name"), "{err}");
    let (ok, _, err) = run(&db, &["app", "rotate-secret", "nope"]);
    assert!(!ok && err.contains("no application"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_secret_and_the_receivers_url_stay_out_of_the_logs() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hook.db");
    let secret_file = dir.path().join("webhook.secret");
    let secret = "whsec-do-not-log-this-0123456789";
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let (_, out, _) = run(&db, &["app", "create", "--name", "A", "--json"]);
    let app: serde_json::Value = serde_json::from_str(&out).unwrap();

    // Bad settings are refused before the server starts.
    let short = dir.path().join("short.secret");
    std::fs::write(&short, "tiny").unwrap();
    let s = short.to_str().unwrap();
    for (args, expected) in [
        (vec!["--webhook-url", "ftp://127.0.0.1/hook", "--webhook-secret-file", s], "http(s)"),
        (vec!["--webhook-url", "http://127.0.0.1:9/hook", "--webhook-secret-file", s], "at least 16"),
        (vec!["--webhook-url", "http://127.0.0.1:9/hook"], "--webhook-secret-file"),
    ] {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend(args);
        let (ok, _, err) = run(&db, &all);
        assert!(!ok && err.contains(expected), "{err}");
    }

    // Nothing listens on port 9 of loopback: every delivery fails and is logged.
    let receiver = "http://127.0.0.1:9/hook?token=receiver-own-token-xyz";
    let secret_path = secret_file.to_str().unwrap();
    let (mut child, url) = serve(&db, &["--webhook-url", receiver, "--webhook-secret-file", secret_path], true);
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let client = iampass_proto::client::ManagementClient::new(
        &url,
        app["application_id"].as_str().unwrap(),
        app["application_secret"].as_str().unwrap(),
    )
    .unwrap();
    client.add_users(&["u".into()]).await.unwrap();
    let mut log = Vec::new();
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(20)) {
        let failed = line.contains("webhook delivery failed");
        log.push(line);
        if failed {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let log = log.join("\n");
    assert!(log.contains("webhook delivery failed"), "{log}");
    for secret in [secret, "receiver-own-token-xyz", app["application_secret"].as_str().unwrap()] {
        assert!(!log.contains(secret), "a secret is in the log:\n{log}");
    }
}

/// `staff` commands work on the database of a running server and take effect at once: a member
/// added by the CLI enrolls and signs in; one removed by the CLI loses their sign-in.
#[tokio::test]
async fn staff_commands_take_effect_on_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("staff.db");
    let (_, out, _) = run(&db, &["app", "create", "--name", "Desk", "--json"]);
    let app: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let app_id = app["application_id"].as_str().unwrap().to_owned();
    let (mut child, url) = serve(&db, &[], false);

    let (ok, out, err) = run(
        &db,
        &["staff", "add", "--app", &app_id, "--name", "Hal", "--role", "helpdesk", "--public-url", &url, "--json"],
    );
    assert!(ok, "{err}");
    let added: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for key in ["staff_id", "name", "role", "registration_link"] {
        assert!(added.get(key).is_some(), "missing {key}: {out}");
    }
    assert_eq!(added["role"], "helpdesk");
    let link = added["registration_link"].as_str().unwrap();
    let phone = iampass_device::Phone::enroll(link, "hal's phone", "test").await.unwrap();
    let server = iampass_proto::client::StaffSignIn::new(iampass_proto::client::default_http(), &url, &app_id).unwrap();
    let started = server.start("Hal").await.unwrap();
    phone.answer(&iampass_device::Answer::Approve(None), 1, std::time::Duration::from_secs(5)).await.unwrap();
    let token = server.status(&started).await.unwrap().token.unwrap();
    let hal =
        iampass_proto::client::ManagementClient::staff(iampass_proto::client::default_http(), &url, &app_id, &token)
            .unwrap();
    assert_eq!(hal.me().await.unwrap().role, StaffRole::Helpdesk);

    let (ok, list, _) = run(&db, &["staff", "list", "--app", &app_id]);
    assert!(ok && list.contains("Hal") && list.contains("helpdesk") && list.contains("1 signed in"), "{list}");
    assert!(!list.contains(&token));
    let (ok, _, err) = run(&db, &["staff", "role", "--app", &app_id, "hal", "root"]);
    assert!(!ok && err.contains("kiosk, helpdesk, auditor, admin"), "{err}");
    let (ok, out, _) = run(&db, &["staff", "role", "--app", &app_id, "hal", "auditor"]);
    assert!(ok && out.contains("Hal is now auditor"), "{out}");
    assert_eq!(hal.me().await.unwrap_err().http_status(), Some(401));
    let (ok, _, _) = run(&db, &["staff", "remove", "--app", &app_id, "Hal"]);
    assert!(ok);
    let (ok, _, err) = run(&db, &["staff", "remove", "--app", &app_id, "Hal"]);
    assert!(!ok && err.contains("no staff member"), "{err}");
    let (ok, _, err) = run(&db, &["staff", "list"]);
    assert!(!ok && err.contains("--app"), "{err}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn version_names_the_release_and_the_commit() {
    let out = bin().arg("--version").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let (name, rest) = text.trim().split_once(' ').unwrap();
    assert_eq!(name, "iampass-server");
    assert!(rest.starts_with(env!("CARGO_PKG_VERSION")) && rest.ends_with(')') && rest.contains(" ("), "{text}");
}

/// The configuration file fills in every command's settings; a variable beats the file and a flag
/// beats both; `check-config` names what is wrong and where.
#[test]
fn the_config_file_sets_what_flags_and_variables_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cfg.db");
    let file = dir.path().join("server.toml");
    std::fs::write(
        &file,
        "# every setting under its flag's name\nlisten = \"127.0.0.1:0\"\npublic-url = \"http://from-file.example\"\n",
    )
    .unwrap();
    let started = |extra: &[&str], env: Option<(&str, &str)>| {
        use std::io::BufRead as _;
        let mut cmd = bin();
        cmd.arg("--db")
            .arg(&db)
            .arg("--config")
            .arg(&file)
            .arg("serve")
            .args(extra)
            .stdout(std::process::Stdio::piped());
        cmd.env_remove("IAMPASS_PUBLIC_URL");
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        line
    };
    assert!(started(&[], None).contains("http://from-file.example"));
    assert!(started(&[], Some(("IAMPASS_PUBLIC_URL", "http://from-env.example"))).contains("http://from-env.example"));
    assert!(
        started(&["--public-url", "http://from-flag.example"], Some(("IAMPASS_PUBLIC_URL", "http://from-env.example")))
            .contains("http://from-flag.example")
    );

    let (ok, out, _) = run(&db, &["--config", file.to_str().unwrap(), "check-config"]);
    assert!(ok && out.contains(": ok"), "{out}");
    std::fs::write(&file, "listen = \"127.0.0.1:0\"\nrate-limit = \"lots\"\nsalary = 1\n").unwrap();
    let (ok, _, err) = run(&db, &["--config", file.to_str().unwrap(), "check-config"]);
    assert!(!ok, "{err}");
    assert!(err.contains("line 2: rate-limit: invalid value 'lots'"), "{err}");
    assert!(err.contains("line 3: unknown setting \"salary\""), "{err}");
    // A bad file stops every command before it does anything.
    let (ok, _, err) = run(&db, &["--config", file.to_str().unwrap(), "app", "list"]);
    assert!(!ok && err.contains("line 3"), "{err}");
}

/// `check-config` also opens the files the configuration names, as the server will at start: a key
/// file that is unreadable, readable by others or not a key is named with its line, and `serve`
/// with it stops before it listens. `key init` makes a private key once and keeps it after.
#[test]
fn check_config_opens_the_files_it_names() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("files.db");
    let key = dir.path().join("sealing.key");
    let file = dir.path().join("server.toml");
    std::fs::write(
        &file,
        format!("listen = \"127.0.0.1:0\"\nkey-file = {key:?}\ntls-cert = \"/nonexistent/cert.pem\"\n"),
    )
    .unwrap();
    let config = file.to_str().unwrap();
    let (ok, _, err) = run(&db, &["--config", config, "check-config"]);
    assert!(!ok && err.contains("line 3: tls-cert: cannot read /nonexistent/cert.pem"), "{err}");
    assert!(!err.contains("line 2"), "a missing key file is created at the first start: {err}");

    std::fs::write(&file, format!("listen = \"127.0.0.1:0\"\nkey-file = {key:?}\n")).unwrap();
    let (ok, out, err) = run(&db, &["--config", config, "key", "init"]);
    assert!(ok && out.contains("is ready"), "{err}");
    let made = std::fs::read_to_string(&key).unwrap();
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(!out.contains(made.trim()), "the key is never printed");
    assert!(run(&db, &["--config", config, "key", "init"]).0);
    assert_eq!(std::fs::read_to_string(&key).unwrap(), made, "an existing key is kept");
    assert!(run(&db, &["--config", config, "check-config"]).0);

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (ok, _, err) = run(&db, &["--config", config, "check-config"]);
    assert!(!ok && err.contains("line 2: key-file: the key file") && err.contains("chmod 600"), "{err}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&key, "not a key\n").unwrap();
    let (ok, _, err) = run(&db, &["--config", config, "check-config"]);
    assert!(!ok && err.contains("line 2: key-file:") && err.contains("64 hexadecimal"), "{err}");
    let served = bin().arg("--db").arg(&db).args(["--config", config, "serve"]).output().unwrap();
    assert!(!served.status.success());
    assert!(served.stdout.is_empty(), "nothing listened: {}", String::from_utf8_lossy(&served.stdout));
    assert!(String::from_utf8_lossy(&served.stderr).contains("64 hexadecimal"));

    // With a shared database a node never makes its key, so a missing one is a problem at once.
    let missing = dir.path().join("missing.key");
    std::fs::write(&file, format!("db = \"postgresql://iampass@127.0.0.1:1/iampass\"\nkey-file = {missing:?}\n"))
        .unwrap();
    let (ok, _, err) = run(&db, &["--config", config, "check-config"]);
    assert!(!ok && err.contains("line 2: key-file:") && err.contains("every node"), "{err}");
}

/// `migrate` makes or updates the schema without serving, and refuses a database that a newer
/// release migrated, changing nothing.
#[test]
fn migrate_runs_the_migrations_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let (ok, out, err) = run(&db, &["migrate"]);
    assert!(ok && out.contains("up to date"), "{out}{err}");
    let version: i64 =
        rusqlite::Connection::open(&db).unwrap().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert!(out.contains(&format!("schema version {version} of {version}")), "{out}");
    assert!(run(&db, &["migrate"]).0, "running it again is harmless");
    rusqlite::Connection::open(&db).unwrap().pragma_update(None, "user_version", version + 1).unwrap();
    let (ok, _, err) = run(&db, &["migrate"]);
    assert!(!ok && err.contains("newer"), "{err}");
}

#[test]
fn man_pages_and_completions_come_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(bin().arg("manual").arg(dir.path()).status().unwrap().success());
    let serve = std::fs::read_to_string(dir.path().join("man/iampass-server-serve.1")).unwrap();
    assert!(serve.contains("push\\-cap") && serve.contains("IAMPASS_PUSH_CAP"), "every setting is in the man page");
    let bash = std::fs::read_to_string(dir.path().join("completions/iampass-server.bash")).unwrap();
    assert!(bash.contains("check-config") && bash.contains("staff"));
    assert!(
        dir.path().join("completions/_iampass-server").exists()
            && dir.path().join("completions/iampass-server.fish").exists()
    );
}

/// A staff member's sign-in id, bearer token and phone link never reach the server's log, even at
/// debug level and on refusals.
#[tokio::test]
async fn staff_tokens_stay_out_of_the_log() {
    use iampass_proto::client::{ManagementClient, StaffSignIn, default_http};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("log.db");
    let (_, out, _) = run(&db, &["app", "create", "--name", "Desk", "--json"]);
    let app: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let app_id = app["application_id"].as_str().unwrap().to_owned();
    let (mut child, url) = serve(&db, &[], true);
    let stderr = child.stderr.take().unwrap();
    let lines = std::thread::spawn(move || {
        use std::io::BufRead as _;
        std::io::BufReader::new(stderr).lines().map_while(Result::ok).collect::<Vec<_>>()
    });
    let (_, added, _) = run(
        &db,
        &["staff", "add", "--app", &app_id, "--name", "Lee", "--role", "kiosk", "--public-url", &url, "--json"],
    );
    let link = serde_json::from_str::<serde_json::Value>(added.trim()).unwrap()["registration_link"]
        .as_str()
        .unwrap()
        .to_owned();
    let phone = iampass_device::Phone::enroll(&link, "lee's phone", "test").await.unwrap();
    let sign_in = StaffSignIn::new(default_http(), &url, &app_id).unwrap();
    let started = sign_in.start("Lee").await.unwrap();
    phone.answer(&iampass_device::Answer::Approve(None), 1, std::time::Duration::from_secs(5)).await.unwrap();
    let token = sign_in.status(&started).await.unwrap().token.unwrap();
    let lee = ManagementClient::staff(default_http(), &url, &app_id, &token).unwrap();
    lee.users(None, None).await.unwrap();
    assert_eq!(lee.sessions(&Default::default()).await.unwrap_err().http_status(), Some(403));
    let forged = ManagementClient::staff(default_http(), &url, &app_id, &format!("{token}x")).unwrap();
    assert_eq!(forged.users(None, None).await.unwrap_err().http_status(), Some(401));
    lee.sign_out().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let log = lines.join().unwrap().join("\n");
    assert!(log.contains("/console/v1/{app}/sign_in"), "the log was captured:\n{log}");
    let link_token = link.rsplit('/').next().unwrap();
    for secret in [token.as_str(), started.sign_in_id.as_str(), link_token] {
        assert!(!log.contains(secret), "a secret is in the log:\n{log}");
    }
}

/// What the server keeps of an application in memory follows what the command line changes in
/// the same database while it runs: a rotated secret and a deletion stop working without a
/// restart (the application cache's watch; docs/ARCHITECTURE.md).
#[tokio::test(flavor = "multi_thread")]
async fn a_running_server_follows_application_changes_made_by_the_command_line() {
    use iampass_proto::client::ManagementClient;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let (_, out, _) = run(&db, &["app", "create", "--name", "A", "--json"]);
    let app: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = app["application_id"].as_str().unwrap().to_owned();
    let (mut child, url) = serve(&db, &[], false);
    let old = ManagementClient::new(&url, &id, app["application_secret"].as_str().unwrap()).unwrap();
    // Enough requests, spread over more than a poll, that the server answers from memory.
    for _ in 0..20 {
        assert!(old.has_registered_mobile_device("u").await.is_err_and(|e| e.code() == Some("unknown_user")));
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }

    // Polls the server until `refused` turns true, for at most 10 s.
    async fn eventually(mut refused: impl AsyncFnMut() -> bool) -> bool {
        for _ in 0..200 {
            if refused().await {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        false
    }

    let (ok, json, err) = run(&db, &["app", "rotate-secret", &id, "--json"]);
    assert!(ok, "{err}");
    let rotated: serde_json::Value = serde_json::from_str(&json).unwrap();
    let new = ManagementClient::new(&url, &id, rotated["application_secret"].as_str().unwrap()).unwrap();
    let old_refused = eventually(async || {
        old.has_registered_mobile_device("u").await.is_err_and(|e| e.code() == Some("bad_signature"))
    })
    .await;
    assert!(old_refused, "the old secret is refused after the command line rotated it");
    assert!(new.has_registered_mobile_device("u").await.is_err_and(|e| e.code() == Some("unknown_user")));

    assert!(run(&db, &["app", "delete", &id, "--yes"]).0);
    let gone = eventually(async || {
        new.has_registered_mobile_device("u").await.is_err_and(|e| e.code() == Some("unknown_application"))
    })
    .await;
    assert!(gone, "a deleted application is unknown to the running server");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Log lines as an operator's file or log shipper gets them (stderr is a pipe here, never a
/// terminal): text without colour escapes, or one JSON object a line with `--log-format json`; the
/// access line of a request is among them.
#[tokio::test(flavor = "multi_thread")]
async fn log_lines_are_plain_off_a_terminal_and_json_when_asked() {
    use std::io::BufRead as _;
    for format in ["text", "json"] {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, url) = serve(&dir.path().join("log.db"), &["--log-format", format], true);
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        reqwest::get(format!("{url}/healthz")).await.unwrap().error_for_status().unwrap();
        let mut lines = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !lines.iter().any(|l: &String| l.contains("/healthz")) && std::time::Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(100)) {
                lines.push(line);
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let access =
            lines.iter().find(|l| l.contains("/healthz")).unwrap_or_else(|| panic!("no access line: {lines:?}"));
        assert!(lines.iter().all(|l| !l.contains('\u{1b}')), "a colour escape in a {format} log: {lines:?}");
        if format == "json" {
            for line in &lines {
                let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
                assert!(v["level"].is_string() && v["timestamp"].is_string(), "{line}");
            }
            let v: serde_json::Value = serde_json::from_str(access).unwrap();
            assert_eq!(v["fields"]["route"], "/healthz", "{access}");
            assert_eq!(v["fields"]["status"], 200, "{access}");
        } else {
            assert!(access.contains("route=/healthz") && access.contains("status=200"), "{access}");
        }
    }
}
