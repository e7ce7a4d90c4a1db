//! What the console's pages show of a conversation, computed without I/O so that it is tested
//! alone: badges, the inbox's filters, the window's time left.

use std::collections::HashSet;

use time::{Duration, OffsetDateTime};

use crate::model::{Conversation, ConversationId};

/// The window is "closing" with less than this left.
pub const CLOSING_WITHIN: Duration = Duration::hours(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Badge {
    /// Taken over by a person, or a tool call waits for one.
    NeedsPerson,
    TakenOver,
    AwaitingApproval,
    ReplyFailed,
    WindowClosing,
    WindowClosed,
}

impl Badge {
    pub fn label(self) -> &'static str {
        match self {
            Badge::NeedsPerson => "needs a person",
            Badge::TakenOver => "taken over",
            Badge::AwaitingApproval => "approval pending",
            Badge::ReplyFailed => "reply failed",
            Badge::WindowClosing => "window closing",
            Badge::WindowClosed => "window closed",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Badge::NeedsPerson | Badge::TakenOver | Badge::AwaitingApproval => "badge person",
            Badge::ReplyFailed => "badge failed",
            Badge::WindowClosing => "badge closing",
            Badge::WindowClosed => "badge closed",
        }
    }
}

pub fn badges(conversation: &Conversation, awaiting_approval: bool, now: OffsetDateTime) -> Vec<Badge> {
    let mut badges = Vec::new();
    let taken_over = conversation.is_human_takeover(now);
    if taken_over || awaiting_approval {
        badges.push(Badge::NeedsPerson);
    }
    if taken_over {
        badges.push(Badge::TakenOver);
    }
    if awaiting_approval {
        badges.push(Badge::AwaitingApproval);
    }
    if conversation.reply_failed_at.is_some() {
        badges.push(Badge::ReplyFailed);
    }
    if conversation.channel.is_whatsapp() {
        let left = conversation.window_remaining(now);
        if left <= Duration::ZERO {
            badges.push(Badge::WindowClosed);
        } else if left < CLOSING_WITHIN {
            badges.push(Badge::WindowClosing);
        }
    }
    badges
}

/// The inbox's filters, as its links name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    NeedsPerson,
    TakenOver,
    Failed,
}

impl Filter {
    pub const ALL: [Filter; 4] = [Filter::All, Filter::NeedsPerson, Filter::TakenOver, Filter::Failed];

    pub fn parse(text: Option<&str>) -> Filter {
        match text {
            Some("needs-person") => Filter::NeedsPerson,
            Some("taken-over") => Filter::TakenOver,
            Some("failed") => Filter::Failed,
            _ => Filter::All,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::NeedsPerson => "needs-person",
            Filter::TakenOver => "taken-over",
            Filter::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Filter::All => "All",
            Filter::NeedsPerson => "Needs a person",
            Filter::TakenOver => "Taken over",
            Filter::Failed => "Failed replies",
        }
    }

    pub fn admits(self, badges: &[Badge]) -> bool {
        match self {
            Filter::All => true,
            Filter::NeedsPerson => badges.contains(&Badge::NeedsPerson),
            Filter::TakenOver => badges.contains(&Badge::TakenOver),
            Filter::Failed => badges.contains(&Badge::ReplyFailed),
        }
    }
}

/// Whether a conversation's contact matches a search: digits of the number, or the name.
pub fn matches_search(conversation: &Conversation, search: &str) -> bool {
    let search = search.trim();
    if search.is_empty() {
        return true;
    }
    let Some(contact) = conversation.contact() else { return false };
    let digits: String = search.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty() && contact.phone_number.contains(&digits))
        || contact.name.as_deref().is_some_and(|name| name.to_lowercase().contains(&search.to_lowercase()))
}

/// The conversations of the inbox, newest activity first, as filtered and searched.
pub fn inbox_rows<'a>(
    conversations: &'a [Conversation],
    awaiting: &HashSet<ConversationId>,
    filter: Filter,
    search: &str,
    now: OffsetDateTime,
) -> Vec<(&'a Conversation, Vec<Badge>)> {
    let mut rows: Vec<_> = conversations
        .iter()
        .filter(|c| matches_search(c, search))
        .map(|c| (c, badges(c, awaiting.contains(&c.id), now)))
        .filter(|(_, badges)| filter.admits(badges))
        .collect();
    rows.sort_by(|(a, _), (b, _)| b.updated_at.cmp(&a.updated_at).then_with(|| b.id.cmp(&a.id)));
    rows
}

/// Key names by prefix.
pub type Names = std::collections::HashMap<String, String>;

/// Who did something, as a person reads it: the key's name and prefix, or the prefix alone once
/// the key is gone.
pub fn person(names: &Names, prefix: &str) -> String {
    match names.get(prefix) {
        Some(name) => format!("{name} ({prefix})"),
        None => prefix.to_owned(),
    }
}

/// `3h 12m`, `42m`, `closed`.
pub fn time_left(left: Duration) -> String {
    if left <= Duration::ZERO {
        return "closed".into();
    }
    let minutes = left.whole_minutes();
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h {m:02}m"),
    }
}

/// `14:05` for today, `3 Dec 14:05` otherwise (UTC).
pub fn clock(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let (at, now) = (at.to_offset(time::UtcOffset::UTC), now.to_offset(time::UtcOffset::UTC));
    if at.date() == now.date() {
        format!("{:02}:{:02}", at.hour(), at.minute())
    } else {
        format!("{} {} {:02}:{:02}", at.day(), &at.month().to_string()[..3], at.hour(), at.minute())
    }
}

#[cfg(test)]
mod tests;
