//! Auto-matching: follows the change feed and, for every need posted or
//! updated, turns its best service proposals into leads for the agencies.
//! Lead ids come from need × offer, so replaying the feed (after a restart,
//! or twice) never makes a second lead; the checkpoint only saves work.

use std::{path::PathBuf, sync::Arc, time::Duration};

use async_trait::async_trait;
use futures::StreamExt;
use innomatch_catalog::{Catalog, store::Change};
use innomatch_core::{
    auth::{BearerToken, Principal},
    model::{ChangeOperation, Record, RecordKind, Role},
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
    fn save(&self, sequence: i64) -> std::io::Result<()> {
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
    let proposals = match matcher.services_for(need, AUTO_LEADS_PER_NEED * 4).await {
        Ok(p) => p.proposals,
        Err(error) => {
            tracing::warn!(%error, need_id = %need.meta.id, "service proposals failed");
            return Vec::new();
        }
    };
    let owner = if need.visibility() == innomatch_core::model::Visibility::Anonymous {
        String::new()
    } else {
        need.meta.organization_id.clone()
    };
    let mut seen_agencies = Vec::new();
    proposals
        .into_iter()
        .filter(|p| p.score >= AUTO_LEAD_MIN_SCORE)
        // One lead per agency per need: the agency's best-fitting offer.
        .filter(|p| {
            let first = !seen_agencies.contains(&p.organization_id);
            seen_agencies.push(p.organization_id.clone());
            first
        })
        .take(AUTO_LEADS_PER_NEED)
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
        })
        .collect()
}

/// Where auto-matching hands its leads: the leads service in this process,
/// or a remote one over gRPC in a split deployment.
#[async_trait]
pub trait LeadSink: Send + Sync + 'static {
    async fn offer(&self, draft: LeadDraft) -> Result<(), String>;
}

#[async_trait]
impl LeadSink for Leads {
    async fn offer(&self, draft: LeadDraft) -> Result<(), String> {
        Leads::offer(self, draft).await.map(|_| ()).map_err(|e| e.to_string())
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

/// Every call to a remote leads service gives up after this long.
const REMOTE_TIMEOUT: Duration = Duration::from_secs(10);

impl RemoteLeads {
    /// Connects on first use, so the leads service may start after this one;
    /// speaks TLS when `url` is `https://` (see [`transport::endpoint`]).
    pub fn new(url: &str, admin_token: &str, tls: &ClientTls) -> Result<Self, String> {
        let channel = transport::endpoint(url, tls)
            .map_err(|e| format!("leads URL: {e}"))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(REMOTE_TIMEOUT)
            .connect_lazy();
        let admin = BearerToken::new(Some(admin_token)).map_err(|e| format!("the admin token: {e}"))?;
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
        };
        self.client.clone().offer_lead(request).await.map(|_| ()).map_err(|status| status.to_string())
    }
}

/// Follows the change feed from the checkpoint until the task is aborted.
pub fn spawn(matcher: Matcher, catalog: Catalog, leads: Arc<dyn LeadSink>, checkpoint: Checkpoint) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut retry = RetryDelays::new(RETRY_MIN, RETRY_MAX);
        loop {
            let after = checkpoint.load();
            let mut feed = catalog.watch(system(), after, vec![RecordKind::Need]);
            while let Some(change) = feed.next().await {
                let change = match change {
                    Ok(change) => change,
                    Err(error) => {
                        tracing::warn!(%error, "auto-matching feed failed");
                        break;
                    }
                };
                let mut offered = true;
                for draft in leads_for(&matcher, &change).await {
                    if let Err(error) = leads.offer(draft).await {
                        tracing::warn!(%error, need_id = %change.record.meta().id, "could not offer a lead; retrying");
                        offered = false;
                    }
                }
                if !offered {
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
