//! The gauges refreshed in the background: the change-feed head (here, or
//! at the catalog a replica follows), the index size, the sequence it
//! applied and its lag behind the feed, and the open lead backlog per agency.

use std::{collections::BTreeSet, sync::Arc};

use innomatch_leads::Leads;
use innomatch_search::index::SearchIndex;
use tokio::task::JoinHandle;

use super::{
    metrics::{GAUGE_INTERVAL, gauge, labelled_gauge},
    replica::FeedHead,
};

/// Refreshes the gauges every [`GAUGE_INTERVAL`] until aborted.
pub fn spawn(head: FeedHead, index: Option<Arc<SearchIndex>>, leads: Option<Leads>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut agencies_seen = BTreeSet::new();
        loop {
            if let Some(latest) = head.latest() {
                gauge("innomatch_change_feed_sequence", latest as f64);
                if let Some(index) = &index {
                    gauge("innomatch_index_lag_changes", (latest - index.applied_sequence()).max(0) as f64);
                }
            }
            if let Some(index) = &index {
                gauge("innomatch_index_documents", index.num_docs() as f64);
                gauge("innomatch_index_applied_sequence", index.applied_sequence() as f64);
            }
            if let Some(leads) = &leads
                && let Ok(backlog) = leads.backlog_by_agency().await
            {
                // An agency that answered everything drops out of the query: report its 0.
                let current: BTreeSet<String> = backlog.iter().map(|(a, _)| a.clone()).collect();
                for agency in agencies_seen.difference(&current) {
                    labelled_gauge("innomatch_lead_backlog", "agency", agency.clone(), 0.0);
                }
                for (agency, open) in backlog {
                    labelled_gauge("innomatch_lead_backlog", "agency", agency, open as f64);
                }
                agencies_seen = current;
            }
            tokio::time::sleep(GAUGE_INTERVAL).await;
        }
    })
}
