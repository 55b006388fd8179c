//! The innomatch v1 gRPC API: messages, clients and servers generated from
//! `proto/innomatch/v1`, and the descriptor set for gRPC reflection.
//!
//! Every crate takes `tonic` and `prost` from here so that versions never drift.

pub use prost;
pub use prost_types;
pub use tonic;

/// Generated code for the `innomatch.v1` package.
pub mod v1 {
    #![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation)]
    tonic::include_proto!("innomatch.v1");
}

/// The encoded `FileDescriptorSet` of the whole API, for the reflection service.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("innomatch_descriptor");
