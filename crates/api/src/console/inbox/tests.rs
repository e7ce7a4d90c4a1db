//! The inbox's markup: what contacts wrote is always text.

use std::collections::{HashMap, HashSet};

use time::OffsetDateTime;

use super::*;
use crate::console::layout::{error_page, field_error};
use crate::model::{Channel, Contact};

fn hostile_inbox(now: OffsetDateTime) -> Loaded {
    let mut conversation = Conversation::start_api(&"ws_1".into(), "agent_1".into(), now);
    let contact = Contact {
        wa_id: "15550001".into(),
        phone_number: "+15550001".into(),
        name: Some(r#"<script>alert("name")</script>"#.into()),
    };
    conversation.channel = Channel::WhatsApp { phone_number_id: "pn".into(), contact };
    conversation.last_inbound_at = Some(now);
    conversation.last_message = Some(r#"<img src=x onerror="alert(1)"> & <b>bold</b>"#.into());
    let agents = HashMap::from([(AgentId::from("agent_1"), "<i>Agent</i>".to_owned())]);
    Loaded { conversations: vec![conversation], awaiting: HashSet::new(), agents, since: r#""><script>"#.into() }
}

#[test]
fn a_contact_s_name_and_message_and_an_agent_s_name_stay_text() {
    let now = OffsetDateTime::UNIX_EPOCH;
    let html = list(&hostile_inbox(now), Filter::All, "", now.unix_timestamp(), now).into_string();
    for raw in ["<script>", "<img", "<b>", "<i>", "onerror=\"alert"] {
        assert!(!html.contains(raw), "{raw} came through as markup: {html}");
    }
    assert!(html.contains("&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;"), "{html}");
    assert!(html.contains("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"), "{html}");
    assert!(html.contains("&lt;i&gt;Agent&lt;/i&gt;"));
    assert_eq!(html.matches(r#"data-testid="inbox-row""#).count(), 1);
    let searched = list(&hostile_inbox(now), Filter::All, r#""><q>"#, 0, now).into_string();
    assert!(
        searched.contains("q=%22%3E%3Cq%3E") && !searched.contains("<q>"),
        "a search is carried encoded: {searched}"
    );
}

#[test]
fn errors_are_text_beside_their_field_and_on_their_page() {
    let beside = field_error(Some("prompt: <b>must not be empty</b>")).into_string();
    assert_eq!(
        beside,
        r#"<p class="field-error" role="alert" data-testid="field-error">prompt: &lt;b&gt;must not be empty&lt;/b&gt;</p>"#
    );
    assert_eq!(field_error(None).into_string(), "");
    let page = error_page("Not <found>", "conversation `<x>` not found", None).into_string();
    assert!(page.contains("Not &lt;found&gt;") && page.contains("`&lt;x&gt;`") && !page.contains("<x>"));
}
