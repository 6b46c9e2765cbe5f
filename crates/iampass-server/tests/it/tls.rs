//! HTTPS on the server's own accept loop: a client that trusts the test CA gets in, signs and is
//! verified as over HTTP; plain HTTP to the TLS port and a client without the root get nowhere; a
//! bad certificate stops the start with a clear reason.

use std::path::Path;

use iampass_proto::client::ManagementClient;
use iampass_testkit::{new_app, start_server};

/// A self-signed certificate for localhost and 127.0.0.1, written as PEM files in `dir`.
fn test_certificate(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    (cert_path, key_path, cert.cert.pem())
}

#[tokio::test]
async fn https_with_a_trusted_root_works_and_nothing_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, pem) = test_certificate(dir.path());
    let clock = std::sync::Arc::new(iampass_server::clock::SystemClock);
    let server = start_server(dir.path(), clock, |c| {
        c.tls_cert = Some(cert);
        c.tls_key = Some(key);
    })
    .await;
    let port = server.addr.port();
    assert_eq!(server.public_url(), format!("https://127.0.0.1:{port}"));

    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let health = trusting.get(format!("https://127.0.0.1:{port}/healthz")).send().await.unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    let health = trusting.get(format!("https://localhost:{port}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    // A signed Management API call over HTTPS (the signature covers the https URL's host).
    let (app, _) = new_app(&server, "TLS app", false).await;
    let client = ManagementClient::with_http(trusting, server.public_url(), &app.id, &app.secret).unwrap();
    assert_eq!(client.add_users(&["ann".to_owned()]).await.unwrap().users.created, vec!["ann".to_owned()]);

    // No root, no connection; plain HTTP to the TLS port, no answer.
    let untrusting = reqwest::Client::new();
    assert!(untrusting.get(format!("https://127.0.0.1:{port}/healthz")).send().await.is_err());
    assert!(untrusting.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_err());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_certificate_that_cannot_be_read_stops_the_start_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = test_certificate(dir.path());
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    for (c, k, expected) in [
        (garbage.clone(), key.clone(), "no certificate in the file"),
        (cert.clone(), garbage.clone(), "cannot read the TLS key"),
        (dir.path().join("missing.pem"), key.clone(), "cannot read the TLS certificate"),
    ] {
        let mut config = iampass_server::Config::with_db(dir.path().join("t.db"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.tls_cert = Some(c);
        config.tls_key = Some(k);
        let clock = std::sync::Arc::new(iampass_server::clock::SystemClock);
        let err = iampass_server::start(config, clock).await.unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
        assert!(!err.contains("PRIVATE KEY"), "no key material in the message: {err}");
    }
}
