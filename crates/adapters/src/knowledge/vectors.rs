//! Chunks' embeddings in a snapshot: unit vectors, one per chunk in the order they were indexed
//! (a chunk's `ordinal`), searched by brute force (a dot product each: a snapshot of 100,000
//! chunks of 256 dimensions is 25 million multiply-adds, a few milliseconds).

use std::cmp::Ordering;

use colloquy_domain::knowledge::model::Chunk;

/// The pseudo-file of a snapshot blob that holds the vectors (never written into the index).
pub const FILE: &str = "colloquy.vectors";
/// Dimensions a vector may have (OpenAI's largest model has 3,072).
const MAX_DIMENSIONS: usize = 4_096;

pub struct Vectors {
    dimensions: usize,
    /// `count × dimensions`, each vector of unit length.
    values: Vec<f32>,
}

/// The vectors of `chunks` as the pseudo-file's bytes: the dimensions, then each vector's floats
/// (little-endian). `None` unless every chunk has one, all of one size.
pub fn encode(chunks: &[Chunk]) -> Option<Vec<u8>> {
    let dimensions = chunks.first()?.embedding.as_ref()?.len();
    if dimensions == 0 || dimensions > MAX_DIMENSIONS {
        return None;
    }
    let mut bytes = (dimensions as u32).to_le_bytes().to_vec();
    for chunk in chunks {
        let vector = chunk.embedding.as_ref().filter(|v| v.len() == dimensions)?;
        let length = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        let scale = if length > 0.0 && length.is_finite() { 1.0 / length } else { 0.0 };
        for value in vector {
            let unit = value * scale;
            bytes.extend_from_slice(&(if unit.is_finite() { unit } else { 0.0 }).to_le_bytes());
        }
    }
    Some(bytes)
}

impl Vectors {
    /// Reads what `encode` wrote; `count` vectors are expected.
    pub fn decode(bytes: &[u8], count: usize) -> Result<Self, String> {
        let malformed = || "the snapshot's vectors are malformed".to_owned();
        let (head, body) = bytes.split_at_checked(4).ok_or_else(malformed)?;
        let dimensions = u32::from_le_bytes(head.try_into().map_err(|_| malformed())?) as usize;
        if dimensions == 0
            || dimensions > MAX_DIMENSIONS
            || body.len() != count.saturating_mul(dimensions).saturating_mul(4)
        {
            return Err(malformed());
        }
        let values = body.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        Ok(Self { dimensions, values })
    }

    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// The `n` chunks nearest `query` (cosine), nearest first: (ordinal, similarity).
    pub fn nearest(&self, query: &[f32], n: usize) -> Vec<(usize, f32)> {
        if query.len() != self.dimensions {
            return Vec::new();
        }
        let length = query.iter().map(|x| x * x).sum::<f32>().sqrt();
        if length <= 0.0 || !length.is_finite() {
            return Vec::new();
        }
        let mut scored: Vec<(usize, f32)> = self
            .values
            .chunks_exact(self.dimensions)
            .enumerate()
            .map(|(ordinal, v)| (ordinal, v.iter().zip(query).map(|(a, b)| a * b).sum::<f32>() / length))
            .filter(|(_, similarity)| similarity.is_finite())
            .collect();
        let n = n.min(scored.len());
        if n == 0 {
            return Vec::new();
        }
        scored.select_nth_unstable_by(n - 1, |a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal));
        scored.truncate(n);
        scored.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal));
        scored
    }
}
