//! The gRPC adapter of the catalog and admin services: each RPC takes the
//! principal, converts and validates the request, calls [`Catalog`] and maps
//! the error. No rules live here.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use innomatch_core::{
    auth::principal,
    convert::{requested_owner, timestamp},
    model::*,
    status::invalid_argument,
    tag::Tag,
    taxonomy::Taxonomy,
    validation::{Violations, page_size},
};
use innomatch_proto::v1::{self as pb, admin_service_server::AdminService, catalog_service_server::CatalogService};
use tonic::{Request, Response, Status};

use crate::{
    Catalog,
    service::{ListFilter, Page},
    store::Change,
};

/// A proto record message and its domain counterpart.
trait ProtoRecord: Sized + Send + 'static {
    const KIND: RecordKind;
    fn meta(&self) -> Option<&pb::RecordMeta>;
    fn into_record(self) -> Result<Record, Violations>;
    fn from_record(record: Record) -> Option<Self>;
}

macro_rules! proto_record {
    ($proto:ty, $kind:expr, $variant:ident, $domain:ty) => {
        impl ProtoRecord for $proto {
            const KIND: RecordKind = $kind;
            fn meta(&self) -> Option<&pb::RecordMeta> {
                self.meta.as_ref()
            }
            fn into_record(self) -> Result<Record, Violations> {
                <$domain>::try_from(self).map(Record::$variant)
            }
            fn from_record(record: Record) -> Option<Self> {
                match record {
                    Record::$variant(inner) => Some(inner.into()),
                    _ => None,
                }
            }
        }
    };
}

proto_record!(pb::Organization, RecordKind::Organization, Organization, Organization);
proto_record!(pb::TechNeed, RecordKind::Need, Need, TechNeed);
proto_record!(pb::Capability, RecordKind::Capability, Capability, Capability);
proto_record!(pb::ServiceOffer, RecordKind::ServiceOffer, Offer, ServiceOffer);

/// The gRPC face of [`Catalog`] for both `CatalogService` and `AdminService`.
#[derive(Debug, Clone)]
pub struct CatalogGrpc {
    catalog: Catalog,
}

impl CatalogGrpc {
    pub fn new(catalog: Catalog) -> Self {
        Self { catalog }
    }

    async fn create<P: ProtoRecord>(&self, request: Request<Option<P>>, field: &str) -> Result<Response<P>, Status> {
        let principal = principal(&request)?;
        let proto = request.into_inner().ok_or_else(|| invalid_argument(&Violations::single(field, "is required")))?;
        let owner = requested_owner(proto.meta()).to_owned();
        let record = proto.into_record().map_err(|v| invalid_argument(&v))?;
        reply(self.catalog.create(&principal, record, &owner).await)
    }

    async fn update<P: ProtoRecord>(
        &self,
        request: Request<(Option<P>, i64)>,
        field: &str,
    ) -> Result<Response<P>, Status> {
        let principal = principal(&request)?;
        let (proto, expected_version) = request.into_inner();
        let proto = proto.ok_or_else(|| invalid_argument(&Violations::single(field, "is required")))?;
        let id = proto.meta().map(|m| m.id.clone()).unwrap_or_default();
        let owner = requested_owner(proto.meta()).to_owned();
        let mut violations = Violations::new();
        violations.id(&format!("{field}.meta.id"), &id);
        let record = match proto.into_record() {
            Ok(record) if violations.is_empty() => record,
            Ok(_) => return Err(invalid_argument(&violations)),
            Err(mut more) => {
                violations.0.append(&mut more.0);
                return Err(invalid_argument(&violations));
            }
        };
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

    async fn list(&self, request: Request<ListFilter>, kind: RecordKind) -> Result<(Vec<Record>, String), Status> {
        let principal = principal(&request)?;
        let Page { records, next_page_token } =
            self.catalog.list(&principal, kind, request.into_inner()).await.map_err(Status::from)?;
        Ok((records, next_page_token))
    }
}

fn reply<P: ProtoRecord>(result: Result<Record, crate::CatalogError>) -> Result<Response<P>, Status> {
    let record = result.map_err(Status::from)?;
    P::from_record(record).map(Response::new).ok_or_else(|| Status::internal("record of an unexpected kind"))
}

fn protos<P: ProtoRecord>(records: Vec<Record>) -> Vec<P> {
    records.into_iter().filter_map(P::from_record).collect()
}

/// Builds the validated filter of a list request.
struct FilterBuilder {
    violations: Violations,
    filter: ListFilter,
}

impl FilterBuilder {
    fn new(page_size_requested: u32, page_token: String, include_archived: bool) -> Self {
        let mut violations = Violations::new();
        let size = page_size("page_size", page_size_requested, &mut violations);
        Self {
            violations,
            filter: ListFilter { page_size: size, page_token, include_archived, ..ListFilter::default() },
        }
    }

    fn organization(mut self, id: String) -> Self {
        if !id.is_empty() {
            self.violations.id("organization_id", &id);
            self.filter.organization_id = Some(id);
        }
        self
    }

