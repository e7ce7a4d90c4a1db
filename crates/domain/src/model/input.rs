//! Input rules shared by use cases: trimmed, length-checked text; `null` told from absent.

/// A field's value broke a rule of the model: which field, and what is wrong with it. The use
/// cases turn it into their error (`AppError::Validation`), the API into a 400 naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct InvalidField {
    pub field: String,
    pub problem: String,
}

impl InvalidField {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self { field: field.into(), problem: problem.into() }
    }
}

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
pub fn required_text(field: &str, value: &str, max_chars: usize) -> Result<String, InvalidField> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length == 0 {
        return Err(InvalidField::new(field, "must not be empty"));
    }
    if length > max_chars {
        return Err(InvalidField::new(field, format!("must be at most {max_chars} characters (got {length})")));
    }
    Ok(trimmed.to_owned())
}
