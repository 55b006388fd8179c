//! `innomatch policy …`: the bureau's support policies (扶持政策) from the
//! command line — publish, change, list, read and archive them (admins),
//! see which policies an organization is eligible for with every
//! requirement checked, which organizations a policy reaches, and what was
//! pushed to an organization.

use anyhow::Context;
use clap::{Args, Subcommand};
use innomatch_catalog::policy::eligibility::{Outcome, Verdict, day};
use innomatch_core::{
    convert::{millis, timestamp},
    model::{BenefitKind, OrganizationKind, PolicyCondition, Qualification},
};
use innomatch_proto::v1 as pb;
use serde_json::json;

use super::{
    catalog::china_day,
    client::{Calls, ClientArgs, outln, parse_code, parse_codes, print_json, status_error, table},
};

/// The fields of a policy given on the command line; on `update` only those
/// given change (a repeated flag replaces the list).
#[derive(Debug, Clone, Args)]
pub struct PolicyFields {
    #[arg(long)]
    title: Option<String>,
    /// The issuing department (发文单位), e.g. 湛江市科学技术局.
    #[arg(long)]
    department: Option<String>,
    /// The document number (文号), e.g. 湛科〔2023〕12号.
    #[arg(long)]
    number: Option<String>,
    /// Published on (YYYY-MM-DD, China time).
    #[arg(long)]
    published: Option<String>,
    /// In force from (YYYY-MM-DD).
    #[arg(long)]
    effective: Option<String>,
    /// Last day in force (YYYY-MM-DD).
    #[arg(long)]
    expires: Option<String>,
    #[arg(long)]
    summary: Option<String>,
    /// The full text (or --text-file).
    #[arg(long, conflicts_with = "text_file")]
    text: Option<String>,
    /// Read the full text from a file.
    #[arg(long)]
    text_file: Option<std::path::PathBuf>,
    #[arg(long = "keyword")]
    keywords: Vec<String>,
    /// Organization kinds it is for (enterprise, university, …), repeatable.
    #[arg(long = "org-kind")]
    organization_kinds: Vec<String>,
    /// Qualifications required valid (high_tech_enterprise, tech_sme, …), repeatable.
    #[arg(long = "qualification")]
    qualifications: Vec<String>,
    /// Regions it is for, as codes or names (湛江), repeatable.
    #[arg(long = "region")]
    regions: Vec<String>,
    #[arg(long = "industry")]
    industries: Vec<String>,
    #[arg(long = "field")]
    high_tech_fields: Vec<String>,
    /// relocated_with_high_tech, recommended_high_tech, newly_recognised_high_tech; repeatable.
    #[arg(long = "condition")]
    conditions: Vec<String>,
    /// subsidy, reward, loan_risk_compensation, platform_designation, talent_programme, tax_incentive
    #[arg(long)]
    benefit: Option<String>,
    /// The amount in yuan (0: no fixed sum).
    #[arg(long)]
    amount: Option<i64>,
    /// What it gives, in the policy's words.
    #[arg(long)]
    benefit_description: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Publish a policy (admins).
    Post {
        #[command(flatten)]
        fields: PolicyFields,
    },
    /// Change a policy (admins): reads it and writes back the flags given.
    Update {
        id: String,
        #[command(flatten)]
        fields: PolicyFields,
    },
    /// One policy.
    Get { id: String },
    /// Policies, oldest first.
    List {
        /// Only those in force today.
        #[arg(long)]
        in_force: bool,
        /// Only those for organizations in this region (code or name).
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        industry: Option<String>,
        #[arg(long)]
        include_archived: bool,
    },
    /// Archive a policy (admins).
    Archive { id: String },
    /// The policies in force an organization is eligible or nearly eligible
    /// for, every requirement checked (your own organization; admins --org).
    Eligible {
        #[arg(long)]
        org: Option<String>,
        /// On this day (YYYY-MM-DD) instead of today.
        #[arg(long)]
        at: Option<String>,
        /// Also the policies it is not eligible for.
        #[arg(long)]
        all: bool,
    },
    /// The organizations eligible for a policy (admins).
    Reach {
        policy: String,
        /// Also those one requirement short.
        #[arg(long)]
        nearly: bool,
        #[arg(long)]
        at: Option<String>,
    },
    /// The policies pushed to an organization (your own; admins --org).
    Pushes {
        #[arg(long)]
        org: Option<String>,
    },
}

fn benefit_label(kind: i32) -> &'static str {
    BenefitKind::from_proto(kind).ok().flatten().map(BenefitKind::label_zh).unwrap_or("")
}

fn day_of(ts: &Option<innomatch_proto::prost_types::Timestamp>) -> String {
    ts.as_ref().map(|t| day(millis(t))).unwrap_or_default()
}

