//! Integer setters that take any integer type: generated setters of integer parameters and fields
//! accept `u8`..`u64`, `i8`..`i64`, `usize`/`isize` and the `NonZero` types, and a value outside the
//! target's range (a zero page size, a negative offset) becomes an error naming the parameter,
//! reported by `send()` as [`Error::InvalidRequest`](crate::Error::InvalidRequest).

use std::num::{NonZeroI64, NonZeroU32, NonZeroU64};

use crate::pagination::Cursor;

/// A value a generated integer setter accepts.
pub trait Integer {
    /// The value as an `i128` (wide enough for every supported type), or `None` if it is not a
    /// whole number at all (a cursor the server sent as text).
    fn to_i128(self) -> Option<i128>;
}

/// An integer type a parameter or field holds.
pub trait FromInteger: Sized {
    /// The smallest and largest values the type holds.
    const RANGE: (i128, i128);
    /// The value, already checked to be within [`RANGE`](Self::RANGE).
    fn from_i128(value: i128) -> Option<Self>;
}

macro_rules! primitive {
    ($($t:ty),*) => {$(
        impl Integer for $t {
            fn to_i128(self) -> Option<i128> { i128::try_from(self).ok() }
        }
        impl FromInteger for $t {
            const RANGE: (i128, i128) = (<$t>::MIN as i128, <$t>::MAX as i128);
            fn from_i128(value: i128) -> Option<Self> { <$t>::try_from(value).ok() }
        }
    )*};
}
primitive!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

macro_rules! non_zero {
    ($($t:ty => $inner:ty),*) => {$(
        impl Integer for $t {
            fn to_i128(self) -> Option<i128> { self.get().to_i128() }
        }
        impl FromInteger for $t {
            const RANGE: (i128, i128) = (1, <$inner>::MAX as i128);
            fn from_i128(value: i128) -> Option<Self> { <$inner>::try_from(value).ok().and_then(<$t>::new) }
        }
    )*};
}
non_zero!(NonZeroU64 => u64, NonZeroU32 => u32);

impl Integer for NonZeroI64 {
    fn to_i128(self) -> Option<i128> {
        self.get().to_i128()
    }
}

impl Integer for Cursor {
    fn to_i128(self) -> Option<i128> {
        self.0.trim().parse().ok()
    }
}

/// Converts `value` for the parameter or field `name`, or says in plain words why it cannot be.
pub fn integer<T: FromInteger, V: Integer>(value: V, name: &str) -> Result<T, String> {
    let (min, max) = T::RANGE;
    let Some(value) = value.to_i128() else {
        return Err(format!("`{name}` must be a whole number"));
    };
    T::from_i128(value).ok_or_else(|| match (value < min, min) {
        (true, 0) => format!("`{name}` cannot be negative (got {value})"),
        (true, 1) => format!("`{name}` must be at least 1 (got {value})"),
        (true, _) => format!("`{name}` must be at least {min} (got {value})"),
        (false, _) => format!("`{name}` must be at most {max} (got {value})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_integer_type_within_range() {
        fn check<T: FromInteger + std::fmt::Debug + PartialEq>(got: Result<T, String>, want: Result<T, &str>) {
            assert_eq!(got, want.map_err(str::to_string));
        }
        check::<u64>(integer(5usize, "limit"), Ok(5));
        check::<u64>(integer(5i8, "limit"), Ok(5));
        check::<u64>(integer(-1i64, "offset"), Err("`offset` cannot be negative (got -1)"));
        check::<i64>(
            integer(u64::MAX, "id"),
            Err("`id` must be at most 9223372036854775807 (got 18446744073709551615)"),
        );
        check::<i32>(integer(i64::MIN, "n"), Err("`n` must be at least -2147483648 (got -9223372036854775808)"));
        check(integer(100i32, "page_size"), Ok(NonZeroU64::new(100).unwrap()));
        check::<NonZeroU64>(integer(0usize, "page_size"), Err("`page_size` must be at least 1 (got 0)"));
        check::<NonZeroU64>(integer(NonZeroU64::new(7).unwrap(), "page"), Ok(NonZeroU64::new(7).unwrap()));
        check::<i64>(integer(Cursor(" 42".into()), "cursor_id"), Ok(42));
        check::<i64>(integer(Cursor("abc".into()), "cursor_id"), Err("`cursor_id` must be a whole number"));
    }
}
