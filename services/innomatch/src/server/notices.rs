//! How the services of this process tell each other about a deal in the
//! making: the leads service says which need an agency's lead is for (so an
//! agency answers a lead for an anonymous need through `ExpressInterest {
//! lead_id }`), and interests and leads become notifications for the sides
//! concerned.
//!
//! Interest steps are followed from their audit trail with a checkpoint
//! (`data/interest-notices.checkpoint`), so a crash loses none: the follower
//! takes up where it stopped and the notification service's de-duplication
//! absorbs the replay. Lead hooks run after the lead's write committed and
//! hand the notice to a task, so a crash in that instant loses that notice
//! (the lead itself stays, and is delivered on its own stream).

use std::{sync::Arc, time::Duration};

use innomatch_catalog::{
    Catalog,
    interest::{
        InterestObserver, LeadDirectory,
        store::{InterestAction, InterestEventRecord, InterestRecord},
    },
};
use innomatch_core::{
    auth::Principal,
    model::{Record, RecordKind, Role},
};
use innomatch_leads::{
    Lead, LeadStatus, Leads, LeadsError, Notifications,
    notifications::model::{NoticeDraft, NotificationKind},
    service::LeadObserver,
};
use innomatch_matcher::auto::Checkpoint;
use tokio::{sync::Notify, task::JoinHandle};

/// The in-process leads service as the interests' [`LeadDirectory`].
#[derive(Debug, Clone)]
pub struct LeadsDirectory(pub Leads);

#[tonic::async_trait]
impl LeadDirectory for LeadsDirectory {
    async fn need_of_lead(&self, principal: &Principal, lead_id: &str) -> Result<Option<String>, String> {
        match self.0.get(principal, lead_id).await {
            // A policy lead is about a firm and a policy, not a need to answer.
            Ok(lead) if !lead.policy_id.is_empty() => Ok(None),
            Ok(lead) => Ok(Some(lead.need_id)),
            // Missing, another agency's, or the caller is no agency: the same answer.
            Err(LeadsError::NotFound(_) | LeadsError::PermissionDenied(_)) => Ok(None),
            Err(other) => Err(other.to_string()),
        }
    }
}

fn system() -> Principal {
    Principal { token_id: "system:notices".into(), organization_id: None, role: Role::Admin }
}

/// How often the interest follower looks at the audit trail without a wake-up
/// (steps taken by another process sharing the store).
const INTEREST_POLL: Duration = Duration::from_secs(1);

/// Audit events read per round.
const INTEREST_BATCH: u32 = 100;

/// Turns interests and leads into notifications.
#[derive(Debug, Clone)]
pub struct DealNotices {
    pub notifications: Notifications,
    pub catalog: Catalog,
    /// Woken by every interest step of this process.
    pub wake: Arc<Notify>,
}

impl DealNotices {
    /// Hands the drafts `make` builds (with the need's title) to a task.
    fn send(&self, need_id: String, make: impl FnOnce(&str, Option<String>) -> Vec<NoticeDraft> + Send + 'static) {
        let this = self.clone();
        tokio::spawn(async move {
            let need = this.catalog.get(&system(), RecordKind::Need, &need_id).await.ok();
            let (title, owner) = match need {
                Some(Record::Need(need)) => (need.title, Some(need.meta.organization_id)),
                _ => (String::new(), None),
            };
            for draft in make(&title, owner) {
                if let Err(error) = this.notifications.notify(draft).await {
                    tracing::warn!(%error, need_id, "storing a notification failed");
                }
            }
        });
    }
}

impl InterestObserver for DealNotices {
    fn observe(&self, _interest: &InterestRecord, _action: InterestAction) {
        self.wake.notify_one();
    }
}

