//! A catalog in another process, read over its gRPC API: what a search or
//! matcher replica started with `--catalog-url` follows and reads instead of
//! opening a record store. Every call carries the replica's admin token; a
//! read made for a caller adds `innomatch-acting-for` with the caller's
//! token id, so the catalog itself decides what that caller may see.

use std::{collections::HashSet, time::Duration};

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt, stream::BoxStream};
use innomatch_core::{
    auth::{ACTING_FOR_HEADER, BearerToken, Principal},
    convert::{millis, record_as_sent},
    model::{ChangeOperation, Record, RecordKind, RecordStatus, Role, ServiceCategory, ServiceOffer},
    transport::{self, ClientTls},
    validation::Violations,
};
use innomatch_proto::v1::{
    self as pb, admin_service_client::AdminServiceClient, catalog_service_client::CatalogServiceClient,
    policy_service_client::PolicyServiceClient,
};
use tonic::{
    Code, Request, Status, metadata::MetadataValue, service::interceptor::InterceptedService, transport::Channel,
};

use crate::{
    CatalogError,
    reader::CatalogReader,
    service::Page,
    store::{Change, TokenRecord},
    tokens::{AuthSnapshot, AuthSource},
};

/// How long one unary call to the catalog may take (streams have no limit).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Offers read per page while looking for a category's active ones.
const OFFER_PAGE: u32 = 200;

type Authorized = InterceptedService<Channel, BearerToken>;

/// The catalog at a URL, read with an admin token.
#[derive(Debug, Clone)]
pub struct RemoteCatalog {
    url: String,
    catalog: CatalogServiceClient<Authorized>,
    admin: AdminServiceClient<Authorized>,
    policies: PolicyServiceClient<Authorized>,
}

impl RemoteCatalog {
    /// Connects on first use, so the catalog may start after this process;
    /// speaks TLS when `url` is `https://` (see [`transport::endpoint`]).
    pub fn new(url: &str, admin_token: &str, tls: &ClientTls) -> Result<Self, String> {
        let channel = transport::endpoint(url, tls)
            .map_err(|e| format!("catalog URL: {e}"))?
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .connect_lazy();
        let token = BearerToken::new(Some(admin_token)).map_err(|e| format!("the admin token: {e}"))?;
        Ok(Self {
            url: url.to_owned(),
            catalog: CatalogServiceClient::with_interceptor(channel.clone(), token.clone())
                .max_decoding_message_size(64 * 1024 * 1024),
            admin: AdminServiceClient::with_interceptor(channel.clone(), token.clone()),
            policies: PolicyServiceClient::with_interceptor(channel, token),
        })
    }

    /// Where the catalog is.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The newest committed sequence of the catalog's change feed.
    pub async fn feed_position(&self) -> Result<i64, CatalogError> {
        let reply = self.catalog.clone().get_feed_position(unary(pb::GetFeedPositionRequest {}, None)?).await;
        Ok(reply.map_err(from_status)?.into_inner().latest_sequence)
    }
}

/// A unary request: bounded in time, and judged as `principal`'s when one
/// is given that is not an admin (admins see what the replica's token sees).
fn unary<T>(message: T, principal: Option<&Principal>) -> Result<Request<T>, CatalogError> {
    let mut request = acting_for(message, principal)?;
    request.set_timeout(CALL_TIMEOUT);
    Ok(request)
}

fn acting_for<T>(message: T, principal: Option<&Principal>) -> Result<Request<T>, CatalogError> {
    let mut request = Request::new(message);
    if let Some(principal) = principal.filter(|p| !p.is_admin()) {
        let value = MetadataValue::try_from(principal.token_id.as_str())
            .map_err(|_| CatalogError::PermissionDenied("the caller's token id cannot travel in a header".into()))?;
        request.metadata_mut().insert(ACTING_FOR_HEADER, value);
    }
    Ok(request)
}

/// What the catalog answered, as the catalog's own error.
fn from_status(status: Status) -> CatalogError {
    let message = status.message().to_owned();
    match status.code() {
        Code::NotFound => CatalogError::NotFound(message),
        Code::PermissionDenied | Code::Unauthenticated => CatalogError::PermissionDenied(message),
        Code::FailedPrecondition => CatalogError::FailedPrecondition(message),
        Code::AlreadyExists => CatalogError::AlreadyExists(message),
        Code::InvalidArgument => CatalogError::Invalid(Violations::single("request", message)),
        code => CatalogError::Unavailable(format!("{code:?}: {message}")),
    }
}

/// A record the catalog sent, as this process's model.
fn received(record: pb::change_event::Record) -> Result<Record, CatalogError> {
    record_as_sent(record)
        .map_err(|v| CatalogError::Unavailable(format!("the catalog sent a record this process cannot read: {v}")))
}

fn change(event: pb::ChangeEvent) -> Result<Option<Change>, CatalogError> {
    // A withheld event (no record) is one the principal may no longer see.
    let Some(record) = event.record else { return Ok(None) };
    let operation = ChangeOperation::from_proto(event.operation)
        .ok()
        .flatten()
        .ok_or_else(|| CatalogError::Unavailable(format!("change {} has no known operation", event.sequence)))?;
    Ok(Some(Change {
        sequence: event.sequence,
        operation,
        committed_at_ms: event.committed_at.as_ref().map(millis).unwrap_or_default(),
        record: received(record)?,
    }))
}