impl PolicyFields {
    fn apply(self, policy: &mut pb::SupportPolicy) -> anyhow::Result<()> {
        let set = |target: &mut String, value: Option<String>| {
            if let Some(value) = value {
                *target = value;
            }
        };
        set(&mut policy.title, self.title);
        set(&mut policy.issuing_department, self.department);
        set(&mut policy.document_number, self.number);
        set(&mut policy.summary, self.summary);
        set(&mut policy.full_text, self.text);
        if let Some(path) = self.text_file {
            policy.full_text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        }
        if let Some(d) = self.published {
            policy.published_at = Some(timestamp(china_day(&d)?.0));
        }
        if let Some(d) = self.effective {
            policy.effective_from = Some(timestamp(china_day(&d)?.0));
        }
        if let Some(d) = self.expires {
            policy.expires_at = Some(timestamp(china_day(&d)?.1));
        }
        if !self.keywords.is_empty() {
            policy.keywords = self.keywords;
        }
        let e = policy.eligibility.get_or_insert_with(Default::default);
        if !self.organization_kinds.is_empty() {
            e.organization_kinds = parse_codes(
                "organization kind",
                &self.organization_kinds,
                OrganizationKind::from_code,
                OrganizationKind::to_proto,
            )?;
        }
        if !self.qualifications.is_empty() {
            e.qualifications =
                parse_codes("qualification", &self.qualifications, Qualification::from_code, Qualification::to_proto)?;
        }
        if !self.regions.is_empty() {
            e.region_codes = self.regions.iter().map(|r| super::labels::region_code(r)).collect();
        }
        if !self.industries.is_empty() {
            e.industries = self.industries;
        }
        if !self.high_tech_fields.is_empty() {
            e.high_tech_fields = self.high_tech_fields;
        }
        if !self.conditions.is_empty() {
            e.conditions =
                parse_codes("condition", &self.conditions, PolicyCondition::from_code, PolicyCondition::to_proto)?;
        }
        let b = policy.benefit.get_or_insert_with(Default::default);
        if let Some(kind) = self.benefit {
            b.kind = parse_code("benefit", &kind, BenefitKind::from_code)?.to_proto();
        }
        if let Some(amount) = self.amount {
            b.amount_yuan = amount;
        }
        set(&mut b.description, self.benefit_description);
        Ok(())
    }
}

fn policy_json(p: &pb::SupportPolicy) -> serde_json::Value {
    let meta = p.meta.clone().unwrap_or_default();
    let e = p.eligibility.clone().unwrap_or_default();
    let b = p.benefit.clone().unwrap_or_default();
    let codes = |values: &[i32], code: fn(i32) -> Option<&'static str>| -> Vec<&'static str> {
        values.iter().filter_map(|v| code(*v)).collect()
    };
    json!({
        "id": meta.id,
        "version": meta.version,
        "status": innomatch_core::model::RecordStatus::from_proto(meta.status).ok().flatten().map(|s| s.code()),
        "title": p.title,
        "issuing_department": p.issuing_department,
        "document_number": p.document_number,
        "published_at": day_of(&p.published_at),
        "effective_from": day_of(&p.effective_from),
        "expires_at": day_of(&p.expires_at),
        "summary": p.summary,
        "full_text": p.full_text,
        "keywords": p.keywords,
        "eligibility": {
            "organization_kinds": codes(&e.organization_kinds, |v| OrganizationKind::from_proto(v).ok().flatten().map(OrganizationKind::code)),
            "qualifications": codes(&e.qualifications, |v| Qualification::from_proto(v).ok().flatten().map(Qualification::code)),
            "region_codes": e.region_codes,
            "industries": e.industries,
            "high_tech_fields": e.high_tech_fields,
            "conditions": codes(&e.conditions, |v| PolicyCondition::from_proto(v).ok().flatten().map(PolicyCondition::code)),
        },
        "benefit": {
            "kind": BenefitKind::from_proto(b.kind).ok().flatten().map(BenefitKind::code),
            "amount_yuan": b.amount_yuan,
            "description": b.description,
        },
    })
}

