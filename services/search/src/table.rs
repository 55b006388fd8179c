//! Records as table rows, for what a city bureau keeps in spreadsheets:
//! reading JSONL, CSV and XLSX (every sheet; a sheet named after a record
//! kind supplies the `type`) into import messages, and writing records back
//! as CSV or XLSX with the same columns, so an export imports again.

use std::{io::BufRead, path::Path};

use anyhow::Context;
use calamine::{Data, Reader, open_workbook_auto_from_rs};
use innomatch_core::model::{Record, RecordKind};
use innomatch_proto::v1 as pb;
use serde_json::{Map, Value, json};

/// Columns of each record kind, in order; `type` comes first in every file.
pub fn columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Organization => &[
            "id",
            "ref",
            "name",
            "kind",
            "region_code",
            "industries",
            "high_tech_fields",
            "qualifications",
            "description",
            "website",
            "credit_code",
            "relocated_into_city",
        ],
        RecordKind::Need => &[
            "id",
            "organization_id",
            "organization",
            "title",
            "description",
            "keywords",
            "competencies",
            "high_tech_fields",
            "industries",
            "cooperation_modes",
            "target_trl",
            "budget_min_yuan",
            "budget_max_yuan",
            "visibility",
            "region_code",
        ],
        RecordKind::Capability => &[
            "id",
            "organization_id",
            "organization",
            "kind",
            "title",
            "description",
            "keywords",
            "high_tech_fields",
            "industries",
            "trl",
            "available_for_sharing",
            "reference",
            "region_code",
        ],
        RecordKind::ServiceOffer => &[
            "id",
            "organization_id",
            "organization",
            "category",
            "title",
            "description",
            "keywords",
            "regions_served",
            "industries_served",
            "terms",
            "monthly_capacity",
        ],
        RecordKind::Policy => &[
            "id",
            "ref",
            "title",
            "issuing_department",
            "document_number",
            "published_at",
            "effective_from",
            "expires_at",
            "summary",
            "full_text",
            "keywords",
            "eligible_organization_kinds",
            "eligible_qualifications",
            "eligible_region_codes",
            "eligible_industries",
            "eligible_high_tech_fields",
            "eligible_conditions",
            "benefit_kind",
            "benefit_amount_yuan",
            "benefit_description",
        ],
    }
}

/// Date columns: the cell is a day (YYYY-MM-DD, China time); the record
/// keeps milliseconds. A policy expires at the end of its last day.
const DATE_FIELDS: &[(&str, &str, bool)] = &[
    ("relocated_into_city", "relocated_into_city_ms", false),
    ("published_at", "published_at_ms", false),
    ("effective_from", "effective_from_ms", false),
    ("expires_at", "expires_at_ms", true),
];

const CHINA: &str = "Asia/Shanghai";

fn day_to_ms(cell: &str, end_of_day: bool) -> Option<i64> {
    let date: jiff::civil::Date = cell.parse().ok()?;
    let zone = jiff::tz::TimeZone::get(CHINA).ok()?;
    let start = date.to_zoned(zone.clone()).ok()?.timestamp().as_millisecond();
    if !end_of_day {
        return Some(start);
    }
    Some(date.tomorrow().ok()?.to_zoned(zone).ok()?.timestamp().as_millisecond() - 1)
}

fn ms_to_day(ms: i64) -> Option<String> {
    let zone = jiff::tz::TimeZone::get(CHINA).ok()?;
    Some(jiff::Timestamp::from_millisecond(ms).ok()?.to_zoned(zone).date().to_string())
}

/// Cells that hold lists, separated by `;` (or the full-width `；`).
const LIST_FIELDS: &[&str] = &[
    "keywords",
    "industries",
    "high_tech_fields",
    "qualifications",
    "cooperation_modes",
    "regions_served",
    "industries_served",
    "eligible_organization_kinds",
    "eligible_qualifications",
    "eligible_region_codes",
    "eligible_industries",
    "eligible_high_tech_fields",
    "eligible_conditions",
];
const NUMBER_FIELDS: &[&str] = &["target_trl", "trl", "monthly_capacity"];

/// Why a row cannot be read: the field (as the server names fields, e.g.
/// `need.target_trl`; empty when it is the row as a whole) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub field: String,
    pub reason: String,
}

impl CellError {
    fn row(reason: impl Into<String>) -> Self {
        Self { field: String::new(), reason: reason.into() }
    }
}

/// One data row of a file: where it is, and its message or why it cannot be read.
#[derive(Debug)]
pub struct Row {
    /// "line 12" or "sheet needs, row 12".
    pub location: String,
    pub parsed: Result<pb::ImportRecord, CellError>,
}

