//! Fixtures shared by the matcher's unit tests: an admin principal and
//! records created through the catalog.

use innomatch_catalog::Catalog;
use innomatch_core::{
    auth::Principal,
    model::{Capability, Organization, OrganizationKind, Record, Role},
};

pub fn admin() -> Principal {
    Principal { token_id: "tok_admin".into(), organization_id: None, role: Role::Admin }
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
