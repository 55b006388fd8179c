//! Eligibility of one organization for one support policy: every
//! requirement of the policy checked against the organization's record, each
//! met / not met / unknown with the record field that decided it, and the
//! verdict they add up to. Pure functions of the two records and the day;
//! no store, no transport.
//!
//! - A qualification counts only with a certificate valid on the day asked
//!   about: a lapsed (or not yet valid) certificate is "not met", and says so.
//! - "Unknown" is for what the record does not say: no industry chain or
//!   high-tech field registered, no move into the city recorded.
//! - Nearly eligible: exactly one requirement not met or unknown, the policy
//!   in force and the organization of a kind the policy is for (a
//!   university is never "nearly" an enterprise).

use innomatch_core::{
    code_enum,
    model::{Organization, PolicyCondition, Qualification, QualificationCertificate, SupportPolicy},
    taxonomy::Taxonomy,
};
use innomatch_proto::v1 as pb;

code_enum!(
    /// How one requirement came out.
    Outcome => pb::ConditionOutcome {
        Met = "met",
        NotMet = "not_met",
        Unknown = "unknown",
    }
);

impl Outcome {
    /// The Simplified Chinese label shown to people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Met => "符合",
            Self::NotMet => "不符合",
            Self::Unknown => "无法判断",
        }
    }
}

code_enum!(
    /// Where an organization stands with a policy.
    Verdict => pb::EligibilityVerdict {
        Eligible = "eligible",
        NearlyEligible = "nearly_eligible",
        NotEligible = "not_eligible",
    }
);

impl Verdict {
    /// The Simplified Chinese label shown to people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Eligible => "符合条件",
            Self::NearlyEligible => "差一项条件",
            Self::NotEligible => "不符合条件",
        }
    }
}

/// One requirement checked against the organization's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionCheck {
    /// Stable code: `in_force`, `organization_kind`, `qualification:<code>`,
    /// `region`, `industry`, `high_tech_field`, `condition:<code>`.
    pub requirement: String,
    /// The requirement in words.
    pub label: String,
    pub outcome: Outcome,
    /// The record field that decided it.
    pub field: String,
    /// What the record says.
    pub detail: String,
}

/// One organization measured against one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub policy: SupportPolicy,
    pub organization_id: String,
    pub organization_name: String,
    pub verdict: Verdict,
    pub checks: Vec<ConditionCheck>,
}

impl Assessment {
    /// The requirements not met or unknown, in the policy's order.
    pub fn missing(&self) -> Vec<&ConditionCheck> {
        self.checks.iter().filter(|c| c.outcome != Outcome::Met).collect()
    }
}

/// A day as people read it in the city (China Standard Time).
pub fn day(ms: i64) -> String {
    let zone = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(at) => at.to_zoned(zone).date().to_string(),
        Err(_) => ms.to_string(),
    }
}

fn check(requirement: impl Into<String>, label: impl Into<String>, field: &str) -> ConditionCheck {
    ConditionCheck {
        requirement: requirement.into(),
        label: label.into(),
        outcome: Outcome::Unknown,
        field: field.to_owned(),
        detail: String::new(),
    }
}

impl ConditionCheck {
    fn decided(mut self, outcome: Outcome, detail: impl Into<String>) -> Self {
        self.outcome = outcome;
        self.detail = detail.into();
        self
    }
}

