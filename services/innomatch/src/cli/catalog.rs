//! Catalog and admin commands: `innomatch admin …` (organizations and API
//! tokens), `innomatch need …`, `innomatch whoami` and `innomatch watch`
//! (the change feed).

use anyhow::{Context, bail};
use clap::Subcommand;
use futures::StreamExt;
use innomatch_core::{
    convert::timestamp,
    model::{ChangeOperation, NeedStatus, OrganizationKind, Qualification, RecordKind, Role, Visibility},
};
use innomatch_proto::v1::{
    self as pb, admin_service_client::AdminServiceClient, catalog_service_client::CatalogServiceClient,
};
use serde_json::json;

use super::client::{Authed, Calls, ClientArgs, parse_code, print_json, status_error, table};

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
    /// the same qualification.
    Qualify {
        #[arg(long)]
        org: String,
        /// high_tech_enterprise, tech_sme, specialized_sme, national_incubator,
        /// maker_space, key_laboratory, engineering_center
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
    /// Post a technology need for the token's organization.
    Post {
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long = "keyword")]
        keywords: Vec<String>,
        #[arg(long = "industry")]
        industries: Vec<String>,
        #[arg(long = "field")]
        high_tech_fields: Vec<String>,
        /// Required competency as NAME or NAME:WEIGHT (weight 1..=10).
        #[arg(long = "competency")]
        competencies: Vec<String>,
        /// public, anonymous or private
        #[arg(long, default_value = "public")]
        visibility: String,
    },
    Get {
        id: String,
    },
    List {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        industry: Option<String>,
        #[arg(long, default_value_t = 50)]
        page_size: u32,
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
    })
}

/// The first and last millisecond of a day (YYYY-MM-DD) in China time.
fn china_day(day: &str) -> anyhow::Result<(i64, i64)> {
    let date: jiff::civil::Date = day.parse().with_context(|| format!("{day:?} is not a date (YYYY-MM-DD)"))?;
    let zone = jiff::tz::TimeZone::get("Asia/Shanghai").context("the China time zone")?;
    let start = date.to_zoned(zone.clone()).context("start of the day")?.timestamp().as_millisecond();
    let next = date.tomorrow().context("the day after")?.to_zoned(zone).context("end of the day")?;
    Ok((start, next.timestamp().as_millisecond() - 1))
}

