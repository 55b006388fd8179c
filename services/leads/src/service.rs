//! The leads domain API: offering leads (idempotently), streaming them to
//! agencies, acknowledgments, answers and outcomes through the pure
//! lifecycle, listing and exporting, and the expiry sweeper. No transport
//! types here; the gRPC adapter in `grpc` converts and calls these methods.
//!
//! Tenancy: an agency token (or an admin token bound to an organization)
//! sees and acts on its own organization's leads only. Another agency's lead
//! is reported exactly like a missing one.

use std::{collections::HashSet, path::Path, pin::Pin, sync::Arc, time::Duration};

use futures::{Stream, StreamExt, stream};
use innomatch_core::{
    auth::Principal,
    config::LeadsSettings,
    edge::{FOREIGN_PAGE_TOKEN, PagePolicy, PageTokens},
    model::{Role, ServiceCategory},
    validation::Violations,
};
use tokio::sync::watch;

use crate::{
    clock::{Clock, SystemClock},
    delivery::{Candidates, DeliveryBackend, embedded::EmbeddedDelivery, redis::RedisDelivery},
    error::LeadsError,
    export,
    lifecycle::{self, Event, TransitionError},
    model::{Delivery, Lead, LeadDraft, LeadStatus, NOTE_MAX_CHARS, Outcome, Response, SYSTEM_ACTOR, draft_lead_id},
    sqlite::SqliteLeadStore,
    store::{LeadQuery, LeadStore, StoreError},
    tasks::TaskSet,
};

/// How often a versioned write is retried when another writer got there first.
const WRITE_ATTEMPTS: usize = 8;

/// Leads read per store call while sweeping or exporting.
const SCAN_BATCH: u32 = 500;

/// Most rows one export holds; an agency with more filters by status.
pub const EXPORT_MAX_ROWS: usize = 100_000;

/// Filters of a list call. `page_size` 0 means the default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    pub statuses: Vec<LeadStatus>,
    pub category: Option<ServiceCategory>,
    pub page_size: u32,
    pub page_token: String,
}

/// One page of leads, newest first, and the token of the next page (empty at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct LeadPage {
    pub leads: Vec<Lead>,
    pub next_page_token: String,
}

/// The formats leads export to; the lowercase name is the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase")]
pub enum ExportFormat {
    /// UTF-8 CSV with a byte-order mark.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl ExportFormat {
    /// The file name extension.
    pub fn extension(self) -> &'static str {
        self.into()
    }
}

/// An export, ready to be sent or saved.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The leads an agency receives, as a stream; ends when the service closes.
pub type DeliveryStream = Pin<Box<dyn Stream<Item = Result<Delivery, LeadsError>> + Send>>;

/// Hears of leads offered and answered (the server turns them into
/// notifications for the agency and the need's owner). Called after the
/// write committed; must not block.
pub trait LeadObserver: Send + Sync + 'static {
    fn lead_offered(&self, lead: &Lead);
    fn lead_answered(&self, lead: &Lead);
}

/// The leads service. Cheap to clone; background tasks (expiry sweeper,
/// delivery backend) stop when the last clone is dropped.
#[derive(Clone)]
pub struct Leads {
    core: Arc<Core>,
    _tasks: Arc<TaskSet>,
}

impl std::fmt::Debug for Leads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leads").field("delivery", &self.core.delivery.name()).finish_non_exhaustive()
    }
}

struct Core {
    store: Arc<dyn LeadStore>,
    delivery: Arc<dyn DeliveryBackend>,
    clock: Arc<dyn Clock>,
    settings: LeadsSettings,
    /// Set by [`Leads::close`]: subscriptions end so a server can stop.
    closed: watch::Sender<bool>,
    /// Counts completed expiry sweeps, so tests can wait for one.
    sweeps: watch::Sender<u64>,
    observer: std::sync::OnceLock<Arc<dyn LeadObserver>>,
    /// Counts the writes to leads made through this service (offered,
    /// delivered, answered, outcomes, expiries), so a page can re-read them.
    changes: watch::Sender<u64>,
}

/// The organization whose leads the principal may see and act on.
fn agency_of(principal: &Principal) -> Result<String, LeadsError> {
    match (principal.role, &principal.organization_id) {
        (Role::Agency | Role::Admin, Some(org)) => Ok(org.clone()),
        (Role::Admin, None) => Err(LeadsError::PermissionDenied(
            "this admin token acts for no organization; leads belong to agencies: use an agency token".into(),
        )),
        _ => Err(LeadsError::PermissionDenied("leads are for intermediary agencies: use an agency token".into())),
    }
}

