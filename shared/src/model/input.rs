//! Input rules shared by use cases: trimmed, length-checked text; `null` told from absent.

use crate::AppError;

/// For `#[serde(default, deserialize_with = "present")]`: tells `null` (`Some(None)`) from an
/// absent field (`None`), so that PATCH can clear a field.
pub fn present<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
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
