//! Policies: a workspace's rules on what goes into and comes out of the LLM. A rule matches
//! keywords, regular expressions or built-in detectors, applies to input, output or both, and
//! logs, alerts or blocks.

use crate::model::ids::{ConversationId, PolicyId, WorkspaceId};
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detector {
    Email,
    Phone,
    /// A payment card number that passes the Luhn check.
    Card,
    /// Secret-looking tokens: API keys, access keys, bearer tokens.
    Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppliesTo {
    Input,
    Output,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Log,
    Alert,
    Block,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    Input,
    Output,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub id: PolicyId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub keywords: Vec<String>,
    /// Regular expressions (Rust syntax; linear-time, so no pattern can stall a request).
    pub patterns: Vec<String>,
    pub detectors: Vec<Detector>,
    pub applies_to: AppliesTo,
    pub action: Action,
    pub enabled: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Bumped by every write: a change is stored only over the revision it was made from, so
    /// that two concurrent changes of different fields both survive.
    pub revision: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub id: String,
    pub workspace_id: WorkspaceId,
    pub policy_id: PolicyId,
    pub policy_name: String,
    pub flow: Flow,
    pub action: Action,
    pub conversation_id: ConversationId,
    /// The text around the match, with the match masked.
    pub excerpt: String,
    pub created_at: OffsetDateTime,
}

/// Compiles a user pattern with limits on its size.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern).size_limit(1 << 20).dfa_size_limit(1 << 20).build().map_err(|err| err.to_string())
}

fn detector_regex(detector: Detector) -> &'static Regex {
    static EMAIL: OnceLock<Regex> = OnceLock::new();
    static PHONE: OnceLock<Regex> = OnceLock::new();
    static CARD: OnceLock<Regex> = OnceLock::new();
    static SECRET: OnceLock<Regex> = OnceLock::new();
    let (cell, pattern) = match detector {
        Detector::Email => (&EMAIL, r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
        Detector::Phone => (&PHONE, r"\+?\(?\d[\d\s().-]{6,}\d"),
        Detector::Card => (&CARD, r"\b(?:\d[ -]?){12,18}\d\b"),
        Detector::Secret => (
            &SECRET,
            r"\b(?:sk-[A-Za-z0-9_-]{20,}|sk-ant-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|clq_[0-9a-f]{8}_[0-9a-f]{64})\b",
        ),
    };
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|err| unreachable!("built-in detector pattern: {err}")))
}

/// A digit doubled, its two digits added (Luhn's rule for every second digit from the right).
const DOUBLED: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];

fn luhn_valid(digits: &str) -> bool {
    let digits: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { DOUBLED.get(d as usize).copied().unwrap_or(0) } else { d })
        .sum();
    sum.is_multiple_of(10)
}

/// Byte ranges of `text` that a detector finds.
pub fn detect(detector: Detector, text: &str) -> Vec<(usize, usize)> {
    detector_regex(detector)
        .find_iter(text)
        .filter(|m| match detector {
            Detector::Card => luhn_valid(m.as_str()),
            Detector::Phone => (8..=15).contains(&m.as_str().chars().filter(char::is_ascii_digit).count()),
            _ => true,
        })
        .map(|m| (m.start(), m.end()))
        .collect()
}

impl Policy {
    pub fn applies(&self, flow: Flow) -> bool {
        self.enabled
            && matches!(
                (self.applies_to, flow),
                (AppliesTo::Both, _) | (AppliesTo::Input, Flow::Input) | (AppliesTo::Output, Flow::Output)
            )
    }
}

/// A policy ready to evaluate: its keywords as one case-insensitive regex over escaped literals
/// and its patterns compiled, once per policy-set revision. Every range it returns is a range of
/// the text it was given (no offsets are carried between two strings), so slicing is safe.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    pub policy: Policy,
    keywords: Option<Regex>,
    patterns: Vec<Regex>,
}

impl CompiledPolicy {
    /// A stored pattern that no longer compiles (limits changed) fails here, loudly.
    pub fn new(policy: Policy) -> Result<Self, String> {
        let keywords: Vec<String> =
            policy.keywords.iter().filter(|k| !k.trim().is_empty()).map(|k| regex::escape(k.trim())).collect();
        let keywords = if keywords.is_empty() {
            None
        } else {
            let alternation = format!("(?i:{})", keywords.join("|"));
            Some(compile(&alternation).map_err(|err| format!("policy {}: keywords: {err}", policy.id))?)
        };
        let patterns = policy
            .patterns
            .iter()
            .map(|p| compile(p).map_err(|err| format!("policy {}: pattern: {err}", policy.id)))
            .collect::<Result<_, _>>()?;
        Ok(Self { policy, keywords, patterns })
    }

