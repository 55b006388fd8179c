//! Catalog and admin commands: `innomatch admin …` (organizations and API
//! tokens), `innomatch need …`, `innomatch whoami` and `innomatch watch`
//! (the change feed).

use anyhow::{Context, bail};
use clap::Subcommand;
use futures::StreamExt;
use innomatch_core::{
    convert::timestamp,
    model::{
        ChangeOperation, CooperationMode, NeedStatus, OrganizationKind, Qualification, RecordKind, Role, Visibility,
    },
};
use innomatch_proto::v1::{
    self as pb, admin_service_client::AdminServiceClient, catalog_service_client::CatalogServiceClient,
};
use serde_json::json;

use super::client::{Authed, Calls, ClientArgs, outln, parse_code, print_json, status_error, table};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Register an organization.
    CreateOrg {
        #[arg(long)]
        name: String,
        /// enterprise, university, laboratory, research_institute, intermediary_agency, incubator, financial_institution
        #[arg(long)]
        kind: String,
        /// Region code, e.g. 440802 (赤坎区).
        #[arg(long)]
        region: String,
        #[arg(long = "industry")]
        industries: Vec<String>,
        #[arg(long = "field")]
        high_tech_fields: Vec<String>,
        #[arg(long, default_value = "")]
        description: String,
        /// Unified social credit code (统一社会信用代码), 18 characters.
        #[arg(long, default_value = "")]
        credit_code: String,
        /// Contact person (联系人); contacts are shown only to the
        /// organization itself, admins and approved interests.
        #[arg(long, default_value = "")]
        contact_person: String,
        #[arg(long, default_value = "")]
        phone: String,
        #[arg(long, default_value = "")]
        email: String,
        #[arg(long, default_value = "")]
        website: String,
        /// A verified qualification as QUALIFICATION:CERTIFICATE:FROM:UNTIL,
        /// dates as YYYY-MM-DD (China time), e.g.
        /// high_tech_enterprise:GR202544001234:2025-12-01:2028-11-30.
        #[arg(long = "qualification")]
        qualifications: Vec<String>,
        /// Register even when an organization of the same name exists.
        #[arg(long)]
        allow_duplicate_name: bool,
    },
    /// Record a verified qualification (高新技术企业, 科技型中小企业, …) of an
    /// organization with its certificate, replacing an earlier certificate of
    /// the same qualification (for innovation teams, high-level talents and
    /// invention patents: of the same certificate number, one per team,
    /// person or patent).
    Qualify {
        #[arg(long)]
        org: String,
        /// high_tech_enterprise, tech_sme, specialized_sme, national_incubator,
        /// maker_space, key_laboratory, engineering_center, incubator,
        /// incubatee, innovation_team, high_level_talent, invention_patent,
        /// university_science_park, accelerator
        #[arg(long)]
        qualification: String,
        #[arg(long)]
        certificate: String,
        /// First day of validity, YYYY-MM-DD (China time).
        #[arg(long)]
        valid_from: String,
        /// Last day of validity, YYYY-MM-DD (China time).
        #[arg(long)]
        valid_until: String,
        /// Granted after the bureau recommended the organization (推荐认定).
        #[arg(long)]
        recommended: bool,
    },
    /// Record the day an organization moved its registration into the city
    /// (整体迁入), as verified by the bureau; policies for relocated
    /// high-tech enterprises check it.
    Relocate {
        #[arg(long)]
        org: String,
        /// The day it moved, YYYY-MM-DD (China time).
        #[arg(long, conflicts_with = "clear", required_unless_present = "clear")]
        date: Option<String>,
        /// Forget a recorded move.
        #[arg(long)]
        clear: bool,
    },
    /// Issue a token for an organization (shown once).
    IssueToken {
        #[arg(long)]
        org: Option<String>,
        /// member, agency or admin
        #[arg(long, default_value = "member")]
        role: String,
        #[arg(long, default_value = "")]
        label: String,
    },
    RevokeToken {
        token_id: String,
    },
    ListTokens {
        #[arg(long)]
        org: Option<String>,
    },
    /// Copy the stores of a data directory into a new directory, consistently,
    /// while the server keeps running (SQLite's online backup).
    Backup {
        #[arg(long, env = "INNOMATCH_DATA_DIR", default_value = "data")]
        data_dir: std::path::PathBuf,
        /// The directory to write (must not hold a backup already).
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Bring a backup back into an empty data directory; the server rebuilds
    /// the search index from it at its next start.
    Restore {
        /// The directory `admin backup` wrote.
        #[arg(long)]
        from: std::path::PathBuf,
        #[arg(long, env = "INNOMATCH_DATA_DIR", default_value = "data")]
        data_dir: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum NeedCommand {
    /// Post a technology need for the token's organization (an admin names --org).
    Post {
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        fields: NeedFields,
    },
    Get {
        id: String,
    },
    List {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        industry: Option<String>,
        #[arg(long)]
        field: Option<String>,
        /// Region code or name.
        #[arg(long)]
        region: Option<String>,
        /// open, in_talks, fulfilled, withdrawn or expired
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        paging: super::records::Paging,
    },
    /// Change the given fields of a need; the rest stay as they are.
    Update {
        id: String,
        #[command(flatten)]
        fields: NeedFields,
    },
    Archive {
        id: String,
    },
    /// Move a need along its lifecycle: open, in_talks, fulfilled or withdrawn.
    Status {
        id: String,
        status: String,
    },
}

/// A need's fields; a repeated flag replaces the list.
#[derive(Debug, clap::Args)]
pub struct NeedFields {
    #[arg(long)]
    title: Option<String>,
    #[arg(long)]
    description: Option<String>,
    #[arg(long = "keyword")]
    keywords: Vec<String>,
    #[arg(long = "industry")]
    industries: Vec<String>,
    #[arg(long = "field")]
    high_tech_fields: Vec<String>,
    /// Required competency as NAME or NAME:WEIGHT (weight 1..=10).
    #[arg(long = "competency")]
    competencies: Vec<String>,
    /// tech_transfer, tech_licensing, joint_development, commissioned_development,
    /// tech_consulting, tech_service, joint_platform, equipment_sharing (repeatable)
    #[arg(long = "mode")]
    cooperation_modes: Vec<String>,
    /// Technology readiness level to reach, 1..=9 (0: unspecified).
    #[arg(long)]
    trl: Option<u32>,
    /// Budget in yuan as MIN-MAX, e.g. 500000-2000000.
    #[arg(long)]
    budget: Option<String>,
    /// Last day, YYYY-MM-DD (China time).
    #[arg(long)]
    deadline: Option<String>,
    /// public, anonymous or private (a new need is public unless told)
    #[arg(long)]
    visibility: Option<String>,
    /// Region code or name; a new need takes its organization's without it.
    #[arg(long)]
    region: Option<String>,
}

impl NeedFields {
    fn apply(self, need: &mut pb::TechNeed) -> anyhow::Result<()> {
        if let Some(title) = self.title {
            need.title = title;
        }
        if let Some(description) = self.description {
            need.description = description;
        }
        if !self.keywords.is_empty() {
            need.keywords = self.keywords;
        }
        if !self.industries.is_empty() {
            need.industries = self.industries;
        }
        if !self.high_tech_fields.is_empty() {
            need.high_tech_fields = self.high_tech_fields;
        }
        if !self.competencies.is_empty() {
            need.competencies = self.competencies.iter().map(|c| parse_competency(c)).collect::<anyhow::Result<_>>()?;
        }
        if !self.cooperation_modes.is_empty() {
            need.cooperation_modes = super::client::parse_codes(
                "cooperation mode",
                &self.cooperation_modes,
                CooperationMode::from_code,
                CooperationMode::to_proto,
            )?;
        }
        if let Some(trl) = self.trl {
            need.target_trl = trl;
        }
        if let Some(budget) = self.budget {
            let (min, max) = budget.split_once('-').with_context(|| format!("a budget is MIN-MAX, not {budget:?}"))?;
            let yuan = |v: &str| v.trim().parse::<i64>().with_context(|| format!("{v:?} is not a number of yuan"));
            need.budget = Some(pb::MoneyRange { min_yuan: yuan(min)?, max_yuan: yuan(max)? });
        }
        if let Some(deadline) = self.deadline {
            need.deadline = Some(timestamp(china_day(&deadline)?.1));
        }
        if let Some(visibility) = self.visibility {
            need.visibility = parse_code("visibility", &visibility, Visibility::from_code)?.to_proto();
        }
        if let Some(region) = self.region {
            need.region_code = super::labels::region_code(&region);
        }
        Ok(())
    }
}

/// A competency written NAME or NAME:WEIGHT.
fn parse_competency(text: &str) -> anyhow::Result<pb::RequiredCompetency> {
    match text.rsplit_once(':') {
        Some((name, weight)) => {
            let weight = weight.parse().with_context(|| format!("bad weight in {text:?}"))?;
            Ok(pb::RequiredCompetency { name: name.to_owned(), weight })
        }
        None => Ok(pb::RequiredCompetency { name: text.to_owned(), weight: 1 }),
    }
}

/// A certificate written QUALIFICATION:CERTIFICATE:FROM:UNTIL (dates YYYY-MM-DD, China time).
fn parse_certificate(text: &str) -> anyhow::Result<pb::QualificationCertificate> {
    let parts: Vec<&str> = text.split(':').collect();
    let [qualification, number, from, until] = parts[..] else {
        bail!("a qualification is QUALIFICATION:CERTIFICATE:FROM:UNTIL, not {text:?}");
    };
    let qualification = parse_code("qualification", qualification, Qualification::from_code)?;
    let from = china_day(from)?;
    let until = china_day(until)?;
    Ok(pb::QualificationCertificate {
        qualification: qualification.to_proto(),
        certificate_number: number.to_owned(),
        valid_from: Some(timestamp(from.0)),
        valid_until: Some(timestamp(until.1)),
        recommended_by_bureau: false,
    })
}

/// The first and last millisecond of a day (YYYY-MM-DD) in China time.
pub fn china_day(day: &str) -> anyhow::Result<(i64, i64)> {
    let date: jiff::civil::Date = day.parse().with_context(|| format!("{day:?} is not a date (YYYY-MM-DD)"))?;
    let zone = jiff::tz::TimeZone::get("Asia/Shanghai").context("the China time zone")?;
    let start = date.to_zoned(zone.clone()).context("start of the day")?.timestamp().as_millisecond();
    let next = date.tomorrow().context("the day after")?.to_zoned(zone).context("end of the day")?;
    Ok((start, next.timestamp().as_millisecond() - 1))
}

/// The Chinese name of a qualification.
pub fn qualification_label(qualification: Qualification) -> &'static str {
    qualification.label_zh()
}

pub(crate) fn need_json(n: &pb::TechNeed) -> serde_json::Value {
    let meta = n.meta.clone().unwrap_or_default();
    let budget = n.budget.map(|b| json!({ "min_yuan": b.min_yuan, "max_yuan": b.max_yuan }));
    let modes: Vec<&str> = n
        .cooperation_modes
        .iter()
        .filter_map(|m| CooperationMode::from_proto(*m).ok().flatten())
        .map(CooperationMode::code)
        .collect();
    json!({
        "id": meta.id,
        "organization_id": meta.organization_id,
        "version": meta.version,
        "title": n.title,
        "description": n.description,
        "keywords": n.keywords,
        "competencies": n.competencies.iter().map(|c| json!({ "name": c.name, "weight": c.weight })).collect::<Vec<_>>(),
        "industries": n.industries,
        "high_tech_fields": n.high_tech_fields,
        "cooperation_modes": modes,
        "target_trl": n.target_trl,
        "budget": budget,
        "deadline_ms": n.deadline.as_ref().map(|t| t.seconds * 1000 + i64::from(t.nanos) / 1_000_000),
        "region_code": n.region_code,
        "visibility": Visibility::from_proto(n.visibility).ok().flatten().map(Visibility::code),
        "need_status": NeedStatus::from_proto(n.need_status).ok().flatten().map(NeedStatus::code),
    })
}

fn print_need(n: &pb::TechNeed) {
    use super::labels;
    let meta = n.meta.clone().unwrap_or_default();
    outln!("{}  v{}  [{}]  {}", meta.id, meta.version, labels::need_status(n.need_status), n.title);
    if !n.description.is_empty() {
        outln!("    {}", n.description);
    }
    outln!("    可见性: {}   区域: {}", labels::visibility(n.visibility), labels::region(&n.region_code));
    if !n.keywords.is_empty() {
        outln!("    关键词: {}", n.keywords.join("、"));
    }
    if !n.industries.is_empty() {
        outln!("    产业链: {}", labels::industries(&n.industries));
    }
    if !n.high_tech_fields.is_empty() {
        outln!("    技术领域: {}", labels::fields(&n.high_tech_fields));
    }
    if !n.competencies.is_empty() {
        let wanted: Vec<String> = n.competencies.iter().map(|c| format!("{}({})", c.name, c.weight)).collect();
        outln!("    所需能力: {}", wanted.join("、"));
    }
    if !n.cooperation_modes.is_empty() {
        outln!("    合作方式: {}", labels::cooperation_modes(&n.cooperation_modes));
    }
    if n.target_trl > 0 {
        outln!("    目标技术成熟度: {}", n.target_trl);
    }
    if let Some(b) = n.budget.filter(|b| b.max_yuan > 0 || b.min_yuan > 0) {
        outln!("    预算: {}–{} 元", b.min_yuan, b.max_yuan);
    }
    if let Some(deadline) = &n.deadline {
        let day = jiff::Timestamp::from_second(deadline.seconds)
            .map(|t| {
                t.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC))
                    .date()
                    .to_string()
            })
            .unwrap_or_default();
        outln!("    截止日期: {day}");
    }
}