fn print_policy(p: &pb::SupportPolicy, json_output: bool) {
    if json_output {
        print_json(&policy_json(p));
        return;
    }
    let meta = p.meta.clone().unwrap_or_default();
    let b = p.benefit.clone().unwrap_or_default();
    let e = p.eligibility.clone().unwrap_or_default();
    outln!("{}  {}", meta.id, p.title);
    outln!("  发文单位: {}  文号: {}", p.issuing_department, p.document_number);
    outln!("  发布: {}  施行: {}  截止: {}", day_of(&p.published_at), day_of(&p.effective_from), day_of(&p.expires_at));
    let amount = if b.amount_yuan > 0 { format!(" {} 元", b.amount_yuan) } else { String::new() };
    outln!("  支持方式: {}{amount}  {}", benefit_label(b.kind), b.description);
    let kinds: Vec<&str> = e
        .organization_kinds
        .iter()
        .filter_map(|k| OrganizationKind::from_proto(*k).ok().flatten().map(OrganizationKind::label_zh))
        .collect();
    let quals: Vec<&str> = e
        .qualifications
        .iter()
        .filter_map(|q| Qualification::from_proto(*q).ok().flatten().map(Qualification::label_zh))
        .collect();
    let conditions: Vec<&str> = e
        .conditions
        .iter()
        .filter_map(|c| PolicyCondition::from_proto(*c).ok().flatten().map(PolicyCondition::label_zh))
        .collect();
    if !kinds.is_empty() {
        outln!("  适用机构: {}", kinds.join("、"));
    }
    if !quals.is_empty() {
        outln!("  所需资质: {}", quals.join("、"));
    }
    if !e.region_codes.is_empty() {
        outln!("  适用区域: {}", super::labels::regions(&e.region_codes));
    }
    if !conditions.is_empty() {
        outln!("  附加条件: {}", conditions.join("；"));
    }
    if !p.summary.is_empty() {
        outln!("  摘要: {}", p.summary);
    }
}

fn outcome_mark(value: i32) -> &'static str {
    match Outcome::from_proto(value).ok().flatten() {
        Some(Outcome::Met) => "✓ 符合",
        Some(Outcome::NotMet) => "✗ 不符合",
        Some(Outcome::Unknown) => "? 无法判断",
        None => "?",
    }
}

pub(crate) fn result_json(r: &pb::PolicyEligibilityResult) -> serde_json::Value {
    let check = |c: &pb::ConditionCheck| {
        json!({
            "requirement": c.requirement,
            "label": c.label,
            "outcome": Outcome::from_proto(c.outcome).ok().flatten().map(Outcome::code),
            "field": c.field,
            "detail": c.detail,
        })
    };
    json!({
        "policy_id": r.policy_id,
        "policy_title": r.policy_title,
        "organization_id": r.organization_id,
        "organization_name": r.organization_name,
        "verdict": Verdict::from_proto(r.verdict).ok().flatten().map(Verdict::code),
        "checks": r.checks.iter().map(check).collect::<Vec<_>>(),
        "missing": r.missing.iter().map(check).collect::<Vec<_>>(),
        "benefit": r.benefit.as_ref().map(|b| json!({
            "kind": BenefitKind::from_proto(b.kind).ok().flatten().map(BenefitKind::code),
            "amount_yuan": b.amount_yuan,
            "description": b.description,
        })),
    })
}

/// One result in words: the heading, then every requirement.
pub(crate) fn print_result(r: &pb::PolicyEligibilityResult, heading: &str) {
    let verdict = Verdict::from_proto(r.verdict).ok().flatten().map(Verdict::label_zh).unwrap_or("?");
    outln!("[{verdict}] {heading}");
    for c in &r.checks {
        let detail = if c.detail.is_empty() { String::new() } else { format!("：{}", c.detail) };
        outln!("    {}  {}{detail}  ({})", outcome_mark(c.outcome), c.label, c.field);
    }
}

fn at_ms(at: Option<String>) -> anyhow::Result<Option<innomatch_proto::prost_types::Timestamp>> {
    at.map(|d| china_day(&d).map(|(start, _)| timestamp(start))).transpose()
}

