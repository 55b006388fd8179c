//! `innomatch stats`: the registry's figures against the plan's 2025 targets.

use innomatch_proto::v1 as pb;
use serde_json::json;

use super::client::{Calls, ClientArgs, outln, status_error, table};

pub async fn stats(args: &ClientArgs) -> anyhow::Result<()> {
    let stats = args
        .connect(Calls::Unary)
        .await?
        .stats()
        .get_stats(pb::GetStatsRequest {})
        .await
        .map_err(status_error)?
        .into_inner();
    if args.json {
        let figures: Vec<_> = stats
            .figures
            .iter()
            .map(|f| json!({"key": f.key, "label": f.label, "count": f.count, "target": (f.target > 0).then_some(f.target)}))
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({ "figures": figures, "leads_counted": stats.leads_counted }))?
        );
        return Ok(());
    }
    let mut rows = table(&["figure", "count", "target", "share", ""]);
    for f in &stats.figures {
        let (target, share) = if f.target > 0 {
            (f.target.to_string(), format!("{:.0}%", f.count as f64 * 100.0 / f.target as f64))
        } else {
            (String::from("—"), String::new())
        };
        rows.add_row(vec![f.key.clone(), f.count.to_string(), target, share, f.label.clone()]);
    }
    for column in 1..=3 {
        if let Some(column) = rows.column_mut(column) {
            column.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    outln!("{rows}");
    if !stats.leads_counted {
        outln!("(lead figures come from the process that runs the leads service)");
    }
    Ok(())
}
