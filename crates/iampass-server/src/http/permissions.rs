//! What each authenticated management route requires: one table, keyed by the route's template
//! (axum's `MatchedPath`). The audit layer reads it to know which actions to record and under what
//! name; the role check reads it to know what to ask of the caller. A management route missing here
//! is refused by the test below.

use crate::domain::actor::Permission;

pub const ROUTES: &[(&str, Permission)] = &[
    ("/management/add_users/{app}", Permission::AddUsers),
    ("/management/delete_users/{app}", Permission::DeleteUsers),
    ("/management/device_registration_link/{app}/{user}", Permission::RegistrationLink),
    ("/management/has_registered_mobile_device/{app}/{user}", Permission::DeviceCheck),
    ("/management/lost_user_mobile_device/{app}/{user}", Permission::LostDevice),
    ("/management/send_registration_sms/{app}/{user}", Permission::SendRegistrationSms),
    ("/management/users/{app}", Permission::ListUsers),
    ("/management/sessions/{app}", Permission::ListSessions),
    ("/management/session_counts/{app}", Permission::SessionCounts),
    ("/management/logout_session/{app}/{session}", Permission::LogoutSession),
    ("/management/logout_user/{app}/{user}", Permission::LogoutUser),
    ("/management/events/{app}", Permission::ReadEvents),
    ("/management/audit/{app}", Permission::ReadAudit),
];

/// What the route with this template requires, if it is a management route.
pub fn required(route: &str) -> Option<Permission> {
    ROUTES.iter().find(|(template, _)| *template == route).map(|(_, p)| *p)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt as _;

    use super::ROUTES;
    use crate::clock::ManualClock;

    /// Every route under /management/ that the router serves is in the table, and every row of the
    /// table is a route: unsigned, each answers 401, never the JSON 404 for unknown routes.
    #[tokio::test]
    async fn the_table_and_the_router_agree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = crate::Config::with_db(dir.path().join("t.db"));
        let server = crate::start(config, Arc::new(ManualClock::starting_now())).await.expect("start");
        let router = crate::http::router(server.state.clone());
        for (template, _) in ROUTES {
            let path = template.replace("{app}", "a").replace("{user}", "u").replace("{session}", "s");
            for method in ["GET", "POST"] {
                let req = Request::builder().method(method).uri(&path).body(Body::empty()).expect("request");
                let status = router.clone().oneshot(req).await.expect("answer").status();
                assert!(
                    status == StatusCode::UNAUTHORIZED || status == StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path}: {status}"
                );
            }
        }
        let management_routes = include_str!("management.rs").matches(".route(\"/management/").count()
            + include_str!("console.rs").matches(".route(\"/management/").count()
            + include_str!("events.rs").matches(".route(\"/management/").count()
            + include_str!("audit.rs").matches(".route(\"/management/").count();
        assert_eq!(management_routes, ROUTES.len(), "a management route is missing from the permission table");
        server.stop().await.expect("stop");
    }
}
