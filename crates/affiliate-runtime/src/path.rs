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
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
    out
}

/// A path parameter's segment, or the refusal of a value that cannot be one (`.`, `..`, empty).
/// Replaces progenitor's `encode_path` in generated code.
pub fn encode_path(value: &str) -> Result<String, InvalidPathSegment> {
    match value {
        "" | "." | ".." => Err(InvalidPathSegment(value.to_string())),
        _ => Ok(segment(value)),
    }
}

#[cfg(test)]
mod tests {
    /// A URL built around the segment has exactly one segment there, decoding back to the value;
    /// `.`, `..` and the empty value are refused. (The property test over arbitrary strings, through
    /// a generated client and a loopback server, is `tests/tests/it/paths.rs`.)
    #[test]
    fn every_value_stays_in_its_segment() {
        let check = |value: &str| match super::encode_path(value) {
            Err(_) => assert!(matches!(value, "" | "." | ".."), "{value:?} refused"),
            Ok(segment) => {
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
