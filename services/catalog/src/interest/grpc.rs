//! The gRPC adapter of `InterestService`: each RPC takes the principal,
//! converts and validates the request, calls [`Interests`] and maps the
//! error. No rules live here.

use innomatch_core::{
    auth::principal,
    convert::timestamp,
    edge::{PagePolicy, enum_list, required_enum},
    taxonomy::RegionTier,
    validation::Violations,
};
use innomatch_proto::v1::{self as pb, interest_service_server::InterestService};
use tonic::{Request, Response, Status};

use super::{
    InterestFilter, InterestSide, InterestView, Interests, MESSAGE_MAX_CHARS, NeedTeaser,
    store::{InterestEventRecord, InterestStatus},
};

/// The gRPC face of [`Interests`].
#[derive(Debug, Clone)]
pub struct InterestGrpc {
    interests: Interests,
}

impl InterestGrpc {
    pub fn new(interests: Interests) -> Self {
        Self { interests }
    }
}

fn region_tier(tier: Option<RegionTier>) -> pb::RegionTier {
    match tier {
        None => pb::RegionTier::Unspecified,
        Some(RegionTier::City) => pb::RegionTier::City,
        Some(RegionTier::GreaterBayArea) => pb::RegionTier::GreaterBayArea,
        Some(RegionTier::Hainan) => pb::RegionTier::Hainan,
        Some(RegionTier::Guangdong) => pb::RegionTier::Guangdong,
        Some(RegionTier::China) => pb::RegionTier::China,
    }
}

impl From<InterestView> for pb::Interest {
    fn from(view: InterestView) -> Self {
        let i = view.interest;
        pb::Interest {
            id: i.id,
            need_id: i.need_id,
            party_organization_id: i.party_organization_id,
            owner_organization_id: i.owner_organization_id,
            status: i.status.to_proto(),
            message: i.message,
            reply: i.reply,
            lead_id: i.lead_id,
            created_at: Some(timestamp(i.created_at_ms)),
            updated_at: Some(timestamp(i.updated_at_ms)),
            version: i.version,
            counterpart: view.counterpart.map(pb::Organization::from),
            need_title: view.need_title,
        }
    }
}

impl From<NeedTeaser> for pb::NeedTeaser {
    fn from(t: NeedTeaser) -> Self {
        pb::NeedTeaser {
            need_id: t.need_id,
            title: t.title,
            high_tech_fields: t.high_tech_fields,
            industries: t.industries,
            region_tier: region_tier(t.region_tier) as i32,
            target_trl: t.target_trl,
            cooperation_modes: t.cooperation_modes.iter().map(|m| m.to_proto()).collect(),
            need_status: t.need_status.to_proto(),
            deadline: t.deadline_ms.map(timestamp),
            visibility: t.visibility.to_proto(),
            own_interest: t.own_interest.map(pb::Interest::from),
        }
    }
}

impl From<InterestEventRecord> for pb::InterestEvent {
    fn from(e: InterestEventRecord) -> Self {
        pb::InterestEvent {
            sequence: e.sequence,
            interest_id: e.interest_id,
            need_id: e.need_id,
            action: e.action.to_proto(),
            actor: e.actor,
            actor_organization_id: e.actor_organization_id,
            note: e.note,
            at: Some(timestamp(e.at_ms)),
        }
    }
}

/// An id that must be present.
fn required_id(v: &mut Violations, field: &str, id: &str) {
    if id.is_empty() {
        v.add(field, "must not be empty");
    } else {
        v.id(field, id);
    }
}

/// A validated `ExpressInterestRequest`.
struct Expression {
    need_id: String,
    message: String,
    lead_id: String,
}

impl TryFrom<pb::ExpressInterestRequest> for Expression {
    type Error = Violations;
    fn try_from(r: pb::ExpressInterestRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        if r.lead_id.is_empty() {
            required_id(&mut v, "need_id", &r.need_id);
        } else {
            v.id("lead_id", &r.lead_id);
            if !r.need_id.is_empty() {
                v.id("need_id", &r.need_id);
            }
        }
        v.text("message", &r.message, MESSAGE_MAX_CHARS, true);
        v.into_result(Expression { need_id: r.need_id, message: r.message.trim().to_owned(), lead_id: r.lead_id })
    }
}

impl TryFrom<pb::ListInterestsRequest> for InterestFilter {
    type Error = Violations;
    fn try_from(r: pb::ListInterestsRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let side = match pb::InterestSide::try_from(r.side) {
            Ok(pb::InterestSide::Received) => InterestSide::Received,
            Ok(pb::InterestSide::Sent) => InterestSide::Sent,
            Ok(pb::InterestSide::Unspecified) => {
                v.add("side", "must be set (RECEIVED or SENT)");
                InterestSide::Received
            }
            Err(_) => {
                v.add("side", format!("unknown enum value {}", r.side));
                InterestSide::Received
            }
        };
        if !r.need_id.is_empty() {
            v.id("need_id", &r.need_id);
        }
        let statuses = enum_list(&mut v, "statuses", &r.statuses, InterestStatus::from_proto);
        let page_size = PagePolicy::LISTS.size(&mut v, "page_size", r.page_size);
        v.into_result(InterestFilter {
            side,
            need_id: (!r.need_id.is_empty()).then_some(r.need_id),
            statuses,
            page_size,
            page_token: r.page_token,
        })
    }
}

