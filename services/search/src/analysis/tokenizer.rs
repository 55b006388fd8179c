//! The tantivy tokenizer behind the `zh_en` analyzer: normalization, jieba
//! search-mode segmentation, and the token clean-up that has to happen before
//! positions are assigned (punctuation, case, stop words, length).

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::normalize::Normalized;

/// Tokens longer than this many bytes are dropped (base64 blobs, URLs with
/// query strings): they never match a query and bloat the term dictionary.
const MAX_TOKEN_BYTES: usize = 100;

/// The stop words shipped in `data/stopwords.txt`.
pub(crate) fn stop_words() -> impl Iterator<Item = &'static str> {
    include_str!("../../data/stopwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

static STOP_WORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| stop_words().collect());

/// Whether `word` (lowercased) is a stop word of the analyzer.
pub(crate) fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(word)
}

/// Chinese + English tokenizer on a shared jieba instance.
///
/// Every word of jieba's segmentation takes one position; in search mode its
/// dictionary sub-words (the 冶金 of 氢冶金, the 钢铁 of 绿色钢铁) are emitted
/// at the same position, after it, the way a synonym is stacked on a word.
/// Phrases therefore count words, not sub-words, and a query for 冶金 finds
/// a text that says 氢冶金.
#[derive(Clone)]
pub(crate) struct ZhEnTokenizer {
    jieba: Arc<Jieba>,
}

impl ZhEnTokenizer {
    pub(crate) fn new(jieba: Arc<Jieba>) -> Self {
        ZhEnTokenizer { jieba }
    }
}

impl Tokenizer for ZhEnTokenizer {
    type TokenStream<'a> = ZhEnTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhEnTokenStream {
        ZhEnTokenStream { tokens: tokenize(&self.jieba, text).into_iter(), current: Token::default() }
    }
}

/// The tokens of one text, produced eagerly: jieba segments a whole text at
/// once, and the sub-words have to be regrouped under their word anyway.
pub(crate) struct ZhEnTokenStream {
    tokens: std::vec::IntoIter<Token>,
    /// The token `advance` moved to (a default token before the first call,
    /// so that reading it early cannot panic).
    current: Token,
}

impl TokenStream for ZhEnTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

/// Segments `text` into tokens with offsets into `text`.
fn tokenize(jieba: &Jieba, text: &str) -> Vec<Token> {
    let normalized = Normalized::new(text);
    let pieces = jieba.cut_for_search(&normalized.text, true);

    // jieba emits a word's sub-words just before the word, all inside its
    // span, and words do not overlap. Walking backwards, a piece inside the
    // current word's span is one of its sub-words; any other piece starts
    // the previous word.
    let mut words: Vec<(usize, usize)> = Vec::new(); // (word index, first sub-word index)
    let mut index = pieces.len();
    while index > 0 {
        index -= 1;
        let word = &pieces[index];
        let mut first = index;
        while first > 0 {
            let piece = &pieces[first - 1];
            if piece.byte_start >= word.byte_start && piece.byte_end <= word.byte_end {
                first -= 1;
            } else {
                break;
            }
        }
        words.push((index, first));
        index = first;
    }
    words.reverse();

    let mut tokens = Vec::with_capacity(pieces.len());
    let mut position = 0;
    let mut seen_in_word: Vec<String> = Vec::new();
    for (word_index, first_sub) in words {
        let Some(word_text) = clean(pieces[word_index].word) else {
            continue;
        };
        // Sub-words carry their word's offsets: consumers such as tantivy's
        // snippet generator expect token ends never to move backwards, and a
        // highlight of 冶金 in 氢冶金 then covers the whole word.
        let word_piece = &pieces[word_index];
        let token = |text: String| Token {
            offset_from: normalized.original_offset(word_piece.byte_start),
            offset_to: normalized.original_offset(word_piece.byte_end),
            position,
            text,
            position_length: 1,
        };
        seen_in_word.clear();
        seen_in_word.push(word_text.clone());
        tokens.push(token(word_text));
        for piece in &pieces[first_sub..word_index] {
            let Some(sub_text) = clean(piece.word) else {
                continue;
            };
            // A word like 钢铁钢铁 holds the same sub-word twice; one is enough.
            if seen_in_word.contains(&sub_text) {
                continue;
            }
            seen_in_word.push(sub_text.clone());
            tokens.push(token(sub_text));
        }
        position += 1;
    }
    tokens
}

/// The token text for a jieba piece, or `None` for what is not worth
/// indexing: whitespace, punctuation, stop words, and overlong tokens.
fn clean(piece: &str) -> Option<String> {
    // Letters and digits of any script count (Chinese characters are
    // alphabetic); a piece with none is whitespace or punctuation.
    if piece.len() > MAX_TOKEN_BYTES || !piece.chars().any(char::is_alphanumeric) {
        return None;
    }
    let lower = piece.to_lowercase();
    if is_stop_word(&lower) {
        return None;
    }
    Some(lower)
}
