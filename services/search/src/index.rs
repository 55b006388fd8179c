//! The search index: applies catalog changes (upsert by id, commit payload =
//! last applied change sequence) and answers searches with visibility
//! enforced inside the query, facets, snippets and matched terms.
//!
//! A search pays for what it is asked: facets are counted only when
//! requested, an estimated total lets tantivy skip documents that cannot
//! reach the page, a word is looked for only in the fields that hold it, and
//! snippets and matched terms come from the query's own analyzed terms found
//! in the returned page's stored text, not from segmenting that text again.

use std::{
    cell::RefCell,
    collections::{BTreeSet, HashMap},
    path::Path,
    sync::{LazyLock, Mutex, RwLock},
};

use innomatch_catalog::store::Change;
use innomatch_core::{
    auth::Principal,
    model::{CapabilityKind, OrganizationKind, Record, RecordKind, ServiceCategory},
    taxonomy::Taxonomy,
};
use rayon::prelude::*;
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TERMINATED, TantivyDocument,
    Term,
    collector::{Collector, Count, FacetCollector, FacetCounts as TantivyFacetCounts, TopDocs},
    directory::MmapDirectory,
    query::{
        AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, EnableScoring, Occur, Query, RangeQuery,
        TermQuery, TermSetQuery,
    },
    schema::{Field, IndexRecordOption, Value},
};
use tokio::sync::watch;

use crate::{
    analysis::{Analyzer, sequence_query, terms_query},
    document::{self, FACET_DIMENSIONS, OrgInfo, READABLE_BY_ALL, facet},
    highlight,
    query::{Clause, QueryField},
    relevance::{self, RelevanceModel, TextVector},
    schema::{self, Fields, weighted_text_fields},
};

/// Weight of dictionary sub-words (冶金 inside 氢冶金) relative to whole words.
const SUBWORD_BOOST: f32 = 0.3;
/// A query of at most this many words needs every one of them: a few
/// words are keywords, each narrowing the results.
const ALL_WORDS_UP_TO: usize = 3;
/// A longer query (a pasted title or sentence) needs at least this share of
/// its words: it describes what is wanted, and a relevant text seldom uses
/// every word of it (a paper's abstract holds all of its title's words for
/// about four titles in ten, half of them for more than nine in ten).
/// BM25 still ranks the texts holding more of them first.
const LONG_QUERY_WORD_SHARE: f64 = 0.5;
/// Memory the index writer may use before it flushes a segment.
const WRITER_MEMORY_BYTES: usize = 64 * 1024 * 1024;
const SNIPPET_CHARS: usize = 120;
/// [`SearchIndex::compact`] leaves the largest segment out of its merge
/// when it holds at least this share of the documents: a few writes after
/// a bulk load merge among themselves, and the whole index is rewritten at
/// most once per tenth of growth.
const COMPACT_LARGEST_SHARE: f64 = 0.9;
/// Tries of [`SearchIndex::compact`] against merges of the merge policy.
const COMPACT_ATTEMPTS: usize = 5;

/// One analyzer for the whole process: the jieba dictionary plus the
/// taxonomy's domain terms. Index and queries must share it.
static ANALYZER: LazyLock<Analyzer> =
    LazyLock::new(|| Analyzer::builder().domain_terms(Taxonomy::get().domain_terms()).build());

pub fn analyzer() -> Analyzer {
    ANALYZER.clone()
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("index failure: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("index directory: {0}")]
    Directory(String),
    #[error("index writer lock poisoned")]
    Poisoned,
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchOrder {
    #[default]
    Relevance,
    Recency,
}

/// Validated filters; empty lists mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub record_kinds: Vec<RecordKind>,
    pub organization_kinds: Vec<OrganizationKind>,
    pub high_tech_fields: Vec<String>,
    pub industries: Vec<String>,
    pub regions: Vec<String>,
    pub service_categories: Vec<ServiceCategory>,
    pub capability_kinds: Vec<CapabilityKind>,
    pub min_trl: Option<u32>,
    pub max_trl: Option<u32>,
    pub organization_id: Option<String>,
    /// Any of these owners (for matching against a chosen set of organizations).
    pub organization_ids: Vec<String>,
}

/// A validated search request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchRequest {
    pub clauses: Vec<Clause>,
    pub filters: Filters,
    /// Facet dimensions to count (see [`FACET_DIMENSIONS`]).
    pub facets: Vec<String>,
    pub order: SearchOrder,
    /// Clauses are alternatives (OR) rather than all required (AND): for
    /// matching a need's many terms against records that share some of them.
    pub match_any: bool,
    pub limit: usize,
    pub offset: usize,
    /// The total may be a lower bound (see [`SearchResults::total_exact`]):
    /// the search then collects only the best `offset + limit` hits and
    /// tantivy skips what cannot reach them, instead of visiting every hit.
    pub estimate_total: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Highlight {
    pub field: &'static str,
    pub snippet: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: RecordKind,
    pub id: String,
    /// Empty when the caller may not know the owner (anonymous needs).
    pub organization_id: String,
    pub organization_name: String,
    pub title: String,
    pub score: f32,
    pub highlights: Vec<Highlight>,
    pub matched_terms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCounts {
    pub dimension: String,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    /// Every hit, when [`SearchResults::total_exact`]; otherwise a lower
    /// bound: the hits up to the page, plus one as more follow.
    pub total: u64,
    /// False only when the request allowed an estimate and more hits follow the page.
    pub total_exact: bool,
    pub facets: Vec<FacetCounts>,
    /// The change sequence the index had applied when it answered.
    pub index_sequence: i64,
}

/// The index with its single writer.
pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    analyzer: Analyzer,
    orgs: RwLock<HashMap<String, OrgInfo>>,
    relevance: RelevanceModel,
    applied: watch::Sender<i64>,
    /// How many batches are being indexed right now (see [`Self::indexing`]).
    indexing: watch::Sender<usize>,
}

/// A record's relevance features, with the ids the relevance model already
/// had for their terms when they were analysed (see
/// [`RelevanceModel::known_ids`]).
struct Features {
    terms: Vec<(String, u32)>,
    known: Vec<Option<u32>>,
}

/// A batch being indexed: counted in [`SearchIndex::subscribe_indexing`]
/// until dropped, however its indexing ends.
struct Indexing<'a>(&'a watch::Sender<usize>);

