//! `innomatch leads …`: an agency's leads from the command line — watch the
//! live stream (acknowledging only with `--ack`), list, accept, decline,
//! record outcomes and export CSV/XLSX; `offer` hands a lead over as an admin.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use futures::StreamExt;
use innomatch_core::{convert::millis, model::ServiceCategory};
use innomatch_leads::{
    export::shanghai_time,
    model::{DeclineReason, LeadStatus},
};
use innomatch_proto::v1 as pb;
use serde_json::json;

use super::client::{Calls, ClientArgs, outln, parse_code as code, status_error};

#[derive(Debug, Subcommand)]
pub enum LeadsCommand {
    /// Follow new and unacknowledged leads live (Ctrl-C to stop).
    Watch {
        /// Acknowledge each lead once printed; without it leads come again on
        /// the next watch until acknowledged or answered.
        #[arg(long)]
        ack: bool,
        /// One JSON object a line (as `--json`, which a stream prints the same way).
        #[arg(long)]
        jsonl: bool,
    },
    /// The agency's leads, newest first.
    List {
        /// new, delivered, accepted, declined, contacted, won, lost, expired (repeatable)
        #[arg(long = "status")]
        statuses: Vec<String>,
        /// A service category code, e.g. testing_inspection.
        #[arg(long)]
        category: Option<String>,
        #[arg(long, default_value_t = 50)]
        page_size: u32,
        /// Follow next-page tokens to the end.
        #[arg(long)]
        all: bool,
    },
    /// Acknowledge a lead (it is not redelivered after).
    Ack { id: String },
    /// Accept a lead.
    Accept {
        id: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Decline a lead with a reason.
    Decline {
        id: String,
        /// out_of_scope, no_capacity, region_not_served, budget_too_low, duplicate, other
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Record what became of an accepted lead.
    Outcome {
        id: String,
        /// contacted, won or lost
        status: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Export leads as CSV or XLSX.
    Export {
        /// csv or xlsx
        #[arg(long, default_value = "xlsx")]
        format: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long = "status")]
        statuses: Vec<String>,
    },
    /// Offer a lead to an agency (admin token; what the matcher does).
    Offer(OfferArgs),
}

#[derive(Debug, Args)]
pub struct OfferArgs {
    #[arg(long)]
    pub agency: String,
    #[arg(long)]
    pub offer: String,
    #[arg(long)]
    pub need: String,
    /// The need's organization (omit for anonymous needs).
    #[arg(long, default_value = "")]
    pub need_org: String,
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub summary: String,
    /// A service category code, e.g. testing_inspection.
    #[arg(long)]
    pub category: String,
    #[arg(long, default_value_t = 0.0)]
    pub score: f32,
    #[arg(long = "reason")]
    pub reasons: Vec<String>,
}

fn statuses(values: &[String]) -> anyhow::Result<Vec<i32>> {
    values.iter().map(|s| code("status", s, LeadStatus::from_code).map(LeadStatus::to_proto)).collect()
}

fn status_code(value: i32) -> &'static str {
    LeadStatus::from_proto(value).ok().flatten().map(LeadStatus::code).unwrap_or("?")
}

pub(crate) fn lead_json(lead: &pb::Lead, attempt: Option<u32>) -> serde_json::Value {
    let category = ServiceCategory::from_proto(lead.category).ok().flatten().map(ServiceCategory::code);
    let decline = DeclineReason::from_proto(lead.decline_reason).ok().flatten().map(DeclineReason::code);
    json!({
        "id": lead.id,
        "need_id": lead.need_id,
        "need_title": lead.need_title,
        "category": category,
        "score": lead.score,
        "status": status_code(lead.status),
        "created_at_ms": lead.created_at.as_ref().map(millis),
        "respond_by_ms": lead.respond_by.as_ref().map(millis),
        "acknowledged": lead.acked_at.is_some(),
        "decline_reason": decline,
        "note": lead.note,
        "reasons": lead.reasons,
        "attempt": attempt,
    })
}

fn print_lead(lead: &pb::Lead, json_output: bool, attempt: Option<u32>) {
    if json_output {
        outln!("{}", lead_json(lead, attempt));
        return;
    }
    let respond_by = lead.respond_by.as_ref().map(|t| shanghai_time(millis(t))).unwrap_or_default();
    let attempt = attempt.map(|a| format!("  第 {a} 次投递")).unwrap_or_default();
    let status = LeadStatus::from_proto(lead.status).ok().flatten().map(LeadStatus::label_zh).unwrap_or("?");
    let decline = DeclineReason::from_proto(lead.decline_reason)
        .ok()
        .flatten()
        .map(|reason| format!("（{}）", reason.label_zh()))
        .unwrap_or_default();
    outln!(
        "{:<30} {status}{decline}  {}  {:>6.3}  答复期限 {respond_by}  {}{attempt}",
        lead.id,
        super::labels::service_category(lead.category),
        lead.score,
        lead.need_title
    );
}

