//! Auto-matching: follows the change feed and turns service proposals into
//! leads for the agencies. A need posted or updated gets the best fitting
//! offers; a service offer published or changed is matched against every
//! open need; a need that closes (fulfilled, withdrawn, expired, archived)
//! closes its leads; and a lead an agency declined or let expire passes to
//! the next fitting agency, once. Lead ids come from need × offer, so
//! replaying the feed (after a restart, or twice) never makes a second
//! lead; the checkpoint only saves work.

use std::{collections::HashSet, path::PathBuf, sync::Arc, time::Duration};

use async_trait::async_trait;
use futures::StreamExt;
use innomatch_catalog::store::Change;
use innomatch_core::{
    auth::{BearerToken, Principal},
    model::{ChangeOperation, Record, RecordKind, RecordStatus, Role, ServiceOffer, TechNeed, Visibility},
    retry::RetryDelays,
    transport::{self, ClientTls},
};
use innomatch_leads::{Leads, model::LeadDraft};
use innomatch_proto::v1::{self as pb, leads_service_client::LeadsServiceClient};
use tokio::task::JoinHandle;
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use crate::{Matcher, matcher::shareable};

/// Offers scoring below this are proposals only, never pushed as leads.
pub const AUTO_LEAD_MIN_SCORE: f32 = 0.6;
/// At most this many leads per need.
pub const AUTO_LEADS_PER_NEED: usize = 3;
/// Characters of the need's description an agency sees in a lead.
const SUMMARY_CHARS: usize = 200;
/// Waits after a feed or lead-delivery failure: from the floor, doubling to the cap.
const RETRY_MIN: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(30);
/// Declined or expired leads looked at per pass-on round.
const PASS_ON_BATCH: u32 = 50;
/// Open needs read at a time when a new offer is matched against them all.
const OPEN_NEEDS_PAGE: u32 = 500;

/// Where the auto-matcher remembers the last change it handled.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    path: Option<PathBuf>,
}

impl Checkpoint {
    /// A checkpoint file; `None` keeps it in memory only (tests).
    pub fn new(path: Option<PathBuf>) -> Self {
        Self { path }
    }

    pub fn load(&self) -> i64 {
        self.path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Written to a temporary file and renamed, so a crash leaves the old value or the new.
    pub fn save(&self, sequence: i64) -> std::io::Result<()> {
        let Some(path) = &self.path else { return Ok(()) };
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, sequence.to_string())?;
        std::fs::rename(tmp, path)
    }
}

fn system() -> Principal {
    Principal { token_id: "system:auto-matcher".into(), organization_id: None, role: Role::Admin }
}

/// The leads for one change, if it is a shareable need created or updated.
pub async fn leads_for(matcher: &Matcher, change: &Change) -> Vec<LeadDraft> {
    let Record::Need(need) = &change.record else { return Vec::new() };
    if change.operation == ChangeOperation::Archived || !shareable(need) {
        return Vec::new();
    }
    drafts_for_need(matcher, need, AUTO_LEADS_PER_NEED, &HashSet::new()).await
}

/// Leads for a shareable, specific need: its best offers scoring at least
/// [`AUTO_LEAD_MIN_SCORE`], one per agency, at most `limit`, leaving out
/// the agencies in `exclude`.
async fn drafts_for_need(
    matcher: &Matcher,
    need: &TechNeed,
    limit: usize,
    exclude: &HashSet<String>,
) -> Vec<LeadDraft> {
    match matcher.is_specific(need).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::debug!(need_id = %need.meta.id, "need of generic words only; no leads");
            return Vec::new();
        }
        Err(error) => {
            tracing::warn!(%error, need_id = %need.meta.id, "need analysis failed");
            return Vec::new();
        }
    }
    let proposals = match matcher.services_for(need, (limit + exclude.len()) * 4).await {
        Ok(p) => p.proposals,
        Err(error) => {
            tracing::warn!(%error, need_id = %need.meta.id, "service proposals failed");
            return Vec::new();
        }
    };
    let owner =
        if need.visibility() == Visibility::Anonymous { String::new() } else { need.meta.organization_id.clone() };
    let mut seen_agencies: HashSet<String> = exclude.clone();
    proposals
        .into_iter()
        .filter(|p| p.score >= AUTO_LEAD_MIN_SCORE)
        // One lead per agency per need: the agency's best-fitting offer.
        .filter(|p| seen_agencies.insert(p.organization_id.clone()))
        .take(limit)
        .map(|p| LeadDraft {
            agency_organization_id: p.organization_id,
            offer_id: p.offer_id,
            need_id: need.meta.id.clone(),
            need_organization_id: owner.clone(),
            need_title: need.title.clone(),
            need_summary: need.description.chars().take(SUMMARY_CHARS).collect(),
            category: p.category,
            score: p.score,
            reasons: p.reasons.into_iter().take(innomatch_core::validation::limits::LIST_MAX_ITEMS).collect(),
            replaces_lead_id: String::new(),
            policy_id: String::new(),
        })
        .collect()
}

