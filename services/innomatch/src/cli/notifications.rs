//! `innomatch notifications …`: the organization's notifications — watch the
//! live stream (acknowledging only with `--ack`; `--jsonl` prints one JSON
//! object a line), list them, acknowledge one.

use std::io::Write;

use anyhow::bail;
use clap::Subcommand;
use futures::StreamExt;
use innomatch_core::convert::millis;
use innomatch_leads::notifications::model::NotificationKind;
use innomatch_proto::v1 as pb;
use serde_json::json;

use super::client::{Calls, ClientArgs, outln, parse_codes, print_json, status_error, table};

#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// Follow unacknowledged and new notifications live (Ctrl-C to stop).
    Watch {
        /// Acknowledge each notification once printed; without it they come
        /// again on the next watch until acknowledged.
        #[arg(long)]
        ack: bool,
        /// One JSON object per line.
        #[arg(long)]
        jsonl: bool,
    },
    /// The organization's notifications, newest first.
    List {
        /// Only those not acknowledged yet.
        #[arg(long)]
        unacknowledged: bool,
        /// new_partner, interest_received, interest_approved, interest_declined,
        /// lead_answered, fitting_need, new_lead, digest (repeatable)
        #[arg(long = "kind")]
        kinds: Vec<String>,
        #[arg(long, default_value_t = 50)]
        page_size: u32,
        /// Follow next-page tokens to the end.
        #[arg(long)]
        all: bool,
    },
    /// Acknowledge a notification (it is not delivered again).
    Ack { id: String },
}

fn kind_of(value: i32) -> Option<NotificationKind> {
    NotificationKind::from_proto(value).ok().flatten()
}

pub(crate) fn notification_json(n: &pb::Notification, attempt: Option<u32>) -> serde_json::Value {
    json!({
        "id": n.id,
        "kind": kind_of(n.kind).map(NotificationKind::code),
        "need_id": n.need_id,
        "subject_id": n.subject_id,
        "title": n.title,
        "body": n.body,
        "score": n.score,
        "created_at_ms": n.created_at.as_ref().map(millis),
        "acknowledged": n.acked_at.is_some(),
        "items": n.items,
        "digest_id": n.digest_id,
        "attempt": attempt,
    })
}

/// One line per notification; false when stdout is gone (`… | head`).
fn print_line(n: &pb::Notification, jsonl: bool, attempt: Option<u32>) -> bool {
    let line = if jsonl {
        notification_json(n, attempt).to_string()
    } else {
        let label = kind_of(n.kind).map(NotificationKind::label_zh).unwrap_or("?");
        let attempt = attempt.map(|a| format!("  (attempt {a})")).unwrap_or_default();
        format!("{}  {label}  {}{attempt}", n.id, n.body)
    };
    writeln!(std::io::stdout(), "{line}").is_ok()
}

/// Runs one `innomatch notifications` command.
pub async fn run(args: &ClientArgs, command: NotificationsCommand) -> anyhow::Result<()> {
    let calls = if matches!(command, NotificationsCommand::Watch { .. }) { Calls::Streaming } else { Calls::Unary };
    let mut client = args.connect(calls).await?.notifications();
    match command {
        NotificationsCommand::Watch { ack, jsonl } => {
            let jsonl = jsonl || args.json;
            let mut stream = client
                .subscribe_notifications(pb::SubscribeNotificationsRequest {})
                .await
                .map_err(status_error)?
                .into_inner();
            if !jsonl {
                eprintln!("watching notifications{} (Ctrl-C to stop)", if ack { ", acknowledging each" } else { "" });
            }
            let mut acker = if ack { Some(args.connect(Calls::Unary).await?.notifications()) } else { None };
            while let Some(delivery) = stream.next().await {
                let delivery = delivery.map_err(status_error)?;
                let Some(n) = delivery.notification else { continue };
                if !print_line(&n, jsonl, Some(delivery.attempt)) {
                    return Ok(()); // the reader went away: nothing acknowledged that was not shown
                }
                if let Some(acker) = acker.as_mut() {
                    acker
                        .ack_notification(pb::AckNotificationRequest { id: n.id.clone() })
                        .await
                        .map_err(status_error)?;
                }
            }
            bail!("the server closed the notification stream")
        }
        NotificationsCommand::List { unacknowledged, kinds, page_size, all } => {
            let kinds = parse_codes("kind", &kinds, NotificationKind::from_code, NotificationKind::to_proto)?;
            let mut page_token = String::new();
            let mut listed = Vec::new();
            let mut rows = table(&["id", "类型 kind", "已确认 acked", "内容 body"]);
            loop {
                let page = client
                    .list_notifications(pb::ListNotificationsRequest {
                        unacknowledged_only: unacknowledged,
                        kinds: kinds.clone(),
                        page_size,
                        page_token: page_token.clone(),
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                for n in &page.notifications {
                    listed.push(notification_json(n, None));
                    let label = kind_of(n.kind).map(NotificationKind::label_zh).unwrap_or("?");
                    let acked = if n.acked_at.is_some() { "是" } else { "否" };
                    rows.add_row(vec![n.id.clone(), label.to_owned(), acked.to_owned(), n.body.clone()]);
                }
                if page.next_page_token.is_empty() || !all {
                    if !page.next_page_token.is_empty() && !args.json {
                        eprintln!("more notifications follow; --all lists them all");
                    }
                    break;
                }
                page_token = page.next_page_token;
            }
            if args.json {
                print_json(&serde_json::Value::Array(listed));
            } else {
                outln!("{rows}");
            }
        }
        NotificationsCommand::Ack { id } => {
            let n =
                client.ack_notification(pb::AckNotificationRequest { id }).await.map_err(status_error)?.into_inner();
            if args.json {
                print_json(&notification_json(&n, None));
            } else {
                print_line(&n, false, None);
            }
        }
    }
    Ok(())
}
