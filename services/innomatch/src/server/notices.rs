//! How the services of this process tell each other about a deal in the
//! making: the leads service says which need an agency's lead is for (so an
//! agency answers a lead for an anonymous need through `ExpressInterest {
//! lead_id }`), and interests and leads become notifications for the sides
//! concerned. Each hook runs after its own write committed and hands the
//! notice to a task, so a slow notification store never slows the call; a
//! crash in between loses that notice (the interest or lead itself stays).

use innomatch_catalog::{
    Catalog,
    interest::{
        InterestObserver, LeadDirectory,
        store::{InterestAction, InterestRecord},
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

/// The in-process leads service as the interests' [`LeadDirectory`].
#[derive(Debug, Clone)]
pub struct LeadsDirectory(pub Leads);

#[tonic::async_trait]
impl LeadDirectory for LeadsDirectory {
    async fn need_of_lead(&self, principal: &Principal, lead_id: &str) -> Result<Option<String>, String> {
        match self.0.get(principal, lead_id).await {
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

/// Turns interests and leads into notifications.
#[derive(Debug, Clone)]
pub struct DealNotices {
    pub notifications: Notifications,
    pub catalog: Catalog,
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
    fn observe(&self, interest: &InterestRecord, action: InterestAction) {
        let interest = interest.clone();
        self.send(interest.need_id.clone(), move |title, _| {
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
                InterestAction::Withdrawn | InterestAction::Expired => return Vec::new(),
            };
            vec![NoticeDraft {
                organization_id: to,
                kind,
                need_id: interest.need_id.clone(),
                subject_id: subject,
                title: title.to_owned(),
                body,
                score: 0.0,
            }]
        });
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
