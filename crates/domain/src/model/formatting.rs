//! LLMs write Markdown; WhatsApp renders its own marks (`*bold*`, `_italic_`, `~strike~`,
//! ```` ``` ```` monospace, `` `code` ``, `- ` and `1. ` lists, `> ` quotes) and shows the rest
//! as typed. This turns a model's Markdown into what WhatsApp shows as meant.

use std::sync::OnceLock;

use regex::Regex;

/// Private-use characters stand for a bold mark while italics are converted.
const BOLD: char = '\u{E000}';
const CODE: char = '\u{E001}';

struct Patterns {
    heading: Regex,
    bullet: Regex,
    rule: Regex,
    image: Regex,
    link: Regex,
    bold: Regex,
    italic_star: Regex,
    strike: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let compile = |pattern: &str| Regex::new(pattern).unwrap_or_else(|err| unreachable!("built-in pattern: {err}"));
        Patterns {
            heading: compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$"),
            bullet: compile(r"^(\s*)[*+]\s+"),
            rule: compile(r"^\s{0,3}([-*_])(\s*[-*_]){2,}\s*$"),
            image: compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)"),
            link: compile(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)"),
            bold: compile(r"\*\*(\S(?:.*?\S)?)\*\*|__(\S(?:.*?\S)?)__"),
            italic_star: compile(r"(^|[^\w*])\*(\S(?:[^*]*?\S)?)\*([^\w*]|$)"),
            strike: compile(r"~~(\S(?:.*?\S)?)~~"),
        }
    })
}

/// The text as WhatsApp should show it. Code blocks and inline code are left as they are.
pub fn markdown_to_whatsapp(markdown: &str) -> String {
    let clean: String = markdown.chars().filter(|c| *c != BOLD && *c != CODE).collect();
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in clean.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            out.push(line.trim_start().to_owned());
            continue;
        }
        if in_fence {
            out.push(line.to_owned());
            continue;
        }
        out.push(convert_line(line));
    }
    out.join("\n")
}

fn convert_line(line: &str) -> String {
    let p = patterns();
    if p.rule.is_match(line) {
        return String::new();
    }
    if let Some(heading) = p.heading.captures(line) {
        let title = inline(heading.get(1).map_or("", |m| m.as_str()));
        let title = title.trim_matches('*');
        return if title.is_empty() { String::new() } else { format!("*{title}*") };
    }
    let line = p.bullet.replace(line, "$1- ");
    inline(&line)
}

/// Inline marks, outside `code` spans.
fn inline(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(part);
        } else {
            out.push_str(&inline_marks(part));
        }
    }
    out
}

fn inline_marks(text: &str) -> String {
    let p = patterns();
    let text = p.image.replace_all(text, "$1 ($2)");
    let text = p.link.replace_all(&text, |caps: &regex::Captures| {
        let (label, url) = (caps.get(1).map_or("", |m| m.as_str()), caps.get(2).map_or("", |m| m.as_str()));
        if label == url {
            url.to_owned()
        } else {
            format!("{label} ({url})")
        }
    });
    let text = p.bold.replace_all(&text, |caps: &regex::Captures| {
        let inner = caps.get(1).or_else(|| caps.get(2)).map_or("", |m| m.as_str());
        format!("{BOLD}{inner}{BOLD}")
    });
    // Italics may sit next to one another (`*a* *b*`): two passes catch the shared boundary.
    let mut text = text.into_owned();
    for _ in 0..2 {
        text = p.italic_star.replace_all(&text, "${1}_${2}_${3}").into_owned();
    }
    let text = p.strike.replace_all(&text, "~$1~");
    text.replace(BOLD, "*")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn real_model_output_reads_as_meant_on_whatsapp() {
        let reply = "## Viewing options\n\nHere are the **available slots** for *Saturday*:\n\n* 10:00 – **Flat 2B**\n* 11:30 – ~~Flat 3A~~ (taken)\n1. Bring your ID\n\nBook here: [our calendar](https://example.com/book) or see https://example.com.\n\n---\n\nUse `REF-42` when you call. __Thanks!__";
        let expected = "*Viewing options*\n\nHere are the *available slots* for _Saturday_:\n\n- 10:00 – *Flat 2B*\n- 11:30 – ~Flat 3A~ (taken)\n1. Bring your ID\n\nBook here: our calendar (https://example.com/book) or see https://example.com.\n\n\n\nUse `REF-42` when you call. *Thanks!*";
        assert_eq!(markdown_to_whatsapp(reply), expected);
    }

    #[test]
    fn code_is_left_alone_and_plain_text_is_unchanged() {
        let code = "Run this:\n```\nlet **x** = *y*;\n```\nand `**not bold**`.";
        assert_eq!(markdown_to_whatsapp(code), code);
        let plain = "Hello! Is 3 * 4 = 12? Yes, 2*3 too. Email me at a_b_c@example.com";
        assert_eq!(markdown_to_whatsapp(plain), plain);
        assert_eq!(markdown_to_whatsapp("[https://x.io](https://x.io)"), "https://x.io");
        assert_eq!(markdown_to_whatsapp("# **Title**"), "*Title*");
    }

    proptest! {
        #[test]
        fn any_text_converts_without_panicking(text in "\\PC{0,200}") {
            let _ = markdown_to_whatsapp(&text);
        }

        #[test]
        fn text_without_marks_is_kept(text in "[a-zA-Z0-9 ,.!?éü]{0,80}") {
            prop_assert_eq!(markdown_to_whatsapp(&text), text.lines().collect::<Vec<_>>().join("\n"));
        }
    }
}
