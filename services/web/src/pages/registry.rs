//! The bureau's registry pages: organizations (by kind), import of a
//! CSV/XLSX/JSONL upload with the same row-by-row report as `innomatch
//! import` (the same reader, `innomatch_search::table`, and the same
//! importer the Import RPC uses), and export of any record kind as CSV or
//! XLSX (the same columns, so an export imports again). The catalog decides
//! who may write what: only an admin registers organizations.

use axum::{
    extract::{Multipart, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use innomatch_catalog::service::ListFilter;
use innomatch_core::model::{OrganizationKind, Record, RecordKind};
use innomatch_search::{
    import::{ImportRow, Importer},
    table,
};
use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    WebConsole,
    i18n::Lang,
    layout::{PageError, csrf_field, page},
    pages::{leads::download, records::region_name},
    session::{CSRF_FIELD, SignedIn, same_token},
};

/// Largest upload the import form takes (a few thousand rows of a bureau's spreadsheet).
pub const IMPORT_MAX_BYTES: usize = 8 * 1024 * 1024;
/// Rows an import writes per store transaction (as the Import RPC batches them).
const IMPORT_BATCH: usize = 512;
/// Records read per page while exporting or listing.
const PAGE: u32 = 500;

#[derive(Debug, Default, Deserialize)]
pub struct OrganizationParams {
    #[serde(default)]
    kind: String,
}

fn admin_only(signed_in: &SignedIn) -> Result<(), PageError> {
    if signed_in.principal().is_admin() {
        Ok(())
    } else {
        Err(PageError::Domain(tonic::Status::permission_denied("the registry pages are for the bureau's admins")))
    }
}

/// Every record of `kind` the principal may see, page by page.
async fn every_record(console: &WebConsole, signed_in: &SignedIn, kind: RecordKind) -> Result<Vec<Record>, PageError> {
    let principal = signed_in.principal();
    let mut records = Vec::new();
    let mut page_token = String::new();
    loop {
        let filter = ListFilter { page_size: PAGE, page_token, ..ListFilter::default() };
        let page = console.catalog.list(&principal, kind, filter).await?;
        records.extend(page.records);
        if page.next_page_token.is_empty() {
            return Ok(records);
        }
        page_token = page.next_page_token;
    }
}

/// `/admin/organizations?kind=…`: the registry's organizations, with export and import.
pub async fn organizations_page(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    Query(params): Query<OrganizationParams>,
) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    if let Err(error) = admin_only(&signed_in) {
        return error.render(&viewer);
    }
    let kind = OrganizationKind::from_code(&params.kind);
    let organizations = match every_record(&console, &signed_in, RecordKind::Organization).await {
        Ok(records) => records,
        Err(error) => return error.render(&viewer),
    };
    let shown: Vec<_> = organizations
        .iter()
        .filter_map(|r| match r {
            Record::Organization(org) if kind.is_none_or(|k| org.kind() == k) => Some(org),
            _ => None,
        })
        .collect();
    let body = html! {
        nav.filters {
            a.current[kind.is_none()] href="/admin/organizations" { (lang.t("全部", "All")) }
            @for k in OrganizationKind::ALL {
                a.current[kind == Some(*k)] href={ "/admin/organizations?kind=" (k.code()) } { (lang.organization_kind(*k)) }
            }
        }
        (transfer_forms(lang, signed_in.csrf()))
        p.total id="organization-total" { (lang.t("共 ", "")) (shown.len()) (lang.t(" 家机构", " organizations")) }
        table.records id="organizations" {
            thead { tr { th { (lang.t("名称", "Name")) } th { (lang.t("类型", "Kind")) } th { (lang.t("地区", "Region")) } th { (lang.t("编号", "Id")) } } }
            tbody {
                @for org in &shown {
                    tr {
                        td { a href={ "/organizations/" (org.meta.id) } { (org.name) } }
                        td { (lang.organization_kind(org.kind())) }
                        td { (region_name(&org.region_code)) }
                        td { code { (org.meta.id) } }
                    }
                }
            }
        }
    };
    page(&viewer, lang.t("机构名录", "Organizations"), body).into_response()
}

