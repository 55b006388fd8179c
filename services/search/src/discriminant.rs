//! Organization discriminants: for each organization, a linear classifier
//! over the relevance model's TF-IDF vectors that tells its capabilities
//! apart from every other organization's.
//!
//! Why: the profile and depth cosines weigh a shared word by how rare it is
//! in the whole corpus, not by how much it says about *this* organization
//! against the ones it could be taken for. Two laboratories that both write
//! 模型 and 实验 are told apart by the words only one of them uses; a
//! classifier trained on the catalog learns those weights. On the real-text
//! dev set (`make eval-real`) a one-vs-rest linear SVM over the same TF-IDF
//! features ranks the right laboratory first more often than the profile and
//! depth blend does, and fused with it more often than either.
//!
//! The classifier: per organization, an L2-regularised linear SVM with the
//! squared hinge loss, solved in its dual by coordinate descent (Hsieh et
//! al., "A dual coordinate descent method for large-scale linear SVM", ICML
//! 2008, the default solver of LIBLINEAR). Every capability of the
//! organization is a positive example, every other capability a negative one
//! (a fixed, deterministic sample of them in a large catalog, so that a fit
//! costs the same per organization whatever the catalog's size). Its
//! decision value is near +1 for a text like the organization's own records
//! and near −1 for a text like anybody else's; what the matcher adds is how
//! far a need lies above that −1 (see `innomatch_matcher::scoring`).
//!
//! A classifier fitted on capabilities (paper-abstract length, some 180
//! features) extrapolates poorly to a text of a few words: one term then
//! carries the whole decision. So a verdict carries its *support*, the
//! text's number of known features over a typical capability's (at most 1),
//! and the matcher weighs the decision by it. Measured on the dev set:
//! unweighted, the discriminant lifted full needs but cost title-only needs
//! two points of P@1; weighted by support, titles are back to where they
//! were without it and full needs gain a little more.
//!
//! Only the [`KEPT_WEIGHTS`] largest weights of each organization are kept:
//! on the dev set the rest changed no ranking, and a weight per vocabulary
//! term per organization would cost more memory than the index.

use std::collections::HashMap;

/// Inverse regularisation strength (LIBLINEAR's `C`). The dev set ranked
/// alike from 0.3 to 3; 1 is the solver's customary default.
const COST: f32 = 1.0;

/// Coordinate-descent passes over a problem at most; most problems meet
/// [`TOLERANCE`] well before.
const MAX_PASSES: usize = 30;

/// Stop when the projected gradients of a pass span less than this
/// (LIBLINEAR's default `eps` for this solver).
const TOLERANCE: f32 = 0.1;

/// Negative examples per organization at most: beyond this a deterministic
/// sample of the other organizations' capabilities stands for all of them.
pub const MAX_NEGATIVES: usize = 8_000;

/// Weights kept per organization, the largest in magnitude.
pub const KEPT_WEIGHTS: usize = 8_000;

/// One training example: a capability as a unit-length sparse vector.
#[derive(Debug, Clone)]
pub struct Example {
    /// The organization it belongs to, as a class number (`0..classes`).
    pub class: u32,
    /// (term id, weight), sorted by term id, of unit length.
    pub vector: Vec<(u32, f32)>,
}

/// One organization's classifier.
#[derive(Debug, Clone, Default, PartialEq)]
struct Discriminant {
    /// (term id, weight), sorted by term id.
    weights: Box<[(u32, f32)]>,
    bias: f32,
}

impl Discriminant {
    /// The decision value for a unit-length vector sorted by term id.
    fn decide(&self, vector: &[(u32, f32)]) -> f32 {
        let mut dot = self.bias;
        let mut rest: &[(u32, f32)] = &self.weights;
        for &(term, x) in vector {
            match rest.binary_search_by_key(&term, |&(t, _)| t) {
                Ok(at) => {
                    dot += x * rest[at].1;
                    rest = &rest[at + 1..];
                }
                Err(at) => rest = &rest[at..],
            }
            if rest.is_empty() {
                break;
            }
        }
        dot
    }
}

/// What an organization's classifier says of a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Near +1: like the organization's own capabilities; near −1: like
    /// anybody else's.
    pub decision: f32,
    /// How much text the decision rests on: the text's known features over
    /// a typical capability's, at most 1 (see the module's header).
    pub support: f32,
}

/// Every organization's classifier, fitted together on one catalog.
#[derive(Debug, Clone, Default)]
pub struct Discriminants {
    by_organization: HashMap<String, Discriminant>,
    /// Capabilities the classifiers were fitted on.
    fitted_on: usize,
    /// The median number of features of those capabilities.
    typical_features: usize,
}

