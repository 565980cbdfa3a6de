//! Serde for tri-state request fields (`Option<Option<T>>`): a missing key is `None`, `null` is
//! `Some(None)`, a value is `Some(Some(v))`. Generated code uses it with
//! `#[serde(default, skip_serializing_if = "Option::is_none", with = "affiliate_runtime::nullable")]`
//! so a request can leave a field out, clear it with `null`, or set it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `Some(Some(v))` as `v`, anything else as `null` (an absent field is skipped before this).
pub fn serialize<S: Serializer, T: Serialize>(value: &Option<Option<T>>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(Some(value)) => value.serialize(serializer),
        // `None` is skipped by `skip_serializing_if`; were it not, `null` is the closest meaning.
        Some(None) | None => serializer.serialize_none(),
    }
}

/// A present key (`null` or a value) as `Some(..)`; serde's `default` makes a missing key `None`.
pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Update {
        #[serde(default, skip_serializing_if = "Option::is_none", with = "super")]
        name: Option<Option<String>>,
    }

    #[test]
    fn absent_null_and_value_are_distinct() {
        let check = |json: &str, value: Update| {
            assert_eq!(serde_json::from_str::<Update>(json).unwrap(), value, "{json}");
            assert_eq!(serde_json::to_string(&value).unwrap(), json);
        };
        check("{}", Update { name: None });
        check(r#"{"name":null}"#, Update { name: Some(None) });
        check(r#"{"name":"x"}"#, Update { name: Some(Some("x".into())) });
    }
}
