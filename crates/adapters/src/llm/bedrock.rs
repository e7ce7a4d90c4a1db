//! Amazon Bedrock's Converse API through the AWS SDK, signed with the function's IAM role: no
//! key to obtain, store or leak. One request shape for every model Bedrock serves (Anthropic,
//! Meta, Mistral, Amazon…): system prompt, turns, tool definitions, tool use and results, images.
//!
//! The SDK's own retries are off: the reply's retry loop (`reply::think::complete`) retries
//! throttling and 5xx within the invocation's budget, as it does for the other providers, and a
//! second loop underneath it would spend that budget twice.
//!
//! Cache points follow the tool definitions and the system prompt, for the models that take
//! them; Bedrock reports cache reads and writes apart from `inputTokens`.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::timeout::TimeoutConfig;
use aws_sdk_bedrockruntime::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::converse::{ConverseError, ConverseOutput};
use aws_sdk_bedrockruntime::types::{
    CachePointBlock, CachePointType, ContentBlock, ConversationRole, ConverseOutput as Output, ImageBlock, ImageFormat,
    ImageSource, InferenceConfiguration, Message, SystemContentBlock, Tool, ToolConfiguration, ToolInputSchema,
    ToolResultBlock, ToolResultContentBlock, ToolResultStatus, ToolSpecification, ToolUseBlock,
};
use aws_smithy_types::{Blob, Document, Number};
use base64::Engine;
use serde_json::Value;

use crate::aws::OnFirstUse;
use crate::ports::{ChatReply, ChatRequest, ChatRole, ChatTurn, ImageInput, LlmError, ToolCallRequest};

/// Where Bedrock is reached: the deployment's region unless `region` says otherwise, and its
/// public endpoint unless `endpoint_url` names another (a VPC endpoint, a test's stand-in).
#[derive(Debug, Clone, Default)]
pub struct BedrockConfig {
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

#[derive(Clone, Debug)]
pub struct BedrockClient {
    client: OnFirstUse<aws_sdk_bedrockruntime::Client>,
}

impl BedrockClient {
    /// The client is built when a Bedrock model is first called.
    pub fn new(sdk: &aws_config::SdkConfig, config: BedrockConfig, timeout: Duration) -> Self {
        let sdk = sdk.clone();
        Self { client: OnFirstUse::new(move || Self::client(&sdk, &config, timeout)) }
    }

    fn client(
        sdk: &aws_config::SdkConfig,
        config: &BedrockConfig,
        timeout: Duration,
    ) -> aws_sdk_bedrockruntime::Client {
        let mut builder = aws_sdk_bedrockruntime::config::Builder::from(sdk)
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().operation_timeout(timeout).build());
        if let Some(region) = &config.region {
            builder = builder.region(aws_sdk_bedrockruntime::config::Region::new(region.clone()));
        }
        if let Some(url) = &config.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        aws_sdk_bedrockruntime::Client::from_conf(builder.build())
    }

    pub(super) async fn complete(&self, request: &ChatRequest) -> Result<ChatReply, LlmError> {
        let cached = takes_cache_points(&request.model);
        let mut converse = self
            .client
            .get()
            .converse()
            .model_id(&request.model)
            .set_messages(Some(request.turns.iter().map(message_of).collect::<Result<_, _>>()?))
            .inference_config(inference(request));
        if !request.system.is_empty() {
            converse = converse.system(SystemContentBlock::Text(request.system.clone()));
            if cached {
                converse = converse.system(SystemContentBlock::CachePoint(cache_point()?));
            }
        }
        if !request.turn_context.is_empty() {
            converse = converse.system(SystemContentBlock::Text(request.turn_context.clone()));
        }
        if !request.tools.is_empty() {
            converse = converse.tool_config(tools(request, cached)?);
        }
        let output = converse.send().await.map_err(classify)?;
        reply(output, request)
    }
}

/// The models that take cache points (Anthropic's Claude from 3.5 Haiku and 3.7 Sonnet on, and
/// Amazon Nova); an older model would refuse the request that carried one. An inference
/// profile's id or ARN names its model, so it is recognised too.
fn takes_cache_points(model: &str) -> bool {
    const OLDER_CLAUDES: [&str; 6] =
        ["claude-v2", "claude-instant", "claude-3-sonnet", "claude-3-haiku", "claude-3-opus", "claude-3-5-sonnet"];
    model.contains("amazon.nova")
        || (model.contains("anthropic.claude") && !OLDER_CLAUDES.iter().any(|older| model.contains(older)))
}

