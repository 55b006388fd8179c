//! `innomatch stats`: the registry's figures against the plan's 2025 targets.

use innomatch_proto::v1 as pb;
use serde_json::json;

use super::client::{Calls, ClientArgs, status_error};

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
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "figures": figures, "leads_counted": stats.leads_counted }))?
        );
        return Ok(());
    }
    println!("{:<24} {:>8} {:>8} {:>7}", "figure", "count", "target", "share");
    for f in &stats.figures {
        let (target, share) = if f.target > 0 {
            (f.target.to_string(), format!("{:.0}%", f.count as f64 * 100.0 / f.target as f64))
        } else {
            (String::from("—"), String::new())
        };
        println!("{:<24} {:>8} {:>8} {:>7}   {}", f.key, f.count, target, share, f.label);
    }
    if !stats.leads_counted {
        println!("(lead figures come from the process that runs the leads service)");
    }
    Ok(())
}
