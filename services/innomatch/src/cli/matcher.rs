//! Matching commands: `innomatch match NEED`, `innomatch consortium NEED`
//! and `innomatch services NEED`, as readable text or `--json`.

use clap::Args;
use innomatch_core::model::{OrganizationKind, ServiceCategory};
use innomatch_proto::v1::{self as pb, matcher_service_client::MatcherServiceClient};
use serde_json::{Value, json};

use super::client::{Authed, Calls, ClientArgs, outln, print_json, status_error};

#[derive(Debug, Args)]
pub struct MatchArgs {
    pub need_id: String,
    #[arg(long, default_value_t = 10)]
    pub limit: u32,
}

#[derive(Debug, Args)]
pub struct MatchCapabilityArgs {
    pub capability_id: String,
    /// How many needs (0: 20, at most 100).
    #[arg(long, default_value_t = 0)]
    pub limit: u32,
}

#[derive(Debug, Args)]
pub struct ConsortiumArgs {
    pub need_id: String,
    /// Most members, the lead enterprise included (default 5).
    #[arg(long, default_value_t = 0)]
    pub max_members: u32,
    /// Organizations that must not be proposed (repeatable).
    #[arg(long = "exclude")]
    pub excluded: Vec<String>,
    /// Also consider upstream/downstream enterprises of the need's industry chain.
    #[arg(long)]
    pub chain: bool,
    #[arg(long, default_value_t = 3)]
    pub alternatives: u32,
}

async fn client(args: &ClientArgs) -> anyhow::Result<MatcherServiceClient<Authed>> {
    Ok(args.connect(Calls::Unary).await?.matcher())
}

fn evidence_json(e: &Option<pb::Evidence>) -> Value {
    let Some(e) = e else { return Value::Null };
    json!({
        "matched_terms": e.matched_terms,
        "shared_high_tech_fields": e.shared_high_tech_fields,
        "shared_industries": e.shared_industries,
        "trl_fit": e.trl_fit,
        "kind_fit": e.kind_fit,
        "score_parts": e.score_parts.iter().map(|p| json!({"name": p.name, "value": p.value, "detail": p.detail})).collect::<Vec<_>>(),
    })
}

fn kind_name(kind: i32) -> &'static str {
    OrganizationKind::from_proto(kind).ok().flatten().map(OrganizationKind::code).unwrap_or("?")
}

fn parts_line(e: &Option<pb::Evidence>) -> String {
    e.as_ref()
        .map(|e| e.score_parts.iter().map(|p| format!("{} {:.2}", p.name, p.value)).collect::<Vec<_>>().join(" · "))
        .unwrap_or_default()
}

