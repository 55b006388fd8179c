//! The search service's edge: a `SearchRequest` becomes a validated
//! [`index::SearchRequest`] by `TryFrom` (every problem reported at once),
//! import rows become [`ImportRow`]s, and results become replies by `From`.

use innomatch_core::{
    edge::{PagePolicy, PageTokens, code_list, enum_list},
    model::{CapabilityKind, OrganizationKind, Record, RecordKind, ServiceCategory},
    taxonomy::Taxonomy,
    validation::{Violations, limits},
};
use innomatch_proto::v1 as pb;

use crate::{
    import::{ImportRow, ImportSummary},
    index::{self, Filters, SearchOrder},
    query,
};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most clauses (words, phrases) in one query.
pub const MAX_QUERY_CLAUSES: usize = 32;
/// Search pages are shorter than record lists: people read them.
pub const SEARCH_PAGES: PagePolicy = PagePolicy { default: 20, max: 100 };
/// Deepest result a page may start at; deeper paging is a sign to refine the query.
pub const MAX_OFFSET: usize = 10_000;

/// Page tokens carry the offset of the next page.
const PAGE_TOKENS: PageTokens = PageTokens::new("s1");

/// The token of the page after one that ended at `offset + limit` of `total`
/// (empty when there is none, or when it would start beyond [`MAX_OFFSET`]).
pub fn next_page_token(offset: usize, limit: usize, total: u64) -> String {
    let next = offset + limit;
    if (next as u64) < total && next <= MAX_OFFSET { PAGE_TOKENS.encode(next as u64) } else { String::new() }
}

fn page_offset(token: &str, violations: &mut Violations) -> usize {
    match PAGE_TOKENS.decode(token) {
        Ok(None) => 0,
        Ok(Some(offset)) if offset <= MAX_OFFSET as u64 => offset as usize,
        Ok(Some(_)) => {
            violations.add("page_token", format!("results beyond {MAX_OFFSET} are not served; refine the query"));
            0
        }
        Err(foreign) => {
            violations.0.extend(foreign.0);
            0
        }
    }
}

/// A technology readiness filter: 0 is no filter.
fn trl(violations: &mut Violations, field: &str, value: u32) -> Option<u32> {
    match value {
        0 => None,
        1..=limits::TRL_MAX => Some(value),
        _ => {
            violations.add(field, format!("technology readiness level {value} is outside 1..={}", limits::TRL_MAX));
            None
        }
    }
}

fn order(violations: &mut Violations, value: i32) -> SearchOrder {
    match pb::SearchOrder::try_from(value) {
        Ok(pb::SearchOrder::Unspecified | pb::SearchOrder::Relevance) => SearchOrder::Relevance,
        Ok(pb::SearchOrder::Recency) => SearchOrder::Recency,
        Err(_) => {
            violations.add("order", format!("unknown value {value}"));
            SearchOrder::Relevance
        }
    }
}

impl TryFrom<pb::SearchRequest> for index::SearchRequest {
    type Error = Violations;

    fn try_from(request: pb::SearchRequest) -> Result<Self, Violations> {
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
            capability_kinds: enum_list(
                &mut v,
                "filters.capability_kinds",
                &f.capability_kinds,
                CapabilityKind::from_proto,
            ),
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
        let order = order(&mut v, request.order);
        let limit = SEARCH_PAGES.size(&mut v, "page_size", request.page_size) as usize;
        let offset = page_offset(&request.page_token, &mut v);
        let mut facets = request.facets;
        facets.dedup();
        let estimate_total = request.estimate_total;
        v.into_result(index::SearchRequest {
            clauses,
            filters,
            facets,
            order,
            match_any: false,
            limit,
            offset,
            estimate_total,
        })
    }
}

impl From<pb::ImportRecord> for ImportRow {
    fn from(message: pb::ImportRecord) -> Self {
        let meta = match &message.record {
            Some(pb::import_record::Record::Need(n)) => n.meta.as_ref(),
            Some(pb::import_record::Record::Capability(c)) => c.meta.as_ref(),
            Some(pb::import_record::Record::Offer(o)) => o.meta.as_ref(),
            Some(pb::import_record::Record::Organization(o)) => o.meta.as_ref(),
            Some(pb::import_record::Record::Policy(p)) => p.meta.as_ref(),
            None => None,
        };
        let record_id = meta.map(|m| m.id.clone()).unwrap_or_default();
        // An organization owns itself: it names no owner.
        let organization_id = match &message.record {
            Some(pb::import_record::Record::Organization(_)) => String::new(),
            _ => meta.map(|m| m.organization_id.clone()).unwrap_or_default(),
        };
        let reference = message.r#ref.clone();
        let organization_ref = message.organization_ref.clone();
        ImportRow { record: Record::try_from(message), reference, organization_ref, organization_id, record_id }
    }
}

impl From<ImportSummary> for pb::ImportSummary {
    fn from(summary: ImportSummary) -> Self {
        pb::ImportSummary {
            received: summary.received,
            imported: summary.imported,
            updated: summary.updated,
            unchanged: summary.unchanged,
            rejected: summary
                .rejected
                .into_iter()
                .map(|r| pb::RejectedRow { row: r.row, field: r.field, reason: r.reason })
                .collect(),
            organization_ids: summary.organization_ids,
            rejected_rows: summary.rejected_rows,
        }
    }
}
