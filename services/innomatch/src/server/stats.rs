//! Registry statistics against the plan's 2025 targets (`StatsService`):
//! organizations by qualification from the catalog (only certificates valid
//! today, which only admins record), needs posted, and — when
//! the leads service runs in this process — matches made, leads accepted and won.
//!
//! Figures leak nothing: a non-admin's counts leave out other tenants'
//! private needs (as lists and search facets do), and lead figures, which
//! count every agency's business and the matches of private needs, are for
//! admins only.

use innomatch_catalog::Catalog;
use innomatch_core::{auth::principal, model::RecordKind};
use innomatch_leads::{Leads, model::LeadStatus};
use innomatch_proto::v1::{self as pb, stats_service_server::StatsService};
use tonic::{Request, Response, Status};

#[derive(Debug, Clone)]
pub struct StatsGrpc {
    catalog: Catalog,
    leads: Option<Leads>,
}

impl StatsGrpc {
    pub fn new(catalog: Catalog, leads: Option<Leads>) -> Self {
        Self { catalog, leads }
    }
}

fn figure(key: &str, label: &str, count: u64, target: u64) -> pb::PlanFigure {
    pb::PlanFigure { key: key.into(), label: label.into(), count, target }
}

#[tonic::async_trait]
impl StatsService for StatsGrpc {
    async fn get_stats(&self, request: Request<pb::GetStatsRequest>) -> Result<Response<pb::Stats>, Status> {
        let caller = principal(&request)?;
        let mut figures: Vec<pb::PlanFigure> = self
            .catalog
            .plan_progress(&caller, None)
            .await
            .map_err(Status::from)?
            .into_iter()
            .map(|p| figure(&p.key, &p.label, p.count, p.target))
            .collect();
        for (key, label, kind) in [
            ("needs_posted", "发布技术需求", RecordKind::Need),
            ("capabilities_listed", "登记科技能力", RecordKind::Capability),
            ("service_offers", "中介服务", RecordKind::ServiceOffer),
        ] {
            figures.push(figure(
                key,
                label,
                self.catalog.count_visible(&caller, kind, &[]).await.map_err(Status::from)?,
                0,
            ));
        }
        let leads = self.leads.as_ref().filter(|_| caller.is_admin());
        if let Some(leads) = leads {
            let counts = leads.status_counts().await.map_err(Status::from)?;
            let sum = |statuses: &[LeadStatus]| -> u64 {
                counts.iter().filter(|(s, _)| statuses.contains(s)).map(|(_, n)| n).sum()
            };
            let all: u64 = counts.iter().map(|(_, n)| n).sum();
            figures.push(figure("matches_made", "推送对接线索", all, 0));
            figures.push(figure(
                "leads_accepted",
                "线索已接受",
                sum(&[LeadStatus::Accepted, LeadStatus::Contacted, LeadStatus::Won, LeadStatus::Lost]),
                0,
            ));
            figures.push(figure("leads_won", "线索成交", sum(&[LeadStatus::Won]), 0));
        }
        Ok(Response::new(pb::Stats { figures, leads_counted: leads.is_some() }))
    }
}