impl Drop for Indexing<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|running| *running = running.saturating_sub(1));
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("applied", &*self.applied.borrow()).finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when absent.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|e| IndexError::Directory(format!("{}: {e}", dir.display())))?;
        let (schema, _) = schema::build();
        let directory = MmapDirectory::open(dir).map_err(|e| IndexError::Directory(e.to_string()))?;
        let exists = Index::exists(&directory).map_err(|e| IndexError::Directory(e.to_string()))?;
        if exists && Index::open(directory.clone())?.schema() != schema {
            // The index is derived from the record store: an index written
            // with another schema is dropped, and the follower rebuilds it
            // from the change feed (its applied sequence starts at 0 again).
            tracing::warn!(dir = %dir.display(), "index schema changed; rebuilding the index from the change feed");
            drop(directory);
            std::fs::remove_dir_all(dir).map_err(|e| IndexError::Directory(format!("{}: {e}", dir.display())))?;
            std::fs::create_dir_all(dir).map_err(|e| IndexError::Directory(format!("{}: {e}", dir.display())))?;
            let directory = MmapDirectory::open(dir).map_err(|e| IndexError::Directory(e.to_string()))?;
            return Self::from_index(Index::create(directory, schema, tantivy::IndexSettings::default())?);
        }
        let index = Index::open_or_create(directory, schema)?;
        Self::from_index(index)
    }

    /// A throwaway index in memory, for tests and benchmarks.
    pub fn in_ram() -> Result<Self, IndexError> {
        let (schema, _) = schema::build();
        Self::from_index(Index::create_in_ram(schema))
    }

    fn from_index(index: Index) -> Result<Self, IndexError> {
        let analyzer = analyzer();
        analyzer.register(index.tokenizers());
        let fields = Fields::from_schema(&index.schema())?;
        let applied = index.load_metas()?.payload.and_then(|payload| payload.parse::<i64>().ok()).unwrap_or(0);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer(WRITER_MEMORY_BYTES)?;
        let this = Self {
            reader,
            writer: Mutex::new(writer),
            fields,
            analyzer,
            orgs: RwLock::new(HashMap::new()),
            relevance: RelevanceModel::new(),
            applied: watch::channel(applied).0,
            indexing: watch::channel(0).0,
        };
        this.load_stored_state()?;
        Ok(this)
    }

    /// Rebuilds what lives beside the index from its stored fields: the
    /// organization cache from the organization documents, the relevance
    /// model from every document's stored features.
    fn load_stored_state(&self) -> Result<(), IndexError> {
        let searcher = self.reader.searcher();
        let addresses = searcher.search(&AllQuery, &tantivy::collector::DocSetCollector)?;
        let mut orgs = self.orgs.write().map_err(|_| IndexError::Poisoned)?;
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default();
            let kind = RecordKind::from_code(text(self.fields.kind));
            if kind == Some(RecordKind::Organization) {
                if let Some(Record::Organization(org)) = self.stored_record(&searcher, address)? {
                    orgs.insert(org.meta.id.clone(), OrgInfo::from(&org));
                }
            } else if let (Some(kind), Some(bag)) =
                (kind, doc.get_first(self.fields.bag).and_then(|v| v.as_bytes()).and_then(relevance::decode_bag))
            {
                self.relevance.restore(text(self.fields.id), kind, text(self.fields.owner), &bag);
            }
        }
        Ok(())
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The last change sequence applied and committed.
    pub fn applied_sequence(&self) -> i64 {
        *self.applied.borrow()
    }

    pub fn subscribe_applied(&self) -> watch::Receiver<i64> {
        self.applied.subscribe()
    }

    /// How many batches are being indexed: a batch of a bulk import can
    /// take seconds, and the index has not settled while one is.
    pub fn subscribe_indexing(&self) -> watch::Receiver<usize> {
        self.indexing.subscribe()
    }

    /// Counts a batch as being indexed until the guard is dropped.
    fn indexing(&self) -> Indexing<'_> {
        self.indexing.send_modify(|running| *running += 1);
        Indexing(&self.indexing)
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// How many segments a search goes through.
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Merges the segments into one, as a bulk load leaves many (a commit
    /// per batch, a segment per indexing thread, what the merge policy has
    /// not merged yet): a search looks each of its words up, and builds its
    /// scorers, once per segment. A largest segment that holds
    /// [`COMPACT_LARGEST_SHARE`] of the documents is kept, and the others
    /// are merged beside it. Returns how many segments were merged (`None`
    /// when fewer than two would be). Searches go on against the old
    /// segments meanwhile, and commits may too. Blocking: call from a
    /// blocking thread, once the index has settled.
    pub fn compact(&self) -> Result<Option<usize>, IndexError> {
        let mut attempt = 1;
        loop {
            match self.merge_segments() {
                // The merge policy merged some of the same segments meanwhile
                // (tantivy then refuses the second merge): look again.
                Err(IndexError::Tantivy(tantivy::TantivyError::InvalidArgument(_))) if attempt < COMPACT_ATTEMPTS => {
                    attempt += 1;
                }
                merged => return merged,
            }
        }
    }

    /// One attempt of [`Self::compact`].
    fn merge_segments(&self) -> Result<Option<usize>, IndexError> {
        // The reader only reloads after this index's own commits: merges
        // the merge policy finished since are not in its view, and merging
        // segments they replaced would be refused.
        self.reader.reload()?;
        let mut writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        let mut segments: Vec<_> = writer
            .index()
            .searchable_segment_metas()?
            .iter()
            .map(|segment| (segment.num_docs(), segment.id()))
            .collect();
        segments.sort_unstable_by_key(|&(docs, _)| std::cmp::Reverse(docs));
        let total: u32 = segments.iter().map(|&(docs, _)| docs).sum();
        let keep_largest =
            segments.first().is_some_and(|&(docs, _)| f64::from(docs) >= COMPACT_LARGEST_SHARE * f64::from(total));
        let ids: Vec<_> = segments.iter().skip(usize::from(keep_largest)).map(|&(_, id)| id).collect();
        if ids.len() < 2 {
            return Ok(None);
        }
        let merge = writer.merge(&ids);
        drop(writer);
        merge.wait()?;
        self.reader.reload()?;
        Ok(Some(ids.len()))
    }

    /// Applies changes in order, skipping those already applied, and commits
    /// them with the last sequence as payload, so a restart resumes after it.
    /// Blocking: call from a blocking thread.
    pub fn apply(&self, changes: &[Change]) -> Result<(), IndexError> {
        let from = self.applied_sequence();
        let Some(last) = changes.iter().map(|c| c.sequence).max().filter(|&last| last > from) else {
            return Ok(());
        };
        let _indexing = self.indexing();
        let changes: Vec<&Change> = changes.iter().filter(|c| c.sequence > from).collect();
        // Analysing the text is most of indexing and each record's stands
        // alone: done for the whole batch on every core first, with the ids
        // the relevance model already has for its terms.
        let features: Vec<Option<Features>> =
            changes.par_iter().map(|change| self.features_of(&change.record)).collect();
        let mut writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        for (change, features) in changes.into_iter().zip(features) {
            self.upsert(&writer, &change.record, features)?;
            if let Record::Organization(org) = &change.record {
                let info = OrgInfo::from(org);
                let previous =
                    self.orgs.write().map_err(|_| IndexError::Poisoned)?.insert(org.meta.id.clone(), info.clone());
                if previous.is_some_and(|p| p != info) {
                    self.reindex_records_of(&writer, &org.meta.id)?;
                }
            }
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&last.to_string());
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        self.applied.send_replace(last);
        Ok(())
    }

    /// Deletes every document and forgets the applied sequence.
    pub fn clear(&self) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        writer.delete_all_documents()?;
        let mut commit = writer.prepare_commit()?;
        commit.set_payload("0");
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        self.orgs.write().map_err(|_| IndexError::Poisoned)?.clear();
        self.relevance.clear();
        self.applied.send_replace(0);
        Ok(())
    }

    /// The relevance features of a record, when it is active and has a
    /// text, with the ids the relevance model already has for their terms.
    fn features_of(&self, record: &Record) -> Option<Features> {
        let active = record.meta().status() == innomatch_core::model::RecordStatus::Active;
        let terms = active
            .then(|| relevance::record_text(record))
            .flatten()
            .map(|text| relevance::features(&self.analyzer, &text))?;
        let known = self.relevance.known_ids(&terms);
        Some(Features { terms, known })
    }

    /// Replaces a record's document; `features` are its [`Self::features_of`].
    fn upsert(&self, writer: &IndexWriter, record: &Record, features: Option<Features>) -> Result<(), IndexError> {
        let id = &record.meta().id;
        writer.delete_term(Term::from_field_text(self.fields.id, id));
        let org = match record {
            Record::Organization(_) => None,
            _ => self.orgs.read().map_err(|_| IndexError::Poisoned)?.get(&record.meta().organization_id).cloned(),
        };
        let terms = features.as_ref().map(|f| f.terms.as_slice());
        self.relevance.apply(record, terms, features.as_ref().map(|f| f.known.as_slice()));
        let bag = terms.map(relevance::encode_bag);
        if let Some(doc) = document::build(record, org.as_ref(), bag.as_deref(), &self.fields) {
            writer.add_document(doc)?;
        }
        Ok(())
    }

    /// An organization's name or kind changed: rebuild its records' documents.
    fn reindex_records_of(&self, writer: &IndexWriter, organization_id: &str) -> Result<(), IndexError> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(Term::from_field_text(self.fields.owner, organization_id), IndexRecordOption::Basic);
        for address in searcher.search(&query, &tantivy::collector::DocSetCollector)? {
            if let Some(record) = self.stored_record(&searcher, address)?
                && !matches!(record, Record::Organization(_))
            {
                self.upsert(writer, &record, self.features_of(&record))?;
            }
        }
        Ok(())
    }

    fn stored_record(&self, searcher: &Searcher, address: DocAddress) -> Result<Option<Record>, IndexError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        Ok(doc
            .get_first(self.fields.source)
            .and_then(|v| v.as_str())
            .and_then(|json| serde_json::from_str::<Record>(json).ok()))
    }

    /// Every record id in the index (for consistency checks).
    pub fn ids(&self) -> Result<Vec<String>, IndexError> {
        let searcher = self.reader.searcher();
        let mut ids = Vec::new();
        for address in searcher.search(&AllQuery, &tantivy::collector::DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                ids.push(id.to_owned());
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// The text part of a request as a query, and the analyzed terms a hit may show as matched.
    ///
    /// Words are all required unless `match_any` or the query has more than
    /// [`ALL_WORDS_UP_TO`] of them (then [`LONG_QUERY_WORD_SHARE`] of its
    /// specific words are); a quoted phrase is the sequence of its words,
    /// always required, as is a `field:` word. A word counts through its dictionary sub-words
    /// (工业, 互联网 for 工业互联网) only when neither it nor a synonym occurs
    /// in `text_fields` of any document `scope` lets through: the whole word is
    /// the better evidence whenever it is there. `scope` holds the request's
    /// filters and the viewer's visibility, so what a viewer may not read
    /// never decides how their query is built.
    fn text_query(
        &self,
        searcher: &Searcher,
        scope: &[(Occur, Box<dyn Query>)],
        clauses: &[Clause],
        match_any: bool,
    ) -> Result<TextQuery, IndexError> {
        let occurrence = Occurrence { searcher, scope, present: RefCell::default() };
        let mut terms = BTreeSet::new();
        let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // One query per required word of free text (not of a phrase or a
        // `field:` clause, which the user asked for as such), and whether the
        // word is generic (see `RelevanceModel::is_generic`).
        let mut words: Vec<(Box<dyn Query>, bool)> = Vec::new();
        // The parser splits at spaces; rejoined, "machine vision" meets its
        // synonym 机器视觉 whole. A matcher's clauses are separate texts.
        let clauses = if match_any { clauses.to_vec() } else { join_adjacent_words(clauses) };
        for clause in &clauses {
            let fields = self.clause_fields(clause.field);
            let occur = match (clause.excluded, match_any) {
                (true, _) => Occur::MustNot,
                (false, true) => Occur::Should,
                (false, false) => Occur::Must,
            };
            // Per word of the clause, what it requires: all of them.
            let matches: Vec<Vec<WordMatch>> = if clause.phrase {
                let tokens = self.phrase_tokens(&occurrence, &fields, &clause.text)?;
                if tokens.is_empty() { Vec::new() } else { vec![vec![WordMatch::exact(vec![tokens])]] }
            } else if match_any {
                // Recall first: any word, its synonyms, and its sub-words at a
                // lower weight.
                let alternatives = self.analyzer.expand_query_terms(&clause.text);
                if !clause.excluded {
                    for alternative in &alternatives {
                        terms.extend(alternative.alternatives.iter().flatten().cloned());
                        terms.extend(alternative.subwords.iter().cloned());
                    }
                }
                if !alternatives.is_empty() {
                    let tokens: Vec<&String> = alternatives
                        .iter()
                        .flat_map(|term| term.alternatives.iter().flatten().chain(&term.subwords))
                        .collect();
                    let fields = occurrence.fields_holding_any(&fields, &tokens)?;
                    let query = any_field(&fields, |field| {
                        Some(terms_query(field, &alternatives, Occur::Should, Some(SUBWORD_BOOST)))
                    });
                    parts.push((occur, query.unwrap_or_else(|| Box::new(EmptyQuery))));
                }
                continue;
            } else if clause.excluded {
                // An exclusion removes what it names, never what merely shares a piece with it.
                let alternatives = self.analyzer.expand_query_terms(&clause.text);
                alternatives.into_iter().map(|term| vec![WordMatch::exact(term.alternatives)]).collect()
            } else {
                self.word_matches(&occurrence, &fields, &clause.text)?
            };
            if matches.is_empty() {
                continue; // only stop words: the clause constrains nothing
            }
            if !clause.excluded {
                for word_match in matches.iter().flatten() {
                    terms.extend(word_match.tokens().cloned());
                }
            }
            let mut required: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(matches.len());
            let mut generic = Vec::with_capacity(matches.len());
            for word in &matches {
                generic.push(word.iter().flat_map(WordMatch::tokens).all(|token| self.relevance.is_generic(token)));
                let mut pieces: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(word.len());
                for word_match in word {
                    // A word no field holds matches nothing: required, it
                    // still empties the results.
                    let holding = occurrence.fields_holding_a_sequence(&fields, &word_match.alternatives)?;
                    let query = any_field(&holding, |field| word_match.field_query(field));
                    pieces.push((Occur::Must, query.unwrap_or_else(|| Box::new(EmptyQuery))));
                }
                let query = if pieces.len() == 1 { pieces.remove(0).1 } else { Box::new(BooleanQuery::new(pieces)) };
                required.push((Occur::Must, query));
            }
            match (occur, required.len()) {
                (_, 0) => {}
                (Occur::Must, _) if !clause.phrase && clause.field.is_none() => {
                    words.extend(required.into_iter().map(|(_, query)| query).zip(generic))
                }
                (Occur::Must, _) => parts.extend(required),
                (_, _) => parts.push((occur, Box::new(BooleanQuery::new(required)))),
            }
        }
        // In a long query, generic words (基于, 研究, 方法, or in a tenth of the
        // records) say how work is written up, not what it is about: they
        // neither count nor score, which also spares walking their long
        // posting lists. A query of generic words only keeps them all.
        if words.len() > ALL_WORDS_UP_TO && words.iter().any(|(_, generic)| !generic) {
            words.retain(|(_, generic)| !generic);
        }
        let words: Vec<Box<dyn Query>> = words.into_iter().map(|(query, _)| query).collect();
        if words.len() <= ALL_WORDS_UP_TO {
            parts.extend(words.into_iter().map(|query| (Occur::Must, query)));
        } else {
            let needed = (words.len() as f64 * LONG_QUERY_WORD_SHARE).ceil() as usize;
            let any = words.into_iter().map(|query| (Occur::Should, query)).collect();
            parts.push((Occur::Must, Box::new(BooleanQuery::with_minimum_required_clauses(any, needed))));
        }
        if parts.is_empty() {
            return Ok((Vec::new(), terms));
        }
        if !parts.iter().any(|(occur, _)| *occur != Occur::MustNot) {
            parts.push((Occur::Must, Box::new(AllQuery)));
        }
        Ok((parts, terms))
    }

    /// The text fields a clause searches, with their weights.
    fn clause_fields(&self, field: Option<QueryField>) -> Vec<(Field, f32)> {
        match field {
            None => weighted_text_fields(&self.fields).to_vec(),
            Some(QueryField::Title) => vec![(self.fields.title, 1.0)],
            Some(QueryField::Keywords) => vec![(self.fields.keywords, 1.0)],
            Some(QueryField::Description) => vec![(self.fields.description, 1.0)],
            Some(QueryField::Organization) => vec![(self.fields.organization_name, 1.0)],
            Some(QueryField::Tag) => vec![(self.fields.taxonomy_text, 1.0)],
        }
    }

    /// The tokens of a quoted phrase, one per position: each word, or the
    /// adjacent sub-words it is made of when the word itself occurs nowhere
    /// (a text may write it as separate words). Sub-words share their word's
    /// position, so a phrase word also finds the word it is part of
    /// ("互联网平台" finds 工业互联网平台).
    fn phrase_tokens(
        &self,
        occurrence: &Occurrence<'_>,
        fields: &[(Field, f32)],
        text: &str,
    ) -> Result<Vec<String>, IndexError> {
        let mut tokens = Vec::new();
        for word in self.analyzer.analyze_words(text) {
            let whole = std::slice::from_ref(&word.text);
            match word.tiling() {
                Some(pieces) if !occurrence.in_any_field(fields, whole)? => tokens.extend(pieces),
                _ => tokens.push(word.text),
            }
        }
        Ok(tokens)
    }

    /// What each word of an unquoted clause requires: the word or one of its
    /// synonyms where any of them occurs, else all of its outer sub-words
    /// (one entry per word, each holding everything that word requires).
    fn word_matches(
        &self,
        occurrence: &Occurrence<'_>,
        fields: &[(Field, f32)],
        text: &str,
    ) -> Result<Vec<Vec<WordMatch>>, IndexError> {
        let mut matches = Vec::new();
        for term in self.analyzer.expand_query_terms(text) {
            let mut present = Vec::new();
            for alternative in &term.alternatives {
                if occurrence.in_any_field(fields, alternative)? {
                    present.push(alternative.clone());
                }
            }
            if !present.is_empty() {
                matches.push(vec![WordMatch::exact(present)]);
                continue;
            }
            // A synonym of several words ("machine vision") that occurs in
            // no form: each of its words on its own, as if it were no synonym.
            let single_word = term.words.len() == 1;
            for word in term.words {
                let whole = vec![word.text.clone()];
                let pieces = word.outer_subwords();
                if pieces.is_empty() || (!single_word && occurrence.in_any_field(fields, &whole)?) {
                    matches.push(vec![WordMatch::exact(vec![whole])]);
                } else {
                    // Like the pieces written as separate words: each required, anywhere.
                    matches.push(pieces.into_iter().map(WordMatch::subword).collect());
                }
            }
        }
        Ok(matches)
    }

    /// Filters (including visibility) as non-scoring clauses.
    fn filter_clauses(&self, filters: &Filters, viewer: &Principal) -> Vec<(Occur, Box<dyn Query>)> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut facet_any = |dimension: &str, values: Vec<String>| {
            if values.is_empty() {
                return;
            }
            let terms = values.iter().map(|v| Term::from_facet(self.fields.facets, &facet(dimension, v)));
            let query: Box<dyn Query> = Box::new(TermSetQuery::new(terms));
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0))));
        };
        facet_any("record_kind", filters.record_kinds.iter().map(|k| k.code().to_owned()).collect());
        facet_any("organization_kind", filters.organization_kinds.iter().map(|k| k.code().to_owned()).collect());
        facet_any("high_tech_field", filters.high_tech_fields.clone());
        facet_any("industry", filters.industries.clone());
        facet_any("region", filters.regions.clone());
        facet_any("service_category", filters.service_categories.iter().map(|c| c.code().to_owned()).collect());
        facet_any("capability_kind", filters.capability_kinds.iter().map(|k| k.code().to_owned()).collect());
        if filters.min_trl.is_some() || filters.max_trl.is_some() {
            let lower = filters.min_trl.map(u64::from).unwrap_or(0);
            let upper = filters.max_trl.map(u64::from).unwrap_or(u64::from(u32::MAX));
            let range = RangeQuery::new(
                std::ops::Bound::Included(Term::from_field_u64(self.fields.trl, lower)),
                std::ops::Bound::Included(Term::from_field_u64(self.fields.trl, upper)),
            );
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(range), 0.0))));
        }
        if let Some(org) = &filters.organization_id {
            // Only the owner (or an admin) may find anonymous needs by their owner.
            let field = if viewer.acts_for(org) { self.fields.owner } else { self.fields.public_owner };
            let term = TermQuery::new(Term::from_field_text(field, org), IndexRecordOption::Basic);
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(term), 0.0))));
        }
        if !filters.organization_ids.is_empty() {
            let owners = filters.organization_ids.iter().map(|org| {
                let field = if viewer.acts_for(org) { self.fields.owner } else { self.fields.public_owner };
                Term::from_field_text(field, org)
            });
            let query: Box<dyn Query> = Box::new(TermSetQuery::new(owners));
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0))));
        }
        if !viewer.is_admin() {
            let mut readers = vec![Term::from_field_text(self.fields.readable_by, READABLE_BY_ALL)];
            if let Some(org) = &viewer.organization_id {
                readers.push(Term::from_field_text(self.fields.readable_by, org));
            }
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(TermSetQuery::new(readers)), 0.0))));
        }
        clauses
    }

    /// Runs a search as `viewer`: what the viewer may not see is never hit,
    /// counted or shown.
    pub fn search(&self, request: &SearchRequest, viewer: &Principal) -> Result<SearchResults, IndexError> {
        let index_sequence = self.applied_sequence();
        let searcher = self.reader.searcher();
        let mut clauses = self.filter_clauses(&request.filters, viewer);
        let (text_parts, query_terms) = self.text_query(&searcher, &clauses, &request.clauses, request.match_any)?;
        let scored = !text_parts.is_empty();
        if text_parts.iter().any(|(occur, _)| *occur == Occur::Should) {
            // Alternatives stay a group: beside required filters they would be optional.
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(text_parts))));
        } else {
            // Required words sit beside the filters, so tantivy sees one
            // intersection (and prunes it when it is all term scorers).
            clauses.extend(text_parts);
        }
        if clauses.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let query = BooleanQuery::new(clauses);

        let facet_collector = (!request.facets.is_empty()).then(|| {
            let mut collector = FacetCollector::for_field("facets");
            for dimension in &request.facets {
                collector.add_facet(tantivy::schema::Facet::from_path([dimension.as_str()]));
            }
            collector
        });
        // Facets visit every hit anyway, and then counting them is free.
        let estimate = request.estimate_total && facet_collector.is_none();
        let limit = request.limit.max(1);
        // One more than the page tells whether more follow.
        let top = TopDocs::with_limit(if estimate { limit + 1 } else { limit }).and_offset(request.offset);
        let order = if scored { request.order } else { SearchOrder::Recency };
        let (mut page, count, facet_counts): (Vec<(f32, DocAddress)>, _, _) = match order {
            SearchOrder::Relevance => collect(&searcher, &query, top.order_by_score(), !estimate, facet_collector)?,
            SearchOrder::Recency => {
                let top = top.order_by_fast_field::<i64>("updated_at", Order::Desc);
                let (docs, count, facets) = collect(&searcher, &query, top, !estimate, facet_collector)?;
                (docs.into_iter().map(|(_, address)| (0.0, address)).collect(), count, facets)
            }
        };
        let more = page.len() > limit;
        page.truncate(limit);
        let (total, total_exact) = match count {
            Some(count) => (count as u64, true),
            // Past the last hit the page says nothing of how many there are.
            None if page.is_empty() && request.offset > 0 => (searcher.search(&query, &Count)? as u64, true),
            None => ((request.offset + page.len() + usize::from(more)) as u64, !more),
        };

        let mut hits = Vec::with_capacity(page.len());
        for (score, address) in page {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default();
            let Some(kind) = RecordKind::from_code(text(self.fields.kind)) else { continue };
            // The query let through only what the viewer may read; what is
            // left is whether they may learn whose it is (not for anonymous needs).
            let owner = text(self.fields.owner);
            let organization_id = if viewer.acts_for(owner) { owner } else { text(self.fields.public_owner) };
            // A policy has no owner; its issuing department is public.
            let owner_visible = !organization_id.is_empty() || kind == RecordKind::Policy;
            let (title, description) = (text(self.fields.title), text(self.fields.description));
            let mut highlights = Vec::new();
            let mut matched = BTreeSet::new();
            if !query_terms.is_empty() {
                for (field, value) in [("title", title), ("description", description)] {
                    let spans = self.analyzer.find_terms(value, &query_terms);
                    matched.extend(spans.iter().map(|span| &value[span.from..span.to]));
                    if let Some(snippet) = highlight::snippet(value, &spans, SNIPPET_CHARS) {
                        highlights.push(Highlight { field, snippet });
                    }
                }
                for keyword in doc.get_all(self.fields.keywords).filter_map(|v| v.as_str()) {
                    let spans = self.analyzer.find_terms(keyword, &query_terms);
                    matched.extend(spans.iter().map(|span| &keyword[span.from..span.to]));
                }
            }
            hits.push(Hit {
                kind,
                id: text(self.fields.id).to_owned(),
                organization_id: organization_id.to_owned(),
                organization_name: if owner_visible {
                    text(self.fields.organization_name).to_owned()
                } else {
                    String::new()
                },
                title: title.to_owned(),
                score,
                highlights,
                matched_terms: matched.into_iter().map(str::to_owned).collect(),
            });
        }

        let facets = match &facet_counts {
            Some(facet_counts) => request
                .facets
                .iter()
                .map(|dimension| {
                    let root = tantivy::schema::Facet::from_path([dimension.as_str()]);
                    let mut values: Vec<FacetValue> = facet_counts
                        .get(root)
                        .filter_map(|(facet, count)| {
                            let value = facet.to_path().last().map(|s| (*s).to_owned())?;
                            Some(FacetValue { label: facet_label(dimension, &value), value, count })
                        })
                        .collect();
                    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                    FacetCounts { dimension: dimension.clone(), values }
                })
                .collect(),
            None => Vec::new(),
        };

        Ok(SearchResults { hits, total, total_exact, facets, index_sequence })
    }
}