/// Page tokens: a version tag and the cursor of the last lead listed.
const PAGE_TOKENS: PageTokens = PageTokens::new("l1");

fn encode_page_token(cursor: i64) -> String {
    PAGE_TOKENS.encode(cursor.max(0) as u64)
}

fn decode_page_token(token: &str) -> Result<Option<i64>, LeadsError> {
    match PAGE_TOKENS.decode(token)? {
        None => Ok(None),
        // Lead cursors start at 1: 0 is no cursor this server hands out.
        Some(0) => Err(Violations::single("page_token", FOREIGN_PAGE_TOKEN).into()),
        Some(cursor) => Ok(Some(cursor as i64)),
    }
}

fn check_note(violations: &mut Violations, note: &str) {
    violations.text("note", note, NOTE_MAX_CHARS, false);
}

impl Leads {
    /// A service over the given store and delivery backend; starts the
    /// expiry sweeper (needs a tokio runtime).
    pub fn new(
        store: Arc<dyn LeadStore>,
        delivery: Arc<dyn DeliveryBackend>,
        clock: Arc<dyn Clock>,
        settings: LeadsSettings,
    ) -> Self {
        let sweep_every = Duration::from_secs(settings.expiry_sweep_secs.max(1));
        let core = Arc::new(Core {
            store,
            delivery,
            clock,
            settings,
            closed: watch::channel(false).0,
            sweeps: watch::channel(0).0,
            observer: std::sync::OnceLock::new(),
            changes: watch::channel(0).0,
        });
        let tasks = TaskSet::default();
        let sweeper = Arc::clone(&core);
        tasks.spawn(async move {
            let mut ticker = tokio::time::interval(sweep_every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                match sweeper.expire_due().await {
                    Ok(0) => {}
                    Ok(expired) => tracing::info!(expired, "leads expired unanswered"),
                    Err(error) => tracing::warn!(%error, "expiring leads failed; retrying at the next sweep"),
                }
                sweeper.sweeps.send_modify(|n| *n += 1);
            }
        });
        Self { core, _tasks: Arc::new(tasks) }
    }

    /// The standard wiring: `leads.sqlite3` in `data_dir`, delivered through
    /// Redis when `redis_url` is set and in-process otherwise.
    pub fn open(data_dir: &Path, redis_url: Option<&str>, settings: &LeadsSettings) -> Result<Self, LeadsError> {
        Self::with_store(Arc::new(SqliteLeadStore::open(data_dir)?), redis_url, settings)
    }

