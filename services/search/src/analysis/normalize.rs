//! Character normalization run before segmentation: compatibility folding
//! (NFKC, one character at a time: full-width to half-width and the like)
//! and traditional to simplified Chinese (OpenCC's tables), with a map back
//! to the caller's byte offsets.

use std::sync::LazyLock;

use ferrous_opencc::{OpenCC, config::BuiltinConfig};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

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
        let folded = fold_compatibility(original);
        let (text, original_offsets) = match folded {
            Some((folded, offsets)) => to_simplified(folded, Some(offsets)),
            None => to_simplified(original.to_owned(), None),
        };
        Normalized { text, original_offsets }
    }

    /// The offset in the original text of byte `offset` of the normalized text.
    pub(crate) fn original_offset(&self, offset: usize) -> usize {
        match &self.original_offsets {
            Some(offsets) => offsets.get(offset).copied().unwrap_or(offset),
            None => offset,
        }
    }
}

/// CJK Unified Ideographs: no character here has a compatibility mapping
/// (the compatibility ideographs live at U+F900 and U+2F800).
const UNIFIED_IDEOGRAPHS: std::ops::RangeInclusive<char> = '\u{4E00}'..='\u{9FFF}';

/// NFKC of each character on its own: full-width ASCII (U+FF01–U+FF5E) and
/// the ideographic space become ASCII, full-width signs (￥) their usual
/// forms, compatibility ideographs the unified ones, ligatures and unit
/// symbols (㎏) their letters. Per character, so every output character
/// comes from exactly one input character and offsets can be mapped; a
/// character may become several (㎏ → kg), all mapped to its start.
///
/// `None` when nothing changes (all of ASCII, and most Chinese text).
fn fold_compatibility(original: &str) -> Option<(String, Vec<usize>)> {
    if original.is_ascii() || is_nfkc_quick(original.chars()) == IsNormalized::Yes {
        return None;
    }
    let mut folded = String::with_capacity(original.len());
    let mut offsets = Vec::with_capacity(original.len() + 1);
    let mut changed = false;
    for (original_start, c) in original.char_indices() {
        let before = folded.len();
        // ASCII and the unified ideographs (most of any Chinese text) are
        // their own NFKC; the quick check is a table lookup; full NFKC of a
        // character costs several times more, and few need it.
        if c.is_ascii() || UNIFIED_IDEOGRAPHS.contains(&c) || is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes {
            folded.push(c);
        } else {
            folded.extend(std::iter::once(c).nfkc());
            changed |= folded.len() - before != c.len_utf8() || !folded[before..].starts_with(c);
        }
        offsets.extend(std::iter::repeat_n(original_start, folded.len() - before));
    }
    offsets.push(original.len());
    changed.then_some((folded, offsets))
}

/// OpenCC's traditional-to-simplified tables (its phrases, then its
/// characters, so 乾隆 keeps its 乾 where 乾燥 becomes 干燥), with the set of
/// characters that convert on their own.
struct TraditionalToSimplified {
    opencc: OpenCC,
    converts_alone: CharSet,
}

/// Where OpenCC's character table has its keys: CJK radicals to the end of
/// the basic block, compatibility ideographs, and extensions B to H.
const PROBED_RANGES: [std::ops::RangeInclusive<u32>; 3] = [0x2E80..=0x9FFF, 0xF900..=0xFAFF, 0x20000..=0x323AF];

/// A set of characters below U+32400, one bit each (25 KiB).
struct CharSet {
    bits: Vec<u64>,
}

impl CharSet {
    const END: u32 = 0x32400;

    fn contains(&self, c: char) -> bool {
        let c = u32::from(c);
        c < Self::END && self.bits[(c / 64) as usize] & (1 << (c % 64)) != 0
    }
}

impl TraditionalToSimplified {
    /// Loads the tables compiled into the binary and probes every character
    /// of [`PROBED_RANGES`] on its own (one conversion of about 100k
    /// characters, each followed by a line break so no phrase spans two).
    fn load() -> Result<Self, ferrous_opencc::error::OpenCCError> {
        let opencc = OpenCC::from_config(BuiltinConfig::T2s)?;
        let probe: String =
            PROBED_RANGES.iter().cloned().flatten().filter_map(char::from_u32).flat_map(|c| [c, '\n']).collect();
        let mut bits = vec![0u64; (CharSet::END / 64) as usize];
        for (before, after) in probe.split('\n').zip(opencc.convert(&probe).split('\n')) {
            if before != after
                && let Some(c) = before.chars().next()
            {
                let c = u32::from(c);
                if c < CharSet::END {
                    bits[(c / 64) as usize] |= 1 << (c % 64);
                }
            }
        }
        Ok(Self { opencc, converts_alone: CharSet { bits } })
    }

    /// The conversion of `text`, or `None` when it has no character that
    /// converts on its own. Checking that first is what keeps simplified
    /// text (nearly all input) fast: the set costs a bit test per character,
    /// the tables a dictionary walk. OpenCC's phrases only decide between the
    /// readings of such characters, apart from a few variant spellings
    /// (沈默 for 沉默) that come with other traditional characters in
    /// traditional text and are left alone in simplified text.
    fn convert(&self, text: &str) -> Option<String> {
        text.chars().any(|c| self.converts_alone.contains(c)).then(|| self.opencc.convert(text))
    }
}