/// The bilingual headers of exported workbooks ("标题 title"), by column.
fn chinese_label(column: &str) -> &'static str {
    match column {
        "type" => "类型",
        "id" => "编号",
        "ref" => "外部编号",
        "name" => "名称",
        "kind" => "类别",
        "region_code" => "区域代码",
        "industries" => "产业链",
        "high_tech_fields" => "高新技术领域",
        "qualifications" => "资质",
        "description" => "简介",
        "website" => "网站",
        "credit_code" => "统一社会信用代码",
        "organization_id" => "机构编号",
        "organization" => "机构外部编号",
        "title" => "标题",
        "keywords" => "关键词",
        "competencies" => "所需能力",
        "cooperation_modes" => "合作方式",
        "target_trl" => "目标技术成熟度",
        "budget_min_yuan" => "预算下限（元）",
        "budget_max_yuan" => "预算上限（元）",
        "visibility" => "公开方式",
        "trl" => "技术成熟度",
        "available_for_sharing" => "可共享",
        "reference" => "出处",
        "category" => "服务类别",
        "regions_served" => "服务区域",
        "industries_served" => "服务产业",
        "terms" => "服务条款",
        "monthly_capacity" => "月服务能力",
        "relocated_into_city" => "迁入本市日期",
        "issuing_department" => "发文单位",
        "document_number" => "文号",
        "published_at" => "发布日期",
        "effective_from" => "施行日期",
        "expires_at" => "截止日期",
        "summary" => "摘要",
        "full_text" => "政策原文",
        "eligible_organization_kinds" => "适用机构类型",
        "eligible_qualifications" => "所需资质",
        "eligible_region_codes" => "适用区域",
        "eligible_industries" => "适用产业链",
        "eligible_high_tech_fields" => "适用高新技术领域",
        "eligible_conditions" => "附加条件",
        "benefit_kind" => "支持方式",
        "benefit_amount_yuan" => "支持金额（元）",
        "benefit_description" => "支持内容",
        _ => "",
    }
}

/// The column a header names: "title", or the English half of an exported
/// "标题 title".
fn column_name(header: &str) -> &str {
    let header = header.trim();
    match header.rsplit_once(char::is_whitespace) {
        Some((_, english)) if english.is_ascii() && !english.is_empty() => english,
        _ => header,
    }
}

