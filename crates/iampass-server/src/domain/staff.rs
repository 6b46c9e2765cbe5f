//! Staff accounts: what a name and a role may be, and how long a sign-in lasts. Who may do what is
//! the contract's table (`iampass_proto::roles`); `http/permissions.rs` says which permission each
//! route needs.

pub use iampass_proto::roles::{allows, least_role};
use iampass_proto::wire::StaffRole;

use super::Invalid;

pub const MAX_STAFF_NAME_CHARS: usize = 100;
/// A console sign-in lasts a working day at most, and ends after a quarter of an hour unused
/// (the help desk's shared machines); each application may change both.
pub const DEFAULT_TOKEN_SECS: u64 = 8 * 3600;
pub const DEFAULT_IDLE_SECS: u64 = 15 * 60;

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
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("  Ana ").as_deref(), Ok("Ana"));
        assert!(validate_name("").is_err());
        assert!(validate_name("a\nb").is_err());
        assert!(validate_name(&"x".repeat(101)).is_err());
        assert_eq!(parse_role("Admin"), Ok(StaffRole::Admin));
        assert!(parse_role("root").is_err());
    }
}
