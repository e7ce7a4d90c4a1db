//! Phone numbers in E.164, and WhatsApp's `wa_id` (the same digits without `+`).

/// Accepts `+15551234567`, `15551234567` and the same with spaces, dashes, dots or brackets;
/// returns `+` and 8–15 digits, the first not zero.
pub fn normalize_e164(input: &str) -> Option<String> {
    let trimmed = input.trim();
    let rest = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let mut digits = String::with_capacity(16);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    let valid = (8..=15).contains(&digits.len()) && !digits.starts_with('0');
    valid.then(|| format!("+{digits}"))
}

pub fn wa_id(e164: &str) -> String {
    e164.trim_start_matches('+').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_common_spellings_and_refuses_the_rest() {
        assert_eq!(normalize_e164("+1 (555) 123-4567").as_deref(), Some("+15551234567"));
        assert_eq!(normalize_e164("4915112345678").as_deref(), Some("+4915112345678"));
        for bad in ["", "+", "12345", "+0123456789", "555-CALL-NOW", "+1234567890123456", "++15551234567"] {
            assert_eq!(normalize_e164(bad), None, "{bad}");
        }
        assert_eq!(wa_id("+15551234567"), "15551234567");
    }
}
