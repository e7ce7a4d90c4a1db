//! The gate's decisions on plain histories: what is unanswered, what goes first, how long a
//! burst is waited out.

use time::OffsetDateTime;

use super::*;
use crate::model::ErrorReason;

fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(seconds)
}

fn message(id: &str, direction: Direction, status: DeliveryStatus, seconds: i64) -> Message {
    let mut message = Message::new(&"conv".into(), direction, MessageKind::Text, status, at(seconds));
    message.id = id.into();
    message.text = Some(id.to_owned());
    message
}

fn conversation(session_started: i64) -> Conversation {
    Conversation::start_api(&"ws".into(), "agent".into(), at(session_started))
}

#[test]
fn what_came_after_the_last_reply_is_unanswered() {
    let history = vec![
        message("hi", Direction::Inbound, DeliveryStatus::Received, 1),
        message("hello", Direction::Outbound, DeliveryStatus::Sent, 2),
        message("question", Direction::Inbound, DeliveryStatus::Received, 3),
        message("more", Direction::Inbound, DeliveryStatus::Received, 4),
    ];
    let loaded = Loaded::new(conversation(0), history);
    let ids: Vec<_> = loaded.unanswered().iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["question", "more"]);
    assert!(has_unanswered(loaded.unanswered()));
    assert_eq!(loaded.newest().as_deref(), Some("more"));
    assert!(loaded.pending_reply().is_none());
}

#[test]
fn a_reply_stored_but_not_sent_goes_first_and_a_blocked_message_is_not_answered() {
    let mut blocked = message("blocked", Direction::Inbound, DeliveryStatus::Received, 3);
    blocked.error = Some(MessageError { code: 0, reason: ErrorReason::PolicyBlocked, message: "blocked".into() });
    let history = vec![
        message("hi", Direction::Inbound, DeliveryStatus::Received, 1),
        message("half-sent", Direction::Outbound, DeliveryStatus::Pending, 2),
        blocked,
    ];
    let loaded = Loaded::new(conversation(0), history);
    assert_eq!(loaded.pending_reply().map(|m| m.id), Some("half-sent".into()));
    assert!(!has_unanswered(loaded.unanswered()), "only a blocked message since the reply");
}

#[test]
fn the_agent_s_messages_before_the_session_are_forgotten_but_the_contact_s_are_kept() {
    let history = vec![
        message("old reply", Direction::Outbound, DeliveryStatus::Sent, 1),
        message("old question", Direction::Inbound, DeliveryStatus::Received, 2),
        message("new", Direction::Inbound, DeliveryStatus::Received, 20),
    ];
    let loaded = Loaded::new(conversation(10), history);
    let ids: Vec<_> = loaded.history.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["old question", "new"]);
    assert_eq!(loaded.unanswered().len(), 2, "no reply in this session yet");
}

#[test]
fn a_burst_is_waited_out_for_what_is_left_of_the_quiet_period() {
    let quiet = Duration::from_secs(5);
    assert_eq!(wait_left(quiet, at(10), at(12)), Some(Duration::from_secs(3)));
    assert_eq!(wait_left(quiet, at(10), at(15)), None, "exactly quiet long enough");
    assert_eq!(wait_left(quiet, at(10), at(40)), None);
    assert_eq!(wait_left(quiet, at(10), at(9)), Some(quiet), "a clock behind the message waits it all");
    assert_eq!(wait_left(Duration::ZERO, at(10), at(10)), None, "no quiet period");
}

#[test]
fn attempts_may_wait_only_early_and_the_fifth_is_the_last() {
    let waits: Vec<bool> = (1..=5).map(|n| Attempt::receive(n).may_wait()).collect();
    assert_eq!(waits, [true, true, false, false, false]);
    let last: Vec<bool> = (1..=6).map(|n| Attempt::receive(n).is_last()).collect();
    assert_eq!(last, [false, false, false, false, true, true]);
    assert_eq!(Attempt::receive(0), Attempt::receive(1), "a missing count is the first receive");
}
