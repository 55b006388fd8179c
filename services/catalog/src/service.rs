//! The catalog's domain API: ownership and visibility rules, optimistic
//! concurrency, list paging and the change feed. No transport types here; the
//! gRPC adapter in `grpc` converts and calls these methods.

use std::{collections::HashMap, sync::Arc};

use futures::Stream;
use innomatch_core::{
    auth::{Principal, generate_token},
    edge::{PagePolicy, PageTokens},
    model::*,
    tag::Tag,
    validation::Violations,
};

use crate::{
    error::CatalogError,
    store::{Change, ListQuery, PrivateNeeds, RecordStore, StoreError, TokenRecord},
    tokens::TokenRegistry,
};

/// How many changes one store read fetches while replaying the feed.
const CHANGE_BATCH: usize = 256;
/// … and for a client's (paced) feed: short reads hold the store briefly.
const PACED_CHANGE_BATCH: usize = 64;
/// The feeds of one token together deliver at most this many events a
/// second once their burst is spent, so replays from 0 (however many streams
/// the token opens) cannot take the store and the CPU from live calls;
/// admins (operators, the services' own followers) are not paced.
const FEED_EVENTS_PER_SECOND: f64 = 1_000.0;
/// Events a token's feeds may deliver at once before pacing starts.
const FEED_BURST: f64 = 1_024.0;
/// How often a change-feed subscriber re-reads the store without a wake-up.
const CROSS_PROCESS_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Filters of a list call, already validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    pub organization_id: Option<String>,
    pub tags: Vec<Tag>,
    pub status: Option<RecordStatus>,
    pub include_archived: bool,
    pub page_size: u32,
    pub page_token: String,
}

/// One page of records and the token of the next page (empty at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub records: Vec<Record>,
    pub next_page_token: String,
}

/// One change as a subscriber of the feed may see it today.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedEvent {
    /// The change with the record as committed, redacted by today's visibility.
    Change(Box<Change>),
    /// A change to a need the subscriber may no longer see (it is PRIVATE
    /// now): where it was in the feed, without its content.
    Withheld { sequence: i64, operation: ChangeOperation, committed_at_ms: i64, kind: RecordKind, record_id: String },
}

/// A newly issued API token; `secret` is shown to the user once.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token_id: String,
    pub secret: String,
}

#[derive(Clone)]
pub struct Catalog {
    pub(crate) store: Arc<dyn RecordStore>,
    tokens: Arc<TokenRegistry>,
    /// One client change-log read at a time in the whole process: live
    /// calls wait behind at most one replay read, never behind a queue of them.
    replay_gate: Arc<tokio::sync::Semaphore>,
    /// The pace of each token's feeds, shared by all of that token's streams.
    feed_paces: Arc<std::sync::Mutex<HashMap<String, Arc<std::sync::Mutex<FeedPace>>>>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").finish_non_exhaustive()
    }
}