/// What [`collect`] gives: the top collector's fruit, the count and the facet counts (when asked).
type Collected<Fruit> = (Fruit, Option<usize>, Option<TantivyFacetCounts>);

/// Runs `query` with `top`, plus an exact count when `count` and the facet
/// counts when asked. `top` alone lets tantivy prune (block-max WAND): a
/// count or facets need every hit.
fn collect<C: Collector>(
    searcher: &Searcher,
    query: &dyn Query,
    top: C,
    count: bool,
    facets: Option<FacetCollector>,
) -> Result<Collected<C::Fruit>, IndexError> {
    Ok(match (facets, count) {
        (Some(facets), _) => {
            let (docs, count, facets) = searcher.search(query, &(top, Count, facets))?;
            (docs, Some(count), Some(facets))
        }
        (None, true) => {
            let (docs, count) = searcher.search(query, &(top, Count))?;
            (docs, Some(count), None)
        }
        (None, false) => (searcher.search(query, &top)?, None, None),
    })
}

/// Terms of a text's vector used to retrieve candidates for whole-text
/// relevance: enough to reach every record that shares its main subject.
const RETRIEVAL_TERMS: usize = 32;

/// A record found by whole-text relevance (see [`crate::relevance`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Relevant {
    pub id: String,
    pub kind: RecordKind,
    /// The owner as indexed (the caller decides what to reveal).
    pub organization_id: String,
    /// TF-IDF cosine with the query text, 0..=1.
    pub relevance: f32,
}

