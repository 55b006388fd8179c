//! The bureau's plan board: the 2025 targets of the city's plan (700
//! high-tech enterprises, 660 tech SMEs, 18 incubators, 20 maker spaces)
//! against today's counts, for the whole city and per district and county,
//! as a table and as bar charts drawn on the server (SVG: no script, no
//! chart library). The counts are the catalog's, the same the stats API gives.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use innomatch_catalog::plan::PlanProgress;
use innomatch_core::taxonomy::Taxonomy;
use maud::{Markup, html};

use crate::{
    WebConsole,
    layout::{PageError, page},
    session::SignedIn,
};

/// The city whose districts and counties the board breaks down.
const CITY: &str = "440800";
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

/// Districts and counties of the city, in code order.
fn districts() -> Vec<(String, String)> {
    Taxonomy::get()
        .regions()
        .into_iter()
        .filter(|region| region.parent.as_deref() == Some(CITY))
        .map(|region| (region.code.clone(), region.name.clone()))
        .collect()
}

/// The whole percent of `target` that `count` reaches (0 without a target).
fn reached(count: u64, target: u64) -> u64 {
    count.saturating_mul(100).checked_div(target).unwrap_or(0)
}

fn percent(count: u64, target: u64) -> String {
    if target == 0 { "—".into() } else { format!("{:.1}%", count as f64 * 100.0 / target as f64) }
}

pub async fn plan_page(State(console): State<WebConsole>, signed_in: SignedIn) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let principal = signed_in.principal();
    let city = match console.catalog.plan_progress(&principal, None).await {
        Ok(city) => city,
        Err(error) => return PageError::from(error).render(&viewer),
    };
    let mut by_district: Vec<(String, String, Vec<PlanProgress>)> = Vec::new();
    for (code, name) in districts() {
        match console.catalog.plan_progress(&principal, Some(&code)).await {
            Ok(progress) => by_district.push((code, name, progress)),
            Err(error) => return PageError::from(error).render(&viewer),
        }
    }
    let body = html! {
        section id="plan" {
            p { (lang.t("《湛江市高新技术产业培育计划》2025 年目标与当前登记数（资质以今日有效证书计）。",
                         "The city plan's 2025 targets against today's registry (qualifications with a certificate valid today).")) }
            table.plan id="plan-targets" {
                thead { tr { th { (lang.t("指标", "Target")) } th { (lang.t("当前", "Today")) } th { (lang.t("2025 目标", "2025 target")) } th { (lang.t("完成率", "Reached")) } } }
                tbody {
                    @for figure in &city {
                        tr data-key=(figure.key) {
                            td { (figure.label) } td.today { (figure.count) } td { (figure.target) } td { (percent(figure.count, figure.target)) }
                        }
                    }
                }
            }
            h2 { (lang.t("全市进度", "The city's progress")) }
            (bar_chart(
                "chart-city",
                lang.t("完成率（%，满格为 2025 目标）", "Share of the 2025 target reached (%, a full bar is the target)"),
                &city.iter().map(|f| (f.label.clone(), reached(f.count, f.target))).collect::<Vec<_>>(),
                100,
                "%",
            ))
            h2 { (lang.t("各区县分布", "By district and county")) }
            table.plan id="plan-districts" {
                thead { tr { th { (lang.t("区县", "District / county")) } @for figure in &city { th { (figure.label) } } } }
                tbody {
                    @for (code, name, progress) in &by_district {
                        tr data-region=(code) { td { (name) } @for figure in progress { td { (figure.count) } } }
                    }
                }
            }
            @for (n, figure) in city.iter().enumerate() {
                h3 { (figure.label) " · " (lang.t("目标 ", "target ")) (figure.target) }
                (bar_chart(
                    &format!("chart-{}", figure.key),
                    &figure.label,
                    &by_district.iter().map(|(_, name, progress)| (name.clone(), progress.get(n).map(|p| p.count).unwrap_or(0))).collect::<Vec<_>>(),
                    by_district.iter().filter_map(|(_, _, progress)| progress.get(n).map(|p| p.count)).max().unwrap_or(0).max(1),
                    "",
                ))
            }
        }
    };
    page(&viewer, lang.t("规划目标看板", "Plan board"), body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_board_breaks_down_the_city_by_its_districts_and_counties() {
        let names: Vec<String> = districts().into_iter().map(|(_, name)| name).collect();
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
