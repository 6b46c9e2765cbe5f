//! What the service does, one area per file, as methods on [`AppState`]: checks, store calls and
//! the answer's shape. Handlers only extract and call these; these never see HTTP types.

pub mod app_cache;
pub mod apps;
pub mod authenticators;
pub mod book;
mod console;
pub mod login;
mod management;
mod phone;
pub mod push;
mod recovery;
pub mod staff;
pub mod sweeper;
pub mod webhook;
mod webphone;

pub use apps::CreatedApp;
pub use management::LinkIssuer;
pub use phone::{BindRequest, DeviceCall};

use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::UserRow;
use crate::store::prelude::*;

impl AppState {
    /// The live user `external_id` of `app_id`, or 404.
    pub(crate) async fn require_user(&self, app_id: &str, external_id: &str) -> Result<UserRow, ServiceError> {
        self.store.user(app_id, external_id).await?.ok_or_else(ServiceError::unknown_user)
    }

    /// The live user and their active phone's id, or 404.
    pub(crate) async fn require_user_with_device(
        &self,
        app_id: &str,
        external_id: &str,
    ) -> Result<(UserRow, Option<String>), ServiceError> {
        self.store.user_with_device(app_id, external_id).await?.ok_or_else(ServiceError::unknown_user)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}
