//! The token registry: an in-memory view of the stored API tokens and of the
//! archived organizations that the auth interceptor consults on every request
//! (and open streams whenever it changes) without touching the disk. It is
//! refreshed from an [`AuthSource`]: the record store, or (in a replica that
//! follows the catalog over gRPC) the catalog's `GetAuthSnapshot`.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, RwLock},
};

use async_trait::async_trait;
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

/// The active tokens: by hash to resolve a request, by id to re-check a
/// principal (and to act for one, see [`TokenResolver::resolve_id`]).
#[derive(Debug, Default)]
struct ActiveTokens {
    by_hash: HashMap<String, Principal>,
    by_id: HashMap<String, Principal>,
}

impl ActiveTokens {
    fn add(&mut self, token: &TokenRecord) {
        if token.revoked {
            return;
        }
        let principal =
            Principal { token_id: token.id.clone(), organization_id: token.organization_id.clone(), role: token.role };
        self.by_id.insert(token.id.clone(), principal.clone());
        self.by_hash.insert(token.hash.clone(), principal);
    }
}

/// What authenticating callers takes: the active tokens (by hash, never the
/// secret) and the archived organizations, whose tokens no longer act.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthSnapshot {
    pub tokens: Vec<TokenRecord>,
    pub archived_organizations: HashSet<String>,
}

impl AuthSnapshot {
    /// Read from the record store.
    pub async fn read(store: &dyn RecordStore) -> Result<Self, StoreError> {
        let tokens = store.list_tokens(None).await?.into_iter().filter(|t| !t.revoked).collect();
        Ok(Self { tokens, archived_organizations: archived_organizations(store).await? })
    }
}

/// Where the registry refreshes from.
#[async_trait]
pub trait AuthSource: Send + Sync + 'static {
    async fn auth_snapshot(&self) -> Result<AuthSnapshot, String>;
}

/// The record store this process opened (shared with other processes).
#[async_trait]
impl AuthSource for Arc<dyn RecordStore> {
    async fn auth_snapshot(&self) -> Result<AuthSnapshot, String> {
        AuthSnapshot::read(self.as_ref()).await.map_err(|e| e.to_string())
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
        Ok(Self::from_snapshot(AuthSnapshot::read(store).await?))
    }

    /// A registry holding `snapshot`.
    pub fn from_snapshot(snapshot: AuthSnapshot) -> Arc<Self> {
        let registry = Arc::new(Self::default());
        registry.replace(snapshot);
        registry
    }

    /// What this registry holds now.
    pub fn snapshot(&self) -> AuthSnapshot {
        AuthSnapshot {
            tokens: self
                .tokens
                .read()
                .map(|tokens| {
                    tokens
                        .by_hash
                        .iter()
                        .map(|(hash, p)| TokenRecord {
                            id: p.token_id.clone(),
                            hash: hash.clone(),
                            organization_id: p.organization_id.clone(),
                            role: p.role,
                            label: String::new(),
                            created_at_ms: 0,
                            revoked: false,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            archived_organizations: self.archived_organizations.read().map(|set| set.clone()).unwrap_or_default(),
        }
    }

    /// Re-reads `source` every `interval`, so tokens issued or revoked (and
    /// organizations archived) by another process take effect here too.
    pub fn spawn_refresh(
        self: &Arc<Self>,
        source: Arc<dyn AuthSource>,
        interval: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let registry = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                match source.auth_snapshot().await {
                    Ok(snapshot) => registry.replace(snapshot),
                    Err(error) => tracing::warn!(%error, "could not refresh api tokens"),
                }
            }
        })
    }

    /// Holds `snapshot` from now on; open streams re-check their principal.
    pub fn replace(&self, snapshot: AuthSnapshot) {
        let mut fresh = ActiveTokens::default();
        for token in &snapshot.tokens {
            fresh.add(token);
        }
        if let Ok(mut current) = self.tokens.write() {
            *current = fresh;
        }
        if let Ok(mut set) = self.archived_organizations.write() {
            *set = snapshot.archived_organizations;
        }
        self.tick();
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
            tokens.by_id.remove(token_id);
        }
        self.tick();
    }
}

impl TokenResolver for TokenRegistry {
    fn resolve(&self, token_hash: &str) -> Option<Principal> {
        self.tokens.read().ok()?.by_hash.get(token_hash).cloned()
    }

    fn resolve_id(&self, token_id: &str) -> Option<Principal> {
        self.tokens.read().ok()?.by_id.get(token_id).cloned()
    }

    fn standing(&self, principal: &Principal) -> Standing {
        let active = self.tokens.read().is_ok_and(|tokens| tokens.by_id.contains_key(&principal.token_id));
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
