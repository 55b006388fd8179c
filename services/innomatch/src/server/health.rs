//! gRPC health: every mounted service starts NOT_SERVING, turns SERVING once
//! the stores are open and the tokens loaded (a replica: once its index has
//! caught up with the catalog it follows), and returns to NOT_SERVING at
//! shutdown; LeadsService follows its delivery backend (Redis) in between.

use innomatch_core::config::ServiceKind;
use innomatch_leads::Leads;
use tokio::task::JoinHandle;
use tonic_health::{
    ServingStatus,
    pb::health_server::{Health, HealthServer},
    server::HealthReporter,
};

/// gRPC names of the services each [`ServiceKind`] mounts.
pub fn grpc_names(kind: ServiceKind) -> &'static [&'static str] {
    match kind {
        ServiceKind::Catalog => &[
            "innomatch.v1.CatalogService",
            "innomatch.v1.AdminService",
            "innomatch.v1.StatsService",
            "innomatch.v1.InterestService",
            "innomatch.v1.AccountService",
            "innomatch.v1.PolicyService",
        ],
        ServiceKind::Search => &["innomatch.v1.SearchService"],
        ServiceKind::Matcher => &["innomatch.v1.MatcherService"],
        ServiceKind::Leads => &["innomatch.v1.LeadsService", "innomatch.v1.NotificationService"],
    }
}

const LEADS_SERVICE: &str = "innomatch.v1.LeadsService";

/// The health service and what it reports for the mounted services.
pub struct ServerHealth {
    reporter: HealthReporter,
    mounted: Vec<&'static str>,
}

impl ServerHealth {
    /// Every mounted service (and the server as a whole, `""`) NOT_SERVING.
    pub async fn not_serving(services: &[ServiceKind]) -> (Self, HealthServer<impl Health>) {
        let (reporter, service) = tonic_health::server::health_reporter();
        let mounted: Vec<&'static str> = services.iter().flat_map(|k| grpc_names(*k).iter().copied()).collect();
        let health = Self { reporter, mounted };
        health.set_all(ServingStatus::NotServing).await;
        (health, service)
    }

    /// The gRPC names of the mounted services.
    pub fn mounted(&self) -> &[&'static str] {
        &self.mounted
    }

    /// Everything mounted is ready; LeadsService then follows its backend's
    /// readiness in a task (aborted by [`Self::stopping`]).
    pub async fn serving(&self, leads: Option<&Leads>) -> Option<JoinHandle<()>> {
        self.set_all(ServingStatus::Serving).await;
        match leads {
            Some(leads) => Some(self.follow_leads_readiness(leads).await),
            None => None,
        }
    }

    /// A replica: everything mounted turns SERVING once `ready` resolves
    /// (its index caught up with the catalog it follows), in a task aborted
    /// by [`Self::stopping`]'s caller.
    pub fn serving_when(&self, ready: impl Future<Output = ()> + Send + 'static) -> JoinHandle<()> {
        let reporter = self.reporter.clone();
        let mounted = self.mounted.clone();
        tokio::spawn(async move {
            ready.await;
            tracing::info!("caught up with the catalog's change feed: serving");
            for name in mounted.into_iter().chain([""]) {
                reporter.set_service_status(name, ServingStatus::Serving).await;
            }
        })
    }

    /// The server is shutting down: new callers should go elsewhere.
    pub async fn stopping(&self) {
        for name in &self.mounted {
            self.reporter.set_service_status(*name, ServingStatus::NotServing).await;
        }
    }

    async fn set_all(&self, status: ServingStatus) {
        for name in &self.mounted {
            self.reporter.set_service_status(*name, status).await;
        }
        self.reporter.set_service_status("", status).await;
    }

    /// LeadsService's status from the backend's readiness now, then kept in step.
    async fn follow_leads_readiness(&self, leads: &Leads) -> JoinHandle<()> {
        let status = |ready: bool| if ready { ServingStatus::Serving } else { ServingStatus::NotServing };
        let mut ready = leads.readiness();
        self.reporter.set_service_status(LEADS_SERVICE, status(*ready.borrow_and_update())).await;
        let reporter = self.reporter.clone();
        tokio::spawn(async move {
            while ready.changed().await.is_ok() {
                let now = *ready.borrow_and_update();
                tracing::info!(ready = now, "lead delivery readiness changed");
                reporter.set_service_status(LEADS_SERVICE, status(now)).await;
            }
        })
    }
}
