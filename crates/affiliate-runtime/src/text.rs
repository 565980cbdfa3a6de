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
pub(crate) fn needs_escape(c: char) -> bool {
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
