//! The gRPC adapter of the search service: converts a search request into
//! an [`index::SearchRequest`] (see `convert`), runs it off the async
//! workers, and converts the results; streams import rows into the [`Importer`].

use std::sync::Arc;

use innomatch_catalog::Catalog;
use innomatch_core::auth::principal;
use innomatch_proto::v1::{self as pb, search_service_server::SearchService};
use tonic::{Request, Response, Status, Streaming};

use crate::{
    convert::next_page_token,
    error::SearchError,
    import::{ImportRow, Importer},
    index::{self, SearchIndex},
};

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

#[tonic::async_trait]
impl SearchService for SearchGrpc {
    async fn search(&self, request: Request<pb::SearchRequest>) -> Result<Response<pb::SearchResponse>, Status> {
        let viewer = principal(&request)?;
        let request = index::SearchRequest::try_from(request.into_inner())?;
        let (limit, offset) = (request.limit, request.offset);
        let index = Arc::clone(&self.index);
        let results = tokio::task::spawn_blocking(move || index.search(&request, &viewer))
            .await
            .map_err(|e| SearchError::Task(e.to_string()))?
            .map_err(SearchError::from)?;
        let next_page_token = next_page_token(offset, limit, results.total);
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
            importer.add(ImportRow::from(message)).await;
        }
        Ok(Response::new(importer.finish().into()))
    }
}
