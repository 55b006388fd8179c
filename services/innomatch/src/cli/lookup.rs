//! `innomatch lookup ORG`: the bureau's enterprise lookup (企业查询) — one
//! organization, named by id, credit code or name, with its qualifications
//! and their standing, needs, capabilities, offers, leads and outcomes,
//! interests, notifications and support policies (eligible and received).
//! Needs an admin token.

use innomatch_core::{convert::millis, model::Qualification};
use innomatch_leads::{export::shanghai_date, model::LeadStatus};
use innomatch_proto::v1 as pb;
use serde_json::json;

use super::{
    catalog::need_json,
    client::{Calls, ClientArgs, outln, status_error},
    interest::interest_json,
    labels,
    leads::lead_json,
    notifications::notification_json,
    policy::{print_result, result_json},
    records::{capability_json, offer_json, org_json},
};

#[derive(Debug, clap::Args)]
pub struct LookupArgs {
    /// The organization's id (org_…), unified social credit code, or name.
    pub organization: String,
}

fn standing_code(value: i32) -> (&'static str, &'static str) {
    match pb::CertificateStanding::try_from(value) {
        Ok(pb::CertificateStanding::Valid) => ("valid", "有效"),
        Ok(pb::CertificateStanding::ExpiringSoon) => ("expiring_soon", "即将到期"),
        Ok(pb::CertificateStanding::Expired) => ("expired", "已过期"),
        Ok(pb::CertificateStanding::NotYetValid) => ("not_yet_valid", "尚未生效"),
        _ => ("?", "?"),
    }
}

fn qualification(value: i32) -> (&'static str, &'static str) {
    Qualification::from_proto(value).ok().flatten().map(|q| (q.code(), q.label_zh())).unwrap_or(("?", "?"))
}

fn day(timestamp: &Option<innomatch_proto::prost_types::Timestamp>) -> String {
    timestamp.as_ref().map(|t| shanghai_date(millis(t))).unwrap_or_default()
}

fn lookup_json(found: &pb::OrganizationLookup) -> serde_json::Value {
    let qualifications: Vec<_> = found
        .qualifications
        .iter()
        .map(|q| {
            let certificate = q.certificate.clone().unwrap_or_default();
            json!({
                "qualification": qualification(certificate.qualification).0,
                "certificate_number": certificate.certificate_number,
                "valid_from": day(&certificate.valid_from),
                "valid_until": day(&certificate.valid_until),
                "standing": standing_code(q.standing).0,
                "days_left": q.days_left,
            })
        })
        .collect();
    json!({
        "organization": found.organization.as_ref().map(org_json),
        "qualifications": qualifications,
        "needs": found.needs.iter().map(need_json).collect::<Vec<_>>(),
        "capabilities": found.capabilities.iter().map(capability_json).collect::<Vec<_>>(),
        "offers": found.offers.iter().map(offer_json).collect::<Vec<_>>(),
        "leads": found.leads_included.then(|| found.leads.iter().map(|l| lead_json(l, None)).collect::<Vec<_>>()),
        "interests_received": found.interests_received.iter().map(interest_json).collect::<Vec<_>>(),
        "interests_sent": found.interests_sent.iter().map(interest_json).collect::<Vec<_>>(),
        "notifications": found
            .notifications_included
            .then(|| found.notifications.iter().map(|n| notification_json(n, None)).collect::<Vec<_>>()),
        "policies": found.policies.as_ref().map(|p| json!({
            "eligible": p.eligible.iter().map(result_json).collect::<Vec<_>>(),
            "nearly_eligible": p.nearly_eligible.iter().map(result_json).collect::<Vec<_>>(),
            "not_eligible": p.not_eligible.iter().map(result_json).collect::<Vec<_>>(),
        })),
        "policies_received": found.policies_received.iter().map(|p| json!({
            "policy_id": p.policy_id,
            "policy_title": p.policy_title,
            "pushed_at": day(&p.pushed_at),
        })).collect::<Vec<_>>(),
    })
}

