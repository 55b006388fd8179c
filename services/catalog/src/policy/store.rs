//! The policy-push ledger contract: which support policy was pushed to which
//! organization, and when. One row per organization × policy, so a push is
//! recorded once however often the follower replays the feed, and the
//! bureau's enterprise lookup can list what an organization received.

use async_trait::async_trait;

use crate::store::StoreError;

/// One policy pushed to one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPush {
    pub organization_id: String,
    pub policy_id: String,
    /// Milliseconds since the Unix epoch of the first push.
    pub pushed_at_ms: i64,
}

#[async_trait]
pub trait PolicyPushStore: Send + Sync + 'static {
    /// Records the push unless the pair was pushed before; true when it is new.
    async fn record_policy_push(&self, push: PolicyPush) -> Result<bool, StoreError>;

    /// The policies pushed to an organization, oldest first.
    async fn policy_pushes_of(&self, organization_id: &str) -> Result<Vec<PolicyPush>, StoreError>;

    /// The organizations a policy was pushed to, oldest first.
    async fn policy_pushes_for(&self, policy_id: &str) -> Result<Vec<PolicyPush>, StoreError>;
}
