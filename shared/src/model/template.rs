//! WhatsApp template messages: the Wassist input shape, and the Graph API components built from it.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TemplateVariables {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cards: Vec<Card>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Card {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<String>,
    /// A carousel card's header is media: the URL of its image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<String>,
}

pub const DEFAULT_LANGUAGE: &str = "en_US";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateMessage {
    pub name: String,
    /// The approved template's language code; `en_US` when not given.
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default)]
    pub variables: TemplateVariables,
}

fn default_language() -> String {
    DEFAULT_LANGUAGE.to_owned()
}

fn text_parameters(values: &[String]) -> Value {
    Value::Array(values.iter().map(|text| json!({"type": "text", "text": text})).collect())
}

/// Buttons with variables are dynamic URL buttons: each value is the URL's variable part.
fn buttons(values: &[String]) -> impl Iterator<Item = Value> + '_ {
    values.iter().enumerate().map(|(index, value)| {
        json!({"type": "button", "sub_type": "url", "index": index.to_string(), "parameters": [{"type": "text", "text": value}]})
    })
}

impl TemplateMessage {
    /// The Graph API `components` for these variables, in the order Meta documents them.
    pub fn components(&self) -> Vec<Value> {
        let variables = &self.variables;
        let mut components = Vec::new();
        if let Some(header) = &variables.header {
            components.push(json!({"type": "header", "parameters": [{"type": "text", "text": header}]}));
        }
        if !variables.body.is_empty() {
            components.push(json!({"type": "body", "parameters": text_parameters(&variables.body)}));
        }
        components.extend(buttons(&variables.buttons));
        if !variables.cards.is_empty() {
            let cards: Vec<Value> = variables
                .cards
                .iter()
                .enumerate()
                .map(|(index, card)| {
                    let mut parts = Vec::new();
                    if let Some(image) = &card.header {
                        parts.push(
                            json!({"type": "header", "parameters": [{"type": "image", "image": {"link": image}}]}),
                        );
                    }
                    if !card.body.is_empty() {
                        parts.push(json!({"type": "body", "parameters": text_parameters(&card.body)}));
                    }
                    parts.extend(buttons(&card.buttons));
                    json!({"card_index": index, "components": parts})
                })
                .collect();
            components.push(json!({"type": "carousel", "cards": cards}));
        }
        components
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_variables_make_components_without_panicking(
            body in proptest::collection::vec("\\PC{0,30}", 0..5),
            header in proptest::option::of("\\PC{0,30}"),
            buttons in proptest::collection::vec("\\PC{0,30}", 0..4),
            card_bodies in proptest::collection::vec(proptest::collection::vec("\\PC{0,20}", 0..3), 0..4),
        ) {
            let cards = card_bodies.into_iter().map(|body| Card { body, header: None, buttons: Vec::new() }).collect();
            let template = TemplateMessage {
                name: "t".into(),
                language: DEFAULT_LANGUAGE.into(),
                variables: TemplateVariables { body: body.clone(), header, buttons, cards },
            };
            let components = template.components();
            let texts: Vec<&str> = components.iter()
                .filter(|c| c["type"] == "body")
                .flat_map(|c| c["parameters"].as_array().into_iter().flatten())
                .filter_map(|p| p["text"].as_str())
                .collect();
            prop_assert_eq!(texts, body.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}
