//! Query-time synonym groups: parsing the `data/synonyms.txt` format and
//! finding the longest group member at a place in an analyzed query.

use std::collections::HashMap;

/// The synonym groups shipped with the crate.
pub(crate) const DEFAULT_SYNONYMS: &str = include_str!("../../data/synonyms.txt");

/// A synonym table that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SynonymError {
    /// A line names fewer than two distinct terms, so it says nothing.
    #[error("synonyms line {line}: a group needs at least two different terms")]
    TooFewTerms {
        /// 1-based line number.
        line: usize,
    },
}

/// Parses synonym groups: one group per line, terms separated by ASCII or
/// full-width commas, `#` comments and blank lines ignored.
pub(crate) fn parse_groups(text: &str) -> Result<Vec<Vec<String>>, SynonymError> {
    let mut groups = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut terms: Vec<String> = Vec::new();
        for term in line.split([',', '，']).map(str::trim) {
            if !term.is_empty() && !terms.iter().any(|t| t == term) {
                terms.push(term.to_owned());
            }
        }
        if terms.len() < 2 {
            return Err(SynonymError::TooFewTerms { line: index + 1 });
        }
        groups.push(terms);
    }
    Ok(groups)
}

/// Synonym groups in analyzed form, looked up by word sequence.
///
/// Members are compared as sequences of analyzed words (the positions of the
/// analyzer, not its sub-words), so "Machine Learning" in a query meets the
/// member "machine learning" as `[machin, learn]`.
#[derive(Debug, Default)]
pub(crate) struct SynonymTable {
    /// Each group's members as analyzed word sequences.
    groups: Vec<Vec<Vec<String>>>,
    /// Member → the groups it belongs to (a term may sit in several).
    by_member: HashMap<Vec<String>, Vec<usize>>,
    /// Word count of the longest member, the most a match can span.
    longest: usize,
}

impl SynonymTable {
    /// Analyzes every member of `groups` with `analyze_words`; members that
    /// analyze to nothing (only stop words) are left out.
    pub(crate) fn build(groups: &[Vec<String>], analyze_words: impl Fn(&str) -> Vec<String>) -> Self {
        let mut table = SynonymTable::default();
        for group in groups {
            let mut members: Vec<Vec<String>> = Vec::new();
            for term in group {
                let words = analyze_words(term);
                if !words.is_empty() && !members.contains(&words) {
                    members.push(words);
                }
            }
            // Two spellings that analyze alike (IoT, iot) leave one member,
            // which has nothing to expand to.
            if members.len() < 2 {
                continue;
            }
            let group_id = table.groups.len();
            for member in &members {
                table.longest = table.longest.max(member.len());
                let ids = table.by_member.entry(member.clone()).or_default();
                if !ids.contains(&group_id) {
                    ids.push(group_id);
                }
            }
            table.groups.push(members);
        }
        table
    }

    /// The longest member that `words` starts with: its word count and every
    /// alternative, the member itself first.
    pub(crate) fn longest_match(&self, words: &[String]) -> Option<(usize, Vec<Vec<String>>)> {
        let longest = self.longest.min(words.len());
        (1..=longest).rev().find_map(|len| {
            let member = &words[..len];
            let ids = self.by_member.get(member)?;
            let mut alternatives = vec![member.to_vec()];
            for &id in ids {
                for other in &self.groups[id] {
                    if !alternatives.contains(other) {
                        alternatives.push(other.clone());
                    }
                }
            }
            Some((len, alternatives))
        })
    }

    /// Number of usable groups.
    pub(crate) fn len(&self) -> usize {
        self.groups.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_groups_comments_and_full_width_commas() {
        let groups = parse_groups("# c\n\n物联网, IoT ，Internet of Things\n").expect("valid");
        assert_eq!(groups, vec![vec!["物联网", "IoT", "Internet of Things"]]);
    }

    #[test]
    fn rejects_a_group_of_one() {
        assert_eq!(parse_groups("a, b\nonly, only\n"), Err(SynonymError::TooFewTerms { line: 2 }));
    }

    #[test]
    fn default_table_parses() {
        let groups = parse_groups(DEFAULT_SYNONYMS).expect("shipped synonyms parse");
        assert!(groups.len() >= 30, "{} groups", groups.len());
    }

    #[test]
    fn longest_member_wins() {
        let groups = vec![vec!["a".to_owned(), "x y".to_owned()], vec!["x".to_owned(), "z".to_owned()]];
        let split = |t: &str| t.split(' ').map(str::to_owned).collect::<Vec<_>>();
        let table = SynonymTable::build(&groups, split);
        let query = split("x y w");
        let (len, alternatives) = table.longest_match(&query).expect("match");
        assert_eq!(len, 2);
        assert_eq!(alternatives, vec![split("x y"), split("a")]);
        assert_eq!(table.longest_match(&split("w")), None);
    }
}
