//! Media end to end: voice notes, images and PDFs fetched from the Graph API (wiremock), kept
//! in the media bucket (moto S3), read, and given to the agent; failures told in words.

use base64::Engine;
use colloquy_tests::{call, meta_payload, project_root, Answer, ApiCall};
use serde_json::{json, Value};
use sha2::Digest;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::agent_loop::{agent_loop, completion, sent, Loop};

pub const IMAGE_ID: &str = "1234567890123456";
pub const DOCUMENT_ID: &str = "2234567890123456";
pub const VOICE_ID: &str = "3234567890123456";

pub fn fixture(name: &str) -> Vec<u8> {
    let file = project_root().join("events/whatsapp/media").join(name);
    std::fs::read(&file).unwrap_or_else(|err| panic!("{}: {err}", file.display()))
}

/// Graph answers `GET /{media-id}` with a download URL on itself, and serves `bytes` there.
pub async fn serve(l: &Loop, id: &str, mime: &str, bytes: Vec<u8>, announced_size: Option<usize>) {
    let info = json!({
        "messaging_product": "whatsapp", "id": id, "mime_type": mime,
        "url": format!("{}/media-download/{id}", l.graph.uri()),
        "sha256": hex::encode(sha2::Sha256::digest(&bytes)),
        "file_size": announced_size,
    });
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(info))
        .mount(&l.graph)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/media-download/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(bytes, mime))
        .mount(&l.graph)
        .await;
}

async fn transcribes_as(l: &Loop, words: &str) {
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"text": words, "duration": 2.4})))
        .mount(&l.llm)
        .await;
}

pub async fn replies(l: &Loop, text: &str) {
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(completion(text)).mount(&l.llm).await;
    Mock::given(method("POST")).respond_with(sent("wamid.REPLY")).mount(&l.graph).await;
}

/// The chat requests the LLM got (not transcriptions).
pub async fn chats(l: &Loop) -> Vec<Value> {
    l.llm_calls()
        .await
        .iter()
        .filter(|r| r.url.path().ends_with("/chat/completions"))
        .filter_map(|r| serde_json::from_slice(&r.body).ok())
        .collect()
}

pub fn last_user_content(chat: &Value) -> Value {
    let messages = chat["messages"].as_array().cloned().unwrap_or_default();
    messages.iter().rev().find(|m| m["role"] == "user").map(|m| m["content"].clone()).unwrap_or_default()
}

/// The contact's message with media (the newest inbound one).
pub async fn inbound(l: &Loop) -> Value {
    let messages = l.inbox.messages().await;
    messages.into_iter().find(|m| m["direction"] == "inbound").unwrap_or_default()
}

async fn update_agent(l: &Loop, body: Value) -> Answer {
    let request = ApiCall::fixture("update-agent").key(&l.inbox.key).path_param("id", &l.inbox.agent).json(body);
    call("update-agent", &l.inbox.stack.app, request).await
}