impl SearchIndex {
    /// The relevance model that follows this index.
    pub fn relevance(&self) -> &RelevanceModel {
        &self.relevance
    }

    /// Cosine between two texts, neither of which need be indexed (see
    /// [`RelevanceModel::pair_cosine`](relevance::RelevanceModel::pair_cosine)).
    pub fn text_cosine(&self, a: &str, b: &str) -> f32 {
        self.relevance.pair_cosine(&relevance::features(&self.analyzer, a), &relevance::features(&self.analyzer, b))
    }

    /// A text as a vector of the relevance model.
    pub fn text_vector(&self, text: &str) -> TextVector {
        self.relevance.vector(&relevance::features(&self.analyzer, text))
    }

    /// Records that share a text's subject, by whole-text cosine, best first.
    /// Candidates are the `pool` best by BM25 over the text's strongest
    /// terms; each is then scored against the whole text. Filters and
    /// visibility apply as in [`SearchIndex::search`].
    pub fn similar(
        &self,
        query: &TextVector,
        filters: &Filters,
        viewer: &Principal,
        pool: usize,
    ) -> Result<Vec<Relevant>, IndexError> {
        let strongest = query.strongest(&self.relevance, RETRIEVAL_TERMS);
        if strongest.is_empty() {
            return Ok(Vec::new());
        }
        let mut terms: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (term, weight) in &strongest {
            for field in [self.fields.title, self.fields.keywords, self.fields.description] {
                let query = TermQuery::new(Term::from_field_text(field, term), IndexRecordOption::WithFreqs);
                terms.push((Occur::Should, Box::new(BoostQuery::new(Box::new(query), *weight))));
            }
        }
        let mut clauses = self.filter_clauses(filters, viewer);
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(terms))));
        let searcher = self.reader.searcher();
        let top = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(pool.max(1)).order_by_score())?;
        let mut found = Vec::with_capacity(top.len());
        for (_, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) else { continue };
            let Some((kind, organization_id)) = self.relevance.owner_of(id) else { continue };
            let relevance = self.relevance.cosine(query, id);
            found.push(Relevant { id: id.to_owned(), kind, organization_id, relevance });
        }
        found.sort_by(|a, b| b.relevance.total_cmp(&a.relevance).then_with(|| a.id.cmp(&b.id)));
        Ok(found)
    }

    /// Indexed records by id, as `viewer` may see them (absent when not).
    pub fn records(&self, ids: &[String], viewer: &Principal) -> Result<HashMap<String, Record>, IndexError> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::with_capacity(ids.len());
        for id in ids {
            let query = TermQuery::new(Term::from_field_text(self.fields.id, id), IndexRecordOption::Basic);
            let Some((_, address)) = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?.pop() else {
                continue;
            };
            if let Some(record) = self.stored_record(&searcher, address)?.and_then(|r| viewer.redact(r)) {
                out.insert(id.clone(), record);
            }
        }
        Ok(out)
    }

    /// The words of `text` that are evidence of a match with `query`, as
    /// written in `text`: whole words of `text` (not a sub-word found only
    /// inside a longer, different word, like 家电 inside 国家电网) that the
    /// query's features hold and that are not generic. English words appear
    /// once, in the first case `text` uses.
    pub fn evidence_terms(&self, query: &TextVector, text: &str) -> Vec<String> {
        let wanted: std::collections::HashSet<&str> = query.terms().iter().map(String::as_str).collect();
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for word in self.analyzer.analyze_words(text) {
            if !wanted.contains(word.text.as_str()) || self.relevance.is_generic(&word.text) {
                continue;
            }
            let Some(surface) = text.get(word.offset_from..word.offset_to).filter(|s| !s.is_empty()) else {
                continue;
            };
            if seen.insert(word.text.clone()) {
                out.push(surface.to_owned());
            }
        }
        out
    }

    /// The words of `text` that match `terms`, as they are written in `text`
    /// (not as analyzed tokens), so evidence can be checked against the record.
    pub fn matched_surface_terms(&self, text: &str, terms: &BTreeSet<String>) -> Vec<String> {
        let mut matched = BTreeSet::new();
        for word in self.analyzer.analyze_words(text) {
            if terms.contains(&word.text)
                && let Some(surface) = text.get(word.offset_from..word.offset_to)
            {
                matched.insert(surface.to_owned());
            }
            for subword in &word.subwords {
                if terms.contains(subword) && text.contains(subword.as_str()) {
                    matched.insert(subword.clone());
                }
            }
        }
        matched.into_iter().collect()
    }
}