fn split_list(cell: &str) -> Vec<&str> {
    cell.split([';', '；']).map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// A row of named cells as the JSON object a JSONL line would hold.
pub fn cells_to_json(headers: &[String], cells: &[String], default_type: Option<&str>) -> Result<Value, CellError> {
    let mut object = Map::new();
    let mut budget = Map::new();
    let mut eligibility = Map::new();
    let mut benefit = Map::new();
    if let Some(kind) = default_type {
        object.insert("type".into(), json!(kind));
    }
    let kind = headers
        .iter()
        .zip(cells)
        .find(|(name, _)| column_name(name) == "type")
        .map(|(_, cell)| cell.trim().to_owned())
        .or_else(|| default_type.map(str::to_owned))
        .unwrap_or_default();
    let field = |name: &str| if kind.is_empty() { name.to_owned() } else { format!("{kind}.{name}") };
    for (name, cell) in headers.iter().zip(cells) {
        let (name, cell) = (column_name(name), cell.trim());
        if cell.is_empty() {
            continue;
        }
        let bad = |reason: String| CellError { field: field(name), reason };
        if let Some(&(_, stored, end_of_day)) = DATE_FIELDS.iter().find(|(column, _, _)| *column == name) {
            let ms = day_to_ms(cell, end_of_day).ok_or_else(|| bad(format!("{cell:?} is not a day (YYYY-MM-DD)")))?;
            object.insert(stored.to_owned(), json!(ms));
            continue;
        }
        if let Some(part) = name.strip_prefix("eligible_") {
            eligibility.insert(part.to_owned(), json!(split_list(cell)));
            continue;
        }
        if let Some(part) = name.strip_prefix("benefit_") {
            let value = if part == "amount_yuan" {
                json!(cell.parse::<i64>().map_err(|_| bad(format!("{cell:?} is not an amount in yuan")))?)
            } else {
                json!(cell)
            };
            benefit.insert(part.to_owned(), value);
            continue;
        }
        let value = if LIST_FIELDS.contains(&name) {
            json!(split_list(cell))
        } else if NUMBER_FIELDS.contains(&name) {
            json!(cell.parse::<u64>().map_err(|_| bad(format!("{cell:?} is not a whole number")))?)
        } else if name == "available_for_sharing" {
            json!(matches!(cell.to_lowercase().as_str(), "true" | "yes" | "1" | "是"))
        } else if let Some(bound) = name.strip_prefix("budget_") {
            let amount = cell.parse::<i64>().map_err(|_| bad(format!("{cell:?} is not an amount in yuan")))?;
            budget.insert(bound.to_owned(), json!(amount));
            continue;
        } else if name == "competencies" {
            let list: Result<Vec<Value>, CellError> = split_list(cell)
                .into_iter()
                .map(|item| match item.rsplit_once([':', '：']) {
                    Some((competency, weight)) => weight
                        .trim()
                        .parse::<u32>()
                        .map(|w| json!({"name": competency.trim(), "weight": w}))
                        .map_err(|_| bad(format!("bad weight in {item:?}"))),
                    None => Ok(json!({"name": item, "weight": 1})),
                })
                .collect();
            json!(list?)
        } else {
            json!(cell)
        };
        object.insert(name.to_owned(), value);
    }
    if !budget.is_empty() {
        object.insert("budget".into(), Value::Object(budget));
    }
    if !eligibility.is_empty() {
        object.insert("eligibility".into(), Value::Object(eligibility));
    }
    if !benefit.is_empty() {
        object.insert("benefit".into(), Value::Object(benefit));
    }
    Ok(Value::Object(object))
}

/// A JSON object (a JSONL line or a converted row) as an import message:
/// `ref` names the row, `organization` refers to an earlier row's `ref`,
/// `organization_id` names an existing owner.
/// `id` names the record an exported row came from, so importing an export
/// again finds its records instead of duplicating them.
pub fn to_import_record(value: Value) -> Result<pb::ImportRecord, CellError> {
    let object = value.as_object().ok_or_else(|| CellError::row("a row must be a JSON object"))?;
    let text = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let reference = text("ref");
    let organization_ref = text("organization");
    let organization_id = text("organization_id");
    let id = text("id");
    let record: Record = serde_json::from_value(value).map_err(|e| CellError::row(e.to_string()))?;
    let mut record: pb::import_record::Record = record.into();
    let meta = match &mut record {
        pb::import_record::Record::Need(n) => &mut n.meta,
        pb::import_record::Record::Capability(c) => &mut c.meta,
        pb::import_record::Record::Offer(o) => &mut o.meta,
        pb::import_record::Record::Organization(o) => &mut o.meta,
        pb::import_record::Record::Policy(p) => &mut p.meta,
    };
    if !organization_id.is_empty() || !id.is_empty() {
        let meta = meta.get_or_insert_with(Default::default);
        meta.organization_id = organization_id;
        meta.id = id;
    }
    Ok(pb::ImportRecord { record: Some(record), r#ref: reference, organization_ref })
}

/// The record kind a sheet name stands for ("needs", "需求", …).
fn sheet_kind(name: &str) -> Option<&'static str> {
    let name = name.trim().to_lowercase();
    let kinds: [(&[&str], &str); 5] = [
        (&["organization", "organizations", "机构"], "organization"),
        (&["need", "needs", "需求", "技术需求"], "need"),
        (&["capability", "capabilities", "能力", "科技能力"], "capability"),
        (&["offer", "offers", "服务", "中介服务"], "offer"),
        (&["policy", "policies", "政策", "扶持政策"], "policy"),
    ];
    kinds.iter().find(|(names, _)| names.contains(&name.as_str())).map(|(_, kind)| *kind)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// Reads every data row of a `.jsonl`, `.csv` or `.xlsx` file.
pub fn read(path: &Path) -> anyhow::Result<Vec<Row>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot open {}", path.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    read_bytes(&name, &bytes).with_context(|| format!("reading {}", path.display()))
}

/// Reads every data row of a file's bytes; its name's extension says the
/// format (`.csv`, `.xlsx`/`.xls`/`.ods`, anything else JSONL): an upload
/// reads exactly like a file on disk.
pub fn read_bytes(file_name: &str, bytes: &[u8]) -> anyhow::Result<Vec<Row>> {
    let extension = Path::new(file_name).extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    let mut rows = Vec::new();
    match extension.as_str() {
        "csv" => {
            let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
            let headers: Vec<String> =
                reader.headers().context("reading the CSV header")?.iter().map(str::to_owned).collect();
            for (i, record) in reader.records().enumerate() {
                let parsed = record.map_err(|e| CellError::row(e.to_string())).and_then(|r| {
                    let cells: Vec<String> = r.iter().map(str::to_owned).collect();
                    cells_to_json(&headers, &cells, None).and_then(to_import_record)
                });
                rows.push(Row { location: format!("line {}", i + 2), parsed });
            }
        }
        "xlsx" | "xls" | "ods" => {
            let mut workbook =
                open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).context("cannot open the workbook")?;
            for (sheet, range) in workbook.worksheets() {
                let mut sheet_rows = range.rows();
                let Some(header) = sheet_rows.next() else { continue };
                let headers: Vec<String> = header.iter().map(cell_text).collect();
                let default_type =
                    if headers.iter().any(|h| column_name(h) == "type") { None } else { sheet_kind(&sheet) };
                for (i, cells) in sheet_rows.enumerate() {
                    let cells: Vec<String> = cells.iter().map(cell_text).collect();
                    if cells.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let parsed = cells_to_json(&headers, &cells, default_type).and_then(to_import_record);
                    rows.push(Row { location: format!("sheet {sheet}, row {}", i + 2), parsed });
                }
            }
        }
        _ => {
            for (i, line) in bytes.lines().enumerate() {
                let line = line.context("reading the lines")?;
                if line.trim().is_empty() {
                    continue;
                }
                let parsed = serde_json::from_str::<Value>(&line)
                    .map_err(|e| CellError::row(e.to_string()))
                    .and_then(to_import_record);
                rows.push(Row { location: format!("line {}", i + 1), parsed });
            }
        }
    }
    Ok(rows)
}

/// A record's cells in the order of [`columns`].
pub fn record_cells(record: &Record) -> Vec<String> {
    let value = serde_json::to_value(record).unwrap_or(Value::Null);
    let meta = &value["meta"];
    columns(record.kind())
        .iter()
        .map(|column| {
            let cell = match *column {
                "id" => meta["id"].clone(),
                "organization_id" => meta["organization_id"].clone(),
                "budget_min_yuan" => value["budget"]["min_yuan"].clone(),
                "budget_max_yuan" => value["budget"]["max_yuan"].clone(),
                date if DATE_FIELDS.iter().any(|(column, _, _)| *column == date) => {
                    let stored = DATE_FIELDS.iter().find(|(column, _, _)| *column == date).map(|(_, s, _)| *s);
                    match stored.and_then(|s| value[s].as_i64()).and_then(ms_to_day) {
                        Some(day) => Value::String(day),
                        None => Value::Null,
                    }
                }
                other if other.starts_with("eligible_") => value["eligibility"][&other["eligible_".len()..]].clone(),
                other if other.starts_with("benefit_") => value["benefit"][&other["benefit_".len()..]].clone(),
                other => value[other].clone(),
            };
            match cell {
                Value::Null => String::new(),
                Value::String(s) => s,
                Value::Array(items) => items
                    .iter()
                    .map(|item| match item {
                        Value::String(s) => s.clone(),
                        Value::Object(o) => format!(
                            "{}:{}",
                            o.get("name").and_then(Value::as_str).unwrap_or_default(),
                            o.get("weight").map(Value::to_string).unwrap_or_default()
                        ),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(";"),
                other => other.to_string(),
            }
        })
        .collect()
}

fn header(kind: RecordKind) -> Vec<&'static str> {
    std::iter::once("type").chain(columns(kind).iter().copied()).collect()
}

pub fn write_csv(kind: RecordKind, records: &[Record]) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header(kind))?;
    for record in records {
        writer.write_record(std::iter::once(kind.code().to_owned()).chain(record_cells(record)))?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("writing CSV: {e}"))
}

