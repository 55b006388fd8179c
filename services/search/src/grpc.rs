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
    import::{ImportLedger, ImportRow, Importer},
    index::{self, SearchIndex},
};

/// Rows taken from the queue at a time, and committed in one store transaction.
const IMPORT_BATCH: usize = 512;
/// Bytes of rows read ahead of the commits at most.
const IMPORT_READ_AHEAD_BYTES: usize = 64 * 1024 * 1024;

/// A row read ahead, with the queue space it holds until it is dropped.
type QueuedRow = (Result<pb::ImportRecord, Status>, Option<tokio::sync::OwnedSemaphorePermit>);

/// Reads an import stream into a queue of at most [`IMPORT_READ_AHEAD_BYTES`]
/// as fast as the rows arrive. h2 answers a client that sends many small DATA
/// frames (grpcio sends one per row) faster than the handler consumes them
/// with `GOAWAY ENHANCE_YOUR_CALM`; consumed frames no longer count, so the
/// commits may take their time.
fn read_ahead(mut stream: Streaming<pb::ImportRecord>) -> tokio::sync::mpsc::UnboundedReceiver<QueuedRow> {
    use innomatch_proto::prost::Message;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let space = Arc::new(tokio::sync::Semaphore::new(IMPORT_READ_AHEAD_BYTES));
    tokio::spawn(async move {
        loop {
            let message = match stream.message().await {
                Ok(Some(message)) => message,
                Ok(None) => break,
                Err(status) => {
                    let _ = tx.send((Err(status), None));
                    break;
                }
            };
            let bytes = u32::try_from(message.encoded_len().clamp(1, IMPORT_READ_AHEAD_BYTES)).unwrap_or(u32::MAX);
            let Ok(permit) = Arc::clone(&space).acquire_many_owned(bytes).await else { break };
            if tx.send((Ok(message), Some(permit))).is_err() {
                break; // the handler stopped (the call was cancelled)
            }
        }
    });
    rx
}

/// Where imported rows are written.
#[derive(Debug, Clone)]
enum ImportTarget {
    /// The catalog in this process.
    Catalog(Catalog),
    /// None: this is a replica of the catalog at this URL, which keeps no
    /// record store; imports go to the process where the catalog runs.
    Replica { catalog_url: String },
}

#[derive(Debug, Clone)]
pub struct SearchGrpc {
    index: Arc<SearchIndex>,
    imports_to: ImportTarget,
    imports: Arc<ImportLedger>,
}

impl SearchGrpc {
    pub fn new(index: Arc<SearchIndex>, catalog: Catalog) -> Self {
        Self { index, imports_to: ImportTarget::Catalog(catalog), imports: Arc::default() }
    }

    /// A replica's search: it answers searches from its own index and
    /// refuses imports, naming the catalog that takes them.
    pub fn replica(index: Arc<SearchIndex>, catalog_url: String) -> Self {
        Self { index, imports_to: ImportTarget::Replica { catalog_url }, imports: Arc::default() }
    }
}

/// An import and its idempotency claim: however the call ends (finished,
/// failed or cancelled by the client), the ledger learns how far it got.
struct KeyedImport {
    importer: Option<Importer>,
    claim: Option<crate::import::LedgerClaim>,
}

impl Drop for KeyedImport {
    fn drop(&mut self) {
        if let (Some(claim), Some(importer)) = (&self.claim, &self.importer) {
            claim.progress(importer.summary());
        }
    }
}

/// The metadata key a client names an import by, to retry it safely.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The import's idempotency key, if the client sent one.
fn idempotency_key<T>(request: &Request<T>) -> Result<Option<String>, Status> {
    let Some(value) = request.metadata().get(IDEMPOTENCY_KEY) else { return Ok(None) };
    let key = value.to_str().map_err(|_| Status::invalid_argument("idempotency-key must be visible ASCII"))?.trim();
    if key.is_empty() || key.len() > 128 {
        return Err(Status::invalid_argument("idempotency-key must have 1 to 128 characters"));
    }
    Ok(Some(key.to_owned()))
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
            total_hits_exact: results.total_exact,
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
        let catalog = match &self.imports_to {
            ImportTarget::Catalog(catalog) => catalog.clone(),
            ImportTarget::Replica { catalog_url } => {
                return Err(Status::failed_precondition(format!(
                    "this search service is a replica of the catalog at {catalog_url} and keeps no records: \
                     import through a process where the catalog runs with search (e.g. `--service catalog,search`)"
                )));
            }
        };
        let claim = match idempotency_key(&request)? {
            Some(key) => {
                Some(self.imports.claim(&principal.token_id, &key).map_err(|e| Status::aborted(e.to_string()))?)
            }
            None => None,
        };
        // Rows an earlier attempt with the same key handled are skipped.
        let (claim, earlier) = match claim {
            Some((claim, summary)) => (Some(claim), summary),
            None => (None, Default::default()),
        };
        let handled = earlier.received;
        let mut import = KeyedImport { importer: Some(Importer::resume(catalog, principal, earlier)), claim };
        let mut rows = read_ahead(request.into_inner());
        let mut batch = Vec::with_capacity(IMPORT_BATCH);
        let mut position = 0u64;
        while rows.recv_many(&mut batch, IMPORT_BATCH).await > 0 {
            let Some(importer) = import.importer.as_mut() else { break };
            let mut failed = None;
            for (message, _bytes) in batch.drain(..) {
                let message = match message {
                    Ok(message) => message,
                    Err(status) => {
                        failed = Some(status);
                        break;
                    }
                };
                position += 1;
                if position > handled {
                    importer.add(ImportRow::from(message));
                }
            }
            // One store transaction for every row taken from the queue; rows
            // received before a broken stream are written all the same, so
            // the summary a retry resumes from is true.
            importer.flush().await;
            if let Some(status) = failed {
                return Err(status);
            }
        }
        let summary = match import.importer.take() {
            Some(importer) => importer.finish().await,
            None => Default::default(),
        };
        if let Some(claim) = &import.claim {
            claim.progress(&summary);
        }
        Ok(Response::new(summary.into()))
    }
}
