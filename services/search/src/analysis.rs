//! Text analysis for mixed Chinese and English text: the `zh_en` tantivy
//! analyzer (jieba search-mode segmentation, full-width and traditional
//! folding, English stemming and stop words), the domain dictionary,
//! query-time synonym expansion and TF-IDF keyword extraction.
//!
//! The same [`Analyzer`] must be registered on the index (see
//! [`Analyzer::register`]) and used for queries: matching relies on index
//! and query cutting text alike.
//!
//! tantivy's `QueryParser` works with it, but turns every space-free run
//! that analyzes to several tokens into a phrase, and Chinese queries rarely
//! have spaces (氢冶金低碳炼钢 must then appear verbatim). For user queries,
//! build the query from [`Analyzer::expand_query_terms`] with
//! [`terms_query`], which also applies synonyms.

mod normalize;
mod synonyms;
mod tokenizer;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, LazyLock, OnceLock};

use jieba_rs::{Jieba, KeywordExtract, KeywordExtractConfig, TfIdf};
use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, EmptyQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{Language, Stemmer, TextAnalyzer, TokenizerManager};

pub use normalize::normalize;
pub use synonyms::SynonymError;

use synonyms::{DEFAULT_SYNONYMS, SynonymTable};
use tokenizer::ZhEnTokenizer;

/// Name under which the analyzer is registered in a [`TokenizerManager`] and
/// which text fields name as their tokenizer.
pub const CHINESE_ANALYZER: &str = "zh_en";

/// The default domain dictionary (`data/domain_terms.txt`): one term per
/// line, `#` comments. Always part of every [`Analyzer`].
pub const DEFAULT_DOMAIN_TERMS: &str = include_str!("../data/domain_terms.txt");

/// Part-of-speech tags kept by [`Analyzer::keywords`]: nouns of all kinds,
/// verbal nouns (检测, 养殖), idioms and abbreviations, and English words.
/// Verbs, adjectives and numerals are mostly noise as competencies.
const KEYWORD_TAGS: &[&str] = &["n", "ng", "nr", "nrfg", "nrt", "ns", "nt", "nz", "vn", "an", "l", "j", "eng"];

/// The terms of [`DEFAULT_DOMAIN_TERMS`].
pub fn default_domain_terms() -> impl Iterator<Item = &'static str> {
    DEFAULT_DOMAIN_TERMS.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// The shipped synonym groups, parsed once.
static DEFAULT_SYNONYM_GROUPS: LazyLock<Vec<Vec<String>>> =
    LazyLock::new(|| synonyms::parse_groups(DEFAULT_SYNONYMS).expect("data/synonyms.txt is checked by a test"));

/// jieba with its bundled dictionary plus the default domain terms and the
/// default synonyms' Chinese terms. Loading the dictionary takes 100–150 ms
/// in release builds and seconds in debug ones, so it happens once per
/// process; analyzers with more terms start from a copy of it.
static BASE_JIEBA: LazyLock<Arc<Jieba>> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    let synonym_terms = DEFAULT_SYNONYM_GROUPS.iter().flatten().map(String::as_str);
    add_domain_words(&mut jieba, default_domain_terms().chain(synonym_terms));
    Arc::new(jieba)
});

/// The analyzer with the default dictionary and synonyms.
static SHARED: LazyLock<Analyzer> = LazyLock::new(|| Analyzer::builder().build());

/// Chinese + English analyzer: segmentation, normalization, synonyms and
/// keywords. Cheap to clone (one `Arc`).
///
/// Analysis, per text: compatibility forms are folded per character (NFKC:
/// ＩｏＴ → IoT), traditional Chinese becomes simplified (綠色鋼鐵 →
/// 绿色钢铁, by OpenCC's tables), jieba cuts
/// it in search mode, whitespace and punctuation are dropped, the rest is
/// lowercased, stop words (`data/stopwords.txt`) are dropped and English
/// words are stemmed (farming → farm). Each word takes one position and its
/// dictionary sub-words share it, so 冶金 finds 氢冶金 and 钢铁 finds 绿色钢铁.
#[derive(Clone)]
pub struct Analyzer {
    inner: Arc<Inner>,
}

struct Inner {
    jieba: Arc<Jieba>,
    text_analyzer: TextAnalyzer,
    synonyms: SynonymTable,
    /// Built on first use: reading jieba's IDF table costs as much as its
    /// dictionary, and only the matcher needs keywords.
    tfidf: OnceLock<TfIdf>,
}

impl fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Analyzer")
            .field("jieba", &self.inner.jieba)
            .field("synonym_groups", &self.inner.synonyms.len())
            .finish()
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::shared()
    }
}

/// Builds an [`Analyzer`] with extra domain terms or other synonyms.
#[derive(Debug, Default)]
pub struct AnalyzerBuilder {
    domain_terms: Vec<String>,
    synonym_groups: Option<Vec<Vec<String>>>,
}

