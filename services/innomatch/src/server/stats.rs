//! Registry statistics against the plan's 2025 targets (`StatsService`):
//! organizations by qualification from the catalog (only certificates valid
//! today, which only admins record), needs posted, and — when
//! the leads service runs in this process — matches made, leads accepted and won;
//! the plan board per district and county, its daily snapshots and their
//! XLSX export (`innomatch_catalog::plan`); and the bureau's enterprise
//! lookup (`innomatch_bureau::lookup`, admins only).
//!
//! Figures leak nothing: a non-admin's counts leave out other tenants'
//! private needs (as lists and search facets do), and lead figures, which
//! count every agency's business and the matches of private needs, are for
//! admins only.

use innomatch_bureau::{
    Bureau,
    lookup::{OrganizationLookup, Standing},
};
use innomatch_catalog::{
    Catalog,
    plan::{self, PlanBoard, PlanProgress},
};
use innomatch_core::{
    auth::principal,
    convert::timestamp,
    model::{RecordKind, now_ms},
};
use innomatch_leads::{Leads, model::LeadStatus, notifications::Notifications};
use innomatch_proto::v1::{self as pb, stats_service_server::StatsService};
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct StatsGrpc {
    catalog: Catalog,
    leads: Option<Leads>,
    bureau: Bureau,
}

impl StatsGrpc {
    pub fn new(catalog: Catalog, leads: Option<Leads>, notifications: Option<Notifications>) -> Self {
        let bureau = Bureau::new(catalog.clone()).with_leads(leads.clone()).with_notifications(notifications);
        Self { catalog, leads, bureau }
    }
}

fn standing(standing: Standing) -> pb::CertificateStanding {
    match standing {
        Standing::Valid => pb::CertificateStanding::Valid,
        Standing::ExpiringSoon => pb::CertificateStanding::ExpiringSoon,
        Standing::Expired => pb::CertificateStanding::Expired,
        Standing::NotYetValid => pb::CertificateStanding::NotYetValid,
    }
}

fn organization_lookup(found: OrganizationLookup) -> pb::OrganizationLookup {
    pb::OrganizationLookup {
        organization: Some(found.organization.into()),
        qualifications: found
            .qualifications
            .into_iter()
            .map(|q| pb::QualificationStanding {
                certificate: Some(q.certificate.into()),
                standing: standing(q.standing) as i32,
                days_left: q.days_left,
            })
            .collect(),
        needs: found.needs.into_iter().map(Into::into).collect(),
        capabilities: found.capabilities.into_iter().map(Into::into).collect(),
        offers: found.offers.into_iter().map(Into::into).collect(),
        leads_included: found.leads.is_some(),
        leads: found.leads.unwrap_or_default().into_iter().map(Into::into).collect(),
        interests_received: found.interests_received.into_iter().map(Into::into).collect(),
        interests_sent: found.interests_sent.into_iter().map(Into::into).collect(),
        notifications_included: found.notifications.is_some(),
        notifications: found.notifications.unwrap_or_default().into_iter().map(Into::into).collect(),
        policies: Some(pb::EligibleForOrganizationResponse {
            eligible: found.policies.eligible.into_iter().map(Into::into).collect(),
            nearly_eligible: found.policies.nearly_eligible.into_iter().map(Into::into).collect(),
            not_eligible: found.policies.not_eligible.into_iter().map(Into::into).collect(),
        }),
        policies_received: found.policies_received.into_iter().map(Into::into).collect(),
    }
}

/// How many snapshots a history read returns when the request names no limit.
const DEFAULT_HISTORY: u32 = 366;

fn figure(key: &str, label: &str, count: u64, target: u64) -> pb::PlanFigure {
    pb::PlanFigure { key: key.into(), label: label.into(), count, target, rate: None, rate_target: None }
}

fn plan_figure(progress: &PlanProgress) -> pb::PlanFigure {
    pb::PlanFigure {
        key: progress.key.clone(),
        label: progress.label.clone(),
        count: progress.count,
        target: progress.target,
        rate: progress.rate,
        rate_target: progress.rate_target,
    }
}

fn plan_board(board: &PlanBoard) -> pb::PlanBoard {
    pb::PlanBoard {
        day: board.day.clone(),
        computed_at: Some(timestamp(board.computed_at_ms)),
        city: board.city.iter().map(plan_figure).collect(),
        districts: board
            .districts
            .iter()
            .map(|d| pb::DistrictFigures {
                region_code: d.region_code.clone(),
                name: d.name.clone(),
                population: d.population.unwrap_or_default(),
                figures: d.figures.iter().map(plan_figure).collect(),
            })
            .collect(),
    }
}

/// `""` means from the first snapshot.
fn since_day(day: &str) -> Option<&str> {
    Some(day.trim()).filter(|d| !d.is_empty())
}

#[tonic::async_trait]
impl StatsService for StatsGrpc {
    async fn get_stats(&self, request: Request<pb::GetStatsRequest>) -> Result<Response<pb::Stats>, Status> {
        let caller = principal(&request)?;
        let mut figures: Vec<pb::PlanFigure> =
            self.catalog.plan_board(now_ms()).await.map_err(Status::from)?.city.iter().map(plan_figure).collect();
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

    async fn get_plan_board(
        &self,
        request: Request<pb::GetPlanBoardRequest>,
    ) -> Result<Response<pb::PlanBoard>, Status> {
        principal(&request)?;
        let board = self.catalog.plan_board(now_ms()).await.map_err(Status::from)?;
        Ok(Response::new(plan_board(&board)))
    }

    async fn list_plan_snapshots(
        &self,
        request: Request<pb::ListPlanSnapshotsRequest>,
    ) -> Result<Response<pb::PlanHistory>, Status> {
        principal(&request)?;
        let request = request.into_inner();
        let limit = if request.limit == 0 { DEFAULT_HISTORY } else { request.limit };
        let snapshots = self.catalog.plan_history(since_day(&request.since_day), limit).await.map_err(Status::from)?;
        Ok(Response::new(pb::PlanHistory { snapshots: snapshots.iter().map(plan_board).collect() }))
    }

    async fn export_plan_board(
        &self,
        request: Request<pb::ExportPlanBoardRequest>,
    ) -> Result<Response<pb::ExportedWorkbook>, Status> {
        principal(&request)?;
        let request = request.into_inner();
        let history =
            self.catalog.plan_history(since_day(&request.since_day), plan::MAX_HISTORY).await.map_err(Status::from)?;
        let board = self.catalog.plan_board(now_ms()).await.map_err(Status::from)?;
        let content = plan::xlsx::board_workbook(&board, &history).map_err(|error| {
            tracing::error!(%error, "plan board export failed");
            Status::internal("writing the workbook failed; the error was logged")
        })?;
        Ok(Response::new(pb::ExportedWorkbook { filename: format!("plan-board-{}.xlsx", board.day), content }))
    }

    async fn lookup_organization(
        &self,
        request: Request<pb::LookupOrganizationRequest>,
    ) -> Result<Response<pb::OrganizationLookup>, Status> {
        let caller = principal(&request)?;
        let query = request.into_inner().query;
        let found = self.bureau.lookup(&caller, &query, now_ms()).await.map_err(Status::from)?;
        Ok(Response::new(organization_lookup(found)))
    }
}
