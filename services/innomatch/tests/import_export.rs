//! Import and export as a city bureau uses them, through the real binary:
//! CSV and XLSX files with good and bad rows, a dry run that writes nothing,
//! a report naming each bad row's place, field and reason, a non-zero exit
//! when any row is rejected, exports that import again without duplicating,
//! and files imported twice that change nothing the second time.

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

/// Runs an import that must fail (rows rejected) and returns its report.
fn run_json_rejected(addr: &str, args: &[&str]) -> Value {
    let output = cli(addr, args);
    assert!(!output.status.success(), "{args:?} exits non-zero when rows are rejected");
    assert!(String::from_utf8_lossy(&output.stderr).contains("rows rejected"), "{output:?}");
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

    let dry = run_json_rejected(&addr, &["import", "--dry-run", "--json", csv.to_str().expect("path")]);
    assert_eq!(dry["imported"], 2, "{dry}");
    assert_eq!(dry["rejected_rows"], 4, "{dry}");
    assert_eq!(needs_count(&addr), 0, "a dry run writes nothing");

    let report = run_json_rejected(&addr, &["import", "--json", csv.to_str().expect("path")]);
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
            ("line 6".to_owned(), "need.target_trl".to_owned()),
            ("line 7".to_owned(), "organization_ref".to_owned()),
        ]
    );
    let reasons = report["rejected"].to_string();
    assert!(reasons.contains("target_trl") && reasons.contains("unknown industry"), "{reasons}");
    assert_eq!(needs_count(&addr), 1);

    // Export to XLSX and import the file again: same rows, nothing rejected,
    // nothing duplicated.
    let xlsx = dir.path().join("needs.xlsx");
    let output = cli(&addr, &["export", "--kind", "need", "--format", "xlsx", "--out", xlsx.to_str().expect("path")]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let again = run_json(&addr, &["import", "--dry-run", "--json", xlsx.to_str().expect("path")]);
    assert_eq!((again["imported"].as_u64(), again["rejected_rows"].as_u64()), (Some(1), Some(0)), "{again}");
    let reimported = run_json(&addr, &["import", "--json", xlsx.to_str().expect("path")]);
    assert_eq!((reimported["imported"].as_u64(), reimported["unchanged"].as_u64()), (Some(0), Some(1)), "{reimported}");
    let titles: Vec<String> = run_json(&addr, &["need", "list", "--json"])
        .as_array()
        .expect("needs")
        .iter()
        .map(|n| n["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(titles, ["对虾养殖病害快速检测"]);

    // The workbook speaks both languages and keeps numbers as numbers.
    use calamine::{Data, Reader, open_workbook_auto};
    let mut workbook = open_workbook_auto(&xlsx).expect("open export");
    let (_, sheet) = workbook.worksheets().into_iter().next().expect("one sheet");
    let header: Vec<String> = sheet.rows().next().expect("header").iter().map(|c| c.to_string()).collect();
    assert!(
        header.contains(&"标题 title".to_owned()) && header.contains(&"目标技术成熟度 target_trl".to_owned()),
        "{header:?}"
    );
    let trl_column = header.iter().position(|h| h.ends_with(" target_trl")).expect("trl column");
    let first_row = sheet.rows().nth(1).expect("a data row");
    assert_eq!(first_row[trl_column], Data::Float(6.0), "the TRL is a number, not text");
    stop(server);
}

const ROWS: &str = "type,ref,organization,name,kind,region_code,credit_code,title,description,keywords,industries,trl
organization,zj-shrimp,,湛江对虾科技有限公司,enterprise,440825,,,,,shrimp,
organization,,,广东海洋大学水产学院,university,440811,124400004558588187,,,,shrimp,
capability,cap-1,zj-shrimp,,achievement,,,对虾工厂化养殖,循环水工厂化养殖技术,对虾养殖;循环水,shrimp,6
capability,cap-2,zj-shrimp,,achievement,,,预制菜冷链保鲜,速冻与冷链保鲜工艺,预制菜;冷链,prepared_dishes,5
";

/// Every capability as (title, description), from a CSV export.
fn capabilities(addr: &str, dir: &std::path::Path) -> Vec<(String, String)> {
    let exported = dir.join("capabilities.csv");
    let output =
        cli(addr, &["export", "--kind", "capability", "--format", "csv", "--out", exported.to_str().expect("path")]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut reader = csv::Reader::from_path(&exported).expect("csv");
    let headers = reader.headers().expect("headers").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let (title, description) = (column("title"), column("description"));
    let mut found: Vec<(String, String)> = reader
        .records()
        .map(|row| {
            let row = row.expect("row");
            (row[title].to_owned(), row[description].to_owned())
        })
        .collect();
    found.sort();
    found
}

#[test]
fn importing_the_same_file_twice_changes_nothing_and_a_changed_row_updates_its_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, addr) = start_server(&dir.path().join("data"));
    let csv = dir.path().join("rows.csv");
    std::fs::write(&csv, ROWS).expect("write csv");
    let path = csv.to_str().expect("path");

    let first = run_json(&addr, &["import", "--json", path]);
    assert_eq!((first["imported"].as_u64(), first["unchanged"].as_u64()), (Some(4), Some(0)), "{first}");
    let organization = first["organization_ids"]["zj-shrimp"].as_str().expect("org id").to_owned();
    let before = capabilities(&addr, dir.path());

    let second = run_json(&addr, &["import", "--json", path]);
    assert_eq!(
        (second["imported"].as_u64(), second["updated"].as_u64(), second["unchanged"].as_u64()),
        (Some(0), Some(0), Some(4)),
        "the same file again changes nothing: {second}"
    );
    assert_eq!(second["organization_ids"]["zj-shrimp"], organization.as_str(), "refs name the same organization");
    assert_eq!(capabilities(&addr, dir.path()), before, "no row was duplicated or changed");

    // One row changed: that record gets a new version, the rest stay.
    std::fs::write(&csv, ROWS.replace("循环水工厂化养殖技术", "循环水工厂化养殖与尾水处理技术")).expect("write csv");
    let third = run_json(&addr, &["import", "--json", path]);
    assert_eq!(
        (third["imported"].as_u64(), third["updated"].as_u64(), third["unchanged"].as_u64()),
        (Some(1), Some(1), Some(3)),
        "{third}"
    );
    let after: Vec<String> = capabilities(&addr, dir.path()).into_iter().map(|(_, description)| description).collect();
    assert_eq!(after, ["循环水工厂化养殖与尾水处理技术", "速冻与冷链保鲜工艺"]);
    stop(server);
}