impl AnalyzerBuilder {
    /// Adds domain terms (e.g. a taxonomy's competencies) to the default
    /// ones. jieba keeps each Chinese term whole; search mode still emits its
    /// dictionary sub-words. Terms with spaces cannot be one jieba word and
    /// are skipped (English words stay whole anyway).
    pub fn domain_terms<I, S>(mut self, terms: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.domain_terms.extend(terms.into_iter().map(|t| t.as_ref().trim().to_owned()));
        self
    }

    /// Replaces the default synonym groups with `table`, in the format of
    /// `data/synonyms.txt` (one comma-separated group per line).
    pub fn synonyms(mut self, table: &str) -> Result<Self, SynonymError> {
        self.synonym_groups = Some(synonyms::parse_groups(table)?);
        Ok(self)
    }

    /// Builds the analyzer. Shares the process-wide jieba instance unless a
    /// term is new to it, in which case it copies it (a copy, not a
    /// dictionary load). Terms change how text is cut: an index must be
    /// queried with an analyzer built from the same terms as it was indexed
    /// with, or be rebuilt.
    pub fn build(self) -> Analyzer {
        let AnalyzerBuilder { domain_terms, synonym_groups } = self;
        let base = Arc::clone(&BASE_JIEBA);
        let mut new_words: Vec<&str> = domain_terms.iter().map(String::as_str).collect();
        if let Some(groups) = &synonym_groups {
            new_words.extend(groups.iter().flatten().map(String::as_str));
        }
        new_words.retain(|term| {
            let term = normalize(term);
            is_dictionary_candidate(&term) && !is_kept_whole(&base, &term)
        });
        let jieba = if new_words.is_empty() {
            base
        } else {
            let mut jieba = Jieba::clone(&base);
            add_domain_words(&mut jieba, new_words);
            Arc::new(jieba)
        };

        let text_analyzer = TextAnalyzer::builder(ZhEnTokenizer::new(Arc::clone(&jieba)))
            .filter(Stemmer::new(Language::English))
            .build();
        // Synonyms are kept analyzed, as the query words they are compared with.
        let groups = synonym_groups.as_deref().unwrap_or(&DEFAULT_SYNONYM_GROUPS);
        let synonyms = SynonymTable::build(groups, |term| {
            words_of(&text_analyzer, term).into_iter().map(|word| word.text).collect()
        });
        Analyzer { inner: Arc::new(Inner { jieba, text_analyzer, synonyms, tfidf: OnceLock::new() }) }
    }
}

/// Whether jieba could hold `term` as one word: it has no whitespace (jieba
/// splits there first) and some non-ASCII letter (ASCII letter runs stay
/// whole without help).
fn is_dictionary_candidate(term: &str) -> bool {
    !term.is_empty()
        && !term.chars().any(char::is_whitespace)
        && term.chars().any(|c| c.is_alphabetic() && !c.is_ascii())
}

/// Whether jieba already cuts `term` as a single word.
fn is_kept_whole(jieba: &Jieba, term: &str) -> bool {
    jieba.cut(term, false).len() == 1
}

/// Dictionary frequency given at least to a domain term: that of a very
/// common word (分析 11086, 服务 13036; 99.9% of jieba's 349k words have less
/// than 20538, out of a total of 60M).
///
/// `suggest_freq` alone only keeps a term whole when it stands alone: it made
/// 大数据 just likelier than 大/数据, and 大数据分析 still came out as
/// 大/数据分析. A term's frequency only competes with cuts of the same number
/// of pieces (each extra piece costs a factor of the 60M total), so a high
/// one does not make 南药 split 湖南药材 into 湖/南药/材 (a test checks it).
const DOMAIN_WORD_MIN_FREQ: usize = 10_000;

/// Adds each term that jieba would cut apart, with a high frequency (see
/// [`DOMAIN_WORD_MIN_FREQ`]) so that it stays whole in context too.
fn add_domain_words<'t>(jieba: &mut Jieba, terms: impl IntoIterator<Item = &'t str>) {
    for term in terms {
        let term = normalize(term.trim());
        if !is_dictionary_candidate(&term) || is_kept_whole(jieba, &term) {
            continue;
        }
        let freq = jieba.suggest_freq(&term).max(DOMAIN_WORD_MIN_FREQ);
        jieba.add_word(&term, Some(freq), Some("n"));
    }
}

/// One word of analyzed text (one position), with its dictionary sub-words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedWord {
    /// The word's token (lowercased, stemmed).
    pub text: String,
    /// Dictionary sub-words found inside it in search mode (冶金 in 氢冶金).
    pub subwords: Vec<String>,
    /// Byte offset of the word in the analyzed text.
    pub offset_from: usize,
    /// Byte offset just past the word.
    pub offset_to: usize,
}

impl AnalyzedWord {
    /// The sub-words that are not part of a longer sub-word of the same word,
    /// in order: the pieces the word is made of (工业 and 互联网 for
    /// 工业互联网, whose 互联 and 联网 lie inside 互联网).
    pub fn outer_subwords(&self) -> Vec<String> {
        self.subwords
            .iter()
            .filter(|subword| {
                !self.subwords.iter().any(|other| other.len() > subword.len() && other.contains(subword.as_str()))
            })
            .cloned()
            .collect()
    }