fn cache_point() -> Result<CachePointBlock, LlmError> {
    CachePointBlock::builder().r#type(CachePointType::Default).build().map_err(built)
}

fn inference(request: &ChatRequest) -> InferenceConfiguration {
    let max_tokens = i32::try_from(request.max_tokens).unwrap_or(i32::MAX);
    let mut config = InferenceConfiguration::builder().max_tokens(max_tokens);
    if let Some(t) = request.temperature {
        // The models on Bedrock take 0–1.
        config = config.temperature(t.value().min(1.0) as f32);
    }
    config.build()
}

fn tools(request: &ChatRequest, cached: bool) -> Result<ToolConfiguration, LlmError> {
    let mut config = ToolConfiguration::builder();
    for tool in &request.tools {
        let spec = ToolSpecification::builder()
            .name(&tool.name)
            .description(&tool.description)
            .input_schema(ToolInputSchema::Json(document(&tool.parameters)))
            .build()
            .map_err(built)?;
        config = config.tools(Tool::ToolSpec(spec));
    }
    if cached {
        config = config.tools(Tool::CachePoint(cache_point()?));
    }
    config.build().map_err(built)
}

/// A turn as one Bedrock message: images, tool results, text, then tool use. Bedrock refuses a
/// blank text block, so an empty text is left out.
fn message_of(turn: &ChatTurn) -> Result<Message, LlmError> {
    let role = match turn.role {
        ChatRole::User => ConversationRole::User,
        ChatRole::Assistant => ConversationRole::Assistant,
    };
    let mut message = Message::builder().role(role);
    for image in &turn.images {
        message = message.content(ContentBlock::Image(image_of(image)?));
    }
    for result in &turn.tool_results {
        let status = if result.is_error { ToolResultStatus::Error } else { ToolResultStatus::Success };
        let block = ToolResultBlock::builder()
            .tool_use_id(&result.call_id)
            .content(ToolResultContentBlock::Text(result.content.clone()))
            .status(status)
            .build()
            .map_err(built)?;
        message = message.content(ContentBlock::ToolResult(block));
    }
    if !turn.content.trim().is_empty() {
        message = message.content(ContentBlock::Text(turn.content.clone()));
    }
    for call in &turn.tool_calls {
        let input = serde_json::from_str::<Value>(&call.arguments).ok().filter(Value::is_object);
        let block = ToolUseBlock::builder()
            .tool_use_id(&call.id)
            .name(&call.name)
            .input(input.as_ref().map_or_else(|| Document::Object(HashMap::new()), document))
            .build()
            .map_err(built)?;
        message = message.content(ContentBlock::ToolUse(block));
    }
    message.build().map_err(built)
}

fn image_of(image: &ImageInput) -> Result<ImageBlock, LlmError> {
    let format = match image.mime_type.as_str() {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        "image/gif" => ImageFormat::Gif,
        "image/webp" => ImageFormat::Webp,
        other => return Err(LlmError::Malformed(format!("Bedrock takes no {other} image"))),
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&image.base64)
        .map_err(|err| LlmError::Malformed(format!("an image is not base64: {err}")))?;
    ImageBlock::builder().format(format).source(ImageSource::Bytes(Blob::new(bytes))).build().map_err(built)
}

fn reply(output: ConverseOutput, request: &ChatRequest) -> Result<ChatReply, LlmError> {
    let Some(Output::Message(message)) = output.output else {
        return Err(LlmError::Malformed("the answer holds no message".into()));
    };
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    for block in message.content {
        match block {
            ContentBlock::Text(part) => text.push_str(&part),
            ContentBlock::ToolUse(call) => tool_calls.push(ToolCallRequest {
                arguments: json_of(&call.input, 0)?.to_string(),
                id: call.tool_use_id,
                name: call.name,
            }),
            // Reasoning, citations and what later versions add are not the reply.
            _ => {}
        }
    }
    let tokens = |n: i32| u64::try_from(n).unwrap_or(0);
    let usage = output.usage;
    let cached = usage.as_ref().and_then(|u| u.cache_read_input_tokens).map_or(0, tokens);
    let written = usage.as_ref().and_then(|u| u.cache_write_input_tokens).map_or(0, tokens);
    let uncached = usage.as_ref().map_or(0, |u| tokens(u.input_tokens));
    Ok(ChatReply {
        text,
        input_tokens: uncached.saturating_add(cached).saturating_add(written),
        cached_input_tokens: cached,
        output_tokens: usage.as_ref().map_or(0, |u| tokens(u.output_tokens)),
        model: request.model.clone(),
        tool_calls,
    })
}

