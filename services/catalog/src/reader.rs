//! What the search and matcher services read from the catalog, behind one
//! trait: the catalog in this process ([`Catalog`]) or, in a replica that
//! keeps no record store, the catalog's gRPC API ([`crate::remote::RemoteCatalog`]).

use async_trait::async_trait;
use futures::{StreamExt, stream::BoxStream};
use innomatch_core::{
    auth::Principal,
    model::{Record, RecordKind, RecordStatus, ServiceCategory, ServiceOffer},
};

use crate::{
    Catalog, CatalogError,
    service::{ListFilter, Page},
    store::Change,
};

/// Reads of the records, as the matcher and the followers make them.
#[async_trait]
pub trait CatalogReader: Send + Sync + std::fmt::Debug + 'static {
    /// One record as `principal` may see it (NOT_FOUND when it may not).
    async fn get(&self, principal: &Principal, kind: RecordKind, id: &str) -> Result<Record, CatalogError>;

    /// Active needs, every one (the system reads them), a page at a time in
    /// commit order; `page_token` is the previous page's, empty at first.
    async fn active_needs(&self, page_token: &str, page_size: u32) -> Result<Page, CatalogError>;

    /// Active service offers of one category, oldest first, at most `limit`.
    async fn offers_in_category(
        &self,
        category: ServiceCategory,
        limit: u32,
    ) -> Result<Vec<ServiceOffer>, CatalogError>;

    /// Every committed change of `kinds` (all when empty) after
    /// `after_sequence`, then new ones as they commit. Changes the principal
    /// may not see are left out.
    fn watch(
        &self,
        principal: Principal,
        after_sequence: i64,
        kinds: Vec<RecordKind>,
    ) -> BoxStream<'static, Result<Change, CatalogError>>;
}

#[async_trait]
impl CatalogReader for Catalog {
    async fn get(&self, principal: &Principal, kind: RecordKind, id: &str) -> Result<Record, CatalogError> {
        Catalog::get(self, principal, kind, id).await
    }

    async fn active_needs(&self, page_token: &str, page_size: u32) -> Result<Page, CatalogError> {
        let filter = ListFilter {
            status: Some(RecordStatus::Active),
            page_size,
            page_token: page_token.to_owned(),
            ..ListFilter::default()
        };
        self.list(&system(), RecordKind::Need, filter).await
    }

    async fn offers_in_category(
        &self,
        category: ServiceCategory,
        limit: u32,
    ) -> Result<Vec<ServiceOffer>, CatalogError> {
        Catalog::offers_in_category(self, category, limit).await
    }

    fn watch(
        &self,
        principal: Principal,
        after_sequence: i64,
        kinds: Vec<RecordKind>,
    ) -> BoxStream<'static, Result<Change, CatalogError>> {
        Catalog::watch(self, principal, after_sequence, kinds).boxed()
    }
}

/// The system reading every need: needs are listed for matching, never shown.
fn system() -> Principal {
    Principal {
        token_id: "system:catalog-reader".into(),
        organization_id: None,
        role: innomatch_core::model::Role::Admin,
    }
}
