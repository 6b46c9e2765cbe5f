//! Staff accounts: who may do what in the console, and what a name may be. The role → permission
//! table is here and nowhere else; `http/permissions.rs` says which permission each route needs.

use iampass_proto::wire::StaffRole;

use super::Invalid;
use super::actor::Permission;

pub const MAX_STAFF_NAME_CHARS: usize = 100;
/// A console sign-in lasts a working day at most, and ends after a quarter of an hour unused
/// (the help desk's shared machines); each application may change both.
pub const DEFAULT_TOKEN_SECS: u64 = 8 * 3600;
pub const DEFAULT_IDLE_SECS: u64 = 15 * 60;

/// The roles that may use `permission`. `kiosk` enrolls; `helpdesk` adds the day's work on
/// sessions and callers; `auditor` reads; `admin` does everything.
pub fn roles_allowed(permission: Permission) -> &'static [StaffRole] {
    use Permission::*;
    use StaffRole::*;
    match permission {
        ListUsers => &[Kiosk, Helpdesk, Auditor, Admin],
        ReadSettings => &[Auditor, Admin],
        RegistrationLink | DeviceCheck => &[Kiosk, Helpdesk, Admin],
        ListSessions | SessionCounts | ReadEvents => &[Helpdesk, Auditor, Admin],
        LogoutSession | LogoutUser | LostDevice | VerifyCaller | SendRegistrationSms => &[Helpdesk, Admin],
        ReadAudit => &[Auditor, Admin],
        AddUsers | DeleteUsers | ListStaff | ManageStaff | AppSettings => &[Admin],
    }
}

pub fn allows(role: StaffRole, permission: Permission) -> bool {
    roles_allowed(permission).contains(&role)
}

/// The role a refusal names: the least one that would have been allowed.
pub fn least_role(permission: Permission) -> StaffRole {
    roles_allowed(permission).first().copied().unwrap_or(StaffRole::Admin)
}

/// A staff member's name: what they type to sign in. Names are unique per application, compared
/// without case.
pub fn validate_name(name: &str) -> Result<String, Invalid> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_STAFF_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Invalid::new(
            "invalid_staff_name",
            format!("a staff name is 1 to {MAX_STAFF_NAME_CHARS} characters, without control characters"),
        ));
    }
    Ok(name.to_owned())
}

pub fn parse_role(role: &str) -> Result<StaffRole, Invalid> {
    StaffRole::parse(role)
        .ok_or_else(|| Invalid::new("invalid_role", "the role must be one of kiosk, helpdesk, auditor, admin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kiosk_only_enrolls_and_auditor_only_reads() {
        for p in Permission::ALL {
            let kiosk = allows(StaffRole::Kiosk, p);
            assert_eq!(
                kiosk,
                matches!(p, Permission::ListUsers | Permission::RegistrationLink | Permission::DeviceCheck),
                "{p:?}"
            );
            assert!(allows(StaffRole::Admin, p), "admin may do everything: {p:?}");
            if kiosk {
                assert!(allows(StaffRole::Helpdesk, p), "helpdesk has kiosk's rights: {p:?}");
            }
            assert!(allows(least_role(p), p));
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("  Ana ").as_deref(), Ok("Ana"));
        assert!(validate_name("").is_err());
        assert!(validate_name("a\nb").is_err());
        assert!(validate_name(&"x".repeat(101)).is_err());
        assert_eq!(parse_role("Admin"), Ok(StaffRole::Admin));
        assert!(parse_role("root").is_err());
    }
}