    /// The word cut into sub-words that follow each other without gap or
    /// overlap (工业互联网 → 工业, 互联网; 冷链物流 → 冷链, 物流), preferring
    /// longer pieces; `None` when its sub-words do not cover it (氢冶金 has
    /// only 冶金) or it has none. This is how the word reads when it is
    /// written as separate adjacent words.
    pub fn tiling(&self) -> Option<Vec<String>> {
        let mut subwords: Vec<&str> = self.subwords.iter().map(String::as_str).collect();
        subwords.sort_by_key(|subword| std::cmp::Reverse(subword.len()));
        let mut pieces = Vec::new();
        tile(&self.text, &subwords, &mut pieces).then(|| pieces.into_iter().map(str::to_owned).collect())
    }
}

/// Covers `rest` with `pieces` (longest first), depth first; on success
/// `tiling` holds the cover in order.
fn tile<'p>(rest: &str, pieces: &[&'p str], tiling: &mut Vec<&'p str>) -> bool {
    if rest.is_empty() {
        return !tiling.is_empty();
    }
    for &piece in pieces {
        if !piece.is_empty() && rest.starts_with(piece) {
            tiling.push(piece);
            if tile(&rest[piece.len()..], pieces, tiling) {
                return true;
            }
            tiling.pop();
        }
    }
    false
}

/// Where a term occurs in a text: a byte range of the text as given (see
/// [`Analyzer::find_terms`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermSpan<'t> {
    /// The analyzed term found.
    pub term: &'t str,
    pub from: usize,
    pub to: usize,
}

/// Characters on either side of a candidate match that segmentation sees
/// when confirming it (see [`Analyzer::find_terms`]).
const CONFIRM_CONTEXT_CHARS: usize = 8;
/// Occurrences of one term kept at most per text: enough to mark and list it.
const MAX_SPANS_PER_TERM: usize = 8;

/// One term of a query with the ways it may match: OR them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermAlternatives {
    /// The query's own word(s) this stands for: one, or several when a
    /// multi-word synonym matched ("machine learning" → `[machin, learn]`).
    pub tokens: Vec<String>,
    /// The analyzed words behind `tokens`, with their sub-words.
    pub words: Vec<AnalyzedWord>,
    /// Every token sequence that satisfies the term, `tokens` first, then
    /// synonyms. A sequence of more than one token is a phrase.
    pub alternatives: Vec<Vec<String>>,
    /// Dictionary sub-words of the query word(s): looser matches (冶金 for a
    /// query 氢冶金) a caller may add with a lower weight.
    pub subwords: Vec<String>,
}

impl TermAlternatives {
    /// Whether synonyms added alternatives.
    pub fn has_synonyms(&self) -> bool {
        self.alternatives.len() > 1
    }

    /// A query matching any alternative in `field` (a term query, or a
    /// phrase query for a multi-token one), plus each sub-word with weight
    /// `subword_boost` when given.
    pub fn to_query(&self, field: Field, subword_boost: Option<f32>) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = self
            .alternatives
            .iter()
            .filter_map(|tokens| sequence_query(field, tokens))
            .map(|query| (Occur::Should, query))
            .collect();
        if let Some(boost) = subword_boost {
            for subword in &self.subwords {
                let term = TermQuery::new(Term::from_field_text(field, subword), IndexRecordOption::WithFreqs);
                clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(term), boost))));
            }
        }
        match clauses.len() {
            0 => Box::new(EmptyQuery),
            1 => clauses.pop().map_or_else(|| Box::new(EmptyQuery) as Box<dyn Query>, |(_, q)| q),
            _ => Box::new(BooleanQuery::new(clauses)),
        }
    }
}

/// A term query for one token, a phrase query for several, nothing for none.
pub fn sequence_query(field: Field, tokens: &[String]) -> Option<Box<dyn Query>> {
    let mut terms: Vec<Term> = tokens.iter().map(|token| Term::from_field_text(field, token)).collect();
    match terms.len() {
        0 => None,
        1 => terms.pop().map(|term| Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>),
        _ => Some(Box::new(PhraseQuery::new(terms))),
    }
}

/// Combines the queries of `terms` (see [`TermAlternatives::to_query`]):
/// with [`Occur::Should`] any term may match, with [`Occur::Must`] all must.
/// No terms give a query matching nothing.
pub fn terms_query(
    field: Field,
    terms: &[TermAlternatives],
    occur: Occur,
    subword_boost: Option<f32>,
) -> Box<dyn Query> {
    if terms.is_empty() {
        return Box::new(EmptyQuery);
    }
    Box::new(BooleanQuery::new(terms.iter().map(|term| (occur, term.to_query(field, subword_boost))).collect()))
}

/// Indexing options for a text field analyzed with [`CHINESE_ANALYZER`],
/// with positions (phrase queries need them); stored when `stored`.
pub fn text_field_options(stored: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(CHINESE_ANALYZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let options = TextOptions::default().set_indexing_options(indexing);
    if stored { options.set_stored() } else { options }
}

/// Builds an analyzer with `domain_terms` added to the defaults and registers
/// it in `tokenizers` (e.g. `index.tokenizers()`) as [`CHINESE_ANALYZER`].
pub fn register<I, S>(tokenizers: &TokenizerManager, domain_terms: I) -> Analyzer
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let analyzer = Analyzer::builder().domain_terms(domain_terms).build();
    analyzer.register(tokenizers);
    analyzer
}

