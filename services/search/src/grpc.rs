//! The gRPC adapter of the search service: validates a search request into
//! an [`index::SearchRequest`], runs it off the async workers, and converts
//! the results; streams import rows into the [`Importer`].

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use innomatch_catalog::Catalog;
use innomatch_core::{
    auth::principal,
    convert::enum_list,
    model::{CapabilityKind, OrganizationKind, Record, RecordKind, ServiceCategory},
    status::invalid_argument,
    taxonomy::Taxonomy,
    validation::Violations,
};
use innomatch_proto::v1::{self as pb, search_service_server::SearchService};
use tonic::{Request, Response, Status, Streaming};

use crate::{
    error::SearchError,
    import::{ImportRow, Importer},
    index::{self, Filters, SearchIndex, SearchOrder},
    query,
};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most clauses (words, phrases) in one query.
pub const MAX_QUERY_CLAUSES: usize = 32;
pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;
/// Deepest result a page may start at; deeper paging is a sign to refine the query.
pub const MAX_OFFSET: usize = 10_000;

#[derive(Debug, Clone)]
pub struct SearchGrpc {
    index: Arc<SearchIndex>,
    catalog: Catalog,
}

impl SearchGrpc {
    pub fn new(index: Arc<SearchIndex>, catalog: Catalog) -> Self {
        Self { index, catalog }
    }
}

fn encode_page_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("s1:{offset}"))
}

fn decode_page_token(token: &str, violations: &mut Violations) -> usize {
    if token.is_empty() {
        return 0;
    }
    let offset = URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| t.strip_prefix("s1:").and_then(|n| n.parse::<usize>().ok()));
    match offset {
        Some(offset) if offset <= MAX_OFFSET => offset,
        Some(_) => {
            violations.add("page_token", format!("results beyond {MAX_OFFSET} are not served; refine the query"));
            0
        }
        None => {
            violations.add("page_token", "is not a page token this server issued");
            0
        }
    }
}

fn code_list(violations: &mut Violations, field: &str, values: &[String], known: impl Fn(&str) -> bool) -> Vec<String> {
    for (i, value) in values.iter().enumerate() {
        if !known(value) {
            violations.add(format!("{field}[{i}]"), format!("unknown code {value:?}"));
        }
    }
    values.to_vec()
}

/// Validates a search request; every problem is reported at once.
pub fn validate(request: pb::SearchRequest) -> Result<index::SearchRequest, Violations> {
    let mut v = Violations::new();
    let chars = request.query.chars().count();
    let clauses = if chars > MAX_QUERY_CHARS {
        v.add("query", format!("is {chars} characters long; the limit is {MAX_QUERY_CHARS}"));
        Vec::new()
    } else {
        match query::parse(&request.query) {
            Ok(clauses) if clauses.len() > MAX_QUERY_CLAUSES => {
                v.add("query", format!("has {} terms; the limit is {MAX_QUERY_CLAUSES}", clauses.len()));
                Vec::new()
            }
            Ok(clauses) => clauses,
            Err(e) => {
                v.add("query", e.to_string());
                Vec::new()
            }
        }
    };
    let f = request.filters.unwrap_or_default();
    let taxonomy = Taxonomy::get();
    let trl = |v: &mut Violations, field: &str, value: u32| match value {
        0 => None,
        1..=9 => Some(value),
        _ => {
            v.add(field, format!("technology readiness level {value} is outside 1..=9"));
            None
        }
    };
    let filters = Filters {
        record_kinds: enum_list(&mut v, "filters.record_kinds", &f.record_kinds, RecordKind::from_proto),
        organization_kinds: enum_list(
            &mut v,
            "filters.organization_kinds",
            &f.organization_kinds,
            OrganizationKind::from_proto,
        ),
        high_tech_fields: code_list(&mut v, "filters.high_tech_fields", &f.high_tech_fields, |c| {
            taxonomy.high_tech_field(c).is_some()
        }),
        industries: code_list(&mut v, "filters.industries", &f.industries, |c| taxonomy.industry(c).is_some()),
        regions: code_list(&mut v, "filters.regions", &f.regions, |c| taxonomy.region(c).is_some()),
        service_categories: enum_list(
            &mut v,
            "filters.service_categories",
            &f.service_categories,
            ServiceCategory::from_proto,
        ),
        capability_kinds: Vec::<CapabilityKind>::new(),
        min_trl: trl(&mut v, "filters.min_trl", f.min_trl),
        max_trl: trl(&mut v, "filters.max_trl", f.max_trl),
        organization_id: (!f.organization_id.is_empty()).then(|| {
            v.id("filters.organization_id", &f.organization_id);
            f.organization_id.clone()
        }),
        organization_ids: Vec::new(),
    };
    if let (Some(min), Some(max)) = (filters.min_trl, filters.max_trl)
        && min > max
    {
        v.add("filters.max_trl", "must not be less than min_trl");
    }
    for (i, facet) in request.facets.iter().enumerate() {
        if !index::is_facet_dimension(facet) {
            v.add(
                format!("facets[{i}]"),
                format!("unknown facet {facet:?}; use one of {}", crate::document::FACET_DIMENSIONS.join(", ")),
            );
        }
    }
    let order = match request.order {
        0 | 1 => SearchOrder::Relevance,
        2 => SearchOrder::Recency,
        other => {
            v.add("order", format!("unknown value {other}"));
            SearchOrder::Relevance
        }
    };
    let limit = match request.page_size {
        0 => DEFAULT_PAGE_SIZE,
        n if n > MAX_PAGE_SIZE => {
            v.add("page_size", format!("page size {n} exceeds the maximum {MAX_PAGE_SIZE}"));
            MAX_PAGE_SIZE
        }
        n => n,
    } as usize;
    let offset = decode_page_token(&request.page_token, &mut v);
    let mut facets = request.facets;
    facets.dedup();
    v.into_result(index::SearchRequest { clauses, filters, facets, order, match_any: false, limit, offset })
}

