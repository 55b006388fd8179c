//! The catalog's edge: every request of `CatalogService` and `AdminService`
//! becomes a validated domain value by `TryFrom` (all problems reported at
//! once, as field violations), and domain values become replies by `From`.
//! The record bodies themselves convert in `innomatch_core::convert`.

use innomatch_core::{
    convert::{requested_owner, timestamp},
    edge::{PagePolicy, optional_enum, required_enum},
    model::*,
    tag::Tag,
    taxonomy::Taxonomy,
    validation::Violations,
};
use innomatch_proto::v1 as pb;

use crate::{
    service::{FeedEvent, ListFilter},
    store::{Change, TokenRecord},
};

/// A proto record message and its domain counterpart.
pub(crate) trait ProtoRecord: Sized + Send + 'static {
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

/// The replies of a kind: records of another kind are left out.
pub(crate) fn protos<P: ProtoRecord>(records: Vec<Record>) -> Vec<P> {
    records.into_iter().filter_map(P::from_record).collect()
}

/// A create request: the record and the owner the client named (empty: the caller's).
#[derive(Debug, Clone, PartialEq)]
pub struct NewRecord {
    pub record: Record,
    pub owner: String,
}

impl NewRecord {
    fn from_proto<P: ProtoRecord>(proto: Option<P>, field: &str) -> Result<Self, Violations> {
        let proto = proto.ok_or_else(|| Violations::single(field, "is required"))?;
        let owner = requested_owner(proto.meta()).to_owned();
        Ok(Self { record: proto.into_record()?, owner })
    }
}

/// An update request: which record, its new content, the version read, and
/// the owner the client named (which must not differ from the current one).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordUpdate {
    pub id: String,
    pub record: Record,
    pub expected_version: i64,
    pub owner: String,
}

impl RecordUpdate {
    fn from_proto<P: ProtoRecord>(proto: Option<P>, expected_version: i64, field: &str) -> Result<Self, Violations> {
        let proto = proto.ok_or_else(|| Violations::single(field, "is required"))?;
        let id = proto.meta().map(|m| m.id.clone()).unwrap_or_default();
        let owner = requested_owner(proto.meta()).to_owned();
        let mut violations = Violations::new();
        violations.id(&format!("{field}.meta.id"), &id);
        match proto.into_record() {
            Ok(record) => violations.into_result(Self { id, record, expected_version, owner }),
            Err(mut more) => {
                violations.0.append(&mut more.0);
                Err(violations)
            }
        }
    }
}

macro_rules! record_requests {
    ($create:ty, $update:ty, $field:ident) => {
        impl TryFrom<$create> for NewRecord {
            type Error = Violations;
            fn try_from(request: $create) -> Result<Self, Violations> {
                NewRecord::from_proto(request.$field, stringify!($field))
            }
        }

        impl TryFrom<$update> for RecordUpdate {
            type Error = Violations;
            fn try_from(request: $update) -> Result<Self, Violations> {
                RecordUpdate::from_proto(request.$field, request.expected_version, stringify!($field))
            }
        }
    };
}

record_requests!(pb::CreateOrganizationRequest, pb::UpdateOrganizationRequest, organization);
record_requests!(pb::CreateNeedRequest, pb::UpdateNeedRequest, need);
record_requests!(pb::CreateCapabilityRequest, pb::UpdateCapabilityRequest, capability);
record_requests!(pb::CreateServiceOfferRequest, pb::UpdateServiceOfferRequest, offer);

/// Builds the validated filter of a list request.
struct FilterBuilder {
    violations: Violations,
    filter: ListFilter,
}

impl FilterBuilder {
    fn new(page_size_requested: u32, page_token: String, include_archived: bool) -> Self {
        let mut violations = Violations::new();
        let size = PagePolicy::LISTS.size(&mut violations, "page_size", page_size_requested);
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
        if let Some(value) = optional_enum(&mut self.violations, field, value, convert) {
            self.filter.tags.push(tag(value));
        }
        self
    }

    fn status(mut self, value: i32) -> Self {
        self.filter.status = optional_enum(&mut self.violations, "status", value, RecordStatus::from_proto);
        self
    }

    fn build(self) -> Result<ListFilter, Violations> {
        self.violations.into_result(self.filter)
    }
}

impl TryFrom<pb::ListOrganizationsRequest> for ListFilter {
    type Error = Violations;
    fn try_from(r: pb::ListOrganizationsRequest) -> Result<Self, Violations> {
        FilterBuilder::new(r.page_size, r.page_token, r.include_archived)
            .enum_tag("kind", r.kind, Tag::OrganizationKind, OrganizationKind::from_proto)
            .region(r.region_code)
            .industry(r.industry)
            .high_tech_field(r.high_tech_field)
            .build()
    }
}

