//! Expressions of interest and staged disclosure. Another organization reads
//! a need's teaser (title, fields, industries, region tier, TRL, cooperation
//! modes — never the owner, the description, the budget or the district),
//! expresses interest with a message; the need's owner lists who is
//! interested and approves or declines. Only an approved interest discloses:
//! the interested party then sees the owner of an anonymous need, and both
//! sides see each other's contact details (`Catalog::get` consults
//! [`InterestStore::disclosed_between`]). Every step is audited.
//!
//! PRIVATE needs stay owner-only: no teaser, no interest, never matched for
//! others (NOT_FOUND, as for a missing need). ANONYMOUS needs are the staged
//! ones. PUBLIC needs show their owner anyway; an approved interest discloses
//! the contacts there too.
//!
//! | file | what lives there |
//! |---|---|
//! | `store.rs` | the [`store::InterestStore`] contract, the statuses and records |
//! | `sqlite.rs`, `postgres.rs` | the contract in each record store |
//! | `error.rs` | [`InterestError`] and its mapping to gRPC statuses |
//! | `grpc.rs` | the `InterestService` adapter and its conversions |

pub mod error;
pub mod grpc;
pub(crate) mod postgres;
pub(crate) mod sqlite;
pub mod store;

use std::sync::Arc;

use innomatch_core::{
    auth::Principal,
    edge::{PagePolicy, PageTokens},
    model::{
        CooperationMode, NeedStatus, Organization, Record, RecordKind, RecordStatus, TechNeed, Visibility, now_ms,
    },
    taxonomy::{RegionTier, Taxonomy},
};

pub use self::error::InterestError;
use self::store::{InterestAction, InterestEventRecord, InterestQuery, InterestRecord, InterestStatus};
use crate::{Catalog, CatalogError, service::describe, store::StoreError};

/// Longest message or reply, in characters.
pub const MESSAGE_MAX_CHARS: usize = 1_000;

/// The actor of steps nobody asked for (a need closing).
pub const SYSTEM_ACTOR: &str = "system";

/// Page tokens of interest lists.
const PAGE_TOKENS: PageTokens = PageTokens::new("i1");

/// How many pending interests one expiry round moves at most.
const EXPIRY_BATCH: u32 = 200;

/// What another organization sees of a need before any disclosure.
#[derive(Debug, Clone, PartialEq)]
pub struct NeedTeaser {
    pub need_id: String,
    pub title: String,
    pub high_tech_fields: Vec<String>,
    pub industries: Vec<String>,
    pub region_tier: Option<RegionTier>,
    pub target_trl: u32,
    pub cooperation_modes: Vec<CooperationMode>,
    pub need_status: NeedStatus,
    pub deadline_ms: Option<i64>,
    pub visibility: Visibility,
    /// The caller's own latest interest in the need.
    pub own_interest: Option<InterestView>,
}

impl NeedTeaser {
    fn of(need: &TechNeed, own_interest: Option<InterestView>) -> Self {
        Self {
            need_id: need.meta.id.clone(),
            title: need.title.clone(),
            high_tech_fields: need.high_tech_fields.clone(),
            industries: need.industries.clone(),
            region_tier: Taxonomy::get().region(&need.region_code).map(|r| r.tier),
            target_trl: need.target_trl,
            cooperation_modes: need.cooperation_modes.clone(),
            need_status: need.need_status(),
            deadline_ms: need.deadline_ms,
            visibility: need.visibility(),
            own_interest,
        }
    }
}

/// An interest as one side (or an admin) may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct InterestView {
    /// `owner_organization_id` is empty for the interested party until approval.
    pub interest: InterestRecord,
    /// The other side: for the owner, the interested organization (contacts
    /// only once approved); for the party, the owner once approved.
    pub counterpart: Option<Organization>,
    pub need_title: String,
}

/// Which interests a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterestSide {
    /// Interests in the caller's needs.
    Received,
    /// The caller's own interests.
    Sent,
}

