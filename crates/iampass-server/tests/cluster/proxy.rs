//! Three nodes behind HAProxy (Debian's package) in round-robin, with the configuration the
//! deployment guide gives (packaging/cluster/haproxy.cfg, addresses replaced): enrollment,
//! logins and the phone's long-polls spread over the nodes, while one event stream stays open
//! through the proxy and sees every change once.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt as _;
use iampass_device::{Answer, Phone};
use iampass_proto::client::{ManagementClient, default_http};
use iampass_proto::wire::{EventData, SessionStatus};
use iampass_testkit::event_stream;
use iampass_testkit::haproxy::{Haproxy, free_port};

use crate::{BOUNDED, Cluster};

const LOGINS: usize = 30;

#[tokio::test]
#[ignore = "needs IAMPASS_TEST_POSTGRES"]
async fn three_nodes_behind_haproxy_are_one_service() {
    let port = free_port().unwrap();
    let public = format!("http://127.0.0.1:{port}");
    let c = Cluster::start(3, |config| config.public_url = Some(public.clone())).await;
    let nodes: Vec<String> = c.nodes.iter().map(|n| n.addr.to_string()).collect();
    let proxy = Haproxy::start(c.dir.path(), port, &nodes).expect("haproxy is installed and takes the guide's file");
    let app = ManagementClient::with_http(default_http(), &public, &c.app_id, &c.secret).unwrap();
    // Bounded wait for the proxy to listen and find its nodes ready.
    let mut last = None;
    for _ in 0..100 {
        match app.users(None, Some(1)).await {
            Ok(_) => {
                last = None;
                break;
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Some(e) = last {
        panic!("no answer through HAProxy: {e}\n{}", proxy.log());
    }

    app.add_users(&["ann".to_owned()]).await.unwrap();
    let link = app.registration_link("ann", None).await.unwrap();
    assert!(link.register_url.starts_with(&public), "links name the proxy: {}", link.register_url);
    let phone = Phone::enroll(&link.register_url, "phone", "test").await.unwrap();
    let mut stream = event_stream(&app, None).await;
    let answering = tokio::spawn(async move { phone.answer(&Answer::Approve(None), LOGINS, BOUNDED * 3).await });

    let mut sessions = BTreeSet::new();
    for _ in 0..LOGINS {
        let started = app.authenticate_user("ann", &[], None).await.unwrap().authentication_status;
        assert!(started.status_url.as_deref().unwrap().starts_with(&public));
        sessions.insert(started.session_id.unwrap());
        // One at a time, as one person logs in: the push cap counts unanswered pushes.
        let mut ok = false;
        for _ in 0..100 {
            if count_active(&app, &sessions).await == sessions.len() {
                ok = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(ok, "a login through the proxy was not approved");
    }
    assert_eq!(answering.await.unwrap().unwrap().len(), LOGINS);

    let mut seen = Vec::new();
    let mut active = BTreeSet::new();
    while active.len() < LOGINS {
        let event =
            tokio::time::timeout(BOUNDED, stream.next()).await.expect("the stream through the proxy").unwrap().unwrap();
        seen.push(event.id);
        if let EventData::Session(s) = &event.data
            && s.status == SessionStatus::Active
        {
            assert!(sessions.contains(&s.session_id));
            assert!(active.insert(s.session_id.clone()), "an approval came twice");
        }
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "events in order, once each");
}

async fn count_active(app: &ManagementClient, sessions: &BTreeSet<String>) -> usize {
    let page = app.sessions(&Default::default()).await.unwrap();
    page.sessions.iter().filter(|s| sessions.contains(&s.session_id) && s.status == SessionStatus::Active).count()
}
