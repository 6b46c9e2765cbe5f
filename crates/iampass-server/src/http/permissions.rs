//! What each authenticated management route requires: one table, keyed by the route's template
//! (axum's `MatchedPath`). The audit layer reads it to know which actions to record and under what
//! name; the role check reads it to know what to ask of the caller. A management route missing here
//! is refused by the test below.

use crate::domain::actor::Permission;

/// One authenticated management route: its method and template, what it requires, and the name
/// it is recorded under in the server's audit log if it changes something (two GETs of the
/// published API do).
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub method: &'static str,
    pub route: &'static str,
    pub needs: Permission,
    pub audited_as: Option<&'static str>,
}

const fn rule(method: &'static str, route: &'static str, needs: Permission, audited_as: Option<&'static str>) -> Rule {
    Rule { method, route, needs, audited_as }
}

use Permission::*;

pub const ROUTES: &[Rule] = &[
    rule("POST", "/management/add_users/{app}", AddUsers, Some("add_users")),
    rule("POST", "/management/delete_users/{app}", DeleteUsers, Some("delete_users")),
    rule(
        "GET",
        "/management/device_registration_link/{app}/{user}",
        RegistrationLink,
        Some("device_registration_link"),
    ),
    rule("GET", "/management/has_registered_mobile_device/{app}/{user}", DeviceCheck, None),
    rule("GET", "/management/lost_user_mobile_device/{app}/{user}", LostDevice, Some("lost_user_mobile_device")),
    rule("POST", "/management/send_registration_sms/{app}/{user}", SendRegistrationSms, Some("send_registration_sms")),
    rule("GET", "/management/users/{app}", ListUsers, None),
    rule("GET", "/management/sessions/{app}", ListSessions, None),
    rule("GET", "/management/session_counts/{app}", SessionCounts, None),
    rule("POST", "/management/logout_session/{app}/{session}", LogoutSession, Some("logout_session")),
    rule("POST", "/management/logout_user/{app}/{user}", LogoutUser, Some("logout_user")),
    rule("GET", "/management/events/{app}", ReadEvents, None),
    rule("GET", "/management/audit/{app}", ReadAudit, None),
    rule("POST", "/console/v1/{app}/verifications/{user}", VerifyCaller, Some("verify_caller")),
    rule("GET", "/console/v1/{app}/verification/{session}", VerifyCaller, None),
    rule("DELETE", "/console/v1/{app}/verification/{session}", VerifyCaller, Some("cancel_verification")),
    rule("POST", "/console/v1/{app}/clear_push_cap/{user}", ClearPushCap, Some("clear_push_cap")),
    rule("GET", "/console/v1/{app}/staff", ListStaff, None),
    rule("POST", "/console/v1/{app}/staff", ManageStaff, Some("add_staff")),
    rule("POST", "/console/v1/{app}/staff/{staff}/role", ManageStaff, Some("change_staff_role")),
    rule("POST", "/console/v1/{app}/staff/{staff}/link", ManageStaff, Some("staff_registration_link")),
    rule("DELETE", "/console/v1/{app}/staff/{staff}", ManageStaff, Some("remove_staff")),
    rule("GET", "/console/v1/{app}/settings", ReadSettings, None),
    rule("PUT", "/console/v1/{app}/settings", AppSettings, Some("app_settings")),
];

/// The rule for this method and route template, if it is an authenticated management route.
pub fn rule_for(method: &str, route: &str) -> Option<&'static Rule> {
    ROUTES.iter().find(|r| r.method == method && r.route == route)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt as _;

    use super::ROUTES;
    use crate::clock::ManualClock;

    /// An auditor reads: no route that changes something (one recorded in the audit log) is theirs.
    #[test]
    fn an_auditor_changes_nothing() {
        for rule in ROUTES.iter().filter(|r| r.audited_as.is_some()) {
            assert!(!crate::domain::staff::allows(iampass_proto::wire::StaffRole::Auditor, rule.needs), "{rule:?}");
        }
    }

    /// Every route under /management/ that the router serves is in the table, and every row of the
    /// table is a route: unsigned, each answers 401, never the JSON 404 for unknown routes.
    #[tokio::test]
    async fn the_table_and_the_router_agree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = crate::Config::with_db(dir.path().join("t.db"));
        let server = crate::start(config, Arc::new(ManualClock::starting_now())).await.expect("start");
        let router = crate::http::router(server.state.clone());
        for rule in ROUTES {
            let path = rule
                .route
                .replace("{app}", "a")
                .replace("{user}", "u")
                .replace("{session}", "s")
                .replace("{staff}", "t");
            let req = Request::builder().method(rule.method).uri(&path).body(Body::empty()).expect("request");
            let status = router.clone().oneshot(req).await.expect("answer").status();
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{} {path}", rule.method);
        }
        // Every route of the areas that take a management principal, counted by method.
        let sources = [
            include_str!("management.rs"),
            include_str!("console.rs"),
            include_str!("events.rs"),
            include_str!("audit.rs"),
            include_str!("staff.rs"),
        ];
        let served: usize = sources
            .iter()
            .flat_map(|src| {
                src.lines().filter(|l| l.contains(".route(\"/management/") || l.contains(".route(\"/console/v1/{app}/"))
            })
            .map(|l| {
                l.matches("get(").count()
                    + l.matches("post(").count()
                    + l.matches("put(").count()
                    + l.matches("delete(").count()
            })
            .sum();
        assert_eq!(served, ROUTES.len(), "a management route is missing from the permission table");
        server.stop().await.expect("stop");
    }
}
