//! The write and delivery stages on fakes of their ports: what is stored, what is sent, what
//! is not sent, and what a failure leaves behind for the next receive.

use std::sync::Arc;

use time::OffsetDateTime;

use super::fakes::World;
use super::gate::Loaded;
use super::*;
use crate::agents::model::AnalysisSettings;
use crate::conversations::model::UnconfirmedPart;
use crate::model::{Contact, ConversationId, ErrorReason, FollowUpPolicy, WhatsAppNumber};
use crate::ports::{GraphError, Secret};
use delivery::CONFIRM_WITHIN;

const NUMBER: &str = "100000000000001";

fn now() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000)
}

fn number() -> WhatsAppNumber {
    WhatsAppNumber {
        phone_number_id: NUMBER.into(),
        workspace_id: "ws".into(),
        display_number: "+15550000001".into(),
        default_agent_id: None,
        token_ref: None,
        waba_id: None,
        created_at: now(),
    }
}

/// A WhatsApp conversation whose contact wrote a minute ago: the window is open.
fn conversation() -> Conversation {
    let contact = Contact { wa_id: "491701234567".into(), phone_number: "+491701234567".into(), name: None };
    let mut conversation = Conversation::start(&number(), contact, "agent".into(), now() - time::Duration::hours(1));
    conversation.last_inbound_at = Some(now() - time::Duration::minutes(1));
    conversation
}

fn reply(text: &str) -> Message {
    let mut message =
        Message::new(&conversation().id, Direction::Outbound, MessageKind::Text, DeliveryStatus::Pending, now());
    message.text = Some(text.to_owned());
    message
}

fn agent() -> Agent {
    Agent {
        follow_up: Some(FollowUpPolicy {
            after_minutes: 60,
            max_attempts: 1,
            instruction: "Ask if they are still there.".into(),
            template: None,
        }),
        analysis: Some(AnalysisSettings {
            prompt_id: "analysis".into(),
            prompt_version: None,
            after_minutes: Some(30),
        }),
        created_at: now(),
        updated_at: now(),
        ..Agent::sample()
    }
}

fn answer(text: &str) -> ChatReply {
    ChatReply {
        text: text.into(),
        input_tokens: 120,
        cached_input_tokens: 100,
        output_tokens: 30,
        model: "gpt-4o-mini".into(),
        tool_calls: vec![],
    }
}

async fn deliver_on(world: &Arc<World>, conversation: &Conversation, message: Message) -> Result<(), RetryLater> {
    let (policies, token) = (world.policies(), Secret("token".into()));
    deliver(&world.ports(&policies, &token), conversation, message).await
}

#[tokio::test]
async fn a_stored_reply_goes_to_the_contact_and_is_recorded_sent_with_its_wamid() {
    let world = World::with_number(now(), number());
    let message = reply("The flat is free on **Saturday**.");
    let (conversation, id) = (conversation(), message.id.clone());
    deliver_on(&world, &conversation, message).await.expect("delivered");

    let recorded = world.recorded();
    assert_eq!(
        recorded.sent,
        vec![Outbound::Text {
            to: "491701234567".into(),
            body: "The flat is free on **Saturday**.".into(),
            callback: Some(format!("{}:{id}:0", conversation.id)),
        }]
    );
    let [delivered] = recorded.deliveries.as_slice() else { panic!("one delivery: {:?}", recorded.deliveries) };
    assert_eq!(delivered.status, DeliveryStatus::Sent);
    assert_eq!(delivered.wamid.as_deref(), Some("wamid.0"));
    assert!(recorded.failures_marked.is_empty());
}

#[tokio::test]
async fn a_reply_meta_refuses_for_good_is_recorded_failed_with_meta_s_code_and_marks_the_conversation() {
    let world = World::with_number(now(), number());
    let refused = GraphError::Api { http_status: 400, code: 131026, message: "Message undeliverable".into() };
    world.recorded().send_answers.push_back(Err(refused));
    let conversation = conversation();
    deliver_on(&world, &conversation, reply("Hello")).await.expect("a refusal for good is not retried");

    let recorded = world.recorded();
    assert!(recorded.sent.is_empty());
    let [failed] = recorded.deliveries.as_slice() else { panic!("one delivery: {:?}", recorded.deliveries) };
    assert_eq!(failed.status, DeliveryStatus::Failed);
    let error = failed.error.as_ref().expect("the reason is kept");
    assert_eq!((error.code, error.reason), (131026, ErrorReason::Whatsapp));
    assert_eq!(recorded.failures_marked, vec![conversation.id.clone()]);
}