/// The notice one audited interest step brings (none for withdrawals and expiries).
fn interest_notice(interest: &InterestRecord, action: InterestAction, title: &str) -> Option<NoticeDraft> {
    let (to, kind, subject, body) = match action {
        InterestAction::Expressed => (
            interest.owner_organization_id.clone(),
            NotificationKind::InterestReceived,
            interest.party_organization_id.clone(),
            format!("有机构对需求「{title}」表达了合作意向：{}", interest.message),
        ),
        InterestAction::Approved => (
            interest.party_organization_id.clone(),
            NotificationKind::InterestApproved,
            String::new(),
            format!("需求「{title}」的发布方同意了贵单位的合作意向，可查看对方联系方式"),
        ),
        InterestAction::Declined => (
            interest.party_organization_id.clone(),
            NotificationKind::InterestDeclined,
            String::new(),
            format!("需求「{title}」的发布方谢绝了贵单位的合作意向"),
        ),
        InterestAction::Withdrawn | InterestAction::Expired => return None,
    };
    Some(NoticeDraft {
        organization_id: to,
        kind,
        need_id: interest.need_id.clone(),
        subject_id: subject,
        title: title.to_owned(),
        body,
        score: 0.0,
    })
}

impl DealNotices {
    /// Notifies the side one audited step concerns.
    async fn notify_step(&self, event: &InterestEventRecord) -> Result<(), String> {
        let Some(interest) = self.catalog.stored_interest(&event.interest_id).await.map_err(|e| e.to_string())? else {
            return Ok(());
        };
        let title = match self.catalog.get(&system(), RecordKind::Need, &interest.need_id).await {
            Ok(Record::Need(need)) => need.title,
            _ => String::new(),
        };
        match interest_notice(&interest, event.action, &title) {
            Some(draft) => self.notifications.notify(draft).await.map(|_| ()).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    /// Follows the interests' audit trail from the checkpoint until aborted.
    pub fn follow_interests(self, checkpoint: Checkpoint) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut after = checkpoint.load();
            loop {
                match self.catalog.interest_events_after(after, INTEREST_BATCH).await {
                    Ok(events) => {
                        let full = events.len() == INTEREST_BATCH as usize;
                        let mut failed = false;
                        for event in events {
                            if let Err(error) = self.notify_step(&event).await {
                                tracing::warn!(%error, interest_id = %event.interest_id, "interest notice failed; retrying");
                                failed = true;
                                break; // this step is taken up again
                            }
                            after = event.sequence;
                            if let Err(error) = checkpoint.save(after) {
                                tracing::warn!(%error, "could not save the interest notice checkpoint");
                            }
                        }
                        if full && !failed {
                            continue;
                        }
                    }
                    Err(error) => tracing::warn!(%error, "reading the interest audit trail failed; retrying"),
                }
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(INTEREST_POLL) => {}
                }
            }
        })
    }
}

impl LeadObserver for DealNotices {
    fn lead_offered(&self, lead: &Lead) {
        let lead = lead.clone();
        self.send(lead.need_id.clone(), move |_, _| {
            vec![NoticeDraft {
                organization_id: lead.agency_organization_id.clone(),
                kind: NotificationKind::NewLead,
                need_id: lead.need_id.clone(),
                subject_id: String::new(),
                title: lead.need_title.clone(),
                body: format!("新线索：{}", lead.need_title),
                score: lead.score,
            }]
        });
    }

    fn lead_answered(&self, lead: &Lead) {
        let lead = lead.clone();
        self.send(lead.need_id.clone(), move |title, owner| {
            let answer = match lead.status {
                LeadStatus::Accepted => "接受",
                LeadStatus::Declined => "谢绝",
                _ => return Vec::new(),
            };
            let Some(owner) = owner else { return Vec::new() };
            vec![NoticeDraft {
                organization_id: owner,
                kind: NotificationKind::LeadAnswered,
                need_id: lead.need_id.clone(),
                subject_id: lead.agency_organization_id.clone(),
                title: title.to_owned(),
                body: format!("服务机构已{answer}需求「{title}」的服务线索"),
                score: lead.score,
            }]
        });
    }
}