/// A validated `DecideInterestRequest`.
struct Decision {
    id: String,
    decision: InterestStatus,
    reply: String,
    expected_version: i64,
}

impl TryFrom<pb::DecideInterestRequest> for Decision {
    type Error = Violations;
    fn try_from(r: pb::DecideInterestRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        required_id(&mut v, "id", &r.id);
        let decision = required_enum(&mut v, "decision", r.decision, InterestStatus::from_proto);
        if decision.is_some_and(|d| !matches!(d, InterestStatus::Approved | InterestStatus::Declined)) {
            v.add("decision", "must be APPROVED or DECLINED");
        }
        v.text("reply", &r.reply, MESSAGE_MAX_CHARS, false);
        if r.expected_version < 0 {
            v.add("expected_version", "must be 0 (any) or the version you read");
        }
        let decision = decision.unwrap_or(InterestStatus::Declined);
        v.into_result(Decision {
            id: r.id,
            decision,
            reply: r.reply.trim().to_owned(),
            expected_version: r.expected_version,
        })
    }
}

#[tonic::async_trait]
impl InterestService for InterestGrpc {
    async fn get_need_teaser(
        &self,
        request: Request<pb::GetNeedTeaserRequest>,
    ) -> Result<Response<pb::NeedTeaser>, Status> {
        let principal = principal(&request)?;
        let need_id = request.into_inner().need_id;
        let mut v = Violations::new();
        required_id(&mut v, "need_id", &need_id);
        v.into_result(())?;
        let teaser = self.interests.teaser(&principal, &need_id).await?;
        Ok(Response::new(teaser.into()))
    }

    async fn express_interest(
        &self,
        request: Request<pb::ExpressInterestRequest>,
    ) -> Result<Response<pb::Interest>, Status> {
        let principal = principal(&request)?;
        let Expression { need_id, message, lead_id } = request.into_inner().try_into()?;
        let view = self.interests.express(&principal, &need_id, &message, &lead_id).await?;
        Ok(Response::new(view.into()))
    }

    async fn list_interests(
        &self,
        request: Request<pb::ListInterestsRequest>,
    ) -> Result<Response<pb::ListInterestsResponse>, Status> {
        let principal = principal(&request)?;
        let filter = InterestFilter::try_from(request.into_inner())?;
        let list = self.interests.list(&principal, filter).await?;
        Ok(Response::new(pb::ListInterestsResponse {
            interests: list.interests.into_iter().map(pb::Interest::from).collect(),
            next_page_token: list.next_page_token,
        }))
    }

    async fn get_interest(&self, request: Request<pb::GetInterestRequest>) -> Result<Response<pb::Interest>, Status> {
        let principal = principal(&request)?;
        let view = self.interests.get(&principal, &request.into_inner().id).await?;
        Ok(Response::new(view.into()))
    }

    async fn decide_interest(
        &self,
        request: Request<pb::DecideInterestRequest>,
    ) -> Result<Response<pb::Interest>, Status> {
        let principal = principal(&request)?;
        let Decision { id, decision, reply, expected_version } = request.into_inner().try_into()?;
        let view = self.interests.decide(&principal, &id, decision, &reply, expected_version).await?;
        Ok(Response::new(view.into()))
    }

    async fn withdraw_interest(
        &self,
        request: Request<pb::WithdrawInterestRequest>,
    ) -> Result<Response<pb::Interest>, Status> {
        let principal = principal(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        required_id(&mut v, "id", &r.id);
        v.text("note", &r.note, MESSAGE_MAX_CHARS, false);
        if r.expected_version < 0 {
            v.add("expected_version", "must be 0 (any) or the version you read");
        }
        v.into_result(())?;
        let view = self.interests.withdraw(&principal, &r.id, r.note.trim(), r.expected_version).await?;
        Ok(Response::new(view.into()))
    }

    async fn list_interest_events(
        &self,
        request: Request<pb::ListInterestEventsRequest>,
    ) -> Result<Response<pb::ListInterestEventsResponse>, Status> {
        let principal = principal(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        match (r.interest_id.is_empty(), r.need_id.is_empty()) {
            (false, true) => v.id("interest_id", &r.interest_id),
            (true, false) => v.id("need_id", &r.need_id),
            _ => v.add("interest_id", "name exactly one of interest_id and need_id"),
        }
        v.into_result(())?;
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let (interest_id, need_id) = (some(&r.interest_id), some(&r.need_id));
        let events = self.interests.events(&principal, interest_id.as_deref(), need_id.as_deref()).await?;
        Ok(Response::new(pb::ListInterestEventsResponse {
            events: events.into_iter().map(pb::InterestEvent::from).collect(),
        }))
    }
}