fn import_row(message: pb::ImportRecord) -> ImportRow {
    let organization_id = match &message.record {
        Some(pb::import_record::Record::Need(n)) => n.meta.as_ref(),
        Some(pb::import_record::Record::Capability(c)) => c.meta.as_ref(),
        Some(pb::import_record::Record::Offer(o)) => o.meta.as_ref(),
        Some(pb::import_record::Record::Organization(_)) | None => None,
    }
    .map(|m| m.organization_id.clone())
    .unwrap_or_default();
    let reference = message.r#ref.clone();
    let organization_ref = message.organization_ref.clone();
    ImportRow { record: Record::try_from(message), reference, organization_ref, organization_id }
}

#[tonic::async_trait]
impl SearchService for SearchGrpc {
    async fn search(&self, request: Request<pb::SearchRequest>) -> Result<Response<pb::SearchResponse>, Status> {
        let viewer = principal(&request)?;
        let request = validate(request.into_inner()).map_err(|v| invalid_argument(&v))?;
        let (limit, offset) = (request.limit, request.offset);
        let index = Arc::clone(&self.index);
        let results = tokio::task::spawn_blocking(move || index.search(&request, &viewer))
            .await
            .map_err(|e| SearchError::Task(e.to_string()))?
            .map_err(SearchError::from)?;
        let next_page_token = if (offset + limit) < results.total as usize && offset + limit <= MAX_OFFSET {
            encode_page_token(offset + limit)
        } else {
            String::new()
        };
        Ok(Response::new(pb::SearchResponse {
            hits: results
                .hits
                .into_iter()
                .map(|hit| pb::SearchHit {
                    kind: hit.kind.to_proto(),
                    id: hit.id,
                    organization_id: hit.organization_id,
                    organization_name: hit.organization_name,
                    title: hit.title,
                    score: hit.score,
                    highlights: hit
                        .highlights
                        .into_iter()
                        .map(|h| pb::Highlight { field: h.field.to_owned(), snippet: h.snippet })
                        .collect(),
                    matched_terms: hit.matched_terms,
                })
                .collect(),
            total_hits: results.total,
            facets: results
                .facets
                .into_iter()
                .map(|f| pb::Facet {
                    field: f.dimension,
                    values: f
                        .values
                        .into_iter()
                        .map(|v| pb::FacetValue { value: v.value, label: v.label, count: v.count })
                        .collect(),
                })
                .collect(),
            next_page_token,
            index_sequence: results.index_sequence,
        }))
    }

    async fn import(
        &self,
        request: Request<Streaming<pb::ImportRecord>>,
    ) -> Result<Response<pb::ImportSummary>, Status> {
        let principal = principal(&request)?;
        let mut stream = request.into_inner();
        let mut importer = Importer::new(self.catalog.clone(), principal);
        while let Some(message) = stream.message().await? {
            importer.add(import_row(message)).await;
        }
        let summary = importer.finish();
        Ok(Response::new(pb::ImportSummary {
            received: summary.received,
            imported: summary.imported,
            rejected: summary
                .rejected
                .into_iter()
                .map(|r| pb::RejectedRow { row: r.row, field: r.field, reason: r.reason })
                .collect(),
            organization_ids: summary.organization_ids,
            rejected_rows: summary.rejected_rows,
        }))
    }
}