/// The text part of a search as clauses (none when the text constrains
/// nothing) and the analyzed terms a hit may show as matched.
type TextQuery = (Vec<(Occur, Box<dyn Query>)>, BTreeSet<String>);

/// Whether token sequences occur in the documents a search may reach.
struct Occurrence<'a> {
    searcher: &'a Searcher,
    /// The request's filters and the viewer's visibility (required clauses).
    scope: &'a [(Occur, Box<dyn Query>)],
    /// Whether a field's term dictionary holds a token at all, asked once per request.
    present: RefCell<HashMap<(Field, String), bool>>,
}

impl Occurrence<'_> {
    /// Whether some document (perhaps deleted, perhaps out of scope) has
    /// `token` in `field`: when none has, the field cannot matter to a
    /// query for it and is left out of it.
    fn field_has(&self, field: Field, token: &str) -> Result<bool, IndexError> {
        let key = (field, token.to_owned());
        if let Some(&known) = self.present.borrow().get(&key) {
            return Ok(known);
        }
        let has = self.searcher.doc_freq(&Term::from_field_text(field, token))? > 0;
        self.present.borrow_mut().insert(key, has);
        Ok(has)
    }

    /// The fields holding every token of one of `sequences`.
    fn fields_holding_a_sequence(
        &self,
        fields: &[(Field, f32)],
        sequences: &[Vec<String>],
    ) -> Result<Vec<(Field, f32)>, IndexError> {
        let mut holding = Vec::with_capacity(fields.len());
        for &(field, boost) in fields {
            for sequence in sequences {
                if self.holds_all(field, sequence)? {
                    holding.push((field, boost));
                    break;
                }
            }
        }
        Ok(holding)
    }

    /// The fields holding one of `tokens`.
    fn fields_holding_any(&self, fields: &[(Field, f32)], tokens: &[&String]) -> Result<Vec<(Field, f32)>, IndexError> {
        let mut holding = Vec::with_capacity(fields.len());
        for &(field, boost) in fields {
            for token in tokens {
                if self.field_has(field, token)? {
                    holding.push((field, boost));
                    break;
                }
            }
        }
        Ok(holding)
    }

    fn holds_all(&self, field: Field, tokens: &[String]) -> Result<bool, IndexError> {
        for token in tokens {
            if !self.field_has(field, token)? {
                return Ok(false);
            }
        }
        Ok(!tokens.is_empty())
    }

    /// Whether `tokens` (a word, or a phrase of several) occur in one of
    /// `fields` of a live document within the scope.
    fn in_any_field(&self, fields: &[(Field, f32)], tokens: &[String]) -> Result<bool, IndexError> {
        let holding = self.fields_holding_a_sequence(fields, std::slice::from_ref(&tokens.to_vec()))?;
        let Some(text) = any_field(&holding, |field| sequence_query(field, tokens)) else {
            return Ok(false);
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
        clauses.extend(self.scope.iter().map(|(occur, query)| (*occur, query.box_clone())));
        let query = BooleanQuery::new(clauses);
        let weight = query.weight(EnableScoring::disabled_from_searcher(self.searcher))?;
        for reader in self.searcher.segment_readers() {
            let mut scorer = weight.scorer(reader, 1.0)?;
            // Deleted documents stay in the postings until a merge.
            let alive = reader.alive_bitset();
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                if alive.is_none_or(|alive| alive.is_alive(doc)) {
                    return Ok(true);
                }
                doc = scorer.advance();
            }
        }
        Ok(false)
    }
}

