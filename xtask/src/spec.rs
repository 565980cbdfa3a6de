//! Loading a spec file and the error type every stage reports: file, JSON pointer, message.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A problem in one spec, located by file and JSON pointer (or YAML line for syntax errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct SpecError {
    pub file: PathBuf,
    /// JSON pointer (`/paths/~1partners/get`) or `line L column C` for YAML syntax errors.
    pub location: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = if self.location.is_empty() { "/" } else { &self.location };
        write!(f, "{}: {}: {}", self.file.display(), location, self.message)
    }
}

pub type Result<T, E = SpecError> = std::result::Result<T, E>;

impl SpecError {
    pub fn new(file: &Path, location: impl Into<String>, message: impl Into<String>) -> Self {
        Self { file: file.to_path_buf(), location: location.into(), message: message.into() }
    }
}

/// The operations a path item may hold, in the order the generator visits them.
pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Joins pointer segments: `pointer(&["paths", "/a", "get"])` is `/paths/~1a/get`.
pub fn pointer(segments: &[&str]) -> String {
    segments.iter().map(|s| format!("/{}", escape(s))).collect()
}

/// Parses YAML (or JSON) text into a JSON value, keeping key order.
pub fn parse(file: &Path, text: &str) -> Result<Value> {
    // A JSON document is read as JSON: YAML refuses some escapes JSON allows (`\u0000`), which
    // published JSON documents carry in their examples.
    let value: Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| {
            SpecError::new(file, format!("line {} column {}", e.line(), e.column()), format!("invalid JSON: {e}"))
        })?
    } else {
        serde_yaml::from_str(text).map_err(|e| {
            let location = e.location().map(|l| format!("line {} column {}", l.line(), l.column())).unwrap_or_default();
            SpecError::new(file, location, format!("invalid YAML: {e}"))
        })?
    };
    if !value.is_object() {
        return Err(SpecError::new(file, "", "a spec must be a YAML mapping"));
    }
    Ok(value)
}

/// Converts a normalised JSON document into the typed OpenAPI model, locating any mismatch.
pub fn to_openapi(file: &Path, value: &Value) -> Result<openapiv3::OpenAPI> {
    serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(value).map_err(|e| {
        let location: String = e
            .path()
            .iter()
            .map(|segment| {
                use serde_path_to_error::Segment;
                match segment {
                    Segment::Seq { index } => format!("/{index}"),
                    Segment::Map { key } => format!("/{}", escape(key)),
                    Segment::Enum { variant } => format!("/{}", escape(variant)),
                    Segment::Unknown => "/?".to_string(),
                }
            })
            .collect();
        SpecError::new(file, location, format!("not a valid OpenAPI 3.0 document: {}", e.inner()))
    })
}