impl Analyzer {
    /// The analyzer with the default domain terms and synonyms, built once per
    /// process.
    pub fn shared() -> Analyzer {
        SHARED.clone()
    }

    /// A builder for an analyzer with more domain terms or other synonyms.
    pub fn builder() -> AnalyzerBuilder {
        AnalyzerBuilder::default()
    }

    /// The tantivy analyzer, e.g. to register under another name.
    pub fn text_analyzer(&self) -> TextAnalyzer {
        self.inner.text_analyzer.clone()
    }

    /// Registers the analyzer in `tokenizers` as [`CHINESE_ANALYZER`].
    pub fn register(&self, tokenizers: &TokenizerManager) {
        tokenizers.register(CHINESE_ANALYZER, self.text_analyzer());
    }

    /// Every token of `text` as indexed: each word followed by its sub-words.
    pub fn analyze(&self, text: &str) -> Vec<String> {
        let mut analyzer = self.text_analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut tokens = Vec::new();
        while let Some(token) = stream.next() {
            tokens.push(token.text.clone());
        }
        tokens
    }

    /// The words of `text` (one per position) with their sub-words and
    /// offsets; what a matcher shows as evidence or counts as overlap.
    pub fn analyze_words(&self, text: &str) -> Vec<AnalyzedWord> {
        words_of(&self.inner.text_analyzer, text)
    }