fn print_lookup(found: &pb::OrganizationLookup) {
    let org = found.organization.clone().unwrap_or_default();
    let id = org.meta.as_ref().map(|m| m.id.clone()).unwrap_or_default();
    outln!("{}  {id}  [{}]  {}", org.name, labels::organization_kind(org.kind), labels::region(&org.region_code));
    if !org.credit_code.is_empty() {
        outln!("统一社会信用代码: {}", org.credit_code);
    }
    if !org.contact_person.is_empty() || !org.phone.is_empty() || !org.email.is_empty() {
        outln!("联系人: {} {} {}", org.contact_person, org.phone, org.email);
    }
    outln!("资质 qualifications ({}):", found.qualifications.len());
    for q in &found.qualifications {
        let certificate = q.certificate.clone().unwrap_or_default();
        let (_, standing) = standing_code(q.standing);
        outln!(
            "  {}  {}  {} 至 {}  {standing}（剩余 {} 天）",
            qualification(certificate.qualification).1,
            certificate.certificate_number,
            day(&certificate.valid_from),
            day(&certificate.valid_until),
            q.days_left.max(0)
        );
    }
    outln!("技术需求 needs ({}):", found.needs.len());
    for need in &found.needs {
        let need_id = need.meta.as_ref().map(|m| m.id.as_str()).unwrap_or_default();
        outln!("  {need_id}  {}  {}", labels::need_status(need.need_status), need.title);
    }
    outln!("科技能力 capabilities ({}):", found.capabilities.len());
    for capability in &found.capabilities {
        let capability_id = capability.meta.as_ref().map(|m| m.id.as_str()).unwrap_or_default();
        outln!("  {capability_id}  [{}]  {}", labels::capability_kind(capability.kind), capability.title);
    }
    outln!("中介服务 offers ({}):", found.offers.len());
    for offer in &found.offers {
        let offer_id = offer.meta.as_ref().map(|m| m.id.as_str()).unwrap_or_default();
        outln!("  {offer_id}  [{}]  {}", labels::service_category(offer.category), offer.title);
    }
    if found.leads_included {
        outln!("对接线索 leads ({}):", found.leads.len());
        for lead in &found.leads {
            let status = LeadStatus::from_proto(lead.status).ok().flatten().map(LeadStatus::label_zh).unwrap_or("?");
            outln!("  {}  {status}  {}  {}", lead.id, labels::service_category(lead.category), lead.need_title);
        }
    } else {
        outln!("(leads come from the process that runs the leads service)");
    }
    outln!("意向 interests: {} received, {} sent", found.interests_received.len(), found.interests_sent.len());
    for interest in found.interests_received.iter().chain(&found.interests_sent) {
        outln!("  {}  {}  {}", interest.id, interest.need_title, interest.message);
    }
    if found.notifications_included {
        outln!("通知 notifications ({}):", found.notifications.len());
        for notification in &found.notifications {
            outln!("  {}  {}", notification.id, notification.title);
        }
    }
    let policies = found.policies.clone().unwrap_or_default();
    outln!(
        "扶持政策 policies: {} eligible, {} nearly eligible, {} not",
        policies.eligible.len(),
        policies.nearly_eligible.len(),
        policies.not_eligible.len()
    );
    for result in policies.eligible.iter().chain(&policies.nearly_eligible) {
        print_result(result, &format!("{}  {}", result.policy_id, result.policy_title));
    }
    outln!("已推送政策 policies received ({}):", found.policies_received.len());
    for pushed in &found.policies_received {
        outln!("  {}  {}  {}", pushed.policy_id, day(&pushed.pushed_at), pushed.policy_title);
    }
}

pub async fn lookup(args: &ClientArgs, lookup_args: &LookupArgs) -> anyhow::Result<()> {
    let found = args
        .connect(Calls::Unary)
        .await?
        .stats()
        .lookup_organization(pb::LookupOrganizationRequest { query: lookup_args.organization.clone() })
        .await
        .map_err(status_error)?
        .into_inner();
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&lookup_json(&found))?);
    } else {
        print_lookup(&found);
    }
    Ok(())
}
