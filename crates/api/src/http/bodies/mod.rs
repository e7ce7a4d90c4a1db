//! Request bodies: what a caller sends, read into the domain's commands. Every rule a value must
//! meet lives in the domain (its limits, its value types); here each is applied to the field the
//! caller named, so that a 400 names that field as it was sent.

pub mod agents;
pub mod conversations;
pub mod knowledge;
pub mod numbers;
pub mod policies;
pub mod prompts;
pub mod test_suites;
pub mod tools;
pub mod workspace;

use lambda_http::Request;
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;
use crate::http::request::{json_body, optional_json_body};
use crate::model::input::{required_text, InvalidField};
use crate::model::TemplateMessage;

/// The body, read as `B` and parsed into the domain's command `C`.
pub fn command<B, C>(request: &Request) -> Result<C, ApiError>
where
    B: DeserializeOwned,
    C: TryFrom<B, Error = InvalidField>,
{
    let body: B = json_body(request)?;
    Ok(C::try_from(body)?)
}

/// Like `command`, but an empty body is the body's defaults.
pub fn optional_command<B, C>(request: &Request) -> Result<C, ApiError>
where
    B: DeserializeOwned + Default,
    C: TryFrom<B, Error = InvalidField>,
{
    let body: B = optional_json_body(request)?;
    Ok(C::try_from(body)?)
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

/// A template to send: its name and language must be there; Meta checks the rest.
pub fn template(field: &str, template: TemplateMessage) -> Result<TemplateMessage, InvalidField> {
    required_text(&format!("{field}.name"), &template.name, 512)?;
    required_text(&format!("{field}.language"), &template.language, 16)?;
    Ok(template)
}
