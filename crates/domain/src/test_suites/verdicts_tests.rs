use proptest::prelude::*;
use serde_json::json;
use time::OffsetDateTime;

use super::*;
use crate::model::{ConversationId, DeliveryStatus};
use crate::test_suites::model::Judge;

fn message(direction: Direction, text: Option<&str>, call: Option<ToolCall>) -> Message {
    let id = ConversationId::from("conversation");
    let mut message =
        Message::new(&id, direction, MessageKind::Text, DeliveryStatus::Delivered, OffsetDateTime::UNIX_EPOCH);
    message.text = text.map(str::to_owned);
    message.tool_call = call;
    message
}

fn call(tool: &str, arguments: Value, status: ToolCallStatus) -> Message {
    let call = ToolCall {
        call_id: "call_1".into(),
        batch: "batch".into(),
        tool: tool.into(),
        arguments: arguments.to_string(),
        url: None,
        status,
        assistant_text: None,
        decided_by: None,
        reason: None,
        result: None,
        error: None,
        latency_ms: None,
        expires_at: None,
    };
    message(Direction::Outbound, None, Some(call))
}

/// "Is it free on Saturday?" → a booking, then a confirmation.
fn booked() -> Vec<Message> {
    vec![
        message(Direction::Inbound, Some("Is it free on Saturday?"), None),
        call(
            "book_viewing",
            json!({"day": "Saturday", "propertyId": "MC-1", "slots": [{"at": 10}, {"at": 11}]}),
            ToolCallStatus::Succeeded,
        ),
        message(Direction::Outbound, Some("Booked: Saturday at 10:00."), None),
    ]
}

fn verdict(expectation: Expectation, messages: &[Message]) -> Verdict {
    decide(&expectation, messages).expect("decided here")
}

fn expected_call(name: &str, arguments: Option<Value>) -> Expectation {
    Expectation::CallsTool(ToolCallExpected {
        name: name.into(),
        arguments: arguments.and_then(|a| a.as_object().cloned()),
    })
}

#[test]
fn each_expectation_passes_and_fails_with_why() {
    let messages = booked();
    let passes = [
        expected_call("book_viewing", None),
        expected_call("book_viewing", Some(json!({"day": "Saturday"}))),
        expected_call("book_viewing", Some(json!({"slots": [{"at": 11}]}))),
        Expectation::NotCallsTool("handoff_to_human".into()),
        Expectation::ReplyMatches("(?i)saturday at \\d+".into()),
        Expectation::ReplyNotMatches("(?i)sorry".into()),
        Expectation::HandsOff(false),
    ];
    for expectation in passes {
        let found = verdict(expectation.clone(), &messages);
        assert!(found.passed, "{expectation:?}: {}", found.why);
    }
    let fails = [
        (expected_call("cancel_viewing", None), "never called `cancel_viewing`"),
        (expected_call("book_viewing", Some(json!({"day": "Sunday"}))), "none containing"),
        (Expectation::NotCallsTool("book_viewing".into()), "called `book_viewing`"),
        (Expectation::ReplyMatches("(?i)sunday".into()), "none of the 1 replies"),
        (Expectation::ReplyNotMatches("Booked".into()), "“Booked: Saturday at 10:00.” matches"),
        (Expectation::HandsOff(true), "never handed"),
    ];
    for (expectation, why) in fails {
        let found = verdict(expectation.clone(), &messages);
        assert!(!found.passed && found.why.contains(why), "{expectation:?}: {}", found.why);
    }
}

#[test]
fn a_handoff_counts_once_it_succeeded_and_the_judge_is_left_to_the_run() {
    let mut messages = booked();
    messages.push(call("handoff_to_human", json!({"reason": "angry"}), ToolCallStatus::Rejected));
    assert!(!verdict(Expectation::HandsOff(true), &messages).passed, "a rejected handoff is none");
    messages.push(call("transfer", json!({}), ToolCallStatus::Succeeded));
    assert!(verdict(Expectation::HandsOff(true), &messages).passed);
    let judge = Expectation::Judge(Judge { rubric: "Polite".into(), pass_mark: 7.0 });
    assert_eq!(decide(&judge, &messages), None);
}

#[test]
fn tool_results_are_not_replies() {
    let mut messages = booked();
    messages.retain(|m| m.tool_call.is_some());
    let found = verdict(Expectation::ReplyMatches("Saturday".into()), &messages);
    assert!(!found.passed, "the call's arguments name Saturday, but no reply does: {}", found.why);
}

#[test]
fn containment_is_by_value_and_ignores_extra_keys() {
    assert!(contains(&json!({"n": 2.0, "extra": true}), &json!({"n": 2})));
    assert!(!contains(&json!({"n": "2"}), &json!({"n": 2})));
    assert!(contains(&json!([1, [2, 3]]), &json!([[3]])));
    assert!(!contains(&json!({"a": null}), &json!({"b": null})), "a missing key is not null");
    assert!(contains(&json!({"a": 1}), &json!({})));
    let deep = (0..120).fold(json!(1), |inner, _| json!({"a": [inner]}));
    assert!(contains(&deep, &deep));
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..5).prop_map(|n| json!(n)),
        prop::sample::select(vec![0.5, 2.0, -1.0]).prop_map(|n| json!(n)),
        "[ab]{0,2}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[abc]", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn every_value_contains_itself_and_a_part_of_itself(value in any_json(), other in any_json()) {
        prop_assert!(contains(&value, &value));
        let _ = contains(&value, &other);
        if let Value::Object(object) = &value {
            let part: serde_json::Map<String, Value> = object.iter().take(1).map(|(k, v)| (k.clone(), v.clone())).collect();
            prop_assert!(contains(&value, &Value::Object(part)));
        }
    }

    #[test]
    fn any_arguments_and_patterns_are_decided_without_a_panic(arguments in any_json(), text in ".{0,40}", pattern in ".{0,12}") {
        let messages = vec![call("t", arguments.clone(), ToolCallStatus::Succeeded), message(Direction::Outbound, Some(&text), None)];
        let _ = decide(&expected_call("t", Some(json!({"a": arguments}))), &messages);
        let _ = decide(&Expectation::ReplyMatches(pattern.clone()), &messages);
        let _ = decide(&Expectation::ReplyNotMatches(pattern), &messages);
    }
}

#[test]
fn a_call_expected_with_arguments_that_never_came_says_so() {
    let found = verdict(expected_call("cancel_viewing", Some(json!({"day": "Saturday"}))), &booked());
    assert!(!found.passed);
    assert_eq!(found.why, "the agent never called `cancel_viewing`");
}

#[test]
fn a_long_reply_is_cut_at_120_characters_in_the_why() {
    let exact = "a".repeat(120);
    let long = format!("{exact}b");
    let why = |text: &str| {
        verdict(Expectation::ReplyMatches("a".into()), &[message(Direction::Outbound, Some(text), None)]).why
    };
    assert_eq!(why(&exact), format!("the reply “{exact}” matches"));
    assert_eq!(why(&long), format!("the reply “{exact}…” matches"));
}
