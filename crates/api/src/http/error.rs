//! What an HTTP request can fail with: what the domain says (`AppError`), or what only HTTP
//! knows — no or a wrong credential, a body too large to read. The domain's error has neither.
//!
//! A domain rejection refers to what the caller asked for (an unknown prompt, a tool the
//! workspace lacks); here, and only here, it is given the name of the field it came from.

use crate::model::input::InvalidField;
use crate::ports::StoreError;
use crate::AppError;
use colloquy_domain::agents::AgentRejection;
use colloquy_domain::conversations::ConversationRejection;
use colloquy_domain::error::Rejection;
use colloquy_domain::numbers::NumberRejection;
use colloquy_domain::policies::PolicyRejection;
use colloquy_domain::prompts::PromptRejection;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(AppError),
    /// No API key, an unknown one, or a webhook signature that does not match.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        Self::Domain(named(err))
    }
}

impl From<InvalidField> for ApiError {
    fn from(err: InvalidField) -> Self {
        AppError::from(err).into()
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        AppError::from(err).into()
    }
}

/// The domain's error, a rejection given the field it came from.
pub fn named(err: AppError) -> AppError {
    match err {
        AppError::Rejected(rejection) => {
            let problem = rejection.to_string();
            InvalidField::new(field_of(&rejection), problem).into()
        }
        other => other,
    }
}

fn field_of(rejection: &Rejection) -> String {
    let field = match rejection {
        Rejection::Cursor => "cursor",
        Rejection::Agent(agent) => return agent_field(agent),
        Rejection::Conversation(ConversationRejection::UnknownAgent) => "agentId",
        Rejection::Conversation(ConversationRejection::WindowClosedForText) => "text",
        Rejection::Number(number) => number_field(number),
        Rejection::Policy(PolicyRejection::NothingToMatch) => "keywords",
        // leasing's shape; eigi's handler names its own (`knowledge_bases[i]`).
        Rejection::Prompt(PromptRejection::UnknownKnowledgeBase { index }) => {
            return format!("knowledgeBases[{index}]")
        }
        Rejection::Policy(PolicyRejection::TooManyMatchers | PolicyRejection::WorkspaceMatchersTooLarge(_)) => {
            "patterns"
        }
        Rejection::SignIn(_) => "key",
        Rejection::Usage(_) => "from",
    };
    field.to_owned()
}

fn number_field(rejection: &NumberRejection) -> &'static str {
    match rejection {
        NumberRejection::UnknownDefaultAgent => "defaultAgentId",
        NumberRejection::AccessTokenRequired | NumberRejection::NotShownToToken { .. } => "accessToken",
        NumberRejection::DisplayNumberMismatch => "displayNumber",
        NumberRejection::Sender(_) => "fromNumber",
    }
}

fn agent_field(rejection: &AgentRejection) -> String {
    match rejection {
        AgentRejection::ModelNotAllowed { .. } => "model.name".into(),
        AgentRejection::UnknownPrompt => "promptId".into(),
        AgentRejection::UnknownPromptVersion(_) => "promptVersion".into(),
        AgentRejection::UnknownPromptLabel(_) | AgentRejection::VersionAndLabel => "promptLabel".into(),
        AgentRejection::UnknownSplitVersion { arm, .. } => format!("trafficSplit.arms[{arm}].promptVersion"),
        AgentRejection::UnknownSplitLabel { arm, .. } => format!("trafficSplit.arms[{arm}].promptLabel"),
        AgentRejection::AnalysisPromptMissing
        | AgentRejection::UnknownAnalysisPrompt
        | AgentRejection::NotAnAnalysisPrompt => "analysisPromptId".into(),
        AgentRejection::UnknownAnalysisPromptVersion(_) => "analysisPromptVersion".into(),
        AgentRejection::UnknownTool { index, .. } => format!("tools[{index}].name"),
        AgentRejection::UnknownKnowledgeBase { index } => format!("knowledgeBases[{index}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_and_message(err: impl Into<AppError>) -> (Option<String>, String) {
        match named(err.into()) {
            AppError::Validation { field, message } => (field, message),
            other => panic!("expected a 400 naming a field, got {other:?}"),
        }
    }

    #[test]
    fn a_rejection_is_named_after_the_field_it_came_from() {
        let unknown_tool = AgentRejection::UnknownTool { index: 2, problem: "no such tool".into() };
        assert_eq!(
            field_and_message(unknown_tool),
            (Some("tools[2].name".into()), "tools[2].name: no such tool".into())
        );
        let (field, message) = field_and_message(AgentRejection::UnknownAnalysisPromptVersion(3));
        assert_eq!(
            (field.as_deref(), message.as_str()),
            (Some("analysisPromptVersion"), "analysisPromptVersion: the prompt has no version 3")
        );
        assert_eq!(field_and_message(NumberRejection::Sender("is required".into())).0.as_deref(), Some("fromNumber"));
        assert_eq!(field_and_message(StoreError::BadCursor).0.as_deref(), Some("cursor"));
    }

    #[test]
    fn other_errors_pass_unchanged() {
        assert!(matches!(named(AppError::not_found("agent `a`")), AppError::NotFound(_)));
        assert!(matches!(ApiError::from(AppError::Conflict("x".into())), ApiError::Domain(AppError::Conflict(_))));
    }
}
