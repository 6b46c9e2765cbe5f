//! Where the database is: a SQLite file (the default, one node) or a PostgreSQL URL (several
//! nodes). One setting, `--db`, says both, so every command that takes `--db` works on either.

use std::path::{Path, PathBuf};

#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    /// A `postgresql://` URL. It may hold a password, so it is never shown whole.
    Postgres(PostgresUrl),
}

/// A PostgreSQL connection URL; `Display` and `Debug` show it with any password replaced.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(String);

impl PostgresUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                f.write_str(u.as_str())
            }
            Ok(u) => f.write_str(u.as_str()),
            Err(_) => f.write_str("postgresql://(unreadable URL)"),
        }
    }
}

impl std::fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Location {
    /// `postgresql://…` or `postgres://…` is PostgreSQL; `sqlite:PATH` or any other text is a
    /// SQLite file.
    pub fn parse(s: &str) -> Self {
        if s.starts_with("postgresql://") || s.starts_with("postgres://") {
            return Location::Postgres(PostgresUrl(s.to_owned()));
        }
        let path = s.strip_prefix("sqlite:").map(|p| p.strip_prefix("//").unwrap_or(p)).unwrap_or(s);
        Location::Sqlite(PathBuf::from(path))
    }

    /// The SQLite file, if that is what this is.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(p) => Some(p),
            Location::Postgres(_) => None,
        }
    }
}

impl std::str::FromStr for Location {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(s))
    }
}

impl From<PathBuf> for Location {
    fn from(p: PathBuf) -> Self {
        Location::Sqlite(p)
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(u) => write!(f, "{u}"),
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_postgresql_and_anything_else_a_file() {
        assert!(matches!(Location::parse("postgresql://u@h/db"), Location::Postgres(_)));
        assert!(matches!(Location::parse("postgres://u@h/db"), Location::Postgres(_)));
        assert_eq!(Location::parse("sqlite:/var/lib/x.db"), Location::Sqlite("/var/lib/x.db".into()));
        assert_eq!(Location::parse("sqlite:///var/lib/x.db"), Location::Sqlite("/var/lib/x.db".into()));
        assert_eq!(Location::parse("iampass.db"), Location::Sqlite("iampass.db".into()));
    }

    #[test]
    fn a_password_is_never_shown() {
        let at = Location::parse("postgresql://iampass:s3cret-pw@db.example:5432/iampass");
        for shown in [at.to_string(), format!("{at:?}")] {
            assert!(!shown.contains("s3cret-pw"), "{shown}");
            assert!(shown.contains("db.example"), "{shown}");
        }
    }
}
