//! Policy push (政策推送): follows the change feed for support policies and
//! organizations and tells each organization, once, of every policy in force
//! it is eligible for; an organization one requirement short becomes a lead
//! for agencies offering policy services (政策服务), who can help it apply.
//!
//! - Leads go only for a requirement the firm does not meet (a missing or
//!   lapsed certificate, say), not for one its record does not show: that is
//!   the bureau's to verify.
//! - A policy published or changed (and in force) is measured against every
//!   active organization; an organization registered or changed against
//!   every policy in force. A sweep every [`PolicyPushSettings::sweep_every`]
//!   measures all pairs again, so a policy whose effective date arrives, or
//!   a certificate that becomes valid, is pushed without a write.
//! - **Once per organization × policy**: the notification id comes from
//!   organization × kind × policy (the notification service stores it
//!   once), and the push is then entered in the catalog's ledger
//!   (`policy_pushes`), which the enterprise lookup lists. Both survive a
//!   restart; the feed resumes from its checkpoint file, and a replay
//!   notifies nothing twice.
//! - **Once per firm × policy × agency** for leads: the lead id comes from
//!   the three (see `innomatch_leads::model::policy_lead_id`).
//! - **Visibility**: a notice goes only to the eligible organization's own
//!   stream; archived organizations and policies push nothing; a lead tells
//!   the agency the firm's name and the missing requirement, never its
//!   contact details. An archived policy's open leads close.

use std::{collections::HashSet, sync::Arc, time::Duration};

use futures::StreamExt;
use innomatch_catalog::{
    Catalog, Policies,
    policy::eligibility::{Assessment, Outcome, Verdict, assess},
    store::Change,
};
use innomatch_core::{
    model::{ChangeOperation, Organization, Record, RecordKind, RecordStatus, ServiceCategory, SupportPolicy, now_ms},
    retry::RetryDelays,
    taxonomy::Taxonomy,
};
use innomatch_leads::{
    model::LeadDraft,
    notifications::model::{NoticeDraft, NotificationKind},
};
use tokio::task::JoinHandle;

use crate::{
    auto::{Checkpoint, LeadSink},
    notices::NoticeSink,
    retrieval::system,
};

/// At most this many agencies get a lead for one firm × policy.
pub const POLICY_LEAD_AGENCIES: usize = 3;
/// Policy-service offers looked at per firm.
const OFFERS_SCANNED: u32 = 500;
const RETRY_MIN: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// How often everything is measured again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyPushSettings {
    pub sweep_every: Duration,
}

impl Default for PolicyPushSettings {
    fn default() -> Self {
        Self { sweep_every: Duration::from_secs(3600) }
    }
}

/// What one push round did, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PushCount {
    /// Organizations × policies found eligible (notified, or already notified).
    pub eligible: usize,
    /// Leads offered to agencies for nearly eligible firms.
    pub leads: usize,
}

impl std::ops::AddAssign for PushCount {
    fn add_assign(&mut self, other: Self) {
        self.eligible += other.eligible;
        self.leads += other.leads;
    }
}

/// Pushes policies to organizations and leads to agencies.
#[derive(Clone)]
pub struct PolicyPusher {
    policies: Policies,
    notices: Arc<dyn NoticeSink>,
    leads: Arc<dyn LeadSink>,
}

impl std::fmt::Debug for PolicyPusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyPusher").finish_non_exhaustive()
    }
}

