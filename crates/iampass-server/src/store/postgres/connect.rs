//! How a node reaches PostgreSQL: plain TCP, or TLS when the URL says `sslmode=require`. TLS here
//! always verifies: the server's certificate must chain to a public root (webpki-roots) or to the
//! PEM file named by `sslrootcert=FILE` (libpq's parameter, taken out of the URL before the
//! client reads it), and must name the host. libpq's `prefer` (encrypt if offered, verify nothing)
//! is not offered: it stops a passive listener only, so it reads as plain TCP here.

use std::sync::Arc;

use postgres::config::SslMode;
use postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_rustls::rustls;

use crate::store::StoreError;

/// How long a node waits for a connection, pooled or pipelined: a database that does not answer
/// is an error the request sees, not a request that hangs.
pub(super) const CONNECT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

#[derive(Clone)]
pub(super) struct Connector {
    config: postgres::Config,
    /// The same settings for the asynchronous client (the pipelined reads).
    async_config: tokio_postgres::Config,
    tls: Option<MakeRustlsConnect>,
}

/// The settings may hold a password: not shown.
impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector").field("tls", &self.tls.is_some()).finish()
    }
}

impl Connector {
    pub(super) fn from_url(url: &str) -> Result<Self, StoreError> {
        let (url, root_file) = take_root_cert(url)?;
        let config: postgres::Config = url.parse()?;
        let mut async_config: tokio_postgres::Config = url.parse()?;
        if async_config.get_connect_timeout().is_none() {
            async_config.connect_timeout(CONNECT_WAIT);
        }
        let tls = match config.get_ssl_mode() {
            SslMode::Require => Some(MakeRustlsConnect::new(client_config(root_file.as_deref())?)),
            _ => None,
        };
        Ok(Self { config, async_config, tls })
    }

    /// The same database, with `name` in `pg_stat_activity`.
    pub(super) fn named(mut self, name: &str) -> Self {
        self.config.application_name(name);
        self.async_config.application_name(name);
        self
    }

    /// An asynchronous client; its connection runs as a task of the current runtime until the
    /// client is dropped or the connection fails.
    pub(super) async fn connect_async(&self) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let client = match &self.tls {
            Some(tls) => {
                let (client, connection) = self.async_config.connect(tls.clone()).await?;
                tokio::spawn(drive(connection));
                client
            }
            None => {
                let (client, connection) = self.async_config.connect(tokio_postgres::NoTls).await?;
                tokio::spawn(drive(connection));
                client
            }
        };
        Ok(client)
    }

    pub(super) fn connect(&self) -> Result<Client, postgres::Error> {
        match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        }
    }
}

/// Runs a connection until it ends; a failure is said once here, and the client's next call
/// finds the connection closed and makes another.
async fn drive<S, T>(connection: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    if let Err(e) = connection.await {
        tracing::warn!(error = %e, "a PostgreSQL connection ended");
    }
}

/// Takes `sslrootcert=FILE` out of the URL's query.
fn take_root_cert(url: &str) -> Result<(String, Option<String>), StoreError> {
    let mut parsed = url::Url::parse(url).map_err(|e| StoreError::Corrupt(format!("the database URL: {e}")))?;
    let mut root = None;
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter_map(|(k, v)| {
            if k == "sslrootcert" {
                root = Some(v.into_owned());
                None
            } else {
                Some((k.into_owned(), v.into_owned()))
            }
        })
        .collect();
    if root.is_some() {
        if kept.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Ok((parsed.into(), root))
}

fn client_config(root_file: Option<&str>) -> Result<rustls::ClientConfig, StoreError> {
    let bad = |e: String| StoreError::Database(e.into());
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = root_file {
        use rustls_pki_types::pem::PemObject as _;
        let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(format!("sslrootcert {path}: {e}")))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
        if certs.is_empty() {
            return Err(bad(format!("sslrootcert {path}: no certificate in the file")));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::take_root_cert;

    #[test]
    fn the_root_certificate_is_taken_out_of_the_url() {
        let (url, root) = take_root_cert("postgresql://u@h/db?sslmode=require&sslrootcert=/etc/ca.pem").unwrap();
        assert_eq!((url.as_str(), root.as_deref()), ("postgresql://u@h/db?sslmode=require", Some("/etc/ca.pem")));
        let (url, root) = take_root_cert("postgresql://u@h/db?sslrootcert=%2Fca.pem").unwrap();
        assert_eq!((url.as_str(), root.as_deref()), ("postgresql://u@h/db", Some("/ca.pem")));
        let (url, root) = take_root_cert("postgresql://u@h/db").unwrap();
        assert_eq!((url.as_str(), root), ("postgresql://u@h/db", None));
    }
}
