//! What a scenario's conversation shows against each expectation: passed or not, and why, in
//! words a person reads beside the transcript. Everything but the judge is decided here from the
//! messages alone; the judge needs an LLM and is decided by the run.

use serde_json::Value;

use super::model::{Expectation, ToolCallExpected};
use crate::model::{Direction, Message, MessageKind};
use crate::tools::call::{ToolCall, ToolCallStatus};
use crate::tools::model::{HANDOFF_TO_HUMAN, TRANSFER};

/// An expectation's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub passed: bool,
    pub why: String,
}

impl Verdict {
    fn pass(why: impl Into<String>) -> Self {
        Self { passed: true, why: why.into() }
    }

    fn fail(why: impl Into<String>) -> Self {
        Self { passed: false, why: why.into() }
    }
}

/// The verdict on `expectation` over `messages` (any order); `None` for the judge.
pub fn decide(expectation: &Expectation, messages: &[Message]) -> Option<Verdict> {
    let calls: Vec<&ToolCall> = messages.iter().filter_map(|m| m.tool_call.as_ref()).collect();
    let replies: Vec<&str> = messages
        .iter()
        .filter(|m| m.direction == Direction::Outbound && m.kind == MessageKind::Text && m.tool_call.is_none())
        .filter_map(|m| m.text.as_deref())
        .collect();
    Some(match expectation {
        Expectation::CallsTool(expected) => calls_tool(expected, &calls),
        Expectation::NotCallsTool(name) => match calls.iter().find(|c| &c.tool == name) {
            Some(call) => Verdict::fail(format!("the agent called `{name}` with {}", call.arguments)),
            None => Verdict::pass(format!("the agent did not call `{name}`")),
        },
        Expectation::ReplyMatches(pattern) => match matching(pattern, &replies) {
            Err(why) => Verdict::fail(why),
            Ok(Some(reply)) => Verdict::pass(format!("the reply “{}” matches", excerpt(reply))),
            Ok(None) => Verdict::fail(format!("none of the {} replies matches `{pattern}`", replies.len())),
        },
        Expectation::ReplyNotMatches(pattern) => match matching(pattern, &replies) {
            Err(why) => Verdict::fail(why),
            Ok(Some(reply)) => Verdict::fail(format!("the reply “{}” matches `{pattern}`", excerpt(reply))),
            Ok(None) => Verdict::pass(format!("none of the {} replies matches", replies.len())),
        },
        Expectation::HandsOff(expected) => {
            let handed_off = calls.iter().any(|c| is_handoff(c) && c.status == ToolCallStatus::Succeeded);
            match (handed_off, *expected) {
                (true, true) => Verdict::pass("the agent handed the conversation to a person"),
                (false, false) => Verdict::pass("the agent kept the conversation"),
                (true, false) => Verdict::fail("the agent handed the conversation to a person"),
                (false, true) => Verdict::fail("the agent never handed the conversation to a person"),
            }
        }
        Expectation::Judge(_) => return None,
    })
}

fn is_handoff(call: &ToolCall) -> bool {
    call.tool == HANDOFF_TO_HUMAN || call.tool == TRANSFER
}

fn calls_tool(expected: &ToolCallExpected, calls: &[&ToolCall]) -> Verdict {
    let named: Vec<&&ToolCall> = calls.iter().filter(|c| c.tool == expected.name).collect();
    let Some(wanted) = &expected.arguments else {
        return match named.first() {
            Some(_) => Verdict::pass(format!("the agent called `{}`", expected.name)),
            None => Verdict::fail(format!("the agent never called `{}`", expected.name)),
        };
    };
    let wanted = Value::Object(wanted.clone());
    let arguments = |call: &ToolCall| serde_json::from_str::<Value>(&call.arguments).unwrap_or(Value::Null);
    match named.iter().find(|call| contains(&arguments(call), &wanted)) {
        Some(call) => Verdict::pass(format!("the agent called `{}` with {}", expected.name, call.arguments)),
        None if named.is_empty() => Verdict::fail(format!("the agent never called `{}`", expected.name)),
        None => {
            let seen: Vec<&str> = named.iter().map(|c| c.arguments.as_str()).collect();
            Verdict::fail(format!(
                "the agent called `{}` with {}, none containing {wanted}",
                expected.name,
                seen.join(", ")
            ))
        }
    }
}

/// Whether `actual` contains `expected`: objects key by key (extra keys allowed), arrays item by
/// item in any order (each expected item within some actual one), everything else equal
/// (numbers by value: 2 and 2.0 are the same).
pub fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => {
            expected.iter().all(|(key, value)| actual.get(key).is_some_and(|found| contains(found, value)))
        }
        (Value::Array(actual), Value::Array(expected)) => {
            expected.iter().all(|item| actual.iter().any(|candidate| contains(candidate, item)))
        }
        (Value::Number(actual), Value::Number(expected)) => actual.as_f64() == expected.as_f64(),
        (actual, expected) => actual == expected,
    }
}

/// The first reply the pattern finds in; `Err` when it cannot run (it was checked when the suite
/// was saved, so only a change of the limits gets here).
fn matching<'a>(pattern: &str, replies: &[&'a str]) -> Result<Option<&'a str>, String> {
    let regex = crate::policies::model::compile(pattern).map_err(|err| format!("`{pattern}` cannot run: {err}"))?;
    Ok(replies.iter().copied().find(|reply| regex.is_match(reply)))
}

fn excerpt(text: &str) -> String {
    const SHOWN: usize = 120;
    let mut shown: String = text.chars().take(SHOWN).collect();
    if text.chars().count() > SHOWN {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
#[path = "verdicts_tests.rs"]
mod tests;
