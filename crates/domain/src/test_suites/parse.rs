//! Scenarios as a client writes them, read into the model with every limit in one place; a
//! problem names its field (`scenarios[1].expect[0].replyMatches`).

use serde_json::{Map, Value};

use super::model::{Approvals, Expectation, Judge, Scenario, ScriptedContact, Simulation, ToolCallExpected};
use crate::model::input::{required_text, InvalidField};

pub const MAX_SCENARIOS: usize = 50;
pub const MAX_TURNS: usize = 20;
pub const MAX_TURN_CHARS: usize = 4_096;
pub const MAX_SIMULATED_TURNS: u64 = 20;
pub const MAX_PERSONA_CHARS: usize = 2_000;
pub const MAX_EXPECTATIONS: usize = 20;
pub const MAX_PATTERN_CHARS: usize = 1_000;
pub const MAX_RUBRIC_CHARS: usize = 4_000;
pub const MAX_STUBBED_TOOLS: usize = 20;
/// The JSON of one scenario's stubbed results and expected arguments, each.
pub const MAX_JSON_BYTES: usize = 32 * 1024;
pub const MAX_TOOL_NAME_CHARS: usize = 64;
pub const MAX_NAME_CHARS: usize = 100;
/// The judge scores from 0 to this.
pub const TOP_SCORE: f64 = 10.0;

const SCENARIO_KEYS: [&str; 6] = ["name", "turns", "simulate", "toolResults", "approvals", "expect"];
const EXPECTATIONS: [&str; 6] = ["callsTool", "notCallsTool", "replyMatches", "replyNotMatches", "handsOff", "judge"];

fn invalid(field: &str, problem: impl Into<String>) -> InvalidField {
    InvalidField::new(field, problem)
}

