//! Bodies of the published Management API.

use serde::{Deserialize, Serialize};

/// `add_users` and `delete_users` request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersRequest {
    pub users: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AddUsersResult {
    pub created: Vec<String>,
    pub existing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddUsersResponse {
    pub status: bool,
    pub users: AddUsersResult,
}

/// `delete_users` answer; `deleted`/`missing` are ours, the official client reads only `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteUsersResponse {
    pub status: bool,
    #[serde(default)]
    pub deleted: Vec<String>,
    #[serde(default)]
    pub missing: Vec<String>,
}

/// `device_registration_link` and `lost_user_mobile_device` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationLinkResponse {
    pub status: bool,
    pub register_url: String,
    /// When the link stops working (RFC 3339); ours, so a kiosk can count down.
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRegisteredResponse {
    pub status: bool,
    pub device_registered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendSmsRequest {
    pub phone_number: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}
