//! Analysis prompts (eigi's `prompt_type: analysis`): run over a conversation's transcript when
//! it is done, after a silence, or on demand; the result is kept on the conversation.

use crate::model::ids::{ConversationId, PromptId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::conversations::model::PromptUsed;

/// Why an analysis ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisCause {
    Done,
    Silence,
    OnDemand,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    pub text: String,
    /// The parsed answer, when the analysis prompt asks for JSON and the answer is JSON. Kept as
    /// JSON text: any key or nesting survives storage as is.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "json_text_option")]
    pub json: Option<Value>,
    /// Why an answer that should have been JSON was kept as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_error: Option<String>,
    pub prompt_id: PromptId,
    pub prompt_used: PromptUsed,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The newest message the transcript held: the same transcript is never analysed twice.
    pub transcript_through: String,
    pub cause: AnalysisCause,
    #[serde(with = "crate::model::timestamp::iso")]
    pub analyzed_at: OffsetDateTime,
}

/// An analysis as the API and the `conversation.analyzed` event show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisView {
    pub conversation_id: ConversationId,
    pub text: String,
    pub json: Option<Value>,
    pub json_error: Option<String>,
    pub prompt_id: PromptId,
    pub prompt_used: PromptUsed,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub transcript_through: String,
    pub cause: AnalysisCause,
    pub analyzed_at: String,
}

impl AnalysisView {
    pub fn new(conversation_id: &ConversationId, analysis: &Analysis) -> Self {
        Self {
            conversation_id: conversation_id.to_owned(),
            text: analysis.text.clone(),
            json: analysis.json.clone(),
            json_error: analysis.json_error.clone(),
            prompt_id: analysis.prompt_id.clone(),
            prompt_used: analysis.prompt_used,
            model: analysis.model.clone(),
            input_tokens: analysis.input_tokens,
            output_tokens: analysis.output_tokens,
            transcript_through: analysis.transcript_through.clone(),
            cause: analysis.cause,
            analyzed_at: crate::model::timestamp::format(analysis.analyzed_at),
        }
    }
}

mod json_text_option {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(value: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => s.serialize_some(&value.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Option::<String>::deserialize(d)?.map(|text| serde_json::from_str(&text).map_err(D::Error::custom)).transpose()
    }
}

/// Whether an analysis prompt asks for JSON: its metadata says `"response_format": "json"`, or
/// its text mentions JSON.
pub fn wants_json(text: &str, metadata: &serde_json::Map<String, Value>) -> bool {
    metadata.get("response_format").and_then(Value::as_str) == Some("json")
        || text.to_ascii_lowercase().contains("json")
}

/// The answer as JSON, or why it is not: models often wrap JSON in a Markdown code fence.
pub fn parse_json(answer: &str) -> Result<Value, String> {
    let trimmed = answer.trim();
    let unfenced = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.strip_suffix("```"))
        .unwrap_or(trimmed)
        .trim();
    match serde_json::from_str::<Value>(unfenced) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("the answer is JSON but not an object".into()),
        Err(err) => Err(format!("the answer is not JSON: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fenced_and_bare_objects_parse_and_the_rest_says_why_not() {
        assert_eq!(parse_json("{\"qualified\": true}"), Ok(serde_json::json!({"qualified": true})));
        assert_eq!(parse_json("```json\n{\"a\": 1}\n```"), Ok(serde_json::json!({"a": 1})));
        assert!(parse_json("The lead is qualified.").unwrap_err().contains("not JSON"));
        assert!(parse_json("[1, 2]").unwrap_err().contains("not an object"));
    }

    #[test]
    fn json_is_asked_for_by_metadata_or_by_the_text() {
        let none = serde_json::Map::new();
        assert!(wants_json("Answer in JSON: {\"qualified\": bool}", &none));
        assert!(!wants_json("Summarise the conversation.", &none));
        let mut metadata = serde_json::Map::new();
        metadata.insert("response_format".into(), "json".into());
        assert!(wants_json("Summarise.", &metadata));
    }

    proptest! {
        #[test]
        fn parsing_any_answer_never_panics(answer in "\\PC*") {
            let _ = parse_json(&answer);
            let _ = wants_json(&answer, &serde_json::Map::new());
        }
    }
}