    /// The service over `store` (the embedded one or a shared database),
    /// delivered through Redis when `redis_url` is given, in-process otherwise.
    pub fn with_store(
        store: Arc<dyn LeadStore>,
        redis_url: Option<&str>,
        settings: &LeadsSettings,
    ) -> Result<Self, LeadsError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let delivery: Arc<dyn DeliveryBackend> = match redis_url {
            Some(url) => Arc::new(RedisDelivery::new(url, Arc::clone(&store), Arc::clone(&clock), settings.into())?),
            None => Arc::new(EmbeddedDelivery::new(Arc::clone(&store), Arc::clone(&clock))),
        };
        Ok(Self::new(store, delivery, clock, settings.clone()))
    }

    /// "embedded" or "redis".
    pub fn backend_name(&self) -> &'static str {
        self.core.delivery.name()
    }

    /// True while leads can be delivered (Redis answers, when configured).
    pub fn readiness(&self) -> watch::Receiver<bool> {
        self.core.delivery.readiness()
    }

    /// Ends every open subscription (for shutdown); nothing else changes.
    pub fn close(&self) {
        self.core.closed.send_replace(true);
    }

    /// Tells `observer` of every lead offered or answered from now on (once:
    /// a second observer is refused and returned).
    pub fn observe(&self, observer: Arc<dyn LeadObserver>) -> Result<(), Arc<dyn LeadObserver>> {
        self.core.observer.set(observer)
    }

    /// Counts completed expiry sweeps.
    pub fn sweeps(&self) -> watch::Receiver<u64> {
        self.core.sweeps.subscribe()
    }

    /// Moves each time a lead is written through this service (in this
    /// process): a watcher re-reads what it shows. Changes coalesce, so a
    /// burst of writes costs a watcher one read; ends with [`Leads::close`].
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.core.changes.subscribe()
    }

    /// Turns true when the service closes (a server stopping): long-lived
    /// watchers end then.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.core.closed.subscribe()
    }

    /// Offers a lead to an agency; see [`Leads::offer_reporting`].
    pub async fn offer(&self, draft: LeadDraft) -> Result<Lead, LeadsError> {
        self.offer_reporting(draft).await.map(|(lead, _)| lead)
    }

    /// Offers a lead to an agency and reports whether it is new. The id
    /// comes from need × offer: offering a pair again returns the existing
    /// lead unchanged and never delivers it again.
    pub async fn offer_reporting(&self, draft: LeadDraft) -> Result<(Lead, bool), LeadsError> {
        let violations = draft.violations();
        if !violations.is_empty() {
            return Err(violations.into());
        }
        let now = self.core.clock.now_ms();
        let deadline_ms =
            i64::try_from(self.core.settings.response_deadline_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let lead = Lead {
            id: draft_lead_id(&draft),
            agency_organization_id: draft.agency_organization_id,
            offer_id: draft.offer_id,
            need_id: draft.need_id,
            need_organization_id: draft.need_organization_id,
            need_title: draft.need_title.trim().to_owned(),
            need_summary: draft.need_summary,
            category: draft.category,
            score: draft.score,
            reasons: draft.reasons,
            status: LeadStatus::New,
            created_at_ms: now,
            respond_by_ms: now.saturating_add(deadline_ms),
            decline_reason: None,
            note: String::new(),
            history: Vec::new(),
            acked_at_ms: None,
            delivery_attempts: 0,
            passed_on: false,
            replaces_lead_id: draft.replaces_lead_id,
            policy_id: draft.policy_id,
            version: 0,
        };
        let agency = lead.agency_organization_id.clone();
        let (stored, created) = self.core.store.insert_if_absent(lead).await?;
        if stored.agency_organization_id != agency {
            return Err(LeadsError::FailedPrecondition(format!(
                "lead {} for this need and offer belongs to another agency; an offer has one agency",
                stored.id
            )));
        }
        if created {
            tracing::info!(lead_id = %stored.id, agency = %agency, need_id = %stored.need_id, "lead offered");
            self.core.delivery.stored(&stored);
            if let Some(observer) = self.core.observer.get() {
                observer.lead_offered(&stored);
            }
            self.core.changes.send_modify(|n| *n += 1);
        }
        // Marked after the new lead is stored: a crash in between offers the
        // same (deterministic) lead again, never a second one.
        if !stored.replaces_lead_id.is_empty() {
            self.mark_passed_on(&stored.replaces_lead_id).await?;
        }
        Ok((stored, created))
    }

    /// Closes every lead of a need that is not final yet: the need was
    /// fulfilled, withdrawn, expired or archived. Returns how many closed now;
    /// repeating it closes nothing more.
    pub async fn close_for_need(&self, need_id: &str, note: &str) -> Result<usize, LeadsError> {
        let mut closed = 0;
        for lead in self.core.store.for_need(need_id).await? {
            if lead.status.is_final() {
                continue;
            }
            let mut moved = false;
            self.core
                .modify(&lead.id, None, |lead, now| {
                    moved = lifecycle::apply(lead, Event::CloseWithNeed, SYSTEM_ACTOR, now, note).is_ok();
                    Ok(moved)
                })
                .await?;
            if moved {
                closed += 1;
            }
        }
        if closed > 0 {
            tracing::info!(need_id, closed, "leads closed with their need");
        }
        Ok(closed)
    }

    /// Every lead made for one need, any agency, oldest first.
    pub async fn leads_of_need(&self, need_id: &str) -> Result<Vec<Lead>, LeadsError> {
        Ok(self.core.store.for_need(need_id).await?)
    }

    /// Declined or expired leads whose need is still to pass to the next
    /// fitting agency, oldest first.
    pub async fn awaiting_pass_on(&self, limit: u32) -> Result<Vec<Lead>, LeadsError> {
        Ok(self.core.store.awaiting_pass_on(limit).await?)
    }

    /// Records that a declined or expired lead was passed on (or that no
    /// other agency fits): it is not passed on again.
    pub async fn mark_passed_on(&self, id: &str) -> Result<Lead, LeadsError> {
        self.core
            .modify(id, None, |lead, _| {
                if lead.passed_on {
                    return Ok(false);
                }
                lead.passed_on = true;
                Ok(true)
            })
            .await
    }

    /// One of the principal's leads.
    pub async fn get(&self, principal: &Principal, id: &str) -> Result<Lead, LeadsError> {
        let agency = agency_of(principal)?;
        self.core.own(&agency, id).await
    }

    /// Streams the agency's deliverable leads: first those it has not
    /// acknowledged yet, then new ones as they are offered. Each delivery
    /// counts an attempt; a lead comes once per subscription.
    pub async fn subscribe(&self, principal: &Principal) -> Result<DeliveryStream, LeadsError> {
        let agency = agency_of(principal)?;
        let closed = self.core.closed.subscribe();
        if *closed.borrow() {
            return Err(LeadsError::ShuttingDown);
        }
        let candidates = self.core.delivery.subscribe(&agency, &principal.token_id).await?;
        tracing::info!(agency = %agency, token_id = %principal.token_id, "lead subscription opened");
        let subscription =
            Subscription { core: Arc::clone(&self.core), agency, candidates, sent: HashSet::new(), closed };
        Ok(Box::pin(stream::unfold(subscription, Subscription::next)))
    }

    /// Acknowledges receipt: the lead is not redelivered. Repeating it is harmless.
    pub async fn ack(&self, principal: &Principal, id: &str) -> Result<Lead, LeadsError> {
        let agency = agency_of(principal)?;
        let actor = principal.token_id.clone();
        self.core.modify(id, Some(&agency), |lead, now| Ok(lifecycle::acknowledge(lead, &actor, now))).await
    }

    /// Accepts or declines a lead that awaits an answer. After the deadline
    /// the lead expires instead and the answer is refused.
    pub async fn respond(&self, principal: &Principal, id: &str, response: Response) -> Result<Lead, LeadsError> {
        let agency = agency_of(principal)?;
        let (event, note) = match &response {
            Response::Accept { note } => (Event::Accept, note.as_str()),
            Response::Decline { reason, note } => (Event::Decline(*reason), note.as_str()),
        };
        let mut violations = Violations::new();
        check_note(&mut violations, note);
        if matches!(response, Response::Decline { reason: crate::model::DeclineReason::Other, .. })
            && note.trim().is_empty()
        {
            violations.add("note", "say why when the decline reason is OTHER");
        }
        if !violations.is_empty() {
            return Err(violations.into());
        }
        let actor = principal.token_id.clone();
        let mut deadline_passed = false;
        let result = self
            .core
            .modify(id, Some(&agency), |lead, now| match lifecycle::apply(lead, event, &actor, now, note) {
                Ok(()) => Ok(true),
                Err(TransitionError::DeadlinePassed) => {
                    deadline_passed = true;
                    Err(TransitionError::DeadlinePassed.into())
                }
                Err(e) => Err(e.into()),
            })
            .await;
        if deadline_passed {
            // Record the expiry now rather than at the next sweep, so the
            // lead reads EXPIRED right after the refused answer.
            self.core.expire(id).await?;
        }
        if let (Ok(lead), Some(observer)) = (&result, self.core.observer.get()) {
            observer.lead_answered(lead);
        }
        result
    }

    /// Records what became of an accepted lead: contacted, then won or lost.
    pub async fn update_outcome(
        &self,
        principal: &Principal,
        id: &str,
        outcome: Outcome,
        note: &str,
    ) -> Result<Lead, LeadsError> {
        let agency = agency_of(principal)?;
        let mut violations = Violations::new();
        check_note(&mut violations, note);
        if !violations.is_empty() {
            return Err(violations.into());
        }
        let event = match outcome {
            Outcome::Contacted => Event::Contact,
            Outcome::Won => Event::Win,
            Outcome::Lost => Event::Lose,
        };
        let actor = principal.token_id.clone();
        self.core
            .modify(id, Some(&agency), |lead, now| {
                lifecycle::apply(lead, event, &actor, now, note)?;
                Ok(true)
            })
            .await
    }

    /// The agency's leads, newest first.
    pub async fn list(&self, principal: &Principal, filter: ListFilter) -> Result<LeadPage, LeadsError> {
        let agency = agency_of(principal)?;
        let before_cursor = decode_page_token(&filter.page_token)?;
        let limit = PagePolicy::LISTS.clamp(filter.page_size);
        let page = self
            .core
            .store
            .list(&LeadQuery {
                agency_organization_id: agency,
                statuses: filter.statuses,
                category: filter.category,
                before_cursor,
                limit,
            })
            .await?;
        Ok(LeadPage { leads: page.leads, next_page_token: page.next_cursor.map(encode_page_token).unwrap_or_default() })
    }

    /// The agency's leads (optionally of some statuses) as a CSV or XLSX file
    /// with bilingual headers, for the agency's and the city bureau's books.
    pub async fn export(
        &self,
        principal: &Principal,
        format: ExportFormat,
        statuses: Vec<LeadStatus>,
    ) -> Result<ExportFile, LeadsError> {
        let agency = agency_of(principal)?;
        let mut leads = Vec::new();
        let mut before_cursor = None;
        loop {
            let page = self
                .core
                .store
                .list(&LeadQuery {
                    agency_organization_id: agency.clone(),
                    statuses: statuses.clone(),
                    category: None,
                    before_cursor,
                    limit: SCAN_BATCH,
                })
                .await?;
            leads.extend(page.leads);
            if leads.len() > EXPORT_MAX_ROWS {
                return Err(LeadsError::FailedPrecondition(format!(
                    "more than {EXPORT_MAX_ROWS} leads to export; filter by status"
                )));
            }
            match page.next_cursor {
                Some(cursor) => before_cursor = Some(cursor),
                None => break,
            }
        }
        let bytes = match format {
            ExportFormat::Csv => export::csv(&leads),
            ExportFormat::Xlsx => export::xlsx(&leads),
        }
        .map_err(LeadsError::Export)?;
        let date = export::shanghai_date(self.core.clock.now_ms()).replace('-', "");
        Ok(ExportFile { file_name: format!("leads-{agency}-{date}.{}", format.extension()), bytes })
    }

    /// Expires every unanswered lead whose deadline passed; returns how many.
    /// The sweeper calls this periodically.
    pub async fn expire_due(&self) -> Result<usize, LeadsError> {
        self.core.expire_due().await
    }

    /// How many leads are in each status, over all agencies.
    pub async fn status_counts(&self) -> Result<Vec<(LeadStatus, u64)>, LeadsError> {
        Ok(self.core.store.count_by_status().await?)
    }

    /// Open, unacknowledged leads per agency.
    pub async fn backlog_by_agency(&self) -> Result<Vec<(String, u64)>, LeadsError> {
        Ok(self.core.store.backlog_by_agency().await?)
    }

    /// Leads delivered to the agency and not acknowledged, as the delivery
    /// backend counts them (Redis: XPENDING of the agency's stream).
    pub async fn pending(&self, agency_organization_id: &str) -> Result<u64, LeadsError> {
        Ok(self.core.delivery.pending(agency_organization_id).await?)
    }
}