/// The Chinese name of a qualification.
pub fn qualification_label(qualification: Qualification) -> &'static str {
    match qualification {
        Qualification::HighTechEnterprise => "高新技术企业",
        Qualification::TechSme => "科技型中小企业",
        Qualification::SpecializedSme => "专精特新中小企业",
        Qualification::NationalIncubator => "国家级科技企业孵化器",
        Qualification::MakerSpace => "众创空间",
        Qualification::KeyLaboratory => "重点实验室",
        Qualification::EngineeringCenter => "工程技术研究中心",
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
                println!("backed up {}", file.display());
            }
            Ok(())
        }
        AdminCommand::Restore { from, data_dir } => {
            for file in super::backup::restore(&from, &data_dir)? {
                println!("restored {}", file.display());
            }
            println!("start the server on {}: it rebuilds the search index", data_dir.display());
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
pub async fn watch(args: &ClientArgs, after: i64) -> anyhow::Result<()> {
    CatalogCli::connect(args, Calls::Streaming).await?.watch(after).await
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
                    println!("organization {id} created: {}", org.name);
                }
            }
            AdminCommand::Qualify { org, qualification, certificate, valid_from, valid_until } => {
                let certificate =
                    parse_certificate(&format!("{qualification}:{certificate}:{valid_from}:{valid_until}"))?;
                let mut current = self
                    .catalog
                    .get_organization(pb::GetOrganizationRequest { id: org.clone() })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                let version = current.meta.as_ref().map(|m| m.version).unwrap_or_default();
                current.qualification_certificates.retain(|c| c.qualification != certificate.qualification);
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
                    .map(qualification_label)
                    .collect();
                if self.json {
                    print_json(&json!({ "id": org, "qualifications_valid_now": valid }));
                } else {
                    println!("organization {org}: qualifications valid now: {}", valid.join("、"));
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
                    println!("token {} issued; the secret is shown only now:\n{}", issued.token_id, issued.token);
                }
            }
            AdminCommand::RevokeToken { token_id } => {
                self.admin
                    .revoke_token(pb::RevokeTokenRequest { token_id: token_id.clone() })
                    .await
                    .map_err(status_error)?;
                println!("token {token_id} revoked");
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
                    println!("{rows}");
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
            println!("token {} acts as {role} for organization {:?}", me.token_id, me.organization_id);
        }
        Ok(())
    }

    async fn need(&mut self, command: NeedCommand) -> anyhow::Result<()> {
        match command {
            NeedCommand::Post {
                title,
                description,
                keywords,
                industries,
                high_tech_fields,
                competencies,
                visibility,
            } => {
                let visibility = parse_code("visibility", &visibility, Visibility::from_code)?;
                let competencies = competencies
                    .iter()
                    .map(|c| match c.rsplit_once(':') {
                        Some((name, weight)) => {
                            let weight = weight.parse().with_context(|| format!("bad weight in {c:?}"))?;
                            Ok(pb::RequiredCompetency { name: name.to_owned(), weight })
                        }
                        None => Ok(pb::RequiredCompetency { name: c.clone(), weight: 1 }),
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let need = self
                    .catalog
                    .create_need(pb::CreateNeedRequest {
                        need: Some(pb::TechNeed {
                            title,
                            description,
                            keywords,
                            competencies,
                            industries,
                            high_tech_fields,
                            visibility: visibility.to_proto(),
                            ..Default::default()
                        }),
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                self.show_needs(&[need]);
            }
            NeedCommand::Get { id } => {
                let need = self.catalog.get_need(pb::GetNeedRequest { id }).await.map_err(status_error)?.into_inner();
                self.show_needs(&[need]);
            }
            NeedCommand::List { org, industry, page_size } => {
                let page = self
                    .catalog
                    .list_needs(pb::ListNeedsRequest {
                        organization_id: org.unwrap_or_default(),
                        industry: industry.unwrap_or_default(),
                        page_size,
                        ..Default::default()
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                self.show_needs(&page.needs);
                if !page.next_page_token.is_empty() && !self.json {
                    println!("(more: next page token {})", page.next_page_token);
                }
            }
            NeedCommand::Status { id, status } => {
                let status = parse_code("need status", &status, NeedStatus::from_code)?;
                let need = self
                    .catalog
                    .set_need_status(pb::SetNeedStatusRequest { id, status: status.to_proto(), expected_version: 0 })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                self.show_needs(&[need]);
            }
            NeedCommand::Archive { id } => {
                let need = self
                    .catalog
                    .archive_need(pb::ArchiveRequest { id, expected_version: 0 })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                self.show_needs(&[need]);
            }
        }
        Ok(())
    }

    fn show_needs(&self, needs: &[pb::TechNeed]) {
        let rows: Vec<serde_json::Value> = needs
            .iter()
            .map(|n| {
                let meta = n.meta.clone().unwrap_or_default();
                json!({
                    "id": meta.id,
                    "organization_id": meta.organization_id,
                    "version": meta.version,
                    "title": n.title,
                    "description": n.description,
                    "keywords": n.keywords,
                    "industries": n.industries,
                    "visibility": Visibility::from_proto(n.visibility).ok().flatten().map(Visibility::code),
                    "need_status": NeedStatus::from_proto(n.need_status).ok().flatten().map(NeedStatus::code),
                })
            })
            .collect();
        if self.json {
            print_json(&json!(rows));
            return;
        }
        for n in needs {
            let meta = n.meta.clone().unwrap_or_default();
            let status = NeedStatus::from_proto(n.need_status).ok().flatten().map(NeedStatus::label_zh).unwrap_or("");
            println!("{}  v{}  [{status}]  {}", meta.id, meta.version, n.title);
            if !n.description.is_empty() {
                println!("    {}", n.description);
            }
            if !n.keywords.is_empty() {
                println!("    keywords: {}", n.keywords.join(", "));
            }
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
                None => "(withheld)".to_owned(),
            };
            if self.json {
                println!(
                    "{}",
                    json!({ "sequence": event.sequence, "kind": kind, "operation": operation, "id": event.record_id, "title": title })
                );
            } else {
                println!("#{:<6} {operation:<8} {kind:<12} {}  {title}", event.sequence, event.record_id);
            }
        }
        bail!("the server closed the change feed")
    }
}
