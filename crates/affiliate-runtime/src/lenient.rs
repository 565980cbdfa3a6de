//! Scalars that accept the other JSON kind too: APIs whose samples send `555213456` where the docs
//! say string, or `"12.5"` where they say number (`x-affiliate-lenient` in a spec).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A string field that also accepts a JSON number or boolean (kept as its JSON text).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LenientString(pub String);

/// A number field that also accepts a numeric string (`"12.5"`, `" 3 "`).
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct LenientNumber(pub f64);

/// An integer field that also accepts an integral string (`"42"`) or an integral float (`42.0`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LenientInteger(pub i64);

impl std::ops::Deref for LenientString {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LenientString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for LenientNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for LenientInteger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<String> for LenientString {
    fn from(value: String) -> Self {
        LenientString(value)
    }
}

impl From<&str> for LenientString {
    fn from(value: &str) -> Self {
        LenientString(value.to_string())
    }
}

impl From<f64> for LenientNumber {
    fn from(value: f64) -> Self {
        LenientNumber(value)
    }
}

impl From<i64> for LenientInteger {
    fn from(value: i64) -> Self {
        LenientInteger(value)
    }
}

impl PartialEq<str> for LenientString {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for LenientString {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl Serialize for LenientString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl Serialize for LenientNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

impl Serialize for LenientInteger {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LenientString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LenientString(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(LenientString(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LenientString(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LenientString(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(LenientString(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(LenientString(v.to_string()))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for LenientNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LenientNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a numeric string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LenientNumber(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LenientNumber(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(LenientNumber(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.trim().parse().map(LenientNumber).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for LenientInteger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LenientInteger;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or an integral string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LenientInteger(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v).map(LenientInteger).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(LenientInteger(v as i64))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.trim().parse().map(LenientInteger).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_json_kind_decodes() {
        let s = |json: &str| serde_json::from_str::<LenientString>(json).map(|v| v.0).map_err(|e| e.to_string());
        assert_eq!(s(r#""555213456""#), Ok("555213456".into()));
        assert_eq!(s("555213456"), Ok("555213456".into()));
        assert_eq!(s("12.5"), Ok("12.5".into()));
        assert_eq!(s("true"), Ok("true".into()));
        assert!(s("[1]").is_err());
        let n = |json: &str| serde_json::from_str::<LenientNumber>(json).map(|v| v.0).ok();
        assert_eq!(n("12.5"), Some(12.5));
        assert_eq!(n(r#"" 12.5 ""#), Some(12.5));
        assert_eq!(n("7"), Some(7.0));
        assert_eq!(n(r#""abc""#), None);
        let i = |json: &str| serde_json::from_str::<LenientInteger>(json).map(|v| v.0).ok();
        assert_eq!(i("42"), Some(42));
        assert_eq!(i(r#""42""#), Some(42));
        assert_eq!(i("42.0"), Some(42));
        assert_eq!(i("42.5"), None);
        assert_eq!(i(r#""4x""#), None);
        let opt: Option<LenientString> = serde_json::from_str("null").unwrap();
        assert_eq!(opt, None);
    }

    #[test]
    fn serialises_as_the_declared_kind() {
        assert_eq!(serde_json::to_string(&LenientString("5".into())).unwrap(), r#""5""#);
        assert_eq!(serde_json::to_string(&LenientNumber(1.5)).unwrap(), "1.5");
        assert_eq!(serde_json::to_string(&LenientInteger(3)).unwrap(), "3");
    }
}
