//! The matcher's edge: every `MatcherService` request becomes a validated
//! query by `TryFrom` (all problems reported at once, as field violations),
//! and the matcher's answers become replies by `From`.

use innomatch_core::{edge::PagePolicy, taxonomy::RegionTier, validation::Violations};
use innomatch_proto::v1 as pb;

use crate::{
    answers::{
        CapabilityMatch, Competency, ConsortiaProposal, Consortium, ConsortiumConstraints, Covered, Evidence, Member,
        NeedMatch, OrganizationMatch, PartnerMatches, Role, ServiceProposal, ServicesProposal,
    },
    scoring::ScorePart,
};

/// Results a need or a capability asks for when it names no limit.
pub const DEFAULT_LIMIT: u32 = 20;
/// The most results one call returns; more is refused, not shortened.
pub const MAX_LIMIT: u32 = 100;
/// The result limit of `MatchNeed`, `MatchCapability` and `ProposeServices`:
/// the shared page policy with the matcher's own numbers.
pub const MATCH_RESULTS: PagePolicy = PagePolicy { default: DEFAULT_LIMIT, max: MAX_LIMIT };
/// Organizations one `ScoreAffinity` call scores, and organizations one
/// consortium request may exclude.
pub const MAX_ORGANIZATIONS: usize = 50;
/// The largest consortium a request may ask for (the smallest is two).
pub const MAX_MEMBERS: u32 = 10;
/// Alternative consortia one request may ask for.
pub const MAX_ALTERNATIVES: u32 = 5;

fn result_limit(v: &mut Violations, requested: u32) -> usize {
    MATCH_RESULTS.size(v, "limit", requested) as usize
}

/// A need named by a request, and how many results it wants
/// (`MatchNeed`, `ProposeServices`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedQuery {
    pub need_id: String,
    pub limit: usize,
}

impl NeedQuery {
    fn new(need_id: String, requested: u32) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.id("need_id", &need_id);
        let limit = result_limit(&mut v, requested);
        v.into_result(NeedQuery { need_id, limit })
    }
}

impl TryFrom<pb::MatchNeedRequest> for NeedQuery {
    type Error = Violations;

    fn try_from(r: pb::MatchNeedRequest) -> Result<Self, Violations> {
        NeedQuery::new(r.need_id, r.limit)
    }
}

impl TryFrom<pb::ProposeServicesRequest> for NeedQuery {
    type Error = Violations;

    fn try_from(r: pb::ProposeServicesRequest) -> Result<Self, Violations> {
        NeedQuery::new(r.need_id, r.limit)
    }
}

/// A capability named by a request, and how many needs it wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityQuery {
    pub capability_id: String,
    pub limit: usize,
}

impl TryFrom<pb::MatchCapabilityRequest> for CapabilityQuery {
    type Error = Violations;

    fn try_from(r: pb::MatchCapabilityRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.id("capability_id", &r.capability_id);
        let limit = result_limit(&mut v, r.limit);
        v.into_result(CapabilityQuery { capability_id: r.capability_id, limit })
    }
}

/// A need and the organizations to score against it (1 to
/// [`MAX_ORGANIZATIONS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffinityQuery {
    pub need_id: String,
    pub organization_ids: Vec<String>,
}

impl TryFrom<pb::ScoreAffinityRequest> for AffinityQuery {
    type Error = Violations;

    fn try_from(r: pb::ScoreAffinityRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.id("need_id", &r.need_id);
        if r.organization_ids.is_empty() || r.organization_ids.len() > MAX_ORGANIZATIONS {
            v.add("organization_ids", format!("name 1 to {MAX_ORGANIZATIONS} organizations"));
        }
        for (i, id) in r.organization_ids.iter().enumerate() {
            v.id(&format!("organization_ids[{i}]"), id);
        }
        v.into_result(AffinityQuery { need_id: r.need_id, organization_ids: r.organization_ids })
    }
}

/// A need and the constraints its consortia must meet. Zero members or
/// alternatives leave the choice to the matcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsortiumQuery {
    pub need_id: String,
    pub constraints: ConsortiumConstraints,
}

impl TryFrom<pb::ProposeConsortiaRequest> for ConsortiumQuery {
    type Error = Violations;

