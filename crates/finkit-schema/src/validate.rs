//! Structured validation: every broken rule is reported, not just the first.

use chrono::NaiveDate;

use crate::SchemaError;
use crate::limits::{MAX_TEXT_BYTES, plausible_date};

/// A text quoted with its control characters escaped, cut to its first 40 characters.
fn preview(value: &str) -> String {
    let head: String = value.chars().take(40).collect();
    if head.len() < value.len() { format!("{head:?}…") } else { format!("{head:?}") }
}

/// One broken rule of an entity.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Violation {
    /// The field (or fields, joined by `+`) that broke the rule.
    pub field: String,
    /// The rule's stable name, for example `balance_sheet_identity`.
    pub rule: &'static str,
    /// The offending value as text (numbers keep their full precision).
    pub value: String,
}

impl Violation {
    /// Builds a violation.
    pub fn new(field: impl Into<String>, rule: &'static str, value: impl ToString) -> Self {
        Violation { field: field.into(), rule, value: value.to_string() }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} breaks {} (value {})", self.field, self.rule, self.value)
    }
}

pub(crate) fn describe(violations: &[Violation]) -> String {
    violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// An entity that can check its own business rules.
///
/// Newtypes already guarantee their ranges; `validate` checks the rules that span fields
/// (the balance-sheet identity, dates in order) and the fields that are plain numbers.
pub trait Validate {
    /// The entity's name in error messages.
    const ENTITY: &'static str;

    /// Every rule this value breaks; empty when it is valid. Never panics, whatever the numbers.
    fn validate(&self) -> Vec<Violation>;

    /// `Ok(())` when valid, otherwise [`SchemaError::Invalid`] listing every violation.
    ///
    /// # Errors
    ///
    /// [`SchemaError::Invalid`].
    fn check(&self) -> Result<(), SchemaError> {
        let violations = self.validate();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(SchemaError::Invalid { entity: Self::ENTITY, violations })
        }
    }
}

/// Collects violations for plain-number fields.
#[derive(Debug, Default)]
pub(crate) struct Checker {
    pub(crate) violations: Vec<Violation>,
}

impl Checker {
    pub(crate) fn finite(&mut self, field: &str, value: f64) -> bool {
        if value.is_finite() {
            true
        } else {
            self.violations.push(Violation::new(field, "finite", value));
            false
        }
    }

    pub(crate) fn non_negative(&mut self, field: &str, value: f64) {
        if self.finite(field, value) && value < 0.0 {
            self.violations.push(Violation::new(field, "non_negative", value));
        }
    }

    /// A free-text field: at most [`MAX_TEXT_BYTES`], no control characters (a tab is allowed,
    /// and a line break where `multiline`). The value is quoted and cut short in the violation.
    pub(crate) fn text(&mut self, field: &str, value: &str, multiline: bool) {
        if value.len() > MAX_TEXT_BYTES {
            self.push(field, "max_text_bytes", format!("{} bytes", value.len()));
        }
        let allowed = |c: char| c == '\t' || (multiline && (c == '\n' || c == '\r'));
        if let Some(bad) = value.chars().find(|&c| c.is_control() && !allowed(c)) {
            self.push(field, "no_control_characters", format!("{:?} in {}", bad, preview(value)));
        }
    }

    /// A date of an entity: its year within the plausible range of [`plausible_date`].
    pub(crate) fn date(&mut self, field: &str, value: NaiveDate) {
        if !plausible_date(value) {
            self.push(field, "plausible_year", value);
        }
    }

    pub(crate) fn push(&mut self, field: &str, rule: &'static str, value: impl ToString) {
        self.violations.push(Violation::new(field, rule, value));
    }
}
