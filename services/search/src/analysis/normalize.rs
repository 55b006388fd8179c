//! Character normalization run before segmentation: full-width to half-width
//! and traditional to simplified Chinese, with a map back to the caller's
//! byte offsets.

/// Text rewritten for segmentation, remembering where each byte came from.
///
/// Segmentation has to see normalized text (jieba's dictionary is simplified
/// Chinese, and `ＩｏＴ` must be cut like `IoT`), but token offsets must point
/// into the text the caller gave, or highlighting would mark the wrong span.
pub(crate) struct Normalized {
    /// The normalized text.
    pub(crate) text: String,
    /// For every byte offset of `text` (and its end), the matching offset in
    /// the original text; `None` when the two have the same byte layout.
    original_offsets: Option<Vec<usize>>,
}

impl Normalized {
    /// Normalizes `original`; see [`normalize`].
    pub(crate) fn new(original: &str) -> Self {
        let needs_folding = original.chars().any(|c| fold_width(c) != c);
        let (folded, original_offsets) = if needs_folding {
            let mut folded = String::with_capacity(original.len());
            let mut offsets = Vec::with_capacity(original.len() + 1);
            for (original_start, c) in original.char_indices() {
                let c = fold_width(c);
                folded.push(c);
                offsets.extend(std::iter::repeat_n(original_start, c.len_utf8()));
            }
            offsets.push(original.len());
            (folded, Some(offsets))
        } else {
            (original.to_owned(), None)
        };
        Normalized { text: to_simplified(folded), original_offsets }
    }

    /// The offset in the original text of byte `offset` of the normalized text.
    pub(crate) fn original_offset(&self, offset: usize) -> usize {
        match &self.original_offsets {
            Some(offsets) => offsets.get(offset).copied().unwrap_or(offset),
            None => offset,
        }
    }
}

/// Full-width ASCII variants (U+FF01–U+FF5E) and the ideographic space map to
/// their ASCII forms; every other character is kept.
pub(crate) fn fold_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Traditional to simplified Chinese with `fast2s`, which maps character for
/// character (with a little context for ambiguous ones such as 乾 and 於), so
/// the byte layout is kept and offsets stay valid. Should a future table ever
/// change a character's UTF-8 length, the text is left unconverted rather than
/// handing out wrong offsets.
fn to_simplified(text: String) -> String {
    // Pure ASCII needs no lookup, and most English-only input is that.
    if text.is_ascii() {
        return text;
    }
    let converted = fast2s::convert(&text);
    if converted.len() == text.len() { converted } else { text }
}

/// Full-width folding and traditional-to-simplified conversion of `text`, the
/// form in which the analyzer segments it (useful for showing keywords).
pub fn normalize(text: &str) -> String {
    Normalized::new(text).text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_ascii_and_ideographic_space() {
        assert_eq!(normalize("ＡＢＣ１２３"), "ABC123");
        assert_eq!(normalize("ＩｏＴ　平台，５Ｇ！"), "IoT 平台,5G!");
    }

    #[test]
    fn converts_traditional_to_simplified() {
        assert_eq!(normalize("綠色鋼鐵"), "绿色钢铁");
        assert_eq!(normalize("對蝦養殖與金鯧魚"), "对虾养殖与金鲳鱼");
        // Simplified text and English pass through unchanged.
        assert_eq!(normalize("氢冶金 low-carbon steel"), "氢冶金 low-carbon steel");
    }

    #[test]
    fn offsets_map_back_to_the_original_text() {
        let original = "ＩｏＴ綠色";
        let normalized = Normalized::new(original);
        assert_eq!(normalized.text, "IoT绿色");
        // "IoT" is bytes 0..3 normalized, 0..9 in the original.
        assert_eq!(normalized.original_offset(0), 0);
        assert_eq!(normalized.original_offset(3), 9);
        assert_eq!(&original[9..normalized.original_offset(normalized.text.len())], "綠色");
    }

    #[test]
    fn empty_text() {
        assert_eq!(normalize(""), "");
    }
}
