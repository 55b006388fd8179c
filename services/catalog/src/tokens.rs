//! The token registry: an in-memory view of the stored API tokens and of the
//! archived organizations that the auth interceptor consults on every request
//! (and open streams whenever it changes) without touching the disk.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, RwLock},
};

use innomatch_core::{
    auth::{Principal, Standing, TokenResolver},
    model::{RecordKind, RecordStatus},
};
use tokio::sync::watch;

use crate::store::{ListQuery, PrivateNeeds, RecordStore, StoreError, TokenRecord};

/// Active tokens by hash and the archived organizations. Issue, revoke and
/// archive go through [`crate::Catalog`], which keeps this in step with the
/// store at once; other processes sharing the store are picked up by
/// [`TokenRegistry::spawn_refresh`]. Every change ticks [`TokenResolver::changes`].
#[derive(Debug)]
pub struct TokenRegistry {
    tokens: RwLock<ActiveTokens>,
    archived_organizations: RwLock<HashSet<String>>,
    generation: watch::Sender<u64>,
}

impl Default for TokenRegistry {
    fn default() -> Self {
        Self { tokens: RwLock::default(), archived_organizations: RwLock::default(), generation: watch::Sender::new(0) }
    }
}

/// The active tokens: by hash to resolve a request, by id to re-check a principal.
#[derive(Debug, Default)]
struct ActiveTokens {
    by_hash: HashMap<String, Principal>,
    ids: HashSet<String>,
}

impl ActiveTokens {
    fn add(&mut self, token: &TokenRecord) {
        if token.revoked {
            return;
        }
        let principal =
            Principal { token_id: token.id.clone(), organization_id: token.organization_id.clone(), role: token.role };
        self.ids.insert(token.id.clone());
        self.by_hash.insert(token.hash.clone(), principal);
    }
}

/// Every archived organization's id, page by page.
async fn archived_organizations(store: &dyn RecordStore) -> Result<HashSet<String>, StoreError> {
    let mut query = ListQuery {
        kind: RecordKind::Organization,
        organization_id: None,
        tags: Vec::new(),
        status: Some(RecordStatus::Archived),
        include_archived: true,
        private_needs: PrivateNeeds::All,
        hide_anonymous: false,
        after_cursor: 0,
        limit: 500,
    };
    let mut ids = HashSet::new();
    loop {
        let page = store.list(&query).await?;
        ids.extend(page.records.iter().map(|r| r.meta().id.clone()));
        match page.next_cursor {
            Some(cursor) => query.after_cursor = cursor,
            None => return Ok(ids),
        }
    }
}

impl TokenRegistry {
    /// Loads every active token and every archived organization from the store.
    pub async fn load(store: &dyn RecordStore) -> Result<Arc<Self>, StoreError> {
        let registry = Arc::new(Self::default());
        for token in store.list_tokens(None).await? {
            registry.add(&token);
        }
        let archived = archived_organizations(store).await?;
        if let Ok(mut set) = registry.archived_organizations.write() {
            *set = archived;
        }
        Ok(registry)
    }

    /// Re-reads every token from the store now and then, so tokens issued or
    /// revoked by another process sharing the store take effect here too.
    pub fn spawn_refresh(
        self: &Arc<Self>,
        store: Arc<dyn RecordStore>,
        interval: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let registry = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                match store.list_tokens(None).await {
                    Ok(tokens) => registry.replace_all(&tokens),
                    Err(error) => tracing::warn!(%error, "could not refresh api tokens"),
                }
                match archived_organizations(store.as_ref()).await {
                    Ok(archived) => registry.replace_archived(archived),
                    Err(error) => tracing::warn!(%error, "could not refresh archived organizations"),
                }
                // Open streams re-check their principal after every refresh.
                registry.tick();
            }
        })
    }

    fn replace_all(&self, tokens: &[TokenRecord]) {
        let mut fresh = ActiveTokens::default();
        for token in tokens {
            fresh.add(token);
        }
        if let Ok(mut current) = self.tokens.write() {
            *current = fresh;
        }
    }

    fn replace_archived(&self, archived: HashSet<String>) {
        if let Ok(mut set) = self.archived_organizations.write() {
            *set = archived;
        }
    }

    fn tick(&self) {
        self.generation.send_modify(|g| *g = g.wrapping_add(1));
    }

    /// The organization was archived here: its tokens stop acting at once.
    pub(crate) fn archive_organization(&self, organization_id: &str) {
        if let Ok(mut set) = self.archived_organizations.write() {
            set.insert(organization_id.to_owned());
        }
        self.tick();
    }

    pub(crate) fn add(&self, token: &TokenRecord) {
        if let Ok(mut tokens) = self.tokens.write() {
            tokens.add(token);
        }
        self.tick();
    }

    pub(crate) fn remove(&self, token_id: &str) {
        if let Ok(mut tokens) = self.tokens.write() {
            tokens.by_hash.retain(|_, p| p.token_id != token_id);
            tokens.ids.remove(token_id);
        }
        self.tick();
    }
}

impl TokenResolver for TokenRegistry {
    fn resolve(&self, token_hash: &str) -> Option<Principal> {
        self.tokens.read().ok()?.by_hash.get(token_hash).cloned()
    }

    fn standing(&self, principal: &Principal) -> Standing {
        let active = self.tokens.read().is_ok_and(|tokens| tokens.ids.contains(&principal.token_id));
        if !active {
            return Standing::Revoked;
        }
        let archived = principal
            .organization_id
            .as_deref()
            .is_some_and(|org| self.archived_organizations.read().is_ok_and(|set| set.contains(org)));
        if archived { Standing::Archived } else { Standing::Active }
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }
}
