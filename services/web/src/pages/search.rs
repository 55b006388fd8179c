//! Search across needs, capabilities, organizations and offers: the query,
//! a kind filter and facet filters, facet counts and highlighted passages.
//! The request goes through the search API's own converter (same limits,
//! same query syntax) and the index applies the viewer's visibility.

use std::sync::Arc;

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Response},
};
use innomatch_core::model::RecordKind;
use innomatch_proto::v1 as pb;
use innomatch_search::{error::SearchError, index};
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    WebConsole,
    i18n::Lang,
    layout::{FieldErrors, PageError, encode_path, highlighted, page},
    session::SignedIn,
};

/// The facets the page counts and offers as filters.
const FACETS: &[&str] = &["record_kind", "industry", "high_tech_field", "region", "service_category"];

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub high_tech_field: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub service_category: String,
}

impl SearchParams {
    /// The query string of these parameters with `dimension` set to `value`.
    fn with(&self, dimension: &str, value: &str) -> String {
        let mut params = self.clone();
        match dimension {
            "record_kind" => params.kind = value.into(),
            "industry" => params.industry = value.into(),
            "high_tech_field" => params.high_tech_field = value.into(),
            "region" => params.region = value.into(),
            "service_category" => params.service_category = value.into(),
            _ => {}
        }
        let pairs = [
            ("q", &params.q),
            ("kind", &params.kind),
            ("industry", &params.industry),
            ("high_tech_field", &params.high_tech_field),
            ("region", &params.region),
            ("service_category", &params.service_category),
        ];
        let query: Vec<String> =
            pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", encode_path(v))).collect();
        format!("/search?{}", query.join("&"))
    }

    fn current(&self, dimension: &str) -> &str {
        match dimension {
            "record_kind" => &self.kind,
            "industry" => &self.industry,
            "high_tech_field" => &self.high_tech_field,
            "region" => &self.region,
            "service_category" => &self.service_category,
            _ => "",
        }
    }

    /// The API request these parameters ask for; codes the API does not
    /// know become its violations, as over gRPC.
    fn to_proto(&self) -> pb::SearchRequest {
        let list = |value: &str| if value.is_empty() { Vec::new() } else { vec![value.to_owned()] };
        let record_kinds = match self.kind.as_str() {
            "" => Vec::new(),
            code => vec![RecordKind::from_code(code).map(RecordKind::to_proto).unwrap_or(-1)],
        };
        let service_categories = match self.service_category.as_str() {
            "" => Vec::new(),
            code => vec![innomatch_core::model::ServiceCategory::from_code(code).map(|c| c.to_proto()).unwrap_or(-1)],
        };
        pb::SearchRequest {
            query: self.q.clone(),
            filters: Some(pb::SearchFilters {
                record_kinds,
                industries: list(&self.industry),
                high_tech_fields: list(&self.high_tech_field),
                regions: list(&self.region),
                service_categories,
                ..Default::default()
            }),
            facets: FACETS.iter().map(|f| (*f).to_owned()).collect(),
            page_size: 20,
            ..Default::default()
        }
    }
}

/// Where a hit's page is.
pub fn record_path(kind: RecordKind, id: &str) -> String {
    match kind {
        RecordKind::Organization => format!("/organizations/{id}"),
        RecordKind::Need => format!("/needs/{id}"),
        RecordKind::Capability => format!("/capabilities/{id}"),
        RecordKind::ServiceOffer => format!("/offers/{id}"),
        RecordKind::Policy => format!("/policies/{id}"),
    }
}

fn facet_title(lang: Lang, dimension: &str) -> &'static str {
    match dimension {
        "record_kind" => lang.t("类别", "Kind"),
        "industry" => lang.t("产业链", "Industry chain"),
        "high_tech_field" => lang.t("高新技术领域", "High-tech field"),
        "region" => lang.t("地区", "Region"),
        _ => lang.t("服务类别", "Service category"),
    }
}

