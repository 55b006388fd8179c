//! Choosing innovation consortium members: weighted maximum coverage of the
//! need's competencies under a size limit, with the lead enterprise fixed
//! and at least one academic member.
//!
//! The algorithm is deterministic: greedy by marginal gain (ties broken by
//! total strength, then input order), then local improvement by single
//! swaps, then pruning of members whose competencies others also cover
//! (strength at or above the cover threshold), so the result covers what it
//! can with the fewest members. Alternatives come from re-solving
//! with one member of an earlier answer banned.
//!
//! When asked for chain enterprises, a member from the need's industry chain
//! (up- or downstream) is included whenever a candidate fits the chain, the
//! way an academic member always is.

/// A gain smaller than this is no gain (scores are floats).
const EPSILON: f32 = 1e-6;
/// Swap rounds before local improvement gives up (each round scans all swaps).
const MAX_SWAP_ROUNDS: usize = 50;

/// One organization that may join, with how strongly it covers each competency (0..=1).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub academic: bool,
    pub strengths: Vec<f32>,
    /// How well it fits a position of the need's industry chain (0..=1; 0
    /// for a candidate that is no chain enterprise).
    pub chain_fit: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Weight of each competency.
    pub weights: Vec<f32>,
    pub candidates: Vec<Candidate>,
    /// Index of the lead enterprise in `candidates`; always a member.
    pub lead: usize,
    /// Most members, the lead included.
    pub max_members: usize,
    pub require_academic: bool,
    /// Include a chain enterprise (a candidate with `chain_fit > 0`) when one exists.
    pub require_chain: bool,
    /// A member covers a competency from this strength up.
    pub cover_threshold: f32,
}

/// Members (indices into the candidates, the lead first) and the covered weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub members: Vec<usize>,
    pub value: f32,
}

impl Problem {
    /// Σ over competencies of weight × the best strength among `members`.
    pub fn value(&self, members: &[usize]) -> f32 {
        self.weights
            .iter()
            .enumerate()
            .map(|(c, w)| w * members.iter().map(|&m| self.candidates[m].strengths[c]).fold(0.0, f32::max))
            .sum()
    }

    /// Σ weight of the competencies some member covers (strength ≥ threshold).
    pub fn covered_weight(&self, members: &[usize]) -> f32 {
        self.weights
            .iter()
            .enumerate()
            .filter(|(c, _)| members.iter().any(|&m| self.candidates[m].strengths[*c] >= self.cover_threshold))
            .map(|(_, w)| w)
            .sum()
    }

    fn feasible(&self, members: &[usize]) -> bool {
        members.len() <= self.max_members
            && (!self.require_academic || members.iter().any(|&m| self.candidates[m].academic))
            && (!self.chain_required() || members.iter().any(|&m| self.candidates[m].chain_fit > 0.0))
    }

    /// Whether a chain member is required and some candidate can be one.
    fn chain_required(&self) -> bool {
        self.require_chain && self.candidates.iter().enumerate().any(|(i, c)| i != self.lead && c.chain_fit > 0.0)
    }

    fn total_strength(&self, candidate: usize) -> f32 {
        self.candidates[candidate].strengths.iter().sum()
    }

