//! innomatch bureau: the city science and technology bureau's views that
//! join the catalog with the leads and notifications — the enterprise lookup
//! (企业查询, `lookup`): one organization's whole picture.

pub mod error;
pub mod lookup;

pub use error::LookupError;
pub use lookup::{Bureau, OrganizationLookup};
