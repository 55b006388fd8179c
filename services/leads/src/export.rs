//! Lead exports for agencies and the city's science and technology bureau:
//! CSV (UTF-8 with a byte-order mark, so Excel on a Chinese Windows reads it
//! as UTF-8 rather than GBK) and XLSX, both with Chinese + English headers,
//! Chinese labels for statuses and categories, and times in China Standard
//! Time (`Asia/Shanghai` from `jiff`'s bundled time-zone database, so a
//! server without zoneinfo files still writes the bureau's local time).

use innomatch_core::{model::ServiceCategory, taxonomy::Taxonomy};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::model::Lead;

/// The column headers, in order.
pub const HEADERS: [&str; 11] = [
    "线索编号 Lead ID",
    "需求编号 Need ID",
    "需求标题 Need title",
    "服务类别 Category",
    "匹配得分 Score",
    "状态 Status",
    "创建时间 Created",
    "答复期限 Respond by",
    "谢绝原因 Decline reason",
    "备注 Note",
    "服务编号 Offer ID",
];

/// The bureau's time zone.
const CHINA: &str = "Asia/Shanghai";

/// `ms` as a civil date-time in China Standard Time; `None` for an instant
/// outside the years -9999..=9999 (no lead is ever stamped so).
fn china_time(ms: i64) -> Option<jiff::civil::DateTime> {
    let zone = jiff::tz::TimeZone::get(CHINA).ok()?;
    Some(jiff::Timestamp::from_millisecond(ms).ok()?.to_zoned(zone).datetime())
}

/// The name of the worksheet in an XLSX export.
pub const SHEET_NAME: &str = "线索 Leads";

fn category_label(category: ServiceCategory) -> String {
    let name = Taxonomy::get()
        .service_categories()
        .iter()
        .find(|c| c.category == category)
        .map(|c| c.name.as_str())
        .unwrap_or_default();
    if name.is_empty() { category.code().to_owned() } else { format!("{name} {}", category.code()) }
}

/// `YYYY-MM-DD HH:MM` in China Standard Time.
pub fn shanghai_time(ms: i64) -> String {
    china_time(ms).map(|t| t.strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

/// `YYYY-MM-DD` in China Standard Time.
pub fn shanghai_date(ms: i64) -> String {
    china_time(ms).map(|t| t.strftime("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// Spreadsheets run a cell that starts with = + - @ as a formula; need
/// titles come from enterprises, so such text is quoted (CSV injection).
fn defuse(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn status_label(lead: &Lead) -> String {
    format!("{} {}", lead.status.label_zh(), lead.status.code())
}

fn decline_label(lead: &Lead) -> String {
    lead.decline_reason.map(|r| format!("{} {}", r.label_zh(), r.code())).unwrap_or_default()
}

/// The leads as CSV bytes.
pub fn csv(leads: &[Lead]) -> Result<Vec<u8>, String> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer.write_record(HEADERS).map_err(|e| e.to_string())?;
        for lead in leads {
            writer
                .write_record([
                    lead.id.clone(),
                    lead.need_id.clone(),
                    defuse(&lead.need_title),
                    category_label(lead.category),
                    format!("{:.3}", lead.score),
                    status_label(lead),
                    shanghai_time(lead.created_at_ms),
                    shanghai_time(lead.respond_by_ms),
                    decline_label(lead),
                    defuse(&lead.note),
                    lead.offer_id.clone(),
                ])
                .map_err(|e| e.to_string())?;
        }
        writer.flush().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Excel serial date-time from Unix milliseconds, shifted to China Standard Time.
fn excel_time(ms: i64) -> Result<ExcelDateTime, String> {
    // Excel cells hold local wall-clock time: the seconds of the civil time read as if it were UTC.
    let local = china_time(ms).ok_or_else(|| format!("time {ms} ms is out of range"))?;
    let seconds = local.to_zoned(jiff::tz::TimeZone::UTC).map_err(|e| e.to_string())?.timestamp().as_second();
    ExcelDateTime::from_timestamp(seconds).map_err(|e| e.to_string())
}

/// The leads as an XLSX workbook with one sheet ([`SHEET_NAME`]): a bold,
/// frozen header row with filters, real numbers and date-times.
pub fn xlsx(leads: &[Lead]) -> Result<Vec<u8>, String> {
    let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut workbook = Workbook::new();
    let header = Format::new().set_bold();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let score = Format::new().set_num_format("0.000");
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET_NAME).map_err(err)?;
    let widths = [32, 30, 36, 26, 10, 18, 18, 18, 22, 40, 30];
    for (col, (title, width)) in HEADERS.iter().zip(widths).enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, *title, &header).map_err(err)?;
        sheet.set_column_width(col, width).map_err(err)?;
    }
    for (i, lead) in leads.iter().enumerate() {
        let row = u32::try_from(i + 1).map_err(|_| "too many rows for a worksheet".to_owned())?;
        sheet.write_string(row, 0, &lead.id).map_err(err)?;
        sheet.write_string(row, 1, &lead.need_id).map_err(err)?;
        sheet.write_string(row, 2, &lead.need_title).map_err(err)?;
        sheet.write_string(row, 3, category_label(lead.category)).map_err(err)?;
        sheet.write_number_with_format(row, 4, f64::from(lead.score), &score).map_err(err)?;
        sheet.write_string(row, 5, status_label(lead)).map_err(err)?;
        sheet.write_datetime_with_format(row, 6, excel_time(lead.created_at_ms)?, &when).map_err(err)?;
        sheet.write_datetime_with_format(row, 7, excel_time(lead.respond_by_ms)?, &when).map_err(err)?;
        sheet.write_string(row, 8, decline_label(lead)).map_err(err)?;
        sheet.write_string(row, 9, &lead.note).map_err(err)?;
        sheet.write_string(row, 10, &lead.offer_id).map_err(err)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    let last_row = u32::try_from(leads.len()).unwrap_or(u32::MAX);
    sheet.autofilter(0, 0, last_row, (HEADERS.len() - 1) as u16).map_err(err)?;
    workbook.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_china_standard_time() {
        // 2024-01-31T16:30:00Z is 2024-02-01 00:30 in Zhanjiang.
        assert_eq!(shanghai_time(1_706_718_600_000), "2024-02-01 00:30");
        assert_eq!(shanghai_time(0), "1970-01-01 08:00");
        assert_eq!(shanghai_date(951_782_400_000), "2000-02-29");
    }

    #[test]
    fn formula_like_text_is_quoted() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("对虾养殖病害检测认证"), "对虾养殖病害检测认证");
    }

    #[test]
    fn categories_show_their_chinese_name() {
        assert_eq!(category_label(ServiceCategory::TestingInspection), "检验检测 testing_inspection");
    }
}