impl Core {
    async fn own(&self, agency: &str, id: &str) -> Result<Lead, LeadsError> {
        self.store
            .get(id)
            .await?
            .filter(|lead| lead.agency_organization_id == agency)
            .ok_or_else(|| LeadsError::NotFound(id.to_owned()))
    }

    /// Read, change, write with a version check, retried on conflicts.
    /// `change` returns false when there is nothing to write. When the lead
    /// stops being open (acknowledged, answered, expired) the delivery
    /// backend is told, so it stops redelivering.
    async fn modify(
        &self,
        id: &str,
        agency: Option<&str>,
        mut change: impl FnMut(&mut Lead, i64) -> Result<bool, LeadsError>,
    ) -> Result<Lead, LeadsError> {
        let mut last_conflict = None;
        for _ in 0..WRITE_ATTEMPTS {
            let current = match agency {
                Some(agency) => self.own(agency, id).await?,
                None => self.store.get(id).await?.ok_or_else(|| LeadsError::NotFound(id.to_owned()))?,
            };
            let mut next = current.clone();
            if !change(&mut next, self.clock.now_ms())? {
                return Ok(current);
            }
            match self.store.update(next).await {
                Ok(saved) => {
                    if current.is_open() && !saved.is_open() {
                        self.delivery.settle(&saved).await;
                    }
                    self.changes.send_modify(|n| *n += 1);
                    return Ok(saved);
                }
                Err(conflict @ StoreError::VersionConflict { .. }) => last_conflict = Some(conflict),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last_conflict.unwrap_or(StoreError::VersionConflict { actual: 0 }).into())
    }

    /// Counts a delivery of the lead to the agency: `None` when it must not
    /// be delivered (not the agency's, or no longer open).
    async fn record_delivery(&self, agency: &str, id: &str) -> Result<Option<Delivery>, LeadsError> {
        let mut deliverable = true;
        let result = self
            .modify(id, Some(agency), |lead, now| {
                deliverable = lead.is_deliverable(now);
                if !deliverable {
                    return Ok(false);
                }
                if lead.status == LeadStatus::New {
                    lifecycle::apply(lead, Event::Deliver, SYSTEM_ACTOR, now, "")?;
                }
                lead.delivery_attempts = lead.delivery_attempts.saturating_add(1);
                Ok(true)
            })
            .await;
        match result {
            Ok(lead) if deliverable => Ok(Some(Delivery { attempt: lead.delivery_attempts, lead })),
            Ok(lead) => {
                // Answered or expired meanwhile: make sure the backend lets go of it.
                self.delivery.settle(&lead).await;
                Ok(None)
            }
            Err(LeadsError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Expires one lead if it is due; returns whether it expired now.
    async fn expire(&self, id: &str) -> Result<bool, LeadsError> {
        let mut expired = false;
        self.modify(id, None, |lead, now| {
            // Not due, or answered meanwhile: nothing to do.
            expired = lifecycle::apply(lead, Event::Expire, SYSTEM_ACTOR, now, "").is_ok();
            Ok(expired)
        })
        .await?;
        Ok(expired)
    }

    async fn expire_due(&self) -> Result<usize, LeadsError> {
        let mut total = 0;
        loop {
            let due = self.store.due_for_expiry(self.clock.now_ms(), SCAN_BATCH).await?;
            let batch = due.len();
            let mut expired = 0;
            for lead in due {
                if self.expire(&lead.id).await? {
                    tracing::debug!(lead_id = %lead.id, agency = %lead.agency_organization_id, "lead expired");
                    expired += 1;
                }
            }
            total += expired;
            // Stop on a short batch, or when a batch made no progress (the
            // clock stepped back): never spin on leads that cannot expire.
            if batch < SCAN_BATCH as usize || expired == 0 {
                return Ok(total);
            }
        }
    }
}

/// One open subscription: candidates from the backend, filtered and counted.
struct Subscription {
    core: Arc<Core>,
    agency: String,
    candidates: Candidates,
    /// Leads already sent on this subscription: a backend may offer one
    /// twice (a reclaimed or duplicate entry); the agency sees it once.
    sent: HashSet<String>,
    closed: watch::Receiver<bool>,
}

impl Subscription {
    async fn next(mut self) -> Option<(Result<Delivery, LeadsError>, Self)> {
        loop {
            let id = tokio::select! {
                biased;
                _ = self.closed.wait_for(|closed| *closed) => return None,
                id = self.candidates.next() => id?,
            };
            if self.sent.contains(&id) {
                continue;
            }
            match self.core.record_delivery(&self.agency, &id).await {
                Ok(Some(delivery)) => {
                    self.sent.insert(id);
                    return Some((Ok(delivery), self));
                }
                Ok(None) => continue,
                Err(error) => return Some((Err(error), self)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    use super::*;

    #[test]
    fn page_tokens_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(decode_page_token(&encode_page_token(42)).ok(), Some(Some(42)));
        assert_eq!(decode_page_token("").ok(), Some(None));
        assert!(matches!(decode_page_token("bm90LWEtdG9rZW4"), Err(LeadsError::Invalid(_))));
        assert!(matches!(decode_page_token(&URL_SAFE_NO_PAD.encode("l1:-5")), Err(LeadsError::Invalid(_))));
    }

    #[test]
    fn only_agencies_and_bound_admins_have_leads() {
        let p = |role, org: Option<&str>| Principal {
            token_id: "tok".into(),
            organization_id: org.map(str::to_owned),
            role,
        };
        assert_eq!(agency_of(&p(Role::Agency, Some("org_a"))).ok().as_deref(), Some("org_a"));
        assert_eq!(agency_of(&p(Role::Admin, Some("org_a"))).ok().as_deref(), Some("org_a"));
        assert!(matches!(agency_of(&p(Role::Admin, None)), Err(LeadsError::PermissionDenied(_))));
        assert!(matches!(agency_of(&p(Role::Member, Some("org_m"))), Err(LeadsError::PermissionDenied(_))));
    }
}
