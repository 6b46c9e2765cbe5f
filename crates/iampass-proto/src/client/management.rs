//! Client for the Management API (published routes and the console extensions), signed with the
//! application's credentials or carrying a staff member's bearer token; and for starting a login
//! through the Authentication API (the application only).

use futures_util::{Stream, StreamExt};
use reqwest::Method as HttpMethod;

use super::{ClientError, Credentials, encode_segment, normalise_base, read_json, signed_request};
use crate::wire::*;
use reqwest::RequestBuilder;

#[derive(Debug, Clone)]
pub struct ManagementClient {
    http: reqwest::Client,
    base: String,
    app_id: String,
    auth: Auth,
}

/// Who the client acts as.
#[derive(Clone)]
enum Auth {
    /// The application, signing every request with protocol 1.
    Application(Credentials),
    /// A signed-in staff member's bearer token.
    Staff(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::Application(_) => "Application(<signed>)",
            Auth::Staff(_) => "Staff(<bearer>)",
        })
    }
}

impl ManagementClient {
    pub fn new(base_url: &str, application_id: &str, secret: &str) -> Result<Self, ClientError> {
        Self::with_http(super::default_http(), base_url, application_id, secret)
    }

    pub fn with_http(
        http: reqwest::Client,
        base_url: &str,
        application_id: &str,
        secret: &str,
    ) -> Result<Self, ClientError> {
        Ok(Self {
            http,
            base: normalise_base(base_url)?,
            app_id: application_id.to_owned(),
            auth: Auth::Application(Credentials { client_id: application_id.to_owned(), secret: secret.to_owned() }),
        })
    }

    /// A client acting as a signed-in staff member (see [`super::StaffSignIn`]).
    pub fn staff(
        http: reqwest::Client,
        base_url: &str,
        application_id: &str,
        token: &str,
    ) -> Result<Self, ClientError> {
        Ok(Self {
            http,
            base: normalise_base(base_url)?,
            app_id: application_id.to_owned(),
            auth: Auth::Staff(token.to_owned()),
        })
    }

    pub fn application_id(&self) -> &str {
        &self.app_id
    }

    /// Whether this client acts as a staff member (else as the application).
    pub fn is_staff(&self) -> bool {
        matches!(self.auth, Auth::Staff(_))
    }

