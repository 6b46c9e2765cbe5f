//! Who acts. Every management action carries an [`Actor`] from the extractor that authenticated it
//! into the service and into the audit record. What a route requires is one [`Permission`],
//! declared beside the route in `http/permissions.rs`; which roles have it is the contract's own
//! table (`iampass_proto::roles`), which the console reads too.

pub use iampass_proto::roles::Permission;
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
            Actor::Staff { role, .. } => iampass_proto::roles::allows(*role, permission),
        }
    }
}