/// A list request, validated at the edge.
#[derive(Debug, Clone, PartialEq)]
pub struct InterestFilter {
    pub side: InterestSide,
    pub need_id: Option<String>,
    pub statuses: Vec<InterestStatus>,
    pub page_size: u32,
    pub page_token: String,
}

/// A page of interests and the token of the next (empty at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct InterestList {
    pub interests: Vec<InterestView>,
    pub next_page_token: String,
}

/// Hears of every step an organization took on an interest (notifications).
pub trait InterestObserver: Send + Sync + 'static {
    fn observe(&self, interest: &InterestRecord, action: InterestAction);
}

/// Finds the need of an agency's lead, so an agency answers a lead for an
/// anonymous need through it. Served by the leads service; the catalog never
/// reads the lead store itself.
#[async_trait::async_trait]
pub trait LeadDirectory: Send + Sync + 'static {
    /// The need of the lead if `principal` may read the lead (its agency);
    /// `None` when the lead is missing or another agency's.
    async fn need_of_lead(&self, principal: &Principal, lead_id: &str) -> Result<Option<String>, String>;
}

/// The interests' domain API over the catalog's store.
#[derive(Clone)]
pub struct Interests {
    catalog: Catalog,
    observer: Option<Arc<dyn InterestObserver>>,
    leads: Option<Arc<dyn LeadDirectory>>,
}

impl std::fmt::Debug for Interests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interests").finish_non_exhaustive()
    }
}

fn new_interest_id() -> String {
    format!("int_{}", uuid::Uuid::now_v7().simple())
}

fn describe_interest(id: &str) -> String {
    format!("interest {id}")
}

fn event(
    interest: &InterestRecord,
    action: InterestAction,
    principal: Option<&Principal>,
    note: &str,
) -> InterestEventRecord {
    InterestEventRecord {
        sequence: 0,
        interest_id: interest.id.clone(),
        need_id: interest.need_id.clone(),
        action,
        actor: principal.map_or_else(|| SYSTEM_ACTOR.to_owned(), |p| p.token_id.clone()),
        actor_organization_id: principal.and_then(|p| p.organization_id.clone()).unwrap_or_default(),
        note: note.to_owned(),
        at_ms: interest.updated_at_ms,
    }
}

fn need_of(record: Record, id: &str) -> Result<TechNeed, InterestError> {
    match record {
        Record::Need(need) => Ok(need),
        _ => Err(InterestError::NotFound(describe(RecordKind::Need, id))),
    }
}

impl Interests {
    pub fn new(catalog: Catalog) -> Self {
        Self { catalog, observer: None, leads: None }
    }

    /// Lets agencies express interest through their leads.
    pub fn with_leads(mut self, leads: Arc<dyn LeadDirectory>) -> Self {
        self.leads = Some(leads);
        self
    }

    /// The need an interest is for: `need_id`, or the need of the caller's
    /// lead (which must then be the same need, if both are given).
    async fn need_for(&self, principal: &Principal, need_id: &str, lead_id: &str) -> Result<String, InterestError> {
        if lead_id.is_empty() {
            return Ok(need_id.to_owned());
        }
        let Some(leads) = &self.leads else {
            return Err(InterestError::FailedPrecondition(
                "leads are not served here: express interest by need_id".into(),
            ));
        };
        let lead_need = leads
            .need_of_lead(principal, lead_id)
            .await
            .map_err(|e| InterestError::Storage(StoreError::Backend(e)))?
            .ok_or_else(|| InterestError::NotFound(format!("lead {lead_id}")))?;
        if !need_id.is_empty() && need_id != lead_need {
            return Err(InterestError::Invalid(innomatch_core::validation::Violations::single(
                "need_id",
                format!("lead {lead_id} is for need {lead_need}, not {need_id}"),
            )));
        }
        Ok(lead_need)
    }

