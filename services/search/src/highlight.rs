//! Snippets of a hit's stored text with the query's terms marked, built from
//! where the terms occur ([`Analyzer::find_terms`]) rather than from a new
//! segmentation of the whole text.
//!
//! [`Analyzer::find_terms`]: crate::analysis::Analyzer::find_terms

use std::collections::BTreeSet;

use crate::analysis::TermSpan;

/// Characters kept before the first match of a passage cut from a longer text.
const LEAD_CHARS: usize = 10;

/// The passage of `text` of at most `max_chars` characters that holds the
/// most of the matched terms (longer terms count more; the earliest such
/// passage wins), with every match in it wrapped in `<em>…</em>` and the
/// rest HTML-escaped; `None` when nothing matched. `spans` are byte ranges
/// of `text`, as [`crate::analysis::Analyzer::find_terms`] gives them.
pub fn snippet(text: &str, spans: &[TermSpan<'_>], max_chars: usize) -> Option<String> {
    if spans.is_empty() || max_chars == 0 {
        return None;
    }
    // Byte offset of every character, and of the end.
    let starts: Vec<usize> = text.char_indices().map(|(at, _)| at).chain(std::iter::once(text.len())).collect();
    let chars = starts.len() - 1;
    let char_at = |byte: usize| starts.partition_point(|&start| start < byte);
    let (from, to) = if chars <= max_chars {
        (0, text.len())
    } else {
        let mut best: Option<(usize, usize, usize)> = None; // (weight, from, to)
        for span in spans {
            let first = char_at(span.from).saturating_sub(LEAD_CHARS).min(chars - max_chars);
            let (from, to) = (starts[first], starts[first + max_chars]);
            let inside: BTreeSet<&str> =
                spans.iter().filter(|s| s.from >= from && s.to <= to).map(|s| s.term).collect();
            let weight = inside.iter().map(|term| term.chars().count()).sum();
            if best.is_none_or(|(most, _, _)| weight > most) {
                best = Some((weight, from, to));
            }
        }
        best.map(|(_, from, to)| (from, to))?
    };
    // Matches inside the passage, overlapping ones merged.
    let mut marks: Vec<(usize, usize)> = Vec::new();
    let mut inside: Vec<(usize, usize)> =
        spans.iter().filter(|s| s.from >= from && s.to <= to && s.from < s.to).map(|s| (s.from, s.to)).collect();
    inside.sort_unstable();
    for (start, end) in inside {
        match marks.last_mut() {
            Some((_, last_end)) if start < *last_end => *last_end = (*last_end).max(end),
            _ => marks.push((start, end)),
        }
    }
    if marks.is_empty() {
        return None;
    }
    let mut html = String::with_capacity(to - from + marks.len() * 9);
    let mut at = from;
    for (start, end) in marks {
        push_escaped(&mut html, &text[at..start]);
        html.push_str("<em>");
        push_escaped(&mut html, &text[start..end]);
        html.push_str("</em>");
        at = end;
    }
    push_escaped(&mut html, &text[at..to]);
    Some(html)
}

/// Appends `text` with the characters HTML gives meaning to escaped.
pub fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span<'t>(text: &str, term: &'t str) -> TermSpan<'t> {
        let from = text.find(term).expect("present");
        TermSpan { term, from, to: from + term.len() }
    }

    #[test]
    fn a_short_text_is_marked_whole_and_escaped() {
        let text = "氢冶金<示范>线 & 低碳炼钢";
        let spans = [span(text, "氢冶金"), span(text, "冶金"), span(text, "低碳炼钢")];
        assert_eq!(
            snippet(text, &spans, 120).expect("matched"),
            "<em>氢冶金</em>&lt;示范&gt;线 &amp; <em>低碳炼钢</em>",
            "a sub-word inside a marked word is one mark"
        );
        assert_eq!(snippet(text, &[], 120), None);
    }

    #[test]
    fn a_long_text_gives_the_passage_with_the_most_terms() {
        let text =
            format!("{}对虾养殖{}对虾养殖病害防控与水质监测{}", "某".repeat(200), "甲".repeat(200), "乙".repeat(200));
        let from = text.rfind("对虾养殖").expect("present");
        let spans = [
            span(&text, "对虾养殖"),
            TermSpan { term: "对虾养殖", from, to: from + "对虾养殖".len() },
            span(&text, "病害防控"),
            span(&text, "水质监测"),
        ];
        let passage = snippet(&text, &spans, 40).expect("matched");
        assert_eq!(passage.replace("<em>", "").replace("</em>", "").chars().count(), 40);
        assert!(passage.contains("<em>对虾养殖</em>病害防控") || passage.contains("<em>病害防控</em>"), "{passage}");
        assert!(passage.contains("<em>水质监测</em>"), "{passage}");
    }
}
