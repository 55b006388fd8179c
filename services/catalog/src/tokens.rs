//! The token registry: an in-memory view of the stored API tokens that the
//! auth interceptor consults on every request without touching the disk.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use innomatch_core::auth::{Principal, TokenResolver};

use crate::store::{RecordStore, StoreError, TokenRecord};

/// Active tokens by hash. Issue and revoke go through [`crate::Catalog`], which
/// keeps this map in step with the store.
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