    /// Tells `observer` of every step an organization takes from now on.
    pub fn with_observer(mut self, observer: Arc<dyn InterestObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    fn observe(&self, interest: &InterestRecord, action: InterestAction) {
        if let Some(observer) = &self.observer {
            observer.observe(interest, action);
        }
    }

    /// The teaser of a need the caller may see (PRIVATE needs of others: NOT_FOUND).
    pub async fn teaser(&self, principal: &Principal, need_id: &str) -> Result<NeedTeaser, InterestError> {
        let need = need_of(self.catalog.visible(principal, RecordKind::Need, need_id).await?, need_id)?;
        let own = match principal.organization_id.as_deref() {
            Some(org) if org != need.meta.organization_id => {
                let latest = self.latest_of(need_id, org).await?;
                match latest {
                    Some(interest) => Some(self.view(principal, interest).await?),
                    None => None,
                }
            }
            _ => None,
        };
        Ok(NeedTeaser::of(&need, own))
    }

    /// The caller's organization expresses interest in another's need.
    pub async fn express(
        &self,
        principal: &Principal,
        need_id: &str,
        message: &str,
        lead_id: &str,
    ) -> Result<InterestView, InterestError> {
        let Some(party) = principal.organization_id.clone() else {
            return Err(InterestError::PermissionDenied(
                "an admin token acts for no organization: interest is expressed by an organization".into(),
            ));
        };
        let need_id = &self.need_for(principal, need_id, lead_id).await?;
        let need = need_of(self.catalog.visible(principal, RecordKind::Need, need_id).await?, need_id)?;
        if need.meta.organization_id == party {
            return Err(InterestError::FailedPrecondition(format!("need {need_id} is your own")));
        }
        check_open(&need)?;
        if let Some(latest) = self.latest_of(need_id, &party).await? {
            match latest.status {
                InterestStatus::Declined => {
                    return Err(InterestError::FailedPrecondition(format!(
                        "the owner of need {need_id} declined your interest {} already",
                        latest.id
                    )));
                }
                status if status.is_live() => {
                    return Err(InterestError::AlreadyExists(format!(
                        "your interest {} in need {need_id} is {status} already",
                        latest.id
                    )));
                }
                _ => {}
            }
        }
        let now = now_ms();
        let interest = InterestRecord {
            id: new_interest_id(),
            need_id: need_id.to_owned(),
            owner_organization_id: need.meta.organization_id.clone(),
            party_organization_id: party,
            lead_id: lead_id.to_owned(),
            message: message.to_owned(),
            reply: String::new(),
            status: InterestStatus::Pending,
            created_at_ms: now,
            updated_at_ms: now,
            version: 1,
        };
        let audit = event(&interest, InterestAction::Expressed, Some(principal), message);
        match self.catalog.store.insert_interest(interest.clone(), audit).await {
            Ok(()) => {}
            // Two expressions raced: the other one won.
            Err(StoreError::AlreadyExists) => {
                return Err(InterestError::AlreadyExists(format!(
                    "your organization is interested in need {need_id} already"
                )));
            }
            Err(other) => return Err(other.into()),
        }
        tracing::info!(interest_id = %interest.id, %need_id, "interest expressed");
        self.observe(&interest, InterestAction::Expressed);
        self.view(principal, interest).await
    }

    /// An interest the caller is a side of (admins: any).
    pub async fn get(&self, principal: &Principal, id: &str) -> Result<InterestView, InterestError> {
        let interest = self.readable(principal, id).await?;
        self.view(principal, interest).await
    }

    /// The need's owner (or an admin) approves or declines a pending interest.
    pub async fn decide(
        &self,
        principal: &Principal,
        id: &str,
        decision: InterestStatus,
        reply: &str,
        expected_version: i64,
    ) -> Result<InterestView, InterestError> {
        let mut interest = self.readable(principal, id).await?;
        if !principal.acts_for(&interest.owner_organization_id) {
            return Err(InterestError::PermissionDenied(format!(
                "only the owner of need {} decides on its interests",
                interest.need_id
            )));
        }
        if !matches!(decision, InterestStatus::Approved | InterestStatus::Declined) {
            return Err(InterestError::Invalid(innomatch_core::validation::Violations::single(
                "decision",
                "must be APPROVED or DECLINED",
            )));
        }
        check_version(&interest, expected_version)?;
        if interest.status != InterestStatus::Pending {
            return Err(InterestError::FailedPrecondition(format!(
                "{} is {} ({}): only a pending interest is decided",
                describe_interest(id),
                interest.status,
                interest.status.label_zh()
            )));
        }
        let need = self.catalog.store.get(RecordKind::Need, &interest.need_id).await?;
        if let Some(Record::Need(need)) = &need
            && let Err(closed) = check_open(need)
        {
            self.catalog.expire_interests_of_need(&interest.need_id).await?;
            return Err(closed);
        }
        interest.status = decision;
        interest.reply = reply.to_owned();
        interest.updated_at_ms = now_ms();
        let action = InterestAction::into_status(decision);
        let audit = event(&interest, action, Some(principal), reply);
        let moved =
            self.catalog.store.move_interest(interest, audit).await.map_err(|e| conflict(e, id, expected_version))?;
        tracing::info!(interest_id = id, decision = %decision, "interest decided");
        self.observe(&moved, action);
        self.view(principal, moved).await
    }

    /// The interested organization (or an admin) withdraws its interest.
    pub async fn withdraw(
        &self,
        principal: &Principal,
        id: &str,
        note: &str,
        expected_version: i64,
    ) -> Result<InterestView, InterestError> {
        let mut interest = self.readable(principal, id).await?;
        if !principal.acts_for(&interest.party_organization_id) {
            return Err(InterestError::PermissionDenied(
                "only the organization that expressed an interest withdraws it".into(),
            ));
        }
        check_version(&interest, expected_version)?;
        if !interest.status.can_move_to(InterestStatus::Withdrawn) {
            return Err(InterestError::FailedPrecondition(format!(
                "{} is {} ({}) already",
                describe_interest(id),
                interest.status,
                interest.status.label_zh()
            )));
        }
        interest.status = InterestStatus::Withdrawn;
        interest.updated_at_ms = now_ms();
        let audit = event(&interest, InterestAction::Withdrawn, Some(principal), note);
        let moved =
            self.catalog.store.move_interest(interest, audit).await.map_err(|e| conflict(e, id, expected_version))?;
        tracing::info!(interest_id = id, "interest withdrawn");
        self.observe(&moved, InterestAction::Withdrawn);
        self.view(principal, moved).await
    }

    /// Interests received for the caller's needs or sent by the caller.
    pub async fn list(&self, principal: &Principal, filter: InterestFilter) -> Result<InterestList, InterestError> {
        let after_cursor = PAGE_TOKENS.decode(&filter.page_token)?.unwrap_or(0) as i64;
        let own = principal.organization_id.clone();
        let mut query = InterestQuery {
            statuses: filter.statuses,
            after_cursor,
            limit: PagePolicy::LISTS.clamp(filter.page_size),
            ..InterestQuery::default()
        };
        if let Some(need_id) = &filter.need_id {
            let need = self.catalog.visible(principal, RecordKind::Need, need_id).await?;
            if filter.side == InterestSide::Received && !principal.acts_for(&need.meta().organization_id) {
                return Err(InterestError::PermissionDenied(format!(
                    "need {need_id} belongs to another organization: its interests are the owner's"
                )));
            }
            query.need_id = Some(need_id.clone());
        }
        match filter.side {
            // Admins see every organization's; everyone else only their own.
            InterestSide::Received => query.owner_organization_id = own,
            InterestSide::Sent => query.party_organization_id = own,
        }
        let page = self.catalog.store.list_interests(&query).await?;
        let mut interests = Vec::with_capacity(page.interests.len());
        for interest in page.interests {
            interests.push(self.view(principal, interest).await?);
        }
        Ok(InterestList {
            interests,
            next_page_token: page.next_cursor.map(|c| PAGE_TOKENS.encode(c as u64)).unwrap_or_default(),
        })
    }

    /// The audit trail of one interest or of every interest in one need,
    /// oldest first: the need owner's and the admins' only, since its steps
    /// name the owner (an interested party reads its interest instead).
    pub async fn events(
        &self,
        principal: &Principal,
        interest_id: Option<&str>,
        need_id: Option<&str>,
    ) -> Result<Vec<InterestEventRecord>, InterestError> {
        match (interest_id, need_id) {
            (Some(id), None) => {
                let interest = self.readable(principal, id).await?;
                if !principal.acts_for(&interest.owner_organization_id) {
                    return Err(InterestError::PermissionDenied(format!(
                        "the audit trail of interest {id} is the need owner's"
                    )));
                }
                Ok(self.catalog.store.interest_events(Some(id), None).await?)
            }
            (None, Some(need_id)) => {
                self.catalog.writable(principal, RecordKind::Need, need_id).await?;
                Ok(self.catalog.store.interest_events(None, Some(need_id)).await?)
            }
            _ => Err(InterestError::Invalid(innomatch_core::validation::Violations::single(
                "interest_id",
                "name exactly one of interest_id and need_id",
            ))),
        }
    }

    /// The interest if the caller is one of its sides (or an admin); NOT_FOUND otherwise.
    async fn readable(&self, principal: &Principal, id: &str) -> Result<InterestRecord, InterestError> {
        let mut v = innomatch_core::validation::Violations::new();
        v.id("id", id);
        v.into_result(())?;
        self.catalog
            .store
            .interest(id)
            .await?
            .filter(|i| principal.acts_for(&i.owner_organization_id) || principal.acts_for(&i.party_organization_id))
            .ok_or_else(|| InterestError::NotFound(describe_interest(id)))
    }

    /// The party's latest interest in the need.
    async fn latest_of(&self, need_id: &str, party: &str) -> Result<Option<InterestRecord>, InterestError> {
        let mut query = InterestQuery {
            need_id: Some(need_id.to_owned()),
            party_organization_id: Some(party.to_owned()),
            limit: 100,
            ..InterestQuery::default()
        };
        let mut latest = None;
        loop {
            let page = self.catalog.store.list_interests(&query).await?;
            latest = page.interests.into_iter().last().or(latest);
            match page.next_cursor {
                Some(cursor) => query.after_cursor = cursor,
                None => return Ok(latest),
            }
        }
    }

    /// The interest as `principal` may see it, with the other side.
    async fn view(&self, principal: &Principal, mut interest: InterestRecord) -> Result<InterestView, InterestError> {
        let store = &self.catalog.store;
        let approved = interest.status == InterestStatus::Approved;
        let need = store.get(RecordKind::Need, &interest.need_id).await?;
        let need_title = match &need {
            Some(record @ Record::Need(need)) if principal.can_see(record) => need.title.clone(),
            _ => String::new(),
        };
        let owner_side = principal.acts_for(&interest.owner_organization_id);
        let counterpart_id = if owner_side {
            Some(interest.party_organization_id.clone())
        } else if approved {
            Some(interest.owner_organization_id.clone())
        } else {
            None
        };
        if !owner_side && !approved {
            interest.owner_organization_id.clear();
        }
        let counterpart = match counterpart_id {
            Some(id) => match store.get(RecordKind::Organization, &id).await? {
                Some(Record::Organization(mut org)) => {
                    if !approved && !principal.acts_for(&org.meta.id) && !principal.is_admin() {
                        org.contact = Default::default();
                    }
                    Some(org)
                }
                _ => None,
            },
            None => None,
        };
        Ok(InterestView { interest, counterpart, need_title })
    }
}

impl Catalog {
    /// Interest audit events after `after_sequence`, oldest first: for
    /// followers acting for the system (notifications), not for callers.
    pub async fn interest_events_after(
        &self,
        after_sequence: i64,
        limit: u32,
    ) -> Result<Vec<InterestEventRecord>, CatalogError> {
        Ok(self.store.interest_events_after(after_sequence, limit).await?)
    }