pub async fn patch_agent(l: &Loop, body: Value) {
    let answer = update_agent(l, body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// The only conversation's id.
pub async fn conversation_id(l: &Loop) -> String {
    l.inbox.conversations().await[0]["id"].as_str().unwrap_or_default().to_owned()
}

/// Today's usage totals of the loop's workspace.
pub async fn usage_today(l: &Loop) -> Value {
    let today = colloquy_domain::usage::model::day_of(colloquy_domain::ports::Clock::now(l.inbox.stack.clock.as_ref()));
    let request = ApiCall::fixture("get-usage").key(&l.inbox.key).query("from", &today).query("to", &today);
    call("get-usage", &l.inbox.stack.app, request).await.body
}

pub async fn media_link(l: &Loop, key: &str, conversation: &str, message: &str) -> Answer {
    let request =
        ApiCall::fixture("get-message-media").key(key).path_param("id", conversation).path_param("messageId", message);
    call("get-message-media", &l.inbox.stack.app, request).await
}

#[tokio::test]
async fn a_voice_note_is_transcribed_kept_and_answered_as_the_contacts_words() {
    let l = agent_loop().await;
    patch_agent(&l, json!({"transcriptionLanguage": "de"})).await;
    serve(&l, VOICE_ID, "audio/ogg", fixture("voice-note.ogg"), None).await;
    transcribes_as(&l, "Is there parking at the flat?").await;
    replies(&l, "Yes, one space per flat.").await;

    l.inbox.deliver(&meta_payload("audio")).await;
    l.run_worker().await;

    let chats = chats(&l).await;
    assert_eq!(chats.len(), 1);
    assert_eq!(last_user_content(&chats[0]), "[voice note, transcribed] Is there parking at the flat?");
    assert_eq!(l.texts_sent().await.len(), 1, "answered");
    let transcription = l.llm_calls().await.into_iter().find(|r| r.url.path() == "/v1/audio/transcriptions");
    let form = String::from_utf8_lossy(&transcription.expect("a transcription request").body).into_owned();
    assert!(
        form.contains("whisper-1") && form.contains("name=\"language\"\r\n\r\nde"),
        "model and language: {form:.400}"
    );
    let message = inbound(&l).await;
    let media = &message["media"];
    assert_eq!(
        (media["status"].as_str(), media["transcript"].as_str()),
        (Some("stored"), Some("Is there parking at the flat?"))
    );
    assert_eq!((media["seconds"].as_f64(), media["voice"].as_bool()), (Some(2.4), Some(true)));
    assert_eq!(media["size"].as_u64(), Some(fixture("voice-note.ogg").len() as u64));

    let conversation = conversation_id(&l).await;
    let link = media_link(&l, &l.inbox.key, &conversation, message["id"].as_str().unwrap_or_default()).await;
    assert_eq!(link.status, 200, "{}", link.body);
    let kept = reqwest::get(link.body["url"].as_str().unwrap_or_default()).await.expect("the link answers");
    assert_eq!(kept.bytes().await.expect("bytes").to_vec(), fixture("voice-note.ogg"), "the bucket holds the bytes");

    let usage = usage_today(&l).await;
    assert_eq!(usage["totals"]["transcribedSeconds"], 3, "{usage}");
}

#[tokio::test]
async fn an_image_reaches_a_vision_model_as_a_downscaled_image() {
    let l = agent_loop().await;
    patch_agent(&l, json!({"model": {"provider": "openai", "name": "gpt-4o-mini", "acceptsImages": true}})).await;
    serve(&l, IMAGE_ID, "image/jpeg", fixture("payslip.jpg"), Some(fixture("payslip.jpg").len())).await;
    replies(&l, "Thanks, your net pay qualifies.").await;

    l.inbox.deliver(&meta_payload("image")).await;
    l.run_worker().await;

    let chats = chats(&l).await;
    assert_eq!(chats.len(), 1);
    let content = last_user_content(&chats[0]);
    assert_eq!(content[0], json!({"type": "text", "text": "[image attached with the caption: My payslip]"}));
    let url = content[1]["image_url"]["url"].as_str().unwrap_or_default();
    let encoded = url.strip_prefix("data:image/jpeg;base64,").expect("a JPEG data URL");
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64");
    let image = image::load_from_memory(&bytes).expect("a JPEG");
    assert_eq!((image.width(), image.height()), (1024, 768), "1600×1200 downscaled to 1024 on the longer side");
    assert_eq!(l.texts_sent().await.len(), 1);
}

#[tokio::test]
async fn an_image_reaches_a_model_without_vision_as_its_caption() {
    let l = agent_loop().await;
    serve(&l, IMAGE_ID, "image/jpeg", fixture("payslip.jpg"), None).await;
    replies(&l, "Could you type the amount?").await;

    l.inbox.deliver(&meta_payload("image")).await;
    l.run_worker().await;

    let chats = chats(&l).await;
    assert_eq!(last_user_content(&chats[0]), "[image sent, which you cannot see with the caption: My payslip]");
    assert_eq!(inbound(&l).await["media"]["status"], "stored");
}

#[tokio::test]
async fn a_pdfs_text_is_in_the_agents_context_with_its_name() {
    let l = agent_loop().await;
    serve(&l, DOCUMENT_ID, "application/pdf", fixture("lease.pdf"), None).await;
    replies(&l, "The rent is 1,200 EUR.").await;

    l.inbox.deliver(&meta_payload("document")).await;
    l.run_worker().await;

    let content = last_user_content(&chats(&l).await[0]);
    let text = content.as_str().unwrap_or_default();
    assert!(text.starts_with("[document \"lease.pdf\" with the caption: My lease; its text:]"), "{text}");
    assert!(text.contains("Rent: 1,200 EUR per month"), "{text}");
    assert!(inbound(&l).await["media"]["documentText"].as_str().is_some_and(|t| t.contains("Deposit: 3,600 EUR")));
}

#[tokio::test]
async fn an_expired_download_link_is_told_to_the_agent_and_the_conversation_goes_on() {
    let l = agent_loop().await;
    let info = json!({"messaging_product": "whatsapp", "id": IMAGE_ID, "mime_type": "image/jpeg",
        "url": format!("{}/media-download/{IMAGE_ID}", l.graph.uri())});
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{IMAGE_ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(info))
        .mount(&l.graph)
        .await;
    let expired = json!({"error": {"message": "URL signature expired", "type": "OAuthException", "code": 190}});
    Mock::given(method("GET"))
        .and(path(format!("/media-download/{IMAGE_ID}")))
        .respond_with(ResponseTemplate::new(404).set_body_json(expired))
        .mount(&l.graph)
        .await;
    replies(&l, "I could not open that; could you send it again?").await;

    l.inbox.deliver(&meta_payload("image")).await;
    l.run_worker().await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;

    let chats = chats(&l).await;
    assert_eq!(chats.len(), 2, "both messages answered");
    assert_eq!(last_user_content(&chats[0]), "[image that could not be opened with the caption: My payslip]");
    let media = l.inbox.messages().await.into_iter().find(|m| m["type"] == "image").unwrap_or_default();
    assert_eq!(media["media"]["status"], "failed");
    assert!(
        media["media"]["failure"].as_str().is_some_and(|f| f.contains("download failed") && f.contains("expired")),
        "{media}"
    );
    assert_eq!(l.texts_sent().await.len(), 2);
}

#[tokio::test]
async fn files_over_whatsapps_limits_are_refused_however_they_are_announced() {
    let l = agent_loop().await;
    // Announced as 6 MB (images are at most 5 MB): not downloaded at all.
    serve(&l, IMAGE_ID, "image/jpeg", fixture("payslip.jpg"), Some(6 * 1024 * 1024)).await;
    // Not announced, and 17 MB arrive (audio is at most 16 MB): the download stops.
    serve(&l, VOICE_ID, "audio/ogg", vec![0u8; 17 * 1024 * 1024], None).await;
    replies(&l, "That was too large for me.").await;

    l.inbox.deliver(&meta_payload("image")).await;
    l.inbox.deliver(&meta_payload("audio")).await;
    l.run_worker().await;

    let messages = l.inbox.messages().await;
    let failure = |kind: &str| {
        let found = messages.iter().find(|m| m["type"] == kind).cloned().unwrap_or_default();
        found["media"]["failure"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(failure("image"), "the file is 6.0 MB, over WhatsApp's 5.0 MB limit for this type (image)");
    assert_eq!(failure("audio"), "the file is larger than WhatsApp's 16.0 MB limit for this type (audio message)");
    let downloads = l.graph.received_requests().await.unwrap_or_default();
    assert!(
        !downloads.iter().any(|r| r.url.path() == format!("/media-download/{IMAGE_ID}")),
        "an announced oversize file is not fetched"
    );
    let content = last_user_content(&chats(&l).await[0]);
    assert_eq!(
        content,
        "[image that could not be opened with the caption: My payslip]\n[voice note that could not be transcribed]"
    );
    assert_eq!(l.texts_sent().await.len(), 1, "the conversation goes on");
}

#[tokio::test]
async fn a_checksum_mismatch_is_refused_and_nothing_is_kept() {
    let l = agent_loop().await;
    serve(&l, IMAGE_ID, "image/jpeg", fixture("payslip.jpg"), None).await;
    replies(&l, "Could you send it again?").await;
    let forged = meta_payload("image").replace(
        "4ec80f828fcbf5e9c69e7bcbac28f9d10046bc5f139074cf2ce6a07254bdc4eb",
        "0000000000000000000000000000000000000000000000000000000000000000",
    );

    l.inbox.deliver(&forged).await;
    l.run_worker().await;

    let message = inbound(&l).await;
    assert_eq!(message["media"]["status"], "failed");
    assert!(message["media"]["failure"].as_str().is_some_and(|f| f.contains("checksum")), "{message}");
    assert_eq!(message["media"]["downloadable"], false);
    let conversation = conversation_id(&l).await;
    let link = media_link(&l, &l.inbox.key, &conversation, message["id"].as_str().unwrap_or_default()).await;
    assert_eq!(link.status, 404, "nothing was kept: {}", link.body);
    assert!(link.body["error"]["message"].as_str().is_some_and(|m| m.contains("checksum")), "{}", link.body);
}

#[tokio::test]
async fn only_the_conversations_workspace_can_fetch_its_media() {
    let l = agent_loop().await;
    serve(&l, IMAGE_ID, "image/jpeg", fixture("payslip.jpg"), None).await;
    replies(&l, "Got it.").await;
    l.inbox.deliver(&meta_payload("image")).await;
    let conversation = conversation_id(&l).await;
    let message = inbound(&l).await["id"].as_str().unwrap_or_default().to_owned();

    let early = media_link(&l, &l.inbox.key, &conversation, &message).await;
    assert_eq!((early.status, early.error_code()), (409, "conflict"), "not fetched yet: {}", early.body);
    l.run_worker().await;

    let reader = l.inbox.stack.key_for(&l.inbox.key, colloquy_domain::model::Role::Read).await;
    let own = media_link(&l, &reader, &conversation, &message).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!((own.body["mimeType"].as_str(), own.body["size"].as_u64()), (Some("image/jpeg"), Some(49315)));
    let stranger = l.inbox.stack.workspace("Stranger").await;
    let theirs = media_link(&l, &stranger.plaintext, &conversation, &message).await;
    assert_eq!(theirs.status, 404, "{}", theirs.body);
    let text_message = media_link(&l, &l.inbox.key, &conversation, "msg_none").await;
    assert_eq!(text_message.status, 404);
}

#[tokio::test]
async fn a_blocked_word_in_a_transcript_trips_the_input_policy() {
    let l = agent_loop().await;
    let rule = json!({"name": "No passwords", "keywords": ["password"], "appliesTo": "input", "action": "block"});
    let created =
        call("create-policy", &l.inbox.stack.app, ApiCall::fixture("create-policy").key(&l.inbox.key).json(rule)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    serve(&l, VOICE_ID, "audio/ogg", fixture("voice-note.ogg"), None).await;
    transcribes_as(&l, "My password is hunter2").await;
    replies(&l, "never sent").await;

    l.inbox.deliver(&meta_payload("audio")).await;
    l.run_worker().await;

    assert!(chats(&l).await.is_empty(), "the agent never reads it");
    assert!(l.texts_sent().await.is_empty(), "nothing is answered");
    let message = inbound(&l).await;
    assert_eq!(message["error"]["reason"], "policy_blocked", "{message}");
    let violations = call(
        "list-policy-violations",
        &l.inbox.stack.app,
        ApiCall::fixture("list-policy-violations").key(&l.inbox.key),
    )
    .await;
    assert_eq!(violations.body["results"].as_array().map(Vec::len), Some(1), "{}", violations.body);
}

#[tokio::test]
async fn meta_failing_for_a_while_is_retried_and_on_the_last_try_told_to_the_agent() {
    use colloquy_domain::ports::Turn;
    use colloquy_domain::reply::{answer, AgentCache, Attempt, RetryLater};
    let l = agent_loop().await;
    let unavailable = json!({"error": {"message": "Service temporarily unavailable", "code": 2}});
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{VOICE_ID}")))
        .respond_with(ResponseTemplate::new(503).set_body_json(unavailable))
        .mount(&l.graph)
        .await;
    transcribes_as(&l, "never heard").await;
    replies(&l, "Sorry, I could not listen to that.").await;
    l.inbox.deliver(&meta_payload("audio")).await;
    let conversation = conversation_id(&l).await;
    let workspace = l.inbox.stack.app_workspace(&l.inbox.key).await;
    let turn = Turn { id: "wamid.VOICE1".into(), workspace_id: workspace, conversation_id: conversation.into() };
    // Past the quiet period's deferrals, and then the queue's last receive.
    let (third, last) = (Attempt::receive(Attempt::MAX_DEFERRALS), Attempt::receive(Attempt::MAX_RECEIVES));
    let (app, cache, deadline) =
        (&l.inbox.stack.app, AgentCache::default(), colloquy_functions::worker::Deadline::NONE);

    let early = answer(&app.reply_ports(), &cache, &turn, None, deadline, third).await;
    assert!(matches!(early, Err(RetryLater::WhatsApp(_))), "the queue retries: {early:?}");
    assert_eq!(inbound(&l).await["media"]["status"], "pending");
    assert!(chats(&l).await.is_empty());

    answer(&app.reply_ports(), &cache, &turn, None, deadline, last).await.expect("the last try answers");

    assert_eq!(last_user_content(&chats(&l).await[0]), "[voice note that could not be transcribed]");
    let media = &inbound(&l).await["media"];
    assert_eq!(media["status"], "failed");
    assert!(media["failure"].as_str().is_some_and(|f| f.contains("temporarily unavailable")), "{media}");
    assert_eq!(l.texts_sent().await.len(), 1);
}

#[tokio::test]
async fn a_media_result_is_written_once_and_its_seconds_counted_once() {
    use colloquy_domain::media::model::MediaStatus;
    use colloquy_domain::ports::{ConversationStore, MediaUpdate, StoreError};
    use colloquy_domain::usage::model::{day_of, Tokens, UsageDelta};
    let l = agent_loop().await;
    l.inbox.deliver(&meta_payload("audio")).await;
    let conversation = conversation_id(&l).await;
    let message = inbound(&l).await["id"].as_str().unwrap_or_default().to_owned();
    let workspace = l.inbox.stack.app_workspace(&l.inbox.key).await;
    let today = day_of(colloquy_domain::ports::Clock::now(l.inbox.stack.clock.as_ref()));
    let update = MediaUpdate {
        conversation_id: conversation.into(),
        message_id: message.into(),
        media: colloquy_domain::model::MediaRef {
            id: VOICE_ID.into(),
            status: MediaStatus::Stored,
            transcript: Some("hello".into()),
            ..Default::default()
        },
        blocked: None,
        usage: Some(UsageDelta {
            workspace_id: workspace,
            agent_id: l.inbox.agent.clone().into(),
            day: today.clone(),
            tokens: Tokens { transcribed_seconds: 4, ..Tokens::default() },
        }),
    };
    let store = &l.inbox.stack.store;

    store.save_media(&update).await.expect("the first write");
    let second = store.save_media(&update).await;

    assert!(matches!(second, Err(StoreError::Conflict(_))), "a second run writes nothing: {second:?}");
    let usage = usage_today(&l).await;
    assert_eq!(usage["totals"]["transcribedSeconds"], 4, "{usage}");
}

#[tokio::test]
async fn during_a_takeover_a_voice_note_is_transcribed_for_the_person_and_not_answered() {
    let l = agent_loop().await;
    serve(&l, VOICE_ID, "audio/ogg", fixture("voice-note.ogg"), None).await;
    transcribes_as(&l, "Can I visit tomorrow?").await;
    replies(&l, "never sent").await;
    l.inbox.deliver(&meta_payload("text")).await;
    l.run_worker().await;
    let conversation = conversation_id(&l).await;
    let takeover =
        ApiCall::fixture("takeover-conversation").key(&l.inbox.key).path_param("id", &conversation).json(json!({}));
    assert_eq!(call("takeover-conversation", &l.inbox.stack.app, takeover).await.status, 200);

    l.inbox.deliver(&meta_payload("audio")).await;
    l.run_worker().await;

    assert_eq!(chats(&l).await.len(), 1, "only the text before the takeover was answered");
    let voice = l.inbox.messages().await.into_iter().find(|m| m["type"] == "audio").unwrap_or_default();
    assert_eq!(voice["media"]["transcript"], "Can I visit tomorrow?", "{voice}");
    let link = media_link(&l, &l.inbox.key, &conversation, voice["id"].as_str().unwrap_or_default()).await;
    assert_eq!(link.status, 200, "the person can listen to it: {}", link.body);
}

#[tokio::test]
async fn the_agents_media_settings_are_checked_and_shown() {
    let l = agent_loop().await;
    let patch = |body: Value| update_agent(&l, body);

    let wrong = patch(json!({"transcriptionLanguage": "German"})).await;
    assert_eq!((wrong.status, wrong.error_field()), (400, Some("transcriptionLanguage")), "{}", wrong.body);
    let set = patch(json!({"transcriptionLanguage": "de", "model": {"provider": "anthropic", "name": "claude-sonnet-4-5", "acceptsImages": true}})).await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(
        (set.body["transcriptionLanguage"].as_str(), set.body["model"]["acceptsImages"].as_bool()),
        (Some("de"), Some(true))
    );
    let cleared = patch(json!({"transcriptionLanguage": null})).await;
    assert_eq!(cleared.body["transcriptionLanguage"], Value::Null, "{}", cleared.body);
}
