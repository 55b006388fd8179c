//! The bureau's plan board: every target of the city's 2023–2025 plan
//! (`innomatch_catalog::plan`) against today's counts of verified
//! certificates, for the whole city and per district and county, the daily
//! snapshots over time, and the XLSX export; as tables and as bar charts
//! drawn on the server (SVG: no script, no chart library). The counts are
//! the catalog's, the same the stats API gives.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use innomatch_catalog::plan::{self, PlanProgress};
use innomatch_core::model::now_ms;
use maud::{Markup, html};

use crate::{
    WebConsole,
    layout::{PageError, page},
    pages::leads::download,
    session::SignedIn,
};

/// How many daily snapshots the page shows (the export has them all).
const HISTORY_SHOWN: u32 = 90;
const CHART_WIDTH: u32 = 640;
const LABEL_WIDTH: u32 = 120;
const ROW_HEIGHT: u32 = 24;
const BAR_HEIGHT: u32 = 16;

/// One bar per row: `(label, value)`, scaled so that `scale` fills the
/// chart, each value written beside its bar with `unit` (e.g. "%").
fn bar_chart(id: &str, title: &str, rows: &[(String, u64)], scale: u64, unit: &str) -> Markup {
    let scale = scale.max(1) as f64;
    let plot = f64::from(CHART_WIDTH - LABEL_WIDTH - 60);
    let height = ROW_HEIGHT * u32::try_from(rows.len()).unwrap_or(0) + 8;
    let width_of = |value: u64| ((value as f64 / scale) * plot).min(plot);
    html! {
        svg.chart id=(id) xmlns="http://www.w3.org/2000/svg" width=(CHART_WIDTH) height=(height)
            viewBox={ "0 0 " (CHART_WIDTH) " " (height) } role="img" aria-label=(title) {
            title { (title) }
            @for (n, (label, value)) in rows.iter().enumerate() {
                @let y = ROW_HEIGHT * u32::try_from(n).unwrap_or(0) + 4;
                text x="0" y=(y + BAR_HEIGHT - 3) font-size="13" fill="#333" { (label) }
                rect x=(LABEL_WIDTH) y=(y) width=(format!("{:.1}", plot)) height=(BAR_HEIGHT) fill="#eef2f6" {}
                rect.bar x=(LABEL_WIDTH) y=(y) width=(format!("{:.1}", width_of(*value))) height=(BAR_HEIGHT) fill="#1f6f8b" data-value=(value) {}
                text x=(format!("{:.1}", f64::from(LABEL_WIDTH) + plot + 6.0)) y=(y + BAR_HEIGHT - 3) font-size="13" fill="#333" { (value) (unit) }
            }
        }
    }
}

/// The whole percent of `target` that `count` reaches (0 without a target).
fn reached(count: u64, target: u64) -> u64 {
    count.saturating_mul(100).checked_div(target).unwrap_or(0)
}

fn percent(count: u64, target: u64) -> String {
    if target == 0 { "—".into() } else { format!("{:.1}%", count as f64 * 100.0 / target as f64) }
}

/// What a cell shows: a rate to two places for per-10,000 figures, else the count.
fn shown(figure: &PlanProgress) -> String {
    match figure.rate {
        Some(rate) => format!("{rate:.2}"),
        None => figure.count.to_string(),
    }
}

/// The whole percent reached, a rate against its target rate.
fn reached_of(figure: &PlanProgress) -> u64 {
    match (figure.rate, figure.rate_target) {
        (Some(rate), Some(target)) if target > 0.0 => (rate * 100.0 / target) as u64,
        _ => reached(figure.count, figure.target),
    }
}

fn target_of(figure: &PlanProgress) -> String {
    match figure.rate_target {
        Some(rate) => format!("{rate} / 万人"),
        None if figure.target == 0 => "—".into(),
        None => figure.target.to_string(),
    }
}

fn percent_of(figure: &PlanProgress) -> String {
    match (figure.rate, figure.rate_target) {
        (Some(rate), Some(target)) if target > 0.0 => format!("{:.1}%", rate * 100.0 / target),
        _ => percent(figure.count, figure.target),
    }
}

