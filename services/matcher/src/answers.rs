//! What the matcher answers: ranked partners with their evidence, needs for a
//! capability, consortium proposals and service proposals. Plain data, no
//! transport types; `convert.rs` turns them into replies.

use innomatch_core::{
    model::{OrganizationKind, ServiceCategory},
    taxonomy::RegionTier,
};

use crate::{offers::InferredCategory, scoring::ScorePart};

/// Why a candidate scored as it did. Every field is true of the candidate:
/// matched terms are words its text contains, shared codes are shared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// Specific words of the candidate's text that the need uses too
    /// (generic words and sub-words of longer words left out).
    pub matched_terms: Vec<String>,
    /// The candidate's sentence that shares most with the need, matched
    /// words in `<em>`.
    pub snippets: Vec<String>,
    pub shared_high_tech_fields: Vec<String>,
    pub shared_industries: Vec<String>,
    pub region_tier: Option<RegionTier>,
    /// Empty when either side states no TRL.
    pub trl_fit: String,
    pub kind_fit: String,
    /// The parts of the score; they add up to it.
    pub score_parts: Vec<ScorePart>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CapabilityMatch {
    pub capability_id: String,
    pub organization_id: String,
    pub title: String,
    pub score: f32,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationMatch {
    pub organization_id: String,
    pub organization_name: String,
    pub kind: OrganizationKind,
    pub score: f32,
    /// The capabilities that fit best, best first (at most three).
    pub top_capabilities: Vec<CapabilityMatch>,
    pub evidence: Evidence,
}

/// Ranked partners for a need.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartnerMatches {
    pub capabilities: Vec<CapabilityMatch>,
    pub organizations: Vec<OrganizationMatch>,
    /// Set when no candidate reaches the relevance floor: why the lists are empty.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NeedMatch {
    pub need_id: String,
    /// Empty when the need is anonymous to the caller.
    pub organization_id: String,
    pub title: String,
    pub score: f32,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsortiumConstraints {
    pub max_members: usize,
    pub excluded: Vec<String>,
    pub include_chain_enterprises: bool,
    pub alternatives: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Lead,
    AcademicPartner,
    ChainEnterprise,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Competency {
    pub name: String,
    pub weight: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Covered {
    pub competency: String,
    pub weight: f32,
    pub capability_id: String,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub organization_id: String,
    pub organization_name: String,
    pub kind: OrganizationKind,
    pub role: Role,
    pub covers: Vec<Covered>,
    /// For a chain enterprise: its place in the need's industry chain
    /// (e.g. "上游：球团、氢气供应") and the capability that shows it.
    pub chain_position: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Consortium {
    pub members: Vec<Member>,
    pub coverage: f32,
    pub score: f32,
    pub uncovered: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConsortiaProposal {
    pub competencies: Vec<Competency>,
    /// Best first.
    pub consortia: Vec<Consortium>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceProposal {
    pub offer_id: String,
    pub organization_id: String,
    pub organization_name: String,
    pub category: ServiceCategory,
    pub title: String,
    pub score: f32,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServicesProposal {
    pub inferred: Vec<InferredCategory>,
    pub proposals: Vec<ServiceProposal>,
}