#[tokio::test]
async fn a_long_reply_cut_off_before_its_request_left_sends_only_the_rest_on_the_next_receive() {
    let world = World::with_number(now(), number());
    let text = format!("{}\n\n{}", "a".repeat(4000), "b".repeat(100));
    {
        let mut recorded = world.recorded();
        recorded.send_answers.push_back(Ok("wamid.first".into()));
        recorded.send_answers.push_back(Err(GraphError::Network("connection refused".into())));
    }
    let conversation = conversation();
    let outcome = deliver_on(&world, &conversation, reply(&text)).await;
    assert!(matches!(outcome, Err(RetryLater::WhatsApp(GraphError::Network(_)))), "{outcome:?}");
    let half_sent = {
        let recorded = world.recorded();
        let [half] = recorded.deliveries.as_slice() else { panic!("the sent part is recorded") };
        assert_eq!(half.sent_parts, vec!["wamid.first".to_owned()]);
        assert_eq!(half.unconfirmed_part, None, "nothing left: it is certain the part was not sent");
        assert!(recorded.failures_marked.is_empty(), "a retry is not a failure");
        half.clone()
    };

    deliver_on(&world, &conversation, half_sent).await.expect("the rest is sent");
    let recorded = world.recorded();
    assert_eq!(recorded.sent.len(), 2, "the first part once, then the second");
    assert!(matches!(&recorded.sent[1], Outbound::Text { body, .. } if body == &"b".repeat(100)));
    let done = recorded.deliveries.last().expect("recorded");
    assert_eq!(done.status, DeliveryStatus::Sent);
    assert_eq!(done.sent_parts.len(), 2);
}

#[tokio::test]
async fn a_part_whose_answer_was_lost_is_not_sent_again_until_its_status_had_time_to_come() {
    let world = World::with_number(now(), number());
    let text = format!("{}\n\n{}", "a".repeat(4000), "b".repeat(100));
    {
        let mut recorded = world.recorded();
        recorded.send_answers.push_back(Ok("wamid.first".into()));
        recorded.send_answers.push_back(Err(GraphError::Timeout));
    }
    let conversation = conversation();
    let outcome = deliver_on(&world, &conversation, reply(&text)).await;
    assert!(matches!(outcome, Err(RetryLater::AwaitingStatus(wait)) if wait == CONFIRM_WITHIN), "{outcome:?}");
    let waiting = world.recorded().deliveries.last().cloned().expect("recorded");
    assert_eq!(waiting.sent_parts, vec!["wamid.first".to_owned()]);
    assert_eq!(waiting.unconfirmed_part, Some(UnconfirmedPart { index: 1, since: now() }));

    // Received again at once: nothing is sent (Meta would take it), it waits on.
    world.recorded().send_answers.push_back(Ok("wamid.duplicate".into()));
    let again = deliver_on(&world, &conversation, waiting.clone()).await;
    assert!(matches!(again, Err(RetryLater::AwaitingStatus(_))), "{again:?}");
    assert_eq!(world.recorded().sent.len(), 1, "the lost part is not sent again yet");

    // Its status came meanwhile (the webhook recorded its wamid): the reply is complete, nothing resent.
    let confirmed = Message {
        sent_parts: vec!["wamid.first".into(), "wamid.second".into()],
        unconfirmed_part: None,
        ..waiting.clone()
    };
    deliver_on(&world, &conversation, confirmed).await.expect("done");
    assert_eq!(world.recorded().sent.len(), 1, "nothing sent twice");
    assert_eq!(world.recorded().deliveries.last().map(|m| m.status), Some(DeliveryStatus::Sent));

    // No status in a minute: Meta did not take it, and it is sent again.
    let later = World::with_number(now() + time::Duration::seconds(61), number());
    later.recorded().send_answers.push_back(Ok("wamid.second".into()));
    deliver_on(&later, &conversation, waiting).await.expect("sent again");
    let recorded = later.recorded();
    assert_eq!(recorded.sent.len(), 1);
    assert!(
        matches!(&recorded.sent[0], Outbound::Text { body, callback: Some(c), .. } if body == &"b".repeat(100) && c.ends_with(":1"))
    );
    let done = recorded.deliveries.last().expect("recorded");
    assert_eq!((done.status, done.sent_parts.len(), done.unconfirmed_part), (DeliveryStatus::Sent, 2, None));
}

#[test]
fn a_callback_names_the_conversation_message_and_part_and_nothing_else_parses() {
    let conversation = ConversationId::generate();
    let message = MessageId::generate();
    let callback = UnconfirmedPart::callback(&conversation, &message, 3);
    assert_eq!(UnconfirmedPart::parse_callback(&callback), Some((conversation.clone(), message.clone(), 3)));
    for hostile in [
        "",
        "a:b:c",
        &format!("{conversation}:{message}"),
        &format!("{conversation}:{message}:x"),
        &format!("../x:{message}:1"),
    ] {
        assert_eq!(UnconfirmedPart::parse_callback(hostile), None, "{hostile}");
    }
}

