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
