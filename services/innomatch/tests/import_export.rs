//! Import and export as a city bureau uses them, through the real binary:
//! CSV and XLSX files with good and bad rows, a dry run that writes nothing,
//! a report naming each bad row's place, field and reason, and exports that
//! import again.

mod common;

use common::{cli, start_server, stop};
use serde_json::Value;

const CSV: &str =
    "type,ref,organization,name,kind,region_code,title,description,keywords,industries,target_trl,competencies
organization,org-a,,湛江对虾科技有限公司,enterprise,440825,,,,shrimp,,
need,,org-a,,,,对虾养殖病害快速检测,需要现场快速检测白斑综合征,对虾养殖;病害检测,shrimp,6,病害检测:8
need,,org-a,,,,,标题缺失的需求,,shrimp,5,
need,,org-a,,,,预制菜冷链保鲜,冷链,,unknown_chain,6,
need,,org-a,,,,金鲳鱼深海养殖,深海网箱,,golden_pompano,七,
need,,org-z,,,,火龙果保鲜,采后保鲜,,dragon_fruit,6,
";

fn run_json(addr: &str, args: &[&str]) -> Value {
    let output = cli(addr, args);
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

fn needs_count(addr: &str) -> usize {
    run_json(addr, &["need", "list", "--json", "--page-size", "500"]).as_array().map(Vec::len).unwrap_or_default()
}

#[test]
fn bad_rows_are_reported_good_ones_imported_and_a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, addr) = start_server(&dir.path().join("data"));
    let csv = dir.path().join("bureau.csv");
    std::fs::write(&csv, CSV).expect("write csv");

    let dry = run_json(&addr, &["import", "--dry-run", "--json", csv.to_str().expect("path")]);
    assert_eq!(dry["imported"], 2, "{dry}");
    assert_eq!(dry["rejected_rows"], 4, "{dry}");
    assert_eq!(needs_count(&addr), 0, "a dry run writes nothing");

    let report = run_json(&addr, &["import", "--json", csv.to_str().expect("path")]);
    assert_eq!((report["imported"].as_u64(), report["rejected_rows"].as_u64()), (Some(2), Some(4)), "{report}");
    let rejected: Vec<(String, String)> = report["rejected"]
        .as_array()
        .expect("rejections")
        .iter()
        .map(|r| (r["at"].as_str().unwrap_or_default().to_owned(), r["field"].as_str().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(
        rejected,
        [
            ("line 4".to_owned(), "need.title".to_owned()),
            ("line 5".to_owned(), "need.industries[0]".to_owned()),
            ("line 6".to_owned(), String::new()),
            ("line 7".to_owned(), "organization_ref".to_owned()),
        ]
    );
    let reasons = report["rejected"].to_string();
    assert!(reasons.contains("target_trl") && reasons.contains("unknown industry"), "{reasons}");
    assert_eq!(needs_count(&addr), 1);

    // Export to XLSX and import the file again: same rows, nothing rejected.
    let xlsx = dir.path().join("needs.xlsx");
    let output = cli(&addr, &["export", "--kind", "need", "--format", "xlsx", "--out", xlsx.to_str().expect("path")]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let again = run_json(&addr, &["import", "--dry-run", "--json", xlsx.to_str().expect("path")]);
    assert_eq!((again["imported"].as_u64(), again["rejected_rows"].as_u64()), (Some(1), Some(0)), "{again}");
    let reimported = run_json(&addr, &["import", "--json", xlsx.to_str().expect("path")]);
    assert_eq!(reimported["imported"], 1, "{reimported}");
    let titles: Vec<String> = run_json(&addr, &["need", "list", "--json"])
        .as_array()
        .expect("needs")
        .iter()
        .map(|n| n["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(titles, ["对虾养殖病害快速检测", "对虾养殖病害快速检测"]);
    stop(server);
}