/// Throttling, a model not ready and 5xx are worth another try (429 and 5xx, as the other
/// providers' are); a refused request (validation, access, an unknown model) is not, and says why.
fn classify(err: SdkError<ConverseError, aws_smithy_runtime_api::http::Response>) -> LlmError {
    match err {
        SdkError::TimeoutError(_) => LlmError::Timeout,
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let err = context.into_err();
            if matches!(err, ConverseError::ModelTimeoutException(_)) {
                return LlmError::Timeout;
            }
            let code = err.code().unwrap_or("Error");
            let message: String = err.message().unwrap_or("").chars().take(500).collect();
            LlmError::Status { status, body: format!("{code}: {message}") }
        }
        SdkError::DispatchFailure(failure) if failure.is_timeout() => LlmError::Timeout,
        other @ SdkError::DispatchFailure(_) => LlmError::Network(DisplayErrorContext(other).to_string()),
        other => LlmError::Malformed(DisplayErrorContext(other).to_string()),
    }
}

fn built(err: aws_smithy_types::error::operation::BuildError) -> LlmError {
    LlmError::Malformed(format!("the Bedrock request could not be built: {err}"))
}

/// JSON as the SDK's document type. The values are ours (tool schemas checked when saved, a
/// model's arguments parsed by serde_json, whose nesting is bounded).
fn document(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Number::PosInt(u),
            (None, Some(i)) => Number::NegInt(i),
            _ => Number::Float(n.as_f64().unwrap_or(0.0)),
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(document).collect()),
        Value::Object(fields) => Document::Object(fields.iter().map(|(k, v)| (k.clone(), document(v))).collect()),
    }
}

/// How deep a model's tool arguments may nest; deeper is refused rather than recursed into.
const MAX_ARGUMENT_DEPTH: usize = 64;

/// The SDK's document (a model's tool arguments) as JSON, refused past `MAX_ARGUMENT_DEPTH`.
fn json_of(doc: &Document, depth: usize) -> Result<Value, LlmError> {
    if depth > MAX_ARGUMENT_DEPTH {
        return Err(LlmError::Malformed(format!("tool arguments nest deeper than {MAX_ARGUMENT_DEPTH} levels")));
    }
    Ok(match doc {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => {
            Value::Array(items.iter().map(|item| json_of(item, depth + 1)).collect::<Result<_, _>>()?)
        }
        Document::Object(fields) => Value::Object(
            fields.iter().map(|(k, v)| Ok((k.clone(), json_of(v, depth + 1)?))).collect::<Result<_, LlmError>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cache_points_go_to_the_models_that_take_them() {
        for model in [
            "anthropic.claude-3-7-sonnet-20250219-v1:0",
            "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-opus-4-1-20250805-v1:0",
            "amazon.nova-lite-v1:0",
        ] {
            assert!(takes_cache_points(model), "{model}");
        }
        for model in [
            "anthropic.claude-3-haiku-20240307-v1:0",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "anthropic.claude-v2:1",
            "meta.llama3-1-70b-instruct-v1:0",
            "mistral.mistral-large-2407-v1:0",
        ] {
            assert!(!takes_cache_points(model), "{model}");
        }
    }

    #[test]
    fn json_survives_the_round_trip_through_the_sdk_document() {
        let value =
            json!({"day": "Saturday", "guests": 2, "offset": -3, "price": 12.5, "pets": [true, null], "extra": {}});
        assert_eq!(json_of(&document(&value), 0).ok(), Some(value));
    }

    #[test]
    fn arguments_nested_past_the_limit_are_refused_not_recursed_into() {
        let mut deep = Document::Null;
        for _ in 0..1_000 {
            deep = Document::Array(vec![deep]);
        }
        assert!(matches!(json_of(&deep, 0), Err(LlmError::Malformed(_))));
        let mut shallow = Document::Null;
        for _ in 0..MAX_ARGUMENT_DEPTH {
            shallow = Document::Array(vec![shallow]);
        }
        assert!(json_of(&shallow, 0).is_ok());
    }
}
