use proptest::prelude::*;
use serde_json::json;

use super::*;

/// The issue's own example, every expectation kind.
fn example() -> Value {
    json!([
        {"name": "books a viewing", "turns": ["Hi", "Is it free on Saturday?"],
         "toolResults": {"book_viewing": {"booked": true}}, "approvals": "approve",
         "expect": [{"callsTool": {"name": "book_viewing", "arguments": {"day": "Saturday"}}},
                    {"notCallsTool": "handoff_to_human"}, {"replyMatches": "(?i)saturday"},
                    {"replyNotMatches": "(?i)sorry"}, {"handsOff": false},
                    {"judge": {"rubric": "Polite and confirms the day", "passMark": 7.5}}]},
        {"name": "an angry tenant", "simulate": {"persona": "An angry tenant", "goal": "Get the boiler fixed", "maxTurns": 4},
         "approvals": "reject", "expect": [{"handsOff": true}]}
    ])
}

fn field_of(value: Value) -> String {
    match scenarios(&value) {
        Err(invalid) => invalid.field,
        Ok(parsed) => panic!("accepted: {parsed:?}"),
    }
}

#[test]
fn the_documented_shape_reads_and_writes_back_as_it_was_sent() {
    let parsed = scenarios(&example()).expect("the example is valid");
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[1].approvals, Approvals::Reject);
    assert!(matches!(&parsed[1].contact, ScriptedContact::Simulate(s) if s.max_turns == 4));
    let written = serde_json::to_value(&parsed).expect("serialises");
    assert_eq!(written[0]["expect"], example()[0]["expect"]);
    assert_eq!(written[1]["simulate"], example()[1]["simulate"]);
    assert_eq!(written[0]["turns"], example()[0]["turns"]);
    let read: Vec<Scenario> = serde_json::from_value(written).expect("reads back");
    assert_eq!(read, parsed);
}

#[test]
fn each_problem_names_its_field() {
    let with = |change: &dyn Fn(&mut Value)| {
        let mut value = example();
        change(&mut value);
        field_of(value)
    };
    assert_eq!(field_of(json!([])), "scenarios");
    assert_eq!(field_of(json!({"name": "x"})), "scenarios");
    assert_eq!(with(&|v| v[0]["name"] = json!("  ")), "scenarios[0].name");
    assert_eq!(with(&|v| v[1]["name"] = json!("books a viewing")), "scenarios[1].name");
    assert_eq!(with(&|v| v[0]["simulate"] = json!({})), "scenarios[0].turns");
    assert_eq!(with(&|v| v[0]["turns"] = json!(["Hi", 3])), "scenarios[0].turns[1]");
    assert_eq!(with(&|v| v[0]["turns"] = json!([])), "scenarios[0].turns");
    assert_eq!(with(&|v| v[1]["simulate"]["maxTurns"] = json!(0)), "scenarios[1].simulate.maxTurns");
    assert_eq!(with(&|v| v[1]["simulate"]["goal"] = json!("")), "scenarios[1].simulate.goal");
    assert_eq!(with(&|v| v[0]["approvals"] = json!("maybe")), "scenarios[0].approvals");
    assert_eq!(with(&|v| v[0]["toolResults"] = json!([1])), "scenarios[0].toolResults");
    assert_eq!(with(&|v| v[0]["expect"] = json!([])), "scenarios[0].expect");
    assert_eq!(with(&|v| v[0]["expect"][2] = json!({"replyMatches": "("})), "scenarios[0].expect[2].replyMatches");
    assert_eq!(
        with(&|v| v[0]["expect"][0]["callsTool"]["arguments"] = json!(3)),
        "scenarios[0].expect[0].callsTool.arguments"
    );
    assert_eq!(with(&|v| v[0]["expect"][5]["judge"]["passMark"] = json!(11)), "scenarios[0].expect[5].judge.passMark");
    assert_eq!(with(&|v| v[0]["expect"][4] = json!({"handsOff": "yes"})), "scenarios[0].expect[4].handsOff");
    assert_eq!(with(&|v| v[0]["expect"][1] = json!({"smiles": true})), "scenarios[0].expect[1].smiles");
    assert_eq!(with(&|v| v[0]["expect"][1] = json!({"handsOff": true, "notCallsTool": "x"})), "scenarios[0].expect[1]");
    assert_eq!(with(&|v| v[0]["tunrs"] = json!(["typo"])), "scenarios[0].tunrs");
}

#[test]
fn a_pattern_too_large_to_run_is_refused() {
    let mut value = example();
    value[0]["expect"][2] = json!({"replyMatches": "(\\w{100}){100}"});
    assert_eq!(field_of(value), "scenarios[0].expect[2].replyMatches");
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,20}".prop_map(Value::String),
        prop::sample::select(vec!["turns", "simulate", "expect", "judge", "callsTool", "(", "approve"])
            .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(
                    SCENARIO_KEYS
                        .iter()
                        .chain(&EXPECTATIONS)
                        .copied()
                        .chain(["rubric", "passMark", "name", "persona", "goal", "maxTurns", "arguments"])
                        .collect::<Vec<_>>()
                )
                .prop_map(str::to_owned),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_json_is_read_or_refused_with_a_field(value in any_json()) {
        match scenarios(&value) {
            Ok(parsed) => prop_assert!(!parsed.is_empty()),
            Err(invalid) => prop_assert!(invalid.field.starts_with("scenarios")),
        }
    }
}
