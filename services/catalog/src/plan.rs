//! The plan's 2025 targets against the registry: for each target (700
//! high-tech enterprises, 660 tech SMEs, 18 incubators, 20 maker spaces),
//! how many organizations count today, in the whole registry or in one
//! district or county. A qualification counts only with a certificate
//! valid today. The stats API and the bureau's plan board both read this.

use innomatch_core::{
    auth::Principal,
    model::{RecordKind, now_ms},
    tag::Tag,
    taxonomy::Taxonomy,
};

use crate::{Catalog, CatalogError};

/// One plan target and today's count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanProgress {
    pub key: String,
    pub label: String,
    pub count: u64,
    pub target: u64,
}

impl Catalog {
    /// Today's count for every plan target, in `region_code` (a district or
    /// county; a record in one carries its city too) or everywhere.
    pub async fn plan_progress(
        &self,
        principal: &Principal,
        region_code: Option<&str>,
    ) -> Result<Vec<PlanProgress>, CatalogError> {
        let now = now_ms();
        let mut progress = Vec::new();
        for target in Taxonomy::get().plan_targets() {
            let mut tags = target.tags.clone();
            if let Some(region) = region_code {
                tags.push(Tag::Region(region.to_owned()));
            }
            let qualification = tags.iter().find_map(|tag| match tag {
                Tag::Qualification(q) => Some(*q),
                _ => None,
            });
            let count = match qualification {
                Some(q) => {
                    let others: Vec<Tag> = tags.iter().filter(|t| **t != Tag::Qualification(q)).cloned().collect();
                    self.count_qualified(&others, q, now).await?
                }
                None => self.count_visible(principal, RecordKind::Organization, &tags).await?,
            };
            progress.push(PlanProgress {
                key: target.key.clone(),
                label: target.label.clone(),
                count,
                target: target.target,
            });
        }
        Ok(progress)
    }
}