    fn try_from(r: pb::ProposeConsortiaRequest) -> Result<Self, Violations> {
        let c = r.constraints.unwrap_or_default();
        let mut v = Violations::new();
        v.id("need_id", &r.need_id);
        if c.max_members == 1 || c.max_members > MAX_MEMBERS {
            v.add(
                "constraints.max_members",
                format!("a consortium has 2 to {MAX_MEMBERS} members (0 for the default)"),
            );
        }
        if c.alternatives > MAX_ALTERNATIVES {
            v.add("constraints.alternatives", format!("at most {MAX_ALTERNATIVES} alternatives"));
        }
        if c.excluded_organization_ids.len() > MAX_ORGANIZATIONS {
            v.add("constraints.excluded_organization_ids", format!("at most {MAX_ORGANIZATIONS}"));
        }
        for (i, id) in c.excluded_organization_ids.iter().enumerate() {
            v.id(&format!("constraints.excluded_organization_ids[{i}]"), id);
        }
        v.into_result(ConsortiumQuery {
            need_id: r.need_id,
            constraints: ConsortiumConstraints {
                max_members: c.max_members as usize,
                excluded: c.excluded_organization_ids,
                include_chain_enterprises: c.include_chain_enterprises,
                alternatives: c.alternatives as usize,
            },
        })
    }
}

fn region_tier(tier: Option<RegionTier>) -> i32 {
    let tier = match tier {
        None => pb::RegionTier::Unspecified,
        Some(RegionTier::City) => pb::RegionTier::City,
        Some(RegionTier::GreaterBayArea) => pb::RegionTier::GreaterBayArea,
        Some(RegionTier::Hainan) => pb::RegionTier::Hainan,
        Some(RegionTier::Guangdong) => pb::RegionTier::Guangdong,
        Some(RegionTier::China) => pb::RegionTier::China,
    };
    tier as i32
}

impl From<ScorePart> for pb::ScorePart {
    fn from(p: ScorePart) -> Self {
        pb::ScorePart { name: p.name.to_owned(), value: p.value, detail: p.detail }
    }
}

impl From<Evidence> for pb::Evidence {
    fn from(e: Evidence) -> Self {
        pb::Evidence {
            matched_terms: e.matched_terms,
            snippets: e.snippets,
            shared_high_tech_fields: e.shared_high_tech_fields,
            shared_industries: e.shared_industries,
            region_tier: region_tier(e.region_tier),
            trl_fit: e.trl_fit,
            kind_fit: e.kind_fit,
            score_parts: e.score_parts.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<CapabilityMatch> for pb::CapabilityMatch {
    fn from(c: CapabilityMatch) -> Self {
        pb::CapabilityMatch {
            capability_id: c.capability_id,
            organization_id: c.organization_id,
            title: c.title,
            score: c.score,
            evidence: Some(c.evidence.into()),
        }
    }
}

impl From<OrganizationMatch> for pb::OrganizationMatch {
    fn from(o: OrganizationMatch) -> Self {
        pb::OrganizationMatch {
            organization_id: o.organization_id,
            organization_name: o.organization_name,
            kind: o.kind.to_proto(),
            score: o.score,
            top_capabilities: o.top_capabilities.into_iter().map(Into::into).collect(),
            evidence: Some(o.evidence.into()),
        }
    }
}

impl From<PartnerMatches> for pb::MatchNeedResponse {
    fn from(m: PartnerMatches) -> Self {
        pb::MatchNeedResponse {
            capabilities: m.capabilities.into_iter().map(Into::into).collect(),
            organizations: m.organizations.into_iter().map(Into::into).collect(),
            note: m.note.unwrap_or_default(),
        }
    }
}

impl From<NeedMatch> for pb::NeedMatch {
    fn from(n: NeedMatch) -> Self {
        pb::NeedMatch {
            need_id: n.need_id,
            organization_id: n.organization_id,
            title: n.title,
            score: n.score,
            evidence: Some(n.evidence.into()),
        }
    }
}

impl From<Role> for pb::ConsortiumRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Lead => pb::ConsortiumRole::Lead,
            Role::AcademicPartner => pb::ConsortiumRole::AcademicPartner,
            Role::ChainEnterprise => pb::ConsortiumRole::ChainEnterprise,
        }
    }
}

impl From<Competency> for pb::CoveredCompetency {
    /// A competency the need asks for, before anyone covers it.
    fn from(c: Competency) -> Self {
        pb::CoveredCompetency { competency: c.name, weight: c.weight, ..Default::default() }
    }
}

impl From<Covered> for pb::CoveredCompetency {
    fn from(c: Covered) -> Self {
        pb::CoveredCompetency {
            competency: c.competency,
            weight: c.weight,
            capability_id: c.capability_id,
            evidence: Some(c.evidence.into()),
        }
    }
}

