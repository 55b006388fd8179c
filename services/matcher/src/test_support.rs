//! Fixtures shared by the matcher's unit tests: an admin principal, an
//! in-memory catalog and records created through it.

use std::sync::Arc;

use innomatch_catalog::{Catalog, sqlite::SqliteStore, store::RecordStore, tokens::TokenRegistry};
use innomatch_core::{
    auth::Principal,
    model::{Capability, Organization, OrganizationKind, Record, Role},
};

pub fn admin() -> Principal {
    Principal { token_id: "tok_admin".into(), organization_id: None, role: Role::Admin }
}

/// A catalog over an in-memory store, with the store (whose change log a
/// test applies to its index).
pub async fn in_memory_catalog() -> (Arc<dyn RecordStore>, Catalog) {
    let store: Arc<dyn RecordStore> = Arc::new(SqliteStore::in_memory().expect("store"));
    let catalog = Catalog::new(Arc::clone(&store), TokenRegistry::load(store.as_ref()).await.expect("tokens"));
    (store, catalog)
}

/// Creates `record` owned by `owner` and returns its id.
pub async fn create(catalog: &Catalog, record: Record, owner: &str) -> String {
    catalog.create(&admin(), record, owner).await.expect("create").meta().id.clone()
}

/// Creates an organization in 霞山区 and returns its id.
pub async fn organization(catalog: &Catalog, name: &str, kind: OrganizationKind) -> String {
    let org = Organization { name: name.into(), kind: Some(kind), region_code: "440802".into(), ..Default::default() };
    create(catalog, Record::Organization(org), "").await
}

/// A capability whose description is its title.
pub fn capability(title: &str) -> Record {
    Record::Capability(Capability { title: title.into(), description: title.into(), ..Default::default() })
}