#[async_trait]
impl CatalogReader for RemoteCatalog {
    async fn get(&self, principal: &Principal, kind: RecordKind, id: &str) -> Result<Record, CatalogError> {
        use pb::change_event::Record as R;
        let id = id.to_owned();
        let record = match kind {
            RecordKind::Organization => R::Organization(
                self.catalog
                    .clone()
                    .get_organization(unary(pb::GetOrganizationRequest { id }, Some(principal))?)
                    .await
                    .map_err(from_status)?
                    .into_inner(),
            ),
            RecordKind::Need => R::Need(
                self.catalog
                    .clone()
                    .get_need(unary(pb::GetNeedRequest { id }, Some(principal))?)
                    .await
                    .map_err(from_status)?
                    .into_inner(),
            ),
            RecordKind::Capability => R::Capability(
                self.catalog
                    .clone()
                    .get_capability(unary(pb::GetCapabilityRequest { id }, Some(principal))?)
                    .await
                    .map_err(from_status)?
                    .into_inner(),
            ),
            RecordKind::ServiceOffer => R::Offer(
                self.catalog
                    .clone()
                    .get_service_offer(unary(pb::GetServiceOfferRequest { id }, Some(principal))?)
                    .await
                    .map_err(from_status)?
                    .into_inner(),
            ),
            RecordKind::Policy => R::Policy(
                self.policies
                    .clone()
                    .get_policy(unary(pb::GetPolicyRequest { id }, Some(principal))?)
                    .await
                    .map_err(from_status)?
                    .into_inner(),
            ),
        };
        received(record)
    }

    async fn active_needs(&self, page_token: &str, page_size: u32) -> Result<Page, CatalogError> {
        let request = pb::ListNeedsRequest {
            status: RecordStatus::Active.to_proto(),
            page_size,
            page_token: page_token.to_owned(),
            ..Default::default()
        };
        let reply = self.catalog.clone().list_needs(unary(request, None)?).await.map_err(from_status)?.into_inner();
        let records = reply
            .needs
            .into_iter()
            .map(|need| received(pb::change_event::Record::Need(need)))
            .collect::<Result<_, _>>()?;
        Ok(Page { records, next_page_token: reply.next_page_token })
    }

    async fn offers_in_category(
        &self,
        category: ServiceCategory,
        limit: u32,
    ) -> Result<Vec<ServiceOffer>, CatalogError> {
        let mut offers = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = pb::ListServiceOffersRequest {
                category: category.to_proto(),
                page_size: OFFER_PAGE,
                page_token,
                ..Default::default()
            };
            let reply = self
                .catalog
                .clone()
                .list_service_offers(unary(request, None)?)
                .await
                .map_err(from_status)?
                .into_inner();
            for offer in reply.offers {
                if let Record::Offer(offer) = received(pb::change_event::Record::Offer(offer))?
                    && offer.meta.status() == RecordStatus::Active
                {
                    offers.push(offer);
                    if offers.len() >= limit as usize {
                        return Ok(offers);
                    }
                }
            }
            if reply.next_page_token.is_empty() {
                return Ok(offers);
            }
            page_token = reply.next_page_token;
        }
    }

    fn watch(
        &self,
        principal: Principal,
        after_sequence: i64,
        kinds: Vec<RecordKind>,
    ) -> BoxStream<'static, Result<Change, CatalogError>> {
        let mut client = self.catalog.clone();
        let request =
            pb::WatchChangesRequest { after_sequence, kinds: kinds.into_iter().map(RecordKind::to_proto).collect() };
        let subscribed = async move {
            let request = acting_for(request, Some(&principal))?;
            let events = client.watch_changes(request).await.map_err(from_status)?.into_inner();
            Ok::<_, CatalogError>(events.map_err(from_status))
        };
        futures::stream::once(subscribed).try_flatten().try_filter_map(|event| async move { change(event) }).boxed()
    }
}

#[async_trait]
impl AuthSource for RemoteCatalog {
    async fn auth_snapshot(&self) -> Result<AuthSnapshot, String> {
        let request = unary(pb::GetAuthSnapshotRequest {}, None).map_err(|e| e.to_string())?;
        let reply = self.admin.clone().get_auth_snapshot(request).await.map_err(|s| from_status(s).to_string())?;
        let reply = reply.into_inner();
        let tokens = reply
            .tokens
            .into_iter()
            .filter_map(|t| {
                let role = Role::from_proto(t.role).ok().flatten()?;
                Some(TokenRecord {
                    id: t.token_id,
                    hash: t.sha256,
                    organization_id: (!t.organization_id.is_empty()).then_some(t.organization_id),
                    role,
                    label: String::new(),
                    created_at_ms: 0,
                    revoked: false,
                })
            })
            .collect();
        let archived_organizations: HashSet<String> = reply.archived_organization_ids.into_iter().collect();
        Ok(AuthSnapshot { tokens, archived_organizations })
    }
}
