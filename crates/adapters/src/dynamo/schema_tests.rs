//! The stored schema, held still: every resource, every attribute set, as its record writes it.
//! A renamed domain field must not rename an attribute that items already hold; if this test
//! fails, the change is to the table's schema and needs a migration, not a new fixture.

use colloquy_domain::agents::model::{PromptPick, SplitArm, TrafficSplit};
use colloquy_domain::prompts::labels::{Label, LabelMove, LabelName, PromptLabels};
use serde_json::{json, Map, Value};
use time::macros::datetime;

use crate::model::{
    Agent, ApiKey, FollowUpPolicy, LanguageCode, ModelSettings, Prompt, PromptContent, PromptVersion, Provider,
    ReplyDelay, Role, Temperature, TemplateMessage, Tool, VersionNotes, VersionSource, WhatsAppNumber, Workspace,
};
use colloquy_domain::agents::model::AnalysisSettings;
use colloquy_domain::policies::model::{Action, AppliesTo, Detector, Flow, Policy, Violation};
use colloquy_domain::tools::model::ToolDef;

use super::agents::StoredAgent;
use super::api_keys::StoredKey;
use super::numbers::StoredNumber;
use super::policies::{StoredPolicy, StoredViolation};
use super::prompts::{StoredPrompt, StoredPromptVersion};
use super::tools::StoredTool;
use super::workspaces::StoredWorkspace;

const AT: time::OffsetDateTime = datetime!(2026-11-30 12:00:00 UTC);

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn labels() -> PromptLabels {
    let production = LabelName::parse("production").expect("a label name");
    let mut labels = PromptLabels::default();
    labels.current.insert(
        production.clone(),
        Label { version: 2, moved_at: AT, moved_by: "clq_1a2b".into(), requires_suite: Some("suite_1".into()) },
    );
    labels.moves.push(LabelMove { label: production, from: Some(1), to: Some(2), by: "clq_1a2b".into(), at: AT });
    labels
}