impl TryFrom<pb::ListNeedsRequest> for ListFilter {
    type Error = Violations;
    fn try_from(r: pb::ListNeedsRequest) -> Result<Self, Violations> {
        FilterBuilder::new(r.page_size, r.page_token, r.include_archived)
            .organization(r.organization_id)
            .region(r.region_code)
            .industry(r.industry)
            .high_tech_field(r.high_tech_field)
            .status(r.status)
            .enum_tag("need_status", r.need_status, Tag::NeedStatus, NeedStatus::from_proto)
            .build()
    }
}

/// A lifecycle move: which need, where to, and the version read (0: any).
#[derive(Debug, Clone, PartialEq)]
pub struct NeedStatusChange {
    pub id: String,
    pub status: NeedStatus,
    pub expected_version: i64,
}

impl TryFrom<pb::SetNeedStatusRequest> for NeedStatusChange {
    type Error = Violations;
    fn try_from(r: pb::SetNeedStatusRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.id("id", &r.id);
        let status = required_enum(&mut v, "status", r.status, NeedStatus::from_proto);
        if status == Some(NeedStatus::Expired) {
            v.add("status", "a need expires at its deadline; the server sets EXPIRED");
        }
        if r.expected_version < 0 {
            v.add("expected_version", "must not be negative");
        }
        let status = v.into_result(status)?;
        Ok(Self { id: r.id, status: status.unwrap_or(NeedStatus::Open), expected_version: r.expected_version })
    }
}

impl TryFrom<pb::ListCapabilitiesRequest> for ListFilter {
    type Error = Violations;
    fn try_from(r: pb::ListCapabilitiesRequest) -> Result<Self, Violations> {
        FilterBuilder::new(r.page_size, r.page_token, r.include_archived)
            .organization(r.organization_id)
            .enum_tag("kind", r.kind, Tag::CapabilityKind, CapabilityKind::from_proto)
            .region(r.region_code)
            .industry(r.industry)
            .high_tech_field(r.high_tech_field)
            .build()
    }
}

impl TryFrom<pb::ListServiceOffersRequest> for ListFilter {
    type Error = Violations;
    fn try_from(r: pb::ListServiceOffersRequest) -> Result<Self, Violations> {
        FilterBuilder::new(r.page_size, r.page_token, r.include_archived)
            .organization(r.organization_id)
            .enum_tag("category", r.category, Tag::Category, ServiceCategory::from_proto)
            .region(r.region_code)
            .industry(r.industry)
            .build()
    }
}

/// Where a change-feed subscription starts and which kinds it wants (empty: all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchFilter {
    pub after_sequence: i64,
    pub kinds: Vec<RecordKind>,
}

impl TryFrom<pb::WatchChangesRequest> for WatchFilter {
    type Error = Violations;
    fn try_from(r: pb::WatchChangesRequest) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        if r.after_sequence < 0 {
            violations.add("after_sequence", "must not be negative");
        }
        let mut kinds = Vec::new();
        for (i, &kind) in r.kinds.iter().enumerate() {
            match RecordKind::from_proto(kind) {
                Ok(Some(kind)) => kinds.push(kind),
                _ => violations.add(format!("kinds[{i}]"), format!("unknown record kind {kind}")),
            }
        }
        violations.into_result(Self { after_sequence: r.after_sequence, kinds })
    }
}

/// A token to issue: for an organization (or none, for an admin token), a role and a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub organization_id: Option<String>,
    pub role: Role,
    pub label: String,
}

impl TryFrom<pb::IssueTokenRequest> for TokenRequest {
    type Error = Violations;
    fn try_from(r: pb::IssueTokenRequest) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        let role = required_enum(&mut violations, "role", r.role, Role::from_proto);
        let organization_id = (!r.organization_id.is_empty()).then_some(r.organization_id);
        match role {
            Some(role) if violations.is_empty() => Ok(Self { organization_id, role, label: r.label }),
            _ => Err(violations),
        }
    }
}

impl From<Change> for pb::ChangeEvent {
    fn from(change: Change) -> Self {
        pb::ChangeEvent {
            sequence: change.sequence,
            kind: change.record.kind().to_proto(),
            record_id: change.record.meta().id.clone(),
            operation: change.operation.to_proto(),
            committed_at: Some(timestamp(change.committed_at_ms)),
            record: Some(change.record.into()),
        }
    }
}

impl From<FeedEvent> for pb::ChangeEvent {
    fn from(event: FeedEvent) -> Self {
        match event {
            FeedEvent::Change(change) => (*change).into(),
            // No record: the subscriber may no longer see the need's content.
            FeedEvent::Withheld { sequence, operation, committed_at_ms, kind, record_id } => pb::ChangeEvent {
                sequence,
                kind: kind.to_proto(),
                record_id,
                operation: operation.to_proto(),
                committed_at: Some(timestamp(committed_at_ms)),
                record: None,
            },
        }
    }
}

impl From<TokenRecord> for pb::ApiTokenInfo {
    fn from(t: TokenRecord) -> Self {
        pb::ApiTokenInfo {
            token_id: t.id,
            organization_id: t.organization_id.unwrap_or_default(),
            role: t.role.to_proto(),
            label: t.label,
            created_at: Some(timestamp(t.created_at_ms)),
            revoked: t.revoked,
        }
    }
}
