//! The registration link itself: a small page for a person who opens it in a browser, JSON for the
//! authenticator app, and binding a phone with a POST.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use iampass_proto::wire::{RegisterDeviceRequest, RegisterDeviceResponse};

use super::extract::JsonBody;
use crate::error::ServiceError;
use crate::service::BindRequest;
use crate::service::authenticators::Enrollment;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/register/{token}", get(show).post(bind))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"))
}

async fn show(State(s): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let info = s.registration_info(&token).await;
    if wants_json(&headers) {
        return match info {
            Ok(i) => Json(i).into_response(),
            Err(e) => e.into_response(),
        };
    }
    let (status, body) = match info {
        Ok(i) => {
            let who =
                i.display_name.as_deref().map(|n| format!(" for <strong>{}</strong>", escape(n))).unwrap_or_default();
            let minutes = i.expires_in_seconds.div_ceil(60);
            (
                StatusCode::OK,
                format!(
                    "<h1>Enroll your phone</h1><p>This link enrolls a phone{who} into <strong>{}</strong>.</p>\
                     <p>Open it in the IAMPASS authenticator (or scan its QR code with it). It works once and \
                     expires in about {minutes} minute{}.</p>",
                    escape(&i.application_name),
                    if minutes == 1 { "" } else { "s" }
                ),
            )
        }
        Err(e) => {
            (super::error::status(&e), format!("<h1>This link cannot be used</h1><p>{}</p>", escape(&e.to_string())))
        }
    };
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>IAMPASS enrolment</title><style>body{{font:1.25rem/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}}</style>\
         </head><body>{body}</body></html>"
    );
    (status, [(header::CACHE_CONTROL, "no-store"), (header::REFERRER_POLICY, "no-referrer")], Html(page))
        .into_response()
}

async fn bind(
    State(s): State<AppState>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<RegisterDeviceRequest>,
) -> Result<(StatusCode, Json<RegisterDeviceResponse>), ServiceError> {
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let req = BindRequest { enrollment: Enrollment::App(body), source: Some(peer.ip().to_string()), user_agent };
    Ok((StatusCode::CREATED, Json(s.bind_device(&token, req).await?)))
}

fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn html_is_escaped() {
        assert_eq!(super::escape("<a href='x'>&\""), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
    }
}