pub(crate) fn new_id(kind: RecordKind) -> String {
    let prefix = match kind {
        RecordKind::Organization => "org",
        RecordKind::Need => "need",
        RecordKind::Capability => "cap",
        RecordKind::ServiceOffer => "offer",
        RecordKind::Policy => "pol",
    };
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

pub(crate) fn describe(kind: RecordKind, id: &str) -> String {
    format!("{kind} {id}")
}

/// A member or agency acts for an organization; an admin may act for none.
pub(crate) fn role_binding_violations(v: &mut Violations, organization_id: Option<&str>, role: Role) {
    match (organization_id, role) {
        (None, Role::Member | Role::Agency) => {
            v.add("organization_id", "a member or agency token acts for an organization")
        }
        (Some(id), _) => v.id("organization_id", id),
        (None, Role::Admin) => {}
    }
}

/// Page tokens are opaque to clients: a version tag and the store cursor.
const PAGE_TOKENS: PageTokens = PageTokens::new("p1");

impl Catalog {
    pub fn new(store: Arc<dyn RecordStore>, tokens: Arc<TokenRegistry>) -> Self {
        Self { store, tokens, replay_gate: Arc::new(tokio::sync::Semaphore::new(1)), feed_paces: Arc::default() }
    }

    /// The shared pace of `principal`'s feeds; `None` for admins, who are not paced.
    fn feed_pace(&self, principal: &Principal) -> Option<Arc<std::sync::Mutex<FeedPace>>> {
        if principal.is_admin() {
            return None;
        }
        let mut paces = self.feed_paces.lock().ok()?;
        let pace = paces
            .entry(principal.token_id.clone())
            .or_insert_with(|| Arc::new(std::sync::Mutex::new(FeedPace::new(FEED_EVENTS_PER_SECOND, FEED_BURST))));
        Some(Arc::clone(pace))
    }

    /// The newest committed change-feed sequence, updated after every commit.
    pub fn sequence(&self) -> tokio::sync::watch::Receiver<i64> {
        self.store.sequence()
    }

    /// Active service offers of one category, oldest first, at most `limit`:
    /// what the matcher proposes from. Offers are public, so no principal.
    pub async fn offers_in_category(
        &self,
        category: ServiceCategory,
        limit: u32,
    ) -> Result<Vec<ServiceOffer>, CatalogError> {
        let query = ListQuery {
            kind: RecordKind::ServiceOffer,
            organization_id: None,
            tags: vec![Tag::Category(category)],
            status: Some(RecordStatus::Active),
            include_archived: false,
            // Only needs can be private or anonymous.
            private_needs: PrivateNeeds::All,
            hide_anonymous: false,
            after_cursor: 0,
            limit,
        };
        let page = self.store.list(&query).await?;
        Ok(page
            .records
            .into_iter()
            .filter_map(|record| match record {
                Record::Offer(offer) => Some(offer),
                _ => None,
            })
            .collect())
    }

    /// How many active records of a kind carry every tag: aggregate figures
    /// (the plan's targets), which reveal no record, so no principal.
    pub async fn count(&self, kind: RecordKind, tags: &[Tag]) -> Result<u64, CatalogError> {
        Ok(self.store.count_tagged(kind, tags).await?)
    }

    /// How many active organizations carry every tag and hold `qualification`
    /// with a certificate valid at `at_ms`: the plan's figures, in which a
    /// lapsed or not yet valid certificate does not count. Certificates come
    /// only from admins, so nothing self-declared is counted.
    pub async fn count_qualified(
        &self,
        tags: &[Tag],
        qualification: Qualification,
        at_ms: i64,
    ) -> Result<u64, CatalogError> {
        let mut tags = tags.to_vec();
        tags.push(Tag::Qualification(qualification));
        let mut query = ListQuery {
            kind: RecordKind::Organization,
            organization_id: None,
            tags,
            status: Some(RecordStatus::Active),
            include_archived: false,
            private_needs: PrivateNeeds::All,
            hide_anonymous: false,
            after_cursor: 0,
            limit: 500,
        };
        let mut total = 0;
        loop {
            let page = self.store.list(&query).await?;
            total += page
                .records
                .iter()
                .filter(|r| matches!(r, Record::Organization(org) if org.is_qualified(qualification, at_ms)))
                .count() as u64;
            match page.next_cursor {
                Some(cursor) => query.after_cursor = cursor,
                None => return Ok(total),
            }
        }
    }

    /// How many active records of a kind carry every tag, as `principal` may
    /// count them: other tenants' private needs are left out for everyone but
    /// an admin, as in lists and search facets, so no figure reveals them.
    pub async fn count_visible(
        &self,
        principal: &Principal,
        kind: RecordKind,
        tags: &[Tag],
    ) -> Result<u64, CatalogError> {
        Ok(self.store.count_visible(kind, tags, &private_needs_of(principal)).await?)
    }

    /// True when no organization was ever registered (archived ones count):
    /// the only state the sample catalog may be loaded into.
    pub async fn is_empty(&self) -> Result<bool, CatalogError> {
        Ok(self.store.count(RecordKind::Organization).await? == 0)
    }

    /// Creates a record owned by `requested_owner` (or, when empty, by the
    /// caller's organization). Only an admin may create for another organization.
    pub async fn create(
        &self,
        principal: &Principal,
        record: Record,
        requested_owner: &str,
    ) -> Result<Record, CatalogError> {
        let change = self.insert(principal, record, requested_owner, false).await?;
        tracing::info!(kind = %change.record.kind(), id = %change.record.meta().id, sequence = change.sequence, "record created");
        Ok(change.record)
    }

    /// Registers an organization (admins only). Its credit code must be no
    /// other organization's; its normalized name may be another's only when
    /// `allow_duplicate_name` says the caller knows.
    pub async fn create_organization(
        &self,
        principal: &Principal,
        organization: Organization,
        allow_duplicate_name: bool,
    ) -> Result<Record, CatalogError> {
        let change = self.insert(principal, Record::Organization(organization), "", allow_duplicate_name).await?;
        tracing::info!(id = %change.record.meta().id, sequence = change.sequence, "organization registered");
        Ok(change.record)
    }

    /// [`Self::create`] for one row of a bulk load (the sample catalog): the
    /// same rules, but the record is logged at DEBUG; the load reports once.
    pub async fn create_in_bulk(
        &self,
        principal: &Principal,
        record: Record,
        requested_owner: &str,
    ) -> Result<Record, CatalogError> {
        let change = self.insert(principal, record, requested_owner, false).await?;
        tracing::debug!(kind = %change.record.kind(), id = %change.record.meta().id, sequence = change.sequence, "record created");
        Ok(change.record)
    }

    async fn insert(
        &self,
        principal: &Principal,
        mut record: Record,
        requested_owner: &str,
        allow_duplicate_name: bool,
    ) -> Result<Change, CatalogError> {
        let kind = record.kind();
        let id = new_id(kind);
        let owner = if let Record::Organization(organization) = &record {
            if !principal.is_admin() {
                return Err(CatalogError::PermissionDenied("only an admin can register organizations".into()));
            }
            if !allow_duplicate_name && let Some(existing) = self.same_name(&organization.name, None).await? {
                return Err(CatalogError::AlreadyExists(format!(
                    "organization {} is already registered as {:?}; register another of the same name only on purpose (allow_duplicate_name)",
                    existing.meta.id, existing.name
                )));
            }
            id.clone()
        } else if let Record::Policy(_) = &record {
            if !principal.is_admin() {
                return Err(CatalogError::PermissionDenied("only an admin (the bureau) can publish policies".into()));
            }
            if !requested_owner.is_empty() {
                return Err(
                    Violations::single("policy.meta.organization_id", "a policy belongs to no organization").into()
                );
            }
            String::new()
        } else {
            let owner = match (requested_owner, principal.organization_id.as_deref()) {
                ("", Some(own)) => own.to_owned(),
                ("", None) => {
                    return Err(Violations::single(
                        format!("{kind}.meta.organization_id"),
                        "an admin token acts for no organization: name the owner",
                    )
                    .into());
                }
                (requested, _) => requested.to_owned(),
            };
            if !principal.acts_for(&owner) {
                return Err(CatalogError::PermissionDenied(
                    "the token may not create records for another organization".into(),
                ));
            }
            let organization = self.active_organization(&owner).await?;
            check_owner_kind(&record, organization.kind())?;
            inherit_region(&mut record, &organization.region_code);
            if let Record::Need(need) = &mut record {
                check_deadline(need, None)?;
                need.lifecycle = Some(NeedStatus::Open);
            }
            owner
        };
        let meta = record.meta_mut();
        meta.id = id;
        meta.organization_id = owner;
        meta.status = Some(RecordStatus::Active);
        Ok(self.store.insert(record).await?)
    }

    /// Replaces the record's content if `expected_version` is still current.
    pub async fn update(
        &self,
        principal: &Principal,
        id: &str,
        mut record: Record,
        expected_version: i64,
        requested_owner: &str,
    ) -> Result<Record, CatalogError> {
        let kind = record.kind();
        if expected_version <= 0 {
            return Err(Violations::single("expected_version", "must be the version you read (1 or more)").into());
        }
        let current = self.writable(principal, kind, id).await?;
        if !requested_owner.is_empty() && requested_owner != current.meta().organization_id {
            return Err(CatalogError::PermissionDenied("a record's owner cannot be changed".into()));
        }
        if current.meta().status() == RecordStatus::Archived {
            return Err(CatalogError::FailedPrecondition(format!("{} is archived", describe(kind, id))));
        }
        if let (Record::Organization(sent), Record::Organization(stored)) = (&record, &current) {
            if !principal.is_admin() && sent.qualification_certificates != stored.qualification_certificates {
                return Err(CatalogError::PermissionDenied(
                    "qualifications are verified by an admin: send qualification_certificates back unchanged".into(),
                ));
            }
            if !principal.is_admin() && sent.relocated_into_city_ms != stored.relocated_into_city_ms {
                return Err(CatalogError::PermissionDenied(
                    "a move into the city is verified by an admin: send relocated_into_city back unchanged".into(),
                ));
            }
        } else if let Record::Policy(_) = &record {
            if !principal.is_admin() {
                return Err(CatalogError::PermissionDenied("only an admin (the bureau) can change policies".into()));
            }
        } else {
            let organization = self.active_organization(&current.meta().organization_id).await?;
            inherit_region(&mut record, &organization.region_code);
        }
        if let (Record::Need(sent), Record::Need(stored)) = (&mut record, &current) {
            let status = stored.need_status();
            if status.is_closed() {
                return Err(CatalogError::FailedPrecondition(format!(
                    "need {id} is {status} ({}): closed needs do not change; post a new one",
                    status.label_zh()
                )));
            }
            check_deadline(sent, stored.deadline_ms)?;
            sent.lifecycle = Some(status);
        }
        let meta = record.meta_mut();
        meta.id = id.to_owned();
        meta.organization_id = current.meta().organization_id.clone();
        meta.status = current.meta().status;
        let change = self
            .store
            .update(record, Some(expected_version), ChangeOperation::Updated)
            .await
            .map_err(|e| conflict(e, kind, id, expected_version))?;
        tracing::info!(kind = %kind, id, version = change.record.meta().version, sequence = change.sequence, "record updated");
        Ok(change.record)
    }

    /// Moves a need along its lifecycle (owner's members or an admin):
    /// open ⇄ in talks → fulfilled or withdrawn. Closed needs do not move;
    /// moving to the current status changes nothing.
    pub async fn set_need_status(
        &self,
        principal: &Principal,
        id: &str,
        status: NeedStatus,
        expected_version: i64,
    ) -> Result<Record, CatalogError> {
        let record = self.writable(principal, RecordKind::Need, id).await?;
        self.move_need(record, status, expected_version).await
    }

    async fn move_need(
        &self,
        mut record: Record,
        status: NeedStatus,
        expected_version: i64,
    ) -> Result<Record, CatalogError> {
        let id = record.meta().id.clone();
        if record.meta().status() == RecordStatus::Archived {
            return Err(CatalogError::FailedPrecondition(format!("need {id} is archived")));
        }
        let Record::Need(need) = &mut record else {
            return Err(CatalogError::NotFound(describe(RecordKind::Need, &id)));
        };
        let current = need.need_status();
        if current == status {
            return Ok(record);
        }
        if current.is_closed() {
            return Err(CatalogError::FailedPrecondition(format!(
                "need {id} is {current} ({}): closed needs do not reopen; post a new one",
                current.label_zh()
            )));
        }
        need.lifecycle = Some(status);
        need.meta.status = Some(status.record_status());
        let expected = (expected_version > 0).then_some(expected_version);
        let change = self
            .store
            .update(record, expected, ChangeOperation::Updated)
            .await
            .map_err(|e| conflict(e, RecordKind::Need, &id, expected_version))?;
        tracing::info!(need_id = %id, from = %current, to = %status, sequence = change.sequence, "need moved");
        if status.is_closed() {
            self.close_interests(&id).await;
        }
        Ok(change.record)
    }

    /// Expires every open or in-talks need whose deadline is before `now_ms`
    /// and returns how many it expired. Run periodically by the server; the
    /// expired needs leave search and matching, and their leads close, as the
    /// change feed carries the move to its followers.
    pub async fn expire_overdue_needs(&self, now_ms: i64) -> Result<usize, CatalogError> {
        let mut overdue = Vec::new();
        for status in [NeedStatus::Open, NeedStatus::InTalks] {
            let mut query = ListQuery {
                kind: RecordKind::Need,
                organization_id: None,
                tags: vec![Tag::NeedStatus(status)],
                status: Some(RecordStatus::Active),
                include_archived: false,
                private_needs: PrivateNeeds::All,
                hide_anonymous: false,
                after_cursor: 0,
                limit: 500,
            };
            loop {
                let page = self.store.list(&query).await?;
                overdue.extend(page.records.into_iter().filter(
                    |r| matches!(r, Record::Need(n) if n.deadline_ms.is_some_and(|deadline| deadline < now_ms)),
                ));
                match page.next_cursor {
                    Some(cursor) => query.after_cursor = cursor,
                    None => break,
                }
            }
        }
        let mut expired = 0;
        for record in overdue {
            let version = record.meta().version;
            match self.move_need(record, NeedStatus::Expired, version).await {
                Ok(_) => expired += 1,
                // Changed meanwhile (moved or updated): the next sweep looks again.
                Err(CatalogError::VersionConflict { .. } | CatalogError::FailedPrecondition(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(expired)
    }

    /// Archives a record; `expected_version` 0 archives whatever the version.
    pub async fn archive(
        &self,
        principal: &Principal,
        kind: RecordKind,
        id: &str,
        expected_version: i64,
    ) -> Result<Record, CatalogError> {
        let mut record = self.writable(principal, kind, id).await?;
        if record.meta().status() == RecordStatus::Archived {
            return Ok(record);
        }
        record.meta_mut().status = Some(RecordStatus::Archived);
        let expected = (expected_version > 0).then_some(expected_version);
        let change = self
            .store
            .update(record, expected, ChangeOperation::Archived)
            .await
            .map_err(|e| conflict(e, kind, id, expected_version))?;
        tracing::info!(kind = %kind, id, sequence = change.sequence, "record archived");
        if kind == RecordKind::Need {
            self.close_interests(id).await;
        }
        if kind == RecordKind::Organization {
            self.tokens.archive_organization(id);
        }
        Ok(change.record)
    }

    /// Expires the pending interests of a need that just closed. The need's
    /// move stands even if this fails: the expiry sweep catches up.
    async fn close_interests(&self, need_id: &str) {
        match self.expire_interests_of_need(need_id).await {
            Ok(0) => {}
            Ok(expired) => tracing::info!(need_id, expired, "interests of a closed need expired"),
            Err(error) => tracing::warn!(need_id, %error, "expiring the interests of a closed need failed"),
        }
    }

    /// A record as the caller may see it; NOT_FOUND when missing or hidden.
    /// What the principal's redaction hides (an anonymous need's owner, an
    /// organization's contacts), an approved interest discloses.
    pub async fn get(&self, principal: &Principal, kind: RecordKind, id: &str) -> Result<Record, CatalogError> {
        let record = self.visible(principal, kind, id).await?;
        if self.disclosed_to(principal, &record).await? {
            return Ok(record);
        }
        principal.redact(record).ok_or_else(|| CatalogError::NotFound(describe(kind, id)))
    }

    pub async fn list(
        &self,
        principal: &Principal,
        kind: RecordKind,
        filter: ListFilter,
    ) -> Result<Page, CatalogError> {
        let after_cursor = PAGE_TOKENS.decode(&filter.page_token)?.unwrap_or(0) as i64;
        let private_needs = private_needs_of(principal);
        let hide_anonymous = filter.organization_id.as_deref().is_some_and(|org| !principal.acts_for(org));
        let query = ListQuery {
            kind,
            hide_anonymous,
            organization_id: filter.organization_id,
            tags: filter.tags,
            status: filter.status,
            include_archived: filter.include_archived,
            private_needs,
            after_cursor,
            limit: PagePolicy::LISTS.clamp(filter.page_size),
        };
        let page = self.store.list(&query).await?;
        Ok(Page {
            records: page.records.into_iter().filter_map(|r| principal.redact(r)).collect(),
            next_page_token: page.next_cursor.map(|cursor| PAGE_TOKENS.encode(cursor as u64)).unwrap_or_default(),
        })
    }

    /// Every change after `after_sequence` that the caller may see, then new
    /// ones as they commit. The stream ends only on a storage error.
    /// Visibility is applied as it was at each commit: for followers acting
    /// for the system. Clients read [`Catalog::feed`], which also applies
    /// today's visibility.
    pub fn watch(
        &self,
        principal: Principal,
        after_sequence: i64,
        kinds: Vec<RecordKind>,
    ) -> impl Stream<Item = Result<Change, CatalogError>> + Send + 'static {
        self.watch_reading(principal, after_sequence, kinds, None)
    }

    /// [`Catalog::watch`], reading the change log through `replay` when given.
    fn watch_reading(
        &self,
        principal: Principal,
        after_sequence: i64,
        kinds: Vec<RecordKind>,
        replay: Option<ReplayReads>,
    ) -> impl Stream<Item = Result<Change, CatalogError>> + Send + 'static {
        let store = Arc::clone(&self.store);
        let mut latest = store.sequence();
        let mut committed = store.committed();
        async_stream(move |tx| async move {
            let mut cursor = after_sequence;
            // Delivers one change if the subscriber may see it; false when the subscriber went away.
            let deliver = |mut change: Change| {
                let tx = tx.clone();
                let kinds = &kinds;
                let principal = &principal;
                async move {
                    if !kinds.is_empty() && !kinds.contains(&change.record.kind()) {
                        return true;
                    }
                    let Some(visible) = principal.redact(change.record) else { return true };
                    change.record = visible;
                    tx.send(Ok(change)).await.is_ok()
                }
            };
            loop {
                // Mark the current value seen before reading, so a commit that
                // lands during the read still wakes the wait below.
                latest.borrow_and_update();
                let read = match &replay {
                    Some(replay) => replay.read(store.as_ref(), cursor).await,
                    None => store.changes_after(cursor, CHANGE_BATCH).await,
                };
                let full =
                    read.as_ref().is_ok_and(|batch| batch.len() == replay.as_ref().map_or(CHANGE_BATCH, |r| r.batch));
                let batch = match read {
                    Ok(batch) => batch,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                };
                for change in batch {
                    cursor = change.sequence;
                    if !deliver(change).await {
                        return; // the subscriber went away
                    }
                }
                if full {
                    continue;
                }
                // Caught up: take this process's commits as the store announces
                // them, without reading them back, for as long as they follow
                // on from the cursor; anything else (a gap, a lag, a commit of
                // another process) sends us back to the change log.
                loop {
                    let mut in_step = true;
                    loop {
                        match committed.try_recv() {
                            Ok(changes) => {
                                for change in changes.iter() {
                                    if change.sequence <= cursor {
                                        continue;
                                    }
                                    if change.sequence != cursor + 1 {
                                        in_step = false;
                                        break;
                                    }
                                    cursor = change.sequence;
                                    if !deliver(change.clone()).await {
                                        return;
                                    }
                                }
                            }
                            Err(tokio::sync::broadcast::error::TryRecvError::Empty) => break,
                            Err(_) => in_step = false,
                        }
                        if !in_step {
                            break;
                        }
                    }
                    if !in_step || *latest.borrow_and_update() > cursor {
                        break;
                    }
                    // Another process writing the same store does not wake us: look
                    // again after a while even without a notification.
                    match tokio::time::timeout(CROSS_PROCESS_POLL, latest.changed()).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => return, // the store was dropped: the server is stopping
                        Err(_) => break,
                    }
                }
            }
        })
    }

    /// The change feed as a client sees it: [`Catalog::watch`], with every
    /// past need event judged by the need's visibility *today* as well. A need
    /// that became PRIVATE comes as [`FeedEvent::Withheld`] (so a replay from 0
    /// cannot recover content its owner has since hidden), and one that became
    /// ANONYMOUS loses its owner. Admins get every change as committed.
    pub fn feed(
        &self,
        principal: Principal,
        after_sequence: i64,
        kinds: Vec<RecordKind>,
    ) -> impl Stream<Item = Result<FeedEvent, CatalogError>> + Send + 'static {
        use futures::StreamExt;
        let store = Arc::clone(&self.store);
        let admin = principal.is_admin();
        let pace = self.feed_pace(&principal);
        let replay = (!admin).then(|| ReplayReads { gate: Arc::clone(&self.replay_gate), batch: PACED_CHANGE_BATCH });
        self.watch_reading(principal.clone(), after_sequence, kinds, replay).then(move |item| {
            let store = Arc::clone(&store);
            let principal = principal.clone();
            let wait = pace.as_ref().and_then(|pace| pace.lock().ok()?.take(tokio::time::Instant::now()));
            async move {
                if let Some(wait) = wait {
                    tokio::time::sleep(wait).await;
                }
                let change = item?;
                if admin || change.record.kind() != RecordKind::Need {
                    return Ok(FeedEvent::Change(Box::new(change)));
                }
                let id = change.record.meta().id.clone();
                let today = store.get(RecordKind::Need, &id).await?;
                Ok(as_seen_today(&principal, change, today.as_ref()))
            }
        })
    }

    pub async fn issue_token(
        &self,
        principal: &Principal,
        organization_id: Option<String>,
        role: Role,
        label: String,
    ) -> Result<IssuedToken, CatalogError> {
        if !principal.is_admin() {
            return Err(CatalogError::PermissionDenied("only an admin can issue tokens".into()));
        }
        let mut v = Violations::new();
        v.text("label", &label, 200, false);
        role_binding_violations(&mut v, organization_id.as_deref(), role);
        v.into_result(())?;
        self.check_role_binding(organization_id.as_deref(), role).await?;
        Ok(self.issue_token_unchecked(organization_id, role, label).await?)
    }

    /// Whether a token or a user may act for `organization_id` in `role`
    /// (after [`role_binding_violations`]): the organization exists and is
    /// active, and agency roles belong to intermediary agencies.
    pub(crate) async fn check_role_binding(
        &self,
        organization_id: Option<&str>,
        role: Role,
    ) -> Result<(), CatalogError> {
        if let Some(id) = organization_id {
            let organization = self.active_organization(id).await?;
            if role == Role::Agency && organization.kind() != OrganizationKind::IntermediaryAgency {
                return Err(CatalogError::FailedPrecondition(format!(
                    "agency tokens are for intermediary agencies; {id} is a {}",
                    organization.kind()
                )));
            }
        }
        Ok(())
    }

    /// The record store, for the accounts kept beside the records.
    pub(crate) fn store(&self) -> &Arc<dyn RecordStore> {
        &self.store
    }

    /// Issues a token without an authorization check: for server bootstrap only.
    pub async fn issue_token_unchecked(
        &self,
        organization_id: Option<String>,
        role: Role,
        label: String,
    ) -> Result<IssuedToken, StoreError> {
        let new = generate_token();
        let record = TokenRecord {
            id: format!("tok_{}", uuid::Uuid::now_v7().simple()),
            hash: new.hash,
            organization_id,
            role,
            label,
            created_at_ms: now_ms(),
            revoked: false,
        };
        self.store.insert_token(record.clone()).await?;
        self.tokens.add(&record);
        tracing::info!(token_id = %record.id, role = %role, "api token issued");
        Ok(IssuedToken { token_id: record.id, secret: new.secret })
    }

    pub async fn revoke_token(&self, principal: &Principal, token_id: &str) -> Result<(), CatalogError> {
        if !principal.is_admin() {
            return Err(CatalogError::PermissionDenied("only an admin can revoke tokens".into()));
        }
        if !self.store.revoke_token(token_id).await? {
            return Err(CatalogError::NotFound(format!("token {token_id}")));
        }
        self.tokens.remove(token_id);
        tracing::info!(token_id, "api token revoked");
        Ok(())
    }

    pub async fn list_tokens(
        &self,
        principal: &Principal,
        organization_id: Option<&str>,
    ) -> Result<Vec<TokenRecord>, CatalogError> {
        if !principal.is_admin() {
            return Err(CatalogError::PermissionDenied("only an admin can list tokens".into()));
        }
        Ok(self.store.list_tokens(organization_id).await?)
    }

    /// Admin only: the active tokens' digests and the archived organizations,
    /// for replicas that authenticate callers without the store.
    pub fn auth_snapshot(&self, principal: &Principal) -> Result<crate::tokens::AuthSnapshot, CatalogError> {
        if !principal.is_admin() {
            return Err(CatalogError::PermissionDenied("only an admin can read the token digests".into()));
        }
        Ok(self.tokens.snapshot())
    }

    /// True when any admin token exists in the store.
    pub async fn has_admin_token(&self) -> Result<bool, StoreError> {
        Ok(self.store.list_tokens(None).await?.iter().any(|t| t.role == Role::Admin && !t.revoked))
    }

    /// The stored record (not redacted) if the caller may see it.
    pub(crate) async fn visible(
        &self,
        principal: &Principal,
        kind: RecordKind,
        id: &str,
    ) -> Result<Record, CatalogError> {
        let mut v = Violations::new();
        v.id("id", id);
        v.into_result(())?;
        self.store
            .get(kind, id)
            .await?
            .filter(|record| principal.can_see(record))
            .ok_or_else(|| CatalogError::NotFound(describe(kind, id)))
    }

    /// The record if the caller may change it. Hidden records are NOT_FOUND;
    /// visible records of another organization are PERMISSION_DENIED.
    pub(crate) async fn writable(
        &self,
        principal: &Principal,
        kind: RecordKind,
        id: &str,
    ) -> Result<Record, CatalogError> {
        let record = self.visible(principal, kind, id).await?;
        if !principal.acts_for(&record.meta().organization_id) {
            return Err(CatalogError::PermissionDenied(format!(
                "{} belongs to another organization",
                describe(kind, id)
            )));
        }
        Ok(record)
    }

    /// An organization (not archived, other than `except`) with the same normalized name.
    async fn same_name(&self, name: &str, except: Option<&str>) -> Result<Option<Organization>, CatalogError> {
        let query = ListQuery {
            kind: RecordKind::Organization,
            organization_id: None,
            tags: vec![Tag::Name(innomatch_core::credit_code::name_key(name))],
            status: None,
            include_archived: false,
            private_needs: PrivateNeeds::All,
            hide_anonymous: false,
            after_cursor: 0,
            limit: 2,
        };
        Ok(self.store.list(&query).await?.records.into_iter().find_map(|record| match record {
            Record::Organization(org) if Some(org.meta.id.as_str()) != except => Some(org),
            _ => None,
        }))
    }

    async fn active_organization(&self, id: &str) -> Result<Organization, CatalogError> {
        match self.store.get(RecordKind::Organization, id).await? {
            Some(Record::Organization(org)) if org.meta.status() != RecordStatus::Archived => Ok(org),
            Some(_) => Err(CatalogError::FailedPrecondition(format!("organization {id} is archived"))),
            None => Err(CatalogError::NotFound(format!("organization {id}"))),
        }
    }
}

/// A token bucket of feed events: `take` says how long to wait before the
/// next event may go out (`None`: at once).
#[derive(Debug)]
/// How clients' feeds read the change log: one read at a time across the
/// process (`gate`), `batch` changes per read.
struct ReplayReads {
    gate: Arc<tokio::sync::Semaphore>,
    batch: usize,
}

impl ReplayReads {
    async fn read(&self, store: &dyn RecordStore, after: i64) -> Result<Vec<Change>, StoreError> {
        let _turn = self.gate.acquire().await;
        store.changes_after(after, self.batch).await
    }
}

struct FeedPace {
    per_second: f64,
    burst: f64,
    tokens: f64,
    refilled: Option<tokio::time::Instant>,
}

impl FeedPace {
    fn new(per_second: f64, burst: f64) -> Self {
        Self { per_second, burst, tokens: burst, refilled: None }
    }

    fn take(&mut self, now: tokio::time::Instant) -> Option<std::time::Duration> {
        if let Some(before) = self.refilled {
            let elapsed = now.saturating_duration_since(before).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        }
        self.refilled = Some(now);
        self.tokens -= 1.0;
        // A negative balance is the wait until this event's token has refilled.
        (self.tokens < 0.0).then(|| std::time::Duration::from_secs_f64(-self.tokens / self.per_second))
    }
}

/// A past need event judged by the need as it is today (`today`: `None` when
/// it no longer exists, which hides nothing more than the event already does).
fn as_seen_today(principal: &Principal, mut change: Change, today: Option<&Record>) -> FeedEvent {
    let Some(today) = today else { return FeedEvent::Change(Box::new(change)) };
    if !principal.can_see(today) {
        return FeedEvent::Withheld {
            sequence: change.sequence,
            operation: change.operation,
            committed_at_ms: change.committed_at_ms,
            kind: change.record.kind(),
            record_id: change.record.meta().id.clone(),
        };
    }
    if today.visibility() == Visibility::Anonymous && !principal.acts_for(&today.meta().organization_id) {
        change.record.meta_mut().organization_id.clear();
    }
    FeedEvent::Change(Box::new(change))
}

/// Which private needs a principal may list or count: all for an admin, its
/// own organization's otherwise.
fn private_needs_of(principal: &Principal) -> PrivateNeeds {
    if principal.is_admin() {
        PrivateNeeds::All
    } else {
        principal.organization_id.clone().map_or(PrivateNeeds::None, PrivateNeeds::OwnedBy)
    }
}

fn conflict(error: StoreError, kind: RecordKind, id: &str, expected: i64) -> CatalogError {
    match error {
        StoreError::VersionConflict { actual } => {
            CatalogError::VersionConflict { what: describe(kind, id), expected, actual }
        }
        StoreError::NotFound => CatalogError::NotFound(describe(kind, id)),
        other => other.into(),
    }
}

/// A need's deadline must not have passed when it is posted, or when an
/// update sets a new one (`stored`: the deadline it had).
fn check_deadline(need: &TechNeed, stored: Option<i64>) -> Result<(), CatalogError> {
    match need.deadline_ms {
        Some(deadline) if deadline < now_ms() && Some(deadline) != stored => {
            Err(Violations::single("need.deadline", "has passed: a need's deadline lies in the future").into())
        }
        _ => Ok(()),
    }
}

/// Service offers are sold by service providers; everyone may post needs and capabilities.
pub(crate) fn check_owner_kind(record: &Record, owner_kind: OrganizationKind) -> Result<(), CatalogError> {
    let sells_services = matches!(
        owner_kind,
        OrganizationKind::IntermediaryAgency | OrganizationKind::Incubator | OrganizationKind::FinancialInstitution
    );
    if matches!(record, Record::Offer(_)) && !sells_services {
        return Err(CatalogError::FailedPrecondition(format!(
            "service offers are published by agencies, incubators or financial institutions, not by a {owner_kind}"
        )));
    }
    Ok(())
}

/// A need or capability without a region takes its organization's.
pub(crate) fn inherit_region(record: &mut Record, organization_region: &str) {
    let region = match record {
        Record::Need(n) => &mut n.region_code,
        Record::Capability(c) => &mut c.region_code,
        Record::Organization(_) | Record::Offer(_) | Record::Policy(_) => return,
    };
    if region.is_empty() {
        *region = organization_region.to_owned();
    }
}

/// A stream fed by a spawned task through a small channel; the task sees the
/// subscriber leave when `send` fails.
fn async_stream<T, F, Fut>(producer: F) -> impl Stream<Item = T> + Send + 'static
where
    T: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::Sender<T>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(producer(tx));
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteStore;

    async fn catalog() -> Catalog {
        let store: Arc<dyn RecordStore> = Arc::new(SqliteStore::in_memory().expect("in-memory store"));
        let tokens = TokenRegistry::load(store.as_ref()).await.expect("tokens");
        Catalog::new(store, tokens)
    }

    fn admin() -> Principal {
        Principal { token_id: "tok_admin".into(), organization_id: None, role: Role::Admin }
    }

    fn member_of(org: &str) -> Principal {
        Principal { token_id: format!("tok_{org}"), organization_id: Some(org.into()), role: Role::Member }
    }

    async fn organization(catalog: &Catalog, name: &str, kind: OrganizationKind) -> String {
        let org =
            Organization { name: name.into(), kind: Some(kind), region_code: "440802".into(), ..Default::default() };
        catalog.create(&admin(), Record::Organization(org), "").await.expect("organization").meta().id.clone()
    }

    fn need(title: &str, visibility: Visibility) -> Record {
        Record::Need(TechNeed { title: title.into(), visibility: Some(visibility), ..Default::default() })
    }

    #[test]
    fn a_feed_beyond_its_burst_is_paced_to_its_rate() {
        let start = tokio::time::Instant::now();
        let mut pace = FeedPace::new(100.0, 10.0);
        for _ in 0..10 {
            assert_eq!(pace.take(start), None, "the burst goes out at once");
        }
        let waits: Vec<_> = (0..5).map(|_| pace.take(start).expect("paced")).collect();
        assert_eq!(waits[0], std::time::Duration::from_millis(10));
        assert_eq!(waits[4], std::time::Duration::from_millis(50), "each event waits its turn");
        // Waiting out the last hint makes room again.
        let later = start + std::time::Duration::from_millis(50 + 100);
        assert_eq!(pace.take(later), None);
    }

    #[tokio::test]
    async fn another_process_sees_revocations_and_archives_at_its_next_refresh() {
        use innomatch_core::auth::{Standing, TokenResolver, hash_token};
        let store: Arc<dyn RecordStore> = Arc::new(SqliteStore::in_memory().expect("in-memory store"));
        let here = Catalog::new(Arc::clone(&store), TokenRegistry::load(store.as_ref()).await.expect("tokens"));
        let org = organization(&here, "湛江预制菜产业研究院", OrganizationKind::ResearchInstitute).await;
        let first = here.issue_token(&admin(), Some(org.clone()), Role::Member, "a".into()).await.expect("issue");
        let second = here.issue_token(&admin(), Some(org.clone()), Role::Member, "b".into()).await.expect("issue");

        let there = TokenRegistry::load(store.as_ref()).await.expect("tokens");
        let refresh = there.spawn_refresh(Arc::new(Arc::clone(&store)), std::time::Duration::from_millis(10));
        let principal = |secret: &str| there.resolve(&hash_token(secret)).expect("an active token");
        let (first_principal, second_principal) = (principal(&first.secret), principal(&second.secret));
        assert_eq!(there.standing(&first_principal), Standing::Active);

        let mut changes = there.changes();
        changes.borrow_and_update();
        here.revoke_token(&admin(), &first.token_id).await.expect("revoke");
        here.archive(&admin(), RecordKind::Organization, &org, 0).await.expect("archive");
        let deadline = std::time::Duration::from_secs(5);
        let refreshed = tokio::time::timeout(deadline, async {
            while there.standing(&second_principal) != Standing::Archived {
                changes.changed().await.expect("the registry ticks");
            }
        })
        .await;
        refresh.abort();
        assert!(refreshed.is_ok(), "the archive reached the other registry");
        assert_eq!(there.standing(&first_principal), Standing::Revoked);
    }

    #[tokio::test]
    async fn only_an_admin_registers_organizations() {
        let catalog = catalog().await;
        let steel = organization(&catalog, "湛江绿色钢铁有限公司", OrganizationKind::Enterprise).await;
        let org =
            Organization {
                name: "冒名机构".into(), kind: Some(OrganizationKind::Enterprise), ..Default::default()
            };
        let refused = catalog.create(&member_of(&steel), Record::Organization(org), "").await;
        assert!(matches!(refused, Err(CatalogError::PermissionDenied(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn a_need_takes_its_owners_region_and_another_member_cannot_change_it() {
        let catalog = catalog().await;
        let steel = organization(&catalog, "湛江绿色钢铁有限公司", OrganizationKind::Enterprise).await;
        let shrimp = organization(&catalog, "雷州对虾养殖合作社", OrganizationKind::Enterprise).await;
        let created =
            catalog.create(&member_of(&steel), need("氢冶金低碳工艺", Visibility::Public), "").await.expect("need");
        let Record::Need(posted) = &created else { panic!("a need comes back as a need") };
        assert_eq!(posted.region_code, "440802");
        assert_eq!(created.meta().organization_id, steel);
        let id = created.meta().id.clone();
        let stranger = catalog.update(&member_of(&shrimp), &id, need("改写", Visibility::Public), 1, "").await;
        assert!(matches!(stranger, Err(CatalogError::PermissionDenied(_))), "{stranger:?}");
        let updated =
            catalog.update(&member_of(&steel), &id, need("氢冶金低碳工艺（更新）", Visibility::Public), 1, "").await;
        assert!(updated.is_ok(), "{updated:?}");
        let conflict = catalog.update(&member_of(&steel), &id, need("再次更新", Visibility::Public), 1, "").await;
        assert!(matches!(conflict, Err(CatalogError::VersionConflict { expected: 1, actual: 2, .. })), "{conflict:?}");
    }

    #[tokio::test]
    async fn private_needs_are_listed_and_read_only_by_their_owner() {
        let catalog = catalog().await;
        let steel = organization(&catalog, "湛江绿色钢铁有限公司", OrganizationKind::Enterprise).await;
        let shrimp = organization(&catalog, "雷州对虾养殖合作社", OrganizationKind::Enterprise).await;
        let secret =
            catalog.create(&member_of(&steel), need("预制菜冷链保鲜", Visibility::Private), "").await.expect("need");
        let filter = ListFilter { page_size: 50, ..ListFilter::default() };
        let own = catalog.list(&member_of(&steel), RecordKind::Need, filter.clone()).await.expect("list");
        let other = catalog.list(&member_of(&shrimp), RecordKind::Need, filter).await.expect("list");
        assert_eq!(own.records.len(), 1);
        assert!(other.records.is_empty());
        let read = catalog.get(&member_of(&shrimp), RecordKind::Need, &secret.meta().id).await;
        assert!(matches!(read, Err(CatalogError::NotFound(_))), "{read:?}");
    }

    #[tokio::test]
    async fn pages_follow_each_other_and_foreign_tokens_are_refused() {
        let catalog = catalog().await;
        for name in ["工业互联网平台甲", "工业互联网平台乙", "工业互联网平台丙"] {
            organization(&catalog, name, OrganizationKind::Enterprise).await;
        }
        let first = catalog
            .list(&admin(), RecordKind::Organization, ListFilter { page_size: 2, ..ListFilter::default() })
            .await
            .expect("first page");
        assert_eq!(first.records.len(), 2);
        let filter = ListFilter { page_size: 2, page_token: first.next_page_token, ..ListFilter::default() };
        let second = catalog.list(&admin(), RecordKind::Organization, filter).await.expect("second page");
        assert_eq!(second.records.len(), 1);
        assert!(second.next_page_token.is_empty());
        let forged = ListFilter { page_size: 2, page_token: "bm90LWEtdG9rZW4".into(), ..ListFilter::default() };
        let refused = catalog.list(&admin(), RecordKind::Organization, forged).await;
        assert!(matches!(refused, Err(CatalogError::Invalid(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn offers_in_a_category_and_counts_leave_archived_records_out() {
        let catalog = catalog().await;
        let agency = organization(&catalog, "湛江检验检测服务中心", OrganizationKind::IntermediaryAgency).await;
        let offer = |title: &str| {
            Record::Offer(ServiceOffer {
                title: title.into(),
                category: Some(ServiceCategory::TestingInspection),
                ..Default::default()
            })
        };
        let kept = catalog.create(&member_of(&agency), offer("对虾养殖水质检测"), "").await.expect("offer");
        let gone = catalog.create(&member_of(&agency), offer("钢材成分检测"), "").await.expect("offer");
        catalog.archive(&member_of(&agency), RecordKind::ServiceOffer, &gone.meta().id, 0).await.expect("archive");
        let offers = catalog.offers_in_category(ServiceCategory::TestingInspection, 10).await.expect("offers");
        assert_eq!(offers.iter().map(|o| o.meta.id.as_str()).collect::<Vec<_>>(), [kept.meta().id.as_str()]);
        assert!(catalog.offers_in_category(ServiceCategory::TechFinance, 10).await.expect("offers").is_empty());
        let agencies = [Tag::OrganizationKind(OrganizationKind::IntermediaryAgency)];
        assert_eq!(catalog.count(RecordKind::Organization, &agencies).await.expect("count"), 1);
        assert_eq!(catalog.count(RecordKind::ServiceOffer, &[]).await.expect("count"), 1);
        assert!(!catalog.is_empty().await.expect("is_empty"));
    }

    #[tokio::test]
    async fn service_offers_come_only_from_service_providers() {
        let catalog = catalog().await;
        let steel = organization(&catalog, "湛江绿色钢铁有限公司", OrganizationKind::Enterprise).await;
        let offer = Record::Offer(ServiceOffer {
            title: "钢铁检测".into(),
            category: Some(ServiceCategory::TestingInspection),
            ..Default::default()
        });
        let refused = catalog.create(&member_of(&steel), offer, "").await;
        assert!(matches!(refused, Err(CatalogError::FailedPrecondition(_))), "{refused:?}");
    }
}
