//! The gRPC adapter of the matcher: validate, call [`Matcher`], convert.

use innomatch_core::{auth::principal, status::invalid_argument, validation::Violations};
use innomatch_proto::v1::{self as pb, matcher_service_server::MatcherService};
use tonic::{Request, Response, Status};

use crate::{
    Matcher, MatcherError,
    answers::{CapabilityMatch, ConsortiumConstraints, Evidence, OrganizationMatch, Role},
};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
pub const MAX_ORGANIZATIONS: usize = 50;
pub const MAX_MEMBERS: u32 = 10;
pub const MAX_ALTERNATIVES: u32 = 5;

impl From<MatcherError> for Status {
    fn from(error: MatcherError) -> Self {
        match error {
            MatcherError::Catalog(e) => e.into(),
            MatcherError::Index(_) | MatcherError::Task(_) => {
                tracing::error!(%error, "matching failed");
                Status::internal("matching failed; the error was logged")
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct MatcherGrpc {
    matcher: Matcher,
}

impl MatcherGrpc {
    pub fn new(matcher: Matcher) -> Self {
        Self { matcher }
    }
}

fn limit(v: &mut Violations, requested: u32) -> usize {
    match requested {
        0 => DEFAULT_LIMIT as usize,
        n if n > MAX_LIMIT => {
            v.add("limit", format!("limit {n} exceeds the maximum {MAX_LIMIT}"));
            0
        }
        n => n as usize,
    }
}

fn tier(tier: Option<innomatch_core::taxonomy::RegionTier>) -> i32 {
    use innomatch_core::taxonomy::RegionTier as T;
    let tier = match tier {
        None => pb::RegionTier::Unspecified,
        Some(T::City) => pb::RegionTier::City,
        Some(T::GreaterBayArea) => pb::RegionTier::GreaterBayArea,
        Some(T::Hainan) => pb::RegionTier::Hainan,
        Some(T::Guangdong) => pb::RegionTier::Guangdong,
        Some(T::China) => pb::RegionTier::China,
    };
    tier as i32
}

fn evidence(e: Evidence) -> pb::Evidence {
    pb::Evidence {
        matched_terms: e.matched_terms,
        snippets: e.snippets,
        shared_high_tech_fields: e.shared_high_tech_fields,
        shared_industries: e.shared_industries,
        region_tier: tier(e.region_tier),
        trl_fit: e.trl_fit,
        kind_fit: e.kind_fit,
        score_parts: e
            .score_parts
            .into_iter()
            .map(|p| pb::ScorePart { name: p.name.to_owned(), value: p.value, detail: p.detail })
            .collect(),
    }
}

fn capability(c: CapabilityMatch) -> pb::CapabilityMatch {
    pb::CapabilityMatch {
        capability_id: c.capability_id,
        organization_id: c.organization_id,
        title: c.title,
        score: c.score,
        evidence: Some(evidence(c.evidence)),
    }
}

fn organization(o: OrganizationMatch) -> pb::OrganizationMatch {
    pb::OrganizationMatch {
        organization_id: o.organization_id,
        organization_name: o.organization_name,
        kind: o.kind.to_proto(),
        score: o.score,
        top_capabilities: o.top_capabilities.into_iter().map(capability).collect(),
        evidence: Some(evidence(o.evidence)),
    }
}

/// Validates the id and the result limit every single-record RPC takes.
fn id_and_limit(field: &str, id: &str, requested: u32) -> Result<usize, Status> {
    let mut v = Violations::new();
    v.id(field, id);
    let limit = limit(&mut v, requested);
    v.into_result(limit).map_err(|v| invalid_argument(&v))
}

#[tonic::async_trait]
impl MatcherService for MatcherGrpc {
    async fn match_need(
        &self,
        request: Request<pb::MatchNeedRequest>,
    ) -> Result<Response<pb::MatchNeedResponse>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        let limit = id_and_limit("need_id", &req.need_id, req.limit)?;
        let matches = self.matcher.match_need(&principal, &req.need_id, limit).await?;
        Ok(Response::new(pb::MatchNeedResponse {
            capabilities: matches.capabilities.into_iter().map(capability).collect(),
            organizations: matches.organizations.into_iter().map(organization).collect(),
            note: matches.note.unwrap_or_default(),
        }))
    }

    async fn score_affinity(
        &self,
        request: Request<pb::ScoreAffinityRequest>,
    ) -> Result<Response<pb::ScoreAffinityResponse>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        v.id("need_id", &req.need_id);
        if req.organization_ids.is_empty() || req.organization_ids.len() > MAX_ORGANIZATIONS {
            v.add("organization_ids", format!("name 1 to {MAX_ORGANIZATIONS} organizations"));
        }
        for (i, id) in req.organization_ids.iter().enumerate() {
            v.id(&format!("organization_ids[{i}]"), id);
        }
        v.into_result(()).map_err(|v| invalid_argument(&v))?;
        let organizations = self.matcher.score_affinity(&principal, &req.need_id, &req.organization_ids).await?;
        Ok(Response::new(pb::ScoreAffinityResponse {
            organizations: organizations.into_iter().map(organization).collect(),
        }))
    }

    async fn match_capability(
        &self,
        request: Request<pb::MatchCapabilityRequest>,
    ) -> Result<Response<pb::MatchCapabilityResponse>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        let limit = id_and_limit("capability_id", &req.capability_id, req.limit)?;
        let needs = self.matcher.match_capability(&principal, &req.capability_id, limit).await?;
        Ok(Response::new(pb::MatchCapabilityResponse {
            needs: needs
                .into_iter()
                .map(|n| pb::NeedMatch {
                    need_id: n.need_id,
                    organization_id: n.organization_id,
                    title: n.title,
                    score: n.score,
                    evidence: Some(evidence(n.evidence)),
                })
                .collect(),
        }))
    }

    async fn propose_consortia(
        &self,
        request: Request<pb::ProposeConsortiaRequest>,
    ) -> Result<Response<pb::ProposeConsortiaResponse>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        let c = req.constraints.unwrap_or_default();
        let mut v = Violations::new();
        v.id("need_id", &req.need_id);
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
        v.into_result(()).map_err(|v| invalid_argument(&v))?;
        let constraints = ConsortiumConstraints {
            max_members: c.max_members as usize,
            excluded: c.excluded_organization_ids,
            include_chain_enterprises: c.include_chain_enterprises,
            alternatives: c.alternatives as usize,
        };
        let proposal = self.matcher.propose_consortia(&principal, &req.need_id, constraints).await?;
        Ok(Response::new(pb::ProposeConsortiaResponse {
            competencies: proposal
                .competencies
                .into_iter()
                .map(|c| pb::CoveredCompetency { competency: c.name, weight: c.weight, ..Default::default() })
                .collect(),
            consortia: proposal
                .consortia
                .into_iter()
                .map(|consortium| pb::Consortium {
                    members: consortium
                        .members
                        .into_iter()
                        .map(|m| pb::ConsortiumMember {
                            organization_id: m.organization_id,
                            organization_name: m.organization_name,
                            kind: m.kind.to_proto(),
                            role: match m.role {
                                Role::Lead => pb::ConsortiumRole::Lead,
                                Role::AcademicPartner => pb::ConsortiumRole::AcademicPartner,
                                Role::ChainEnterprise => pb::ConsortiumRole::ChainEnterprise,
                            } as i32,
                            chain_position: m.chain_position,
                            covers: m
                                .covers
                                .into_iter()
                                .map(|c| pb::CoveredCompetency {
                                    competency: c.competency,
                                    weight: c.weight,
                                    capability_id: c.capability_id,
                                    evidence: Some(evidence(c.evidence)),
                                })
                                .collect(),
                        })
                        .collect(),
                    coverage: consortium.coverage,
                    score: consortium.score,
                    uncovered_competencies: consortium.uncovered,
                })
                .collect(),
        }))
    }

    async fn propose_services(
        &self,
        request: Request<pb::ProposeServicesRequest>,
    ) -> Result<Response<pb::ProposeServicesResponse>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        let limit = id_and_limit("need_id", &req.need_id, req.limit)?;
        let proposal = self.matcher.propose_services(&principal, &req.need_id, limit).await?;
        Ok(Response::new(pb::ProposeServicesResponse {
            inferred_categories: proposal.inferred.iter().map(|c| c.category.to_proto()).collect(),
            proposals: proposal
                .proposals
                .into_iter()
                .map(|p| pb::ServiceProposal {
                    offer_id: p.offer_id,
                    organization_id: p.organization_id,
                    organization_name: p.organization_name,
                    category: p.category.to_proto(),
                    title: p.title,
                    score: p.score,
                    reasons: p.reasons,
                })
                .collect(),
        }))
    }
}