pub async fn match_need(args: &ClientArgs, m: MatchArgs) -> anyhow::Result<()> {
    let response = client(args)
        .await?
        .match_need(pb::MatchNeedRequest { need_id: m.need_id, limit: m.limit })
        .await
        .map_err(status_error)?
        .into_inner();
    if args.json {
        let out = json!({
            "organizations": response.organizations.iter().map(|o| json!({
                "organization_id": o.organization_id, "name": o.organization_name, "kind": kind_name(o.kind), "score": o.score,
                "top_capabilities": o.top_capabilities.iter().map(|c| json!({"capability_id": c.capability_id, "title": c.title, "score": c.score})).collect::<Vec<_>>(),
                "evidence": evidence_json(&o.evidence),
            })).collect::<Vec<_>>(),
            "capabilities": response.capabilities.iter().map(|c| json!({
                "capability_id": c.capability_id, "organization_id": c.organization_id, "title": c.title, "score": c.score, "evidence": evidence_json(&c.evidence),
            })).collect::<Vec<_>>(),
            "note": response.note,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if !response.note.is_empty() {
        outln!("{}", response.note);
    }
    outln!("partner organizations");
    for (rank, o) in response.organizations.iter().enumerate() {
        outln!(
            "{:>3}. {} [{}]  score {:.3}",
            rank + 1,
            o.organization_name,
            super::labels::organization_kind(o.kind),
            o.score
        );
        if let Some(e) = &o.evidence {
            outln!("     matched: {}   区域: {}", e.matched_terms.join(" "), super::labels::region_tier(e.region_tier));
        }
        for c in &o.top_capabilities {
            outln!("     · {}  ({:.3})", c.title, c.score);
        }
    }
    outln!("capabilities");
    for (rank, c) in response.capabilities.iter().enumerate() {
        outln!("{:>3}. {}  score {:.3}", rank + 1, c.title, c.score);
        outln!("     {}", parts_line(&c.evidence));
    }
    Ok(())
}

/// `innomatch match-capability CAP_ID`: the open needs a capability could serve, best first.
pub async fn match_capability(args: &ClientArgs, m: MatchCapabilityArgs) -> anyhow::Result<()> {
    let response = client(args)
        .await?
        .match_capability(pb::MatchCapabilityRequest { capability_id: m.capability_id, limit: m.limit })
        .await
        .map_err(status_error)?
        .into_inner();
    if args.json {
        print_json(&Value::Array(
            response
                .needs
                .iter()
                .map(|n| {
                    json!({
                        "need_id": n.need_id, "organization_id": n.organization_id, "title": n.title,
                        "score": n.score, "evidence": evidence_json(&n.evidence),
                    })
                })
                .collect(),
        ));
        return Ok(());
    }
    if response.needs.is_empty() {
        outln!("no open need fits this capability yet");
    }
    for (rank, n) in response.needs.iter().enumerate() {
        let owner = if n.organization_id.is_empty() { "匿名" } else { n.organization_id.as_str() };
        outln!("{:>3}. {}  {}  score {:.3}  ({owner})", rank + 1, n.need_id, n.title, n.score);
        if let Some(e) = &n.evidence {
            outln!("     matched: {}   区域: {}", e.matched_terms.join(" "), super::labels::region_tier(e.region_tier));
            outln!("     {}", parts_line(&n.evidence));
        }
    }
    Ok(())
}

pub async fn consortium(args: &ClientArgs, c: ConsortiumArgs) -> anyhow::Result<()> {
    let response = client(args)
        .await?
        .propose_consortia(pb::ProposeConsortiaRequest {
            need_id: c.need_id,
            constraints: Some(pb::ConsortiumConstraints {
                max_members: c.max_members,
                excluded_organization_ids: c.excluded,
                include_chain_enterprises: c.chain,
                alternatives: c.alternatives,
            }),
        })
        .await
        .map_err(status_error)?
        .into_inner();
    let role = |r: i32| match pb::ConsortiumRole::try_from(r).unwrap_or_default() {
        pb::ConsortiumRole::Lead => "牵头企业 lead",
        pb::ConsortiumRole::AcademicPartner => "高校院所 academic",
        pb::ConsortiumRole::ChainEnterprise => "产业链企业 chain",
        pb::ConsortiumRole::Unspecified => "?",
    };
    if args.json {
        let out = json!({
            "competencies": response.competencies.iter().map(|c| json!({"name": c.competency, "weight": c.weight})).collect::<Vec<_>>(),
            "consortia": response.consortia.iter().map(|x| json!({
                "coverage": x.coverage, "score": x.score, "uncovered": x.uncovered_competencies,
                "members": x.members.iter().map(|m| json!({
                    "organization_id": m.organization_id, "name": m.organization_name, "kind": kind_name(m.kind), "role": role(m.role), "chain_position": m.chain_position,
                    "covers": m.covers.iter().map(|c| json!({"competency": c.competency, "capability_id": c.capability_id, "evidence": evidence_json(&c.evidence)})).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let names: Vec<String> = response.competencies.iter().map(|c| format!("{}×{}", c.competency, c.weight)).collect();
    outln!("competencies: {}", names.join("  "));
    for (i, x) in response.consortia.iter().enumerate() {
        outln!("\nconsortium {}: coverage {:.0}%  score {:.3}", i + 1, x.coverage * 100.0, x.score);
        for m in &x.members {
            outln!("  {} — {} [{}]", role(m.role), m.organization_name, super::labels::organization_kind(m.kind));
            if !m.chain_position.is_empty() {
                outln!("      position {}", m.chain_position);
            }
            for cover in &m.covers {
                let terms = cover.evidence.as_ref().map(|e| e.matched_terms.join(" ")).unwrap_or_default();
                outln!("      covers {} (matched: {terms})", cover.competency);
                // How it covers it: the semantic similarity, or the text part
                // (which says when the competency is covered by words only).
                let parts = cover.evidence.as_ref().map(|e| e.score_parts.as_slice()).unwrap_or_default();
                let basis =
                    parts.iter().find(|p| p.name == "semantic").or_else(|| parts.iter().find(|p| p.name == "text"));
                if let Some(basis) = basis {
                    outln!("        {}", basis.detail);
                }
            }
        }
        if !x.uncovered_competencies.is_empty() {
            outln!("  uncovered: {}", x.uncovered_competencies.join(", "));
        }
    }
    Ok(())
}

pub async fn services(args: &ClientArgs, m: MatchArgs) -> anyhow::Result<()> {
    let response = client(args)
        .await?
        .propose_services(pb::ProposeServicesRequest { need_id: m.need_id, limit: m.limit })
        .await
        .map_err(status_error)?
        .into_inner();
    let category = |c: i32| ServiceCategory::from_proto(c).ok().flatten().map(ServiceCategory::code).unwrap_or("?");
    if args.json {
        let out = json!({
            "inferred_categories": response.inferred_categories.iter().map(|c| category(*c)).collect::<Vec<_>>(),
            "proposals": response.proposals.iter().map(|p| json!({
                "offer_id": p.offer_id, "organization_id": p.organization_id, "organization_name": p.organization_name,
                "category": category(p.category), "title": p.title, "score": p.score, "reasons": p.reasons,
            })).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let category = |c: i32| super::labels::service_category(c);
    let inferred: Vec<&str> = response.inferred_categories.iter().map(|c| category(*c)).collect();
    outln!("the need calls for: {}", inferred.join(", "));
    for (rank, p) in response.proposals.iter().enumerate() {
        outln!(
            "{:>3}. {} — {} [{}]  score {:.3}",
            rank + 1,
            p.title,
            p.organization_name,
            category(p.category),
            p.score
        );
        for reason in &p.reasons {
            outln!("      {reason}");
        }
    }
    Ok(())
}
