//! `innomatch stats`: the registry's figures against the plan's 2025
//! targets; `--by district` for the plan board per district and county,
//! `--history` for the daily snapshots, `--xlsx FILE` to export the board.

use anyhow::Context;
use innomatch_proto::v1 as pb;
use serde_json::json;

use super::client::{Calls, ClientArgs, outln, status_error, table};

/// How the figures are broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Breakdown {
    /// The city and each of its districts and counties.
    District,
}

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Every target of the plan, per district and county.
    #[arg(long = "by", value_enum)]
    pub by: Option<Breakdown>,
    /// The board's daily snapshots, oldest first.
    #[arg(long, conflicts_with = "by")]
    pub history: bool,
    /// With --history or --xlsx: from this day on (YYYY-MM-DD).
    #[arg(long, default_value = "")]
    pub since: String,
    /// With --history: at most the newest this many (0: a year's).
    #[arg(long, default_value_t = 0)]
    pub limit: u32,
    /// Write the board (city, districts, history) to this XLSX file.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["by", "history"])]
    pub xlsx: Option<std::path::PathBuf>,
}

fn figure_json(f: &pb::PlanFigure) -> serde_json::Value {
    json!({
        "key": f.key,
        "label": f.label,
        "count": f.count,
        "target": (f.target > 0).then_some(f.target),
        "rate": f.rate,
        "rate_target": f.rate_target,
    })
}

fn board_json(board: &pb::PlanBoard) -> serde_json::Value {
    let districts: Vec<_> = board
        .districts
        .iter()
        .map(|d| {
            json!({
                "region_code": d.region_code,
                "name": d.name,
                "population": (d.population > 0).then_some(d.population),
                "figures": d.figures.iter().map(figure_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "day": board.day, "city": board.city.iter().map(figure_json).collect::<Vec<_>>(), "districts": districts })
}

/// The share of the target reached, as people read it ("10%", "2.31/4.8 per 10k").
fn share(f: &pb::PlanFigure) -> String {
    match (f.rate, f.rate_target) {
        (Some(rate), Some(target)) => format!("{rate:.2}/{target} 每万人"),
        _ if f.target > 0 => format!("{:.0}%", f.count as f64 * 100.0 / f.target as f64),
        _ => String::new(),
    }
}

fn right_align(rows: &mut comfy_table::Table, columns: std::ops::RangeInclusive<usize>) {
    for column in columns {
        if let Some(column) = rows.column_mut(column) {
            column.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
}

pub async fn stats(args: &ClientArgs, stats_args: &StatsArgs) -> anyhow::Result<()> {
    if let Some(path) = &stats_args.xlsx {
        return export(args, &stats_args.since, path).await;
    }
    if stats_args.history {
        return history(args, &stats_args.since, stats_args.limit).await;
    }
    if stats_args.by == Some(Breakdown::District) {
        return by_district(args).await;
    }
    let stats = args
        .connect(Calls::Unary)
        .await?
        .stats()
        .get_stats(pb::GetStatsRequest {})
        .await
        .map_err(status_error)?
        .into_inner();
    if args.json {
        let figures: Vec<_> = stats.figures.iter().map(figure_json).collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({ "figures": figures, "leads_counted": stats.leads_counted }))?
        );
        return Ok(());
    }
    let mut rows = table(&["figure", "count", "target", "share", ""]);
    for f in &stats.figures {
        let target = if f.target > 0 { f.target.to_string() } else { String::from("—") };
        rows.add_row(vec![f.key.clone(), f.count.to_string(), target, share(f), f.label.clone()]);
    }
    right_align(&mut rows, 1..=3);
    outln!("{rows}");
    if !stats.leads_counted {
        outln!("(lead figures come from the process that runs the leads service)");
    }
    Ok(())
}

async fn by_district(args: &ClientArgs) -> anyhow::Result<()> {
    let board = args
        .connect(Calls::Unary)
        .await?
        .stats()
        .get_plan_board(pb::GetPlanBoardRequest {})
        .await
        .map_err(status_error)?
        .into_inner();
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&board_json(&board))?);
        return Ok(());
    }
    outln!("规划目标看板 plan board, {} (verified certificates valid that day)", board.day);
    let mut header = vec!["区县 district".to_owned()];
    header.extend(board.city.iter().map(|f| f.label.clone()));
    let mut rows = table(&header.iter().map(String::as_str).collect::<Vec<_>>());
    let city: Vec<String> = board
        .city
        .iter()
        .map(|f| match (f.rate, f.target) {
            (Some(rate), _) => format!("{rate:.2}"),
            (None, 0) => f.count.to_string(),
            (None, target) => format!("{}/{target}", f.count),
        })
        .collect();
    rows.add_row([vec!["湛江市 (全市/目标)".to_owned()], city].concat());
    for district in &board.districts {
        let cells: Vec<String> = district
            .figures
            .iter()
            .map(|f| match f.rate {
                Some(rate) => format!("{rate:.2}"),
                None => f.count.to_string(),
            })
            .collect();
        rows.add_row([vec![format!("{} {}", district.name, district.region_code)], cells].concat());
    }
    right_align(&mut rows, 1..=board.city.len());
    outln!("{rows}");
    Ok(())
}

async fn history(args: &ClientArgs, since: &str, limit: u32) -> anyhow::Result<()> {
    let history = args
        .connect(Calls::Unary)
        .await?
        .stats()
        .list_plan_snapshots(pb::ListPlanSnapshotsRequest { since_day: since.to_owned(), limit })
        .await
        .map_err(status_error)?
        .into_inner();
    if args.json {
        let snapshots: Vec<_> = history.snapshots.iter().map(board_json).collect();
        outln!("{}", serde_json::to_string_pretty(&snapshots)?);
        return Ok(());
    }
    let Some(last) = history.snapshots.last() else {
        outln!("no snapshot kept yet (the server keeps one a day)");
        return Ok(());
    };
    let mut header = vec!["日期 day".to_owned()];
    header.extend(last.city.iter().map(|f| f.key.clone()));
    let mut rows = table(&header.iter().map(String::as_str).collect::<Vec<_>>());
    for snapshot in &history.snapshots {
        let mut cells = vec![snapshot.day.clone()];
        cells.extend(last.city.iter().map(|figure| {
            snapshot.city.iter().find(|f| f.key == figure.key).map(|f| f.count.to_string()).unwrap_or_default()
        }));
        rows.add_row(cells);
    }
    right_align(&mut rows, 1..=last.city.len());
    outln!("{rows}");
    Ok(())
}

async fn export(args: &ClientArgs, since: &str, path: &std::path::Path) -> anyhow::Result<()> {
    let workbook = args
        .connect(Calls::Unary)
        .await?
        .stats()
        .export_plan_board(pb::ExportPlanBoardRequest { since_day: since.to_owned() })
        .await
        .map_err(status_error)?
        .into_inner();
    std::fs::write(path, &workbook.content).with_context(|| format!("writing {}", path.display()))?;
    if args.json {
        outln!("{}", json!({ "path": path.display().to_string(), "bytes": workbook.content.len() }));
    } else {
        outln!("plan board written to {} ({} bytes)", path.display(), workbook.content.len());
    }
    Ok(())
}