/// The notice to an organization eligible for a policy.
fn eligible_notice(policy: &SupportPolicy, organization: &Organization) -> NoticeDraft {
    let mut body = format!("贵单位符合政策「{}」的申报条件", policy.title);
    if !policy.benefit.description.is_empty() {
        body.push_str(&format!("：{}", policy.benefit.description));
    }
    let source: Vec<&str> = [policy.issuing_department.as_str(), policy.document_number.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if !source.is_empty() {
        body.push_str(&format!("（{}）", source.join(" ")));
    }
    NoticeDraft {
        organization_id: organization.meta.id.clone(),
        kind: NotificationKind::PolicyEligible,
        need_id: policy.meta.id.clone(),
        subject_id: String::new(),
        title: policy.title.clone(),
        body,
        score: 1.0,
    }
}

/// True when an offer serves the organization's region (an offer naming no
/// region serves everywhere).
fn serves(regions_served: &[String], organization: &Organization) -> bool {
    regions_served.is_empty()
        || Taxonomy::get()
            .region_with_ancestors(&organization.region_code)
            .iter()
            .any(|region| regions_served.contains(&region.code))
}

impl PolicyPusher {
    pub fn new(policies: Policies, notices: Arc<dyn NoticeSink>, leads: Arc<dyn LeadSink>) -> Self {
        Self { policies, notices, leads }
    }

    fn catalog(&self) -> &Catalog {
        self.policies.catalog()
    }

    /// The leads for a firm one requirement short of a policy: the
    /// policy-service offers serving its region, one per agency.
    async fn lead_drafts(
        &self,
        assessment: &Assessment,
        organization: &Organization,
    ) -> Result<Vec<LeadDraft>, String> {
        let offers = self
            .catalog()
            .offers_in_category(ServiceCategory::PolicyServices, OFFERS_SCANNED)
            .await
            .map_err(|e| e.to_string())?;
        let missing = assessment.missing();
        let met = assessment.checks.iter().filter(|c| c.outcome == Outcome::Met).count();
        let score = met as f32 / assessment.checks.len().max(1) as f32;
        let reasons: Vec<String> = missing
            .iter()
            .map(|c| {
                let state = if c.outcome == Outcome::Unknown { "待核实" } else { "尚缺" };
                if c.detail.is_empty() {
                    format!("{state}：{}", c.label)
                } else {
                    format!("{state}：{}（{}）", c.label, c.detail)
                }
            })
            .collect();
        let policy = &assessment.policy;
        let mut agencies = HashSet::new();
        Ok(offers
            .into_iter()
            .filter(|offer| {
                offer.meta.organization_id != organization.meta.id && serves(&offer.regions_served, organization)
            })
            .filter(|offer| agencies.insert(offer.meta.organization_id.clone()))
            .take(POLICY_LEAD_AGENCIES)
            .map(|offer| LeadDraft {
                agency_organization_id: offer.meta.organization_id.clone(),
                offer_id: offer.meta.id.clone(),
                need_id: policy.meta.id.clone(),
                need_organization_id: organization.meta.id.clone(),
                need_title: format!("{}：{}", organization.name, policy.title).chars().take(200).collect(),
                need_summary: format!(
                    "{}差一项条件即可申报「{}」：{}",
                    organization.name,
                    policy.title,
                    reasons.join("；")
                )
                .chars()
                .take(1000)
                .collect(),
                category: ServiceCategory::PolicyServices,
                score,
                reasons: reasons.iter().map(|r| r.chars().take(200).collect()).collect(),
                replaces_lead_id: String::new(),
                policy_id: policy.meta.id.clone(),
            })
            .collect())
    }

    /// Measures one organization against one policy at `at_ms` and pushes
    /// what follows: a notice (then the ledger entry) when eligible, leads
    /// when one requirement short.
    pub async fn push_pair(
        &self,
        policy: &SupportPolicy,
        organization: &Organization,
        at_ms: i64,
    ) -> Result<PushCount, String> {
        if organization.meta.status() != RecordStatus::Active || !policy.in_force_at(at_ms) {
            return Ok(PushCount::default());
        }
        let assessment = assess(policy, organization, at_ms);
        match assessment.verdict {
            Verdict::Eligible => {
                // Notice first, then the ledger: a crash in between replays the
                // notice, which the notification service stores once.
                self.notices.notify(eligible_notice(policy, organization)).await?;
                let new = self
                    .policies
                    .record_push(&organization.meta.id, &policy.meta.id, at_ms)
                    .await
                    .map_err(|e| e.to_string())?;
                if new {
                    tracing::info!(policy_id = %policy.meta.id, organization_id = %organization.meta.id, "policy pushed");
                }
                Ok(PushCount { eligible: 1, leads: 0 })
            }
            // What the record does not say (no move into the city recorded) is
            // for the bureau to verify, not for an agency to help with.
            Verdict::NearlyEligible if assessment.missing().iter().any(|c| c.outcome == Outcome::Unknown) => {
                Ok(PushCount::default())
            }
            Verdict::NearlyEligible => {
                let drafts = self.lead_drafts(&assessment, organization).await?;
                let leads = drafts.len();
                for draft in drafts {
                    self.leads.offer(draft).await?;
                }
                Ok(PushCount { eligible: 0, leads })
            }
            Verdict::NotEligible => Ok(PushCount::default()),
        }
    }

    /// One policy against every active organization.
    pub async fn push_policy(&self, policy: &SupportPolicy, at_ms: i64) -> Result<PushCount, String> {
        let mut count = PushCount::default();
        if !policy.in_force_at(at_ms) {
            return Ok(count);
        }
        for organization in self.policies.active_organizations().await.map_err(|e| e.to_string())? {
            count += self.push_pair(policy, &organization, at_ms).await?;
        }
        Ok(count)
    }

    /// One organization against every policy in force.
    pub async fn push_organization(&self, organization: &Organization, at_ms: i64) -> Result<PushCount, String> {
        let mut count = PushCount::default();
        for policy in self.policies.policies_in_force(at_ms).await.map_err(|e| e.to_string())? {
            count += self.push_pair(&policy, organization, at_ms).await?;
        }
        Ok(count)
    }

    /// Every policy in force against every active organization.
    pub async fn sweep(&self, at_ms: i64) -> Result<PushCount, String> {
        let mut count = PushCount::default();
        let organizations = self.policies.active_organizations().await.map_err(|e| e.to_string())?;
        for policy in self.policies.policies_in_force(at_ms).await.map_err(|e| e.to_string())? {
            for organization in &organizations {
                count += self.push_pair(&policy, organization, at_ms).await?;
            }
        }
        Ok(count)
    }

    /// What one change brings.
    #[tracing::instrument(name = "policy_push", skip_all, fields(sequence = change.sequence, record = %change.record.meta().id))]
    pub async fn handle(&self, change: &Change) -> Result<PushCount, String> {
        let now = now_ms();
        match &change.record {
            Record::Policy(policy)
                if change.operation == ChangeOperation::Archived || policy.meta.status() != RecordStatus::Active =>
            {
                self.leads.close_for_need(&policy.meta.id, "政策已归档").await?;
                Ok(PushCount::default())
            }
            Record::Policy(policy) => {
                // The feed carries the policy as committed; push what is stored now.
                match self.catalog().get(&system(), RecordKind::Policy, &policy.meta.id).await {
                    Ok(Record::Policy(current)) => self.push_policy(&current, now).await,
                    _ => Ok(PushCount::default()),
                }
            }
            Record::Organization(organization) if change.operation != ChangeOperation::Archived => {
                match self.catalog().get(&system(), RecordKind::Organization, &organization.meta.id).await {
                    Ok(Record::Organization(current)) => self.push_organization(&current, now).await,
                    _ => Ok(PushCount::default()),
                }
            }
            _ => Ok(PushCount::default()),
        }
    }
}

/// Follows the change feed from the checkpoint until the task is aborted,
/// and sweeps every pair every `settings.sweep_every` (the first right away).
pub fn spawn(pusher: PolicyPusher, checkpoint: Checkpoint, settings: PolicyPushSettings) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut retry = RetryDelays::new(RETRY_MIN, RETRY_MAX);
        let mut sweeps = tokio::time::interval(settings.sweep_every.max(Duration::from_millis(10)));
        sweeps.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let after = checkpoint.load();
            let mut feed = pusher.catalog().watch(system(), after, vec![RecordKind::Organization, RecordKind::Policy]);
            loop {
                let change = tokio::select! {
                    change = feed.next() => change,
                    _ = sweeps.tick() => {
                        match pusher.sweep(now_ms()).await {
                            Ok(count) if count != PushCount::default() => {
                                tracing::debug!(eligible = count.eligible, leads = count.leads, "policy sweep");
                            }
                            Ok(_) => {}
                            Err(error) => tracing::warn!(%error, "policy sweep failed; retrying at the next round"),
                        }
                        continue;
                    }
                };
                let change = match change {
                    Some(Ok(change)) => change,
                    Some(Err(error)) => {
                        tracing::warn!(%error, "policy push feed failed");
                        break;
                    }
                    None => break,
                };
                if let Err(error) = pusher.handle(&change).await {
                    tracing::warn!(%error, record_id = %change.record.meta().id, "policy push failed; retrying");
                    break; // resume from the checkpoint: this change is handled again
                }
                if let Err(error) = checkpoint.save(change.sequence) {
                    tracing::warn!(%error, "could not save the policy push checkpoint");
                }
                retry.reset();
            }
            tokio::time::sleep(retry.next_delay()).await;
        }
    })
}
