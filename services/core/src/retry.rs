//! How long a follower or a reader waits before it tries again: exponential
//! back-off from a floor to a cap, with jitter, for as long as it takes
//! (the task retries until it is aborted). Progress starts the delays over.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

/// Retry delays that never run out: doubling from `min` to `max`, each
/// stretched by a random part of itself (up to twice as long) so replicas
/// that failed together do not retry together.
#[derive(Debug)]
pub struct RetryDelays {
    builder: ExponentialBuilder,
    delays: ExponentialBackoff,
    max: Duration,
}

impl RetryDelays {
    pub fn new(min: Duration, max: Duration) -> Self {
        let builder = ExponentialBuilder::default()
            .with_min_delay(min)
            .with_max_delay(max)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times();
        Self { builder, delays: builder.build(), max }
    }

    /// The wait before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        // Built without a limit on attempts or total time, the iterator never
        // ends; the cap is the answer should that ever change.
        self.delays.next().unwrap_or(self.max)
    }

    /// After progress: the next failure waits the shortest delay again.
    pub fn reset(&mut self) {
        self.delays = self.builder.build();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_jitter_and_start_over_after_a_reset() {
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(2));
        let mut retry = RetryDelays::new(min, max);
        let delays: Vec<Duration> = (0..50).map(|_| retry.next_delay()).collect();
        for (attempt, delay) in delays.iter().enumerate() {
            // Without jitter attempt n waits min * 2^n, capped; jitter adds up to as much again.
            let base = min.saturating_mul(1 << attempt.min(20)).min(max);
            assert!(*delay >= base && *delay <= base * 2, "attempt {attempt}: {delay:?} vs {base:?}");
        }
        assert!(delays[10..].iter().all(|d| *d >= max), "the cap is reached and kept");
        retry.reset();
        let first = retry.next_delay();
        assert!(first >= min && first <= min * 2, "{first:?}");
    }
}
