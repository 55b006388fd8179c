//! The user query language: words, "quoted phrases" (ASCII or Chinese
//! quotes), `-excluded` words and `field:word` restrictions. Parsing is
//! separate from the index so bad queries fail with a clear message before
//! any work is done.

use strum::{EnumString, VariantNames};

/// A text field a query clause may name, by its lowercase name (`title:钢铁`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, VariantNames)]
#[strum(serialize_all = "lowercase")]
pub enum QueryField {
    Title,
    Keywords,
    Description,
    Organization,
    Tag,
}

/// One clause of a parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub field: Option<QueryField>,
    pub text: String,
    pub phrase: bool,
    pub excluded: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the quote opened at character {0} is never closed")]
    UnbalancedQuote(usize),
    #[error("unknown field {0:?}; use one of {fields}", fields = QueryField::VARIANTS.join(", "))]
    UnknownField(String),
    #[error("{0:?} has nothing after it")]
    Dangling(String),
}

fn is_open_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '「')
}

fn closing_quote(open: char) -> char {
    match open {
        '“' => '”',
        '「' => '」',
        _ => '"',
    }
}

/// Parses a query. An empty query gives no clauses (match everything).
pub fn parse(query: &str) -> Result<Vec<Clause>, QueryError> {
    let chars: Vec<char> = query.chars().collect();
    let mut clauses = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let mut excluded = false;
        if chars[i] == '-' {
            excluded = true;
            i += 1;
        }
        // `name:` prefix, ASCII letters only so that "5G:" or a time is still text.
        // An unknown name followed by a space is prose ("BIBASS: a method…", a
        // pasted title), not a mistyped field, so it stays text.
        let mut field = None;
        let name_end = (i..chars.len()).find(|&j| !chars[j].is_ascii_alphabetic()).unwrap_or(chars.len());
        if name_end > i && name_end < chars.len() && chars[name_end] == ':' {
            let name: String = chars[i..name_end].iter().collect();
            let prose = chars.get(name_end + 1).is_none_or(|c| c.is_whitespace());
            match name.to_ascii_lowercase().parse::<QueryField>() {
                Ok(known) => {
                    field = Some(known);
                    i = name_end + 1;
                }
                Err(_) if prose => {}
                Err(_) => return Err(QueryError::UnknownField(name)),
            }
        }
        if i >= chars.len() || chars[i].is_whitespace() {
            let head: String = chars[start..i].iter().collect();
            return Err(QueryError::Dangling(head));
        }
        if is_open_quote(chars[i]) {
            let close = closing_quote(chars[i]);
            let open_at = i;
            let end = (i + 1..chars.len())
                .find(|&j| chars[j] == close || (close == '"' && chars[j] == '”'))
                .ok_or(QueryError::UnbalancedQuote(open_at + 1))?;
            let text: String = chars[i + 1..end].iter().collect();
            i = end + 1;
            if !text.trim().is_empty() {
                clauses.push(Clause { field, text, phrase: true, excluded });
            }
            continue;
        }
        let end =
            (i..chars.len()).find(|&j| chars[j].is_whitespace() || is_open_quote(chars[j])).unwrap_or(chars.len());
        let text: String = chars[i..end].iter().collect();
        if text.contains(['"', '”', '」']) {
            return Err(QueryError::UnbalancedQuote(start + 1));
        }
        clauses.push(Clause { field, text, phrase: false, excluded });
        i = end;
    }
    Ok(clauses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Clause {
        Clause { field: None, text: text.into(), phrase: false, excluded: false }
    }

    #[test]
    fn words_phrases_exclusions_and_fields() {
        assert_eq!(parse("氢冶金  低碳").expect("ok"), vec![word("氢冶金"), word("低碳")]);
        assert_eq!(
            parse("“绿色钢铁” -焦化 title:\"hydrogen metallurgy\"").expect("ok"),
            vec![
                Clause { field: None, text: "绿色钢铁".into(), phrase: true, excluded: false },
                Clause { field: None, text: "焦化".into(), phrase: false, excluded: true },
                Clause {
                    field: Some(QueryField::Title),
                    text: "hydrogen metallurgy".into(),
                    phrase: true,
                    excluded: false
                },
            ]
        );
        assert_eq!(parse("").expect("ok"), vec![]);
        assert_eq!(parse("5G:基站 10:30").expect("ok"), vec![word("5G:基站"), word("10:30")]);
        assert_eq!(
            parse("BIBASS: 双语语料").expect("a pasted title"),
            vec![word("BIBASS:"), word("双语语料")],
            "an unknown name before a space is prose"
        );
        assert_eq!(parse("Note:").expect("ok"), vec![word("Note:")]);
    }

    #[test]
    fn bad_queries_say_what_is_wrong() {
        assert_eq!(parse("\"预制菜 冷链"), Err(QueryError::UnbalancedQuote(1)));
        assert_eq!(parse("对虾 “养殖"), Err(QueryError::UnbalancedQuote(4)));
        assert_eq!(parse("color:红"), Err(QueryError::UnknownField("color".into())));
        assert_eq!(
            QueryError::UnknownField("color".into()).to_string(),
            "unknown field \"color\"; use one of title, keywords, description, organization, tag"
        );
        assert_eq!(parse("TITLE:钢铁").expect("ok")[0].field, Some(QueryField::Title));
        assert_eq!(parse("氢冶金 -"), Err(QueryError::Dangling("-".into())));
        assert_eq!(parse("title: 氢"), Err(QueryError::Dangling("title:".into())));
        assert!(matches!(parse("ab\"cd"), Err(QueryError::UnbalancedQuote(_))));
    }
}