    /// An interest as stored, for followers acting for the system.
    pub async fn stored_interest(&self, id: &str) -> Result<Option<InterestRecord>, CatalogError> {
        Ok(self.store.interest(id).await?)
    }

    /// True when an approved interest discloses `record` in full to
    /// `principal`: an organization's contacts (either side of the interest)
    /// or an anonymous need's owner (to the approved party).
    pub(crate) async fn disclosed_to(&self, principal: &Principal, record: &Record) -> Result<bool, CatalogError> {
        let Some(own) = principal.organization_id.as_deref() else { return Ok(false) };
        if principal.acts_for(&record.meta().organization_id) {
            return Ok(false); // nothing hidden from the owner
        }
        match record {
            Record::Organization(org) => Ok(self.store.disclosed_between(&org.meta.id, own).await?),
            Record::Need(need) if need.visibility() == Visibility::Anonymous => {
                let query = InterestQuery {
                    need_id: Some(need.meta.id.clone()),
                    party_organization_id: Some(own.to_owned()),
                    statuses: vec![InterestStatus::Approved],
                    limit: 1,
                    ..InterestQuery::default()
                };
                Ok(!self.store.list_interests(&query).await?.interests.is_empty())
            }
            _ => Ok(false),
        }
    }

    /// Expires the pending interests of a need that closed or was archived.
    pub(crate) async fn expire_interests_of_need(&self, need_id: &str) -> Result<usize, CatalogError> {
        let query = InterestQuery {
            need_id: Some(need_id.to_owned()),
            statuses: vec![InterestStatus::Pending],
            limit: EXPIRY_BATCH,
            ..InterestQuery::default()
        };
        let pending = self.store.list_interests(&query).await?.interests;
        self.expire_interests(pending).await
    }