fn search_form(lang: Lang, params: &SearchParams, errors: &FieldErrors) -> Markup {
    html! {
        form.search method="get" action="/search" id="search-form" {
            input type="search" name="q" value=(params.q) placeholder=(lang.t("例如：氢冶金 低碳", "e.g. 氢冶金 低碳")) id="search-query";
            select name="kind" id="search-kind" {
                option value="" { (lang.t("全部类别", "All kinds")) }
                @for kind in RecordKind::ALL {
                    option value=(kind.code()) selected[params.kind == kind.code()] { (lang.record_kind(*kind)) }
                }
            }
            @for (name, value) in [("industry", &params.industry), ("high_tech_field", &params.high_tech_field), ("region", &params.region), ("service_category", &params.service_category)] {
                @if !value.is_empty() { input type="hidden" name=(name) value=(value); }
            }
            button type="submit" id="search-submit" { (lang.t("检索", "Search")) }
            (errors.show(lang, "query"))
            (errors.show_others(lang, &["query"]))
        }
    }
}

pub async fn search_page(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    Query(params): Query<SearchParams>,
) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let title = lang.t("检索", "Search");
    let Some(search) = console.search.clone() else {
        return PageError::Unavailable("search").render(&viewer);
    };
    let request = match index::SearchRequest::try_from(params.to_proto()) {
        Ok(request) => request,
        Err(violations) => {
            let errors = FieldErrors::from_violations(&violations, |f| f.to_owned());
            let body = search_form(lang, &params, &errors);
            return (axum::http::StatusCode::BAD_REQUEST, page(&viewer, title, body)).into_response();
        }
    };
    let principal = signed_in.principal();
    let results = match run(search, request, principal).await {
        Ok(results) => results,
        Err(error) => return PageError::from(error).render(&viewer),
    };
    let body = html! {
        (search_form(lang, &params, &FieldErrors::default()))
        div.search-layout {
            aside.facets {
                @for facet in &results.facets {
                    @if !facet.values.is_empty() {
                        section.facet data-facet=(facet.dimension) {
                            h3 { (facet_title(lang, &facet.dimension)) }
                            ul {
                                @if !params.current(&facet.dimension).is_empty() {
                                    li { a href=(params.with(&facet.dimension, "")) { "× " (lang.t("清除", "clear")) } }
                                }
                                @for value in &facet.values {
                                    li.selected[params.current(&facet.dimension) == value.value] {
                                        a href=(params.with(&facet.dimension, &value.value)) { (facet_label(lang, &facet.dimension, &value.value, &value.label)) }
                                        " " span.count { (value.count) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section.hits id="search-results" {
                p.total id="search-total" { (lang.t("共 ", "")) (results.total) (lang.t(" 条结果", " results")) }
                @for hit in &results.hits {
                    article.hit data-kind=(hit.kind.code()) {
                        h3 { span.kind { (lang.record_kind(hit.kind)) } " " a href=(record_path(hit.kind, &hit.id)) { (hit.title) } }
                        @if !hit.organization_name.is_empty() { p.owner { (hit.organization_name) } }
                        @for highlight in &hit.highlights { p.snippet { (highlighted(&highlight.snippet)) } }
                    }
                }
            }
        }
    };
    page(&viewer, title, body).into_response()
}

fn facet_label(lang: Lang, dimension: &str, value: &str, label: &str) -> String {
    match dimension {
        "record_kind" => {
            RecordKind::from_code(value).map(|k| lang.record_kind(k).to_owned()).unwrap_or_else(|| label.to_owned())
        }
        "service_category" => innomatch_core::model::ServiceCategory::from_code(value)
            .map(|c| lang.service_category(c).to_owned())
            .unwrap_or_else(|| label.to_owned()),
        _ if label.is_empty() => value.to_owned(),
        _ => label.to_owned(),
    }
}

/// Searches on the blocking pool, as the gRPC adapter does.
async fn run(
    search: Arc<index::SearchIndex>,
    request: index::SearchRequest,
    principal: innomatch_core::auth::Principal,
) -> Result<index::SearchResults, SearchError> {
    tokio::task::spawn_blocking(move || search.search(&request, &principal))
        .await
        .map_err(|e| SearchError::Task(e.to_string()))?
        .map_err(SearchError::from)
}
