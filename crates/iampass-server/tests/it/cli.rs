//! The operator commands of the real binary.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_iampass-server"))
}

fn run(db: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = bin().arg("--db").arg(db).args(args).env_remove("IAMPASS_KEY_FILE").output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
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

#[test]
fn bad_names_and_unknown_ids_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ops.db");
    let (ok, _, err) = run(&db, &["app", "create", "--name", "  "]);
    assert!(!ok && err.contains("application name"), "{err}");
    let (ok, _, err) = run(&db, &["app", "rotate-secret", "nope"]);
    assert!(!ok && err.contains("no application"), "{err}");
}
