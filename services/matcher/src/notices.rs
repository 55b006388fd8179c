//! Match notices: follows the change feed and tells both sides of a strong
//! match. A new shareable need brings its owner a NEW_PARTNER notice per
//! organization scoring at least [`NOTICE_MIN_SCORE`], and each such
//! university, lab or institute a FITTING_NEED notice; a newly listed
//! capability does the same for the open needs it fits. Notices are
//! de-duplicated by the notification service (need × organization × kind ×
//! partner), so replaying the feed from an older checkpoint notifies nothing
//! twice. Private needs are never notified to anyone: they stay with their owner.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use futures::StreamExt;
use innomatch_catalog::store::Change;
use innomatch_core::{
    auth::BearerToken,
    model::{ChangeOperation, Record, RecordKind, TechNeed},
    retry::RetryDelays,
    transport::ClientTls,
};
use innomatch_leads::{
    Notifications,
    notifications::model::{NoticeDraft, NotificationKind},
};
use innomatch_proto::v1::{self as pb, notification_service_client::NotificationServiceClient};
use tokio::task::JoinHandle;
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use crate::{
    Matcher,
    auto::{Checkpoint, admin_channel},
    matcher::shareable,
    retrieval::system,
};

/// The score a match must reach to be notified: 0.5 is "a clear common
/// subject" on the matcher's scale (see `scoring.rs`), so weaker fits stay
/// proposals one asks for and never become a notice.
pub const NOTICE_MIN_SCORE: f32 = 0.5;
/// At most this many partners per need (and needs per capability) are notified.
pub const NOTICES_PER_RECORD: usize = 5;
const RETRY_MIN: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// Where notices go: the notification service here or in another process
/// ([`RemoteNotices`]), or (in tests) a recorder.
#[async_trait]
pub trait NoticeSink: Send + Sync + 'static {
    async fn notify(&self, draft: NoticeDraft) -> Result<(), String>;
}

/// The notification service of another process (the leads process at
/// `--leads-url`), called with the admin token (`NotificationService/Notify`).
#[derive(Debug, Clone)]
pub struct RemoteNotices {
    client: NotificationServiceClient<InterceptedService<Channel, BearerToken>>,
}

impl RemoteNotices {
    pub fn new(url: &str, admin_token: &str, tls: &ClientTls) -> Result<Self, String> {
        let (channel, admin) = admin_channel(url, admin_token, tls).map_err(|e| format!("notifications: {e}"))?;
        Ok(Self { client: NotificationServiceClient::with_interceptor(channel, admin) })
    }
}

#[async_trait]
impl NoticeSink for RemoteNotices {
    async fn notify(&self, draft: NoticeDraft) -> Result<(), String> {
        let request = pb::NotifyRequest {
            organization_id: draft.organization_id,
            kind: draft.kind.to_proto(),
            need_id: draft.need_id,
            subject_id: draft.subject_id,
            title: draft.title,
            body: draft.body,
            score: draft.score,
        };
        self.client.clone().notify(request).await.map(|_| ()).map_err(|status| status.to_string())
    }
}