    fn code(mut self, field: &str, value: String, tag: fn(String) -> Tag, known: impl Fn(&str) -> bool) -> Self {
        if !value.is_empty() {
            if known(&value) {
                self.filter.tags.push(tag(value));
            } else {
                self.violations.add(field, format!("unknown code {value:?}"));
            }
        }
        self
    }

    fn region(self, value: String) -> Self {
        self.code("region_code", value, Tag::Region, |c| Taxonomy::get().region(c).is_some())
    }

    fn industry(self, value: String) -> Self {
        self.code("industry", value, Tag::Industry, |c| Taxonomy::get().industry(c).is_some())
    }

    fn high_tech_field(self, value: String) -> Self {
        self.code("high_tech_field", value, Tag::Field, |c| Taxonomy::get().high_tech_field(c).is_some())
    }

    fn enum_tag<T>(
        mut self,
        field: &str,
        value: i32,
        tag: fn(T) -> Tag,
        convert: fn(i32) -> Result<Option<T>, i32>,
    ) -> Self {
        match convert(value) {
            Ok(Some(v)) => self.filter.tags.push(tag(v)),
            Ok(None) => {}
            Err(bad) => self.violations.add(field, format!("unknown enum value {bad}")),
        }
        self
    }

    fn build(self) -> Result<ListFilter, Status> {
        self.violations.into_result(self.filter).map_err(|v| invalid_argument(&v))
    }
}

fn with<T, U>(request: Request<T>, value: U) -> Request<U> {
    let (metadata, extensions, _) = request.into_parts();
    Request::from_parts(metadata, extensions, value)
}

fn change_to_proto(change: Change) -> pb::ChangeEvent {
    pb::ChangeEvent {
        sequence: change.sequence,
        kind: change.record.kind().to_proto(),
        record_id: change.record.meta().id.clone(),
        operation: change.operation.to_proto(),
        committed_at: Some(timestamp(change.committed_at_ms)),
        record: Some(change.record.into()),
    }
}

type ChangeStream = Pin<Box<dyn Stream<Item = Result<pb::ChangeEvent, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl CatalogService for CatalogGrpc {
    async fn create_organization(
        &self,
        request: Request<pb::CreateOrganizationRequest>,
    ) -> Result<Response<pb::Organization>, Status> {
        let inner = request.get_ref().organization.clone();
        self.create(with(request, inner), "organization").await
    }

    async fn update_organization(
        &self,
        request: Request<pb::UpdateOrganizationRequest>,
    ) -> Result<Response<pb::Organization>, Status> {
        let inner = (request.get_ref().organization.clone(), request.get_ref().expected_version);
        self.update(with(request, inner), "organization").await
    }

    async fn get_organization(
        &self,
        request: Request<pb::GetOrganizationRequest>,
    ) -> Result<Response<pb::Organization>, Status> {
        let id = request.get_ref().id.clone();
        self.get(with(request, id)).await
    }

    async fn list_organizations(
        &self,
        request: Request<pb::ListOrganizationsRequest>,
    ) -> Result<Response<pb::ListOrganizationsResponse>, Status> {
        let r = request.get_ref().clone();
        let filter = FilterBuilder::new(r.page_size, r.page_token, r.include_archived)
            .enum_tag("kind", r.kind, Tag::OrganizationKind, OrganizationKind::from_proto)
            .region(r.region_code)
            .industry(r.industry)
            .high_tech_field(r.high_tech_field)
            .build()?;
        let (records, next_page_token) = self.list(with(request, filter), RecordKind::Organization).await?;
        Ok(Response::new(pb::ListOrganizationsResponse { organizations: protos(records), next_page_token }))
    }

    async fn archive_organization(
        &self,
        request: Request<pb::ArchiveRequest>,
    ) -> Result<Response<pb::Organization>, Status> {
        self.archive(request).await
    }

    async fn create_need(&self, request: Request<pb::CreateNeedRequest>) -> Result<Response<pb::TechNeed>, Status> {
        let inner = request.get_ref().need.clone();
        self.create(with(request, inner), "need").await
    }

    async fn update_need(&self, request: Request<pb::UpdateNeedRequest>) -> Result<Response<pb::TechNeed>, Status> {
        let inner = (request.get_ref().need.clone(), request.get_ref().expected_version);
        self.update(with(request, inner), "need").await
    }

    async fn get_need(&self, request: Request<pb::GetNeedRequest>) -> Result<Response<pb::TechNeed>, Status> {
        let id = request.get_ref().id.clone();
        self.get(with(request, id)).await
    }

    async fn list_needs(
        &self,
        request: Request<pb::ListNeedsRequest>,
    ) -> Result<Response<pb::ListNeedsResponse>, Status> {
        let r = request.get_ref().clone();
        let mut builder = FilterBuilder::new(r.page_size, r.page_token, r.include_archived)
            .organization(r.organization_id)
            .region(r.region_code)
            .industry(r.industry)
            .high_tech_field(r.high_tech_field);
        match RecordStatus::from_proto(r.status) {
            Ok(status) => builder.filter.status = status,
            Err(bad) => builder.violations.add("status", format!("unknown enum value {bad}")),
        }
        let (records, next_page_token) = self.list(with(request, builder.build()?), RecordKind::Need).await?;
        Ok(Response::new(pb::ListNeedsResponse { needs: protos(records), next_page_token }))
    }

    async fn archive_need(&self, request: Request<pb::ArchiveRequest>) -> Result<Response<pb::TechNeed>, Status> {
        self.archive(request).await
    }

    async fn create_capability(
        &self,
        request: Request<pb::CreateCapabilityRequest>,
    ) -> Result<Response<pb::Capability>, Status> {
        let inner = request.get_ref().capability.clone();
        self.create(with(request, inner), "capability").await
    }

    async fn update_capability(
        &self,
        request: Request<pb::UpdateCapabilityRequest>,
    ) -> Result<Response<pb::Capability>, Status> {
        let inner = (request.get_ref().capability.clone(), request.get_ref().expected_version);
        self.update(with(request, inner), "capability").await
    }

    async fn get_capability(
        &self,
        request: Request<pb::GetCapabilityRequest>,
    ) -> Result<Response<pb::Capability>, Status> {
        let id = request.get_ref().id.clone();
        self.get(with(request, id)).await
    }

    async fn list_capabilities(
        &self,
        request: Request<pb::ListCapabilitiesRequest>,
    ) -> Result<Response<pb::ListCapabilitiesResponse>, Status> {
        let r = request.get_ref().clone();
        let filter = FilterBuilder::new(r.page_size, r.page_token, r.include_archived)
            .organization(r.organization_id)
            .enum_tag("kind", r.kind, Tag::CapabilityKind, CapabilityKind::from_proto)
            .region(r.region_code)
            .industry(r.industry)
            .high_tech_field(r.high_tech_field)
            .build()?;
        let (records, next_page_token) = self.list(with(request, filter), RecordKind::Capability).await?;
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
        let inner = request.get_ref().offer.clone();
        self.create(with(request, inner), "offer").await
    }

    async fn update_service_offer(
        &self,
        request: Request<pb::UpdateServiceOfferRequest>,
    ) -> Result<Response<pb::ServiceOffer>, Status> {
        let inner = (request.get_ref().offer.clone(), request.get_ref().expected_version);
        self.update(with(request, inner), "offer").await
    }

    async fn get_service_offer(
        &self,
        request: Request<pb::GetServiceOfferRequest>,
    ) -> Result<Response<pb::ServiceOffer>, Status> {
        let id = request.get_ref().id.clone();
        self.get(with(request, id)).await
    }

    async fn list_service_offers(
        &self,
        request: Request<pb::ListServiceOffersRequest>,
    ) -> Result<Response<pb::ListServiceOffersResponse>, Status> {
        let r = request.get_ref().clone();
        let filter = FilterBuilder::new(r.page_size, r.page_token, r.include_archived)
            .organization(r.organization_id)
            .enum_tag("category", r.category, Tag::Category, ServiceCategory::from_proto)
            .region(r.region_code)
            .industry(r.industry)
            .build()?;
        let (records, next_page_token) = self.list(with(request, filter), RecordKind::ServiceOffer).await?;
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
        let req = request.into_inner();
        let mut violations = Violations::new();
        if req.after_sequence < 0 {
            violations.add("after_sequence", "must not be negative");
        }
        let mut kinds = Vec::new();
        for (i, &kind) in req.kinds.iter().enumerate() {
            match RecordKind::from_proto(kind) {
                Ok(Some(kind)) => kinds.push(kind),
                _ => violations.add(format!("kinds[{i}]"), format!("unknown record kind {kind}")),
            }
        }
        violations.into_result(()).map_err(|v| invalid_argument(&v))?;
        tracing::info!(after_sequence = req.after_sequence, token_id = %principal.token_id, "change feed subscribed");
        let stream = self
            .catalog
            .watch(principal, req.after_sequence, kinds)
            .map(|item| item.map(change_to_proto).map_err(Status::from));
        Ok(Response::new(Box::pin(stream)))
    }
}

#[tonic::async_trait]
impl AdminService for CatalogGrpc {
    async fn issue_token(
        &self,
        request: Request<pb::IssueTokenRequest>,
    ) -> Result<Response<pb::IssueTokenResponse>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        let role = match Role::from_proto(req.role) {
            Ok(Some(role)) => role,
            Ok(None) => return Err(invalid_argument(&Violations::single("role", "must be set"))),
            Err(bad) => return Err(invalid_argument(&Violations::single("role", format!("unknown enum value {bad}")))),
        };
        let organization_id = (!req.organization_id.is_empty()).then_some(req.organization_id);
        let issued = self.catalog.issue_token(&principal, organization_id, role, req.label).await?;
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
        Ok(Response::new(pb::ListTokensResponse {
            tokens: tokens
                .into_iter()
                .map(|t| pb::ApiTokenInfo {
                    token_id: t.id,
                    organization_id: t.organization_id.unwrap_or_default(),
                    role: t.role.to_proto(),
                    label: t.label,
                    created_at: Some(timestamp(t.created_at_ms)),
                    revoked: t.revoked,
                })
                .collect(),
        }))
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