/// The leads a new or changed service offer brings: for every open,
/// shareable need it fits well enough, the lead for this offer if the offer
/// is among the need's best (as when the need itself is matched).
pub async fn leads_for_offer(matcher: &Matcher, offer: &ServiceOffer) -> Vec<LeadDraft> {
    if offer.meta.status() != RecordStatus::Active {
        return Vec::new();
    }
    let mut drafts = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = match matcher.catalog.active_needs(&page_token, OPEN_NEEDS_PAGE).await {
            Ok(page) => page,
            Err(error) => {
                tracing::warn!(%error, offer_id = %offer.meta.id, "listing open needs failed");
                return drafts;
            }
        };
        for record in &page.records {
            let Record::Need(need) = record else { continue };
            if !shareable(need) || matcher.offer_fit(need, offer).await.is_none_or(|s| s < AUTO_LEAD_MIN_SCORE) {
                continue;
            }
            let found = drafts_for_need(matcher, need, AUTO_LEADS_PER_NEED, &HashSet::new()).await;
            drafts.extend(found.into_iter().filter(|d| d.offer_id == offer.meta.id));
        }
        if page.next_page_token.is_empty() {
            return drafts;
        }
        page_token = page.next_page_token;
    }
}

/// What a closed need's leads say in their history.
fn closing_note(need: &TechNeed, operation: ChangeOperation) -> String {
    if operation == ChangeOperation::Archived || need.meta.status() == RecordStatus::Archived {
        "需求已归档".to_owned()
    } else {
        format!("需求{}", need.need_status().label_zh())
    }
}

/// A lead as auto-matching needs to know it: which, for which need, whose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadRef {
    pub id: String,
    pub need_id: String,
    pub agency_organization_id: String,
}

impl From<innomatch_leads::model::Lead> for LeadRef {
    fn from(lead: innomatch_leads::model::Lead) -> Self {
        Self { id: lead.id, need_id: lead.need_id, agency_organization_id: lead.agency_organization_id }
    }
}

impl From<pb::Lead> for LeadRef {
    fn from(lead: pb::Lead) -> Self {
        Self { id: lead.id, need_id: lead.need_id, agency_organization_id: lead.agency_organization_id }
    }
}

/// Where auto-matching hands its leads: the leads service in this process,
/// or a remote one over gRPC in a split deployment.
#[async_trait]
pub trait LeadSink: Send + Sync + 'static {
    async fn offer(&self, draft: LeadDraft) -> Result<(), String>;
    /// Closes the leads of a need that closed; `note` says why.
    async fn close_for_need(&self, need_id: &str, note: &str) -> Result<(), String>;
    /// Every lead made for the need.
    async fn leads_of_need(&self, need_id: &str) -> Result<Vec<LeadRef>, String>;
    /// Declined or expired leads whose need is still to pass on.
    async fn awaiting_pass_on(&self, limit: u32) -> Result<Vec<LeadRef>, String>;
    /// Records that no other agency fits a declined or expired lead's need.
    async fn mark_passed_on(&self, lead_id: &str) -> Result<(), String>;
}

#[async_trait]
impl LeadSink for Leads {
    async fn offer(&self, draft: LeadDraft) -> Result<(), String> {
        Leads::offer(self, draft).await.map(|_| ()).map_err(|e| e.to_string())
    }