/// What one query word requires: one of its token sequences in some field.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WordMatch {
    /// The word or a synonym (a sequence of several tokens is a phrase); or
    /// one sub-word standing in for a word the index lacks.
    alternatives: Vec<Vec<String>>,
    /// Whether this is such a sub-word, a looser match that weighs less.
    subword: bool,
}

impl WordMatch {
    fn exact(alternatives: Vec<Vec<String>>) -> Self {
        WordMatch { alternatives, subword: false }
    }

    fn subword(subword: String) -> Self {
        WordMatch { alternatives: vec![vec![subword]], subword: true }
    }

    fn tokens(&self) -> impl Iterator<Item = &String> {
        self.alternatives.iter().flatten()
    }

    fn field_query(&self, field: Field) -> Option<Box<dyn Query>> {
        let mut queries: Vec<Box<dyn Query>> =
            self.alternatives.iter().filter_map(|tokens| sequence_query(field, tokens)).collect();
        let query: Box<dyn Query> = match queries.len() {
            0 => return None,
            1 => queries.pop()?,
            _ => Box::new(BooleanQuery::new(queries.into_iter().map(|query| (Occur::Should, query)).collect())),
        };
        Some(if self.subword { Box::new(BoostQuery::new(query, SUBWORD_BOOST)) } else { query })
    }
}

/// `field_query` in any of `fields`, each with its weight; `None` when no
/// field gives a query. One field gives its query alone, without a union.
fn any_field(fields: &[(Field, f32)], field_query: impl Fn(Field) -> Option<Box<dyn Query>>) -> Option<Box<dyn Query>> {
    let mut per_field: Vec<(Occur, Box<dyn Query>)> = fields
        .iter()
        .filter_map(|&(field, boost)| {
            field_query(field).map(|query| (Occur::Should, Box::new(BoostQuery::new(query, boost)) as Box<dyn Query>))
        })
        .collect();
    match per_field.len() {
        0 => None,
        1 => per_field.pop().map(|(_, query)| query),
        _ => Some(Box::new(BooleanQuery::new(per_field))),
    }
}

/// Joins each run of plain words (neither quoted nor excluded) on the same
/// field into one clause, as they were written.
fn join_adjacent_words(clauses: &[Clause]) -> Vec<Clause> {
    let is_plain = |clause: &Clause| !clause.phrase && !clause.excluded;
    let mut joined: Vec<Clause> = Vec::with_capacity(clauses.len());
    for clause in clauses {
        if let Some(last) = joined.last_mut()
            && is_plain(last)
            && is_plain(clause)
            && last.field == clause.field
        {
            last.text.push(' ');
            last.text.push_str(&clause.text);
            continue;
        }
        joined.push(clause.clone());
    }
    joined
}

/// A human label for a facet value, from the taxonomies.
fn facet_label(dimension: &str, value: &str) -> String {
    let taxonomy = Taxonomy::get();
    let label = match dimension {
        "high_tech_field" => taxonomy.high_tech_field(value).map(|f| f.name.clone()),
        "industry" => taxonomy.industry(value).map(|i| i.name.clone()),
        "region" => taxonomy.region(value).map(|r| r.name.clone()),
        "service_category" => ServiceCategory::from_code(value)
            .and_then(|c| taxonomy.service_categories().iter().find(|i| i.category == c).map(|i| i.name.clone())),
        _ => None,
    };
    label.unwrap_or_else(|| value.to_owned())
}

/// True for a facet dimension a request may ask to count.
pub fn is_facet_dimension(name: &str) -> bool {
    FACET_DIMENSIONS.contains(&name)
}

#[cfg(test)]
mod tests {
    use innomatch_core::model::{Capability, ChangeOperation, RecordMeta, RecordStatus};

    use super::*;
    use crate::query;

    fn capability(id: &str, description: &str) -> Change {
        let record = Record::Capability(Capability {
            meta: RecordMeta {
                id: id.into(),
                organization_id: "org_1".into(),
                version: 1,
                status: Some(RecordStatus::Active),
                ..Default::default()
            },
            title: "智能制造服务".into(),
            description: description.into(),
            ..Default::default()
        });
        Change { sequence: 1, operation: ChangeOperation::Created, committed_at_ms: 0, record }
    }

    fn admin() -> Principal {
        Principal { token_id: "t".into(), organization_id: None, role: innomatch_core::model::Role::Admin }
    }

    /// An index holding one capability per `(title, description)`, with ids
    /// `cap_1`, `cap_2`, … in order.
    fn index_of(records: &[(&str, &str)]) -> SearchIndex {
        let index = SearchIndex::in_ram().expect("index");
        let changes: Vec<Change> = records
            .iter()
            .zip(1..)
            .map(|(&(title, description), sequence)| {
                let mut change = capability(&format!("cap_{sequence}"), description);
                if let Record::Capability(capability) = &mut change.record {
                    capability.title = title.into();
                }
                change.sequence = sequence;
                change
            })
            .collect();
        index.apply(&changes).expect("apply");
        index
    }

    /// The ids `text` finds as `viewer`, sorted.
    fn found_as(index: &SearchIndex, text: &str, match_any: bool, viewer: &Principal) -> Vec<String> {
        let clauses = query::parse(text).expect("query");
        let request = SearchRequest { clauses, match_any, limit: 50, ..Default::default() };
        let mut ids: Vec<String> =
            index.search(&request, viewer).expect("search").hits.into_iter().map(|h| h.id).collect();
        ids.sort();
        ids
    }

    fn found(index: &SearchIndex, text: &str) -> Vec<String> {
        found_as(index, text, false, &admin())
    }

