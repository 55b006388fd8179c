//! The gRPC adapter of the catalog and admin services: each RPC takes the
//! principal, converts and validates the request, calls [`Catalog`] and maps
//! the error. No rules live here.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use innomatch_core::{
    auth::{principal, standing},
    model::{Record, RecordKind},
    validation::Violations,
};
use innomatch_proto::v1::{self as pb, admin_service_server::AdminService, catalog_service_server::CatalogService};
use tonic::{Request, Response, Status};

use crate::{
    Catalog, CatalogError,
    convert::{NeedStatusChange, NewRecord, ProtoRecord, RecordUpdate, TokenRequest, WatchFilter, protos},
    service::{ListFilter, Page},
};

/// The gRPC face of [`Catalog`] for both `CatalogService` and `AdminService`.
#[derive(Debug, Clone)]
pub struct CatalogGrpc {
    catalog: Catalog,
}

impl CatalogGrpc {
    pub fn new(catalog: Catalog) -> Self {
        Self { catalog }
    }

    async fn create<P: ProtoRecord, R>(&self, request: Request<R>) -> Result<Response<P>, Status>
    where
        NewRecord: TryFrom<R, Error = Violations>,
    {
        let principal = principal(&request)?;
        let NewRecord { record, owner } = request.into_inner().try_into()?;
        reply(self.catalog.create(&principal, record, &owner).await)
    }

    async fn update<P: ProtoRecord, R>(&self, request: Request<R>) -> Result<Response<P>, Status>
    where
        RecordUpdate: TryFrom<R, Error = Violations>,
    {
        let principal = principal(&request)?;
        let RecordUpdate { id, record, expected_version, owner } = request.into_inner().try_into()?;
        reply(self.catalog.update(&principal, &id, record, expected_version, &owner).await)
    }

    async fn get<P: ProtoRecord>(&self, request: Request<String>) -> Result<Response<P>, Status> {
        let principal = principal(&request)?;
        reply(self.catalog.get(&principal, P::KIND, &request.into_inner()).await)
    }

    async fn archive<P: ProtoRecord>(&self, request: Request<pb::ArchiveRequest>) -> Result<Response<P>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        reply(self.catalog.archive(&principal, P::KIND, &req.id, req.expected_version).await)
    }

    async fn list<R>(&self, request: Request<R>, kind: RecordKind) -> Result<(Vec<Record>, String), Status>
    where
        ListFilter: TryFrom<R, Error = Violations>,
    {
        let principal = principal(&request)?;
        let filter = ListFilter::try_from(request.into_inner())?;
        let Page { records, next_page_token } = self.catalog.list(&principal, kind, filter).await?;
        Ok((records, next_page_token))
    }
}

fn reply<P: ProtoRecord>(result: Result<Record, CatalogError>) -> Result<Response<P>, Status> {
    let record = result.map_err(Status::from)?;
    P::from_record(record).map(Response::new).ok_or_else(|| Status::internal("record of an unexpected kind"))
}

