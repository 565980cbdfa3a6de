//! Path parameters into URL path segments that cannot leave their place.
//!
//! progenitor's own `encode_path` leaves `.` and `\` alone, and the URL parser then resolves dot
//! segments and reads `\` as `/`: a parameter `..` sent the request (with its credentials) to the
//! parent resource. Every generated `send` encodes its path parameters here instead, and the mock
//! crates match paths with the same encoding.

/// A path parameter no encoding keeps inside its segment: `.` and `..` (a URL parser resolves
/// them, percent-encoded or not) and the empty value (which would name the parent collection).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a path parameter cannot be {}: it would not stay inside its path segment", describe(.0))]
pub struct InvalidPathSegment(String);

fn describe(value: &str) -> &'static str {
    match value {
        "" => "empty",
        "." => "`.`",
        _ => "`..`",
    }
}

/// Generated `send_raw` uses `?` on [`encode_path`]: the call is refused before anything is sent.
impl<E> From<InvalidPathSegment> for progenitor_client::Error<E> {
    fn from(error: InvalidPathSegment) -> Self {
        progenitor_client::Error::InvalidRequest(error.to_string())
    }
}

/// `value` as one path segment: everything but RFC 3986 unreserved characters percent-encoded
/// (UTF-8), so `/`, `\`, `?`, `#`, `%`, controls and spaces cannot change the path, and the
/// server's percent-decoding gives back `value` exactly. Dot segments are not refused here: see
/// [`encode_path`].
pub fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    encode_into(&mut out, value);
    out
}

/// RFC 3986 unreserved: the bytes a segment keeps as they are.
fn unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~".contains(&byte)
}

/// `value` encoded as [`segment`] encodes it, appended to `out`.
fn encode_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in value.bytes() {
        if unreserved(byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
}

/// A path parameter's segment, or the refusal of a value that cannot be one (`.`, `..`, empty).
/// Replaces progenitor's `encode_path` in generated code.
pub fn encode_path(value: &str) -> Result<String, InvalidPathSegment> {
    match value {
        "" | "." | ".." => Err(InvalidPathSegment(value.to_string())),
        _ => Ok(segment(value)),
    }
}

/// Appends `value` (as `Display` writes it) to `url` as one path segment, encoded as
/// [`segment`] encodes it, or refuses it as [`encode_path`] does; nothing is appended then.
/// Generated `send`s build their URL text with it, without an intermediate string per parameter.
pub fn push_path<T: std::fmt::Display + ?Sized>(url: &mut String, value: &T) -> Result<(), InvalidPathSegment> {
    use std::fmt::Write;
    let start = url.len();
    // Writing to a `String` cannot fail.
    let _ = write!(url, "{value}");
    let written = &url[start..];
    if matches!(written, "" | "." | "..") {
        let refused = InvalidPathSegment(written.to_string());
        url.truncate(start);
        return Err(refused);
    }
    if written.bytes().all(unreserved) {
        return Ok(());
    }
    let raw = url.split_off(start);
    encode_into(url, &raw);
    Ok(())
}

#[cfg(test)]
mod tests {
    /// A URL built around the segment has exactly one segment there, decoding back to the value;
    /// `.`, `..` and the empty value are refused. (The property test over arbitrary strings, through
    /// a generated client and a loopback server, is `tests/tests/it/paths.rs`.)
    #[test]
    fn every_value_stays_in_its_segment() {
        let check = |value: &str| match super::encode_path(value) {
            Err(_) => {
                assert!(matches!(value, "" | "." | ".."), "{value:?} refused");
                let mut url = "https://api.example.com/v1/".to_string();
                assert!(super::push_path(&mut url, value).is_err(), "{value:?} pushed");
                assert_eq!(url, "https://api.example.com/v1/", "{value:?} left text behind");
            }
            Ok(segment) => {
                // Written in place, the segment is the same.
                let mut url = "https://api.example.com/v1/".to_string();
                super::push_path(&mut url, value).unwrap();
                assert_eq!(url, format!("https://api.example.com/v1/{segment}"), "{value:?}");
                let url = url::Url::parse(&format!("https://api.example.com/v1/things/{segment}/items")).unwrap();
                let segments: Vec<&str> = url.path_segments().unwrap().collect();
                assert_eq!(segments, ["v1", "things", segments[2], "items"], "{value:?} -> {url}");
                assert_eq!(percent_decode(segments[2]), value.as_bytes(), "{value:?} -> {url}");
            }
        };
        for value in [
            "",
            ".",
            "..",
            "...",
            ".a",
            "..\\..\\admin",
            "\\",
            "a/b",
            "%2e%2e",
            "%2E",
            ".%2e",
            "a b",
            "\t\n",
            "é",
            "?#",
            "id-1_2~3",
        ] {
            check(value);
        }
    }

    fn percent_decode(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let mut bytes = text.bytes();
        while let Some(byte) = bytes.next() {
            if byte == b'%' {
                let hex = [bytes.next().unwrap(), bytes.next().unwrap()];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
            } else {
                out.push(byte);
            }
        }
        out
    }
}