    fn request(&self, method: HttpMethod, url: &str) -> Result<RequestBuilder, ClientError> {
        match &self.auth {
            Auth::Application(creds) => signed_request(&self.http, method, url, creds),
            Auth::Staff(token) => Ok(self.http.request(method, url).bearer_auth(token)),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, route: &str, user: Option<&str>) -> String {
        let app = &self.app_id;
        match user {
            Some(u) => format!("{}/{route}/{app}/{}", self.base, encode_segment(u)),
            None => format!("{}/{route}/{app}", self.base),
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, ClientError> {
        read_json(self.request(HttpMethod::GET, url)?.send().await?).await
    }

    async fn post<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        read_json(self.request(HttpMethod::POST, url)?.json(body).send().await?).await
    }

    fn console_url(&self, rest: &str) -> String {
        format!("{}/console/v1/{}/{rest}", self.base, self.app_id)
    }

    pub async fn staff_list(&self) -> Result<Vec<StaffSummary>, ClientError> {
        self.get(&self.console_url("staff")).await
    }

    pub async fn add_staff(&self, name: &str, role: StaffRole) -> Result<StaffAdded, ClientError> {
        self.post(&self.console_url("staff"), &AddStaff { name: name.to_owned(), role }).await
    }

    pub async fn set_staff_role(&self, staff: &str, role: StaffRole) -> Result<StaffSummary, ClientError> {
        self.post(&self.console_url(&format!("staff/{}/role", encode_segment(staff))), &SetRole { role }).await
    }

    pub async fn staff_link(&self, staff: &str) -> Result<StaffAdded, ClientError> {
        self.post(&self.console_url(&format!("staff/{}/link", encode_segment(staff))), &serde_json::json!({})).await
    }

    pub async fn remove_staff(&self, staff: &str) -> Result<StatusReply, ClientError> {
        let url = self.console_url(&format!("staff/{}", encode_segment(staff)));
        read_json(self.request(HttpMethod::DELETE, &url)?.send().await?).await
    }

    pub async fn settings(&self) -> Result<AppSettings, ClientError> {
        self.get(&self.console_url("settings")).await
    }

    pub async fn set_settings(&self, settings: &AppSettings) -> Result<AppSettings, ClientError> {
        read_json(self.request(HttpMethod::PUT, &self.console_url("settings"))?.json(settings).send().await?).await
    }

    /// Sends a verification push to a caller's phone (the console's *Verify*).
    pub async fn start_verification(&self, user: &str) -> Result<VerificationStarted, ClientError> {
        self.post(&self.console_url(&format!("verifications/{}", encode_segment(user))), &serde_json::json!({})).await
    }

    /// A verification's answer; an approval is reported once and its login ended by the server.
    pub async fn verification(&self, id: &str) -> Result<VerificationStatus, ClientError> {
        self.get(&self.console_url(&format!("verification/{}", encode_segment(id)))).await
    }

    /// Lets pushes reach a user again after the push cap paused them (staff verified them
    /// another way; `reason` says how, for the audit log).
    pub async fn clear_push_cap(&self, user: &str, reason: &str) -> Result<StatusReply, ClientError> {
        let url = self.console_url(&format!("clear_push_cap/{}", encode_segment(user)));
        self.post(&url, &ClearPushCap { reason: reason.to_owned() }).await
    }

    /// Stops the user's phone at once (lost): its sessions close; no new link (that is a recovery
    /// for staff).
    pub async fn stop_phone(&self, user: &str) -> Result<StatusReply, ClientError> {
        self.post(&self.console_url(&format!("stop_phone/{}", encode_segment(user))), &serde_json::json!({})).await
    }

    /// Asks for a recovery of an employee who has or had a phone, with its evidence.
    pub async fn start_recovery(&self, req: &StartRecovery) -> Result<RecoveryStatus, ClientError> {
        self.post(&self.console_url("recoveries"), req).await
    }

    /// A recovery as it is now (a second staff member's answer included).
    pub async fn recovery(&self, id: &str) -> Result<RecoveryStatus, ClientError> {
        self.get(&self.console_url(&format!("recoveries/{}", encode_segment(id)))).await
    }

    /// An approved recovery's one registration link.
    pub async fn recovery_link(&self, id: &str) -> Result<RegistrationLinkResponse, ClientError> {
        self.post(&self.console_url(&format!("recoveries/{}/link", encode_segment(id))), &serde_json::json!({})).await
    }

    /// An employee's recoveries, newest first, and any hold on them.
    pub async fn recovery_history(&self, user: &str) -> Result<RecoveryHistory, ClientError> {
        self.get(&self.console_url(&format!("recovery_history/{}", encode_segment(user)))).await
    }

    /// Lifts a hold on an employee's recoveries (admins; `reason` goes to the audit log).
    pub async fn clear_recovery_hold(&self, user: &str, reason: &str) -> Result<StatusReply, ClientError> {
        let url = self.console_url(&format!("clear_recovery_hold/{}", encode_segment(user)));
        self.post(&url, &ClearRecoveryHold { reason: reason.to_owned() }).await
    }

    /// Withdraws a verification push from the phone.
    pub async fn cancel_verification(&self, id: &str) -> Result<VerificationStatus, ClientError> {
        let url = self.console_url(&format!("verification/{}", encode_segment(id)));
        read_json(self.request(HttpMethod::DELETE, &url)?.send().await?).await
    }

    /// The team book's entries written after revision `since`, oldest first.
    pub async fn book(&self, since: u64, limit: Option<u32>) -> Result<BookPage, ClientError> {
        let query = serde_urlencoded::to_string(BookQuery { since, limit })
            .map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
        self.get(&self.console_url(&format!("book?{query}"))).await
    }

    /// One entry of the team book as the server holds it now, or `None` if it has none.
    pub async fn book_entry(&self, user: &str) -> Result<Option<BookEntry>, ClientError> {
        match self.get(&self.console_url(&format!("book/{}", encode_segment(user)))).await {
            Ok(entry) => Ok(Some(entry)),
            Err(e) if e.http_status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes sealed entries, all or none; a stale version or key generation is refused (409).
    pub async fn write_book(&self, writes: &BookWrites) -> Result<BookWritten, ClientError> {
        read_json(self.request(HttpMethod::PUT, &self.console_url("book"))?.json(writes).send().await?).await
    }

    /// Removes an employee: their entry (at `version`) and their IAMPASS user together.
    pub async fn remove_book_entry(&self, user: &str, version: u64) -> Result<StatusReply, ClientError> {
        let url = self.console_url(&format!("book/{}?version={version}", encode_segment(user)));
        read_json(self.request(HttpMethod::DELETE, &url)?.send().await?).await
    }

    /// Starts a new generation of the book key (see [`BookRotation`]).
    pub async fn rotate_book(&self, rotation: &BookRotation) -> Result<StatusReply, ClientError> {
        self.post(&self.console_url("book_rotation"), rotation).await
    }

    /// Asks for the book key for this desk; the answer names the desk's id.
    pub async fn request_desk_key(&self, request: &DeskRequest) -> Result<DeskSummary, ClientError> {
        self.post(&self.console_url("desks"), request).await
    }

    pub async fn desks(&self) -> Result<Vec<DeskSummary>, ClientError> {
        self.get(&self.console_url("desks")).await
    }

    /// A desk and its wrapped book key, once approved.
    pub async fn desk_key(&self, desk: &str) -> Result<DeskKey, ClientError> {
        self.get(&self.console_url(&format!("desks/{}", encode_segment(desk)))).await
    }

    pub async fn approve_desk(&self, desk: &str, approval: &DeskApproval) -> Result<DeskSummary, ClientError> {
        self.post(&self.console_url(&format!("desks/{}/approve", encode_segment(desk))), approval).await
    }

    /// Refuses a desk's pending request (a desk that holds the key is removed by a rotation).
    pub async fn refuse_desk(&self, desk: &str) -> Result<StatusReply, ClientError> {
        let url = self.console_url(&format!("desks/{}", encode_segment(desk)));
        read_json(self.request(HttpMethod::DELETE, &url)?.send().await?).await
    }

    /// The signed-in staff member (a staff client only).
    pub async fn me(&self) -> Result<StaffSelf, ClientError> {
        self.get(&self.console_url("me")).await
    }

    /// Ends this staff client's sign-in.
    pub async fn sign_out(&self) -> Result<StatusReply, ClientError> {
        self.post(&format!("{}/console/v1/sign_out", self.base), &serde_json::json!({})).await
    }

    pub async fn add_users(&self, users: &[String]) -> Result<AddUsersResponse, ClientError> {
        self.post(&self.url("management/add_users", None), &UsersRequest { users: users.to_vec() }).await
    }

    pub async fn delete_users(&self, users: &[String]) -> Result<DeleteUsersResponse, ClientError> {
        self.post(&self.url("management/delete_users", None), &UsersRequest { users: users.to_vec() }).await
    }

    pub async fn registration_link(
        &self,
        user: &str,
        display_name: Option<&str>,
    ) -> Result<RegistrationLinkResponse, ClientError> {
        let query = RegistrationLinkQuery { display_name: display_name.filter(|n| !n.is_empty()).map(str::to_owned) };
        self.get(&self.with_query("management/device_registration_link", Some(user), &query)?).await
    }

    pub async fn has_registered_mobile_device(&self, user: &str) -> Result<bool, ClientError> {
        let r: DeviceRegisteredResponse =
            self.get(&self.url("management/has_registered_mobile_device", Some(user))).await?;
        Ok(r.device_registered)
    }

    pub async fn lost_user_mobile_device(&self, user: &str) -> Result<RegistrationLinkResponse, ClientError> {
        self.get(&self.url("management/lost_user_mobile_device", Some(user))).await
    }

    pub async fn send_registration_sms(
        &self,
        user: &str,
        request: &SendSmsRequest,
    ) -> Result<StatusReply, ClientError> {
        self.post(&self.url("management/send_registration_sms", Some(user)), request).await
    }

    /// Starts a login. `Ok` both when it started (202) and when it did not (200, `authenticated`
    /// false with a reason), as the published API answers.
    pub async fn authenticate_user(
        &self,
        user: &str,
        methods: &[Method],
        duration_seconds: Option<u64>,
    ) -> Result<AuthenticateResponse, ClientError> {
        let query = AuthenticateQuery {
            methods: (!methods.is_empty()).then(|| Method::join(methods)),
            duration_seconds: duration_seconds.map(|d| d.to_string()),
        };
        self.post(&self.with_query("authentication/authenticate_user", Some(user), &query)?, &serde_json::json!({}))
            .await
    }

    pub async fn users(&self, cursor: Option<&str>, limit: Option<u32>) -> Result<UsersPage, ClientError> {
        let query = UsersQuery { user: None, page: PageQuery { cursor: cursor.map(str::to_owned), limit } };
        self.get(&self.with_query("management/users", None, &query)?).await
    }

    /// One user as the listing shows them (their phone, its kind), or `None` if there is no such user.
    pub async fn user(&self, user: &str) -> Result<Option<UserSummary>, ClientError> {
        let query = UsersQuery { user: Some(user.to_owned()), page: PageQuery::default() };
        let page: UsersPage = self.get(&self.with_query("management/users", None, &query)?).await?;
        Ok(page.users.into_iter().next())
    }

    pub async fn sessions(&self, filter: &SessionsQuery) -> Result<SessionsPage, ClientError> {
        self.get(&self.with_query("management/sessions", None, filter)?).await
    }

    /// The server's audit log of this application's management actions, newest first.
    pub async fn audit(&self, cursor: Option<&str>, limit: Option<u32>) -> Result<AuditPage, ClientError> {
        let query = PageQuery { cursor: cursor.map(str::to_owned), limit };
        self.get(&self.with_query("management/audit", None, &query)?).await
    }

    pub async fn session_counts(&self) -> Result<SessionCounts, ClientError> {
        self.get(&self.url("management/session_counts", None)).await
    }

    pub async fn logout_session(&self, session_id: &str) -> Result<LogoutReply, ClientError> {
        self.post(&self.url("management/logout_session", Some(session_id)), &serde_json::json!({})).await
    }

    pub async fn logout_user(&self, user: &str) -> Result<LogoutReply, ClientError> {
        self.post(&self.url("management/logout_user", Some(user)), &serde_json::json!({})).await
    }

    /// The live event stream, from just after `last_event_id` (or from now). Each item is one
    /// event; heartbeats are skipped. The stream ends when the connection does.
    pub async fn events(
        &self,
        last_event_id: Option<u64>,
    ) -> Result<impl Stream<Item = Result<Event, ClientError>> + use<>, ClientError> {
        let mut req =
            self.request(HttpMethod::GET, &self.url("management/events", None))?.header("Accept", "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let response = req.send().await?;
        let status = response.status();
        if !status.is_success() {
            let bytes = response.bytes().await?;
            return Err(super::api_error(status, &bytes));
        }
        Ok(sse_events(response.bytes_stream()))
    }
}

impl ManagementClient {
    /// The URL of `path` (and `user`) with `query` written from its type.
    fn with_query(&self, path: &str, user: Option<&str>, query: &impl serde::Serialize) -> Result<String, ClientError> {
        let url = self.url(path, user);
        let query = serde_urlencoded::to_string(query).map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
        Ok(if query.is_empty() { url } else { format!("{url}?{query}") })
    }
}

/// Turns an SSE byte stream into events, keeping only `data:` payloads of named events.
fn sse_events<S, B>(bytes: S) -> impl Stream<Item = Result<Event, ClientError>>
where
    S: Stream<Item = Result<B, reqwest::Error>> + Unpin,
    B: AsRef<[u8]>,
{
    futures_util::stream::unfold((bytes, Vec::<u8>::new()), |(mut bytes, mut buf)| async move {
        loop {
            if let Some(pos) = find_frame_end(&buf) {
                let frame: Vec<u8> = buf.drain(..pos + 2).collect();
                match parse_frame(&frame) {
                    Some(item) => return Some((item, (bytes, buf))),
                    None => continue,
                }
            }
            match bytes.next().await {
                Some(Ok(chunk)) => buf.extend_from_slice(chunk.as_ref()),
                Some(Err(e)) => return Some((Err(ClientError::Transport(e)), (bytes, buf))),
                None => return None,
            }
        }
    })
}

fn find_frame_end(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\n\n")
}

/// One SSE frame to an event; comments (heartbeats) and frames without data give `None`.
fn parse_frame(frame: &[u8]) -> Option<Result<Event, ClientError>> {
    let text = String::from_utf8_lossy(frame);
    let data: Vec<&str> =
        text.lines().filter_map(|l| l.strip_prefix("data:")).map(|d| d.strip_prefix(' ').unwrap_or(d)).collect();
    if data.is_empty() {
        return None;
    }
    Some(serde_json::from_str::<Event>(&data.join("\n")).map_err(|e| ClientError::Decode(e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_frames_parse_and_heartbeats_are_skipped() {
        assert!(parse_frame(b": heartbeat\n\n").is_none());
        let frame = br#"id: 7
event: user
data: {"id":7,"at":"2026-01-01T00:00:00Z","type":"user","user_id":"u","change":"added","device_id":null,"reason":null}

"#;
        let ev = parse_frame(frame).and_then(Result::ok);
        assert_eq!(ev.map(|e| e.id), Some(7));
        assert!(matches!(parse_frame(b"data: {not json\n\n"), Some(Err(ClientError::Decode(_)))));
    }
}