impl Discriminants {
    /// Fits one classifier per class of `examples`; `organizations[class]`
    /// names each class. `vocabulary` bounds the term ids. CPU-bound: about a
    /// second per million (example, term) pairs per organization on this
    /// machine's cores; call from a blocking thread.
    pub fn fit(organizations: &[String], examples: &[Example], vocabulary: usize) -> Self {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); organizations.len()];
        for (i, example) in examples.iter().enumerate() {
            if let Some(list) = members.get_mut(example.class as usize) {
                list.push(i);
            }
        }
        let mut dense = vec![0.0f32; vocabulary];
        let by_organization = organizations
            .iter()
            .zip(&members)
            .enumerate()
            .filter(|(_, (_, positives))| !positives.is_empty() && positives.len() < examples.len())
            .map(|(class, (name, positives))| {
                let negatives = negative_sample(examples, class as u32, MAX_NEGATIVES);
                let problem: Vec<(usize, f32)> =
                    positives.iter().map(|&i| (i, 1.0)).chain(negatives.into_iter().map(|i| (i, -1.0))).collect();
                let discriminant = solve(examples, &problem, &mut dense, class as u64);
                (name.clone(), discriminant)
            })
            .collect();
        let mut lengths: Vec<usize> = examples.iter().map(|e| e.vector.len()).collect();
        let middle = lengths.len() / 2;
        let typical_features = if lengths.is_empty() { 0 } else { *lengths.select_nth_unstable(middle).1 };
        Self { by_organization, fitted_on: examples.len(), typical_features }
    }

    /// What `organization_id`'s classifier says of a unit-length vector
    /// sorted by term id; `None` when it has none.
    pub fn decide(&self, organization_id: &str, vector: &[(u32, f32)]) -> Option<Verdict> {
        let support = (vector.len() as f32 / self.typical_features.max(1) as f32).min(1.0);
        self.by_organization.get(organization_id).map(|d| Verdict { decision: d.decide(vector), support })
    }

    /// Capabilities the classifiers were fitted on.
    pub fn fitted_on(&self) -> usize {
        self.fitted_on
    }

    /// Organizations with a classifier.
    pub fn organizations(&self) -> usize {
        self.by_organization.len()
    }
}

/// Up to `limit` examples of other classes than `class`: all of them when
/// there are few enough, else an evenly spread sample starting at an offset
/// that depends on the class (deterministic, so a refit of the same catalog
/// gives the same classifiers).
fn negative_sample(examples: &[Example], class: u32, limit: usize) -> Vec<usize> {
    let others: Vec<usize> = (0..examples.len()).filter(|&i| examples[i].class != class).collect();
    if others.len() <= limit {
        return others;
    }
    let step = others.len() as f64 / limit as f64;
    let offset = splitmix(u64::from(class)) as f64 / u64::MAX as f64 * step;
    (0..limit).map(|k| others[((offset + k as f64 * step) as usize).min(others.len() - 1)]).collect()
}

