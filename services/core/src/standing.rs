//! Streams that end when their principal stops acting: [`StandingWatch`]
//! remembers who opened a stream and asks the token resolver again whenever
//! its standings change, and before every item; [`StandingWatch::guard`]
//! wraps a server stream so it closes with UNAUTHENTICATED (token revoked) or
//! PERMISSION_DENIED (organization archived) and delivers nothing after,
//! and takes one of the principal's stream slots (see [`crate::fair_use`])
//! for as long as it is open.

use std::{pin::Pin, sync::Arc};

use futures::{Stream, StreamExt};
use tonic::Status;

use crate::{
    auth::{BOOTSTRAP_TOKEN_ID, Principal, TokenResolver},
    fair_use::{FairUse, StreamSlot},
};

/// A server stream as the gRPC adapters return it.
pub type GuardedStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The principal of one call and the resolver that can tell whether it still acts.
#[derive(Clone)]
pub struct StandingWatch {
    resolver: Arc<dyn TokenResolver>,
    principal: Principal,
    fair_use: Option<Arc<FairUse>>,
}

impl std::fmt::Debug for StandingWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandingWatch").field("token_id", &self.principal.token_id).finish_non_exhaustive()
    }
}

impl StandingWatch {
    pub fn new(resolver: Arc<dyn TokenResolver>, principal: Principal) -> Self {
        Self { resolver, principal, fair_use: None }
    }

    /// Streams guarded by this watch also count against the principal's stream cap.
    pub fn with_fair_use(mut self, fair_use: Arc<FairUse>) -> Self {
        self.fair_use = Some(fair_use);
        self
    }

    /// The error that must end the principal's calls now, if any. The
    /// bootstrap admin token comes from configuration and cannot be revoked.
    pub fn refusal(&self) -> Option<Status> {
        if self.principal.token_id == BOOTSTRAP_TOKEN_ID {
            return None;
        }
        self.resolver.standing(&self.principal).refusal(&self.principal)
    }

    /// `stream`, closed with the refusal as soon as the principal stops
    /// acting: checked whenever the resolver's standings change (so an idle
    /// stream closes too) and before every item (so nothing committed after a
    /// revocation reaches the subscriber).
    ///
    /// RESOURCE_EXHAUSTED when the principal has all its streams open already.
    pub fn guard<T, S>(self, stream: S) -> Result<GuardedStream<T>, Status>
    where
        T: Send + 'static,
        S: Stream<Item = Result<T, Status>> + Send + 'static,
    {
        struct State<S> {
            watch: StandingWatch,
            changes: tokio::sync::watch::Receiver<u64>,
            watching: bool,
            inner: Pin<Box<S>>,
            done: bool,
            _slot: Option<StreamSlot>,
        }
        let slot = match &self.fair_use {
            Some(fair_use) => fair_use.open_stream(&self.principal)?,
            None => None,
        };
        let changes = self.resolver.changes();
        let state = State { watch: self, changes, watching: true, inner: Box::pin(stream), done: false, _slot: slot };
        Ok(Box::pin(futures::stream::unfold(state, |mut state| async move {
            if state.done {
                return None;
            }
            loop {
                tokio::select! {
                    biased;
                    changed = state.changes.changed(), if state.watching => {
                        // A resolver that can no longer tick still answers `standing`.
                        state.watching = changed.is_ok();
                        if let Some(refusal) = state.watch.refusal() {
                            state.done = true;
                            return Some((Err(refusal), state));
                        }
                    }
                    item = state.inner.next() => {
                        let item = item?;
                        if let Some(refusal) = state.watch.refusal() {
                            state.done = true;
                            return Some((Err(refusal), state));
                        }
                        return Some((item, state));
                    }
                }
            }
        })))
    }
}
