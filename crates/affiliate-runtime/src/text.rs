//! Server text as the runtime shows it: whatever came from the wire (messages, codes, field names,
//! request ids, links, job statuses) is escaped and shortened before `Display` writes it, so a
//! hostile or broken server cannot forge log lines or terminal sequences. The raw values stay in
//! the error's fields for a caller who wants them.

use std::fmt;

/// The most characters of one server value an error message shows.
pub const MAX_SHOWN_CHARS: usize = 300;

/// `text` for a message: control characters (C0, DEL, C1), bidirectional overrides and line or
/// paragraph separators escaped as `\n`, `\r`, `\t` or `\u{..}`; cut after `max_chars`
/// characters with `…`.
pub(crate) struct Shown<'a> {
    text: &'a str,
    max_chars: usize,
}

/// One server value, escaped and cut at [`MAX_SHOWN_CHARS`].
pub(crate) fn shown(text: &str) -> Shown<'_> {
    Shown { text, max_chars: MAX_SHOWN_CHARS }
}

/// A whole message that may quote server values, escaped and cut at a few values' length.
pub(crate) fn shown_message(text: &str) -> Shown<'_> {
    Shown { text, max_chars: 4 * MAX_SHOWN_CHARS }
}

/// Characters a terminal or log reader would act on rather than show.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        for (count, c) in self.text.chars().enumerate() {
            if count == self.max_chars {
                return f.write_char('…');
            }
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if needs_escape(c) => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};
    use reqwest::StatusCode;

    use crate::error::{ApiError, Error, FieldError};

    /// What no rendering of server text may contain.
    fn is_clean(text: &str) -> bool {
        !text.chars().any(super::needs_escape)
    }

    const HOSTILE: &str = "ok\r\n2026-12-04 INFO forged line\u{1b}[31mred\u{7}\u{9b}\u{202e}desrever\u{2066}";

    /// Every `Display` that shows server text, fed hostile text: nothing a terminal acts on comes
    /// out, every value is cut, and the raw value is still in the error's fields.
    #[test]
    fn every_rendering_of_server_text_is_escaped_and_cut() {
        let long = "x".repeat(10 * super::MAX_SHOWN_CHARS);
        let json = |value: serde_json::Value| serde_json::to_vec(&value).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", HeaderValue::from_str(&format!("req\t{}", "r".repeat(2000))).unwrap());
        let from =
            |status: u16, body: &[u8]| Error::from_response(StatusCode::from_u16(status).unwrap(), &headers, body);
        let field = |field: &str, code: &str, message: &str| {
            let mut f = FieldError::default();
            (f.field, f.code, f.message) = (field.to_string(), Some(code.to_string()), Some(message.to_string()));
            f
        };
        // (name, rendering, a raw value that must survive in the error's fields)
        let cases: Vec<(&str, String, Option<String>)> = vec![
            {
                let e = from(400, &json(serde_json::json!({"error": {"code": HOSTILE, "message": HOSTILE}})));
                ("code and message", e.to_string(), e.api_error().and_then(|a| a.message.clone()))
            },
            {
                let e = from(
                    422,
                    &json(
                        serde_json::json!({"message": "m", "errors": [{"field": HOSTILE, "code": HOSTILE, "message": HOSTILE}]}),
                    ),
                );
                ("field errors", e.to_string(), e.api_error().map(|a| a.field_errors[0].field.clone()))
            },
            ("one field error", field(HOSTILE, HOSTILE, HOSTILE).to_string(), None),
            {
                let e = from(500, format!("<html>{HOSTILE}</html>").as_bytes());
                ("body snippet", e.to_string(), e.api_error().map(|a| a.body.clone()))
            },
            {
                let e = from(404, b"{}");
                ("request id header", e.to_string(), e.api_error().and_then(|a| a.request_id.clone()))
            },
            {
                let e = from(400, &json(serde_json::json!({"message": long})));
                ("long message", e.to_string(), e.api_error().and_then(|a| a.message.clone()))
            },
            {
                let e = Error::Decode {
                    status: None,
                    message: format!("invalid type: string {HOSTILE:?}{HOSTILE}{long}"),
                    snippet: format!("{HOSTILE}{long}"),
                };
                ("decode", e.to_string(), None)
            },
            ("job", Error::Job(format!("the job ended with status `{HOSTILE}`")).to_string(), None),
            (
                "pagination",
                Error::Pagination(format!("the server repeated cursor `{HOSTILE}{long}`")).to_string(),
                None,
            ),
            ("foreign link", Error::ForeignLink(format!("`{HOSTILE}` is on elsewhere")).to_string(), None),
            (
                "api error",
                ApiError::new(
                    StatusCode::OK,
                    &headers,
                    &json(serde_json::json!({"error": HOSTILE, "error_description": HOSTILE})),
                )
                .to_string(),
                None,
            ),
        ];
        for (name, shown, raw) in cases {
            assert!(is_clean(&shown), "{name}: {shown:?}");
            assert!(shown.chars().count() <= 6 * super::MAX_SHOWN_CHARS, "{name}: {} chars", shown.chars().count());
            if let Some(raw) = raw {
                assert!(
                    !is_clean(&raw) || raw.len() > super::MAX_SHOWN_CHARS,
                    "{name}: the raw value is kept: {raw:?}"
                );
            }
        }
        assert_eq!(super::shown("a\nb\u{1b}c\u{202e}").to_string(), "a\\nb\\u{1b}c\\u{202e}");
        assert_eq!(super::shown(&long).to_string().chars().count(), super::MAX_SHOWN_CHARS + 1);
    }
}
