//! Fair use per principal: a token bucket of calls (a steady rate with
//! bursts), a cap on calls running at once and a cap on open streams for
//! every non-admin token, so one tenant cannot crowd out the others. Over
//! the rate or the stream cap a call gets RESOURCE_EXHAUSTED with a
//! `RetryInfo` detail saying when to try again; a call over the running cap
//! waits its turn (it costs no CPU while it waits).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::{auth::Principal, config::ServerLimits};

/// The limits and what each token has used of them.
#[derive(Debug)]
pub struct FairUse {
    rate_per_sec: f64,
    burst: f64,
    max_streams: usize,
    max_running: usize,
    buckets: Mutex<HashMap<String, Bucket>>,
    running: Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>,
    streams: Arc<Mutex<HashMap<String, usize>>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// One open stream of a token; dropping it frees the slot.
#[derive(Debug)]
pub struct StreamSlot {
    token_id: String,
    streams: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Ok(mut streams) = self.streams.lock()
            && let Some(open) = streams.get_mut(&self.token_id)
        {
            *open = open.saturating_sub(1);
            if *open == 0 {
                streams.remove(&self.token_id);
            }
        }
    }
}

fn exhausted(message: String, retry_after: Duration) -> Status {
    Status::with_error_details(Code::ResourceExhausted, message, ErrorDetails::with_retry_info(Some(retry_after)))
}

impl FairUse {
    pub fn new(limits: &ServerLimits) -> Self {
        Self {
            rate_per_sec: f64::from(limits.requests_per_second_per_token.max(1)),
            burst: f64::from(limits.request_burst_per_token.max(1)),
            max_streams: limits.streams_per_token.max(1),
            max_running: limits.calls_running_per_token.max(1),
            buckets: Mutex::default(),
            running: Mutex::default(),
            streams: Arc::default(),
        }
    }

    /// Takes one call from the principal's bucket. Admin tokens (operators
    /// and the services' own calls) are not limited.
    pub fn admit_call(&self, principal: &Principal) -> Result<(), Status> {
        if principal.is_admin() {
            return Ok(());
        }
        self.take(&principal.token_id, Instant::now())
    }

    fn take(&self, token_id: &str, now: Instant) -> Result<(), Status> {
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        let bucket = buckets.entry(token_id.to_owned()).or_insert(Bucket { tokens: self.burst, refilled: now });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate_per_sec).min(self.burst);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate_per_sec);
        Err(exhausted(format!("too many calls for this token: at most {} per second", self.rate_per_sec), wait))
    }

    /// Waits until the principal has fewer than its cap of calls running and
    /// returns the permit to hold while the call runs (`None` for admins,
    /// who are not limited). Searches and matching are CPU-bound: the cap
    /// keeps one token's parallel calls from taking every core.
    pub async fn running_call(&self, principal: &Principal) -> Option<tokio::sync::OwnedSemaphorePermit> {
        if principal.is_admin() {
            return None;
        }
        let semaphore = {
            let mut running = self.running.lock().ok()?;
            let semaphore = running
                .entry(principal.token_id.clone())
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.max_running)));
            Arc::clone(semaphore)
        };
        semaphore.acquire_owned().await.ok()
    }

    /// A slot for one more open stream of the principal (admins unlimited).
    pub fn open_stream(&self, principal: &Principal) -> Result<Option<StreamSlot>, Status> {
        if principal.is_admin() {
            return Ok(None);
        }
        let Ok(mut streams) = self.streams.lock() else { return Ok(None) };
        let open = streams.entry(principal.token_id.clone()).or_insert(0);
        if *open >= self.max_streams {
            return Err(exhausted(
                format!("this token already has {} streams open; close one first", self.max_streams),
                Duration::from_secs(1),
            ));
        }
        *open += 1;
        Ok(Some(StreamSlot { token_id: principal.token_id.clone(), streams: Arc::clone(&self.streams) }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    fn limits(rate: u32, burst: u32, streams: usize) -> ServerLimits {
        ServerLimits {
            requests_per_second_per_token: rate,
            request_burst_per_token: burst,
            streams_per_token: streams,
            calls_running_per_token: 2,
            ..ServerLimits::default()
        }
    }

    #[test]
    fn a_burst_is_allowed_then_the_rate_refills_it() {
        let fair = FairUse::new(&limits(10, 3, 1));
        let start = Instant::now();
        for _ in 0..3 {
            fair.take("tok_a", start).expect("within the burst");
        }
        let refused = fair.take("tok_a", start).expect_err("burst spent");
        assert_eq!(refused.code(), Code::ResourceExhausted);
        let retry = refused.get_details_retry_info().and_then(|r| r.retry_delay).expect("a retry hint");
        assert!(retry > Duration::ZERO && retry <= Duration::from_millis(100), "{retry:?}");
        fair.take("tok_b", start).expect("another token has its own bucket");
        fair.take("tok_a", start + Duration::from_millis(100)).expect("refilled after 1/rate");
    }

    #[tokio::test]
    async fn a_tokens_calls_beyond_its_running_cap_wait_for_one_to_finish() {
        let fair = FairUse::new(&limits(10, 3, 1));
        let member = Principal { token_id: "tok_m".into(), organization_id: Some("org_a".into()), role: Role::Member };
        let other = Principal { token_id: "tok_o".into(), organization_id: Some("org_b".into()), role: Role::Member };
        let first = fair.running_call(&member).await.expect("a permit");
        let _second = fair.running_call(&member).await.expect("a permit");
        let third = fair.running_call(&member);
        tokio::pin!(third);
        assert!(futures::poll!(third.as_mut()).is_pending(), "a third call waits");
        let _theirs = fair.running_call(&other).await.expect("another token runs at once");
        drop(first);
        assert!(third.await.is_some(), "a finished call lets the next one run");
    }

    #[test]
    fn streams_are_capped_per_token_and_admins_are_not_limited() {
        let fair = FairUse::new(&limits(10, 3, 2));
        let member = Principal { token_id: "tok_m".into(), organization_id: Some("org_a".into()), role: Role::Member };
        let first = fair.open_stream(&member).expect("one");
        let _second = fair.open_stream(&member).expect("two");
        assert_eq!(fair.open_stream(&member).expect_err("three").code(), Code::ResourceExhausted);
        drop(first);
        fair.open_stream(&member).expect("a closed stream frees its slot");
        let admin = Principal { token_id: "tok_admin".into(), organization_id: None, role: Role::Admin };
        for _ in 0..10 {
            fair.admit_call(&admin).expect("admins are not rate limited");
            assert!(fair.open_stream(&admin).expect("admins are not capped").is_none());
        }
    }
}
