//! The helpers every crate's `convert.rs` builds on, so a request field means
//! the same thing in every service: proto enums (optional, required, lists),
//! taxonomy code lists, one page-size policy and one page-token codec.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::validation::{Violations, limits};

/// A proto enum value that may be UNSPECIFIED (`None`); a value the API does
/// not define is a violation.
pub fn optional_enum<T>(
    violations: &mut Violations,
    field: &str,
    value: i32,
    convert: fn(i32) -> Result<Option<T>, i32>,
) -> Option<T> {
    convert(value).unwrap_or_else(|bad| {
        violations.add(field, format!("unknown enum value {bad}"));
        None
    })
}

/// A proto enum value that must be set.
pub fn required_enum<T>(
    violations: &mut Violations,
    field: &str,
    value: i32,
    convert: fn(i32) -> Result<Option<T>, i32>,
) -> Option<T> {
    let converted = optional_enum(violations, field, value, convert);
    if converted.is_none() && value == 0 {
        violations.add(field, "must be set");
    }
    converted
}

/// A list of proto enum values, naming each bad item.
pub fn enum_list<T>(
    violations: &mut Violations,
    field: &str,
    values: &[i32],
    convert: fn(i32) -> Result<Option<T>, i32>,
) -> Vec<T> {
    if values.len() > limits::LIST_MAX_ITEMS {
        violations.add(field, format!("has {} items; the limit is {}", values.len(), limits::LIST_MAX_ITEMS));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, &value) in values.iter().enumerate() {
        match convert(value) {
            Ok(Some(v)) => out.push(v),
            Ok(None) => violations.add(format!("{field}[{i}]"), "must not be UNSPECIFIED"),
            Err(bad) => violations.add(format!("{field}[{i}]"), format!("unknown enum value {bad}")),
        }
    }
    out
}

/// Taxonomy codes, naming each unknown one.
pub fn code_list(
    violations: &mut Violations,
    field: &str,
    values: &[String],
    known: impl Fn(&str) -> bool,
) -> Vec<String> {
    for (i, value) in values.iter().enumerate() {
        if !known(value) {
            violations.add(format!("{field}[{i}]"), format!("unknown code {value:?}"));
        }
    }
    values.to_vec()
}

/// How long a page (or a list of results) may be: 0 asks for `default`;
/// more than `max` is an error at the edge (never silently shortened, so a client that asked for
/// too much finds out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagePolicy {
    pub default: u32,
    pub max: u32,
}

impl PagePolicy {
    /// Lists of records and leads.
    pub const LISTS: PagePolicy = PagePolicy { default: limits::DEFAULT_PAGE_SIZE, max: limits::MAX_PAGE_SIZE };

    /// The size a request asked for, or a violation on `field`.
    pub fn size(self, violations: &mut Violations, field: &str, requested: u32) -> u32 {
        match requested {
            0 => self.default,
            n if n > self.max => {
                violations.add(field, format!("{n} exceeds the maximum {}", self.max));
                self.max
            }
            n => n,
        }
    }

    /// For domain APIs called without the edge: the same default, and at most `max`.
    pub fn clamp(self, requested: u32) -> u32 {
        match requested {
            0 => self.default,
            n => n.min(self.max),
        }
    }
}

/// Opaque page tokens: a version prefix and a position, base64url. The
/// prefix differs per list (`p1` catalog, `s1` search, `l1` leads), so a
/// token from one list is refused by another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageTokens {
    prefix: &'static str,
}

/// The violation every service reports for a token it did not issue.
pub const FOREIGN_PAGE_TOKEN: &str = "is not a page token this server issued";

impl PageTokens {
    pub const fn new(prefix: &'static str) -> Self {
        Self { prefix }
    }

    pub fn encode(self, position: u64) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{position}", self.prefix))
    }

    /// `None` for the empty token (the first page); an error for anything
    /// this codec did not make. A position always fits an `i64`.
    pub fn decode(self, token: &str) -> Result<Option<u64>, Violations> {
        if token.is_empty() {
            return Ok(None);
        }
        URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.strip_prefix(self.prefix)?.strip_prefix(':')?.parse::<u64>().ok())
            // Positions are store cursors and offsets: they fit an i64.
            .filter(|position| i64::try_from(*position).is_ok())
            .map(Some)
            .ok_or_else(|| Violations::single("page_token", FOREIGN_PAGE_TOKEN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_refuse_other_lists_tokens() {
        let catalog = PageTokens::new("p1");
        let search = PageTokens::new("s1");
        assert_eq!(catalog.decode(&catalog.encode(42)).ok(), Some(Some(42)));
        assert_eq!(catalog.decode("").ok(), Some(None));
        assert!(search.decode(&catalog.encode(42)).is_err());
        assert!(catalog.decode(&URL_SAFE_NO_PAD.encode("p1:-5")).is_err());
        assert!(catalog.decode(&URL_SAFE_NO_PAD.encode("p12:5")).is_err());
        assert!(catalog.decode("绿色钢铁").is_err());
    }

    #[test]
    fn page_sizes_default_and_refuse_more_than_the_maximum() {
        let mut v = Violations::new();
        assert_eq!(PagePolicy::LISTS.size(&mut v, "page_size", 0), limits::DEFAULT_PAGE_SIZE);
        assert_eq!(PagePolicy::LISTS.size(&mut v, "page_size", 7), 7);
        assert!(v.is_empty());
        PagePolicy::LISTS.size(&mut v, "page_size", limits::MAX_PAGE_SIZE + 1);
        assert_eq!(v.0[0].field, "page_size");
        assert_eq!(PagePolicy::LISTS.clamp(10_000), limits::MAX_PAGE_SIZE);
    }
}
