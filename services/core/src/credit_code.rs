//! The unified social credit code (统一社会信用代码) of GB 32100-2015: 18
//! characters from a 31-character alphabet (digits and capital letters
//! without I, O, S, V and Z), the last one a check character over the first
//! 17, and the normalized organization name that duplicate registrations are
//! recognized by.

/// The code's alphabet; a character's value is its position here.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// The weight of each of the first 17 positions: 3^(i) mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/// A code's length.
pub const LENGTH: usize = 18;

/// Why a string is not a unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a unified social credit code has 18 characters, not {0}")]
    Length(usize),
    #[error(
        "character {position} ({character:?}) is not in the code's alphabet (digits and capitals but I, O, S, V, Z)"
    )]
    Alphabet { position: usize, character: char },
    #[error("characters 3 to 8 are the administrative division code and must be digits")]
    Division,
    #[error("the check character is {found:?}; the first 17 characters give {expected:?}")]
    Check { found: char, expected: char },
}

fn value(byte: u8) -> Option<u32> {
    ALPHABET.iter().position(|&b| b == byte).map(|p| p as u32)
}

/// The check character GB 32100-2015 gives the first 17 characters of a code
/// (`None` when one of them is outside the alphabet).
pub fn check_character(first_17: &str) -> Option<char> {
    let bytes = first_17.as_bytes();
    if bytes.len() != LENGTH - 1 {
        return None;
    }
    let mut sum = 0u32;
    for (byte, weight) in bytes.iter().zip(WEIGHTS) {
        sum += value(*byte)? * weight;
    }
    Some(char::from(ALPHABET[((31 - sum % 31) % 31) as usize]))
}

/// Checks a code (already trimmed and upper-cased by [`normalize`]).
pub fn validate(code: &str) -> Result<(), CreditCodeError> {
    let chars = code.chars().count();
    if chars != LENGTH {
        return Err(CreditCodeError::Length(chars));
    }
    for (position, character) in code.chars().enumerate() {
        if !character.is_ascii() || value(character as u8).is_none() {
            return Err(CreditCodeError::Alphabet { position: position + 1, character });
        }
    }
    if !code.as_bytes()[2..8].iter().all(u8::is_ascii_digit) {
        return Err(CreditCodeError::Division);
    }
    let expected = check_character(&code[..LENGTH - 1]).ok_or(CreditCodeError::Length(chars))?;
    let found = char::from(code.as_bytes()[LENGTH - 1]);
    if found != expected {
        return Err(CreditCodeError::Check { found, expected });
    }
    Ok(())
}

/// A code as typed (spaces around it, lower case) in the form it is stored.
pub fn normalize(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// An organization's name reduced to what tells organizations apart: full-width
/// forms folded to ASCII, ASCII lower-cased, whitespace and punctuation
/// (ASCII and CJK) dropped. "湛江绿钢科技有限公司" and "湛江绿钢科技 有限公司（）"
/// are the same name.
pub fn name_key(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            // Full-width ASCII forms (Ａ, １, （) to ASCII; the ideographic space to a space.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation() && !is_cjk_punctuation(*c))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn is_cjk_punctuation(c: char) -> bool {
    matches!(c, '\u{3001}'..='\u{303F}' | '\u{00B7}' | '\u{2010}'..='\u{2027}' | '\u{FE30}'..='\u{FE4F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check character by the standard's definition, written out again
    /// here: C18 = 31 − (Σ Ci·Wi mod 31), with 31 written as 0.
    fn by_the_standard(first_17: &str) -> char {
        let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        let sum: usize = first_17
            .chars()
            .enumerate()
            .map(|(i, c)| alphabet.find(c).expect("in the alphabet") * 3usize.pow(i as u32) % 31)
            .sum();
        alphabet.chars().nth((31 - sum % 31) % 31).expect("a character")
    }

    #[test]
    fn codes_with_the_right_check_character_are_valid() {
        // The example code printed in the standard's explanatory material.
        assert_eq!(validate("91350100M000100Y43"), Ok(()));
        // Real-format codes: 9 (market regulation) 1 (enterprise) 440800 (湛江市)
        // + a nine-character organization code, checked by the standard's formula.
        for first_17 in ["91440800MA4UJ3XX6", "91440803617412345", "12440800455860000", "52440802MJL123456"] {
            let code = format!("{first_17}{}", by_the_standard(first_17));
            assert_eq!(validate(&code), Ok(()), "{code}");
            assert_eq!(check_character(first_17), Some(by_the_standard(first_17)));
        }
    }

    #[test]
    fn a_wrong_check_character_length_or_alphabet_is_refused() {
        let first_17 = "91440800MA4UJ3XX6";
        let right = by_the_standard(first_17);
        let wrong = if right == '0' { '1' } else { '0' };
        assert!(matches!(validate(&format!("{first_17}{wrong}")), Err(CreditCodeError::Check { .. })));
        assert_eq!(validate("91440800MA4UJ3XX"), Err(CreditCodeError::Length(16)));
        // O is not in the alphabet (it would read as 0).
        assert!(matches!(validate("91440800MA4UJ3OX6N"), Err(CreditCodeError::Alphabet { position: 15, .. })));
        assert_eq!(validate("9144A800MA4UJ3XX6N"), Err(CreditCodeError::Division));
        // One swapped pair of characters changes the check.
        assert!(validate("91350100M000100Y34").is_err());
        assert_eq!(normalize(" 91350100m000100y43 "), "91350100M000100Y43");
    }

    #[test]
    fn names_differing_only_in_spacing_width_case_or_punctuation_share_a_key() {
        let key = name_key("湛江绿钢科技有限公司");
        assert_eq!(name_key("湛江绿钢 科技有限公司"), key);
        assert_eq!(name_key("湛江绿钢科技有限公司。"), key);
        assert_eq!(name_key("ＺＪ Steel（湛江）"), name_key("zj steel(湛江)"));
        assert_ne!(name_key("湛江绿钢科技有限公司"), name_key("湛江蓝钢科技有限公司"));
    }
}