    /// Expires pending interests whose need is no longer active: the sweep
    /// that catches what a crash between a need's close and its interests
    /// left behind.
    pub async fn expire_interests_of_inactive_needs(&self) -> Result<usize, CatalogError> {
        let mut expired = 0;
        loop {
            let pending = self.store.pending_of_inactive_needs(EXPIRY_BATCH).await?;
            let full = pending.len() == EXPIRY_BATCH as usize;
            let moved = self.expire_interests(pending).await?;
            expired += moved;
            if !full || moved == 0 {
                return Ok(expired);
            }
        }
    }

    async fn expire_interests(&self, pending: Vec<InterestRecord>) -> Result<usize, CatalogError> {
        let mut expired = 0;
        for mut interest in pending {
            interest.status = InterestStatus::Expired;
            interest.updated_at_ms = now_ms();
            let audit = event(&interest, InterestAction::Expired, None, "the need closed");
            match self.store.move_interest(interest, audit).await {
                Ok(_) => expired += 1,
                // Moved meanwhile: its new state stands.
                Err(StoreError::VersionConflict { .. } | StoreError::NotFound) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(expired)
    }
}

/// Only an open or in-talks need that is not archived takes and decides interests.
fn check_open(need: &TechNeed) -> Result<(), InterestError> {
    let id = &need.meta.id;
    if need.meta.status() == RecordStatus::Archived {
        return Err(InterestError::FailedPrecondition(format!("need {id} is archived")));
    }
    let status = need.need_status();
    if status.is_closed() {
        return Err(InterestError::FailedPrecondition(format!(
            "need {id} is {status} ({}): a closed need takes no interest",
            status.label_zh()
        )));
    }
    Ok(())
}

fn check_version(interest: &InterestRecord, expected_version: i64) -> Result<(), InterestError> {
    if expected_version > 0 && expected_version != interest.version {
        return Err(InterestError::VersionConflict {
            what: describe_interest(&interest.id),
            expected: expected_version,
            actual: interest.version,
        });
    }
    Ok(())
}

fn conflict(error: StoreError, id: &str, expected: i64) -> InterestError {
    match error {
        StoreError::VersionConflict { actual } => {
            InterestError::VersionConflict { what: describe_interest(id), expected, actual }
        }
        StoreError::NotFound => InterestError::NotFound(describe_interest(id)),
        other => other.into(),
    }
}
