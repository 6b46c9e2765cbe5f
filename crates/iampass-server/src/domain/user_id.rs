//! User ids: the integrating application's opaque name for a user (the console uses random
//! tokens, so the service never sees personal data). Up to 256 bytes of UTF-8, no control
//! characters (they would forge log lines and break listings).

use super::Invalid;

pub const MAX_USER_ID_BYTES: usize = 256;
/// More users than this in one `add_users`/`delete_users` call is refused, not truncated.
pub const MAX_USERS_PER_CALL: usize = 10_000;

pub fn validate(id: &str) -> Result<(), Invalid> {
    if id.is_empty() {
        return Err(Invalid::new("invalid_user_id", "a user id cannot be empty"));
    }
    if id.len() > MAX_USER_ID_BYTES {
        return Err(Invalid::new(
            "invalid_user_id",
            format!("a user id is at most {MAX_USER_ID_BYTES} bytes of UTF-8 (this one is {})", id.len()),
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(Invalid::new("invalid_user_id", "a user id cannot contain control characters"));
    }
    Ok(())
}

/// Decodes a path segment as the official client encodes it (`quote_plus`: `+` is a space,
/// `%2B` a plus), then validates it.
pub fn from_path_segment(raw: &str) -> Result<String, Invalid> {
    let spaced = raw.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map_err(|_| Invalid::new("invalid_user_id", "the user id in the path is not valid UTF-8 once decoded"))?
        .into_owned();
    validate(&decoded)?;
    Ok(decoded)
}

/// Validates a list from a request body: all valid or the whole call is refused. Repeats
/// collapse to the first occurrence.
pub fn validate_list(ids: &[String]) -> Result<Vec<String>, Invalid> {
    if ids.len() > MAX_USERS_PER_CALL {
        return Err(Invalid::new("too_many_users", format!("at most {MAX_USERS_PER_CALL} users per call")));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        validate(id).map_err(|e| Invalid::new(e.code, format!("users[{i}]: {}", e.reason)))?;
        if seen.insert(id.as_str()) {
            out.push(id.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_decode_like_quote_plus() {
        assert_eq!(from_path_segment("user%2B1").as_deref(), Ok("user+1"));
        assert_eq!(from_path_segment("Ann+Lee").as_deref(), Ok("Ann Lee"));
        assert_eq!(from_path_segment("a%2Fb%40c").as_deref(), Ok("a/b@c"));
        assert_eq!(from_path_segment("%C3%A9l%C3%A8ve").as_deref(), Ok("élève"));
        assert_eq!(from_path_segment("a%20b").as_deref(), Ok("a b"));
    }

    #[test]
    fn bad_ids_are_refused_with_a_reason() {
        assert!(from_path_segment("%FF").is_err());
        assert!(from_path_segment("").is_err());
        assert!(from_path_segment("a%0Ab").is_err());
        assert!(validate(&"x".repeat(257)).is_err());
        assert!(validate(&"é".repeat(128)).is_ok());
        assert!(validate(&"é".repeat(129)).is_err());
    }

    #[test]
    fn lists_are_all_or_nothing_and_deduplicated() {
        let ok = validate_list(&["a".into(), "b".into(), "a".into()]);
        assert_eq!(ok, Ok(vec!["a".to_owned(), "b".to_owned()]));
        let bad = validate_list(&["a".into(), String::new()]);
        assert!(bad.is_err_and(|e| e.reason.starts_with("users[1]")));
    }
}