fn transfer_forms(lang: Lang, csrf: &str) -> Markup {
    html! {
        div.transfer {
            form.card method="post" action="/admin/import" enctype="multipart/form-data" id="import-form" {
                (csrf_field(csrf))
                label { (lang.t("导入 CSV / XLSX / JSONL（与命令行 innomatch import 相同的列）", "Import CSV / XLSX / JSONL (the columns of innomatch import)"))
                    input type="file" name="file" id="import-file" accept=".csv,.xlsx,.xls,.ods,.jsonl" required; }
                button type="submit" id="import-submit" { (lang.t("导入", "Import")) }
            }
            form.card method="get" action="/admin/export" id="export-form" {
                label { (lang.t("导出", "Export"))
                    select name="kind" id="export-kind" {
                        @for kind in RecordKind::ALL { option value=(kind.code()) { (lang.record_kind(*kind)) } }
                    }
                }
                select name="format" id="export-format" { option value="xlsx" { "XLSX" } option value="csv" { "CSV" } }
                button type="submit" id="export-submit" { (lang.t("下载", "Download")) }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportParams {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    format: String,
}

/// `/admin/export?kind=…&format=csv|xlsx`: every record of a kind the viewer may see.
pub async fn export(
    State(console): State<WebConsole>,
    signed_in: SignedIn,
    Query(params): Query<ExportParams>,
) -> Response {
    let viewer = signed_in.viewer();
    let Some(kind) = RecordKind::from_code(&params.kind) else {
        return PageError::BadRequest("kind must be organization, need, capability or offer".into()).render(&viewer);
    };
    let records = match every_record(&console, &signed_in, kind).await {
        Ok(records) => records,
        Err(error) => return error.render(&viewer),
    };
    let written = match params.format.as_str() {
        "csv" => table::write_csv(kind, &records).map(|bytes| (bytes, "text/csv; charset=utf-8", "csv")),
        "xlsx" => table::write_xlsx(kind, &records)
            .map(|bytes| (bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")),
        _ => return PageError::BadRequest("format must be csv or xlsx".into()).render(&viewer),
    };
    match written {
        Ok((bytes, content_type, extension)) => download(&format!("{}.{extension}", kind.code()), content_type, bytes),
        Err(error) => PageError::BadRequest(format!("{error:#}")).render(&viewer),
    }
}

/// What an import did: counts, and every rejected row with where it is, the field and why.
struct ImportReport {
    file_name: String,
    imported: u64,
    updated: u64,
    unchanged: u64,
    rejected_rows: u64,
    rejections: Vec<(usize, String, String, String)>,
}

fn report(lang: Lang, report: &ImportReport) -> Markup {
    html! {
        section id="import-report" {
            h2 { (lang.t("导入结果：", "Import of ")) (report.file_name) }
            p id="import-summary" data-imported=(report.imported) data-rejected=(report.rejected_rows) {
                (lang.t("导入 ", "imported ")) (report.imported) (lang.t(" 条记录（其中更新 ", " records (")) (report.updated)
                (lang.t(" 条）；未变 ", " of them updated); ")) (report.unchanged) (lang.t(" 条；拒收 ", " unchanged; ")) (report.rejected_rows)
                (lang.t(" 行", " rows rejected"))
            }
            @if !report.rejections.is_empty() {
                table.records id="import-rejections" {
                    thead { tr { th { (lang.t("位置", "Where")) } th { (lang.t("字段", "Field")) } th { (lang.t("原因", "Reason")) } } }
                    tbody {
                        @for (_, at, field, reason) in &report.rejections {
                            tr { td { (at) } td { code { (field) } } td { (reason) } }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /admin/import` (multipart): reads the upload as the CLI reads a
/// file and writes its rows through the importer; rejected rows write nothing.
pub async fn import(State(console): State<WebConsole>, signed_in: SignedIn, mut multipart: Multipart) -> Response {
    let viewer = signed_in.viewer();
    let lang = viewer.lang;
    let (mut csrf, mut upload) = (String::new(), None);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().unwrap_or_default().to_owned();
                match field.bytes().await {
                    Ok(bytes) if name == CSRF_FIELD => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                    Ok(bytes) if name == "file" => upload = Some((file_name, bytes)),
                    Ok(_) => {}
                    Err(error) => {
                        return PageError::BadRequest(format!("the upload could not be read: {error}")).render(&viewer);
                    }
                }
            }
            Ok(None) => break,
            Err(error) => {
                return PageError::BadRequest(format!("the upload could not be read: {error}")).render(&viewer);
            }
        }
    }
    if !same_token(&csrf, signed_in.csrf()) {
        return PageError::Csrf.render(&viewer);
    }
    let Some((file_name, bytes)) = upload.filter(|(name, _)| !name.is_empty()) else {
        return PageError::BadRequest(lang.t("请选择要导入的文件。", "Choose a file to import.").into())
            .render(&viewer);
    };
    let rows = match table::read_bytes(&file_name, &bytes) {
        Ok(rows) => rows,
        Err(error) => return PageError::BadRequest(format!("{error:#}")).render(&viewer),
    };
    let mut rejections = Vec::new();
    let mut unreadable = 0u64;
    let mut sent: Vec<(usize, String)> = Vec::new();
    let mut importer = Importer::new(console.catalog.clone(), signed_in.principal());
    for (ordinal, row) in rows.into_iter().enumerate() {
        match row.parsed {
            Ok(message) => {
                sent.push((ordinal, row.location));
                importer.add(ImportRow::from(message));
                if sent.len().is_multiple_of(IMPORT_BATCH) {
                    importer.flush().await;
                }
            }
            Err(error) => {
                unreadable += 1;
                rejections.push((ordinal, row.location, error.field, error.reason));
            }
        }
    }
    let summary = importer.finish().await;
    for rejected in summary.rejected {
        let (ordinal, location) = sent.get(rejected.row.saturating_sub(1) as usize).cloned().unwrap_or_default();
        rejections.push((ordinal, location, rejected.field, rejected.reason));
    }
    rejections.sort_by_key(|r| r.0);
    let result = ImportReport {
        file_name,
        imported: summary.imported,
        updated: summary.updated,
        unchanged: summary.unchanged,
        rejected_rows: summary.rejected_rows + unreadable,
        rejections,
    };
    let status = if result.rejected_rows > 0 { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let body = html! {
        (report(lang, &result))
        p { a href="/admin/organizations" { (lang.t("返回机构名录", "Back to the organizations")) } }
    };
    (status, page(&viewer, lang.t("导入", "Import"), body)).into_response()
}
