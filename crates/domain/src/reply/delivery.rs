//! Sending a stored reply, part by part, and recording why no reply was sent.

use super::*;
use crate::conversations::model::UnconfirmedPart;
use crate::events::model::MessageSent;
use time::OffsetDateTime;

/// Splits at paragraph or word boundaries so that every part fits in one WhatsApp message.
pub fn split_text(text: &str, max_chars: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while rest.chars().count() > max_chars {
        let limit = rest.char_indices().nth(max_chars).map(|(i, _)| i).unwrap_or(rest.len());
        let head = &rest[..limit];
        let cut = head
            .rfind("\n\n")
            .or_else(|| head.rfind('\n'))
            .or_else(|| head.rfind(' '))
            .filter(|&i| i > 0)
            .unwrap_or(limit);
        parts.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

/// Records a deliberate non-reply so that the messages before it count as handled and the
/// conversation says why.
/// `code` names the reason in the operators' metrics (`takeover`, `window_closed`…).
pub(super) async fn skip(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    code: &'static str,
    why: &str,
) -> Result<(), RetryLater> {
    tracing::info!(conversation = %conversation.id, reason = why, "no reply sent");
    ports.metrics.record(Measurement::reply(&conversation.workspace_id, "skipped", code));
    record_no_reply(ports, conversation, DeliveryStatus::Skipped, why).await
}

/// A reply that cannot be made (the LLM refused the request for good, or the trigger failed its
/// last try): recorded as a `failed` reply with the reason, where an operator looks.
pub(super) async fn fail(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    code: &'static str,
    why: &str,
) -> Result<(), RetryLater> {
    tracing::warn!(conversation = %conversation.id, reason = why, "no reply could be made");
    ports.metrics.record(Measurement::reply(&conversation.workspace_id, "failed", code));
    record_no_reply(ports, conversation, DeliveryStatus::Failed, why).await
}

/// On a trigger's last receive before the dead-letter queue: the conversation says why it got no
/// answer.
pub async fn give_up(ports: &ReplyPorts<'_>, turn: &Turn, reason: &str) -> Result<(), RetryLater> {
    let Some(conversation) = ports.conversations.get_conversation(&turn.workspace_id, &turn.conversation_id).await?
    else {
        return Ok(());
    };
    fail(ports, &conversation, "gave_up", &format!("no reply after repeated failures: {reason}")).await
}

pub(super) async fn record_no_reply(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    status: DeliveryStatus,
    why: &str,
) -> Result<(), RetryLater> {
    let mut marker = Message::new(&conversation.id, Direction::Outbound, MessageKind::Text, status, ports.clock.now());
    marker.error = Some(MessageError::skipped(why));
    let mut updated = conversation.revised(marker.created_at);
    if status == DeliveryStatus::Failed {
        updated.reply_failed_at = Some(marker.created_at);
    }
    match ports.conversations.save_conversation(&updated, Some(conversation.revision), &[marker]).await {
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// How long a part whose answer was lost waits for its status webhook before it is sent again.
/// Meta sends `sent` within seconds of accepting a message; a minute without one means it did
/// not take it.
pub const CONFIRM_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

/// A part whose answer was lost: how much longer to wait for its status (`None`: go on —
/// confirmed meanwhile, or waited long enough and it is sent again).
fn awaiting_status(message: &mut Message, now: OffsetDateTime) -> Option<std::time::Duration> {
    let unconfirmed = message.unconfirmed_part?;
    let confirmed = message.sent_parts.len() > unconfirmed.index as usize;
    let waited = (now - unconfirmed.since).try_into().unwrap_or(std::time::Duration::ZERO);
    if confirmed || waited >= CONFIRM_WITHIN {
        if !confirmed {
            tracing::warn!(message = %message.id, part = unconfirmed.index, "no status for a part whose answer was lost; sending it again");
        }
        message.unconfirmed_part = None;
        return None;
    }
    Some(CONFIRM_WITHIN - waited)
}

/// Sends a stored reply, part by part, resuming after the parts already sent.
pub(super) async fn deliver(
    ports: &ReplyPorts<'_>,
    conversation: &Conversation,
    mut message: Message,
) -> Result<(), RetryLater> {
    let now = ports.clock.now();
    if conversation.is_human_takeover(now) || !conversation.is_window_open(now) {
        message.status = DeliveryStatus::Skipped;
        let why = if conversation.is_human_takeover(now) {
            "a human took over before it was sent"
        } else {
            "the 24-hour window closed before it was sent"
        };
        message.error = Some(MessageError::skipped(why));
        ports.conversations.record_delivery(&conversation.workspace_id, &message).await?;
        let code = if conversation.is_human_takeover(now) { "takeover" } else { "window_closed" };
        ports.metrics.record(Measurement::reply(&conversation.workspace_id, "skipped", code));
        return Ok(());
    }
    if !conversation.channel.is_whatsapp() {
        message.status = DeliveryStatus::Sent;
        ports.conversations.record_delivery(&conversation.workspace_id, &message).await?;
        // A test run's replies are not the workspace's traffic.
        if !conversation.channel.is_test() {
            ports.metrics.record(Measurement::reply(&conversation.workspace_id, "sent", "none"));
        }
        return Ok(());
    }
    let from = match sender_of(&ports.senders, conversation).await {
        Ok(from) => from,
        Err(SenderError::Refused(why)) => {
            message.status = DeliveryStatus::Failed;
            message.error = Some(MessageError::failed(why));
            ports.conversations.record_delivery(&conversation.workspace_id, &message).await?;
            ports
                .conversations
                .mark_reply_failed(&conversation.workspace_id, &conversation.id, ports.clock.now())
                .await?;
            ports.metrics.record(Measurement::reply(&conversation.workspace_id, "failed", "sender_refused"));
            return Ok(());
        }
        Err(SenderError::Unavailable(why)) => return Err(RetryLater::Busy(why)),
    };
    if let Some(wait) = awaiting_status(&mut message, now) {
        return Err(RetryLater::AwaitingStatus(wait));
    }
    let parts = split_text(message.text.as_deref().unwrap_or_default(), MAX_TEXT_CHARS);
    let mut failure = None;
    let sending = std::time::Instant::now();
    for (index, part) in parts.iter().enumerate().skip(message.sent_parts.len()) {
        let to = conversation.party().map(|(_, contact)| contact.wa_id.clone()).unwrap_or_default();
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        let callback = Some(UnconfirmedPart::callback(&conversation.id, &message.id, index));
        let outbound = Outbound::Text { to, body: part.clone(), callback };
        match send_with_retry(ports.whatsapp, &from, &outbound, SEND_ATTEMPTS).await {
            Ok(wamid) => message.sent_parts.push(wamid),
            Err(err) => {
                if err.may_have_arrived() {
                    message.unconfirmed_part = Some(UnconfirmedPart { index, since: ports.clock.now() });
                }
                failure = Some(err);
                break;
            }
        }
    }
    message.wamid = message.sent_parts.first().cloned();
    match failure {
        None => {
            message.status = DeliveryStatus::Sent;
            let event = MessageSent {
                message_id: message.id.clone(),
                wamid: message.wamid.clone(),
                to: conversation.party().map(|(_, contact)| contact.phone_number.clone()).unwrap_or_default(),
                text: message.text.clone(),
            };
            emit_quietly(&ports.events, &conversation.workspace_id, &conversation.id, &event).await;
        }
        Some(err) if err.may_have_arrived() => {
            // Not sent again now: Meta may have it. Its status confirms it, or after
            // `CONFIRM_WITHIN` without one it is sent again.
            tracing::warn!(conversation = %conversation.id, error = %err, "a part's answer was lost; waiting for its status");
            ports.conversations.record_delivery(&conversation.workspace_id, &message).await?;
            return Err(RetryLater::AwaitingStatus(CONFIRM_WITHIN));
        }
        Some(err) if err.is_retryable() => {
            if !message.sent_parts.is_empty() {
                ports.conversations.record_delivery(&conversation.workspace_id, &message).await?;
            }
            return Err(RetryLater::WhatsApp(err));
        }
        Some(err) => {
            tracing::warn!(conversation = %conversation.id, code = ?err.code(), "WhatsApp refused the reply for good");
            message.status = DeliveryStatus::Failed;
            message.error = Some(MessageError::whatsapp(err.code().unwrap_or(0), err.to_string()));
        }
    }
    ports.conversations.record_delivery(&conversation.workspace_id, &message).await?;
    if message.status == DeliveryStatus::Failed {
        ports.conversations.mark_reply_failed(&conversation.workspace_id, &conversation.id, ports.clock.now()).await?;
        ports.metrics.record(Measurement::reply(&conversation.workspace_id, "failed", "meta_refused"));
    } else {
        ports.metrics.record(Measurement::reply_sent(&conversation.workspace_id, sending.elapsed().as_millis()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_splits_at_boundaries_within_the_limit() {
        let text = format!("{}\n\n{}", "a".repeat(3000), "b ".repeat(1500));
        let parts = split_text(&text, MAX_TEXT_CHARS);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_TEXT_CHARS));
        assert_eq!(parts[0], "a".repeat(3000));
        let unbroken = "x".repeat(9000);
        let parts = split_text(&unbroken, MAX_TEXT_CHARS);
        assert_eq!(parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), vec![4096, 4096, 808]);
        assert_eq!(split_text("short", MAX_TEXT_CHARS), vec!["short"]);
    }

    proptest::proptest! {
        #[test]
        fn any_text_splits_into_parts_within_the_limit_losing_nothing(text in "\\PC{0,300}", max in 1usize..40) {
            let parts = split_text(&text, max);
            for part in &parts {
                proptest::prop_assert!(!part.is_empty() && part.chars().count() <= max, "{part:?}");
            }
            let kept: String = parts.concat().chars().filter(|c| !c.is_whitespace()).collect();
            let given: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            proptest::prop_assert_eq!(kept, given);
        }
    }
}
