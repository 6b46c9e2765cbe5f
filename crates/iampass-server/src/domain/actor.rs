//! Who acts, and what each action needs. Every management action carries an [`Actor`] from the
//! extractor that authenticated it into the service and into the audit record. What a route
//! requires is one [`Permission`], declared beside the route in `http/permissions.rs`; the audit
//! layer and the role check read that same table.

use iampass_proto::wire::StaffRole;

/// Who performs a management action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An integrating application (or a console holding its secret), signed with protocol 1:
    /// every permission.
    Application { app_id: String },
    /// A help-desk staff member signed in with their phone, holding a bearer token: what their
    /// role allows (`domain/staff.rs`).
    Staff { app_id: String, staff_id: String, name: String, role: StaffRole },
}

impl Actor {
    /// The application the action is done in.
    pub fn app_id(&self) -> &str {
        match self {
            Actor::Application { app_id } | Actor::Staff { app_id, .. } => app_id,
        }
    }

    /// The actor's own id: the application's or the staff member's.
    pub fn id(&self) -> &str {
        match self {
            Actor::Application { app_id } => app_id,
            Actor::Staff { staff_id, .. } => staff_id,
        }
    }

    /// The staff member's name, for the audit log.
    pub fn name(&self) -> Option<&str> {
        match self {
            Actor::Application { .. } => None,
            Actor::Staff { name, .. } => Some(name),
        }
    }

    /// The kind of actor, as the audit log records it.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Application { .. } => "application",
            Actor::Staff { .. } => "staff",
        }
    }

    /// Whether this actor may do what `permission` guards.
    pub fn may(&self, permission: Permission) -> bool {
        match self {
            Actor::Application { .. } => true,
            Actor::Staff { role, .. } => super::staff::allows(*role, permission),
        }
    }
}

/// What a route needs of its caller; which roles have it is `domain/staff.rs`.
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
    ListStaff,
    ManageStaff,
    ReadSettings,
    AppSettings,
}

impl Permission {
    pub const ALL: [Permission; 18] = [
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
        Permission::ListStaff,
        Permission::ManageStaff,
        Permission::ReadSettings,
        Permission::AppSettings,
    ];
}
