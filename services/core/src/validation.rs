//! Field-level validation at the edge: limits, and a collector of violations
//! that becomes INVALID_ARGUMENT with `BadRequest` details.

use crate::taxonomy::Taxonomy;

/// Limits on what a record may hold. Larger input is rejected, not truncated.
pub mod limits {
    pub const NAME_MAX_CHARS: usize = 200;
    pub const DESCRIPTION_MAX_CHARS: usize = 5_000;
    pub const TERMS_MAX_CHARS: usize = 2_000;
    pub const SHORT_TEXT_MAX_CHARS: usize = 200;
    pub const KEYWORD_MAX_CHARS: usize = 50;
    pub const LIST_MAX_ITEMS: usize = 20;
    pub const TRL_MAX: u32 = 9;
    pub const COMPETENCY_WEIGHT_MAX: u32 = 10;
    pub const ID_MAX_CHARS: usize = 64;
    pub const DEFAULT_PAGE_SIZE: u32 = 50;
    pub const MAX_PAGE_SIZE: u32 = 500;
}

/// One invalid field: its path in the request (e.g. `need.keywords[2]`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

/// The violations found in one request; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations(pub Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, description: impl Into<String>) -> Self {
        let mut v = Self::new();
        v.add(field, description);
        v
    }

    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation { field: field.into(), description: description.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was violated.
    pub fn into_result<T>(self, value: T) -> Result<T, Violations> {
        if self.is_empty() { Ok(value) } else { Err(self) }
    }

    /// Checks free text: required or not, length in characters, no NUL.
    pub fn text(&mut self, field: &str, value: &str, max_chars: usize, required: bool) {
        if required && value.trim().is_empty() {
            self.add(field, "must not be empty");
            return;
        }
        let chars = value.chars().count();
        if chars > max_chars {
            self.add(field, format!("is {chars} characters long; the limit is {max_chars}"));
        }
        if value.contains('\0') {
            self.add(field, "must not contain NUL characters");
        }
    }

    /// Checks a list of short strings: item count, each item non-empty and short.
    pub fn keywords(&mut self, field: &str, values: &[String]) {
        if values.len() > limits::LIST_MAX_ITEMS {
            self.add(field, format!("has {} items; the limit is {}", values.len(), limits::LIST_MAX_ITEMS));
            return;
        }
        for (i, value) in values.iter().enumerate() {
            self.text(&format!("{field}[{i}]"), value, limits::KEYWORD_MAX_CHARS, true);
        }
    }

    /// Checks a list of taxonomy codes with `known` telling which exist.
    pub fn codes(&mut self, field: &str, values: &[String], what: &str, known: impl Fn(&str) -> bool) {
        if values.len() > limits::LIST_MAX_ITEMS {
            self.add(field, format!("has {} items; the limit is {}", values.len(), limits::LIST_MAX_ITEMS));
            return;
        }
        for (i, value) in values.iter().enumerate() {
            if !known(value) {
                self.add(format!("{field}[{i}]"), format!("unknown {what} code {value:?}"));
            }
        }
    }

    pub fn high_tech_fields(&mut self, field: &str, values: &[String]) {
        let taxonomy = Taxonomy::get();
        self.codes(field, values, "high-tech field", |c| taxonomy.high_tech_field(c).is_some());
    }

    pub fn industries(&mut self, field: &str, values: &[String]) {
        let taxonomy = Taxonomy::get();
        self.codes(field, values, "industry", |c| taxonomy.industry(c).is_some());
    }

    pub fn regions(&mut self, field: &str, values: &[String]) {
        let taxonomy = Taxonomy::get();
        self.codes(field, values, "region", |c| taxonomy.region(c).is_some());
    }

    /// A single region code; empty is allowed when `required` is false.
    pub fn region(&mut self, field: &str, value: &str, required: bool) {
        if value.is_empty() {
            if required {
                self.add(field, "must not be empty");
            }
        } else if Taxonomy::get().region(value).is_none() {
            self.add(field, format!("unknown region code {value:?}"));
        }
    }

    pub fn trl(&mut self, field: &str, value: u32) {
        if value > limits::TRL_MAX {
            self.add(field, format!("technology readiness level {value} is outside 0..={}", limits::TRL_MAX));
        }
    }

    /// Checks a record id sent by a client.
    pub fn id(&mut self, field: &str, value: &str) {
        if value.is_empty() {
            self.add(field, "must not be empty");
        } else if value.len() > limits::ID_MAX_CHARS
            || !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            self.add(field, "is not a valid id");
        }
    }
}

impl std::fmt::Display for Violations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|v| format!("{}: {}", v.field, v.description)).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for Violations {}
