//! The policy service's edge: requests become validated domain values by
//! `TryFrom` (every problem named by its field), domain answers become
//! replies by `From`. The policy record itself converts in
//! `innomatch_core::convert`.

use innomatch_core::{
    convert::{millis, timestamp},
    edge::PagePolicy,
    model::SupportPolicy,
    taxonomy::Taxonomy,
    validation::Violations,
};
use innomatch_proto::v1 as pb;

use super::{
    PolicyFilter, PushedPolicy,
    eligibility::{Assessment, ConditionCheck},
};

/// A policy sent by a client, its id (for updates) and the version read.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyWrite {
    pub id: String,
    pub policy: SupportPolicy,
    pub expected_version: i64,
}

fn policy_write(
    policy: Option<pb::SupportPolicy>,
    expected_version: i64,
    needs_id: bool,
) -> Result<PolicyWrite, Violations> {
    let policy = policy.ok_or_else(|| Violations::single("policy", "is required"))?;
    let meta = policy.meta.clone().unwrap_or_default();
    let mut v = Violations::new();
    if needs_id {
        v.id("policy.meta.id", &meta.id);
    }
    if !meta.organization_id.is_empty() {
        v.add("policy.meta.organization_id", "a policy belongs to no organization");
    }
    match SupportPolicy::try_from(policy) {
        Ok(policy) => v.into_result(PolicyWrite { id: meta.id, policy, expected_version }),
        Err(mut more) => {
            v.0.append(&mut more.0);
            Err(v)
        }
    }
}

impl TryFrom<pb::CreatePolicyRequest> for PolicyWrite {
    type Error = Violations;
    fn try_from(r: pb::CreatePolicyRequest) -> Result<Self, Violations> {
        policy_write(r.policy, 0, false)
    }
}

impl TryFrom<pb::UpdatePolicyRequest> for PolicyWrite {
    type Error = Violations;
    fn try_from(r: pb::UpdatePolicyRequest) -> Result<Self, Violations> {
        policy_write(r.policy, r.expected_version, true)
    }
}

impl TryFrom<pb::ListPoliciesRequest> for PolicyFilter {
    type Error = Violations;
    fn try_from(r: pb::ListPoliciesRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let page_size = PagePolicy::LISTS.size(&mut v, "page_size", r.page_size);
        let taxonomy = Taxonomy::get();
        if !r.region_code.is_empty() && taxonomy.region(&r.region_code).is_none() {
            v.add("region_code", format!("unknown code {:?}", r.region_code));
        }
        if !r.industry.is_empty() && taxonomy.industry(&r.industry).is_none() {
            v.add("industry", format!("unknown code {:?}", r.industry));
        }
        v.into_result(PolicyFilter {
            in_force_only: r.in_force_only,
            region_code: (!r.region_code.is_empty()).then_some(r.region_code),
            industry: (!r.industry.is_empty()).then_some(r.industry),
            include_archived: r.include_archived,
            page_size,
            page_token: r.page_token,
        })
    }
}

/// Which organization to measure, on which day (`at_ms`), and how much to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationQuestion {
    pub organization_id: String,
    pub at_ms: i64,
    pub include_not_eligible: bool,
}

fn organization_id(v: &mut Violations, id: &str) {
    if !id.is_empty() {
        v.id("organization_id", id);
    }
}

impl TryFrom<pb::EligibleForOrganizationRequest> for OrganizationQuestion {
    type Error = Violations;
    fn try_from(r: pb::EligibleForOrganizationRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        organization_id(&mut v, &r.organization_id);
        v.into_result(OrganizationQuestion {
            organization_id: r.organization_id,
            at_ms: r.at.as_ref().map_or_else(innomatch_core::model::now_ms, millis),
            include_not_eligible: r.include_not_eligible,
        })
    }
}

/// Which policy to survey, on which day, and whether to list the nearly eligible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyQuestion {
    pub policy_id: String,
    pub at_ms: i64,
    pub include_nearly_eligible: bool,
}

impl TryFrom<pb::EligibleOrganizationsRequest> for PolicyQuestion {
    type Error = Violations;
    fn try_from(r: pb::EligibleOrganizationsRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.id("policy_id", &r.policy_id);
        v.into_result(PolicyQuestion {
            policy_id: r.policy_id,
            at_ms: r.at.as_ref().map_or_else(innomatch_core::model::now_ms, millis),
            include_nearly_eligible: r.include_nearly_eligible,
        })
    }
}

/// The organization whose pushes to list (empty: the caller's).
pub fn pushes_request(r: pb::ListPolicyPushesRequest) -> Result<String, Violations> {
    let mut v = Violations::new();
    organization_id(&mut v, &r.organization_id);
    v.into_result(r.organization_id)
}

impl From<&ConditionCheck> for pb::ConditionCheck {
    fn from(c: &ConditionCheck) -> Self {
        pb::ConditionCheck {
            requirement: c.requirement.clone(),
            label: c.label.clone(),
            outcome: c.outcome.to_proto(),
            field: c.field.clone(),
            detail: c.detail.clone(),
        }
    }
}

impl From<Assessment> for pb::PolicyEligibilityResult {
    fn from(a: Assessment) -> Self {
        let missing = a.missing().into_iter().map(Into::into).collect();
        let benefit = pb::SupportPolicy::from(a.policy.clone()).benefit;
        pb::PolicyEligibilityResult {
            policy_id: a.policy.meta.id.clone(),
            policy_title: a.policy.title.clone(),
            organization_id: a.organization_id,
            organization_name: a.organization_name,
            verdict: a.verdict.to_proto(),
            checks: a.checks.iter().map(Into::into).collect(),
            missing,
            benefit,
        }
    }
}

impl From<PushedPolicy> for pb::PolicyPush {
    fn from(p: PushedPolicy) -> Self {
        pb::PolicyPush {
            organization_id: p.push.organization_id,
            policy_id: p.push.policy_id,
            policy_title: p.policy_title,
            pushed_at: Some(timestamp(p.push.pushed_at_ms)),
        }
    }
}