    async fn close_for_need(&self, need_id: &str, note: &str) -> Result<(), String> {
        Leads::close_for_need(self, need_id, note).await.map(|_| ()).map_err(|e| e.to_string())
    }

    async fn leads_of_need(&self, need_id: &str) -> Result<Vec<LeadRef>, String> {
        Ok(Leads::leads_of_need(self, need_id).await.map_err(|e| e.to_string())?.into_iter().map(Into::into).collect())
    }

    async fn awaiting_pass_on(&self, limit: u32) -> Result<Vec<LeadRef>, String> {
        Ok(Leads::awaiting_pass_on(self, limit).await.map_err(|e| e.to_string())?.into_iter().map(Into::into).collect())
    }

    async fn mark_passed_on(&self, lead_id: &str) -> Result<(), String> {
        Leads::mark_passed_on(self, lead_id).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// A leads service in another process (`LeadsService/OfferLead`, admin only).
#[derive(Clone)]
pub struct RemoteLeads {
    client: LeadsServiceClient<InterceptedService<Channel, BearerToken>>,
}

impl std::fmt::Debug for RemoteLeads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteLeads").finish_non_exhaustive()
    }
}

/// Every call to a remote leads process gives up after this long.
const REMOTE_TIMEOUT: Duration = Duration::from_secs(10);

/// A channel to another innomatch process and the admin token to call it
/// with: connects on first use, so that process may start after this one;
/// speaks TLS when `url` is `https://` (see [`transport::endpoint`]).
pub(crate) fn admin_channel(url: &str, admin_token: &str, tls: &ClientTls) -> Result<(Channel, BearerToken), String> {
    let channel = transport::endpoint(url, tls)
        .map_err(|e| format!("another process's URL: {e}"))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(REMOTE_TIMEOUT)
        .connect_lazy();
    let admin = BearerToken::new(Some(admin_token)).map_err(|e| format!("the admin token: {e}"))?;
    Ok((channel, admin))
}

impl RemoteLeads {
    pub fn new(url: &str, admin_token: &str, tls: &ClientTls) -> Result<Self, String> {
        let (channel, admin) = admin_channel(url, admin_token, tls).map_err(|e| format!("leads: {e}"))?;
        Ok(Self { client: LeadsServiceClient::with_interceptor(channel, admin) })
    }
}

#[async_trait]
impl LeadSink for RemoteLeads {
    async fn offer(&self, draft: LeadDraft) -> Result<(), String> {
        let request = pb::OfferLeadRequest {
            agency_organization_id: draft.agency_organization_id,
            offer_id: draft.offer_id,
            need_id: draft.need_id,
            need_organization_id: draft.need_organization_id,
            need_title: draft.need_title,
            need_summary: draft.need_summary,
            category: draft.category.to_proto(),
            score: draft.score,
            reasons: draft.reasons,
            replaces_lead_id: draft.replaces_lead_id,
            policy_id: draft.policy_id,
        };
        self.client.clone().offer_lead(request).await.map(|_| ()).map_err(|status| status.to_string())
    }

    async fn close_for_need(&self, need_id: &str, note: &str) -> Result<(), String> {
        let request = pb::CloseLeadsForNeedRequest { need_id: need_id.to_owned(), note: note.to_owned() };
        self.client.clone().close_leads_for_need(request).await.map(|_| ()).map_err(|status| status.to_string())
    }

    async fn leads_of_need(&self, need_id: &str) -> Result<Vec<LeadRef>, String> {
        let request = pb::ListLeadsOfNeedRequest { need_id: need_id.to_owned() };
        let leads = self.client.clone().list_leads_of_need(request).await.map_err(|status| status.to_string())?;
        Ok(leads.into_inner().leads.into_iter().map(Into::into).collect())
    }

    async fn awaiting_pass_on(&self, limit: u32) -> Result<Vec<LeadRef>, String> {
        let request = pb::ListLeadsToPassOnRequest { limit };
        let leads = self.client.clone().list_leads_to_pass_on(request).await.map_err(|status| status.to_string())?;
        Ok(leads.into_inner().leads.into_iter().map(Into::into).collect())
    }