/// Measures `organization` against `policy` on the day `at_ms`.
pub fn assess(policy: &SupportPolicy, organization: &Organization, at_ms: i64) -> Assessment {
    let taxonomy = Taxonomy::get();
    let e = &policy.eligibility;
    let mut checks = Vec::new();
    // Requirements whose failure makes "nearly" meaningless.
    let mut hard_failure = false;

    let in_force = check("in_force", "政策在有效期内", "policy.effective_from");
    let in_force = if policy.in_force_at(at_ms) {
        let until = policy.expires_at_ms.map_or_else(|| "长期有效".to_owned(), |ms| format!("有效期至 {}", day(ms)));
        in_force.decided(Outcome::Met, until)
    } else {
        hard_failure = true;
        let why = match (policy.effective_from_ms, policy.expires_at_ms) {
            _ if policy.meta.status() != innomatch_core::model::RecordStatus::Active => "政策已归档".to_owned(),
            (Some(from), _) if at_ms < from => format!("{} 起施行", day(from)),
            (_, Some(until)) => format!("已于 {} 到期", day(until)),
            _ => "未在施行".to_owned(),
        };
        let mut c = in_force.decided(Outcome::NotMet, why);
        if policy.expires_at_ms.is_some_and(|until| until < at_ms) {
            c.field = "policy.expires_at".into();
        }
        c
    };
    checks.push(in_force);

    if !e.organization_kinds.is_empty() {
        let labels: Vec<&str> = e.organization_kinds.iter().map(|k| k.label_zh()).collect();
        let c = check("organization_kind", format!("机构类型为{}", labels.join("或")), "organization.kind");
        let kind = organization.kind();
        checks.push(if e.organization_kinds.contains(&kind) {
            c.decided(Outcome::Met, kind.label_zh())
        } else {
            hard_failure = true;
            c.decided(Outcome::NotMet, format!("机构类型为{}", kind.label_zh()))
        });
    }

    for &qualification in &e.qualifications {
        checks.push(qualification_check(organization, qualification, at_ms));
    }

    if !e.region_codes.is_empty() {
        let names: Vec<String> = e
            .region_codes
            .iter()
            .map(|code| taxonomy.region(code).map_or_else(|| code.clone(), |r| r.name.clone()))
            .collect();
        let c = check("region", format!("注册地在{}", names.join("或")), "organization.region_code");
        checks.push(if organization.region_code.is_empty() {
            c.decided(Outcome::Unknown, "未登记所在区域")
        } else {
            let chain = taxonomy.region_with_ancestors(&organization.region_code);
            let here = chain.first().map_or_else(|| organization.region_code.clone(), |r| r.name.clone());
            if chain.iter().any(|r| e.region_codes.contains(&r.code)) {
                c.decided(Outcome::Met, here)
            } else {
                c.decided(Outcome::NotMet, format!("注册地为{here}"))
            }
        });
    }

    if !e.industries.is_empty() {
        let name = |code: &String| taxonomy.industry(code).map_or_else(|| code.clone(), |i| i.name.clone());
        let names: Vec<String> = e.industries.iter().map(name).collect();
        let c = check("industry", format!("属于产业链：{}", names.join("、")), "organization.industries");
        let shared: Vec<String> =
            organization.industries.iter().filter(|i| e.industries.contains(i)).map(name).collect();
        checks.push(if organization.industries.is_empty() {
            c.decided(Outcome::Unknown, "未登记所属产业链")
        } else if shared.is_empty() {
            let own: Vec<String> = organization.industries.iter().map(name).collect();
            c.decided(Outcome::NotMet, format!("所属产业链为{}", own.join("、")))
        } else {
            c.decided(Outcome::Met, shared.join("、"))
        });
    }

    if !e.high_tech_fields.is_empty() {
        let name = |code: &String| taxonomy.high_tech_field(code).map_or_else(|| code.clone(), |f| f.name.clone());
        let names: Vec<String> = e.high_tech_fields.iter().map(name).collect();
        let c = check(
            "high_tech_field",
            format!("属于高新技术领域：{}", names.join("、")),
            "organization.high_tech_fields",
        );
        let in_policy = |code: &String| {
            e.high_tech_fields.contains(code)
                || taxonomy.high_tech_field(code).is_some_and(|f| e.high_tech_fields.contains(&f.top_level))
        };
        let shared: Vec<String> = organization.high_tech_fields.iter().filter(|f| in_policy(f)).map(name).collect();
        checks.push(if organization.high_tech_fields.is_empty() {
            c.decided(Outcome::Unknown, "未登记高新技术领域")
        } else if shared.is_empty() {
            let own: Vec<String> = organization.high_tech_fields.iter().map(name).collect();
            c.decided(Outcome::NotMet, format!("登记的领域为{}", own.join("、")))
        } else {
            c.decided(Outcome::Met, shared.join("、"))
        });
    }

    for &condition in &e.conditions {
        checks.push(condition_check(policy, organization, condition, at_ms));
    }

    let short = checks.iter().filter(|c| c.outcome != Outcome::Met).count();
    let verdict = match short {
        0 => Verdict::Eligible,
        1 if !hard_failure => Verdict::NearlyEligible,
        _ => Verdict::NotEligible,
    };
    Assessment {
        policy: policy.clone(),
        organization_id: organization.meta.id.clone(),
        organization_name: organization.name.clone(),
        verdict,
        checks,
    }
}

