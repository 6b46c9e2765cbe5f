//! The registration link itself: a person's browser is sent on to the web phone, the reference
//! phone reads it as JSON and binds with a POST.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use iampass_proto::wire::{RegisterDeviceRequest, RegisterDeviceResponse};

use super::extract::{JsonBody, Origin};
use crate::error::ServiceError;
use crate::service::BindRequest;
use crate::service::authenticators::Enrollment;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/register/{token}", get(show).post(bind))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"))
}

/// What a path segment carries as it is (a link's code is base64url: it passes unchanged); anything
/// else is percent-encoded.
const PATH_SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

async fn show(State(s): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    if wants_json(&headers) {
        return match s.registration_info(&token).await {
            Ok(i) => Json(i).into_response(),
            Err(e) => e.into_response(),
        };
    }
    // A person's browser: the web phone enrolls there, on the passkeys' own origin. The address
    // it is sent to has no fragment, so the browser keeps the link's own: the console puts the
    // employee's name there (`#name=…`), which no browser ever sends to a server. The page moves
    // the code out of its address at once; the access log records only the route's template.
    let origin = s.relying_party.as_ref().map_or("", |rp| rp.origin());
    let token = percent_encoding::utf8_percent_encode(&token, PATH_SEGMENT);
    super::webphone::redirect(&format!("{origin}/phone/enroll/{token}"))
}

async fn bind(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Origin(origin): Origin,
    JsonBody(body): JsonBody<RegisterDeviceRequest>,
) -> Result<(StatusCode, Json<RegisterDeviceResponse>), ServiceError> {
    let req = BindRequest { enrollment: Enrollment::App(body), origin };
    Ok((StatusCode::CREATED, Json(s.bind_device(&token, req).await?)))
}
