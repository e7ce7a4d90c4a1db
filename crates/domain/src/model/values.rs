//! Values with limits, parsed once where they come in: an agent's quiet period, a model's
//! temperature, a language code. A value of one of these types is within its limits wherever it
//! is passed or stored; the limits live here and nowhere else.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::input::InvalidField;

/// What is wrong with a value, before it is known which field held it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OutOfRange(String);

impl OutOfRange {
    pub fn new(problem: impl Into<String>) -> Self {
        Self(problem.into())
    }

    /// The problem, as a field's: the API names the field in its 400.
    pub fn at(self, field: &str) -> InvalidField {
        InvalidField::new(field, self.0)
    }
}

/// How long a conversation must be quiet before the agent answers: a burst of messages ("Hi" /
/// "I want to book" / "for Saturday") gets one reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct ReplyDelay(u32);

impl ReplyDelay {
    pub const MAX_SECONDS: u32 = 30;
    /// When neither the agent nor its prompt sets one.
    pub const DEFAULT: ReplyDelay = ReplyDelay(2);

    pub fn from_seconds(seconds: u32) -> Result<Self, OutOfRange> {
        if seconds > Self::MAX_SECONDS {
            return Err(OutOfRange(format!("must be from 0 to {}", Self::MAX_SECONDS)));
        }
        Ok(Self(seconds))
    }

    pub fn seconds(self) -> u32 {
        self.0
    }

    pub fn duration(self) -> Duration {
        Duration::from_secs(u64::from(self.0))
    }

    /// A prompt's `responseTime` (seconds, fractional) as a quiet period, held to the same limit.
    pub fn from_prompt(response_time: f64) -> Duration {
        let seconds = if response_time.is_finite() { response_time } else { 0.0 };
        Duration::from_secs_f64(seconds.clamp(0.0, f64::from(Self::MAX_SECONDS)))
    }
}

impl TryFrom<u32> for ReplyDelay {
    type Error = OutOfRange;
    fn try_from(seconds: u32) -> Result<Self, OutOfRange> {
        Self::from_seconds(seconds)
    }
}

impl From<ReplyDelay> for u32 {
    fn from(delay: ReplyDelay) -> u32 {
        delay.0
    }
}

/// A model's sampling temperature, from 0 to at most 2, kept to three decimal places: finer
/// settings mean nothing to a model, and DynamoDB numbers cannot hold magnitudes below 1e-130.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Temperature(f64);

impl Temperature {
    /// What any provider takes.
    pub const MAX: f64 = 2.0;
    /// What the leasing seed's prompts allow.
    pub const MAX_FOR_PROMPTS: f64 = 1.0;

    /// `value`, if it is from 0 to `max` (at most `MAX`).
    pub fn within(value: f64, max: f64) -> Result<Self, OutOfRange> {
        let max = max.min(Self::MAX);
        if value.is_finite() && (0.0..=max).contains(&value) {
            Ok(Self((value * 1000.0).round() / 1000.0))
        } else {
            Err(OutOfRange(format!("must be a number from 0 to {max} (got {value})")))
        }
    }

    pub fn value(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Temperature {
    type Error = OutOfRange;
    fn try_from(value: f64) -> Result<Self, OutOfRange> {
        Self::within(value, Self::MAX)
    }
}

impl From<Temperature> for f64 {
    fn from(temperature: Temperature) -> f64 {
        temperature.0
    }
}

/// A language as transcription services take it: a two-letter ISO-639-1 code in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LanguageCode(String);

impl LanguageCode {
    pub fn parse(code: &str) -> Result<Self, OutOfRange> {
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(Self(code.to_owned()))
        } else {
            Err(OutOfRange("must be a two-letter ISO-639-1 code in lower case, such as `de` or `en`".into()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LanguageCode {
    type Error = OutOfRange;
    fn try_from(code: String) -> Result<Self, OutOfRange> {
        Self::parse(&code)
    }
}

impl From<LanguageCode> for String {
    fn from(code: LanguageCode) -> String {
        code.0
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_reply_delay_is_from_0_to_30_seconds() {
        assert_eq!(ReplyDelay::from_seconds(0).map(ReplyDelay::seconds), Ok(0));
        assert_eq!(ReplyDelay::from_seconds(30).map(ReplyDelay::duration), Ok(Duration::from_secs(30)));
        assert_eq!(ReplyDelay::from_seconds(31), Err(OutOfRange("must be from 0 to 30".into())));
        assert_eq!(ReplyDelay::DEFAULT.duration(), Duration::from_secs(2));
    }

    #[test]
    fn a_prompt_s_response_time_is_held_to_the_same_limit() {
        assert_eq!(ReplyDelay::from_prompt(1.5), Duration::from_millis(1500));
        assert_eq!(ReplyDelay::from_prompt(600.0), Duration::from_secs(30));
        assert_eq!(ReplyDelay::from_prompt(-1.0), Duration::ZERO);
        assert_eq!(ReplyDelay::from_prompt(f64::NAN), Duration::ZERO);
    }

    #[test]
    fn a_stored_delay_beyond_the_limit_is_not_read_as_one() {
        assert_eq!(serde_json::from_str::<ReplyDelay>("30").ok(), Some(ReplyDelay(30)));
        assert!(serde_json::from_str::<ReplyDelay>("31").is_err());
        assert_eq!(serde_json::to_string(&ReplyDelay(7)).ok().as_deref(), Some("7"));
    }

    #[test]
    fn a_temperature_is_kept_to_three_decimals_within_its_limit() {
        assert_eq!(Temperature::within(0.12345, 2.0).map(Temperature::value), Ok(0.123));
        assert_eq!(Temperature::within(2.0, 2.0).map(Temperature::value), Ok(2.0));
        assert_eq!(Temperature::within(1.0, 1.0).map(Temperature::value), Ok(1.0));
        assert_eq!(
            Temperature::within(1.5, Temperature::MAX_FOR_PROMPTS),
            Err(OutOfRange("must be a number from 0 to 1 (got 1.5)".into()))
        );
        assert!(Temperature::within(2.001, 5.0).is_err(), "no caller widens the limit past 2");
        assert!(Temperature::within(-0.1, 2.0).is_err());
        assert!(Temperature::within(f64::INFINITY, 2.0).is_err());
        assert_eq!(serde_json::to_string(&Temperature(0.7)).ok().as_deref(), Some("0.7"));
        assert!(serde_json::from_str::<Temperature>("2.5").is_err());
    }

    #[test]
    fn a_language_is_two_lower_case_letters() {
        assert_eq!(LanguageCode::parse("de").map(|c| c.to_string()), Ok("de".to_owned()));
        for bad in ["", "d", "deu", "DE", "d1", "dé"] {
            assert!(LanguageCode::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(OutOfRange("x".into()).at("transcriptionLanguage"), InvalidField::new("transcriptionLanguage", "x"));
    }

    proptest! {
        #[test]
        fn any_number_parses_or_is_refused_without_panicking(value in any::<f64>(), seconds in any::<u32>()) {
            if let Ok(t) = Temperature::within(value, Temperature::MAX) {
                prop_assert!((0.0..=Temperature::MAX).contains(&t.value()));
            }
            prop_assert_eq!(ReplyDelay::from_seconds(seconds).is_ok(), seconds <= ReplyDelay::MAX_SECONDS);
        }
    }
}