    /// The best consortium avoiding `banned`, or `None` when the constraints
    /// cannot hold (no academic candidate, or a size limit below two).
    pub fn solve(&self, banned: &[usize]) -> Option<Solution> {
        if self.lead >= self.candidates.len() || self.max_members == 0 {
            return None;
        }
        let mut members = vec![self.lead];
        let allowed = |i: usize, members: &[usize]| !members.contains(&i) && !banned.contains(&i);
        let has_academic = |members: &[usize]| members.iter().any(|&m| self.candidates[m].academic);

        // Greedy by marginal gain.
        while members.len() < self.max_members {
            let must_be_academic =
                self.require_academic && !has_academic(&members) && members.len() + 1 == self.max_members;
            let current = self.value(&members);
            let best = (0..self.candidates.len())
                .filter(|&i| allowed(i, &members) && (!must_be_academic || self.candidates[i].academic))
                .map(|i| {
                    let mut with = members.clone();
                    with.push(i);
                    (i, self.value(&with) - current)
                })
                .filter(|&(_, gain)| gain > EPSILON)
                .max_by(|a, b| {
                    a.1.total_cmp(&b.1)
                        .then_with(|| self.total_strength(a.0).total_cmp(&self.total_strength(b.0)))
                        .then_with(|| b.0.cmp(&a.0))
                });
            match best {
                Some((i, _)) => members.push(i),
                None => break,
            }
        }
        if self.require_academic && !has_academic(&members) {
            // Nothing academic added value: take the strongest academic anyway.
            let academic = (0..self.candidates.len())
                .filter(|&i| allowed(i, &members) && self.candidates[i].academic)
                .max_by(|&a, &b| self.total_strength(a).total_cmp(&self.total_strength(b)).then_with(|| b.cmp(&a)))?;
            if members.len() == self.max_members {
                if members.len() == 1 {
                    return None; // no room beside the lead
                }
                members.pop();
            }
            members.push(academic);
        }
        let has_chain = |members: &[usize]| members.iter().any(|&m| self.candidates[m].chain_fit > 0.0);
        if self.chain_required() && !has_chain(&members) {
            // The best-fitting chain enterprise joins; if the consortium is
            // full, it takes the place of the weakest non-academic member
            // (or the weakest one when all are academic but one).
            let chain = (0..self.candidates.len())
                .filter(|&i| i != self.lead && allowed(i, &members) && self.candidates[i].chain_fit > 0.0)
                .max_by(|&a, &b| {
                    self.candidates[a].chain_fit.total_cmp(&self.candidates[b].chain_fit).then_with(|| b.cmp(&a))
                });
            if let Some(chain) = chain {
                if members.len() == self.max_members {
                    let academics = members.iter().filter(|&&m| self.candidates[m].academic).count();
                    let weakest = (1..members.len())
                        .filter(|&p| !self.candidates[members[p]].academic || academics > 1)
                        .min_by(|&a, &b| self.total_strength(members[a]).total_cmp(&self.total_strength(members[b])));
                    match weakest {
                        Some(position) => {
                            members.remove(position);
                        }
                        None => return None,
                    }
                }
                members.push(chain);
            }
        }
        if !self.feasible(&members) {
            return None;
        }

        // Local improvement: accept the first swap that raises the value.
        for _ in 0..MAX_SWAP_ROUNDS {
            let current = self.value(&members);
            let swap = (1..members.len()).find_map(|position| {
                (0..self.candidates.len()).filter(|&i| allowed(i, &members)).find_map(|incoming| {
                    let mut trial = members.clone();
                    trial[position] = incoming;
                    (self.feasible(&trial) && self.value(&trial) > current + EPSILON).then_some(trial)
                })
            });
            match swap {
                Some(better) => members = better,
                None => break,
            }
        }

        // Prune members whose removal leaves every covered competency covered
        // (perhaps a little less strongly): fewer members, same coverage.
        loop {
            let covered = self.covered_weight(&members);
            let removable = (1..members.len())
                .filter_map(|position| {
                    let mut trial = members.clone();
                    trial.remove(position);
                    let loss = covered - self.covered_weight(&trial);
                    (loss <= EPSILON && self.feasible(&trial)).then_some((position, members[position]))
                })
                .min_by(|a, b| {
                    self.total_strength(a.1).total_cmp(&self.total_strength(b.1)).then_with(|| b.1.cmp(&a.1))
                });
            match removable {
                Some((position, _)) => {
                    members.remove(position);
                }
                None => break,
            }
        }
        let value = self.value(&members);
        Some(Solution { members, value })
    }

