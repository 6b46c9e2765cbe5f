//! What each staff role may do: the contract's one table, read by the server (which enforces it)
//! and by the console (which shows only what the signed-in role may use).

use crate::wire::StaffRole;

/// What a management route needs of its caller; which roles have it is [`roles_allowed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    AddUsers,
    DeleteUsers,
    RegistrationLink,
    DeviceCheck,
    LostDevice,
    SendRegistrationSms,
    ListUsers,
    ListSessions,
    SessionCounts,
    LogoutSession,
    LogoutUser,
    ReadEvents,
    ReadAudit,
    VerifyCaller,
    ClearPushCap,
    ListStaff,
    ManageStaff,
    ReadSettings,
    AppSettings,
    /// Read the team book's sealed entries and fetch this desk's wrapped book key.
    ReadBook,
    /// Add and edit the team book's entries (adding an employee's IAMPASS user goes with it).
    WriteBook,
    /// Approve, refuse and remove desks, and rotate the book key.
    ManageDesks,
    /// Move an employee who has or had a phone to a new one, with evidence (`wire::StartRecovery`).
    Recover,
    /// Read an employee's recoveries and holds, and follow them on the event stream.
    ReadRecoveries,
    /// Lift a hold on an employee's recoveries.
    ClearRecoveryHold,
}

impl Permission {
    pub const ALL: [Permission; 25] = [
        Permission::AddUsers,
        Permission::DeleteUsers,
        Permission::RegistrationLink,
        Permission::DeviceCheck,
        Permission::LostDevice,
        Permission::SendRegistrationSms,
        Permission::ListUsers,
        Permission::ListSessions,
        Permission::SessionCounts,
        Permission::LogoutSession,
        Permission::LogoutUser,
        Permission::ReadEvents,
        Permission::ReadAudit,
        Permission::VerifyCaller,
        Permission::ClearPushCap,
        Permission::ListStaff,
        Permission::ManageStaff,
        Permission::ReadSettings,
        Permission::AppSettings,
        Permission::ReadBook,
        Permission::WriteBook,
        Permission::ManageDesks,
        Permission::Recover,
        Permission::ReadRecoveries,
        Permission::ClearRecoveryHold,
    ];
}

/// The roles that may use `permission`. `kiosk` enrolls; `helpdesk` adds the day's work on
/// sessions and callers; `auditor` reads; `admin` does everything.
pub fn roles_allowed(permission: Permission) -> &'static [StaffRole] {
    use Permission::*;
    use StaffRole::*;
    match permission {
        // A kiosk reads the book (an employee finds their own name) and the event stream, which
        // carries it; the stream gives a role only what it may read otherwise.
        ListUsers | ReadBook | ReadEvents => &[Kiosk, Helpdesk, Auditor, Admin],
        WriteBook => &[Helpdesk, Admin],
        ReadSettings => &[Auditor, Admin],
        RegistrationLink | DeviceCheck => &[Kiosk, Helpdesk, Admin],
        ListSessions | SessionCounts | ReadRecoveries => &[Helpdesk, Auditor, Admin],
        LogoutSession | LogoutUser | LostDevice | VerifyCaller | ClearPushCap | SendRegistrationSms | Recover => {
            &[Helpdesk, Admin]
        }
        ReadAudit => &[Auditor, Admin],
        AddUsers | DeleteUsers | ListStaff | ManageStaff | AppSettings | ManageDesks | ClearRecoveryHold => &[Admin],
    }
}

/// What reading an event of the stream needs: the stream gives each caller only the events about
/// what their role may read otherwise (a kiosk follows the book, not the sessions).
pub fn event_permission(event: &crate::wire::EventData) -> Permission {
    use crate::wire::EventData;
    match event {
        EventData::Session(_) => Permission::ListSessions,
        EventData::User(_) => Permission::ListUsers,
        EventData::Book(_) | EventData::Desk(_) => Permission::ReadBook,
        EventData::Recovery(_) => Permission::ReadRecoveries,
    }
}

pub fn allows(role: StaffRole, permission: Permission) -> bool {
    roles_allowed(permission).contains(&role)
}

/// The role a refusal names: the least one that would have been allowed.
pub fn least_role(permission: Permission) -> StaffRole {
    roles_allowed(permission).first().copied().unwrap_or(StaffRole::Admin)
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
                matches!(
                    p,
                    Permission::ListUsers
                        | Permission::RegistrationLink
                        | Permission::DeviceCheck
                        | Permission::ReadBook
                        | Permission::ReadEvents
                ),
                "{p:?}"
            );
            assert!(allows(StaffRole::Admin, p), "admin may do everything: {p:?}");
            if kiosk {
                assert!(allows(StaffRole::Helpdesk, p), "helpdesk has kiosk's rights: {p:?}");
            }
            assert!(allows(least_role(p), p));
        }
    }
}