pub async fn plan_page(State(console): State<WebConsole>, signed_in: SignedIn) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let board = match console.catalog.plan_board(now_ms()).await {
        Ok(board) => board,
        Err(error) => return PageError::from(error).render(&viewer),
    };
    let history = match console.catalog.plan_history(None, HISTORY_SHOWN).await {
        Ok(history) => history,
        Err(error) => return PageError::from(error).render(&viewer),
    };
    let city = &board.city;
    let body = html! {
        section id="plan" {
            p { (lang.t("《湛江市高新技术产业培育计划（2023—2025年）》各项目标与当前数（只计管理员核验、今日有效的证书），统计日 ",
                         "Every target of the city's 2023–2025 plan against today's counts (only certificates an admin verified and valid today), day "))
                (board.day) " · " a href="/admin/plan/export" id="plan-export" { (lang.t("导出 XLSX", "Export XLSX")) } }
            table.plan id="plan-targets" {
                thead { tr { th { (lang.t("指标", "Target")) } th { (lang.t("当前", "Today")) } th { (lang.t("2025 目标", "2025 target")) } th { (lang.t("完成率", "Reached")) } } }
                tbody {
                    @for figure in city {
                        tr data-key=(figure.key) {
                            td { (figure.label) } td.today { (shown(figure)) } td { (target_of(figure)) } td { (percent_of(figure)) }
                        }
                    }
                }
            }
            h2 { (lang.t("全市进度", "The city's progress")) }
            (bar_chart(
                "chart-city",
                lang.t("完成率（%，满格为 2025 目标）", "Share of the 2025 target reached (%, a full bar is the target)"),
                &city.iter().filter(|f| f.target > 0 || f.rate_target.is_some()).map(|f| (f.label.clone(), reached_of(f))).collect::<Vec<_>>(),
                100,
                "%",
            ))
            h2 { (lang.t("各区县分布", "By district and county")) }
            table.plan id="plan-districts" {
                thead { tr { th { (lang.t("区县", "District / county")) } @for figure in city { th { (figure.label) } } } }
                tbody {
                    @for district in &board.districts {
                        tr data-region=(district.region_code) { td { (district.name) } @for figure in &district.figures { td data-key=(figure.key) { (shown(figure)) } } }
                    }
                }
            }
            @for (n, figure) in city.iter().enumerate().filter(|(_, f)| f.rate.is_none()) {
                h3 { (figure.label) @if figure.target > 0 { " · " (lang.t("目标 ", "target ")) (figure.target) } }
                (bar_chart(
                    &format!("chart-{}", figure.key),
                    &figure.label,
                    &board.districts.iter().map(|d| (d.name.clone(), d.figures.get(n).map(|p| p.count).unwrap_or(0))).collect::<Vec<_>>(),
                    board.districts.iter().filter_map(|d| d.figures.get(n).map(|p| p.count)).max().unwrap_or(0).max(1),
                    "",
                ))
            }
            h2 { (lang.t("历史（每日快照）", "Over time (daily snapshots)")) }
            @if history.is_empty() {
                p id="plan-history-empty" { (lang.t("尚无快照：服务每天保存一次。", "No snapshot yet: the server keeps one a day.")) }
            } @else {
                table.plan id="plan-history" {
                    thead { tr { th { (lang.t("日期", "Day")) } @for figure in city { th { (figure.label) } } } }
                    tbody {
                        @for snapshot in &history {
                            tr data-day=(snapshot.day) {
                                td { (snapshot.day) }
                                @for figure in city {
                                    td { (snapshot.city_figure(&figure.key).map(shown).unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(&viewer, lang.t("规划目标看板", "Plan board"), body).into_response()
}

/// The board and every kept snapshot as an XLSX workbook.
pub async fn export(State(console): State<WebConsole>, signed_in: SignedIn) -> Response {
    let viewer = signed_in.viewer();
    let board = match console.catalog.plan_board(now_ms()).await {
        Ok(board) => board,
        Err(error) => return PageError::from(error).render(&viewer),
    };
    let history = match console.catalog.plan_history(None, plan::MAX_HISTORY).await {
        Ok(history) => history,
        Err(error) => return PageError::from(error).render(&viewer),
    };
    match plan::xlsx::board_workbook(&board, &history) {
        Ok(bytes) => download(
            &format!("plan-board-{}.xlsx", board.day),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes,
        ),
        Err(error) => {
            tracing::error!(%error, "plan board export failed");
            PageError::Domain(tonic::Status::internal("writing the workbook failed; the error was logged"))
                .render(&viewer)
        }
    }
}

#[cfg(test)]
mod tests {
    use innomatch_catalog::plan::CITY;
    use innomatch_core::taxonomy::Taxonomy;

    use super::*;

    #[test]
    fn the_board_breaks_down_the_city_by_its_districts_and_counties() {
        let names: Vec<String> = Taxonomy::get().districts_of(CITY).into_iter().map(|r| r.name.clone()).collect();
        assert!(names.contains(&"赤坎区".to_owned()) && names.contains(&"徐闻县".to_owned()), "{names:?}");
        assert!(!names.contains(&"湛江市".to_owned()));
    }

    #[test]
    fn bars_are_scaled_to_the_largest_value_and_never_overflow() {
        let chart = bar_chart("c", "t", &[("霞山区".into(), 10), ("坡头区".into(), 5)], 10, "").into_string();
        let plot = f64::from(CHART_WIDTH - LABEL_WIDTH - 60);
        assert!(
            chart.contains(&format!("width=\"{plot:.1}\" height=\"{BAR_HEIGHT}\" fill=\"#1f6f8b\" data-value=\"10\"")),
            "{chart}"
        );
        assert!(
            chart.contains(&format!(
                "width=\"{:.1}\" height=\"{BAR_HEIGHT}\" fill=\"#1f6f8b\" data-value=\"5\"",
                plot / 2.0
            )),
            "{chart}"
        );
        let over = bar_chart("c", "t", &[("霞山区".into(), 30)], 10, "").into_string();
        assert!(over.contains(&format!("width=\"{plot:.1}\" height=\"{BAR_HEIGHT}\" fill=\"#1f6f8b\"")), "{over}");
    }

    #[test]
    fn reached_is_a_share_of_the_target() {
        assert_eq!(percent(70, 700), "10.0%");
        assert_eq!(percent(3, 0), "—");
        assert_eq!(reached(70, 700), 10);
        assert_eq!(reached(3, 0), 0);
    }
}