    /// Up to `k` different consortia, best first: the best one, then the best
    /// ones without each member of those found so far.
    pub fn alternatives(&self, k: usize) -> Vec<Solution> {
        let Some(best) = self.solve(&[]) else { return Vec::new() };
        let mut found = vec![best];
        let mut frontier = vec![Vec::<usize>::new()];
        while found.len() < k && !frontier.is_empty() {
            let mut next_frontier = Vec::new();
            let mut candidates = Vec::new();
            for banned in &frontier {
                for solution in found.clone() {
                    for &member in solution.members.iter().skip(1) {
                        let mut ban = banned.clone();
                        if ban.contains(&member) {
                            continue;
                        }
                        ban.push(member);
                        ban.sort_unstable();
                        if let Some(alt) = self.solve(&ban) {
                            candidates.push((alt, ban.clone()));
                        }
                        next_frontier.push(ban);
                    }
                }
            }
            candidates.sort_by(|a, b| b.0.value.total_cmp(&a.0.value).then_with(|| a.0.members.cmp(&b.0.members)));
            for (alt, _) in candidates {
                let mut sorted = alt.members.clone();
                sorted.sort_unstable();
                let duplicate = found.iter().any(|f| {
                    let mut other = f.members.clone();
                    other.sort_unstable();
                    other == sorted
                });
                if !duplicate && found.len() < k {
                    found.push(alt);
                }
            }
            next_frontier.sort();
            next_frontier.dedup();
            next_frontier.truncate(16);
            frontier = next_frontier;
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(academic: bool, strengths: &[f32]) -> Candidate {
        Candidate { academic, strengths: strengths.to_vec(), chain_fit: 0.0 }
    }

    /// Six competencies; a big generalist covers four, two specialists cover
    /// three each and together all six: the best answer is lead + both specialists.
    fn greedy_trap() -> Problem {
        Problem {
            weights: vec![1.0; 6],
            candidates: vec![
                candidate(false, &[0.0; 6]),                       // 0 lead
                candidate(true, &[1.0, 1.0, 1.0, 1.0, 0.0, 0.0]),  // 1 generalist
                candidate(true, &[1.0, 1.0, 0.0, 0.0, 1.0, 0.0]),  // 2 specialist A
                candidate(false, &[0.0, 0.0, 1.0, 1.0, 0.0, 1.0]), // 3 specialist B (an enterprise)
                candidate(true, &[0.2, 0.0, 0.0, 0.0, 0.0, 0.0]),  // 4 weak
            ],
            lead: 0,
            max_members: 5,
            require_academic: true,
            require_chain: false,
            cover_threshold: 0.3,
        }
    }

    #[test]
    fn covers_everything_with_the_fewest_members() {
        let solution = greedy_trap().solve(&[]).expect("solvable");
        let mut members = solution.members.clone();
        members.sort_unstable();
        assert_eq!(members, [0, 2, 3]);
        assert_eq!(solution.value, 6.0);
    }

    #[test]
    fn size_limit_and_academic_member_always_hold() {
        let mut problem = greedy_trap();
        problem.max_members = 2;
        let solution = problem.solve(&[]).expect("solvable");
        assert_eq!(solution.members, [0, 1], "with room for one partner, the generalist (academic) is best");
        // Ban every academic: no consortium can satisfy the constraint.
        assert!(problem.solve(&[1, 2, 4]).is_none());
        // The lead alone is academic-free, so a single-member consortium is impossible.
        problem.max_members = 1;
        assert!(problem.solve(&[]).is_none());
    }

    #[test]
    fn an_academic_member_is_added_even_when_it_adds_little() {
        let problem = Problem {
            weights: vec![1.0, 1.0],
            candidates: vec![
                candidate(false, &[0.0, 0.0]),
                candidate(false, &[1.0, 1.0]), // an enterprise covers everything
                candidate(true, &[0.1, 0.0]),
            ],
            lead: 0,
            max_members: 3,
            require_academic: true,
            require_chain: false,
            cover_threshold: 0.3,
        };
        let solution = problem.solve(&[]).expect("solvable");
        assert_eq!(solution.members, [0, 1, 2]);
    }

    #[test]
    fn the_same_input_gives_the_same_alternatives_without_repeats() {
        let problem = greedy_trap();
        let first = problem.alternatives(3);
        assert_eq!(first, problem.alternatives(3));
        assert_eq!(first.len(), 3);
        for (i, a) in first.iter().enumerate() {
            assert!(problem.feasible(&a.members));
            for b in &first[i + 1..] {
                let (mut x, mut y) = (a.members.clone(), b.members.clone());
                x.sort_unstable();
                y.sort_unstable();
                assert_ne!(x, y);
            }
        }
        assert!(first.windows(2).all(|w| w[0].value >= w[1].value));
    }
}
