//! What each management route requires, declared where the route's handler takes its caller:
//! `Manager<act::AddUsers>`. An action names the permission it needs and, if it changes something,
//! the name the server's audit log records it under; the extractor checks the one and notes the
//! other for the audit record, so a handler cannot take a management caller without saying what it
//! does, and nothing is looked up by the route's path at run time. Which roles hold a permission
//! is `iampass_proto::roles`.
//!
//! [`ROUTES`] lists every management route with its action, for the tests that call each one as
//! every role; a test checks that it names every action, and the router that it names real routes.

use crate::domain::actor::Permission;

/// What a management route does: the permission it needs, and its name in the audit log if it
/// changes something (two GETs of the published API do). One action a route.
pub trait Action: Send + Sync + 'static {
    const NAME: &'static str;
    const NEEDS: Permission;
    const AUDITED_AS: Option<&'static str>;
}

macro_rules! audited {
    ($name:literal) => {
        Some($name)
    };
    () => {
        None
    };
}

macro_rules! actions {
    ($($name:ident: $needs:ident $(, audited $audit:literal)?;)*) => {
        $(
            #[derive(Debug)]
            pub struct $name;

            impl super::Action for $name {
                const NAME: &'static str = stringify!($name);
                const NEEDS: super::Permission = super::Permission::$needs;
                const AUDITED_AS: Option<&'static str> = audited!($($audit)?);
            }
        )*

        /// Every action's name.
        pub const ALL: &[&str] = &[$(stringify!($name)),*];
    };
}

/// The actions of the management routes, one a route.
pub mod act {
    actions! {
        AddUsers: AddUsers, audited "add_users";
        DeleteUsers: DeleteUsers, audited "delete_users";
        RegistrationLink: RegistrationLink, audited "device_registration_link";
        DeviceCheck: DeviceCheck;
        LostDevice: LostDevice, audited "lost_user_mobile_device";
        SendRegistrationSms: SendRegistrationSms, audited "send_registration_sms";
        ListUsers: ListUsers;
        ListSessions: ListSessions;
        SessionCounts: SessionCounts;
        LogoutSession: LogoutSession, audited "logout_session";
        LogoutUser: LogoutUser, audited "logout_user";
        ReadEvents: ReadEvents;
        ReadAudit: ReadAudit;
        VerifyCaller: VerifyCaller, audited "verify_caller";
        ReadVerification: VerifyCaller;
        CancelVerification: VerifyCaller, audited "cancel_verification";
        ClearPushCap: ClearPushCap, audited "clear_push_cap";
        ListStaff: ListStaff;
        AddStaff: ManageStaff, audited "add_staff";
        ChangeStaffRole: ManageStaff, audited "change_staff_role";
        StaffLink: ManageStaff, audited "staff_registration_link";
        RemoveStaff: ManageStaff, audited "remove_staff";
        ReadSettings: ReadSettings;
        ChangeSettings: AppSettings, audited "app_settings";
        ReadBook: ReadBook;
        ReadBookEntry: ReadBook;
        WriteBook: WriteBook, audited "book_write";
        RemoveBookEntry: DeleteUsers, audited "book_remove";
        RotateBookKey: ManageDesks, audited "book_key_rotated";
        ListDesks: ManageDesks;
        RequestDeskKey: ReadBook, audited "desk_requested";
        ReadDeskKey: ReadBook;
        ApproveDesk: ManageDesks, audited "desk_approved";
        RefuseDesk: ManageDesks, audited "desk_refused";
        StopPhone: LostDevice, audited "stop_phone";
        StartRecovery: Recover, audited "recovery_requested";
        ReadRecovery: Recover;
        RecoveryLink: Recover, audited "recovery_link";
        RecoveryHistory: ReadRecoveries;
        ClearRecoveryHold: ClearRecoveryHold, audited "recovery_hold_cleared";
    }
}

/// A management route as the tests call it: method, template, and what its action declares.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub method: &'static str,
    pub route: &'static str,
    pub action: &'static str,
    pub needs: Permission,
    pub audited_as: Option<&'static str>,
}

const fn rule<A: Action>(method: &'static str, route: &'static str) -> Rule {
    Rule { method, route, action: A::NAME, needs: A::NEEDS, audited_as: A::AUDITED_AS }
}