    async fn mark_passed_on(&self, lead_id: &str) -> Result<(), String> {
        let request = pb::MarkLeadPassedOnRequest { lead_id: lead_id.to_owned() };
        self.client.clone().mark_lead_passed_on(request).await.map(|_| ()).map_err(|status| status.to_string())
    }
}

/// Handles one change: leads for a need or an offer, or closes a closed need's leads.
/// One span per change, so the calls it makes to a remote leads service join its trace.
#[tracing::instrument(name = "auto_match", skip_all, fields(sequence = change.sequence, record = %change.record.meta().id))]
async fn handle(matcher: &Matcher, leads: &dyn LeadSink, change: &Change) -> Result<(), String> {
    match &change.record {
        Record::Need(need)
            if change.operation == ChangeOperation::Archived || need.meta.status() != RecordStatus::Active =>
        {
            leads.close_for_need(&need.meta.id, &closing_note(need, change.operation)).await
        }
        Record::Need(_) => {
            for draft in leads_for(matcher, change).await {
                leads.offer(draft).await?;
            }
            Ok(())
        }
        Record::Offer(offer) if change.operation != ChangeOperation::Archived => {
            for draft in leads_for_offer(matcher, offer).await {
                leads.offer(draft).await?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Passes the needs of declined or expired leads to the next fitting agency
/// (one that had no lead for the need yet), once per lead; a lead whose
/// need is closed, hidden or fitted by no other agency is marked passed on.
pub async fn pass_on(matcher: &Matcher, leads: &dyn LeadSink) -> Result<usize, String> {
    let mut passed = 0;
    for lead in leads.awaiting_pass_on(PASS_ON_BATCH).await? {
        let need = match matcher.catalog.get(&system(), RecordKind::Need, &lead.need_id).await {
            Ok(Record::Need(need)) if shareable(&need) => need,
            _ => {
                leads.mark_passed_on(&lead.id).await?;
                continue;
            }
        };
        let taken: HashSet<String> =
            leads.leads_of_need(&need.meta.id).await?.into_iter().map(|l| l.agency_organization_id).collect();
        match drafts_for_need(matcher, &need, 1, &taken).await.into_iter().next() {
            Some(mut draft) => {
                draft.replaces_lead_id = lead.id.clone();
                tracing::info!(lead_id = %lead.id, need_id = %need.meta.id, agency = %draft.agency_organization_id, "need passed to the next agency");
                leads.offer(draft).await?;
                passed += 1;
            }
            None => leads.mark_passed_on(&lead.id).await?,
        }
    }
    Ok(passed)
}

/// Follows the change feed from the checkpoint until the task is aborted,
/// and every `pass_on_every` passes declined and expired leads on.
pub fn spawn(
    matcher: Matcher,
    leads: Arc<dyn LeadSink>,
    checkpoint: Checkpoint,
    pass_on_every: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut retry = RetryDelays::new(RETRY_MIN, RETRY_MAX);
        let mut pass_on_ticks = tokio::time::interval(pass_on_every.max(Duration::from_millis(10)));
        pass_on_ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let after = checkpoint.load();
            let mut feed = matcher.catalog.watch(system(), after, vec![RecordKind::Need, RecordKind::ServiceOffer]);
            loop {
                let change = tokio::select! {
                    change = feed.next() => change,
                    _ = pass_on_ticks.tick() => {
                        if let Err(error) = pass_on(&matcher, leads.as_ref()).await {
                            tracing::warn!(%error, "passing leads on failed; retrying at the next round");
                        }
                        continue;
                    }
                };
                let change = match change {
                    Some(Ok(change)) => change,
                    Some(Err(error)) => {
                        tracing::warn!(%error, "auto-matching feed failed");
                        break;
                    }
                    None => break,
                };
                if let Err(error) = handle(&matcher, leads.as_ref(), &change).await {
                    tracing::warn!(%error, record_id = %change.record.meta().id, "could not hand leads over; retrying");
                    break; // resume from the checkpoint: this change is handled again
                }
                if let Err(error) = checkpoint.save(change.sequence) {
                    tracing::warn!(%error, "could not save the auto-matching checkpoint");
                }
                retry.reset();
            }
            tokio::time::sleep(retry.next_delay()).await;
        }
    })
}
