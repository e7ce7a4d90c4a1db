//! A traffic split as a client writes it: `{"arms": [{"promptLabel" | "promptVersion", "weight"}, …]}`,
//! exactly two arms; a problem names its field (`arms[1].weight`).

use serde_json::Value;

use super::model::{PromptPick, SplitArm, MAX_SPLIT_WEIGHT};
use crate::model::input::InvalidField;
use crate::prompts::labels::LabelName;

pub fn parse_arms(value: &Value) -> Result<[SplitArm; 2], InvalidField> {
    let arms = value.get("arms").and_then(Value::as_array).filter(|arms| arms.len() == 2).ok_or_else(|| {
        InvalidField::new("arms", "must be two arms, each {\"promptLabel\" or \"promptVersion\", \"weight\"}")
    })?;
    let first = arm(&arms[0]).map_err(|e| e.under("arms[0]"))?;
    let second = arm(&arms[1]).map_err(|e| e.under("arms[1]"))?;
    if first.follows == second.follows {
        return Err(InvalidField::new("arms[1]", "must follow another version or label than the first arm"));
    }
    Ok([first, second])
}

fn arm(value: &Value) -> Result<SplitArm, InvalidField> {
    let object = value.as_object().ok_or_else(|| InvalidField::new("", "must be an object"))?;
    if let Some(unknown) = object.keys().find(|k| !["promptLabel", "promptVersion", "weight"].contains(&k.as_str())) {
        return Err(InvalidField::new(unknown, "is not an arm's field (promptLabel, promptVersion, weight)"));
    }
    let follows = match (object.get("promptLabel"), object.get("promptVersion")) {
        (Some(label), None) => {
            let text = label.as_str().ok_or_else(|| InvalidField::new("promptLabel", "must be a label's name"))?;
            PromptPick::Label(LabelName::parse(text).map_err(|e| e.at("promptLabel"))?)
        }
        (None, Some(version)) => match version.as_u64().and_then(|v| u32::try_from(v).ok()) {
            Some(number) if number >= 1 => PromptPick::Version(number),
            _ => return Err(InvalidField::new("promptVersion", "must be a version number (1, 2, …)")),
        },
        _ => return Err(InvalidField::new("promptLabel", "give either `promptLabel` or `promptVersion`")),
    };
    let weight = object
        .get("weight")
        .and_then(Value::as_u64)
        .and_then(|w| u32::try_from(w).ok())
        .filter(|w| (1..=MAX_SPLIT_WEIGHT).contains(w))
        .ok_or_else(|| InvalidField::new("weight", format!("must be a whole number from 1 to {MAX_SPLIT_WEIGHT}")))?;
    Ok(SplitArm { follows, weight })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    #[test]
    fn two_arms_read_and_problems_name_their_field() {
        let arms = parse_arms(
            &json!({"arms": [{"promptLabel": "production", "weight": 90}, {"promptVersion": 4, "weight": 10}]}),
        );
        let arms = arms.expect("valid");
        assert_eq!(arms[1], SplitArm { follows: PromptPick::Version(4), weight: 10 });
        let field = |value: Value| parse_arms(&value).err().map(|e| e.field);
        assert_eq!(field(json!({"arms": []})).as_deref(), Some("arms"));
        assert_eq!(
            field(json!({"arms": [{"promptVersion": 1, "weight": 1}, {"promptVersion": 1, "weight": 1}]})).as_deref(),
            Some("arms[1]")
        );
        assert_eq!(
            field(json!({"arms": [{"promptVersion": 1, "weight": 0}, {"promptVersion": 2, "weight": 1}]})).as_deref(),
            Some("arms[0].weight")
        );
        assert_eq!(
            field(json!({"arms": [{"promptVersion": 1, "weight": 1}, {"promptLabel": "Prod", "weight": 1}]}))
                .as_deref(),
            Some("arms[1].promptLabel")
        );
        assert_eq!(field(json!({"arms": [{"promptVersion": 1, "promptLabel": "a", "weight": 1}, {"promptVersion": 2, "weight": 1}]})).as_deref(), Some("arms[0].promptLabel"));
        assert_eq!(
            field(json!({"arms": [{"promptVersion": 1, "weight": 1}, {"version": 2, "weight": 1}]})).as_deref(),
            Some("arms[1].version")
        );
    }

    proptest! {
        #[test]
        fn any_arms_are_read_or_refused(label in ".{0,12}", version in any::<i64>(), weight in any::<i64>()) {
            let value = json!({"arms": [{"promptLabel": label, "weight": weight}, {"promptVersion": version, "weight": weight}]});
            if let Ok(arms) = parse_arms(&value) {
                prop_assert!(arms.iter().all(|arm| (1..=MAX_SPLIT_WEIGHT).contains(&arm.weight)));
            }
        }
    }
}
