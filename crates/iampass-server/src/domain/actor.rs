//! Who acts, and what each action needs. Every management action carries an [`Actor`] from the
//! extractor that authenticated it into the service and into the audit record. What a route
//! requires is one [`Permission`], declared beside the route in `http/permissions.rs`; the audit
//! layer and the role check read that same table.

/// Who performs a management action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An integrating application (or a console holding its secret), signed with protocol 1.
    Application { app_id: String },
}

impl Actor {
    /// The application the action is done in.
    pub fn app_id(&self) -> &str {
        match self {
            Actor::Application { app_id } => app_id,
        }
    }

    /// The actor's own id: the application's id.
    pub fn id(&self) -> &str {
        match self {
            Actor::Application { app_id } => app_id,
        }
    }

    /// The kind of actor, as the audit log records it.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Application { .. } => "application",
        }
    }
}

/// What a route needs of its caller. The audited ones change something (two of them are GETs in
/// the published API); their audit name is stable, for the server's audit log.
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
}

impl Permission {
    /// The action's name in the audit log, for the actions that are recorded.
    pub fn audited_as(self) -> Option<&'static str> {
        Some(match self {
            Permission::AddUsers => "add_users",
            Permission::DeleteUsers => "delete_users",
            Permission::RegistrationLink => "device_registration_link",
            Permission::LostDevice => "lost_user_mobile_device",
            Permission::SendRegistrationSms => "send_registration_sms",
            Permission::LogoutSession => "logout_session",
            Permission::LogoutUser => "logout_user",
            Permission::DeviceCheck
            | Permission::ListUsers
            | Permission::ListSessions
            | Permission::SessionCounts
            | Permission::ReadEvents
            | Permission::ReadAudit => return None,
        })
    }
}