fn certificates(organization: &Organization, qualification: Qualification) -> Vec<&QualificationCertificate> {
    organization.qualification_certificates.iter().filter(|c| c.qualification == qualification).collect()
}

/// Why none of `held` is valid at `at_ms`: the most recent lapse, or the
/// earliest start to come.
fn not_valid(held: &[&QualificationCertificate], at_ms: i64, what: &str) -> String {
    let lapsed = held.iter().filter(|c| c.valid_until_ms < at_ms).max_by_key(|c| c.valid_until_ms);
    let coming = held.iter().filter(|c| c.valid_from_ms > at_ms).min_by_key(|c| c.valid_from_ms);
    match (lapsed, coming) {
        (_, Some(c)) => format!("{what}证书 {} 自 {} 起生效", c.certificate_number, day(c.valid_from_ms)),
        (Some(c), None) => format!("{what}证书 {} 已于 {} 过期", c.certificate_number, day(c.valid_until_ms)),
        (None, None) => format!("未持有{what}证书"),
    }
}

fn qualification_check(organization: &Organization, qualification: Qualification, at_ms: i64) -> ConditionCheck {
    let what = qualification.label_zh();
    let c = check(
        format!("qualification:{}", qualification.code()),
        format!("持有有效的{what}证书"),
        "organization.qualification_certificates",
    );
    let held = certificates(organization, qualification);
    match held.iter().filter(|cert| cert.is_valid_at(at_ms)).max_by_key(|cert| cert.valid_until_ms) {
        Some(cert) => {
            c.decided(Outcome::Met, format!("证书 {} 有效期至 {}", cert.certificate_number, day(cert.valid_until_ms)))
        }
        None => c.decided(Outcome::NotMet, not_valid(&held, at_ms, what)),
    }
}

