//! The contract for keeping the plan board's daily snapshots, one per day,
//! beside the records they count (every record store keeps them).

use async_trait::async_trait;

use super::PlanBoard;
use crate::store::StoreError;

#[async_trait]
pub trait PlanSnapshotStore: Send + Sync {
    /// Keeps `board` as the snapshot of its day unless that day has one
    /// (the first kept stands, even when several servers race); true when kept.
    async fn save_plan_snapshot(&self, board: &PlanBoard) -> Result<bool, StoreError>;

    /// True when `day` (YYYY-MM-DD) has a snapshot.
    async fn has_plan_snapshot(&self, day: &str) -> Result<bool, StoreError>;

    /// The snapshots of `since_day` (YYYY-MM-DD; "" for all) and later,
    /// oldest first; the newest `limit` of them when there are more.
    async fn plan_snapshots(&self, since_day: &str, limit: u32) -> Result<Vec<PlanBoard>, StoreError>;
}

pub(crate) fn encode(board: &PlanBoard) -> Result<String, StoreError> {
    serde_json::to_string(board).map_err(|e| StoreError::Backend(e.to_string()))
}

pub(crate) fn decode(body: &str) -> Result<PlanBoard, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Backend(format!("corrupt plan snapshot: {e}")))
}
