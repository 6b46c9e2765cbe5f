//! Several nodes on one PostgreSQL database, on loopback: what makes them one service. Each test
//! needs `IAMPASS_TEST_POSTGRES` (a throwaway cluster, which `scripts/test` starts), so they are
//! ignored by a plain `cargo test` and run by `scripts/test` with `--include-ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod failover;
mod nodes;
mod proxy;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use iampass_device::Phone;
use iampass_proto::client::{ManagementClient, default_http};
use iampass_proto::clock::SystemClock;
use iampass_server::store::Location;
use iampass_server::{Config, Running};
use iampass_testkit::{base_url, database, new_app, start_server};

pub const BOUNDED: Duration = Duration::from_secs(20);

/// Nodes in this process sharing one database, with an application and a client per node.
#[derive(Debug)]
pub struct Cluster {
    pub nodes: Vec<Running>,
    pub clients: Vec<ManagementClient>,
    pub app_id: String,
    pub secret: String,
    pub dir: tempfile::TempDir,
}

/// The PostgreSQL URL of the database for `dir` (see [`require_postgres`]).
pub fn postgres_url(dir: &std::path::Path) -> String {
    match require_postgres(dir) {
        Location::Postgres(url) => url.as_str().to_owned(),
        Location::Sqlite(_) => unreachable!(),
    }
}

/// Panics unless the suites point at PostgreSQL: two nodes on one SQLite file would share rows
/// but not their wake-ups, which is exactly what these tests are about.
pub fn require_postgres(dir: &std::path::Path) -> Location {
    let (db, _) = database(dir);
    assert!(
        matches!(db, Location::Postgres(_)),
        "the cluster tests need IAMPASS_TEST_POSTGRES (a PostgreSQL cluster: scripts/test starts one)"
    );
    db
}

impl Cluster {
    pub async fn start(n: usize, tweak: impl Fn(&mut Config)) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        require_postgres(dir.path());
        let mut nodes = Vec::new();
        for _ in 0..n {
            nodes.push(start_server(dir.path(), Arc::new(SystemClock), &tweak).await);
        }
        let (app, _) = new_app(&nodes[0], "Cluster app", false).await;
        let clients = nodes
            .iter()
            .map(|node| ManagementClient::with_http(default_http(), &base_url(node), &app.id, &app.secret).unwrap())
            .collect();
        Cluster { nodes, clients, app_id: app.id.clone(), secret: app.secret.to_string(), dir }
    }

    /// Adds `user` on node `made_on`, and binds a fresh phone at its link through node `bound_on`.
    pub async fn enroll(&self, user: &str, made_on: usize, bound_on: usize) -> Phone {
        let app = &self.clients[made_on];
        app.add_users(&[user.to_owned()]).await.unwrap();
        let link = app.registration_link(user, None).await.unwrap();
        let url = link.register_url.replace(&base_url(&self.nodes[made_on]), &base_url(&self.nodes[bound_on]));
        assert_ne!(url, link.register_url, "the link names the node that made it");
        Phone::enroll(&url, "cluster phone", "test").await.unwrap()
    }

    /// Which node leads, once one does (within a bounded wait).
    pub async fn leader(&self) -> usize {
        use iampass_server::store::Admin as _;
        for _ in 0..(BOUNDED.as_millis() / 50) {
            let leading: Vec<usize> =
                (0..self.nodes.len()).filter(|&i| *self.nodes[i].state.store.leadership().borrow()).collect();
            if let [one] = leading[..] {
                return one;
            }
            assert!(leading.len() <= 1, "two nodes lead at once: {leading:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no node took the lead");
    }
}

/// The same phone, talking to `node`.
pub fn phone_on(phone: &Phone, node: &Running) -> Phone {
    let mut state = phone.state().clone();
    state.server = base_url(node);
    Phone::from_state(state).unwrap()
}
