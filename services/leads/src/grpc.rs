//! The gRPC adapter of `innomatch.v1.LeadsService`: each RPC takes the
//! principal, converts and validates the request (field-level BadRequest),
//! calls [`Leads`] and maps the error. No rules live here.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use innomatch_core::{
    auth::principal,
    convert::timestamp,
    model::ServiceCategory,
    status::invalid_argument,
    validation::{Violations, limits, page_size},
};
use innomatch_proto::v1::{self as pb, leads_service_server::LeadsService};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::{
    Leads,
    model::{DeclineReason, Lead, LeadDraft, LeadStatus, Outcome, Transition},
    service::{ExportFormat, ListFilter},
};

/// Export files are streamed in chunks of this size, well under message limits.
pub const EXPORT_CHUNK_BYTES: usize = 64 * 1024;

/// Deliveries buffered between the subscription and the gRPC stream. Small,
/// so a delivery counts as an attempt only shortly before it is written.
const STREAM_BUFFER: usize = 4;

/// The gRPC face of [`Leads`].
#[derive(Debug, Clone)]
pub struct LeadsGrpc {
    leads: Leads,
}

impl LeadsGrpc {
    /// The adapter over `leads`.
    pub fn new(leads: Leads) -> Self {
        Self { leads }
    }
}

impl From<Transition> for pb::LeadTransition {
    fn from(t: Transition) -> Self {
        pb::LeadTransition {
            from: t.from.to_proto(),
            to: t.to.to_proto(),
            actor: t.actor,
            at: Some(timestamp(t.at_ms)),
            note: t.note,
        }
    }
}

impl From<Lead> for pb::Lead {
    fn from(l: Lead) -> Self {
        pb::Lead {
            id: l.id,
            agency_organization_id: l.agency_organization_id,
            offer_id: l.offer_id,
            need_id: l.need_id,
            need_organization_id: l.need_organization_id,
            need_title: l.need_title,
            need_summary: l.need_summary,
            category: l.category.to_proto(),
            score: l.score,
            reasons: l.reasons,
            status: l.status.to_proto(),
            created_at: Some(timestamp(l.created_at_ms)),
            respond_by: Some(timestamp(l.respond_by_ms)),
            decline_reason: l.decline_reason.map(DeclineReason::to_proto).unwrap_or_default(),
            note: l.note,
            history: l.history.into_iter().map(Into::into).collect(),
            acked_at: l.acked_at_ms.map(timestamp),
            delivery_attempts: l.delivery_attempts,
        }
    }
}

/// A proto enum value that must be set and known.
fn required<T>(v: &mut Violations, field: &str, value: i32, convert: fn(i32) -> Result<Option<T>, i32>) -> Option<T> {
    match convert(value) {
        Ok(Some(converted)) => Some(converted),
        Ok(None) => {
            v.add(field, "must be set");
            None
        }
        Err(bad) => {
            v.add(field, format!("unknown enum value {bad}"));
            None
        }
    }
}

fn statuses(v: &mut Violations, field: &str, values: &[i32]) -> Vec<LeadStatus> {
    if values.len() > limits::LIST_MAX_ITEMS {
        v.add(field, format!("has {} items; the limit is {}", values.len(), limits::LIST_MAX_ITEMS));
        return Vec::new();
    }
    values
        .iter()
        .enumerate()
        .filter_map(|(i, value)| required(v, &format!("{field}[{i}]"), *value, LeadStatus::from_proto))
        .collect()
}

fn lead_id(v: &mut Violations, value: &str) {
    v.id("lead_id", value);
}

/// Validates an OfferLead request into a draft.
impl TryFrom<pb::OfferLeadRequest> for LeadDraft {
    type Error = Violations;

    fn try_from(p: pb::OfferLeadRequest) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let category = required(&mut v, "category", p.category, ServiceCategory::from_proto);
        let draft = LeadDraft {
            agency_organization_id: p.agency_organization_id,
            offer_id: p.offer_id,
            need_id: p.need_id,
            need_organization_id: p.need_organization_id,
            need_title: p.need_title,
            need_summary: p.need_summary,
            // Only used when `category` is valid; see below.
            category: category.unwrap_or(ServiceCategory::Consulting),
            score: p.score,
            reasons: p.reasons,
        };
        v.0.extend(draft.violations().0);
        v.into_result(draft)
    }
}

type ServerStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl LeadsService for LeadsGrpc {
    type SubscribeLeadsStream = ServerStream<pb::LeadDelivery>;
    type ExportLeadsStream = ServerStream<pb::ExportChunk>;

    async fn subscribe_leads(
        &self,
        request: Request<pb::SubscribeLeadsRequest>,
    ) -> Result<Response<Self::SubscribeLeadsStream>, Status> {
        let principal = principal(&request)?;
        let mut deliveries = self.leads.subscribe(&principal).await.map_err(Status::from)?;
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    // The client went away: stop reading (this also ends the
                    // backend subscription, leaving unacknowledged leads pending).
                    _ = tx.closed() => break,
                    next = deliveries.next() => match next {
                        Some(Ok(delivery)) => {
                            let message = pb::LeadDelivery { attempt: delivery.attempt, lead: Some(delivery.lead.into()) };
                            if tx.send(Ok(message)).await.is_err() {
                                break;
                            }
                        }
                        Some(Err(error)) => {
                            let _ = tx.send(Err(error.into())).await;
                            break;
                        }
                        None => break,
                    },
                }
            }
            tracing::debug!(token_id = %principal.token_id, "lead subscription closed");
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn ack_lead(&self, request: Request<pb::AckLeadRequest>) -> Result<Response<pb::AckLeadResponse>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        lead_id(&mut v, &req.lead_id);
        v.into_result(()).map_err(|v| invalid_argument(&v))?;
        let lead = self.leads.ack(&principal, &req.lead_id).await.map_err(Status::from)?;
        Ok(Response::new(pb::AckLeadResponse { lead: Some(lead.into()) }))
    }

    async fn respond_to_lead(&self, request: Request<pb::RespondToLeadRequest>) -> Result<Response<pb::Lead>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        lead_id(&mut v, &req.lead_id);
        let response = if req.accept {
            if req.decline_reason != 0 {
                v.add("decline_reason", "must be unset when accepting");
            }
            Some(crate::model::Response::Accept { note: req.note })
        } else {
            required(&mut v, "decline_reason", req.decline_reason, DeclineReason::from_proto)
                .map(|reason| crate::model::Response::Decline { reason, note: req.note })
        };
        let response = match response {
            Some(response) if v.is_empty() => response,
            _ => return Err(invalid_argument(&v)),
        };
        let lead = self.leads.respond(&principal, &req.lead_id, response).await.map_err(Status::from)?;
        Ok(Response::new(lead.into()))
    }

    async fn update_lead_outcome(
        &self,
        request: Request<pb::UpdateLeadOutcomeRequest>,
    ) -> Result<Response<pb::Lead>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        lead_id(&mut v, &req.lead_id);
        let outcome = match required(&mut v, "status", req.status, LeadStatus::from_proto) {
            Some(status) => {
                let outcome = Outcome::from_status(status);
                if outcome.is_none() {
                    v.add("status", "an outcome is CONTACTED, WON or LOST");
                }
                outcome
            }
            None => None,
        };
        let outcome = match outcome {
            Some(outcome) if v.is_empty() => outcome,
            _ => return Err(invalid_argument(&v)),
        };
        let lead =
            self.leads.update_outcome(&principal, &req.lead_id, outcome, &req.note).await.map_err(Status::from)?;
        Ok(Response::new(lead.into()))
    }

    async fn list_leads(
        &self,
        request: Request<pb::ListLeadsRequest>,
    ) -> Result<Response<pb::ListLeadsResponse>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let size = page_size("page_size", req.page_size, &mut v);
        let statuses = statuses(&mut v, "statuses", &req.statuses);
        let category = ServiceCategory::from_proto(req.category).unwrap_or_else(|bad| {
            v.add("category", format!("unknown enum value {bad}"));
            None
        });
        v.into_result(()).map_err(|v| invalid_argument(&v))?;
        let page = self
            .leads
            .list(&principal, ListFilter { statuses, category, page_size: size, page_token: req.page_token })
            .await
            .map_err(Status::from)?;
        Ok(Response::new(pb::ListLeadsResponse {
            leads: page.leads.into_iter().map(Into::into).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn export_leads(
        &self,
        request: Request<pb::ExportLeadsRequest>,
    ) -> Result<Response<Self::ExportLeadsStream>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let format = match pb::ExportFormat::try_from(req.format) {
            Ok(pb::ExportFormat::Csv) => Some(ExportFormat::Csv),
            Ok(pb::ExportFormat::Xlsx) => Some(ExportFormat::Xlsx),
            Ok(pb::ExportFormat::Unspecified) => {
                v.add("format", "must be set (CSV or XLSX)");
                None
            }
            Err(_) => {
                v.add("format", format!("unknown enum value {}", req.format));
                None
            }
        };
        let statuses = statuses(&mut v, "statuses", &req.statuses);
        let format = match format {
            Some(format) if v.is_empty() => format,
            _ => return Err(invalid_argument(&v)),
        };
        let file = self.leads.export(&principal, format, statuses).await.map_err(Status::from)?;
        let file_name = file.file_name;
        let chunks: Vec<Result<pb::ExportChunk, Status>> = file
            .bytes
            .chunks(EXPORT_CHUNK_BYTES)
            .enumerate()
            .map(|(i, data)| {
                // The name travels with the first chunk only.
                let file_name = if i == 0 { file_name.clone() } else { String::new() };
                Ok(pb::ExportChunk { data: data.to_vec(), file_name })
            })
            .collect();
        Ok(Response::new(Box::pin(futures::stream::iter(chunks))))
    }

    async fn offer_lead(
        &self,
        request: Request<pb::OfferLeadRequest>,
    ) -> Result<Response<pb::OfferLeadResponse>, Status> {
        let principal = principal(&request)?;
        if !principal.is_admin() {
            return Err(Status::permission_denied("only an admin token (the matcher's) may offer leads"));
        }
        let draft = LeadDraft::try_from(request.into_inner()).map_err(|v| invalid_argument(&v))?;
        let (lead, created) = self.leads.offer_reporting(draft).await.map_err(Status::from)?;
        Ok(Response::new(pb::OfferLeadResponse { lead: Some(lead.into()), created }))
    }
}
