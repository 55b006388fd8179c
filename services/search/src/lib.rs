//! innomatch search: the tantivy index of capabilities and needs, with
//! Chinese + English text analysis.

pub mod analysis;