#[async_trait]
impl NoticeSink for Notifications {
    async fn notify(&self, draft: NoticeDraft) -> Result<(), String> {
        Notifications::notify(self, draft).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// The notices one change brings; empty for anything but a created need or capability.
pub async fn notices_for(matcher: &Matcher, change: &Change) -> Result<Vec<NoticeDraft>, String> {
    if change.operation != ChangeOperation::Created {
        return Ok(Vec::new());
    }
    match &change.record {
        Record::Need(need) if shareable(need) => need_notices(matcher, need).await,
        Record::Capability(capability) => {
            let Some(Record::Organization(holder)) =
                matcher.catalog.get(&system(), RecordKind::Organization, &capability.meta.organization_id).await.ok()
            else {
                return Ok(Vec::new());
            };
            let needs = matcher
                .match_capability(&system(), &capability.meta.id, NOTICES_PER_RECORD * 2)
                .await
                .map_err(|e| e.to_string())?;
            let mut drafts = Vec::new();
            for fit in needs.into_iter().filter(|n| n.score >= NOTICE_MIN_SCORE).take(NOTICES_PER_RECORD) {
                let Ok(Record::Need(need)) = matcher.catalog.get(&system(), RecordKind::Need, &fit.need_id).await
                else {
                    continue;
                };
                if !shareable(&need) || need.meta.organization_id == holder.meta.id {
                    continue;
                }
                drafts.push(partner_notice(&need, &holder.meta.id, &holder.name, fit.score));
                if holder.kind().is_academic() {
                    drafts.push(fitting_notice(&need, &holder.meta.id, fit.score));
                }
            }
            Ok(drafts)
        }
        _ => Ok(Vec::new()),
    }
}

async fn need_notices(matcher: &Matcher, need: &TechNeed) -> Result<Vec<NoticeDraft>, String> {
    let partners = matcher.partners_for(need, NOTICES_PER_RECORD * 2).await.map_err(|e| e.to_string())?;
    let mut drafts = Vec::new();
    for partner in partners
        .organizations
        .into_iter()
        .filter(|p| p.score >= NOTICE_MIN_SCORE && p.organization_id != need.meta.organization_id)
        .take(NOTICES_PER_RECORD)
    {
        drafts.push(partner_notice(need, &partner.organization_id, &partner.organization_name, partner.score));
        if partner.kind.is_academic() {
            drafts.push(fitting_notice(need, &partner.organization_id, partner.score));
        }
    }
    Ok(drafts)
}

/// To the need's owner: an organization fits the need strongly.
fn partner_notice(need: &TechNeed, partner_id: &str, partner_name: &str, score: f32) -> NoticeDraft {
    NoticeDraft {
        organization_id: need.meta.organization_id.clone(),
        kind: NotificationKind::NewPartner,
        need_id: need.meta.id.clone(),
        subject_id: partner_id.to_owned(),
        title: need.title.clone(),
        body: format!("{partner_name} 与需求「{}」高度匹配（{:.2}）", need.title, score),
        score,
    }
}

/// To a university, lab or institute: a need fits its capabilities. The
/// owner of an anonymous need is not named (the need id leads to its teaser).
fn fitting_notice(need: &TechNeed, organization_id: &str, score: f32) -> NoticeDraft {
    NoticeDraft {
        organization_id: organization_id.to_owned(),
        kind: NotificationKind::FittingNeed,
        need_id: need.meta.id.clone(),
        subject_id: String::new(),
        title: need.title.clone(),
        body: format!("新需求「{}」与贵单位的能力匹配（{:.2}）", need.title, score),
        score,
    }
}

/// Follows the change feed from the checkpoint until the task is aborted.
pub fn spawn(matcher: Matcher, sink: Arc<dyn NoticeSink>, checkpoint: Checkpoint) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut retry = RetryDelays::new(RETRY_MIN, RETRY_MAX);
        loop {
            let after = checkpoint.load();
            let mut feed = matcher.catalog.watch(system(), after, vec![RecordKind::Need, RecordKind::Capability]);
            while let Some(change) = feed.next().await {
                let change = match change {
                    Ok(change) => change,
                    Err(error) => {
                        tracing::warn!(%error, "match notice feed failed");
                        break;
                    }
                };
                let handled = async {
                    for draft in notices_for(&matcher, &change).await? {
                        sink.notify(draft).await?;
                    }
                    Ok::<_, String>(())
                };
                if let Err(error) = handled.await {
                    tracing::warn!(%error, record_id = %change.record.meta().id, "match notices failed; retrying");
                    break; // resume from the checkpoint: this change is handled again
                }
                if let Err(error) = checkpoint.save(change.sequence) {
                    tracing::warn!(%error, "could not save the match notice checkpoint");
                }
                retry.reset();
            }
            tokio::time::sleep(retry.next_delay()).await;
        }
    })
}
