//! Support policies (扶持政策): the bureau's policies as catalog records
//! (`RecordKind::Policy`, so they are in the change feed, the search index
//! and import/export like every other kind), who is eligible for them, and
//! the ledger of policies pushed to organizations.
//!
//! Only admins (the bureau) write policies; a policy belongs to no
//! organization. Everyone authenticated reads them. An organization's
//! members ask about their own eligibility and pushes, admins about anyone's.
//!
//! | file | what lives there |
//! |---|---|
//! | `eligibility.rs` | [`eligibility::assess`]: one organization against one policy, every requirement met / not met / unknown |
//! | `store.rs` | the [`store::PolicyPushStore`] contract (the push ledger) |
//! | `sqlite.rs`, `postgres.rs` | the ledger in each database, with its migration |
//! | `error.rs` | [`PolicyError`] and its mapping to gRPC statuses |
//! | `convert.rs`, `grpc.rs` | the `PolicyService` edge |

pub mod convert;
pub mod eligibility;
pub mod error;
pub mod grpc;
pub mod postgres;
pub mod sqlite;
pub mod store;

use innomatch_core::{
    auth::Principal,
    edge::{PagePolicy, PageTokens},
    model::{Organization, Record, RecordKind, RecordStatus, SupportPolicy, now_ms},
    taxonomy::Taxonomy,
    validation::Violations,
};

pub use self::error::PolicyError;
use self::{
    eligibility::{Assessment, Verdict, assess},
    store::PolicyPush,
};
use crate::{
    Catalog,
    store::{ListQuery, PrivateNeeds},
};

/// Page tokens of policy lists.
const PAGE_TOKENS: PageTokens = PageTokens::new("pp1");

/// Records read per store page when every policy or organization is looked at.
const SCAN_PAGE: u32 = 500;

/// Filters of a policy list, already validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyFilter {
    /// Only policies in force now.
    pub in_force_only: bool,
    /// Only policies for organizations in this region (a policy naming no
    /// region is for every region).
    pub region_code: Option<String>,
    /// Only policies for this industry chain (a policy naming none is for all).
    pub industry: Option<String>,
    pub include_archived: bool,
    pub page_size: u32,
    pub page_token: String,
}

/// One page of policies and the token of the next (empty at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyPage {
    pub policies: Vec<SupportPolicy>,
    pub next_page_token: String,
}

/// The policies in force for one organization, by verdict.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrganizationEligibility {
    pub eligible: Vec<Assessment>,
    pub nearly_eligible: Vec<Assessment>,
    pub not_eligible: Vec<Assessment>,
}

/// The organizations one policy reaches.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyReach {
    pub eligible: Vec<Assessment>,
    pub nearly_eligible: Vec<Assessment>,
}

/// A policy pushed to an organization, with the policy's title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedPolicy {
    pub push: PolicyPush,
    pub policy_title: String,
}

/// The policies' domain API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Policies {
    catalog: Catalog,
}

fn as_policy(record: Record) -> Option<SupportPolicy> {
    match record {
        Record::Policy(policy) => Some(policy),
        _ => None,
    }
}

fn policy_of(record: Record, id: &str) -> Result<SupportPolicy, PolicyError> {
    as_policy(record).ok_or_else(|| PolicyError::NotFound(format!("policy {id}")))
}

/// True when `policy` is for organizations in `region` (or names no region).
fn covers_region(policy: &SupportPolicy, region: &str) -> bool {
    let regions = &policy.eligibility.region_codes;
    regions.is_empty() || Taxonomy::get().region_with_ancestors(region).iter().any(|r| regions.contains(&r.code))
}