/// A workbook with one sheet named after the kind: a bold, frozen header row
/// in Chinese and English ("标题 title", which imports again), filters, and
/// numbers (TRLs, budgets, capacities) stored as numbers.
pub fn write_xlsx(kind: RecordKind, records: &[Record]) -> anyhow::Result<Vec<u8>> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(kind.code())?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let names = header(kind);
    for (col, name) in names.iter().enumerate() {
        let label = format!("{} {name}", chinese_label(name)).trim().to_owned();
        sheet.write_string_with_format(0, col as u16, &label, &bold)?;
        sheet.set_column_width(col as u16, label.chars().count().max(12) as f64 + 4.0)?;
    }
    for (row, record) in records.iter().enumerate() {
        let row = u32::try_from(row + 1).context("too many rows for a worksheet")?;
        sheet.write_string(row, 0, kind.code())?;
        for (col, (cell, name)) in record_cells(record).iter().zip(&names[1..]).enumerate() {
            let col = col as u16 + 1;
            let numeric = NUMBER_FIELDS.contains(name) || name.starts_with("budget_") || *name == "benefit_amount_yuan";
            let number = if numeric { cell.parse::<i64>().ok() } else { None };
            match number {
                Some(number) => sheet.write_number(row, col, number as f64)?,
                None => sheet.write_string(row, col, cell)?,
            };
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, u32::try_from(records.len()).unwrap_or(u32::MAX), (names.len() - 1) as u16)?;
    Ok(workbook.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use innomatch_core::model::{MoneyRange, RecordMeta, RequiredCompetency, TechNeed, Visibility};

    use super::*;

    fn need() -> Record {
        Record::Need(TechNeed {
            meta: RecordMeta { id: "need_1".into(), organization_id: "org_1".into(), ..Default::default() },
            title: "预制菜冷链保鲜".into(),
            keywords: vec!["预制菜".into(), "冷链".into()],
            competencies: vec![RequiredCompetency { name: "冷链物流".into(), weight: 5 }],
            industries: vec!["prepared_dishes".into()],
            target_trl: 6,
            budget: MoneyRange { min_yuan: 100_000, max_yuan: 500_000 },
            visibility: Some(Visibility::Anonymous),
            ..Default::default()
        })
    }

    #[test]
    fn an_exported_row_imports_as_the_same_record() {
        let record = need();
        let headers: Vec<String> = header(RecordKind::Need).iter().map(|s| (*s).to_owned()).collect();
        let cells: Vec<String> = std::iter::once("need".to_owned()).chain(record_cells(&record)).collect();
        let message = cells_to_json(&headers, &cells, None).and_then(to_import_record).expect("row reads back");
        let back = Record::try_from(message.clone()).expect("valid");
        let Record::Need(mut back) = back else { panic!("a need") };
        let Record::Need(mut original) = record else { unreachable!() };
        original.meta = Default::default();
        back.meta = Default::default();
        assert_eq!(back, original);
        let owner = match message.record {
            Some(pb::import_record::Record::Need(n)) => n.meta.map(|m| m.organization_id),
            _ => None,
        };
        assert_eq!(owner.as_deref(), Some("org_1"));
    }

    #[test]
    fn an_exported_policy_imports_as_the_same_policy() {
        use innomatch_core::model::{Benefit, BenefitKind, Eligibility, PolicyCondition, Qualification, SupportPolicy};
        let record = Record::Policy(SupportPolicy {
            title: "高新技术企业整体迁入奖励".into(),
            issuing_department: "湛江市科学技术局".into(),
            document_number: "湛科〔2023〕12号".into(),
            effective_from_ms: day_to_ms("2023-07-01", false),
            expires_at_ms: day_to_ms("2025-12-31", true),
            full_text: "对整体迁入我市的高新技术企业给予一次性30万元奖励。".into(),
            keywords: vec!["整体迁入".into(), "高新技术企业".into()],
            eligibility: Eligibility {
                qualifications: vec![Qualification::HighTechEnterprise],
                region_codes: vec!["440800".into()],
                conditions: vec![PolicyCondition::RelocatedWithHighTech],
                ..Default::default()
            },
            benefit: Benefit {
                kind: Some(BenefitKind::Reward),
                amount_yuan: 300_000,
                description: "一次性奖励".into(),
            },
            ..Default::default()
        });
        let headers: Vec<String> = header(RecordKind::Policy).iter().map(|s| (*s).to_owned()).collect();
        let cells: Vec<String> = std::iter::once("policy".to_owned()).chain(record_cells(&record)).collect();
        assert!(cells.contains(&"2025-12-31".to_owned()), "{cells:?}");
        let message = cells_to_json(&headers, &cells, None).and_then(to_import_record).expect("row reads back");
        let back = Record::try_from(message).expect("valid");
        assert_eq!(back, record);
        assert_eq!(sheet_kind("扶持政策"), Some("policy"));
    }

    #[test]
    fn bad_cells_say_which_column() {
        let headers = vec!["type".to_owned(), "title".to_owned(), "target_trl".to_owned()];
        let cells = vec!["need".to_owned(), "对虾养殖".to_owned(), "七".to_owned()];
        let error = cells_to_json(&headers, &cells, None).expect_err("not a number");
        assert_eq!(error.field, "need.target_trl", "{error:?}");
        assert_eq!(column_name("目标技术成熟度 target_trl"), "target_trl");
        assert_eq!(column_name("title"), "title");
        assert_eq!(sheet_kind("需求"), Some("need"));
    }
}