    /// Where `terms` (analyzed tokens, as a query holds them) occur in `text`,
    /// as byte ranges of `text`, ordered by position; what a hit shows as
    /// highlights and matched terms. The text is not segmented as a whole:
    /// each term is looked up in its normalized form, and each candidate is
    /// confirmed by segmenting a few characters around it, so a term that
    /// only straddles two words (家电 in 国家电网) does not count, and an
    /// English word counts when it stems to the term (Farming for farm).
    /// Candidates whose surroundings overlap (a word and its sub-words, a
    /// query's adjacent words) are confirmed by one segmentation of their
    /// joint surroundings, so no character is segmented twice.
    pub fn find_terms<'t>(&self, text: &str, terms: &'t BTreeSet<String>) -> Vec<TermSpan<'t>> {
        if text.is_empty() || terms.is_empty() {
            return Vec::new();
        }
        let normalized = normalize::Normalized::new(text);
        // Tokens are lowercase; ASCII lowercasing keeps the byte layout.
        let lower = normalized.text.to_ascii_lowercase();
        // Confirmed matches as (from, to, term) in `lower`, and Chinese
        // candidates still to confirm in context.
        let mut confirmed: Vec<(usize, usize, &'t str)> = Vec::new();
        let mut candidates: Vec<(usize, usize, &'t str)> = Vec::new();
        for term in terms.iter().filter(|term| !term.is_empty()) {
            let ascii_word = term.bytes().all(|b| b.is_ascii_alphanumeric());
            for (at, _) in lower.match_indices(term.as_str()) {
                let end = at + term.len();
                if !ascii_word {
                    candidates.push((at, end, term.as_str()));
                } else if let Some(end) = self.confirm_ascii_word(&lower, at, end, term) {
                    confirmed.push((at, end, term.as_str()));
                }
            }
        }
        candidates.sort_unstable();
        let mut next = 0;
        while next < candidates.len() {
            let (from, mut to) = context_window(&lower, candidates[next].0, candidates[next].1);
            let mut last = next + 1;
            while let Some(&(at, end, _)) = candidates.get(last) {
                let (window_from, window_to) = context_window(&lower, at, end);
                if window_from >= to {
                    break;
                }
                to = to.max(window_to);
                last += 1;
            }
            let words = self.analyze_words(&lower[from..to]);
            for &(at, end, term) in &candidates[next..last] {
                let cut = words.iter().any(|word| {
                    let (start, stop) = (from + word.offset_from, from + word.offset_to);
                    (word.text == term && start == at && stop == end)
                        || (start <= at && end <= stop && word.subwords.iter().any(|subword| subword == term))
                });
                if cut {
                    confirmed.push((at, end, term));
                }
            }
            next = last;
        }
        confirmed.sort_unstable();
        let mut per_term: BTreeMap<&str, usize> = BTreeMap::new();
        let mut spans = Vec::new();
        for (at, end, term) in confirmed {
            let found = per_term.entry(term).or_insert(0);
            if *found == MAX_SPANS_PER_TERM {
                continue;
            }
            let (from, to) = (normalized.original_offset(at), normalized.original_offset(end));
            if from < to && text.is_char_boundary(from) && text.is_char_boundary(to) {
                spans.push(TermSpan { term, from, to });
                *found += 1;
            }
        }
        spans.sort_by_key(|span| (span.from, std::cmp::Reverse(span.to)));
        spans
    }

    /// The end of the English word starting at `at` when it is `term` or
    /// stems to it (`lower[at..end]` is `term`).
    fn confirm_ascii_word(&self, lower: &str, at: usize, end: usize, term: &str) -> Option<usize> {
        let bytes = lower.as_bytes();
        if at > 0 && bytes[at - 1].is_ascii_alphanumeric() {
            return None;
        }
        let word_end = end + bytes[end..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        if word_end == end {
            return Some(end);
        }
        (self.analyze(&lower[at..word_end]).first().map(String::as_str) == Some(term)).then_some(word_end)
    }

    /// The terms of a query, each with its synonyms: build the query by
    /// OR-ing each term's alternatives ([`TermAlternatives::to_query`]) and
    /// combining the terms ([`terms_query`]). Synonyms apply here only, not
    /// at indexing, so changing them needs no reindexing.
    pub fn expand_query_terms(&self, text: &str) -> Vec<TermAlternatives> {
        let words = self.analyze_words(text);
        let texts: Vec<String> = words.iter().map(|word| word.text.clone()).collect();
        let mut terms = Vec::with_capacity(words.len());
        let mut start = 0;
        while start < texts.len() {
            let (len, alternatives) = self
                .inner
                .synonyms
                .longest_match(&texts[start..])
                .unwrap_or_else(|| (1, vec![vec![texts[start].clone()]]));
            let mut subwords: Vec<String> = Vec::new();
            for subword in words[start..start + len].iter().flat_map(|w| &w.subwords) {
                if !subwords.contains(subword) {
                    subwords.push(subword.clone());
                }
            }
            terms.push(TermAlternatives {
                tokens: texts[start..start + len].to_vec(),
                words: words[start..start + len].to_vec(),
                alternatives,
                subwords,
            });
            start += len;
        }
        terms
    }

    /// The `top_k` keywords of `text` by TF-IDF with jieba's IDF table, best
    /// first. Domain terms come out whole, and those missing from the table
    /// get its median IDF (about 12 of at most 14), i.e. count as rare words.
    /// Only nouns, verbal nouns, idioms, abbreviations and English words are
    /// kept. Keywords are in normalized form
    /// (simplified, half-width) but not lowercased or stemmed: they are
    /// meant to be read, e.g. as competencies extracted from a need.
    pub fn keywords(&self, text: &str, top_k: usize) -> Vec<(String, f64)> {
        if top_k == 0 {
            return Vec::new();
        }
        let tfidf = self.inner.tfidf.get_or_init(|| self.build_tfidf());
        let text = normalize(text);
        let allowed = KEYWORD_TAGS.iter().map(|tag| (*tag).to_owned()).collect();
        tfidf
            .extract_keywords(&self.inner.jieba, &text, top_k, allowed)
            .into_iter()
            .map(|keyword| (keyword.keyword, keyword.weight))
            .collect()
    }

    fn build_tfidf(&self) -> TfIdf {
        // jieba-rs's own stop words (English) plus the analyzer's.
        let mut config = KeywordExtractConfig::builder();
        for stop_word in tokenizer::stop_words() {
            config = config.add_stop_word(stop_word);
        }
        let mut tfidf = TfIdf::default();
        *tfidf.config_mut() = config.build();
        tfidf
    }
}

/// The byte range of `lower` that segmentation sees when confirming the
/// candidate `lower[at..end]`: [`CONFIRM_CONTEXT_CHARS`] characters either side.
fn context_window(lower: &str, at: usize, end: usize) -> (usize, usize) {
    let from = lower[..at].char_indices().rev().take(CONFIRM_CONTEXT_CHARS).last().map_or(at, |(i, _)| i);
    let to = lower[end..].char_indices().nth(CONFIRM_CONTEXT_CHARS).map_or(lower.len(), |(i, _)| end + i);
    (from, to)
}

/// The words of `text` as analyzed by `text_analyzer` (a `zh_en` one).
fn words_of(text_analyzer: &TextAnalyzer, text: &str) -> Vec<AnalyzedWord> {
    let mut text_analyzer = text_analyzer.clone();
    let mut stream = text_analyzer.token_stream(text);
    let mut words: Vec<(usize, AnalyzedWord)> = Vec::new();
    while let Some(token) = stream.next() {
        match words.last_mut() {
            // The tokenizer emits a word before its sub-words, at the same
            // position.
            Some((position, word)) if *position == token.position => {
                if !word.subwords.contains(&token.text) {
                    word.subwords.push(token.text.clone());
                }
            }
            _ => words.push((
                token.position,
                AnalyzedWord {
                    text: token.text.clone(),
                    subwords: Vec::new(),
                    offset_from: token.offset_from,
                    offset_to: token.offset_to,
                },
            )),
        }
    }
    words.into_iter().map(|(_, word)| word).collect()
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::QueryParser;
    use tantivy::schema::{Schema, Value};
    use tantivy::{Index, TantivyDocument, doc};

    use super::*;

    fn analyze(text: &str) -> Vec<String> {
        Analyzer::shared().analyze(text)
    }

    /// An in-RAM index of `texts` in one stored `zh_en` field.
    fn index_of(analyzer: &Analyzer, texts: &[&str]) -> (Index, Field) {
        let mut schema = Schema::builder();
        let field = schema.add_text_field("text", text_field_options(true));
        let index = Index::create_in_ram(schema.build());
        analyzer.register(index.tokenizers());
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 15_000_000).expect("writer");
        for text in texts {
            writer.add_document(doc!(field => *text)).expect("add");
        }
        writer.commit().expect("commit");
        (index, field)
    }

    /// The stored texts `query` finds, best first.
    fn search(index: &Index, field: Field, query: &dyn Query) -> Vec<String> {
        let searcher = index.reader().expect("reader").searcher();
        let hits = searcher.search(query, &TopDocs::with_limit(10).order_by_score()).expect("search");
        hits.into_iter()
            .map(|(_, address)| {
                let doc: TantivyDocument = searcher.doc(address).expect("doc");
                doc.get_first(field).and_then(|value| value.as_str()).unwrap_or_default().to_owned()
            })
            .collect()
    }

    fn parse_and_search(index: &Index, field: Field, query: &str) -> Vec<String> {
        let parser = QueryParser::for_index(index, vec![field]);
        let query = parser.parse_query(query).expect("query parses");
        search(index, field, &*query)
    }

    fn expanded_search(analyzer: &Analyzer, index: &Index, field: Field, query: &str) -> Vec<String> {
        let terms = analyzer.expand_query_terms(query);
        search(index, field, &*terms_query(field, &terms, Occur::Should, None))
    }

    const CORPUS: &[&str] = &[
        "氢冶金低碳炼钢技术",
        "Shrimp farming diseases and their control",
        "绿色钢铁短流程冶炼",
        "物联网平台建设与运维",
        "大数据分析服务",
        "machine learning for pompano grading",
        "工业互联网标识解析",
        "火龙果采后保鲜与冷链物流",
    ];

    /// Costs quoted in docs and reports; prints only. Run with
    /// `cargo test --release -p innomatch-search measure -- --ignored --nocapture`.
    #[test]
    #[ignore = "prints timings, asserts nothing"]
    fn measure() {
        use std::time::Instant;
        let t = Instant::now();
        let jieba = Jieba::new();
        eprintln!("Jieba::new {:?}", t.elapsed());
        let t = Instant::now();
        let shared = Analyzer::shared();
        eprintln!("shared analyzer (dict + domain terms + synonyms) {:?}", t.elapsed());
        let t = Instant::now();
        let copy = Jieba::clone(&jieba);
        eprintln!("Jieba clone {:?}", t.elapsed());
        drop(copy);
        let t = Instant::now();
        let custom = Analyzer::builder().domain_terms(["雷州半岛海水稻", "湛江港"]).build();
        eprintln!("custom analyzer {:?}", t.elapsed());
        let sample = "湛江某钢铁企业希望引进氢冶金和低碳炼钢技术，降低高炉煤气排放；Shrimp farming diseases, IoT 监测平台。对虾养殖与金鲳鱼深海网箱，火龙果采后保鲜，南药种植，预制菜中央厨房。";
        let text = sample.repeat(2000);
        let t = Instant::now();
        let tokens = custom.analyze(&text);
        let secs = t.elapsed().as_secs_f64();
        eprintln!(
            "{} bytes, {} tokens in {secs:.3}s: {:.1} MB/s, {:.0} tokens/s",
            text.len(),
            tokens.len(),
            text.len() as f64 / secs / 1e6,
            tokens.len() as f64 / secs
        );
        let t = Instant::now();
        let _ = shared.keywords(sample, 5);
        eprintln!("first keywords (IDF load) {:?}", t.elapsed());
        let t = Instant::now();
        for _ in 0..100 {
            let _ = shared.keywords(sample, 5);
        }
        eprintln!("keywords per call {:?}", t.elapsed() / 100);
        let t = Instant::now();
        for _ in 0..1000 {
            let _ = shared.expand_query_terms("物联网 machine learning 氢冶金 对虾养殖");
        }
        eprintln!("expand_query_terms per call {:?}", t.elapsed() / 1000);
    }

    #[test]
    fn sub_words_are_emitted_next_to_words() {
        let tokens = analyze("氢冶金 低碳炼钢");
        for expected in ["氢冶金", "冶金", "低碳炼钢", "炼钢"] {
            assert!(tokens.iter().any(|t| t == expected), "{expected} in {tokens:?}");
        }
        assert!(analyze("绿色钢铁").contains(&"钢铁".to_owned()));
        let words = Analyzer::shared().analyze_words("工业互联网平台");
        assert_eq!(words[0].text, "工业互联网");
        assert!(words[0].subwords.contains(&"互联网".to_owned()));
        assert_eq!(words[1].text, "平台");
    }

    #[test]
    fn terms_are_found_where_segmenting_the_whole_text_finds_them() {
        let analyzer = Analyzer::shared();
        for text in [
            "湛江某钢铁企业希望引进氢冶金和低碳炼钢技术，降低高炉煤气排放",
            "国家电网调度自动化，一种基于深度学习的研究方法",
            "Shrimp Farming diseases and farmers; IoT 监测平台",
            "ＩｏＴ與綠色鋼鐵冶金",
        ] {
            let words = analyzer.analyze_words(text);
            let terms: BTreeSet<String> =
                words.iter().flat_map(|w| std::iter::once(w.text.clone()).chain(w.subwords.clone())).collect();
            let found: BTreeSet<&str> = analyzer.find_terms(text, &terms).iter().map(|span| span.term).collect();
            assert_eq!(found, terms.iter().map(String::as_str).collect::<BTreeSet<_>>(), "{text}");
        }
        let terms: BTreeSet<String> = ["farm", "iot", "钢铁"].map(String::from).into();
        let text = "farmers use ＩｏＴ for 綠色鋼鐵";
        let surfaces: Vec<&str> =
            analyzer.find_terms(text, &terms).iter().map(|span| &text[span.from..span.to]).collect();
        assert_eq!(surfaces, ["ＩｏＴ", "鋼鐵"], "farmers is no farm; spans are in the text as given");
    }

    #[test]
    fn words_know_the_pieces_they_are_made_of() {
        let analyzer = Analyzer::shared();
        let word = |text: &str| analyzer.analyze_words(text).remove(0);
        let internet = word("工业互联网");
        assert_eq!(internet.outer_subwords(), ["工业", "互联网"]);
        assert_eq!(internet.tiling().expect("covered"), ["工业", "互联网"]);
        assert_eq!(word("检验检测").tiling().expect("covered"), ["检验", "检测"]);
        // Overlapping sub-words are all pieces, but only some spell the word.
        let wind = word("海上风电");
        assert_eq!(wind.outer_subwords(), ["海上", "上风", "风电"]);
        assert_eq!(wind.tiling().expect("covered"), ["海上", "风电"]);
        // 氢 is no sub-word: 冶金 alone does not spell 氢冶金.
        let hydrogen = word("氢冶金");
        assert_eq!(hydrogen.outer_subwords(), ["冶金"]);
        assert_eq!(hydrogen.tiling(), None);
        assert_eq!(word("钢铁").tiling(), None, "no sub-words");
    }

    #[test]
    fn domain_terms_stay_whole() {
        let analyzer = Analyzer::shared();
        for term in ["工业互联网", "氢冶金", "预制菜", "金鲳鱼", "火龙果", "南药", "碳捕集"] {
            let words = analyzer.analyze_words(&format!("发展{term}产业"));
            assert!(words.iter().any(|w| w.text == term), "{term}: {words:?}");
        }
        // Every shipped term, not just the examples, and without hurting the
        // neighbours: 湖南药材 is not 湖/南药/材.
        for term in default_domain_terms() {
            assert!(is_kept_whole(&BASE_JIEBA, term), "{term} is cut apart");
        }
        assert_eq!(analyze("湖南药材"), ["湖南", "药材"]);
    }

    #[test]
    fn extra_domain_terms_are_added_and_known_ones_share_the_dictionary() {
        let term = "雷州半岛海水稻";
        assert!(!is_kept_whole(&BASE_JIEBA, term));
        let analyzer = Analyzer::builder().domain_terms([term]).build();
        assert_eq!(analyzer.analyze_words(term)[0].text, term);
        assert!(!Arc::ptr_eq(&analyzer.inner.jieba, &BASE_JIEBA));

        let same = Analyzer::builder().domain_terms(["氢冶金", "钢铁"]).build();
        assert!(Arc::ptr_eq(&same.inner.jieba, &BASE_JIEBA));
    }

    #[test]
    fn english_is_lowercased_stemmed_and_stop_words_dropped() {
        assert_eq!(analyze("Shrimp farming diseases"), ["shrimp", "farm", "diseas"]);
        assert_eq!(analyze("the shrimp and the oyster"), ["shrimp", "oyster"]);
        // IT and NO are domain words here, not stop words.
        assert_eq!(analyze("IT服务"), ["it", "服务"]);
    }

    #[test]
    fn full_width_and_traditional_are_folded() {
        assert_eq!(analyze("ＩｏＴ"), ["iot"]);
        assert_eq!(analyze("ＡＢＣ１２３"), ["abc123"]);
        assert_eq!(analyze("綠色鋼鐵"), analyze("绿色钢铁"));
        for (traditional, simplified) in [("氫冶金", "氢冶金"), ("預製菜", "预制菜"), ("對蝦養殖", "对虾养殖")]
        {
            assert_eq!(analyze(traditional), analyze(simplified), "{traditional}");
        }
    }

    #[test]
    fn whitespace_and_punctuation_are_not_tokens() {
        assert!(analyze(" \t\n，。！？、；：“”（）《》…—-·,.;:!?()[]{}\"' ").is_empty());
        assert_eq!(analyze("钢铁，冶金。\r\n"), ["钢铁", "冶金"]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "ＩｏＴ與綠色鋼鐵";
        let words = Analyzer::shared().analyze_words(text);
        let spans: Vec<&str> = words.iter().map(|w| &text[w.offset_from..w.offset_to]).collect();
        // 與 (与) is a stop word.
        assert_eq!(spans, ["ＩｏＴ", "綠色鋼鐵"]);
    }

    #[test]
    fn degenerate_input_does_not_panic() {
        let analyzer = Analyzer::shared();
        assert!(analyzer.analyze("").is_empty());
        assert!(analyzer.expand_query_terms("").is_empty());
        assert!(analyzer.keywords("", 5).is_empty());

        let mixed = "湛江对虾养殖 IoT 监测，ＡＩ 病害识别😀 綠色鋼鐵；".repeat(400);
        let long: String = mixed.chars().take(10_000).collect();
        for text in [long, "氢".repeat(10_000), "a".repeat(10_000), "\u{0}\u{FFFF}\u{10FFFF}".repeat(3_000)] {
            let words = analyzer.analyze_words(&text);
            for word in &words {
                assert!(text.get(word.offset_from..word.offset_to).is_some());
            }
            analyzer.expand_query_terms(&text);
            analyzer.keywords(&text, 10);
        }
    }

    #[test]
    fn query_parser_finds_documents_through_sub_words() {
        let analyzer = Analyzer::shared();
        let (index, field) = index_of(&analyzer, CORPUS);
        assert_eq!(parse_and_search(&index, field, "冶金"), ["氢冶金低碳炼钢技术"]);
        assert_eq!(parse_and_search(&index, field, "钢铁"), ["绿色钢铁短流程冶炼"]);
        assert_eq!(parse_and_search(&index, field, "互联网"), ["工业互联网标识解析"]);
        assert_eq!(parse_and_search(&index, field, "shrimp disease")[0], CORPUS[1]);
        // Several tokens at one position (氢冶金 and its sub-word 冶金) make a
        // phrase query that still matches.
        assert_eq!(parse_and_search(&index, field, "氢冶金"), ["氢冶金低碳炼钢技术"]);
        assert_eq!(parse_and_search(&index, field, "綠色鋼鐵"), ["绿色钢铁短流程冶炼"]);
        // Phrases count words: adjacent words match, words apart do not.
        assert_eq!(parse_and_search(&index, field, "\"氢冶金低碳炼钢\""), ["氢冶金低碳炼钢技术"]);
        assert!(parse_and_search(&index, field, "\"氢冶金技术\"").is_empty());
    }

    #[test]
    fn synonyms_expand_queries_both_ways() {
        let analyzer = Analyzer::shared();
        let terms = analyzer.expand_query_terms("物联网");
        assert_eq!(terms.len(), 1);
        assert_eq!(terms[0].tokens, ["物联网"]);
        assert!(terms[0].alternatives.contains(&vec!["iot".to_owned()]));
        assert!(terms[0].has_synonyms());

        let terms = analyzer.expand_query_terms("Machine Learning 氢冶金");
        assert_eq!(terms[0].tokens, ["machin", "learn"]);
        assert!(terms[0].alternatives.contains(&vec!["机器学习".to_owned()]));
        assert_eq!(terms[1].alternatives, [["氢冶金"]]);
        assert_eq!(terms[1].subwords, ["冶金"]);

        let (index, field) = index_of(&analyzer, CORPUS);
        assert_eq!(expanded_search(&analyzer, &index, field, "ＩｏＴ"), [CORPUS[3]]);
        assert_eq!(expanded_search(&analyzer, &index, field, "big data"), [CORPUS[4]]);
        assert_eq!(expanded_search(&analyzer, &index, field, "机器学习"), [CORPUS[5]]);
        assert_eq!(expanded_search(&analyzer, &index, field, "dragon fruits"), [CORPUS[7]]);
    }

    #[test]
    fn sub_words_widen_an_expanded_query_when_asked() {
        let analyzer = Analyzer::shared();
        let (index, field) = index_of(&analyzer, &["冶金工艺改进", "氢冶金示范线"]);
        let terms = analyzer.expand_query_terms("氢冶金");
        let strict = terms_query(field, &terms, Occur::Should, None);
        assert_eq!(search(&index, field, &*strict), ["氢冶金示范线"]);
        let loose = terms_query(field, &terms, Occur::Should, Some(0.3));
        assert_eq!(search(&index, field, &*loose), ["氢冶金示范线", "冶金工艺改进"]);
    }

    #[test]
    fn custom_synonyms_replace_the_defaults() {
        let analyzer = Analyzer::builder().synonyms("甲壳素, chitin\n").expect("valid table").build();
        let terms = analyzer.expand_query_terms("Chitin 物联网");
        assert_eq!(terms[0].alternatives, [["chitin"], ["甲壳素"]]);
        assert!(!terms[1].has_synonyms());
        assert_eq!(Analyzer::builder().synonyms("lonely\n").err(), Some(SynonymError::TooFewTerms { line: 1 }));
    }

    #[test]
    fn keywords_come_out_whole_and_readable() {
        let need = "湛江某钢铁企业希望引进氢冶金和低碳炼钢技术，降低高炉煤气排放，\
                    同时需要鋼渣綜合利用方面的专利与检验检测服务。";
        let keywords: Vec<String> = Analyzer::shared().keywords(need, 6).into_iter().map(|(word, _)| word).collect();
        for expected in ["氢冶金", "低碳炼钢", "钢渣综合利用", "检验检测"] {
            assert!(keywords.iter().any(|k| k == expected), "{expected} in {keywords:?}");
        }
        assert!(Analyzer::shared().keywords(need, 0).is_empty());
    }
}