impl Policies {
    pub fn new(catalog: Catalog) -> Self {
        Self { catalog }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Publishes a policy (admins only).
    pub async fn create(&self, principal: &Principal, policy: SupportPolicy) -> Result<SupportPolicy, PolicyError> {
        let record = self.catalog.create(principal, Record::Policy(policy), "").await?;
        let id = record.meta().id.clone();
        policy_of(record, &id)
    }

    /// Replaces a policy if `expected_version` is still current (admins only).
    pub async fn update(
        &self,
        principal: &Principal,
        id: &str,
        policy: SupportPolicy,
        expected_version: i64,
    ) -> Result<SupportPolicy, PolicyError> {
        if !principal.is_admin() {
            return Err(PolicyError::PermissionDenied("only an admin (the bureau) can change policies".into()));
        }
        let record = self.catalog.update(principal, id, Record::Policy(policy), expected_version, "").await?;
        policy_of(record, id)
    }

    /// Reads a policy (any principal).
    pub async fn get(&self, principal: &Principal, id: &str) -> Result<SupportPolicy, PolicyError> {
        policy_of(self.catalog.get(principal, RecordKind::Policy, id).await?, id)
    }

    /// Archives a policy (admins only): it stays readable and is matched and pushed no more.
    pub async fn archive(
        &self,
        principal: &Principal,
        id: &str,
        expected_version: i64,
    ) -> Result<SupportPolicy, PolicyError> {
        if !principal.is_admin() {
            return Err(PolicyError::PermissionDenied("only an admin (the bureau) can archive policies".into()));
        }
        policy_of(self.catalog.archive(principal, RecordKind::Policy, id, expected_version).await?, id)
    }

    /// Lists policies, oldest first (any principal).
    pub async fn list(&self, _principal: &Principal, filter: PolicyFilter) -> Result<PolicyPage, PolicyError> {
        let after_cursor = PAGE_TOKENS.decode(&filter.page_token)?.unwrap_or(0) as i64;
        let query = ListQuery {
            kind: RecordKind::Policy,
            organization_id: None,
            tags: Vec::new(),
            status: None,
            include_archived: filter.include_archived,
            private_needs: PrivateNeeds::None,
            hide_anonymous: false,
            after_cursor,
            limit: PagePolicy::LISTS.clamp(filter.page_size),
        };
        let page = self.catalog.store().list(&query).await.map_err(crate::CatalogError::from)?;
        let now = now_ms();
        let policies = page
            .records
            .into_iter()
            .filter_map(as_policy)
            .filter(|p| !filter.in_force_only || p.in_force_at(now))
            .filter(|p| filter.region_code.as_deref().is_none_or(|region| covers_region(p, region)))
            .filter(|p| {
                filter.industry.as_ref().is_none_or(|industry| {
                    p.eligibility.industries.is_empty() || p.eligibility.industries.contains(industry)
                })
            })
            .collect();
        Ok(PolicyPage {
            policies,
            next_page_token: page.next_cursor.map(|cursor| PAGE_TOKENS.encode(cursor as u64)).unwrap_or_default(),
        })
    }

    /// Every active record of a kind, for the whole-catalog scans of
    /// matching and push. Policies and organizations are public records.
    async fn all_active(&self, kind: RecordKind) -> Result<Vec<Record>, PolicyError> {
        let mut query = ListQuery {
            kind,
            organization_id: None,
            tags: Vec::new(),
            status: Some(RecordStatus::Active),
            include_archived: false,
            private_needs: PrivateNeeds::None,
            hide_anonymous: false,
            after_cursor: 0,
            limit: SCAN_PAGE,
        };
        let mut records = Vec::new();
        loop {
            let page = self.catalog.store().list(&query).await.map_err(crate::CatalogError::from)?;
            records.extend(page.records);
            match page.next_cursor {
                Some(cursor) => query.after_cursor = cursor,
                None => return Ok(records),
            }
        }
    }

    /// The policies in force at `at_ms`, oldest first.
    pub async fn policies_in_force(&self, at_ms: i64) -> Result<Vec<SupportPolicy>, PolicyError> {
        Ok(self
            .all_active(RecordKind::Policy)
            .await?
            .into_iter()
            .filter_map(as_policy)
            .filter(|p| p.in_force_at(at_ms))
            .collect())
    }

    /// Every active organization, oldest first.
    pub async fn active_organizations(&self) -> Result<Vec<Organization>, PolicyError> {
        Ok(self
            .all_active(RecordKind::Organization)
            .await?
            .into_iter()
            .filter_map(|r| match r {
                Record::Organization(org) => Some(org),
                _ => None,
            })
            .collect())
    }

    /// The organization `principal` asks about: its own when `requested`
    /// is empty; another's only for admins.
    async fn organization_for(&self, principal: &Principal, requested: &str) -> Result<Organization, PolicyError> {
        let id = match (requested, principal.organization_id.as_deref()) {
            ("", Some(own)) => own.to_owned(),
            ("", None) => {
                return Err(
                    Violations::single("organization_id", "an admin token acts for no organization: name one").into()
                );
            }
            (requested, _) => requested.to_owned(),
        };
        if !principal.acts_for(&id) {
            return Err(PolicyError::PermissionDenied(
                "an organization's eligibility and pushes are for its own members and the bureau".into(),
            ));
        }
        match self.catalog.get(principal, RecordKind::Organization, &id).await? {
            Record::Organization(org) => Ok(org),
            _ => Err(PolicyError::NotFound(format!("organization {id}"))),
        }
    }

    /// The policies in force at `at_ms` that an organization is eligible,
    /// nearly eligible and not eligible for, each with every requirement
    /// checked (what the bureau's enterprise lookup shows). Members ask for
    /// their own organization (`organization_id` empty or theirs), admins
    /// for any.
    pub async fn eligible_for_organization(
        &self,
        principal: &Principal,
        organization_id: &str,
        at_ms: i64,
    ) -> Result<OrganizationEligibility, PolicyError> {
        let organization = self.organization_for(principal, organization_id).await?;
        let mut answer = OrganizationEligibility::default();
        for policy in self.policies_in_force(at_ms).await? {
            let assessment = assess(&policy, &organization, at_ms);
            match assessment.verdict {
                Verdict::Eligible => answer.eligible.push(assessment),
                Verdict::NearlyEligible => answer.nearly_eligible.push(assessment),
                Verdict::NotEligible => answer.not_eligible.push(assessment),
            }
        }
        Ok(answer)
    }

    /// The active organizations eligible (and one requirement short) for a
    /// policy at `at_ms` (admins only: it surveys every firm).
    pub async fn eligible_organizations(
        &self,
        principal: &Principal,
        policy_id: &str,
        at_ms: i64,
    ) -> Result<PolicyReach, PolicyError> {
        if !principal.is_admin() {
            return Err(PolicyError::PermissionDenied("only the bureau surveys who is eligible for a policy".into()));
        }
        let policy = self.get(principal, policy_id).await?;
        let mut reach = PolicyReach::default();
        for organization in self.active_organizations().await? {
            let assessment = assess(&policy, &organization, at_ms);
            match assessment.verdict {
                Verdict::Eligible => reach.eligible.push(assessment),
                Verdict::NearlyEligible => reach.nearly_eligible.push(assessment),
                Verdict::NotEligible => {}
            }
        }
        Ok(reach)
    }

    /// The policies pushed to an organization, oldest first (members for
    /// their own organization, admins for any).
    pub async fn pushed_to_organization(
        &self,
        principal: &Principal,
        organization_id: &str,
    ) -> Result<Vec<PushedPolicy>, PolicyError> {
        let organization = self.organization_for(principal, organization_id).await?;
        let pushes =
            self.catalog.store().policy_pushes_of(&organization.meta.id).await.map_err(crate::CatalogError::from)?;
        let ids: Vec<String> = pushes.iter().map(|p| p.policy_id.clone()).collect();
        let titles: std::collections::HashMap<String, String> = self
            .catalog
            .store()
            .get_many(RecordKind::Policy, &ids)
            .await
            .map_err(crate::CatalogError::from)?
            .into_iter()
            .filter_map(as_policy)
            .map(|p| (p.meta.id, p.title))
            .collect();
        Ok(pushes
            .into_iter()
            .map(|push| PushedPolicy { policy_title: titles.get(&push.policy_id).cloned().unwrap_or_default(), push })
            .collect())
    }

    /// Records that `policy_id` was pushed to `organization_id` (the push
    /// follower's call); true the first time for the pair.
    pub async fn record_push(&self, organization_id: &str, policy_id: &str, at_ms: i64) -> Result<bool, PolicyError> {
        let push = PolicyPush {
            organization_id: organization_id.to_owned(),
            policy_id: policy_id.to_owned(),
            pushed_at_ms: at_ms,
        };
        Ok(self.catalog.store().record_policy_push(push).await.map_err(crate::CatalogError::from)?)
    }
}

#[cfg(test)]
mod tests;