impl From<Member> for pb::ConsortiumMember {
    fn from(m: Member) -> Self {
        pb::ConsortiumMember {
            organization_id: m.organization_id,
            organization_name: m.organization_name,
            kind: m.kind.to_proto(),
            role: pb::ConsortiumRole::from(m.role) as i32,
            chain_position: m.chain_position,
            covers: m.covers.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Consortium> for pb::Consortium {
    fn from(c: Consortium) -> Self {
        pb::Consortium {
            members: c.members.into_iter().map(Into::into).collect(),
            coverage: c.coverage,
            score: c.score,
            uncovered_competencies: c.uncovered,
        }
    }
}

impl From<ConsortiaProposal> for pb::ProposeConsortiaResponse {
    fn from(p: ConsortiaProposal) -> Self {
        pb::ProposeConsortiaResponse {
            competencies: p.competencies.into_iter().map(Into::into).collect(),
            consortia: p.consortia.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<ServiceProposal> for pb::ServiceProposal {
    fn from(p: ServiceProposal) -> Self {
        pb::ServiceProposal {
            offer_id: p.offer_id,
            organization_id: p.organization_id,
            organization_name: p.organization_name,
            category: p.category.to_proto(),
            title: p.title,
            score: p.score,
            reasons: p.reasons,
        }
    }
}

impl From<ServicesProposal> for pb::ProposeServicesResponse {
    fn from(p: ServicesProposal) -> Self {
        pb::ProposeServicesResponse {
            inferred_categories: p.inferred.iter().map(|c| c.category.to_proto()).collect(),
            proposals: p.proposals.into_iter().map(Into::into).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: &Violations) -> Vec<&str> {
        v.0.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn limits_default_and_refuse_more_than_the_maximum() {
        let query = NeedQuery::try_from(pb::MatchNeedRequest { need_id: "need-1".into(), limit: 0 }).expect("valid");
        assert_eq!(query.limit, DEFAULT_LIMIT as usize);
        let query = CapabilityQuery::try_from(pb::MatchCapabilityRequest { capability_id: "cap-1".into(), limit: 7 })
            .expect("valid");
        assert_eq!(query.limit, 7);
        let bad = NeedQuery::try_from(pb::ProposeServicesRequest { need_id: String::new(), limit: MAX_LIMIT + 1 })
            .expect_err("invalid");
        assert_eq!(fields(&bad), ["need_id", "limit"]);
    }

    #[test]
    fn affinity_names_one_to_fifty_valid_organizations() {
        let none = pb::ScoreAffinityRequest { need_id: "need-1".into(), organization_ids: vec![] };
        assert_eq!(fields(&AffinityQuery::try_from(none).expect_err("empty")), ["organization_ids"]);
        let too_many = pb::ScoreAffinityRequest {
            need_id: "need-1".into(),
            organization_ids: (0..=MAX_ORGANIZATIONS).map(|i| format!("org-{i}")).collect(),
        };
        assert_eq!(fields(&AffinityQuery::try_from(too_many).expect_err("too many")), ["organization_ids"]);
        let bad_id = pb::ScoreAffinityRequest {
            need_id: "need-1".into(),
            organization_ids: vec!["org-1".into(), "绿色钢铁".into()],
        };
        assert_eq!(fields(&AffinityQuery::try_from(bad_id).expect_err("bad id")), ["organization_ids[1]"]);
    }

    #[test]
    fn consortium_constraints_are_checked_and_carried() {
        let request = |max_members, alternatives| pb::ProposeConsortiaRequest {
            need_id: "need-1".into(),
            constraints: Some(pb::ConsortiumConstraints {
                max_members,
                excluded_organization_ids: vec!["org-2".into()],
                include_chain_enterprises: true,
                alternatives,
            }),
        };
        let query = ConsortiumQuery::try_from(request(4, 2)).expect("valid");
        assert_eq!(
            query.constraints,
            ConsortiumConstraints {
                max_members: 4,
                excluded: vec!["org-2".into()],
                include_chain_enterprises: true,
                alternatives: 2,
            }
        );
        assert!(ConsortiumQuery::try_from(request(0, 0)).is_ok());
        let bad = ConsortiumQuery::try_from(request(1, MAX_ALTERNATIVES + 1)).expect_err("invalid");
        assert_eq!(fields(&bad), ["constraints.max_members", "constraints.alternatives"]);
        let bad = ConsortiumQuery::try_from(request(MAX_MEMBERS + 1, 0)).expect_err("invalid");
        assert_eq!(fields(&bad), ["constraints.max_members"]);
    }
}