fn samples() -> Vec<(&'static str, Value)> {
    let agent = Agent {
        id: "agt_1".into(),
        workspace_id: "ws_1".into(),
        name: "Front desk".into(),
        prompt_id: "prm_1".into(),
        prompt_version: Some(2),
        // Never with a version in practice; both here, so the schema shows both attributes.
        prompt_label: LabelName::parse("production").ok(),
        traffic_split: Some(TrafficSplit {
            arms: [
                SplitArm { follows: PromptPick::Label(LabelName::parse("production").expect("a label")), weight: 90 },
                SplitArm { follows: PromptPick::Version(3), weight: 10 },
            ],
            since: AT,
        }),
        model: ModelSettings {
            provider: Provider::Openai,
            name: "gpt-4o-mini".into(),
            temperature: Temperature::within(0.5, 2.0).ok(),
            max_tokens: 512,
            accepts_images: true,
        },
        first_message: Some("Hello".into()),
        follow_up: Some(FollowUpPolicy {
            after_minutes: 60,
            max_attempts: 2,
            instruction: "Nudge".into(),
            template: Some(TemplateMessage {
                name: "nudge".into(),
                language: "en_US".into(),
                variables: Default::default(),
            }),
        }),
        tools: vec![Tool::named("lookup")],
        fallback_text: Some("Sorry".into()),
        answer_reactions: true,
        reply_delay_seconds: ReplyDelay::from_seconds(3).ok(),
        transcription_language: LanguageCode::parse("de").ok(),
        analysis: Some(AnalysisSettings {
            prompt_id: "prm_2".into(),
            prompt_version: Some(1),
            after_minutes: Some(30),
        }),
        knowledge: colloquy_domain::agents::model::KnowledgeUse { bases: vec!["kb_1".into()], in_context: true },
        created_at: AT,
        updated_at: AT,
        revision: 4,
    };
    let policy = Policy {
        id: "pol_1".into(),
        workspace_id: "ws_1".into(),
        name: "No cards".into(),
        keywords: vec!["card".into()],
        patterns: vec!["\\d{16}".into()],
        detectors: vec![Detector::Card],
        applies_to: AppliesTo::Both,
        action: Action::Block,
        enabled: true,
        created_at: AT,
        updated_at: AT,
        revision: 1,
    };
    let violation = Violation {
        id: "vio_1".into(),
        workspace_id: "ws_1".into(),
        policy_id: "pol_1".into(),
        policy_name: "No cards".into(),
        flow: Flow::Output,
        action: Action::Block,
        conversation_id: "cnv_1".into(),
        excerpt: "my card ****".into(),
        created_at: AT,
    };
    let workspace = Workspace {
        id: "ws_1".into(),
        name: "Acme".into(),
        created_at: AT,
        monthly_token_quota: Some(1000),
        webhook_url: Some("https://example.com/hook".into()),
        webhook_secret: Some("whsec_1".into()),
        webhook_failures: 20,
        webhook_disabled_at: Some(AT),
        webhook_disabled_reason: Some("20 deliveries in a row failed".into()),
        retention_days: Some(90),
        revision: 2,
    };
    let number = WhatsAppNumber {
        phone_number_id: "1001".into(),
        workspace_id: "ws_1".into(),
        display_number: "+15550001".into(),
        default_agent_id: Some("agt_1".into()),
        token_ref: Some("colloquy/ws_1/1001".into()),
        waba_id: Some("2002".into()),
        created_at: AT,
    };
    let key = ApiKey {
        prefix: "clq_1a2b".into(),
        workspace_id: "ws_1".into(),
        name: "ci".into(),
        role: Role::Write,
        created_at: AT,
    };
    let tool = ToolDef {
        id: "tol_1".into(),
        workspace_id: "ws_1".into(),
        name: "lookup".into(),
        description: "Looks up".into(),
        parameters: object(json!({"type": "object", "properties": {}})),
        url: "https://example.com/tool".into(),
        timeout_seconds: 10,
        require_approval: true,
        approval_expiry_minutes: 60,
        arguments: object(json!({"store": "A"})),
        created_at: AT,
        updated_at: AT,
        revision: 3,
    };
    let content = PromptContent {
        text: "You help".into(),
        description: Some("Front desk".into()),
        temperature: Temperature::within(0.3, 1.0).ok(),
        response_time: Some(1.5),
        tools: vec![Tool::named("lookup")],
        tool_configs: object(json!({"lookup": {"requireApproval": true}})),
        metadata: object(json!({"prompt_type": "main"})),
        knowledge_bases: vec!["kb_1".into()],
    };
    let prompt = Prompt {
        id: "prm_1".into(),
        workspace_id: "ws_1".into(),
        name: "front-desk".into(),
        content: content.clone(),
        latest_version: 2,
        latest_version_at: AT,
        edits_since_version: 1,
        revision: 5,
        is_hidden: true,
        edited_by: Some("clq_1a2b".into()),
        labels: labels(),
        created_at: AT,
        updated_at: AT,
        last_edited_at: AT,
    };
    let version = PromptVersion {
        id: "prv_1".into(),
        prompt_id: "prm_1".into(),
        version: 2,
        content,
        source: VersionSource::ManualSave,
        notes: VersionNotes {
            label: Some("v2".into()),
            title: Some("Second".into()),
            description: Some("More".into()),
        },
        created_at: AT,
    };
    vec![
        ("agent", round_trip::<StoredAgent, _>(&agent)),
        ("policy", round_trip::<StoredPolicy, _>(&policy)),
        ("violation", round_trip::<StoredViolation, _>(&violation)),
        ("workspace", round_trip::<StoredWorkspace, _>(&workspace)),
        ("number", round_trip::<StoredNumber, _>(&number)),
        ("apiKey", round_trip::<StoredKey, _>(&key)),
        ("tool", round_trip::<StoredTool, _>(&tool)),
        ("prompt", round_trip::<StoredPrompt, _>(&prompt)),
        ("promptVersion", round_trip::<StoredPromptVersion, _>(&version)),
    ]
}

/// The item a record writes for `value`, after checking that the item reads back as `value`
/// through DynamoDB's own attribute values.
fn round_trip<R, D>(value: &D) -> Value
where
    R: serde::Serialize + serde::de::DeserializeOwned + for<'a> From<&'a D>,
    D: From<R> + PartialEq + std::fmt::Debug,
{
    let item = super::to_item(&R::from(value)).unwrap_or_default();
    let read: Option<R> = super::from_item(item).ok();
    assert_eq!(read.map(D::from).as_ref(), Some(value), "a stored item must read back as what was stored");
    serde_json::to_value(R::from(value)).unwrap_or(Value::Null)
}

#[test]
fn every_resource_is_stored_with_the_attributes_items_already_hold() {
    let expected: Value = serde_json::from_str(include_str!("schema.json")).unwrap_or(Value::Null);
    let actual = Value::Object(samples().into_iter().map(|(name, item)| (name.to_owned(), item)).collect());
    if std::env::var("COLLOQUY_PRINT_SCHEMA").is_ok() {
        println!("{}", serde_json::to_string_pretty(&actual).unwrap_or_default());
    }
    assert_eq!(actual, expected, "the stored schema changed: migrate the items, do not edit schema.json");
}
