//! Sending an employee their enrollment link by e-mail, through the organisation's SMTP relay, with
//! the QR code attached. The relay's settings are in the book; its password is kept like the
//! application secret (the system keyring, or the private file where none runs), never in the book.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Desk;
use crate::error::{DeskError, DeskResult};

const SETTINGS_KEY: &str = "smtp";
/// Where the relay's password is kept, beside application secrets.
const PASSWORD_KEY: &str = "smtp-relay";
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (usually port 587); refused if the relay cannot.
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// No encryption: only for a relay on this computer.
    None,
}

/// The relay, as Settings shows and saves it (the password apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Empty: the relay takes mail without signing in.
    pub username: String,
    /// The sender, e.g. `IT help desk <helpdesk@example.com>`.
    pub from: String,
    /// Read only: whether a password is stored.
    #[serde(default)]
    pub password_set: bool,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl SmtpSettings {
    fn check(&self) -> DeskResult<Mailbox> {
        if self.host.trim().is_empty() || self.port == 0 {
            return Err(DeskError::Invalid("The relay needs a host name and a port.".into()));
        }
        if self.security == SmtpSecurity::None && !is_loopback(self.host.trim()) {
            return Err(DeskError::Invalid(
                "Without TLS the password and the links would cross the network in the clear: choose STARTTLS or TLS (only a relay on this computer may go without)."
                    .into(),
            ));
        }
        self.from
            .trim()
            .parse::<Mailbox>()
            .map_err(|e| DeskError::Invalid(format!("The sender address is not valid: {e}.")))
    }
}

impl Desk {
    pub fn smtp_settings(&self) -> DeskResult<Option<SmtpSettings>> {
        let Some(json) = self.book()?.setting(SETTINGS_KEY)? else { return Ok(None) };
        let mut s: SmtpSettings = serde_json::from_str(&json)
            .map_err(|e| DeskError::Storage(format!("the saved SMTP settings are unreadable: {e}")))?;
        s.password_set = self.secrets.load(PASSWORD_KEY)?.is_some();
        Ok(Some(s))
    }

    /// Saves the relay; `password` replaces the stored one when given (`Some("")` forgets it).
    pub fn set_smtp_settings(&self, settings: SmtpSettings, password: Option<String>) -> DeskResult<SmtpSettings> {
        let result = (|| {
            let mut settings = SmtpSettings {
                host: settings.host.trim().to_owned(),
                username: settings.username.trim().to_owned(),
                from: settings.from.trim().to_owned(),
                ..settings
            };
            settings.check()?;
            match password.as_deref() {
                Some("") => self.secrets.delete(PASSWORD_KEY)?,
                Some(p) => {
                    self.secrets.save(PASSWORD_KEY, p)?;
                }
                None => {}
            }
            settings.password_set = false;
            let json = serde_json::to_string(&settings).map_err(|e| DeskError::Storage(e.to_string()))?;
            self.book()?.set_setting(SETTINGS_KEY, &json)?;
            settings.password_set = self.secrets.load(PASSWORD_KEY)?.is_some();
            Ok(settings)
        })();
        let host = result.as_ref().map(|s| s.host.clone()).unwrap_or_default();
        self.audited("set_smtp_relay", None, &host, result)
    }

    /// Issues a new registration link and e-mails it, with its QR code, to the employee's address.
    /// Returns the link sent (the screen shows that one: a newer link would revoke it).
    pub async fn email_link(&self, id: i64) -> DeskResult<crate::enroll::EnrollmentTicket> {
        let employee = self.employee(id)?;
        let result = async {
            let to: Mailbox = format!("{} <{}>", employee.name, employee.email).parse().map_err(|_| {
                DeskError::Invalid(format!(
                    "{} has no valid e-mail address in the book; edit them first.",
                    employee.name
                ))
            })?;
            let settings = self
                .smtp_settings()?
                .ok_or_else(|| DeskError::Invalid("No e-mail relay is set up: add one in Settings.".into()))?;
            let from = settings.check()?;
            let ticket = self.start_enrollment(id).await?;
            let png = crate::qr::png_of_data_url(&ticket.qr_png)?;
            let app = self.active()?.profile.name;
            let body = format!(
                "Hello {name},\n\nOpen this link on your phone to enroll it for signing in ({app}):\n\n{link}\n\n\
                 Or scan the attached QR code with your phone's camera. The link works once, until {until}.\n\
                 If you did not ask for this, tell the help desk and do not open the link.\n",
                name = employee.name,
                link = ticket.register_url,
                until = ticket.expires_at,
            );
            let message = Message::builder()
                .from(from)
                .to(to)
                .subject("Enroll your phone")
                .multipart(
                    MultiPart::mixed().singlepart(SinglePart::plain(body)).singlepart(
                        Attachment::new("enroll-your-phone.png".to_owned())
                            .body(png, ContentType::parse("image/png").map_err(|e| DeskError::Storage(e.to_string()))?),
                    ),
                )
                .map_err(|e| DeskError::Invalid(format!("The message could not be built: {e}.")))?;
            self.smtp_transport(&settings)?.send(message).await.map_err(|e| DeskError::Email(e.to_string()))?;
            Ok(ticket)
        }
        .await;
        let detail = result.as_ref().map(|t| t.email.clone()).unwrap_or_default();
        self.audited("email_link", Some((id, &employee.name)), &detail, result)
    }

    fn smtp_transport(&self, s: &SmtpSettings) -> DeskResult<AsyncSmtpTransport<Tokio1Executor>> {
        let relay_error = |e: lettre::transport::smtp::Error| DeskError::Email(e.to_string());
        let builder = match s.security {
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host).map_err(relay_error)?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(relay_error)?,
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
        };
        let mut builder = builder.port(s.port).timeout(Some(SEND_TIMEOUT));
        if !s.username.is_empty() {
            let password = self.secrets.load(PASSWORD_KEY)?.map(|(p, _)| p.to_string()).unwrap_or_default();
            builder = builder.credentials(Credentials::new(s.username.clone(), password));
        }
        Ok(builder.build())
    }
}