/// Loaded once per process (about 100k characters probed); `None` only if
/// the compiled-in tables cannot be read, and then text is left as it is
/// rather than refused.
static TRADITIONAL_TO_SIMPLIFIED: LazyLock<Option<TraditionalToSimplified>> = LazyLock::new(|| {
    TraditionalToSimplified::load()
        .inspect_err(|error| tracing::error!(%error, "traditional-to-simplified tables failed to load"))
        .ok()
});

/// Traditional to simplified Chinese. Every OpenCC entry keeps the number of
/// characters (a character may change its UTF-8 length), so the n-th
/// character of the result stands where the n-th of the input stood and
/// `offsets` (the input's map, or the identity) is carried over per
/// character. Should a table ever change the number of characters, the text
/// is left unconverted rather than handing out wrong offsets.
fn to_simplified(text: String, offsets: Option<Vec<usize>>) -> (String, Option<Vec<usize>>) {
    // Pure ASCII needs no lookup, and most English-only input is that.
    if text.is_ascii() {
        return (text, offsets);
    }
    let Some(converted) = TRADITIONAL_TO_SIMPLIFIED.as_ref().and_then(|tables| tables.convert(&text)) else {
        return (text, offsets);
    };
    if converted == text || converted.chars().count() != text.chars().count() {
        return (text, offsets);
    }
    if converted.len() == text.len() && text.char_indices().zip(converted.char_indices()).all(|((a, _), (b, _))| a == b)
    {
        return (converted, offsets);
    }
    let original_of = |byte: usize| offsets.as_ref().map_or(byte, |offsets| offsets[byte]);
    let mut mapped = Vec::with_capacity(converted.len() + 1);
    for ((start, _), c) in text.char_indices().zip(converted.chars()) {
        mapped.extend(std::iter::repeat_n(original_of(start), c.len_utf8()));
    }
    mapped.push(original_of(text.len()));
    (converted, Some(mapped))
}

/// Compatibility folding and traditional-to-simplified conversion of `text`,
/// the form in which the analyzer segments it (useful for showing keywords).
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
    fn folds_other_compatibility_forms_per_character() {
        assert_eq!(normalize("价格￥５０，重５㎏"), "价格¥50,重5kg");
        let normalized = Normalized::new("５㎏氢");
        assert_eq!(normalized.text, "5kg氢");
        // "kg" (bytes 1..3) both come from ㎏ at byte 3 of the original.
        assert_eq!(normalized.original_offset(1), 3);
        assert_eq!(normalized.original_offset(2), 3);
        assert_eq!(normalized.original_offset(3), 6);
    }

    #[test]
    fn unified_ideographs_are_their_own_nfkc() {
        for c in UNIFIED_IDEOGRAPHS {
            assert!(std::iter::once(c).nfkc().eq(std::iter::once(c)), "{c}");
        }
    }

    #[test]
    fn converts_traditional_to_simplified() {
        assert_eq!(normalize("綠色鋼鐵"), "绿色钢铁");
        assert_eq!(normalize("氫冶金"), "氢冶金");
        assert_eq!(normalize("預製菜"), "预制菜");
        assert_eq!(normalize("對蝦養殖"), "对虾养殖");
        assert_eq!(normalize("對蝦養殖與金鯧魚"), "对虾养殖与金鲳鱼");
        // Simplified text and English pass through unchanged.
        assert_eq!(normalize("氢冶金 low-carbon steel"), "氢冶金 low-carbon steel");
        assert_eq!(normalize("工业互联网"), "工业互联网");
    }

    #[test]
    fn phrases_decide_ambiguous_characters() {
        assert_eq!(normalize("乾燥設備"), "干燥设备");
        assert_eq!(normalize("乾隆"), "乾隆");
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
    fn offsets_survive_characters_that_change_their_length() {
        // 㑮 (U+346E, three bytes) becomes 𫝈 (U+2B748, four bytes) in OpenCC's table.
        let original = "㑮預製菜";
        let normalized = Normalized::new(original);
        assert_eq!(normalized.text, "𫝈预制菜");
        let start = normalized.text.find("预制菜").expect("converted");
        assert_eq!(&original[normalized.original_offset(start)..], "預製菜");
        assert_eq!(normalized.original_offset(normalized.text.len()), original.len());
    }

    #[test]
    fn the_probe_finds_the_characters_that_convert_and_only_those() {
        let tables = TRADITIONAL_TO_SIMPLIFIED.as_ref().expect("tables load");
        for c in "綠鋼鐵氫預製對蝦養與乾㑮".chars() {
            assert!(tables.converts_alone.contains(c), "{c}");
        }
        for c in "绿钢铁氢预制对虾养与干a，".chars() {
            assert!(!tables.converts_alone.contains(c), "{c}");
        }
    }

    #[test]
    fn empty_text() {
        assert_eq!(normalize(""), "");
    }
}
