//! ISO 8601 timestamps as the seeds show them: UTC, milliseconds, `Z`.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

const ISO_MILLIS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

pub fn format(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC).format(ISO_MILLIS).unwrap_or_else(|_| at.unix_timestamp().to_string())
}

pub fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// Serde helpers for `OffsetDateTime` fields stored and shown as ISO 8601.
pub mod iso {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(at: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(d)?;
        super::parse(&text).ok_or_else(|| D::Error::custom(format!("not an ISO 8601 time: {text}")))
    }
}

/// Serde helpers for optional `OffsetDateTime` fields.
pub mod iso_option {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(at: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => s.serialize_str(&super::format(*at)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => {
                super::parse(&text).map(Some).ok_or_else(|| D::Error::custom(format!("not an ISO 8601 time: {text}")))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_with_milliseconds_in_utc() {
        let at = datetime!(2026-05-20 17:04:01.135_999 +02:00);
        assert_eq!(format(at), "2026-05-20T15:04:01.135Z");
        assert_eq!(parse("2026-05-20T15:04:01.135Z"), Some(datetime!(2026-05-20 15:04:01.135 UTC)));
    }
}
