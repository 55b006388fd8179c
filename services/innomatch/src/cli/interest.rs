//! `innomatch interest …`: expressions of interest from the command line —
//! read a need's teaser, express interest (an agency through its lead), list
//! what was received or sent, approve, decline, withdraw, read the audit trail.

use anyhow::bail;
use clap::Subcommand;
use innomatch_catalog::interest::store::{InterestAction, InterestStatus};
use innomatch_core::convert::millis;
use innomatch_proto::v1 as pb;
use serde_json::json;

use super::client::{Calls, ClientArgs, outln, parse_codes, print_json, status_error, table};

#[derive(Debug, Subcommand)]
pub enum InterestCommand {
    /// What a need shows before any disclosure.
    Teaser { need: String },
    /// Express interest in another organization's need.
    Express {
        /// The need (omit with --lead: the lead's need).
        need: Option<String>,
        /// Why you are interested.
        #[arg(long)]
        message: String,
        /// An agency answers through its lead.
        #[arg(long)]
        lead: Option<String>,
    },
    /// Interests received for your needs (default) or sent by you.
    List {
        /// Your own interests instead of those in your needs.
        #[arg(long)]
        sent: bool,
        /// Only this need's.
        #[arg(long)]
        need: Option<String>,
        /// pending, approved, declined, withdrawn, expired (repeatable)
        #[arg(long = "status")]
        statuses: Vec<String>,
        #[arg(long, default_value_t = 50)]
        page_size: u32,
        /// Follow next-page tokens to the end.
        #[arg(long)]
        all: bool,
    },
    /// One interest, with the other side as you may see it.
    Get { id: String },
    /// Approve a pending interest in your need: both sides see each other.
    Approve {
        id: String,
        #[arg(long, default_value = "")]
        reply: String,
    },
    /// Decline a pending interest in your need: nothing is disclosed.
    Decline {
        id: String,
        #[arg(long, default_value = "")]
        reply: String,
    },
    /// Withdraw your interest.
    Withdraw {
        id: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The audit trail of one interest or of every interest in your need.
    Audit {
        #[arg(long, conflicts_with = "need", required_unless_present = "need")]
        interest: Option<String>,
        #[arg(long)]
        need: Option<String>,
    },
}

fn status_code(value: i32) -> &'static str {
    InterestStatus::from_proto(value).ok().flatten().map(InterestStatus::code).unwrap_or("?")
}

fn status_label(value: i32) -> &'static str {
    InterestStatus::from_proto(value).ok().flatten().map(InterestStatus::label_zh).unwrap_or("?")
}

pub(crate) fn interest_json(i: &pb::Interest) -> serde_json::Value {
    let counterpart = i.counterpart.as_ref().map(|o| {
        json!({
            "id": o.meta.as_ref().map(|m| m.id.clone()),
            "name": o.name,
            "contact_person": o.contact_person,
            "phone": o.phone,
            "email": o.email,
            "website": o.website,
        })
    });
    json!({
        "id": i.id,
        "need_id": i.need_id,
        "need_title": i.need_title,
        "status": status_code(i.status),
        "party_organization_id": i.party_organization_id,
        "owner_organization_id": i.owner_organization_id,
        "message": i.message,
        "reply": i.reply,
        "lead_id": i.lead_id,
        "version": i.version,
        "created_at_ms": i.created_at.as_ref().map(millis),
        "updated_at_ms": i.updated_at.as_ref().map(millis),
        "counterpart": counterpart,
    })
}

fn print_interest(i: &pb::Interest, json_output: bool) {
    if json_output {
        print_json(&interest_json(i));
        return;
    }
    outln!("{}  {}（{}）  {}", i.id, status_label(i.status), status_code(i.status), i.need_title);
    outln!("  需求 need: {}", i.need_id);
    outln!("  意向方 party: {}", i.party_organization_id);
    if !i.owner_organization_id.is_empty() {
        outln!("  发布方 owner: {}", i.owner_organization_id);
    }
    outln!("  留言 message: {}", i.message);
    if !i.reply.is_empty() {
        outln!("  答复 reply: {}", i.reply);
    }
    if let Some(o) = &i.counterpart {
        outln!("  对方 counterpart: {}", o.name);
        if !o.contact_person.is_empty() || !o.phone.is_empty() || !o.email.is_empty() {
            outln!("  联系方式 contact: {} {} {}", o.contact_person, o.phone, o.email);
        }
    }
}

fn decide(id: String, decision: InterestStatus, reply: String) -> pb::DecideInterestRequest {
    pb::DecideInterestRequest { id, decision: decision.to_proto(), reply, expected_version: 0 }
}

