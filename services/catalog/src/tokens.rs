//! The token registry: an in-memory view of the stored API tokens that the
//! auth interceptor consults on every request without touching the disk.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use innomatch_core::auth::{Principal, TokenResolver};

use crate::store::{RecordStore, StoreError, TokenRecord};

/// Active tokens by hash. Issue and revoke go through [`crate::Catalog`], which
/// keeps this map in step with the store at once; other processes sharing the
/// store are picked up by [`TokenRegistry::spawn_refresh`].
#[derive(Debug, Default)]
pub struct TokenRegistry {
    by_hash: RwLock<HashMap<String, Principal>>,
}

impl TokenRegistry {
    /// Loads every active token from the store.
    pub async fn load(store: &dyn RecordStore) -> Result<Arc<Self>, StoreError> {
        let registry = Arc::new(Self::default());
        for token in store.list_tokens(None).await? {
            registry.add(&token);
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
            }
        })
    }

    fn replace_all(&self, tokens: &[TokenRecord]) {
        let fresh = Self::default();
        for token in tokens {
            fresh.add(token);
        }
        if let (Ok(mut map), Ok(new)) = (self.by_hash.write(), fresh.by_hash.into_inner()) {
            *map = new;
        }
    }

    pub(crate) fn add(&self, token: &TokenRecord) {
        if token.revoked {
            return;
        }
        let principal =
            Principal { token_id: token.id.clone(), organization_id: token.organization_id.clone(), role: token.role };
        if let Ok(mut map) = self.by_hash.write() {
            map.insert(token.hash.clone(), principal);
        }
    }

    pub(crate) fn remove(&self, token_id: &str) {
        if let Ok(mut map) = self.by_hash.write() {
            map.retain(|_, p| p.token_id != token_id);
        }
    }
}

impl TokenResolver for TokenRegistry {
    fn resolve(&self, token_hash: &str) -> Option<Principal> {
        self.by_hash.read().ok()?.get(token_hash).cloned()
    }
}