fn condition_check(
    policy: &SupportPolicy,
    organization: &Organization,
    condition: PolicyCondition,
    at_ms: i64,
) -> ConditionCheck {
    let requirement = format!("condition:{}", condition.code());
    let high_tech = certificates(organization, Qualification::HighTechEnterprise);
    let valid: Vec<&QualificationCertificate> = high_tech.iter().copied().filter(|c| c.is_valid_at(at_ms)).collect();
    let what = Qualification::HighTechEnterprise.label_zh();
    match condition {
        PolicyCondition::RelocatedWithHighTech => {
            let c = check(requirement, condition.label_zh(), "organization.relocated_into_city");
            let Some(moved) = organization.relocated_into_city_ms else {
                return c.decided(Outcome::Unknown, "未登记整体迁入本市的日期");
            };
            match valid.iter().find(|cert| cert.is_valid_at(moved)) {
                Some(cert) => c.decided(
                    Outcome::Met,
                    format!("{} 迁入，证书 {} 当时及现在均有效", day(moved), cert.certificate_number),
                ),
                None if valid.is_empty() => ConditionCheck {
                    field: "organization.qualification_certificates".into(),
                    ..c.decided(Outcome::NotMet, format!("{} 迁入；{}", day(moved), not_valid(&high_tech, at_ms, what)))
                },
                None => ConditionCheck {
                    field: "organization.qualification_certificates".into(),
                    ..c.decided(Outcome::NotMet, format!("{} 迁入时未持有有效的{what}证书", day(moved)))
                },
            }
        }
        PolicyCondition::RecommendedHighTech => {
            let c = check(requirement, condition.label_zh(), "organization.qualification_certificates");
            if valid.is_empty() {
                return c.decided(Outcome::NotMet, not_valid(&high_tech, at_ms, what));
            }
            match valid.iter().find(|cert| cert.recommended_by_bureau) {
                Some(cert) => c.decided(Outcome::Met, format!("证书 {} 经市科技局推荐认定", cert.certificate_number)),
                None => ConditionCheck {
                    field: "organization.qualification_certificates.recommended_by_bureau".into(),
                    ..c.decided(Outcome::NotMet, "有效证书未经市科技局推荐认定")
                },
            }
        }
        PolicyCondition::NewlyRecognisedHighTech => {
            let c = check(requirement, condition.label_zh(), "organization.qualification_certificates");
            if valid.is_empty() {
                return c.decided(Outcome::NotMet, not_valid(&high_tech, at_ms, what));
            }
            let since = policy.effective_from_ms.or(policy.published_at_ms).unwrap_or(i64::MIN);
            match valid.iter().find(|cert| cert.valid_from_ms >= since) {
                Some(cert) => c.decided(
                    Outcome::Met,
                    format!("证书 {} 于 {} 认定", cert.certificate_number, day(cert.valid_from_ms)),
                ),
                None => c.decided(Outcome::NotMet, format!("有效证书于政策施行前（{}）认定", day(since))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use innomatch_core::model::{Benefit, BenefitKind, Eligibility, OrganizationKind, RecordMeta, RecordStatus};

    use super::*;

    const DAY: i64 = 86_400_000;
    /// 2025-06-01, the day the fixtures are measured on.
    const TODAY: i64 = 1_748_736_000_000;

    fn certificate(from: i64, until: i64, recommended: bool) -> QualificationCertificate {
        QualificationCertificate {
            qualification: Qualification::HighTechEnterprise,
            certificate_number: "GR202344000123".into(),
            valid_from_ms: from,
            valid_until_ms: until,
            recommended_by_bureau: recommended,
        }
    }

    fn firm(certificates: Vec<QualificationCertificate>) -> Organization {
        Organization {
            meta: RecordMeta { id: "org_lvgang".into(), status: Some(RecordStatus::Active), ..Default::default() },
            name: "湛江绿钢科技有限公司".into(),
            kind: Some(OrganizationKind::Enterprise),
            region_code: "440803".into(),
            industries: vec!["green_steel".into()],
            high_tech_fields: vec![],
            qualification_certificates: certificates,
            ..Default::default()
        }
    }

    fn policy(eligibility: Eligibility) -> SupportPolicy {
        SupportPolicy {
            meta: RecordMeta { id: "pol_1".into(), status: Some(RecordStatus::Active), ..Default::default() },
            title: "高新技术企业整体迁入奖励".into(),
            issuing_department: "湛江市科学技术局".into(),
            effective_from_ms: Some(TODAY - 365 * DAY),
            expires_at_ms: Some(TODAY + 365 * DAY),
            eligibility,
            benefit: Benefit { kind: Some(BenefitKind::Reward), amount_yuan: 300_000, description: String::new() },
            ..Default::default()
        }
    }

    fn outcome(assessment: &Assessment, requirement: &str) -> (Outcome, String, String) {
        let c = assessment.checks.iter().find(|c| c.requirement == requirement).expect(requirement);
        (c.outcome, c.field.clone(), c.detail.clone())
    }

    #[test]
    fn a_valid_qualification_is_met_and_an_expired_one_does_not_count() {
        let p = policy(Eligibility { qualifications: vec![Qualification::HighTechEnterprise], ..Default::default() });
        let valid = assess(&p, &firm(vec![certificate(TODAY - 100 * DAY, TODAY + 100 * DAY, false)]), TODAY);
        assert_eq!(valid.verdict, Verdict::Eligible);
        let (o, field, _) = outcome(&valid, "qualification:high_tech_enterprise");
        assert_eq!((o, field.as_str()), (Outcome::Met, "organization.qualification_certificates"));

        let expired = assess(&p, &firm(vec![certificate(TODAY - 1200 * DAY, TODAY - DAY, false)]), TODAY);
        let (o, _, detail) = outcome(&expired, "qualification:high_tech_enterprise");
        assert_eq!(o, Outcome::NotMet);
        assert!(detail.contains("已于") && detail.contains("过期"), "{detail}");
        assert_eq!(expired.verdict, Verdict::NearlyEligible, "one missing qualification is 'nearly'");
        assert_eq!(expired.missing().len(), 1);

        let none = assess(&p, &firm(vec![]), TODAY);
        assert_eq!(outcome(&none, "qualification:high_tech_enterprise").2, "未持有高新技术企业证书");
    }

    #[test]
    fn organization_kind_met_and_not_met_and_never_nearly() {
        let p = policy(Eligibility {
            organization_kinds: vec![OrganizationKind::Enterprise],
            qualifications: vec![Qualification::HighTechEnterprise],
            ..Default::default()
        });
        let mut university = firm(vec![certificate(TODAY - DAY, TODAY + DAY, false)]);
        university.kind = Some(OrganizationKind::University);
        let a = assess(&p, &university, TODAY);
        assert_eq!(outcome(&a, "organization_kind").0, Outcome::NotMet);
        assert_eq!(a.verdict, Verdict::NotEligible, "the one thing missing is the kind: not 'nearly'");
        let b = assess(&p, &firm(vec![certificate(TODAY - DAY, TODAY + DAY, false)]), TODAY);
        assert_eq!((outcome(&b, "organization_kind").0, b.verdict), (Outcome::Met, Verdict::Eligible));
    }

    #[test]
    fn region_industry_and_field_met_not_met_and_unknown() {
        let p = policy(Eligibility {
            region_codes: vec!["440800".into()],
            industries: vec!["green_steel".into()],
            high_tech_fields: vec!["new_materials".into()],
            ..Default::default()
        });
        let mut org = firm(vec![]);
        let a = assess(&p, &org, TODAY);
        assert_eq!(outcome(&a, "region").0, Outcome::Met, "a district is inside its city");
        assert_eq!(outcome(&a, "industry").0, Outcome::Met);
        let (o, field, _) = outcome(&a, "high_tech_field");
        assert_eq!((o, field.as_str()), (Outcome::Unknown, "organization.high_tech_fields"));
        assert_eq!(a.verdict, Verdict::NearlyEligible);

        org.region_code = "440100".into(); // 广州市
        org.industries = vec!["shrimp".into()];
        let field = Taxonomy::get()
            .high_tech_fields()
            .into_iter()
            .find(|f| f.top_level == "new_materials" && f.code != "new_materials")
            .map(|f| f.code.clone());
        org.high_tech_fields = field.into_iter().collect();
        let b = assess(&p, &org, TODAY);
        assert_eq!(outcome(&b, "region").0, Outcome::NotMet);
        assert_eq!(outcome(&b, "industry").0, Outcome::NotMet);
        assert_eq!(outcome(&b, "high_tech_field").0, Outcome::Met, "a sub-field is inside its top-level field");
        assert_eq!(b.verdict, Verdict::NotEligible);
    }

    #[test]
    fn relocation_with_a_valid_certificate_met_not_met_and_unknown() {
        let p = policy(Eligibility { conditions: vec![PolicyCondition::RelocatedWithHighTech], ..Default::default() });
        let cert = certificate(TODAY - 300 * DAY, TODAY + 700 * DAY, false);
        let mut moved = firm(vec![cert.clone()]);
        moved.relocated_into_city_ms = Some(TODAY - 30 * DAY);
        let a = assess(&p, &moved, TODAY);
        let (o, field, _) = outcome(&a, "condition:relocated_with_high_tech");
        assert_eq!(
            (o, field.as_str(), a.verdict),
            (Outcome::Met, "organization.relocated_into_city", Verdict::Eligible)
        );

        let unknown = assess(&p, &firm(vec![cert.clone()]), TODAY);
        assert_eq!(outcome(&unknown, "condition:relocated_with_high_tech").0, Outcome::Unknown);

        // Moved before the certificate was granted: it did not move as a high-tech enterprise.
        moved.relocated_into_city_ms = Some(TODAY - 400 * DAY);
        let early = assess(&p, &moved, TODAY);
        assert_eq!(outcome(&early, "condition:relocated_with_high_tech").0, Outcome::NotMet);

        // Moved with a certificate that has lapsed since.
        let mut lapsed = firm(vec![certificate(TODAY - 1000 * DAY, TODAY - DAY, false)]);
        lapsed.relocated_into_city_ms = Some(TODAY - 500 * DAY);
        let (o, field, detail) = outcome(&assess(&p, &lapsed, TODAY), "condition:relocated_with_high_tech");
        assert_eq!((o, field.as_str()), (Outcome::NotMet, "organization.qualification_certificates"));
        assert!(detail.contains("过期"), "{detail}");
    }

    #[test]
    fn recognition_after_the_bureaus_recommendation_met_and_not_met() {
        let p = policy(Eligibility { conditions: vec![PolicyCondition::RecommendedHighTech], ..Default::default() });
        let met = assess(&p, &firm(vec![certificate(TODAY - DAY, TODAY + DAY, true)]), TODAY);
        assert_eq!(outcome(&met, "condition:recommended_high_tech").0, Outcome::Met);
        let plain = assess(&p, &firm(vec![certificate(TODAY - DAY, TODAY + DAY, false)]), TODAY);
        let (o, field, _) = outcome(&plain, "condition:recommended_high_tech");
        assert_eq!(
            (o, field.as_str()),
            (Outcome::NotMet, "organization.qualification_certificates.recommended_by_bureau")
        );
        let expired = assess(&p, &firm(vec![certificate(TODAY - 900 * DAY, TODAY - DAY, true)]), TODAY);
        assert_eq!(outcome(&expired, "condition:recommended_high_tech").0, Outcome::NotMet, "expired: no count");
    }

    #[test]
    fn new_recognition_counts_from_the_policys_effective_date() {
        let p =
            policy(Eligibility { conditions: vec![PolicyCondition::NewlyRecognisedHighTech], ..Default::default() });
        let new = assess(&p, &firm(vec![certificate(TODAY - 10 * DAY, TODAY + 1000 * DAY, false)]), TODAY);
        assert_eq!(outcome(&new, "condition:newly_recognised_high_tech").0, Outcome::Met);
        let old = assess(&p, &firm(vec![certificate(TODAY - 400 * DAY, TODAY + 600 * DAY, false)]), TODAY);
        assert_eq!(outcome(&old, "condition:newly_recognised_high_tech").0, Outcome::NotMet);
    }

    #[test]
    fn a_policy_out_of_force_makes_nobody_eligible() {
        let mut p = policy(Eligibility::default());
        p.expires_at_ms = Some(TODAY - DAY);
        let a = assess(&p, &firm(vec![]), TODAY);
        let (o, field, _) = outcome(&a, "in_force");
        assert_eq!((o, field.as_str(), a.verdict), (Outcome::NotMet, "policy.expires_at", Verdict::NotEligible));
    }
}