/// Dual coordinate descent for the L2-regularised squared-hinge SVM over
/// `problem` ((example, label ±1)); `dense` is a zeroed scratch vector of
/// the vocabulary's size, left zeroed.
fn solve(examples: &[Example], problem: &[(usize, f32)], dense: &mut [f32], seed: u64) -> Discriminant {
    // The squared hinge loss adds 1/(2C) to the diagonal; the bias is a
    // constant feature of value 1, and every vector has unit length, so each
    // example's diagonal entry is the same.
    let diagonal_shift = 1.0 / (2.0 * COST);
    let diagonal = 1.0 + 1.0 + diagonal_shift;
    let mut alpha = vec![0.0f32; problem.len()];
    let mut bias = 0.0f32;
    let mut order: Vec<usize> = (0..problem.len()).collect();
    let mut state = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    for _ in 0..MAX_PASSES {
        // A fresh random order each pass, as the solver prescribes.
        for i in (1..order.len()).rev() {
            state = splitmix(state);
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let (mut highest, mut lowest) = (f32::NEG_INFINITY, f32::INFINITY);
        for &k in &order {
            let (example, label) = problem[k];
            let vector = &examples[example].vector;
            let margin = vector.iter().map(|&(t, x)| dense[t as usize] * x).sum::<f32>() + bias;
            let gradient = label * margin - 1.0 + diagonal_shift * alpha[k];
            let projected = if alpha[k] == 0.0 { gradient.min(0.0) } else { gradient };
            highest = highest.max(projected);
            lowest = lowest.min(projected);
            if projected.abs() > 1e-12 {
                let previous = alpha[k];
                alpha[k] = (previous - gradient / diagonal).max(0.0);
                let step = (alpha[k] - previous) * label;
                for &(t, x) in vector {
                    dense[t as usize] += step * x;
                }
                bias += step;
            }
        }
        if highest - lowest < TOLERANCE {
            break;
        }
    }
    let mut weights: Vec<(u32, f32)> = problem
        .iter()
        .flat_map(|&(example, _)| examples[example].vector.iter().map(|&(t, _)| t))
        .filter_map(|t| {
            let w = std::mem::take(&mut dense[t as usize]);
            (w != 0.0).then_some((t, w))
        })
        .collect();
    if weights.len() > KEPT_WEIGHTS {
        weights.select_nth_unstable_by(KEPT_WEIGHTS - 1, |a, b| b.1.abs().total_cmp(&a.1.abs()));
        weights.truncate(KEPT_WEIGHTS);
    }
    weights.sort_unstable_by_key(|&(t, _)| t);
    Discriminant { weights: weights.into_boxed_slice(), bias }
}

/// SplitMix64: a small, well-mixed deterministic sequence for shuffling.
fn splitmix(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(terms: &[(u32, f32)]) -> Vec<(u32, f32)> {
        let norm = terms.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        let mut v: Vec<(u32, f32)> = terms.iter().map(|&(t, w)| (t, w / norm)).collect();
        v.sort_unstable_by_key(|&(t, _)| t);
        v
    }

    /// Three organizations that all use the common terms 0 and 1 heavily;
    /// each has a term of its own (10, 11, 12) that it uses lightly.
    fn catalog() -> (Vec<String>, Vec<Example>) {
        let names = vec!["steel".to_owned(), "shrimp".to_owned(), "food".to_owned()];
        let mut examples = Vec::new();
        for class in 0..3u32 {
            for k in 0..20u32 {
                let noise = 20 + (k * 7 + class * 3) % 9;
                let vector = unit(&[(0, 3.0), (1, 2.5), (10 + class, 1.0), (noise, 0.8)]);
                examples.push(Example { class, vector });
            }
        }
        (names, examples)
    }

    #[test]
    fn a_discriminant_weighs_the_words_only_its_organization_uses() {
        let (names, examples) = catalog();
        let discriminants = Discriminants::fit(&names, &examples, 64);
        assert_eq!(discriminants.organizations(), 3);
        assert_eq!(discriminants.fitted_on(), 60);
        // A text of the common words and shrimp's own word: shrimp's
        // classifier says yes, the others no, though every organization
        // shares the common words with it.
        let text = unit(&[(0, 3.0), (1, 2.5), (11, 1.0)]);
        let shrimp = discriminants.decide("shrimp", &text).expect("shrimp has a classifier");
        for other in ["steel", "food"] {
            let value = discriminants.decide(other, &text).expect("a classifier").decision;
            assert!(shrimp.decision > 0.0 && value < 0.0, "shrimp {shrimp:?} against {other} {value}");
        }
        assert_eq!(discriminants.decide("nobody", &text), None);
        // Every capability has four features; this text has three.
        assert_eq!(shrimp.support, 0.75);
        let long = unit(&(0..10).map(|t| (t, 1.0)).collect::<Vec<_>>());
        assert_eq!(discriminants.decide("shrimp", &long).map(|v| v.support), Some(1.0), "at most 1");
    }

    #[test]
    fn fits_are_deterministic() {
        let (names, examples) = catalog();
        let a = Discriminants::fit(&names, &examples, 64);
        let b = Discriminants::fit(&names, &examples, 64);
        assert_eq!(a.by_organization, b.by_organization);
    }

    #[test]
    fn a_large_catalog_samples_its_negatives_evenly_and_within_the_limit() {
        let examples: Vec<Example> = (0..100).map(|i| Example { class: i % 4, vector: vec![(0, 1.0)] }).collect();
        let sample = negative_sample(&examples, 0, 30);
        assert_eq!(sample.len(), 30);
        assert!(sample.iter().all(|&i| examples[i].class != 0));
        assert!(sample.windows(2).all(|w| w[0] < w[1]), "distinct, in order: {sample:?}");
        assert_eq!(negative_sample(&examples, 0, 1_000).len(), 75, "all of them when few enough");
    }
}
