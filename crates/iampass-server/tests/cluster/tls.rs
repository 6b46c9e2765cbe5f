//! The connection to PostgreSQL over TLS: with `sslmode=require` the server's certificate must
//! chain to a root the node trusts (`sslrootcert=FILE`) and name the host; nothing else connects.

use std::os::unix::fs::MetadataExt as _;
use std::sync::Arc;

use iampass_proto::clock::SystemClock;
use iampass_server::Config;
use iampass_server::store::Location;
use iampass_testkit::{POSTGRES_ENV, alter_database, database};

use crate::require_postgres;

/// Turns TLS on in the test cluster with a certificate for 127.0.0.1; returns the certificate's
/// PEM file (its own root).
fn tls_on(cluster: &Location, dir: &std::path::Path) -> std::path::PathBuf {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let root = dir.join("root.pem");
    std::fs::write(&root, cert.cert.pem()).unwrap();
    // The cluster's files are its owner's: put the pair in its data folder, owned by it.
    let Location::Postgres(url) = cluster else { unreachable!() };
    let data = data_directory(url.as_str());
    let owner = std::fs::metadata(&data).unwrap();
    for (name, pem) in [("test-server.crt", cert.cert.pem()), ("test-server.key", cert.key_pair.serialize_pem())] {
        let path = data.join(name);
        std::fs::write(&path, pem).unwrap();
        std::os::unix::fs::chown(&path, Some(owner.uid()), Some(owner.gid())).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    }
    for statement in [
        "ALTER SYSTEM SET ssl_cert_file = 'test-server.crt'",
        "ALTER SYSTEM SET ssl_key_file = 'test-server.key'",
        "ALTER SYSTEM SET ssl = on",
        "SELECT pg_reload_conf()",
    ] {
        alter_database(cluster, statement);
    }
    root
}

fn data_directory(url: &str) -> std::path::PathBuf {
    let out = std::process::Command::new("psql").args(["-Atq", url, "-c", "SHOW data_directory"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().into()
}

fn with_query(db: &Location, query: &str) -> Location {
    let Location::Postgres(url) = db else { unreachable!() };
    Location::parse(&format!("{}?{query}", url.as_str()))
}

#[tokio::test]
#[ignore = "needs IAMPASS_TEST_POSTGRES"]
async fn postgresql_over_tls_is_verified() {
    let dir = tempfile::tempdir().unwrap();
    require_postgres(dir.path());
    let cluster = Location::parse(&std::env::var(POSTGRES_ENV).unwrap());
    let root = tls_on(&cluster, dir.path());
    let (db, key_file) = database(dir.path());
    let start = |db: Location| {
        let mut config = Config::with_db(db);
        config.key_file = key_file.clone();
        config.listen = "127.0.0.1:0".parse().unwrap();
        iampass_server::start(config, Arc::new(SystemClock))
    };

    // The server's reload is asynchronous: a bounded wait for TLS to be offered.
    let trusted = with_query(&db, &format!("sslmode=require&sslrootcert={}", root.display()));
    let mut running = None;
    for _ in 0..50 {
        if let Ok(server) = start(trusted.clone()).await {
            running = Some(server);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let server = running.expect("a node connects over TLS to a server whose certificate it trusts");
    let encrypted = std::process::Command::new("psql")
        .args(["-Atq", &db.to_string(), "-c"])
        .arg(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
             WHERE application_name = 'iampass-node' AND datname = current_database() AND ssl",
        )
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&encrypted.stdout).trim(), "1", "the node's own connection is encrypted");
    server.stop().await.unwrap();

    // Without the root, the self-signed certificate is not trusted: the node does not start.
    let err = start(with_query(&db, "sslmode=require")).await.unwrap_err().to_string();
    assert!(err.to_lowercase().contains("certificate") || err.contains("UnknownIssuer"), "{err}");
}
