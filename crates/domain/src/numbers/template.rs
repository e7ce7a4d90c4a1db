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
    pub buttons: Vec<Button>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cards: Vec<Card>,
}

/// A template button's parameter. A string is the variable part of a dynamic URL button (the
/// seed's shape); an object names the button's kind as Meta documents them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Button {
    Url(String),
    Typed(TypedButton),
}

/// `index` is the button's position in the template; by default its position in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum TypedButton {
    Url {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<u8>,
    },
    QuickReply {
        payload: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<u8>,
    },
    CopyCode {
        coupon_code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<u8>,
    },
    Flow {
        flow_token: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        flow_action_data: Option<serde_json::Map<String, Value>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Card {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<String>,
    /// A carousel card's header is media: the URL of its image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
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

/// The Graph API component of one button: `sub_type` and parameter as Meta documents each kind.
fn button(position: usize, button: &Button) -> Value {
    let (sub_type, index, parameter) = match button {
        Button::Url(text) => ("url", None, json!({"type": "text", "text": text})),
        Button::Typed(TypedButton::Url { text, index }) => ("url", *index, json!({"type": "text", "text": text})),
        Button::Typed(TypedButton::QuickReply { payload, index }) => {
            ("quick_reply", *index, json!({"type": "payload", "payload": payload}))
        }
        Button::Typed(TypedButton::CopyCode { coupon_code, index }) => {
            ("copy_code", *index, json!({"type": "coupon_code", "coupon_code": coupon_code}))
        }
        Button::Typed(TypedButton::Flow { flow_token, flow_action_data, index }) => {
            let mut action = json!({"flow_token": flow_token});
            if let Some(data) = flow_action_data {
                action["flow_action_data"] = Value::Object(data.clone());
            }
            ("flow", *index, json!({"type": "action", "action": action}))
        }
    };
    let index = index.map_or(position, usize::from);
    json!({"type": "button", "sub_type": sub_type, "index": index.to_string(), "parameters": [parameter]})
}

fn buttons(values: &[Button]) -> impl Iterator<Item = Value> + '_ {
    values.iter().enumerate().map(|(position, value)| button(position, value))
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

    #[test]
    fn each_kind_of_button_becomes_the_component_meta_documents() {
        let input = json!({"name": "offer", "variables": {"buttons": [
            "summer-2026",
            {"type": "quick_reply", "payload": "STOP"},
            {"type": "copy_code", "couponCode": "SAVE20", "index": 4},
            {"type": "flow", "flowToken": "tok-1", "flowActionData": {"step": "start"}},
            {"type": "url", "text": "abc"}
        ]}});
        let template: TemplateMessage = serde_json::from_value(input).expect("parses");
        assert_eq!(
            template.components(),
            vec![
                json!({"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "summer-2026"}]}),
                json!({"type": "button", "sub_type": "quick_reply", "index": "1", "parameters": [{"type": "payload", "payload": "STOP"}]}),
                json!({"type": "button", "sub_type": "copy_code", "index": "4", "parameters": [{"type": "coupon_code", "coupon_code": "SAVE20"}]}),
                json!({"type": "button", "sub_type": "flow", "index": "3", "parameters": [{"type": "action", "action": {"flow_token": "tok-1", "flow_action_data": {"step": "start"}}}]}),
                json!({"type": "button", "sub_type": "url", "index": "4", "parameters": [{"type": "text", "text": "abc"}]}),
            ]
        );
        assert!(serde_json::from_value::<TemplateMessage>(
            json!({"name": "x", "variables": {"buttons": [{"type": "call"}]}})
        )
        .is_err());
    }

    proptest! {
        #[test]
        fn any_variables_make_components_without_panicking(
            body in proptest::collection::vec("\\PC{0,30}", 0..5),
            header in proptest::option::of("\\PC{0,30}"),
            buttons in proptest::collection::vec("\\PC{0,30}", 0..4),
            card_bodies in proptest::collection::vec(proptest::collection::vec("\\PC{0,20}", 0..3), 0..4),
        ) {
            let cards = card_bodies.into_iter().map(|body| Card { body, header: None, buttons: Vec::new() }).collect();
            let buttons: Vec<Button> = buttons.into_iter().map(Button::Url).collect();
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