/// `scenarios`: 1 to `MAX_SCENARIOS`, each as the API documents it.
pub fn scenarios(value: &Value) -> Result<Vec<Scenario>, InvalidField> {
    let list = value.as_array().ok_or_else(|| invalid("scenarios", "must be a list of scenarios"))?;
    if list.is_empty() || list.len() > MAX_SCENARIOS {
        return Err(invalid("scenarios", format!("must hold 1 to {MAX_SCENARIOS} scenarios (got {})", list.len())));
    }
    let parsed = list
        .iter()
        .enumerate()
        .map(|(i, s)| scenario(s).map_err(|e| e.under(&format!("scenarios[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, s) in parsed.iter().enumerate() {
        if parsed[..i].iter().any(|earlier| earlier.name == s.name) {
            return Err(invalid(&format!("scenarios[{i}].name"), format!("another scenario is called `{}`", s.name)));
        }
    }
    Ok(parsed)
}

fn scenario(value: &Value) -> Result<Scenario, InvalidField> {
    let object = value.as_object().ok_or_else(|| invalid("", "must be an object"))?;
    if let Some(unknown) = object.keys().find(|k| !SCENARIO_KEYS.contains(&k.as_str())) {
        return Err(invalid(unknown, format!("is not a scenario field (those are: {})", SCENARIO_KEYS.join(", "))));
    }
    let name = required_text("name", object.get("name").and_then(Value::as_str).unwrap_or_default(), MAX_NAME_CHARS)?;
    let contact = match (object.get("turns"), object.get("simulate")) {
        (Some(turns), None) => ScriptedContact::Turns(self::turns(turns).map_err(|e| e.under("turns"))?),
        (None, Some(simulate)) => ScriptedContact::Simulate(simulation(simulate).map_err(|e| e.under("simulate"))?),
        _ => return Err(invalid("turns", "give either `turns` (the contact's messages) or `simulate`, not both")),
    };
    let tool_results = match object.get("toolResults") {
        None | Some(Value::Null) => Map::new(),
        Some(results) => stubs(results).map_err(|e| e.under("toolResults"))?,
    };
    let approvals = match object.get("approvals").map(|a| a.as_str()) {
        None | Some(Some("approve")) => Approvals::Approve,
        Some(Some("reject")) => Approvals::Reject,
        Some(_) => return Err(invalid("approvals", "must be `approve` or `reject`")),
    };
    let expect = expectations(object.get("expect").unwrap_or(&Value::Null)).map_err(|e| e.under("expect"))?;
    Ok(Scenario { name, contact, tool_results, approvals, expect })
}

fn turns(value: &Value) -> Result<Vec<String>, InvalidField> {
    let list = value.as_array().ok_or_else(|| invalid("", "must be a list of the contact's messages"))?;
    if list.is_empty() || list.len() > MAX_TURNS {
        return Err(invalid("", format!("must hold 1 to {MAX_TURNS} messages (got {})", list.len())));
    }
    list.iter()
        .enumerate()
        .map(|(i, turn)| {
            let text = turn.as_str().ok_or_else(|| invalid(&format!("[{i}]"), "must be a text"))?;
            required_text(&format!("[{i}]"), text, MAX_TURN_CHARS)
        })
        .collect()
}

fn simulation(value: &Value) -> Result<Simulation, InvalidField> {
    let object = value.as_object().ok_or_else(|| invalid("", "must be an object: {persona, goal, maxTurns}"))?;
    let text = |field: &str| {
        required_text(field, object.get(field).and_then(Value::as_str).unwrap_or_default(), MAX_PERSONA_CHARS)
    };
    let max_turns = match object.get("maxTurns") {
        None => 6,
        Some(turns) => match turns.as_u64() {
            Some(n) if (1..=MAX_SIMULATED_TURNS).contains(&n) => n,
            _ => return Err(invalid("maxTurns", format!("must be a whole number from 1 to {MAX_SIMULATED_TURNS}"))),
        },
    };
    Ok(Simulation { persona: text("persona")?, goal: text("goal")?, max_turns: max_turns as u32 })
}

fn stubs(value: &Value) -> Result<Map<String, Value>, InvalidField> {
    let object = value.as_object().ok_or_else(|| invalid("", "must be an object of results by tool name"))?;
    if object.len() > MAX_STUBBED_TOOLS {
        return Err(invalid("", format!("at most {MAX_STUBBED_TOOLS} tools")));
    }
    if let Some(name) = object.keys().find(|name| name.trim().is_empty() || name.chars().count() > MAX_TOOL_NAME_CHARS)
    {
        return Err(invalid(name, format!("must be a tool's name (1 to {MAX_TOOL_NAME_CHARS} characters)")));
    }
    within_size("", value)?;
    Ok(object.clone())
}

fn within_size(field: &str, value: &Value) -> Result<(), InvalidField> {
    let size = value.to_string().len();
    if size > MAX_JSON_BYTES {
        return Err(invalid(field, format!("must be at most {MAX_JSON_BYTES} bytes of JSON (got {size})")));
    }
    Ok(())
}

fn expectations(value: &Value) -> Result<Vec<Expectation>, InvalidField> {
    let list = value.as_array().ok_or_else(|| invalid("", "must be a list of expectations"))?;
    if list.is_empty() || list.len() > MAX_EXPECTATIONS {
        return Err(invalid("", format!("must hold 1 to {MAX_EXPECTATIONS} expectations (got {})", list.len())));
    }
    list.iter().enumerate().map(|(i, e)| expectation(e).map_err(|err| err.under(&format!("[{i}]")))).collect()
}

fn expectation(value: &Value) -> Result<Expectation, InvalidField> {
    let object = value
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or_else(|| invalid("", format!("must be an object with one of: {}", EXPECTATIONS.join(", "))))?;
    let Some((kind, body)) = object.iter().next() else { return Err(invalid("", "must not be empty")) };
    let text = |max: usize| {
        body.as_str().ok_or_else(|| invalid(kind, "must be a text")).and_then(|t| required_text(kind, t, max))
    };
    match kind.as_str() {
        "callsTool" => Ok(Expectation::CallsTool(calls_tool(body).map_err(|e| e.under(kind))?)),
        "notCallsTool" => Ok(Expectation::NotCallsTool(text(MAX_TOOL_NAME_CHARS)?)),
        "replyMatches" => Ok(Expectation::ReplyMatches(pattern(kind, &text(MAX_PATTERN_CHARS)?)?)),
        "replyNotMatches" => Ok(Expectation::ReplyNotMatches(pattern(kind, &text(MAX_PATTERN_CHARS)?)?)),
        "handsOff" => body.as_bool().map(Expectation::HandsOff).ok_or_else(|| invalid(kind, "must be true or false")),
        "judge" => Ok(Expectation::Judge(judge(body).map_err(|e| e.under(kind))?)),
        other => Err(invalid(other, format!("is not an expectation (those are: {})", EXPECTATIONS.join(", ")))),
    }
}

fn calls_tool(value: &Value) -> Result<ToolCallExpected, InvalidField> {
    let object = value.as_object().ok_or_else(|| invalid("", "must be an object: {name, arguments?}"))?;
    let name = object.get("name").and_then(Value::as_str).unwrap_or_default();
    let name = required_text("name", name, MAX_TOOL_NAME_CHARS)?;
    let arguments = match object.get("arguments") {
        None | Some(Value::Null) => None,
        Some(Value::Object(arguments)) => {
            within_size("arguments", &Value::Object(arguments.clone()))?;
            Some(arguments.clone())
        }
        Some(_) => return Err(invalid("arguments", "must be an object: the arguments the call must contain")),
    };
    Ok(ToolCallExpected { name, arguments })
}

/// A pattern that compiles under the policies' size limits.
fn pattern(field: &str, text: &str) -> Result<String, InvalidField> {
    crate::policies::model::compile(text)
        .map_err(|err| invalid(field, format!("is not a pattern we can run: {err}")))?;
    Ok(text.to_owned())
}

fn judge(value: &Value) -> Result<Judge, InvalidField> {
    let object = value.as_object().ok_or_else(|| invalid("", "must be an object: {rubric, passMark}"))?;
    let rubric =
        required_text("rubric", object.get("rubric").and_then(Value::as_str).unwrap_or_default(), MAX_RUBRIC_CHARS)?;
    let pass_mark = object
        .get("passMark")
        .and_then(Value::as_f64)
        .filter(|mark| (0.0..=TOP_SCORE).contains(mark))
        .ok_or_else(|| invalid("passMark", format!("must be a score from 0 to {TOP_SCORE}")))?;
    Ok(Judge { rubric, pass_mark })
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