/// Runs one `innomatch leads` command.
pub async fn run(args: &ClientArgs, command: LeadsCommand) -> anyhow::Result<()> {
    let calls = match command {
        LeadsCommand::Watch { .. } | LeadsCommand::Export { .. } => Calls::Streaming,
        _ => Calls::Unary,
    };
    let mut client = args.connect(calls).await?.leads();
    let json_output = args.json;
    match command {
        LeadsCommand::Watch { ack, jsonl } => {
            let json_output = json_output || jsonl;
            let mut stream =
                client.subscribe_leads(pb::SubscribeLeadsRequest {}).await.map_err(status_error)?.into_inner();
            if !json_output {
                eprintln!("watching leads{} (Ctrl-C to stop)", if ack { ", acknowledging each" } else { "" });
            }
            while let Some(delivery) = stream.next().await {
                let delivery = delivery.map_err(status_error)?;
                let Some(lead) = delivery.lead else { continue };
                print_lead(&lead, json_output, Some(delivery.attempt));
                if ack {
                    // A separate unary call: the stream carries no acknowledgments.
                    let mut acker = args.connect(Calls::Unary).await?.leads();
                    acker.ack_lead(pb::AckLeadRequest { lead_id: lead.id.clone() }).await.map_err(status_error)?;
                }
            }
            bail!("the server closed the lead stream")
        }
        LeadsCommand::List { statuses: wanted, category, page_size, all } => {
            let category = category
                .map(|c| code("category", &c, ServiceCategory::from_code).map(ServiceCategory::to_proto))
                .transpose()?
                .unwrap_or_default();
            let statuses = statuses(&wanted)?;
            let mut page_token = String::new();
            // Under --json the whole list is one array.
            let mut listed = Vec::new();
            loop {
                let page = client
                    .list_leads(pb::ListLeadsRequest {
                        statuses: statuses.clone(),
                        category,
                        page_size,
                        page_token: page_token.clone(),
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                for lead in &page.leads {
                    if json_output {
                        listed.push(lead_json(lead, None));
                    } else {
                        print_lead(lead, false, None);
                    }
                }
                if page.next_page_token.is_empty() {
                    break;
                }
                if !all {
                    eprintln!("more leads follow; --all lists them all");
                    break;
                }
                page_token = page.next_page_token;
            }
            if json_output {
                super::client::print_json(&serde_json::Value::Array(listed));
            }
        }
        LeadsCommand::Ack { id } => {
            let lead = client.ack_lead(pb::AckLeadRequest { lead_id: id }).await.map_err(status_error)?.into_inner();
            if let Some(lead) = lead.lead {
                print_lead(&lead, json_output, None);
            }
        }
        LeadsCommand::Accept { id, note } => {
            let lead = client
                .respond_to_lead(pb::RespondToLeadRequest { lead_id: id, accept: true, decline_reason: 0, note })
                .await
                .map_err(status_error)?
                .into_inner();
            print_lead(&lead, json_output, None);
        }
        LeadsCommand::Decline { id, reason, note } => {
            let reason = code("decline reason", &reason, DeclineReason::from_code)?;
            let lead = client
                .respond_to_lead(pb::RespondToLeadRequest {
                    lead_id: id,
                    accept: false,
                    decline_reason: reason.to_proto(),
                    note,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            print_lead(&lead, json_output, None);
        }
        LeadsCommand::Outcome { id, status, note } => {
            let status = code("outcome", &status, LeadStatus::from_code)?;
            if !matches!(status, LeadStatus::Contacted | LeadStatus::Won | LeadStatus::Lost) {
                bail!("an outcome is contacted, won or lost");
            }
            let lead = client
                .update_lead_outcome(pb::UpdateLeadOutcomeRequest { lead_id: id, status: status.to_proto(), note })
                .await
                .map_err(status_error)?
                .into_inner();
            print_lead(&lead, json_output, None);
        }
        LeadsCommand::Export { format, out, statuses: wanted } => {
            let format = match format.as_str() {
                "csv" => pb::ExportFormat::Csv,
                "xlsx" => pb::ExportFormat::Xlsx,
                other => bail!("unknown export format {other:?}; use csv or xlsx"),
            };
            let mut stream = client
                .export_leads(pb::ExportLeadsRequest { format: format as i32, statuses: statuses(&wanted)? })
                .await
                .map_err(status_error)?
                .into_inner();
            let mut bytes = Vec::new();
            let mut file_name = String::new();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(status_error)?;
                if file_name.is_empty() {
                    file_name = chunk.file_name;
                }
                bytes.extend_from_slice(&chunk.data);
            }
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            if json_output {
                outln!("{}", json!({ "file": out, "bytes": bytes.len(), "server_file_name": file_name }));
            } else {
                outln!("wrote {} ({} bytes; the server named it {file_name})", out.display(), bytes.len());
            }
        }
        LeadsCommand::Offer(offer) => {
            let category = code("category", &offer.category, ServiceCategory::from_code)?;
            let reply = client
                .offer_lead(pb::OfferLeadRequest {
                    agency_organization_id: offer.agency,
                    offer_id: offer.offer,
                    need_id: offer.need,
                    need_organization_id: offer.need_org,
                    need_title: offer.title,
                    need_summary: offer.summary,
                    category: category.to_proto(),
                    score: offer.score,
                    reasons: offer.reasons,
                    replaces_lead_id: String::new(),
                    policy_id: String::new(),
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if let Some(lead) = reply.lead {
                if !json_output {
                    outln!("{} lead:", if reply.created { "new" } else { "existing" });
                }
                print_lead(&lead, json_output, None);
            }
        }
    }
    Ok(())
}