    /// The first match in `text`, as a byte range of `text` on char boundaries.
    pub fn first_match(&self, text: &str) -> Option<(usize, usize)> {
        let found = |regex: &Regex| regex.find(text).map(|m| (m.start(), m.end()));
        self.keywords
            .as_ref()
            .and_then(found)
            .or_else(|| self.patterns.iter().find_map(found))
            .or_else(|| self.policy.detectors.iter().find_map(|&d| detect(d, text).into_iter().next()))
    }
}

/// Up to 40 characters either side of the match, the match itself masked. A range that is not
/// on char boundaries of `text` masks the whole excerpt instead of panicking.
pub fn masked_excerpt(text: &str, (start, end): (usize, usize)) -> String {
    let (Some(before), Some(matched), Some(after)) = (text.get(..start), text.get(start..end), text.get(end..)) else {
        return "*".repeat(text.chars().count().min(32));
    };
    let before: String = before.chars().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
    let after: String = after.chars().take(40).collect();
    let mask = "*".repeat(matched.chars().count().min(32));
    format!("{before}{mask}{after}")
}

/// Masks every detector match, for logs and excerpts of other rules.
pub fn mask_all(text: &str) -> String {
    let mut masked = text.to_owned();
    for detector in [Detector::Card, Detector::Secret, Detector::Email, Detector::Phone] {
        let mut ranges = detect(detector, &masked);
        ranges.reverse();
        for (start, end) in ranges {
            // Ranges come from `detect` on this very string: on char boundaries.
            let Some(found) = masked.get(start..end) else { continue };
            let stars = "*".repeat(found.chars().count());
            masked.replace_range(start..end, &stars);
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn keyword_policy(keywords: &[&str]) -> CompiledPolicy {
        let now = OffsetDateTime::UNIX_EPOCH;
        CompiledPolicy::new(Policy {
            revision: 0,
            id: "pol_1".into(),
            workspace_id: "ws_1".into(),
            name: "words".into(),
            keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
            patterns: vec![r"order-\d+".into()],
            detectors: vec![Detector::Email, Detector::Card, Detector::Phone, Detector::Secret],
            applies_to: AppliesTo::Both,
            action: Action::Block,
            enabled: true,
            created_at: now,
            updated_at: now,
        })
        .expect("compiles")
    }

    #[test]
    fn unicode_that_changes_length_when_lower_cased_neither_panics_nor_hides_a_keyword() {
        let policy = keyword_policy(&["password"]);
        for text in ["İépasswordẞ", "İ my password is hunter2", "ẞẞẞ PASSWORD", "ǅ İ Password"] {
            let range = policy.first_match(text).unwrap_or_else(|| panic!("keyword found in {text:?}"));
            let excerpt = masked_excerpt(text, range);
            assert!(!excerpt.to_lowercase().contains("password"), "{excerpt}");
        }
        assert!(policy.first_match("passwor d").is_none());
    }

    proptest! {
        #[test]
        fn evaluation_and_masking_never_panic(text in "\\PC{0,80}", keyword in "\\PC{1,12}") {
            let policy = keyword_policy(&[keyword.as_str()]);
            if let Some(range) = policy.first_match(&text) {
                let _ = masked_excerpt(&text, range);
            }
            let _ = mask_all(&text);
            let _ = masked_excerpt(&text, (text.len(), text.len() + 3));
        }

        #[test]
        fn a_keyword_is_found_in_any_letter_case(
            before in "\\PC{0,30}",
            keyword in "[a-zA-Zéßüİ]{1,12}",
            after in "\\PC{0,30}",
            upper in any::<bool>(),
        ) {
            let policy = keyword_policy(&[keyword.as_str()]);
            let cased = if upper { keyword.to_uppercase() } else { keyword.to_lowercase() };
            // Case folding is per character: a keyword whose case change alters its letters
            // (ß → SS) is found in its own simple-folded forms.
            prop_assume!(cased.chars().count() == keyword.chars().count());
            let text = format!("{before}{cased}{after}");
            let found = policy.first_match(&text);
            prop_assert!(found.is_some(), "{keyword:?} in {text:?}");
        }
    }

    #[test]
    fn detectors_find_what_they_say_and_cards_need_luhn() {
        assert_eq!(detect(Detector::Email, "write to anna@example.co.uk please").len(), 1);
        assert_eq!(detect(Detector::Card, "card 4111 1111 1111 1111 ok").len(), 1);
        assert!(detect(Detector::Card, "order 4111 1111 1111 1112").is_empty(), "fails Luhn");
        assert_eq!(detect(Detector::Phone, "call +49 151 1234 5678").len(), 1);
        assert!(detect(Detector::Phone, "in 2026").is_empty());
        assert_eq!(detect(Detector::Secret, "key sk-abcdefghijklmnopqrstuvwxyz123456").len(), 1);
        assert_eq!(detect(Detector::Secret, "AKIAIOSFODNN7EXAMPLE").len(), 1);
    }

    #[test]
    fn a_pattern_compiles_up_to_a_mebibyte_and_no_further() {
        assert!(compile(r"[a-z0-9]{200}").is_ok(), "an ordinary pattern");
        assert!(compile(r"\w{8}").is_ok(), "a short Unicode one");
        assert!(compile(r"\w{5000}").is_err(), "too large once compiled");
    }

    #[test]
    fn the_luhn_check_accepts_real_card_numbers_and_refuses_one_digit_off_and_wrong_lengths() {
        let valid = [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "6011111111111117",
            "4012888888881881",
            "30569309025904",
            "4222222222222",
            "6759649826438453",
        ];
        for card in valid {
            assert!(luhn_valid(card), "{card} is valid");
            let last = card.chars().last().and_then(|c| c.to_digit(10)).unwrap_or(0);
            let off = format!("{}{}", &card[..card.len() - 1], (last + 1) % 10);
            assert!(!luhn_valid(&off), "{off} is one digit off");
        }
        assert!(!luhn_valid("000000000000"), "12 digits: too short, though its sum is 0");
        assert!(luhn_valid("0000000000000"), "13 digits whose sum is 0");
        assert!(luhn_valid("0000000000000000000"), "19 digits");
        assert!(!luhn_valid("00000000000000000000"), "20 digits: too long");
    }

    #[test]
    fn each_detector_masks_its_own_and_leaves_ordinary_numbers() {
        assert_eq!(mask_all("call +49 151 1234 5678 today"), "call +**************** today");
        assert_eq!(mask_all("mail anna@example.com now"), "mail **************** now");
        assert_eq!(mask_all("card 4111 1111 1111 1111."), "card *******************.");
        assert_eq!(mask_all("key AKIAIOSFODNN7EXAMPLE!"), "key ********************!");
        assert_eq!(mask_all("in 2026 we had 1234567 guests"), "in 2026 we had 1234567 guests");
        assert_eq!(detect(Detector::Phone, "+1 234 5678 9012 3456 7890"), Vec::<(usize, usize)>::new(), "16 digits");
        assert_eq!(detect(Detector::Phone, "call 1234 5678"), vec![(5, 14)], "8 digits");
        assert_eq!(detect(Detector::Email, "a@b.c"), Vec::<(usize, usize)>::new(), "no top-level domain of 2+");
        assert_eq!(detect(Detector::Secret, "sk-short"), Vec::<(usize, usize)>::new());
    }

    #[test]
    fn a_policy_applies_to_its_flows_only_while_enabled() {
        let mut policy = keyword_policy(&["x"]).policy;
        for (applies_to, input, output) in
            [(AppliesTo::Both, true, true), (AppliesTo::Input, true, false), (AppliesTo::Output, false, true)]
        {
            policy.applies_to = applies_to;
            policy.enabled = true;
            assert_eq!((policy.applies(Flow::Input), policy.applies(Flow::Output)), (input, output), "{applies_to:?}");
            policy.enabled = false;
            assert_eq!((policy.applies(Flow::Input), policy.applies(Flow::Output)), (false, false), "disabled");
        }
    }

    #[test]
    fn an_excerpt_keeps_forty_characters_either_side_and_at_most_thirty_two_stars() {
        let before = "b".repeat(50);
        let after = "a".repeat(50);
        let secret = "s".repeat(40);
        let text = format!("{before}{secret}{after}");
        let excerpt = masked_excerpt(&text, (50, 90));
        assert_eq!(excerpt, format!("{}{}{}", "b".repeat(40), "*".repeat(32), "a".repeat(40)));
        assert_eq!(masked_excerpt("abc", (1, 2)), "a*c");
        assert_eq!(masked_excerpt("é", (1, 2)), "*", "a range off char boundaries masks it all");
    }

    #[test]
    fn the_first_match_is_a_keyword_then_a_pattern_then_a_detector() {
        let policy = keyword_policy(&["refund"]);
        assert_eq!(policy.first_match("order-12 anna@example.com refund"), Some((26, 32)));
        assert_eq!(policy.first_match("anna@example.com order-12"), Some((17, 25)));
        assert_eq!(policy.first_match("write anna@example.com"), Some((6, 22)));
        assert_eq!(policy.first_match("nothing here"), None);
        let blank = keyword_policy(&["  ", ""]);
        assert_eq!(blank.first_match("  "), None, "blank keywords match nothing");
    }

    #[test]
    fn excerpts_mask_the_match() {
        let text = "my card is 4111 1111 1111 1111, thanks";
        let range = detect(Detector::Card, text)[0];
        let excerpt = masked_excerpt(text, range);
        assert_eq!(excerpt, "my card is *******************, thanks");
        assert!(!mask_all(text).contains("4111"));
    }
}
