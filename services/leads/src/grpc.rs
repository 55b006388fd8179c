//! The gRPC adapter of `innomatch.v1.LeadsService`: each RPC takes the
//! principal, converts and validates the request (field-level BadRequest),
//! calls [`Leads`] and maps the error. No rules live here.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use innomatch_core::{
    auth::{principal, standing},
    edge::PagePolicy,
};
use innomatch_proto::v1::{self as pb, leads_service_server::LeadsService};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::{
    Leads,
    convert::{ExportRequest, LeadAnswer, LeadId, NeedLeads, OutcomeUpdate},
    model::LeadDraft,
    service::ListFilter,
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
        let standing = standing(&request)?;
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
        // Revoking the token or archiving the agency ends the subscription;
        // a lead it held back stays unacknowledged and is delivered again.
        Ok(Response::new(standing.guard(ReceiverStream::new(rx))?))
    }

    async fn ack_lead(&self, request: Request<pb::AckLeadRequest>) -> Result<Response<pb::AckLeadResponse>, Status> {
        let principal = principal(&request)?;
        let LeadId(lead_id) = request.into_inner().try_into()?;
        let lead = self.leads.ack(&principal, &lead_id).await?;
        Ok(Response::new(pb::AckLeadResponse { lead: Some(lead.into()) }))
    }

    async fn respond_to_lead(&self, request: Request<pb::RespondToLeadRequest>) -> Result<Response<pb::Lead>, Status> {
        let principal = principal(&request)?;
        let LeadAnswer { lead_id, response } = request.into_inner().try_into()?;
        let lead = self.leads.respond(&principal, &lead_id, response).await?;
        Ok(Response::new(lead.into()))
    }

    async fn update_lead_outcome(
        &self,
        request: Request<pb::UpdateLeadOutcomeRequest>,
    ) -> Result<Response<pb::Lead>, Status> {
        let principal = principal(&request)?;
        let OutcomeUpdate { lead_id, outcome, note } = request.into_inner().try_into()?;
        let lead = self.leads.update_outcome(&principal, &lead_id, outcome, &note).await?;
        Ok(Response::new(lead.into()))
    }

    async fn list_leads(
        &self,
        request: Request<pb::ListLeadsRequest>,
    ) -> Result<Response<pb::ListLeadsResponse>, Status> {
        let principal = principal(&request)?;
        let filter = ListFilter::try_from(request.into_inner())?;
        let page = self.leads.list(&principal, filter).await?;
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
        let ExportRequest { format, statuses } = request.into_inner().try_into()?;
        let file = self.leads.export(&principal, format, statuses).await?;
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
        let draft = LeadDraft::try_from(request.into_inner())?;
        let (lead, created) = self.leads.offer_reporting(draft).await.map_err(Status::from)?;
        Ok(Response::new(pb::OfferLeadResponse { lead: Some(lead.into()), created }))
    }

    async fn close_leads_for_need(
        &self,
        request: Request<pb::CloseLeadsForNeedRequest>,
    ) -> Result<Response<pb::CloseLeadsForNeedResponse>, Status> {
        admin_only(&request)?;
        let NeedLeads { need_id, note } = request.into_inner().try_into()?;
        let closed = self.leads.close_for_need(&need_id, &note).await.map_err(Status::from)?;
        Ok(Response::new(pb::CloseLeadsForNeedResponse { closed: u32::try_from(closed).unwrap_or(u32::MAX) }))
    }

    async fn list_leads_of_need(
        &self,
        request: Request<pb::ListLeadsOfNeedRequest>,
    ) -> Result<Response<pb::ListLeadsResponse>, Status> {
        admin_only(&request)?;
        let NeedLeads { need_id, .. } = request.into_inner().try_into()?;
        let leads = self.leads.leads_of_need(&need_id).await.map_err(Status::from)?;
        Ok(Response::new(pb::ListLeadsResponse {
            leads: leads.into_iter().map(Into::into).collect(),
            next_page_token: String::new(),
        }))
    }

    async fn list_leads_to_pass_on(
        &self,
        request: Request<pb::ListLeadsToPassOnRequest>,
    ) -> Result<Response<pb::ListLeadsResponse>, Status> {
        admin_only(&request)?;
        let limit = PagePolicy::LISTS.clamp(request.into_inner().limit);
        let leads = self.leads.awaiting_pass_on(limit).await.map_err(Status::from)?;
        Ok(Response::new(pb::ListLeadsResponse {
            leads: leads.into_iter().map(Into::into).collect(),
            next_page_token: String::new(),
        }))
    }

    async fn mark_lead_passed_on(
        &self,
        request: Request<pb::MarkLeadPassedOnRequest>,
    ) -> Result<Response<pb::Lead>, Status> {
        admin_only(&request)?;
        let LeadId(id) = request.into_inner().try_into()?;
        Ok(Response::new(self.leads.mark_passed_on(&id).await.map_err(Status::from)?.into()))
    }
}

/// The calls only the matcher (an admin token) makes.
fn admin_only<T>(request: &Request<T>) -> Result<(), Status> {
    if principal(request)?.is_admin() {
        Ok(())
    } else {
        Err(Status::permission_denied("only an admin token (the matcher's) may do this"))
    }
}
