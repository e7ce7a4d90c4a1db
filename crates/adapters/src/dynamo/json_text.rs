//! A structured value kept as one JSON-text attribute: any key (a label called `M`), any nesting,
//! and no DynamoDB map rules to meet. For `#[serde(with = "super::json_text")]`.

use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub fn serialize<T: Serialize, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&serde_json::to_string(value).map_err(serde::ser::Error::custom)?)
}

pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    serde_json::from_str(&String::deserialize(d)?).map_err(D::Error::custom)
}