    /// Records with a domain phrase, and records with only its pieces apart.
    const PHRASE_CORPUS: &[(&str, &str)] = &[
        ("工业互联网平台", "建设工业互联网标识解析二级节点"),
        ("智能工厂改造", "工业机器人与移动互联网应用的集成"),
        ("预制菜保鲜", "火龙果采后保鲜与冷链物流配送"),
        ("物流园区规划", "冷链运输车辆调度与园区物流"),
        ("氢冶金低碳炼钢中试", "富氢气体直接还原铁矿球团"),
        ("冶金固废综合利用", "钢渣处理，配套氢能储运"),
        ("工业互联网安全培训", "面向中小企业的工业互联网安全培训服务平台"),
    ];

    /// Changes `from..to` (by sequence), one capability each, alternating subjects.
    fn capabilities(from: i64, to: i64) -> Vec<Change> {
        let subjects = ["氢冶金低碳炼钢", "对虾养殖尾水处理", "预制菜冷链保鲜", "工业互联网平台"];
        (from..to)
            .map(|sequence| {
                let mut change = capability(
                    &format!("cap_{sequence}"),
                    &format!("{} 第{sequence}号", subjects[sequence as usize % 4]),
                );
                change.sequence = sequence;
                change
            })
            .collect()
    }

    #[test]
    fn a_bulk_load_is_merged_and_writes_after_it_merge_beside_it() {
        let index = SearchIndex::in_ram().expect("index");
        // Only `compact` merges here, so what it merges does not depend on
        // how far the merge policy's background merges have got.
        index.writer.lock().expect("writer").set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        for batch in 0..30 {
            index.apply(&capabilities(batch * 100 + 1, batch * 100 + 101)).expect("apply");
        }
        let total = |text: &str| {
            let request = SearchRequest { clauses: query::parse(text).expect("query"), ..Default::default() };
            index.search(&request, &admin()).expect("search").total
        };
        assert_eq!((total("对虾养殖"), index.num_docs()), (750, 3_000));
        let shrimp = found(&index, "对虾养殖");
        let segments = index.segments();
        assert!(segments >= 30, "a commit per batch, a segment each at least: {segments}");
        assert_eq!(index.compact().expect("compact"), Some(segments));
        assert_eq!(index.segments(), 1);
        assert_eq!((total("对虾养殖"), index.num_docs()), (750, 3_000), "the merged index holds what the segments did");
        assert_eq!(found(&index, "对虾养殖"), shrimp);
        assert_eq!(index.compact().expect("compact"), None, "one segment is as merged as it gets");

        let largest = |index: &SearchIndex| {
            index.reader.searcher().segment_readers().iter().max_by_key(|s| s.num_docs()).map(|s| s.segment_id())
        };
        let merged = largest(&index);
        for batch in 0..3 {
            index.apply(&capabilities(3_001 + batch * 2, 3_003 + batch * 2)).expect("apply");
        }
        let segments = index.segments();
        assert!(segments >= 4, "{segments}");
        assert_eq!(index.compact().expect("compact"), Some(segments - 1), "the new records merge beside the rest");
        assert_eq!(index.segments(), 2);
        assert_eq!(largest(&index), merged, "six new records do not rewrite the 3,000 before them");
        assert_eq!(index.num_docs(), 3_006);
    }

    #[test]
    fn quoted_phrases_find_exactly_the_records_that_contain_them() {
        let index = index_of(PHRASE_CORPUS);
        assert_eq!(found(&index, "\"工业互联网\""), ["cap_1", "cap_7"]);
        assert_eq!(found(&index, "“冷链物流”"), ["cap_3"]);
        assert_eq!(found(&index, "\"氢冶金\""), ["cap_5"]);
        assert_eq!(found(&index, "\"氢冶金低碳炼钢\""), ["cap_5"]);
        assert_eq!(found(&index, "\"工业互联网标识解析\""), ["cap_1"]);
        assert!(found(&index, "\"氢冶金球团\"").is_empty(), "words apart are no phrase");
        // The README's example: the phrase, without training offers, 平台 in the title.
        assert_eq!(found(&index, "\"工业互联网\" -培训 title:平台"), ["cap_1"]);
    }

    #[test]
    fn a_phrase_word_the_index_lacks_matches_its_pieces_written_side_by_side() {
        let index = index_of(&[("工业 互联网接入", "运维"), ("工业设计", "互联网营销")]);
        assert_eq!(found(&index, "\"工业互联网\""), ["cap_1"]);
    }

    #[test]
    fn an_unquoted_word_matches_whole_before_its_sub_words() {
        let index = index_of(PHRASE_CORPUS);
        assert_eq!(found(&index, "工业互联网"), ["cap_1", "cap_7"], "not the record with 工业 and 互联网 apart");
        assert_eq!(found(&index, "冷链物流"), ["cap_3"]);
        assert_eq!(found(&index, "氢冶金"), ["cap_5"]);
        // A sub-word asked for on its own still finds the words that hold it.
        assert_eq!(found(&index, "冶金"), ["cap_5", "cap_6"]);
        assert_eq!(found(&index, "互联网"), ["cap_1", "cap_2", "cap_7"]);
    }

    #[test]
    fn a_word_absent_from_the_index_finds_records_through_all_its_sub_words() {
        let index = index_of(&[
            ("工业机器人集成", "车间互联网接入改造"),
            ("工业设计", "外观与结构"),
            ("移动互联网应用", "小程序开发"),
        ]);
        assert_eq!(found(&index, "工业互联网"), ["cap_1"], "工业 and 互联网 are both required");
        let request =
            SearchRequest { clauses: query::parse("工业互联网").expect("query"), limit: 5, ..Default::default() };
        let results = index.search(&request, &admin()).expect("search");
        let matched = &results.hits[0].matched_terms;
        assert!(matched.contains(&"工业".to_owned()) && matched.contains(&"互联网".to_owned()), "{matched:?}");
    }

    #[test]
    fn every_word_of_a_query_is_required() {
        let index = index_of(&[
            ("氢冶金示范线", "推动钢铁行业低碳转型"),
            ("氢冶金示范线", "直接还原"),
            ("低碳园区规划", "节能"),
        ]);
        assert_eq!(found(&index, "氢冶金 低碳"), ["cap_1"]);
        assert_eq!(found(&index, "氢冶金低碳"), ["cap_1"], "words without a space between them too");
        // The matcher's any-word requests keep finding what shares one word.
        assert_eq!(found_as(&index, "氢冶金 低碳", true, &admin()), ["cap_1", "cap_2", "cap_3"]);
    }

    #[test]
    fn a_long_query_needs_half_of_its_words() {
        let index = index_of(&[
            ("对虾养殖", "对虾工厂化养殖水质调控与病害防控"),
            ("对虾饲料", "对虾饲料配方与营养"),
            ("预制菜加工", "预制菜冷链物流"),
        ]);
        // Five words, one of them (抗病育种) in no record: three are needed.
        let text = "对虾 工厂化 病害 防控 抗病育种";
        assert_eq!(found(&index, text), ["cap_1"], "four of five words; cap_2 holds only 对虾");
        assert_eq!(found(&index, "对虾 饲料 营养 配方"), ["cap_2"]);
        assert_eq!(found(&index, "对虾 饲料 营养 配方 病害 防控"), ["cap_1", "cap_2"], "each holds half");
        // Up to three words, every one is still required.
        assert!(found(&index, "对虾 饲料 病害").is_empty());
        // Generic words of a long query neither count nor match: two specific
        // words remain, both required.
        assert_eq!(found(&index, "基于 对虾 饲料 研究 方法 分析 应用"), ["cap_2"]);
        // A word asked for in a field stays required however long the query:
        // of the two that hold half the words, only cap_1's title has 养殖.
        assert_eq!(found(&index, "对虾 饲料 营养 配方 病害 防控 title:养殖"), ["cap_1"]);
    }

    #[test]
    fn exclusions_remove_what_they_name_not_what_shares_a_piece() {
        let index = index_of(PHRASE_CORPUS);
        assert_eq!(found(&index, "互联网 -工业互联网"), ["cap_2"]);
        assert_eq!(found(&index, "物流 -冷链物流"), ["cap_4"]);
    }

