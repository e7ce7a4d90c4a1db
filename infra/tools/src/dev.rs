//! What the local stack sets up so that a person can talk to an agent at once: a prompt, an
//! agent on it, and a WhatsApp number answered by that agent.

use colloquy_domain::agents;
use colloquy_domain::model::{ModelSettings, Principal, Provider, ReplyDelay, Role};
use colloquy_domain::numbers;
use colloquy_domain::prompts;
use std::sync::Arc;

use colloquy_adapters::clock::SystemClock;
use colloquy_adapters::dynamo::DynamoStore;
use colloquy_adapters::reading::IsolatedReader;
use colloquy_adapters::sqs::SqsTriggerQueue;
use colloquy_api::{App, WebhookSecrets};
use colloquy_domain::ports::{Llm, Secret, TokenVault, WhatsApp};

use crate::graph_standin;

/// The local webhook's secrets; `colloquy-say` signs with the same.
pub const LOCAL_APP_SECRET: &str = "local-app-secret";
pub const LOCAL_VERIFY_TOKEN: &str = "local-verify-token";

/// The app the local stack runs (and its benchmarks): the real store and queue on moto, the
/// local webhook secrets, and numbers sending with the Graph stand-in's default token.
pub fn local_app(
    store: Arc<DynamoStore>,
    queue: SqsTriggerQueue,
    vault: Arc<dyn TokenVault>,
    whatsapp: Arc<dyn WhatsApp>,
    llm: Arc<dyn Llm>,
) -> App {
    App::new(store, Arc::new(queue), Arc::new(SystemClock), whatsapp)
        .with_reader(Arc::new(IsolatedReader::this_binary()))
        .with_llm(llm)
        .with_token_vault(vault, Some(Secret(graph_standin::DEFAULT_TOKEN.into())))
        .with_webhook_secrets(WebhookSecrets {
            app_secret: LOCAL_APP_SECRET.to_owned(),
            verify_token: LOCAL_VERIFY_TOKEN.to_owned(),
        })
}
/// The dev workspace's WhatsApp number (Meta's id, and its display number).
pub const DEV_PHONE_NUMBER_ID: &str = "100000000000001";
pub const DEV_DISPLAY_NUMBER: &str = "+15550000001";
/// Who `colloquy-say` writes as.
pub const DEV_CONTACT: &str = "15557654321";

/// The model the dev agent answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevModel {
    pub provider: Provider,
    pub name: String,
}

impl DevModel {
    /// The local stand-in (which answers whatever the agent names).
    pub fn stand_in() -> Self {
        Self { provider: Provider::Openai, name: "local".into() }
    }

    fn settings(&self) -> ModelSettings {
        ModelSettings {
            provider: self.provider,
            name: self.name.clone(),
            temperature: None,
            max_tokens: agents::DEFAULT_MAX_TOKENS,
            // The stand-in LLM says what it was shown: the local image path is visible end to end.
            accepts_images: true,
        }
    }
}

/// Creates the dev prompt, agent and number unless the number exists. An existing dev agent
/// is moved to Bedrock when `model` is a Bedrock one (set with `BEDROCK_MODEL`), so that setting
/// it later takes effect; other changes made to it (in the console, say) are kept.
/// `reply_delay_seconds`: the agent's quiet period (`None`: the default).
pub async fn ensure_dev_agent(
    app: &App,
    workspace_id: &str,
    key_prefix: &str,
    model: &DevModel,
    reply_delay_seconds: Option<u32>,
) -> Result<(), String> {
    let admin = Principal { workspace_id: workspace_id.into(), role: Role::Admin, key_prefix: key_prefix.to_owned() };
    if let Some(number) = app.store.get_number(DEV_PHONE_NUMBER_ID).await.map_err(|e| e.to_string())? {
        return match number.default_agent_id {
            Some(agent_id) if model.provider == Provider::Bedrock => {
                let change = agents::AgentChange { model: Some(model.settings()), ..agents::AgentChange::default() };
                agents::change_agent(&app.agent_ports(), &admin, &agent_id, change).await.map_err(|e| e.to_string())?;
                Ok(())
            }
            _ => Ok(()),
        };
    }
    let prompt = prompts::NewPromptVersion {
        name: "local-assistant".into(),
        text: "You are Colloquy's local demo assistant. Answer briefly and kindly.".into(),
        metadata: None,
        knowledge_bases: None,
    };
    let (prompt, _) = prompts::create_version_by_name(
        colloquy_domain::prompts::PromptPorts { prompts: &*app.store, knowledge: &*app.store, clock: &*app.clock },
        &admin,
        prompt,
    )
    .await
    .map_err(|e| e.to_string())?;
    let agent = agents::NewAgent {
        name: "Local assistant".into(),
        prompt_id: prompt.id,
        prompt_version: None,
        prompt_label: None,
        traffic_split: None,
        model: model.settings(),
        first_message: None,
        follow_up: None,
        tools: Vec::new(),
        fallback_text: None,
        reply_delay: reply_delay_seconds.map(ReplyDelay::from_seconds).transpose().map_err(|e| e.to_string())?,
        answer_reactions: false,
        transcription_language: None,
        analysis: agents::AnalysisChoice::default(),
        knowledge: Default::default(),
    };
    let agent = agents::create_agent(&app.agent_ports(), &admin, agent).await.map_err(|e| e.to_string())?;
    let number = numbers::NewNumber {
        phone_number_id: DEV_PHONE_NUMBER_ID.into(),
        display_number: DEV_DISPLAY_NUMBER.into(),
        default_agent_id: Some(agent.id),
        // The local stack sends with its default token.
        access_token: None,
        waba_id: None,
    };
    numbers::register_number(&app.number_ports(), &admin, number).await.map_err(|e| e.to_string())?;
    Ok(())
}
