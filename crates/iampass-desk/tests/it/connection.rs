//! Connecting: the embedded local server, wrong credentials, a dead server, adding an application.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn reopening_the_console_restarts_its_local_server_with_the_same_application() {
    let dir = tempfile::tempdir().unwrap();
    let d = desk(dir.path()).await;
    let first = d.start_local_server().await.unwrap().profile.unwrap();
    let e = d.add_employee(person("Ed", "")).await.unwrap();
    d.shutdown().await;
    drop(d);
    let again = desk(dir.path()).await;
    let status = again.status();
    assert!(status.connected);
    assert_eq!(status.profile.unwrap().application_id, first.application_id);
    // The server still knows the employee's token.
    again.start_enrollment(e.id).await.unwrap();
    again.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_credentials_and_a_dead_server_are_actionable_errors() {
    let (d, _dir) = local_desk().await;
    let url = d.status().profile.unwrap().server_url;
    let wrong = d.connect(&url, &"a".repeat(32), "WRONGSECRET").await.unwrap_err();
    assert_eq!(wrong.to_ui().code, "wrong_credentials");
    let dead = d.connect("http://127.0.0.1:9", &"a".repeat(32), "X").await.unwrap_err();
    let ui = dead.to_ui();
    assert_eq!(ui.code, "server_unreachable");
    assert!(ui.message.contains("127.0.0.1:9") && ui.action.contains("running"));
    assert_eq!(d.connect(&url, "short", "X").await.unwrap_err().to_ui().code, "invalid");
    // The earlier connection is untouched by failed attempts.
    assert!(d.status().profile.unwrap().embedded);
    d.shutdown().await;
    let e = d.add_employee(person("Fay", "")).await.unwrap_err();
    assert_eq!(e.to_ui().code, "server_unreachable");
    assert!(d.employees(&EmployeeQuery::default()).unwrap().is_empty(), "nothing half-written");
}

#[tokio::test(flavor = "multi_thread")]
async fn add_application_shows_the_credentials_once_and_connects() {
    use sha2::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    let token = "operator-token-0123456789";
    let server = iampass_testkit::start_server(dir.path(), Arc::new(iampass_proto::clock::SystemClock), |c| {
        c.admin_token_sha256 = Some(sha2::Sha256::digest(token).into());
    })
    .await;
    let d = desk(dir.path()).await;
    assert_eq!(
        d.add_application(server.public_url(), "wrong-token-wrong", "Desk").await.unwrap_err().to_ui().code,
        "invalid"
    );
    let created = d.add_application(server.public_url(), token, "Help desk").await.unwrap();
    assert_eq!(created.application_id.len(), 32);
    assert!(created.status.connected);
    assert!(!format!("{:?}", d.status()).contains(&created.application_secret), "the status never repeats the secret");
    d.add_employee(person("Gus", "")).await.unwrap();
    server.stop().await.unwrap();
}