    #[test]
    fn multi_word_english_synonyms_meet_their_chinese_term() {
        let index = index_of(&[
            ("基于机器视觉的对虾分级", "图像识别与分拣"),
            ("Machine vision inspection of steel strip", "surface defects"),
            ("视觉传达设计", "品牌形象"),
            ("Machine tools", "vision statement"),
        ]);
        assert_eq!(found(&index, "machine vision"), ["cap_1", "cap_2"]);
        assert_eq!(found(&index, "Machine Vision"), ["cap_1", "cap_2"]);
        assert_eq!(found(&index, "机器视觉"), ["cap_1", "cap_2"]);
        assert_eq!(found(&index, "\"machine vision\""), ["cap_2"], "a phrase is taken literally");
    }

    /// An active need `need_1` of `org_9` with `visibility`.
    fn need_of_org_9(title: &str, visibility: innomatch_core::model::Visibility) -> Record {
        Record::Need(innomatch_core::model::TechNeed {
            meta: RecordMeta {
                id: "need_1".into(),
                organization_id: "org_9".into(),
                version: 1,
                status: Some(RecordStatus::Active),
                ..Default::default()
            },
            title: title.into(),
            visibility: Some(visibility),
            ..Default::default()
        })
    }

    /// Whether a word occurs is decided among the records the viewer may
    /// read: a private need's words never change another tenant's results.
    #[test]
    fn words_in_records_a_viewer_cannot_read_do_not_change_their_results() {
        let index = index_of(&[("冷链运输车辆调度", "园区物流信息化")]);
        let need = need_of_org_9("冷链物流温控", innomatch_core::model::Visibility::Private);
        index
            .apply(&[Change { sequence: 10, operation: ChangeOperation::Created, committed_at_ms: 0, record: need }])
            .expect("apply");
        let member = |org: &str| Principal {
            token_id: "t".into(),
            organization_id: Some(org.into()),
            role: innomatch_core::model::Role::Member,
        };
        assert_eq!(found_as(&index, "冷链物流", false, &member("org_2")), ["cap_1"]);
        assert_eq!(found_as(&index, "冷链物流", false, &member("org_9")), ["need_1"]);
    }

    #[test]
    fn snippets_cut_inside_words_with_sub_words_do_not_panic() {
        let index = SearchIndex::in_ram().expect("index");
        let long = "近年来在数字化车间方面持续投入，已为家电、家具、鞋服等行业40余家企业实施数字化改造，".repeat(6);
        index.apply(&[capability("cap_1", &long)]).expect("apply");
        for text in ["数字", "数字化", "家电 改造", "鞋服"] {
            let request = SearchRequest { clauses: query::parse(text).expect("query"), limit: 5, ..Default::default() };
            let results = index.search(&request, &admin()).expect("search");
            assert_eq!(results.total, 1, "{text}");
            assert!(results.hits[0].highlights.iter().any(|h| h.snippet.contains("<em>")), "{text}");
        }
    }

    /// Odd text in documents and queries (mixed scripts, full-width and
    /// traditional characters, emoji, combining marks, quotes, long runs)
    /// never makes a search fail or panic.
    #[test]
    fn odd_text_never_breaks_indexing_or_search() {
        const PIECES: &[&str] = &[
            "氢冶金",
            "綠色鋼鐵",
            "ＩｏＴ",
            "对虾",
            "\"",
            "“",
            "”",
            "-",
            ":",
            "title:",
            "e\u{301}",
            "🦐",
            "  ",
            "\t",
            "工业互联网平台",
            "5G",
            "AI",
            "预制菜",
            "。",
            "，",
            "a",
            "Shrimp",
            "数字化车间",
            "x",
            "0",
        ];
        let mut seed: u64 = 7;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        let text = |len: usize, next: &mut dyn FnMut() -> usize| -> String {
            (0..len).map(|_| PIECES[next() % PIECES.len()]).collect()
        };
        let index = SearchIndex::in_ram().expect("index");
        let changes: Vec<Change> = (0..40)
            .map(|i| {
                let mut change = capability(&format!("cap_{i}"), &text(next() % 200, &mut next));
                change.sequence = i + 1;
                change
            })
            .collect();
        index.apply(&changes).expect("apply");
        for _ in 0..300 {
            let query = text(next() % 12, &mut next);
            let Ok(clauses) = query::parse(&query) else { continue };
            let match_any = next() % 2 == 0;
            let request = SearchRequest { clauses, match_any, limit: 10, ..Default::default() };
            index.search(&request, &admin()).unwrap_or_else(|e| panic!("{query:?}: {e}"));
        }
    }

    #[test]
    fn evidence_terms_are_whole_specific_words_written_once() {
        let index = SearchIndex::in_ram().expect("index");
        let mut change = capability(
            "cap_1",
            "Shrimp farming: SHRIMP disease control. 国家电网调度自动化，一种基于深度学习的研究方法",
        );
        change.sequence = 1;
        index.apply(&[change]).expect("apply");
        let need = index.text_vector("shrimp disease 家电调度 一种基于深度学习的方法研究");
        let terms = index.evidence_terms(
            &need,
            "Shrimp farming: SHRIMP disease control. 国家电网调度自动化，一种基于深度学习的研究方法",
        );
        assert_eq!(terms, ["Shrimp", "disease", "调度", "深度学习"], "once, as first written; no 家电, no boilerplate");
    }

    #[test]
    fn an_estimated_total_says_whether_more_hits_follow_the_page() {
        let titles: Vec<String> = (0..30).map(|i| format!("对虾养殖病害防控第{i}期")).collect();
        let records: Vec<(&str, &str)> = titles.iter().map(|title| (title.as_str(), "水质监测与饲料配方")).collect();
        let index = index_of(&records);
        let page = |offset: usize, estimate_total: bool, facets: Vec<String>| {
            let clauses = query::parse("对虾养殖").expect("query");
            let request = SearchRequest { clauses, limit: 10, offset, estimate_total, facets, ..Default::default() };
            let results = index.search(&request, &admin()).expect("search");
            (results.hits.len(), results.total, results.total_exact)
        };
        assert_eq!(page(0, false, Vec::new()), (10, 30, true), "exact unless asked");
        assert_eq!(page(0, true, Vec::new()), (10, 11, false), "a lower bound: the page and one more");
        assert_eq!(page(10, true, Vec::new()), (10, 21, false));
        assert_eq!(page(20, true, Vec::new()), (10, 30, true), "the last page knows the total");
        assert_eq!(page(40, true, Vec::new()), (0, 30, true), "past the end, hits are counted");
        assert_eq!(page(0, true, vec!["record_kind".into()]), (10, 30, true), "facets count every hit anyway");
    }

    #[test]
    fn hits_name_the_owner_of_an_anonymous_need_only_to_its_owner() {
        let index = index_of(&[("冷链运输车辆调度", "园区物流信息化")]);
        let need = need_of_org_9("冷链物流温控需求", innomatch_core::model::Visibility::Anonymous);
        index
            .apply(&[Change { sequence: 10, operation: ChangeOperation::Created, committed_at_ms: 0, record: need }])
            .expect("apply");
        let owner_seen_by = |org: &str| {
            let viewer = Principal {
                token_id: "t".into(),
                organization_id: Some(org.into()),
                role: innomatch_core::model::Role::Member,
            };
            let request =
                SearchRequest { clauses: query::parse("温控").expect("query"), limit: 5, ..Default::default() };
            let hits = index.search(&request, &viewer).expect("search").hits;
            assert_eq!(hits.len(), 1, "{org} finds the need");
            hits[0].organization_id.clone()
        };
        assert_eq!(owner_seen_by("org_9"), "org_9");
        assert_eq!(owner_seen_by("org_2"), "", "anonymous to everyone else");
    }

    #[test]
    fn replaying_changes_leaves_one_document_per_record() {
        let index = SearchIndex::in_ram().expect("index");
        let first = capability("cap_1", "对虾养殖");
        let mut second = capability("cap_1", "对虾养殖病害检测");
        second.sequence = 2;
        index.apply(&[first.clone(), second.clone()]).expect("apply");
        index.apply(&[first, second]).expect("replay is skipped");
        assert_eq!(index.ids().expect("ids"), ["cap_1"]);
        assert_eq!(index.applied_sequence(), 2);
    }
}