pub const ROUTES: &[Rule] = &[
    rule::<act::AddUsers>("POST", "/management/add_users/{app}"),
    rule::<act::DeleteUsers>("POST", "/management/delete_users/{app}"),
    rule::<act::RegistrationLink>("GET", "/management/device_registration_link/{app}/{user}"),
    rule::<act::DeviceCheck>("GET", "/management/has_registered_mobile_device/{app}/{user}"),
    rule::<act::LostDevice>("GET", "/management/lost_user_mobile_device/{app}/{user}"),
    rule::<act::SendRegistrationSms>("POST", "/management/send_registration_sms/{app}/{user}"),
    rule::<act::ListUsers>("GET", "/management/users/{app}"),
    rule::<act::ListSessions>("GET", "/management/sessions/{app}"),
    rule::<act::SessionCounts>("GET", "/management/session_counts/{app}"),
    rule::<act::LogoutSession>("POST", "/management/logout_session/{app}/{session}"),
    rule::<act::LogoutUser>("POST", "/management/logout_user/{app}/{user}"),
    rule::<act::ReadEvents>("GET", "/management/events/{app}"),
    rule::<act::ReadAudit>("GET", "/management/audit/{app}"),
    rule::<act::VerifyCaller>("POST", "/console/v1/{app}/verifications/{user}"),
    rule::<act::ReadVerification>("GET", "/console/v1/{app}/verification/{session}"),
    rule::<act::CancelVerification>("DELETE", "/console/v1/{app}/verification/{session}"),
    rule::<act::ClearPushCap>("POST", "/console/v1/{app}/clear_push_cap/{user}"),
    rule::<act::ListStaff>("GET", "/console/v1/{app}/staff"),
    rule::<act::AddStaff>("POST", "/console/v1/{app}/staff"),
    rule::<act::ChangeStaffRole>("POST", "/console/v1/{app}/staff/{staff}/role"),
    rule::<act::StaffLink>("POST", "/console/v1/{app}/staff/{staff}/link"),
    rule::<act::RemoveStaff>("DELETE", "/console/v1/{app}/staff/{staff}"),
    rule::<act::ReadSettings>("GET", "/console/v1/{app}/settings"),
    rule::<act::ChangeSettings>("PUT", "/console/v1/{app}/settings"),
    rule::<act::ReadBook>("GET", "/console/v1/{app}/book"),
    rule::<act::WriteBook>("PUT", "/console/v1/{app}/book"),
    rule::<act::ReadBookEntry>("GET", "/console/v1/{app}/book/{user}"),
    rule::<act::RemoveBookEntry>("DELETE", "/console/v1/{app}/book/{user}"),
    rule::<act::RotateBookKey>("POST", "/console/v1/{app}/book_rotation"),
    rule::<act::ListDesks>("GET", "/console/v1/{app}/desks"),
    rule::<act::RequestDeskKey>("POST", "/console/v1/{app}/desks"),
    rule::<act::ReadDeskKey>("GET", "/console/v1/{app}/desks/{desk}"),
    rule::<act::RefuseDesk>("DELETE", "/console/v1/{app}/desks/{desk}"),
    rule::<act::ApproveDesk>("POST", "/console/v1/{app}/desks/{desk}/approve"),
    rule::<act::StopPhone>("POST", "/console/v1/{app}/stop_phone/{user}"),
    rule::<act::StartRecovery>("POST", "/console/v1/{app}/recoveries"),
    rule::<act::ReadRecovery>("GET", "/console/v1/{app}/recoveries/{recovery}"),
    rule::<act::RecoveryLink>("POST", "/console/v1/{app}/recoveries/{recovery}/link"),
    rule::<act::RecoveryHistory>("GET", "/console/v1/{app}/recovery_history/{user}"),
    rule::<act::ClearRecoveryHold>("POST", "/console/v1/{app}/clear_recovery_hold/{user}"),
];

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt as _;

    use super::ROUTES;
    use crate::clock::ManualClock;

    /// The table calls every action, each through one route: a new action without its route
    /// here would escape the tests that call every route as every role.
    #[test]
    fn the_table_names_every_action_once() {
        let mut named: Vec<&str> = ROUTES.iter().map(|r| r.action).collect();
        named.sort_unstable();
        let mut all = super::act::ALL.to_vec();
        all.sort_unstable();
        assert_eq!(named, all);
    }

    /// An auditor reads: no route that changes something (one recorded in the audit log) is theirs,
    /// but for asking for the book key for their own desk, which gives nothing until an admin's
    /// desk approves it.
    #[test]
    fn an_auditor_changes_nothing() {
        for rule in ROUTES.iter().filter(|r| r.audited_as.is_some() && r.action != "RequestDeskKey") {
            assert!(!crate::domain::staff::allows(iampass_proto::wire::StaffRole::Auditor, rule.needs), "{rule:?}");
        }
    }

    /// Every row of the table is a route the router serves with a management caller declaring
    /// the row's action: unsigned, each answers 401 (never the JSON 404 for unknown routes), and
    /// its extractor noted that action.
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
                .replace("{staff}", "t")
                .replace("{desk}", "d")
                .replace("{recovery}", "r");
            let ctx = crate::http::RequestContext::default();
            let req = Request::builder()
                .method(rule.method)
                .uri(&path)
                .extension(ctx.clone())
                .body(Body::empty())
                .expect("request");
            let status = router.clone().oneshot(req).await.expect("answer").status();
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{} {path}", rule.method);
            // The handler's caller declared the action the table names for this route.
            assert_eq!(ctx.action(), Some(rule.action), "{} {path}", rule.method);
        }
        server.stop().await.expect("stop");
    }
}