type ChangeStream = Pin<Box<dyn Stream<Item = Result<pb::ChangeEvent, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl CatalogService for CatalogGrpc {
    async fn create_organization(
        &self,
        request: Request<pb::CreateOrganizationRequest>,
    ) -> Result<Response<pb::Organization>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let allow_duplicate_name = request.allow_duplicate_name;
        let NewRecord { record, .. } = request.try_into()?;
        let Record::Organization(organization) = record else {
            return Err(Status::internal("record of an unexpected kind"));
        };
        reply(self.catalog.create_organization(&principal, organization, allow_duplicate_name).await)
    }

    async fn update_organization(
        &self,
        request: Request<pb::UpdateOrganizationRequest>,
    ) -> Result<Response<pb::Organization>, Status> {
        self.update(request).await
    }

    async fn get_organization(
        &self,
        request: Request<pb::GetOrganizationRequest>,
    ) -> Result<Response<pb::Organization>, Status> {
        self.get(request.map(|r| r.id)).await
    }

    async fn list_organizations(
        &self,
        request: Request<pb::ListOrganizationsRequest>,
    ) -> Result<Response<pb::ListOrganizationsResponse>, Status> {
        let (records, next_page_token) = self.list(request, RecordKind::Organization).await?;
        Ok(Response::new(pb::ListOrganizationsResponse { organizations: protos(records), next_page_token }))
    }

    async fn archive_organization(
        &self,
        request: Request<pb::ArchiveRequest>,
    ) -> Result<Response<pb::Organization>, Status> {
        self.archive(request).await
    }

    async fn create_need(&self, request: Request<pb::CreateNeedRequest>) -> Result<Response<pb::TechNeed>, Status> {
        self.create(request).await
    }

    async fn update_need(&self, request: Request<pb::UpdateNeedRequest>) -> Result<Response<pb::TechNeed>, Status> {
        self.update(request).await
    }

    async fn get_need(&self, request: Request<pb::GetNeedRequest>) -> Result<Response<pb::TechNeed>, Status> {
        self.get(request.map(|r| r.id)).await
    }

    async fn list_needs(
        &self,
        request: Request<pb::ListNeedsRequest>,
    ) -> Result<Response<pb::ListNeedsResponse>, Status> {
        let (records, next_page_token) = self.list(request, RecordKind::Need).await?;
        Ok(Response::new(pb::ListNeedsResponse { needs: protos(records), next_page_token }))
    }

    async fn archive_need(&self, request: Request<pb::ArchiveRequest>) -> Result<Response<pb::TechNeed>, Status> {
        self.archive(request).await
    }

    async fn set_need_status(
        &self,
        request: Request<pb::SetNeedStatusRequest>,
    ) -> Result<Response<pb::TechNeed>, Status> {
        let principal = principal(&request)?;
        let NeedStatusChange { id, status, expected_version } = request.into_inner().try_into()?;
        reply(self.catalog.set_need_status(&principal, &id, status, expected_version).await)
    }

    async fn create_capability(
        &self,
        request: Request<pb::CreateCapabilityRequest>,
    ) -> Result<Response<pb::Capability>, Status> {
        self.create(request).await
    }

    async fn update_capability(
        &self,
        request: Request<pb::UpdateCapabilityRequest>,
    ) -> Result<Response<pb::Capability>, Status> {
        self.update(request).await
    }

    async fn get_capability(
        &self,
        request: Request<pb::GetCapabilityRequest>,
    ) -> Result<Response<pb::Capability>, Status> {
        self.get(request.map(|r| r.id)).await
    }

    async fn list_capabilities(
        &self,
        request: Request<pb::ListCapabilitiesRequest>,
    ) -> Result<Response<pb::ListCapabilitiesResponse>, Status> {
        let (records, next_page_token) = self.list(request, RecordKind::Capability).await?;
        Ok(Response::new(pb::ListCapabilitiesResponse { capabilities: protos(records), next_page_token }))
    }

    async fn archive_capability(
        &self,
        request: Request<pb::ArchiveRequest>,
    ) -> Result<Response<pb::Capability>, Status> {
        self.archive(request).await
    }

    async fn create_service_offer(
        &self,
        request: Request<pb::CreateServiceOfferRequest>,
    ) -> Result<Response<pb::ServiceOffer>, Status> {
        self.create(request).await
    }

    async fn update_service_offer(
        &self,
        request: Request<pb::UpdateServiceOfferRequest>,
    ) -> Result<Response<pb::ServiceOffer>, Status> {
        self.update(request).await
    }

    async fn get_service_offer(
        &self,
        request: Request<pb::GetServiceOfferRequest>,
    ) -> Result<Response<pb::ServiceOffer>, Status> {
        self.get(request.map(|r| r.id)).await
    }

    async fn list_service_offers(
        &self,
        request: Request<pb::ListServiceOffersRequest>,
    ) -> Result<Response<pb::ListServiceOffersResponse>, Status> {
        let (records, next_page_token) = self.list(request, RecordKind::ServiceOffer).await?;
        Ok(Response::new(pb::ListServiceOffersResponse { offers: protos(records), next_page_token }))
    }

    async fn archive_service_offer(
        &self,
        request: Request<pb::ArchiveRequest>,
    ) -> Result<Response<pb::ServiceOffer>, Status> {
        self.archive(request).await
    }

    type WatchChangesStream = ChangeStream;

    async fn watch_changes(&self, request: Request<pb::WatchChangesRequest>) -> Result<Response<ChangeStream>, Status> {
        let principal = principal(&request)?;
        let standing = standing(&request)?;
        let WatchFilter { after_sequence, kinds } = request.into_inner().try_into()?;
        tracing::info!(after_sequence, token_id = %principal.token_id, "change feed subscribed");
        let stream = self
            .catalog
            .feed(principal, after_sequence, kinds)
            .map(|item| item.map(pb::ChangeEvent::from).map_err(Status::from));
        // Revoking the token or archiving its organization ends the feed.
        Ok(Response::new(standing.guard(stream)?))
    }

    async fn get_feed_position(
        &self,
        request: Request<pb::GetFeedPositionRequest>,
    ) -> Result<Response<pb::FeedPosition>, Status> {
        principal(&request)?;
        Ok(Response::new(pb::FeedPosition { latest_sequence: *self.catalog.sequence().borrow() }))
    }
}

#[tonic::async_trait]
impl AdminService for CatalogGrpc {
    async fn issue_token(
        &self,
        request: Request<pb::IssueTokenRequest>,
    ) -> Result<Response<pb::IssueTokenResponse>, Status> {
        let principal = principal(&request)?;
        let TokenRequest { organization_id, role, label } = request.into_inner().try_into()?;
        let issued = self.catalog.issue_token(&principal, organization_id, role, label).await?;
        Ok(Response::new(pb::IssueTokenResponse { token_id: issued.token_id, token: issued.secret }))
    }

    async fn revoke_token(
        &self,
        request: Request<pb::RevokeTokenRequest>,
    ) -> Result<Response<pb::RevokeTokenResponse>, Status> {
        let principal = principal(&request)?;
        self.catalog.revoke_token(&principal, &request.into_inner().token_id).await?;
        Ok(Response::new(pb::RevokeTokenResponse {}))
    }

    async fn list_tokens(
        &self,
        request: Request<pb::ListTokensRequest>,
    ) -> Result<Response<pb::ListTokensResponse>, Status> {
        let principal = principal(&request)?;
        let org = request.into_inner().organization_id;
        let tokens = self.catalog.list_tokens(&principal, (!org.is_empty()).then_some(org.as_str())).await?;
        Ok(Response::new(pb::ListTokensResponse { tokens: tokens.into_iter().map(pb::ApiTokenInfo::from).collect() }))
    }

    async fn get_auth_snapshot(
        &self,
        request: Request<pb::GetAuthSnapshotRequest>,
    ) -> Result<Response<pb::AuthSnapshot>, Status> {
        let snapshot = self.catalog.auth_snapshot(&principal(&request)?)?;
        Ok(Response::new(snapshot.into()))
    }

    async fn who_am_i(&self, request: Request<pb::WhoAmIRequest>) -> Result<Response<pb::WhoAmIResponse>, Status> {
        let principal = principal(&request)?;
        Ok(Response::new(pb::WhoAmIResponse {
            organization_id: principal.organization_id.unwrap_or_default(),
            role: principal.role.to_proto(),
            token_id: principal.token_id,
        }))
    }
}