/// Runs one `innomatch interest` command.
pub async fn run(args: &ClientArgs, command: InterestCommand) -> anyhow::Result<()> {
    let mut client = args.connect(Calls::Unary).await?.interests();
    let json_output = args.json;
    match command {
        InterestCommand::Teaser { need } => {
            let t = client
                .get_need_teaser(pb::GetNeedTeaserRequest { need_id: need })
                .await
                .map_err(status_error)?
                .into_inner();
            if json_output {
                let tier = pb::RegionTier::try_from(t.region_tier).map(|r| r.as_str_name()).unwrap_or("?");
                print_json(&json!({
                    "need_id": t.need_id,
                    "title": t.title,
                    "high_tech_fields": t.high_tech_fields,
                    "industries": t.industries,
                    "region_tier": tier,
                    "target_trl": t.target_trl,
                    "cooperation_modes": t.cooperation_modes,
                    "deadline_ms": t.deadline.as_ref().map(millis),
                    "own_interest": t.own_interest.as_ref().map(interest_json),
                }));
            } else {
                outln!("{}  {}", t.need_id, t.title);
                outln!("  产业 industries: {}", t.industries.join(", "));
                outln!("  领域 fields: {}", t.high_tech_fields.join(", "));
                outln!("  TRL: {}", t.target_trl);
                if let Some(own) = &t.own_interest {
                    outln!("  我的意向 own interest: {} {}", own.id, status_label(own.status));
                }
            }
        }
        InterestCommand::Express { need, message, lead } => {
            if need.is_none() && lead.is_none() {
                bail!("name the need, or --lead for an agency's lead");
            }
            let interest = client
                .express_interest(pb::ExpressInterestRequest {
                    need_id: need.unwrap_or_default(),
                    message,
                    lead_id: lead.unwrap_or_default(),
                })
                .await
                .map_err(status_error)?
                .into_inner();
            print_interest(&interest, json_output);
        }
        InterestCommand::List { sent, need, statuses, page_size, all } => {
            let statuses = parse_codes("status", &statuses, InterestStatus::from_code, InterestStatus::to_proto)?;
            let side = if sent { pb::InterestSide::Sent } else { pb::InterestSide::Received };
            let mut page_token = String::new();
            let mut rows = table(&["id", "状态 status", "需求 need", "意向方 party", "标题 title"]);
            let mut listed = Vec::new();
            loop {
                let page = client
                    .list_interests(pb::ListInterestsRequest {
                        side: side as i32,
                        need_id: need.clone().unwrap_or_default(),
                        statuses: statuses.clone(),
                        page_size,
                        page_token: page_token.clone(),
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                for i in &page.interests {
                    rows.add_row(vec![
                        i.id.clone(),
                        status_label(i.status).to_owned(),
                        i.need_id.clone(),
                        i.party_organization_id.clone(),
                        i.need_title.clone(),
                    ]);
                    listed.push(interest_json(i));
                }
                if page.next_page_token.is_empty() || !all {
                    if !page.next_page_token.is_empty() && !json_output {
                        eprintln!("more interests follow; --all lists them all");
                    }
                    break;
                }
                page_token = page.next_page_token;
            }
            if json_output {
                print_json(&serde_json::Value::Array(listed));
            } else {
                outln!("{rows}");
            }
        }
        InterestCommand::Get { id } => {
            let interest = client.get_interest(pb::GetInterestRequest { id }).await.map_err(status_error)?.into_inner();
            print_interest(&interest, json_output);
        }
        InterestCommand::Approve { id, reply } => {
            let interest = client
                .decide_interest(decide(id, InterestStatus::Approved, reply))
                .await
                .map_err(status_error)?
                .into_inner();
            print_interest(&interest, json_output);
        }
        InterestCommand::Decline { id, reply } => {
            let interest = client
                .decide_interest(decide(id, InterestStatus::Declined, reply))
                .await
                .map_err(status_error)?
                .into_inner();
            print_interest(&interest, json_output);
        }
        InterestCommand::Withdraw { id, note } => {
            let interest = client
                .withdraw_interest(pb::WithdrawInterestRequest { id, note, expected_version: 0 })
                .await
                .map_err(status_error)?
                .into_inner();
            print_interest(&interest, json_output);
        }
        InterestCommand::Audit { interest, need } => {
            let events = client
                .list_interest_events(pb::ListInterestEventsRequest {
                    interest_id: interest.unwrap_or_default(),
                    need_id: need.unwrap_or_default(),
                })
                .await
                .map_err(status_error)?
                .into_inner()
                .events;
            let action = |a: i32| InterestAction::from_proto(a).ok().flatten().map(InterestAction::code).unwrap_or("?");
            if json_output {
                let events: Vec<serde_json::Value> = events
                    .iter()
                    .map(|e| {
                        json!({
                            "sequence": e.sequence,
                            "interest_id": e.interest_id,
                            "need_id": e.need_id,
                            "action": action(e.action),
                            "actor": e.actor,
                            "actor_organization_id": e.actor_organization_id,
                            "note": e.note,
                            "at_ms": e.at.as_ref().map(millis),
                        })
                    })
                    .collect();
                print_json(&serde_json::Value::Array(events));
            } else {
                let mut rows = table(&["#", "interest", "action", "organization", "note"]);
                for e in &events {
                    rows.add_row(vec![
                        e.sequence.to_string(),
                        e.interest_id.clone(),
                        action(e.action).to_owned(),
                        e.actor_organization_id.clone(),
                        e.note.clone(),
                    ]);
                }
                outln!("{rows}");
            }
        }
    }
    Ok(())
}