/// Runs one `innomatch policy` command.
pub async fn run(args: &ClientArgs, command: PolicyCommand) -> anyhow::Result<()> {
    let mut client = args.connect(Calls::Unary).await?.policies();
    let json_output = args.json;
    match command {
        PolicyCommand::Post { fields } => {
            let mut policy = pb::SupportPolicy::default();
            fields.apply(&mut policy)?;
            let created = client
                .create_policy(pb::CreatePolicyRequest { policy: Some(policy) })
                .await
                .map_err(status_error)?
                .into_inner();
            print_policy(&created, json_output);
        }
        PolicyCommand::Update { id, fields } => {
            let mut policy = client.get_policy(pb::GetPolicyRequest { id }).await.map_err(status_error)?.into_inner();
            let version = policy.meta.as_ref().map(|m| m.version).unwrap_or_default();
            fields.apply(&mut policy)?;
            let updated = client
                .update_policy(pb::UpdatePolicyRequest { policy: Some(policy), expected_version: version })
                .await
                .map_err(status_error)?
                .into_inner();
            print_policy(&updated, json_output);
        }
        PolicyCommand::Get { id } => {
            let policy = client.get_policy(pb::GetPolicyRequest { id }).await.map_err(status_error)?.into_inner();
            print_policy(&policy, json_output);
        }
        PolicyCommand::List { in_force, region, industry, include_archived } => {
            let mut page_token = String::new();
            let mut listed = Vec::new();
            loop {
                let page = client
                    .list_policies(pb::ListPoliciesRequest {
                        in_force_only: in_force,
                        region_code: region.as_deref().map(super::labels::region_code).unwrap_or_default(),
                        industry: industry.clone().unwrap_or_default(),
                        include_archived,
                        page_size: 500,
                        page_token: page_token.clone(),
                    })
                    .await
                    .map_err(status_error)?
                    .into_inner();
                listed.extend(page.policies);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            if json_output {
                print_json(&json!(listed.iter().map(policy_json).collect::<Vec<_>>()));
            } else {
                let mut rows = table(&[
                    "id",
                    "政策 title",
                    "文号 number",
                    "支持方式 benefit",
                    "金额（元） amount",
                    "截止 expires",
                ]);
                for p in &listed {
                    let b = p.benefit.clone().unwrap_or_default();
                    let meta = p.meta.clone().unwrap_or_default();
                    rows.add_row(vec![
                        meta.id,
                        p.title.clone(),
                        p.document_number.clone(),
                        benefit_label(b.kind).to_owned(),
                        if b.amount_yuan > 0 { b.amount_yuan.to_string() } else { String::new() },
                        day_of(&p.expires_at),
                    ]);
                }
                outln!("{rows}");
            }
        }
        PolicyCommand::Archive { id } => {
            let archived = client
                .archive_policy(pb::ArchiveRequest { id, expected_version: 0 })
                .await
                .map_err(status_error)?
                .into_inner();
            print_policy(&archived, json_output);
        }
        PolicyCommand::Eligible { org, at, all } => {
            let answer = client
                .eligible_for_organization(pb::EligibleForOrganizationRequest {
                    organization_id: org.unwrap_or_default(),
                    at: at_ms(at)?,
                    include_not_eligible: all,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if json_output {
                print_json(&json!({
                    "eligible": answer.eligible.iter().map(result_json).collect::<Vec<_>>(),
                    "nearly_eligible": answer.nearly_eligible.iter().map(result_json).collect::<Vec<_>>(),
                    "not_eligible": answer.not_eligible.iter().map(result_json).collect::<Vec<_>>(),
                }));
            } else {
                outln!("符合条件 eligible: {}  差一项 nearly: {}", answer.eligible.len(), answer.nearly_eligible.len());
                for r in answer.eligible.iter().chain(&answer.nearly_eligible).chain(&answer.not_eligible) {
                    print_result(r, &format!("{}  {}", r.policy_id, r.policy_title));
                }
            }
        }
        PolicyCommand::Reach { policy, nearly, at } => {
            let reach = client
                .eligible_organizations(pb::EligibleOrganizationsRequest {
                    policy_id: policy,
                    at: at_ms(at)?,
                    include_nearly_eligible: nearly,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            if json_output {
                print_json(&json!({
                    "eligible": reach.eligible.iter().map(result_json).collect::<Vec<_>>(),
                    "nearly_eligible": reach.nearly_eligible.iter().map(result_json).collect::<Vec<_>>(),
                }));
            } else {
                outln!("符合条件 eligible: {}  差一项 nearly: {}", reach.eligible.len(), reach.nearly_eligible.len());
                for r in reach.eligible.iter().chain(&reach.nearly_eligible) {
                    print_result(r, &format!("{}  {}", r.organization_id, r.organization_name));
                }
            }
        }
        PolicyCommand::Pushes { org } => {
            let pushes = client
                .list_policy_pushes(pb::ListPolicyPushesRequest { organization_id: org.unwrap_or_default() })
                .await
                .map_err(status_error)?
                .into_inner()
                .pushes;
            if json_output {
                print_json(&json!(
                    pushes
                        .iter()
                        .map(|p| json!({
                            "organization_id": p.organization_id,
                            "policy_id": p.policy_id,
                            "policy_title": p.policy_title,
                            "pushed_at_ms": p.pushed_at.as_ref().map(millis),
                        }))
                        .collect::<Vec<_>>()
                ));
            } else {
                let mut rows = table(&["政策 policy", "标题 title", "推送日期 pushed"]);
                for p in &pushes {
                    rows.add_row(vec![p.policy_id.clone(), p.policy_title.clone(), day_of(&p.pushed_at)]);
                }
                outln!("{rows}");
            }
        }
    }
    Ok(())
}
