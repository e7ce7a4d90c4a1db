use std::collections::HashSet;

use time::{Duration, OffsetDateTime};

use super::*;
use crate::model::{Channel, Contact};

fn now() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::days(400)
}

fn with_contact(id: &str, number: &str, name: Option<&str>, wrote_ago: Duration) -> Conversation {
    let mut conversation = Conversation::start_api(&"ws_1".into(), "agent_1".into(), now() - Duration::days(2));
    conversation.id = id.into();
    let contact = Contact {
        wa_id: number.trim_start_matches('+').into(),
        phone_number: number.into(),
        name: name.map(Into::into),
    };
    conversation.channel = Channel::WhatsApp { phone_number_id: "pn_1".into(), contact };
    conversation.last_inbound_at = Some(now() - wrote_ago);
    conversation.updated_at = now() - wrote_ago;
    conversation
}

#[test]
fn badges_say_who_must_act_and_how_long_the_window_has() {
    let fresh = with_contact("c1", "+15550001", None, Duration::minutes(5));
    assert_eq!(badges(&fresh, false, now()), Vec::<Badge>::new());

    let closing = with_contact("c2", "+15550002", None, Duration::hours(23) + Duration::minutes(30));
    assert_eq!(badges(&closing, false, now()), vec![Badge::WindowClosing]);
    let closed = with_contact("c3", "+15550003", None, Duration::hours(25));
    assert_eq!(badges(&closed, false, now()), vec![Badge::WindowClosed]);
    let at_the_edge = with_contact("c4", "+15550004", None, Duration::hours(23));
    assert_eq!(badges(&at_the_edge, false, now()), Vec::<Badge>::new(), "an hour left is not yet closing");

    let mut taken = with_contact("c5", "+15550005", None, Duration::minutes(5));
    taken.takeover_until = Some(now() + Duration::minutes(10));
    assert_eq!(badges(&taken, false, now()), vec![Badge::NeedsPerson, Badge::TakenOver]);
    let mut lapsed = taken.clone();
    lapsed.takeover_until = Some(now() - Duration::seconds(1));
    assert_eq!(badges(&lapsed, false, now()), Vec::<Badge>::new(), "a takeover that ran out is over");

    assert_eq!(badges(&fresh, true, now()), vec![Badge::NeedsPerson, Badge::AwaitingApproval]);
    let failed = Conversation { reply_failed_at: Some(now()), ..fresh.clone() };
    assert_eq!(badges(&failed, false, now()), vec![Badge::ReplyFailed]);
    assert!(
        Filter::Failed.admits(&badges(&failed, false, now())) && !Filter::Failed.admits(&badges(&fresh, false, now()))
    );
    let api = Conversation::start_api(&"ws_1".into(), "agent_1".into(), now() - Duration::days(3));
    assert_eq!(badges(&api, false, now()), Vec::<Badge>::new(), "an API conversation has no window");
}

#[test]
fn the_inbox_is_newest_activity_first_and_filters_and_searches() {
    let old = with_contact("c1", "+15550001", Some("Ana"), Duration::hours(3));
    let new = with_contact("c2", "+15550002", Some("Bo"), Duration::minutes(1));
    let mut taken = with_contact("c3", "+4915112345", None, Duration::hours(1));
    taken.takeover_until = Some(now() + Duration::minutes(5));
    let all = vec![old, new, taken];
    let awaiting: HashSet<ConversationId> = HashSet::from(["c1".into()]);
    let ids = |rows: Vec<(&Conversation, Vec<Badge>)>| rows.iter().map(|(c, _)| c.id.to_string()).collect::<Vec<_>>();

    assert_eq!(ids(inbox_rows(&all, &awaiting, Filter::All, "", now())), ["c2", "c3", "c1"]);
    assert_eq!(ids(inbox_rows(&all, &awaiting, Filter::NeedsPerson, "", now())), ["c3", "c1"]);
    assert_eq!(ids(inbox_rows(&all, &awaiting, Filter::TakenOver, "", now())), ["c3"]);
    assert_eq!(ids(inbox_rows(&all, &awaiting, Filter::All, "+49 151", now())), ["c3"]);
    assert_eq!(ids(inbox_rows(&all, &awaiting, Filter::All, "ana", now())), ["c1"]);
    assert!(inbox_rows(&all, &awaiting, Filter::All, "nobody", now()).is_empty());
}

#[test]
fn filters_round_trip_through_their_links() {
    for filter in Filter::ALL {
        assert_eq!(Filter::parse(Some(filter.as_str())), filter);
    }
    assert_eq!(Filter::parse(Some("<script>")), Filter::All);
    assert_eq!(Filter::parse(None), Filter::All);
}

#[test]
fn times_read_as_a_person_reads_them() {
    assert_eq!(time_left(Duration::minutes(192)), "3h 12m");
    assert_eq!(time_left(Duration::minutes(42)), "42m");
    assert_eq!(time_left(Duration::ZERO), "closed");
    assert_eq!(time_left(-Duration::minutes(5)), "closed");
    let today = now().replace_hour(14).and_then(|t| t.replace_minute(5)).unwrap_or(now());
    assert_eq!(clock(today, today + Duration::minutes(1)), "14:05");
    assert_eq!(
        clock(today - Duration::days(1), today),
        format!(
            "{} {} 14:05",
            (today - Duration::days(1)).day(),
            &(today - Duration::days(1)).month().to_string()[..3]
        )
    );
}

#[test]
fn a_decision_names_the_key_while_it_exists() {
    let names = Names::from([("clq_1a2b3c4d".to_owned(), "Dana at support".to_owned())]);
    assert_eq!(person(&names, "clq_1a2b3c4d"), "Dana at support (clq_1a2b3c4d)");
    assert_eq!(person(&names, "clq_revoked0"), "clq_revoked0");
}