/// The catalog and admin clients of one connection, and the output format.
struct CatalogCli {
    catalog: CatalogServiceClient<Authed>,
    admin: AdminServiceClient<Authed>,
    json: bool,
}

impl CatalogCli {
    async fn connect(args: &ClientArgs, calls: Calls) -> anyhow::Result<Self> {
        let connection = args.connect(calls).await?;
        Ok(Self { catalog: connection.catalog(), admin: connection.admin(), json: args.json })
    }
}

/// Runs one `innomatch admin` command.
pub async fn admin(args: &ClientArgs, command: AdminCommand) -> anyhow::Result<()> {
    // Backups work on the data directory, not through the server.
    match command {
        AdminCommand::Backup { data_dir, out } => {
            for file in super::backup::backup(&data_dir, &out)? {
                outln!("backed up {}", file.display());
            }
            Ok(())
        }
        AdminCommand::Restore { from, data_dir } => {
            for file in super::backup::restore(&from, &data_dir)? {
                outln!("restored {}", file.display());
            }
            outln!("start the server on {}: it rebuilds the search index", data_dir.display());
            Ok(())
        }
        command => CatalogCli::connect(args, Calls::Unary).await?.admin(command).await,
    }
}

/// Runs one `innomatch need` command.
pub async fn need(args: &ClientArgs, command: NeedCommand) -> anyhow::Result<()> {
    CatalogCli::connect(args, Calls::Unary).await?.need(command).await
}

