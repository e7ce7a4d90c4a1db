//! Input rules shared by every area: trimmed, length-checked text; a problem placed at the field
//! the API read it from.

use super::values::OutOfRange;

/// A field's value broke a rule of the model: which field, and what is wrong with it. The use
/// cases turn it into their error (`AppError::Validation`), the API into a 400 naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct InvalidField {
    pub field: String,
    pub problem: String,
}

impl InvalidField {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self { field: field.into(), problem: problem.into() }
    }

    /// A problem found within a value (its `field` relative to it: empty for the value itself,
    /// `[2].name`, `prompt_type`), placed under the field that holds the value.
    pub fn under(self, parent: &str) -> Self {
        let field = match self.field.as_str() {
            "" => parent.to_owned(),
            relative if relative.starts_with('[') => format!("{parent}{relative}"),
            relative => format!("{parent}.{relative}"),
        };
        Self { field, problem: self.problem }
    }
}

/// Trims a required text and checks its length in characters.
pub fn trimmed_text(value: &str, max_chars: usize) -> Result<String, OutOfRange> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length == 0 {
        return Err(OutOfRange::new("must not be empty"));
    }
    if length > max_chars {
        return Err(OutOfRange::new(format!("must be at most {max_chars} characters (got {length})")));
    }
    Ok(trimmed.to_owned())
}

/// `trimmed_text`, its problem given the field it came from.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> Result<String, InvalidField> {
    trimmed_text(value, max_chars).map_err(|problem| problem.at(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_within_a_value_is_placed_under_its_field() {
        let at = |relative: &str| InvalidField::new(relative, "x").under("tools").field;
        assert_eq!(at(""), "tools");
        assert_eq!(at("[2].name"), "tools[2].name");
        assert_eq!(at("lookup.requireApproval"), "tools.lookup.requireApproval");
    }

    #[test]
    fn required_text_is_trimmed_and_bounded_in_characters() {
        assert_eq!(required_text("name", "  Ada ", 3), Ok("Ada".to_owned()));
        assert_eq!(required_text("name", "   ", 3), Err(InvalidField::new("name", "must not be empty")));
        assert_eq!(
            required_text("name", "éééé", 3),
            Err(InvalidField::new("name", "must be at most 3 characters (got 4)"))
        );
    }
}
