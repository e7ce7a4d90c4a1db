//! Input rules shared by use cases: trimmed, length-checked text; `null` told from absent.

use crate::AppError;

/// For `#[serde(default, deserialize_with = "present")]`: tells `null` (`Some(None)`) from an
/// absent field (`None`), so that PATCH can clear a field.
pub fn present<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// For `#[serde(default, deserialize_with = "not_null")]` on a field PATCH may change but not
/// clear: absent keeps it, a value changes it, `null` is refused (naming the field) instead of
/// being read as "leave it".
pub fn not_null<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    match <Option<T> as serde::Deserialize>::deserialize(d)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom("may not be null: leave the field out to keep it as it is")),
    }
}

/// Trims a required text field and checks its length in characters.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> Result<String, AppError> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length == 0 {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if length > max_chars {
        return Err(AppError::invalid(field, format!("must be at most {max_chars} characters (got {length})")));
    }
    Ok(trimmed.to_owned())
}