/// `innomatch whoami`.
pub async fn whoami(args: &ClientArgs) -> anyhow::Result<()> {
    CatalogCli::connect(args, Calls::Unary).await?.whoami().await
}

/// `innomatch watch`: the change feed, until interrupted.
/// `--jsonl` (or `--json`) prints one JSON object a line.
pub async fn watch(args: &ClientArgs, after: i64, jsonl: bool) -> anyhow::Result<()> {
    let mut cli = CatalogCli::connect(args, Calls::Streaming).await?;
    cli.json |= jsonl;
    cli.watch(after).await
}

impl CatalogCli {
    async fn admin(&mut self, command: AdminCommand) -> anyhow::Result<()> {
        match command {
            AdminCommand::CreateOrg {
                name,
                kind,
                region,
                industries,
                high_tech_fields,
                description,
                credit_code,
                contact_person,
                phone,
                email,
                website,
                qualifications,
                allow_duplicate_name,
            } => {
                let kind = parse_code("organization kind", &kind, OrganizationKind::from_code)?;
                let qualification_certificates =
                    qualifications.iter().map(|q| parse_certificate(q)).collect::<anyhow::Result<Vec<_>>>()?;
                let org = self
                    .catalog
                    .create_organization(pb::CreateOrganizationRequest {
                        organization: Some(pb::Organization {
                            name,
                            kind: kind.to_proto(),
                            region_code: region,
                            industries,
                            high_tech_fields,
                            description,
                            credit_code,
                            contact_person,
                            phone,
                            email,
                            website,
                            qualification_certificates,
                            ..Default::default()
                        }),
                        allow_duplicate_name,
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                let id = org.meta.map(|m| m.id).unwrap_or_default();
                if self.json {
                    print_json(&json!({ "id": id, "name": org.name }));
                } else {
                    outln!("organization {id} created: {}", org.name);
                }
            }
            AdminCommand::Qualify { org, qualification, certificate, valid_from, valid_until, recommended } => {
                let mut certificate =
                    parse_certificate(&format!("{qualification}:{certificate}:{valid_from}:{valid_until}"))?;
                certificate.recommended_by_bureau = recommended;
                let mut current = self
                    .catalog
                    .get_organization(pb::GetOrganizationRequest { id: org.clone() })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                let version = current.meta.as_ref().map(|m| m.version).unwrap_or_default();
                let per_certificate = Qualification::from_proto(certificate.qualification)
                    .ok()
                    .flatten()
                    .is_some_and(Qualification::counts_per_certificate);
                current.qualification_certificates.retain(|c| {
                    c.qualification != certificate.qualification
                        || (per_certificate && c.certificate_number != certificate.certificate_number)
                });
                current.qualification_certificates.push(certificate);
                let updated = self
                    .catalog
                    .update_organization(pb::UpdateOrganizationRequest {
                        organization: Some(current),
                        expected_version: version,
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                let valid: Vec<&str> = updated
                    .qualifications
                    .iter()
                    .filter_map(|q| Qualification::from_proto(*q).ok().flatten())
                    .map(Qualification::label_zh)
                    .collect();
                if self.json {
                    print_json(&json!({ "id": org, "qualifications_valid_now": valid }));
                } else {
                    outln!("organization {org}: qualifications valid now: {}", valid.join("、"));
                }
            }
            // `--clear` is the absence of `--date` (clap requires one of them).
            AdminCommand::Relocate { org, date, clear: _ } => {
                let moved = date.map(|day| china_day(&day).map(|(start, _)| start)).transpose()?;
                let mut current = self
                    .catalog
                    .get_organization(pb::GetOrganizationRequest { id: org.clone() })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                let version = current.meta.as_ref().map(|m| m.version).unwrap_or_default();
                current.relocated_into_city = moved.map(timestamp);
                self.catalog
                    .update_organization(pb::UpdateOrganizationRequest {
                        organization: Some(current),
                        expected_version: version,
                    })
                    .await
                    .map_err(status_error)?;
                let day = moved.map(innomatch_catalog::policy::eligibility::day);
                if self.json {
                    print_json(&json!({ "id": org, "relocated_into_city": day }));
                } else {
                    match day {
                        Some(day) => outln!("organization {org}: 迁入本市 relocated into the city on {day}"),
                        None => outln!("organization {org}: no move into the city recorded"),
                    }
                }
            }
            AdminCommand::IssueToken { org, role, label } => {
                let role = parse_code("role", &role, Role::from_code)?;
                let issued = self
                    .admin
                    .issue_token(pb::IssueTokenRequest {
                        organization_id: org.unwrap_or_default(),
                        role: role.to_proto(),
                        label,
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                if self.json {
                    print_json(&json!({ "token_id": issued.token_id, "token": issued.token }));
                } else {
                    outln!("token {} issued; the secret is shown only now:\n{}", issued.token_id, issued.token);
                }
            }
            AdminCommand::RevokeToken { token_id } => {
                self.admin
                    .revoke_token(pb::RevokeTokenRequest { token_id: token_id.clone() })
                    .await
                    .map_err(status_error)?;
                if self.json {
                    print_json(&json!({ "token_id": token_id, "revoked": true }));
                } else {
                    outln!("token {token_id} revoked");
                }
            }
            AdminCommand::Backup { .. } | AdminCommand::Restore { .. } => {
                anyhow::bail!("backup and restore work on the data directory, not through a server")
            }
            AdminCommand::ListTokens { org } => {
                let tokens = self
                    .admin
                    .list_tokens(pb::ListTokensRequest { organization_id: org.unwrap_or_default() })
                    .await
                    .map_err(status_error)?
                    .into_inner()
                    .tokens;
                let rows: Vec<_> = tokens
                    .iter()
                    .map(|t| {
                        let role = Role::from_proto(t.role).ok().flatten().map(Role::code).unwrap_or("?");
                        json!({ "token_id": t.token_id, "organization_id": t.organization_id, "role": role, "label": t.label, "revoked": t.revoked })
                    })
                    .collect();
                if self.json {
                    print_json(&json!(rows));
                } else {
                    let mut rows = table(&["token", "role", "state", "organization", "label"]);
                    for t in &tokens {
                        let role = Role::from_proto(t.role).ok().flatten().map(Role::code).unwrap_or("?");
                        let state = if t.revoked { "revoked" } else { "active" };
                        rows.add_row(vec![
                            t.token_id.as_str(),
                            role,
                            state,
                            t.organization_id.as_str(),
                            t.label.as_str(),
                        ]);
                    }
                    outln!("{rows}");
                }
            }
        }
        Ok(())
    }

    async fn whoami(&mut self) -> anyhow::Result<()> {
        let me = self.admin.who_am_i(pb::WhoAmIRequest {}).await.map_err(status_error)?.into_inner();
        let role = Role::from_proto(me.role).ok().flatten().map(Role::code).unwrap_or("?");
        if self.json {
            print_json(&json!({ "organization_id": me.organization_id, "role": role, "token_id": me.token_id }));
        } else {
            outln!("token {} acts as {role} for organization {:?}", me.token_id, me.organization_id);
        }
        Ok(())
    }

    async fn need(&mut self, command: NeedCommand) -> anyhow::Result<()> {
        match command {
            NeedCommand::Post { org, fields } => {
                anyhow::ensure!(fields.title.is_some(), "a need needs --title");
                let mut need = pb::TechNeed {
                    meta: org.map(|organization_id| pb::RecordMeta { organization_id, ..Default::default() }),
                    visibility: Visibility::Public.to_proto(),
                    ..Default::default()
                };
                fields.apply(&mut need)?;
                let need =
                    self.catalog.create_need(pb::CreateNeedRequest { need: Some(need) }).await.map_err(status_error)?;
                self.show_need(&need.into_inner());
            }
            NeedCommand::Get { id } => {
                let need = self.catalog.get_need(pb::GetNeedRequest { id }).await.map_err(status_error)?.into_inner();
                self.show_need(&need);
            }
            NeedCommand::List { org, industry, field, region, status, paging } => {
                let need_status = match status {
                    Some(status) => parse_code("need status", &status, NeedStatus::from_code)?.to_proto(),
                    None => 0,
                };
                let page = self
                    .catalog
                    .list_needs(pb::ListNeedsRequest {
                        organization_id: org.unwrap_or_default(),
                        industry: industry.unwrap_or_default(),
                        high_tech_field: field.unwrap_or_default(),
                        region_code: region.map(|r| super::labels::region_code(&r)).unwrap_or_default(),
                        need_status,
                        include_archived: paging.include_archived,
                        page_size: paging.page_size,
                        page_token: paging.page_token,
                        ..Default::default()
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                self.show_needs(&page.needs);
                super::records::more_pages(self.json, &page.next_page_token);
            }
            NeedCommand::Update { id, fields } => {
                let mut need =
                    self.catalog.get_need(pb::GetNeedRequest { id }).await.map_err(status_error)?.into_inner();
                let expected_version = need.meta.as_ref().map(|m| m.version).unwrap_or_default();
                fields.apply(&mut need)?;
                let updated = self
                    .catalog
                    .update_need(pb::UpdateNeedRequest { need: Some(need), expected_version })
                    .await
                    .map_err(status_error)?;
                self.show_need(&updated.into_inner());
            }
            NeedCommand::Status { id, status } => {
                let status = parse_code("need status", &status, NeedStatus::from_code)?;
                let need = self
                    .catalog
                    .set_need_status(pb::SetNeedStatusRequest { id, status: status.to_proto(), expected_version: 0 })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                self.show_need(&need);
            }
            NeedCommand::Archive { id } => {
                let need = self
                    .catalog
                    .archive_need(pb::ArchiveRequest { id, expected_version: 0 })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                self.show_need(&need);
            }
        }
        Ok(())
    }

    fn show_need(&self, need: &pb::TechNeed) {
        if self.json {
            print_json(&need_json(need));
        } else {
            print_need(need);
        }
    }

    fn show_needs(&self, needs: &[pb::TechNeed]) {
        if self.json {
            print_json(&serde_json::Value::Array(needs.iter().map(need_json).collect()));
        } else {
            needs.iter().for_each(print_need);
        }
    }

    /// Prints changes after `after` as they commit, one line each, until interrupted.
    async fn watch(&mut self, after: i64) -> anyhow::Result<()> {
        let mut stream = self
            .catalog
            .watch_changes(pb::WatchChangesRequest { after_sequence: after, kinds: vec![] })
            .await
            .map_err(status_error)?
            .into_inner();
        while let Some(event) = stream.next().await {
            let event = event.map_err(status_error)?;
            let kind = RecordKind::from_proto(event.kind).ok().flatten().map(RecordKind::code).unwrap_or("?");
            let operation =
                ChangeOperation::from_proto(event.operation).ok().flatten().map(|o| o.code()).unwrap_or("?");
            let title = match &event.record {
                Some(pb::change_event::Record::Organization(o)) => o.name.clone(),
                Some(pb::change_event::Record::Need(n)) => n.title.clone(),
                Some(pb::change_event::Record::Capability(c)) => c.title.clone(),
                Some(pb::change_event::Record::Offer(o)) => o.title.clone(),
                Some(pb::change_event::Record::Policy(p)) => p.title.clone(),
                None => "(withheld)".to_owned(),
            };
            if self.json {
                outln!(
                    "{}",
                    json!({ "sequence": event.sequence, "kind": kind, "operation": operation, "id": event.record_id, "title": title })
                );
            } else {
                let (operation, kind) =
                    (super::labels::change_operation(event.operation), super::labels::record_kind(event.kind));
                outln!("#{:<6} {operation}  {kind}  {}  {title}", event.sequence, event.record_id);
            }
        }
        bail!("the server closed the change feed")
    }
}
