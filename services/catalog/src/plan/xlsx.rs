//! The plan board as an XLSX workbook for the bureau: the city's figures,
//! the districts and counties, and the kept snapshots over time, with
//! Chinese + English headers and counts as numbers.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{PlanBoard, PlanProgress};

/// The sheets' names, in order.
pub const SHEETS: [&str; 3] = ["全市 City", "区县 Districts", "历史 History"];

fn share(figure: &PlanProgress) -> Option<f64> {
    match (figure.rate, figure.rate_target) {
        (Some(rate), Some(target)) if target > 0.0 => Some(rate / target),
        _ if figure.target > 0 => Some(figure.count as f64 / figure.target as f64),
        _ => None,
    }
}

fn row(n: usize) -> Result<u32, XlsxError> {
    u32::try_from(n).map_err(|_| XlsxError::RowColumnLimitError)
}

fn column(n: usize) -> Result<u16, XlsxError> {
    u16::try_from(n).map_err(|_| XlsxError::RowColumnLimitError)
}

fn headers(sheet: &mut Worksheet, titles: &[String], bold: &Format) -> Result<(), XlsxError> {
    for (col, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(0, column(col)?, title, bold)?;
        sheet.set_column_width(column(col)?, if col == 0 { 28 } else { 14 })?;
    }
    sheet.set_freeze_panes(1, 1)?;
    Ok(())
}

fn write(board: &PlanBoard, history: &[PlanBoard]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let decimal = Format::new().set_num_format("0.00");

    let city = workbook.add_worksheet();
    city.set_name(SHEETS[0])?;
    let titles = [
        "指标 Target",
        "当前 Count",
        "目标 Target",
        "完成率 Reached",
        "每万人 Per 10,000",
        "目标每万人 Rate target",
        "编码 Key",
    ];
    headers(city, &titles.map(String::from), &bold)?;
    for (n, figure) in board.city.iter().enumerate() {
        let r = row(n + 1)?;
        city.write_string(r, 0, &figure.label)?;
        city.write_number(r, 1, figure.count as f64)?;
        if figure.target > 0 {
            city.write_number(r, 2, figure.target as f64)?;
        }
        if let Some(share) = share(figure) {
            city.write_number_with_format(r, 3, share, &percent)?;
        }
        if let Some(rate) = figure.rate {
            city.write_number_with_format(r, 4, rate, &decimal)?;
        }
        if let Some(rate) = figure.rate_target {
            city.write_number_with_format(r, 5, rate, &decimal)?;
        }
        city.write_string(r, 6, &figure.key)?;
    }
    city.write_string(row(board.city.len() + 2)?, 0, format!("统计日期 Day: {}", board.day))?;

    let labels: Vec<String> = board.city.iter().map(|f| format!("{} {}", f.label, f.key)).collect();
    let districts = workbook.add_worksheet();
    districts.set_name(SHEETS[1])?;
    let mut titles = vec!["区县 District".to_owned(), "人口 Population".to_owned()];
    titles.extend(labels.iter().cloned());
    headers(districts, &titles, &bold)?;
    for (n, district) in board.districts.iter().enumerate() {
        let r = row(n + 1)?;
        districts.write_string(r, 0, format!("{} {}", district.name, district.region_code))?;
        if let Some(population) = district.population {
            districts.write_number(r, 1, population as f64)?;
        }
        for (col, figure) in district.figures.iter().enumerate() {
            districts.write_number(r, column(col + 2)?, figure.count as f64)?;
        }
    }

    let over_time = workbook.add_worksheet();
    over_time.set_name(SHEETS[2])?;
    let mut titles = vec!["日期 Day".to_owned()];
    titles.extend(labels.iter().cloned());
    headers(over_time, &titles, &bold)?;
    for (n, snapshot) in history.iter().enumerate() {
        let r = row(n + 1)?;
        over_time.write_string(r, 0, &snapshot.day)?;
        for (col, figure) in board.city.iter().enumerate() {
            if let Some(kept) = snapshot.city_figure(&figure.key) {
                over_time.write_number(r, column(col + 1)?, kept.count as f64)?;
            }
        }
    }
    workbook.save_to_buffer()
}

/// The workbook of `board` (the city and its districts) and `history` (one
/// row per kept snapshot, oldest first).
pub fn board_workbook(board: &PlanBoard, history: &[PlanBoard]) -> Result<Vec<u8>, String> {
    write(board, history).map_err(|e| format!("writing the plan board workbook: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workbook_is_a_zip_with_three_sheets() {
        let board = super::super::board_of(&[], innomatch_core::model::now_ms());
        let bytes = board_workbook(&board, std::slice::from_ref(&board)).expect("workbook");
        assert!(bytes.starts_with(b"PK"), "an XLSX file is a zip archive");
        assert!(bytes.len() > 2_000);
    }
}