#[tokio::test]
async fn a_reply_stored_before_a_takeover_or_after_the_window_closed_is_skipped_and_not_sent() {
    let world = World::with_number(now(), number());
    let mut taken_over = conversation();
    taken_over.takeover_until = Some(now() + time::Duration::minutes(30));
    deliver_on(&world, &taken_over, reply("Hello")).await.expect("recorded");
    let mut closed = conversation();
    closed.last_inbound_at = Some(now() - time::Duration::hours(25));
    deliver_on(&world, &closed, reply("Hello")).await.expect("recorded");

    let recorded = world.recorded();
    assert!(recorded.sent.is_empty());
    let reasons: Vec<_> = recorded
        .deliveries
        .iter()
        .map(|m| (m.status, m.error.as_ref().map(|e| e.message.clone()).unwrap_or_default()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (DeliveryStatus::Skipped, "a human took over before it was sent".to_owned()),
            (DeliveryStatus::Skipped, "the 24-hour window closed before it was sent".to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_number_that_left_the_workspace_fails_the_reply_without_sending_it() {
    let world = World::new(now());
    let conversation = conversation();
    deliver_on(&world, &conversation, reply("Hello")).await.expect("recorded, not retried");

    let recorded = world.recorded();
    assert!(recorded.sent.is_empty());
    let [failed] = recorded.deliveries.as_slice() else { panic!("one delivery") };
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert!(failed.error.as_ref().is_some_and(|e| e.message.contains("no longer registered")), "{failed:?}");
    assert_eq!(recorded.failures_marked, vec![conversation.id.clone()]);
}

#[tokio::test]
async fn an_api_conversation_s_reply_is_recorded_sent_without_whatsapp() {
    let world = World::new(now());
    let conversation = Conversation::start_api(&"ws".into(), "agent".into(), now());
    deliver_on(&world, &conversation, reply("Hello")).await.expect("recorded");

    let recorded = world.recorded();
    assert!(recorded.sent.is_empty());
    assert_eq!(recorded.deliveries.iter().map(|m| m.status).collect::<Vec<_>>(), vec![DeliveryStatus::Sent]);
}

#[tokio::test]
async fn a_reply_is_written_pending_with_its_tokens_the_preview_and_the_next_follow_up_and_analysis() {
    let world = World::new(now());
    let (policies, token) = (world.policies(), Secret("token".into()));
    let ports = world.ports(&policies, &token);
    let mut conversation = conversation();
    (conversation.input_tokens, conversation.cached_input_tokens, conversation.output_tokens) = (1000, 800, 500);
    let loaded = Loaded::new(conversation, Vec::new());
    // An answer thrown away earlier in the run (a newer message came in) still cost its tokens.
    let mut run = Run {
        discarded: Tokens { input_tokens: 7, cached_input_tokens: 5, output_tokens: 3, ..Tokens::default() },
        ..Run::default()
    };

    let written = write::write(&ports, &loaded, &agent(), answer("It is **free**."), None, &mut run).await;
    let Ok(Written::Saved(saved)) = written else { panic!("saved") };
    let (updated, message) = *saved;
    assert_eq!(message.status, DeliveryStatus::Pending);
    assert_eq!(message.text.as_deref(), Some("It is *free*."), "WhatsApp's marks, not Markdown");
    assert_eq!(
        message.usage.as_ref().map(|u| (u.input_tokens, u.cached_input_tokens, u.output_tokens)),
        Some((120, 100, 30))
    );
    assert_eq!(updated.revision, loaded.conversation.revision + 1);
    assert_eq!(updated.last_message.as_deref(), Some("It is *free*."));
    assert_eq!(
        (updated.input_tokens, updated.cached_input_tokens, updated.output_tokens),
        (1000 + 120 + 7, 800 + 100 + 5, 500 + 30 + 3)
    );
    assert_eq!(updated.follow_up_due_at, Some(now() + time::Duration::minutes(60)));
    assert_eq!(updated.analysis_due_at, Some(now() + time::Duration::minutes(30)));
    let recorded = world.recorded();
    let [(stored, messages)] = recorded.saved.as_slice() else { panic!("one write") };
    assert_eq!((stored, messages.as_slice()), (&updated, std::slice::from_ref(&message)));
    let [usage] = recorded.usage.as_slice() else { panic!("one usage delta") };
    let tokens = usage.tokens;
    assert_eq!(
        (tokens.input_tokens, tokens.cached_input_tokens, tokens.output_tokens, tokens.calls),
        (127, 105, 33, 1)
    );
    assert_eq!((usage.workspace_id.as_str(), usage.agent_id.as_str()), ("ws", "agent"));
}

#[tokio::test]
async fn a_reply_whose_write_loses_to_another_change_is_kept_as_a_draft_and_nothing_is_stored() {
    let world = World::new(now());
    world.recorded().conflict_next_save = true;
    let (policies, token) = (world.policies(), Secret("token".into()));
    let ports = world.ports(&policies, &token);
    let loaded = Loaded::new(conversation(), Vec::new());
    let mut run = Run::default();

    let written = write::write(&ports, &loaded, &agent(), answer("It is free."), None, &mut run).await;
    assert!(matches!(written, Ok(Written::Lost)));
    assert_eq!(run.draft.as_ref().map(|(draft, _, _)| draft.text.as_str()), Some("It is free."));
    assert!(world.recorded().saved.is_empty());
}

#[tokio::test]
async fn a_deliberate_non_reply_is_recorded_with_why_and_a_failure_marks_the_conversation() {
    let world = World::new(now());
    let (policies, token) = (world.policies(), Secret("token".into()));
    let ports = world.ports(&policies, &token);
    let conversation = conversation();
    skip(&ports, &conversation, "takeover", "a human has taken over this conversation").await.expect("recorded");
    fail(&ports, &conversation, "llm_refused", "the model refused").await.expect("recorded");

    let recorded = world.recorded();
    let markers: Vec<_> = recorded
        .saved
        .iter()
        .map(|(c, m)| (c.reply_failed_at.is_some(), m[0].status, m[0].error.as_ref().map(|e| e.message.clone())))
        .collect();
    assert_eq!(
        markers,
        vec![
            (false, DeliveryStatus::Skipped, Some("a human has taken over this conversation".to_owned())),
            (true, DeliveryStatus::Failed, Some("the model refused".to_owned())),
        ]
    );
    assert!(recorded.sent.is_empty());
    assert_eq!(
        recorded.measurements,
        [
            crate::metrics::Measurement::reply(&conversation.workspace_id, "skipped", "takeover"),
            crate::metrics::Measurement::reply(&conversation.workspace_id, "failed", "llm_refused"),
        ],
        "the operators' metrics count both, by reason"
    );
}

#[test]
fn what_a_failure_marker_left_unanswered_is_answered_next_and_the_marker_is_not_a_turn() {
    let conversation = conversation();
    let mut hello =
        Message::new(&conversation.id, Direction::Inbound, MessageKind::Text, DeliveryStatus::Received, now());
    hello.text = Some("Is it free?".into());
    let mut marker =
        Message::new(&conversation.id, Direction::Outbound, MessageKind::Text, DeliveryStatus::Failed, now());
    marker.error = Some(MessageError::failed("no reply after repeated failures: the LLM timed out"));
    let mut refused = reply("Here it is.");
    refused.status = DeliveryStatus::Failed;

    let after_marker = Loaded::new(conversation.clone(), vec![hello.clone(), marker.clone()]);
    let after_refused_reply = Loaded::new(conversation, vec![hello.clone(), refused]);

    assert_eq!(after_marker.unanswered().first().map(|m| &m.id), Some(&hello.id), "a redrive answers it");
    let turns = turns::turns(&after_marker.history);
    assert_eq!(turns.len(), 1, "the marker said nothing: {turns:?}");
    assert_eq!((turns[0].role, turns[0].content.as_str()), (ChatRole::User, "Is it free?"));
    assert!(after_refused_reply.unanswered().is_empty(), "a reply Meta refused was an answer: not written again");
}

#[tokio::test]
async fn a_trigger_given_up_on_records_why_on_its_conversation() {
    let conversation = conversation();
    let world = World::with_conversation(now(), conversation.clone());
    let (policies, token) = (world.policies(), Secret("token".into()));
    let turn = Turn { id: "t".into(), workspace_id: "ws".into(), conversation_id: conversation.id.clone() };
    give_up(&world.ports(&policies, &token), &turn, "the LLM timed out").await.expect("recorded");

    let recorded = world.recorded();
    let [(stored, markers)] = recorded.saved.as_slice() else { panic!("one write") };
    assert!(stored.reply_failed_at.is_some());
    assert_eq!(markers[0].status, DeliveryStatus::Failed);
    assert_eq!(
        markers[0].error.as_ref().map(|e| e.message.as_str()),
        Some("no reply after repeated failures: the LLM timed out")
    );
}

#[test]
fn a_text_of_exactly_the_limit_is_one_message() {
    let text = "word ".repeat(MAX_TEXT_CHARS / 5);
    let text = text.trim_end();
    let padded = format!("{text}{}", "x".repeat(MAX_TEXT_CHARS - text.chars().count()));
    assert_eq!(padded.chars().count(), MAX_TEXT_CHARS);
    assert_eq!(split_text(&padded, MAX_TEXT_CHARS), vec![padded.clone()]);
}
