//! The edge between the generated proto messages and the domain model:
//! `TryFrom<proto>` validates every client-settable field (meta is ignored,
//! the server owns it) and `From<domain>` builds the reply.

use innomatch_proto::{prost_types::Timestamp, v1 as pb};

use crate::edge::{enum_list, optional_enum as enum_field, required_enum};
use crate::model::*;
use crate::validation::{Violations, limits};

/// Milliseconds since the epoch as a proto timestamp.
pub fn timestamp(ms: i64) -> Timestamp {
    Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 }
}

/// A proto timestamp as milliseconds since the epoch (saturating).
pub fn millis(ts: &Timestamp) -> i64 {
    ts.seconds.saturating_mul(1000).saturating_add(i64::from(ts.nanos) / 1_000_000)
}

fn meta_to_proto(meta: &RecordMeta) -> pb::RecordMeta {
    pb::RecordMeta {
        id: meta.id.clone(),
        organization_id: meta.organization_id.clone(),
        version: meta.version,
        status: meta.status().to_proto(),
        created_at: Some(timestamp(meta.created_at_ms)),
        updated_at: Some(timestamp(meta.updated_at_ms)),
    }
}

/// The owner a client named on a record it sends (empty when it named none).
pub fn requested_owner(meta: Option<&pb::RecordMeta>) -> &str {
    meta.map(|m| m.organization_id.as_str()).unwrap_or_default()
}

impl TryFrom<pb::Organization> for Organization {
    type Error = Violations;

    fn try_from(p: pb::Organization) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.text("organization.name", &p.name, limits::NAME_MAX_CHARS, true);
        let kind = required_enum(&mut v, "organization.kind", p.kind, OrganizationKind::from_proto);
        v.region("organization.region_code", &p.region_code, true);
        v.industries("organization.industries", &p.industries);
        v.high_tech_fields("organization.high_tech_fields", &p.high_tech_fields);
        // `qualifications` is derived from the certificates and ignored here.
        let qualification_certificates = certificates(&mut v, &p.qualification_certificates);
        v.text("organization.description", &p.description, limits::DESCRIPTION_MAX_CHARS, false);
        v.text("organization.website", &p.website, limits::SHORT_TEXT_MAX_CHARS, false);
        let credit_code = crate::credit_code::normalize(&p.credit_code);
        if !credit_code.is_empty()
            && let Err(e) = crate::credit_code::validate(&credit_code)
        {
            v.add("organization.credit_code", e.to_string());
        }
        let contact = Contact {
            person: p.contact_person.trim().to_owned(),
            phone: p.phone.trim().to_owned(),
            email: p.email.trim().to_owned(),
        };
        v.text("organization.contact_person", &contact.person, limits::SHORT_TEXT_MAX_CHARS, false);
        phone(&mut v, "organization.phone", &contact.phone);
        email(&mut v, "organization.email", &contact.email);
        v.into_result(Organization {
            meta: RecordMeta::default(),
            name: p.name.trim().to_owned(),
            kind,
            region_code: p.region_code,
            industries: p.industries,
            high_tech_fields: p.high_tech_fields,
            qualification_certificates,
            description: p.description,
            website: p.website.trim().to_owned(),
            credit_code,
            contact,
            relocated_into_city_ms: p.relocated_into_city.as_ref().map(millis),
        })
    }
}

/// Longest certificate number accepted.
const CERTIFICATE_NUMBER_MAX_CHARS: usize = 64;

fn certificates(v: &mut Violations, sent: &[pb::QualificationCertificate]) -> Vec<QualificationCertificate> {
    if sent.len() > limits::LIST_MAX_ITEMS {
        v.add("organization.qualification_certificates", format!("has more than {} items", limits::LIST_MAX_ITEMS));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, c) in sent.iter().enumerate() {
        let field = format!("organization.qualification_certificates[{i}]");
        let qualification =
            required_enum(v, &format!("{field}.qualification"), c.qualification, Qualification::from_proto);
        v.text(&format!("{field}.certificate_number"), &c.certificate_number, CERTIFICATE_NUMBER_MAX_CHARS, true);
        let (from, until) = (c.valid_from.as_ref().map(millis), c.valid_until.as_ref().map(millis));
        if from.is_none() {
            v.add(format!("{field}.valid_from"), "a certificate states when it became valid");
        }
        if until.is_none() {
            v.add(format!("{field}.valid_until"), "a certificate states when it expires");
        }
        if let (Some(from), Some(until)) = (from, until)
            && until < from
        {
            v.add(format!("{field}.valid_until"), "must not be before valid_from");
        }
        if let (Some(qualification), Some(valid_from_ms), Some(valid_until_ms)) = (qualification, from, until) {
            out.push(QualificationCertificate {
                qualification,
                certificate_number: c.certificate_number.trim().to_owned(),
                valid_from_ms,
                valid_until_ms,
                recommended_by_bureau: c.recommended_by_bureau,
            });
        }
    }
    out
}

impl From<QualificationCertificate> for pb::QualificationCertificate {
    fn from(c: QualificationCertificate) -> Self {
        pb::QualificationCertificate {
            qualification: c.qualification.to_proto(),
            certificate_number: c.certificate_number,
            valid_from: Some(timestamp(c.valid_from_ms)),
            valid_until: Some(timestamp(c.valid_until_ms)),
            recommended_by_bureau: c.recommended_by_bureau,
        }
    }
}

/// A telephone number as people write them in China: digits with `+`, `-`,
/// spaces or parentheses (0759-1234567, +86 138 0000 0000, 400-800-1234).
fn phone(v: &mut Violations, field: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if value.chars().count() > 32
        || !value.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
        || !(5..=20).contains(&digits)
    {
        v.add(field, "a telephone number has 5 to 20 digits and only + - ( ) or spaces besides");
    }
}

/// An address with one `@`, a local part and a domain with a dot, no spaces.
fn email(v: &mut Violations, field: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    let valid = value.chars().count() <= limits::SHORT_TEXT_MAX_CHARS
        && !value.chars().any(char::is_whitespace)
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|part| !part.is_empty())
        });
    if !valid {
        v.add(field, "is not an e-mail address");
    }
}

impl From<Organization> for pb::Organization {
    fn from(o: Organization) -> Self {
        let qualifications = o.qualifications_at(now_ms()).into_iter().map(Qualification::to_proto).collect();
        pb::Organization {
            meta: Some(meta_to_proto(&o.meta)),
            name: o.name,
            kind: o.kind.map(OrganizationKind::to_proto).unwrap_or_default(),
            region_code: o.region_code,
            industries: o.industries,
            high_tech_fields: o.high_tech_fields,
            qualifications,
            description: o.description,
            website: o.website,
            credit_code: o.credit_code,
            contact_person: o.contact.person,
            phone: o.contact.phone,
            email: o.contact.email,
            qualification_certificates: o.qualification_certificates.into_iter().map(Into::into).collect(),
            relocated_into_city: o.relocated_into_city_ms.map(timestamp),
        }
    }
}

impl TryFrom<pb::TechNeed> for TechNeed {
    type Error = Violations;

    fn try_from(p: pb::TechNeed) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.text("need.title", &p.title, limits::NAME_MAX_CHARS, true);
        v.text("need.description", &p.description, limits::DESCRIPTION_MAX_CHARS, false);
        v.keywords("need.keywords", &p.keywords);
        if p.competencies.len() > limits::LIST_MAX_ITEMS {
            v.add("need.competencies", format!("has more than {} items", limits::LIST_MAX_ITEMS));
        }
        let mut competencies = Vec::new();
        for (i, c) in p.competencies.iter().enumerate().take(limits::LIST_MAX_ITEMS) {
            v.text(&format!("need.competencies[{i}].name"), &c.name, limits::KEYWORD_MAX_CHARS, true);
            let weight = match c.weight {
                0 => 1,
                w if w > limits::COMPETENCY_WEIGHT_MAX => {
                    v.add(
                        format!("need.competencies[{i}].weight"),
                        format!("weight {w} is outside 1..={}", limits::COMPETENCY_WEIGHT_MAX),
                    );
                    w
                }
                w => w,
            };
            competencies.push(RequiredCompetency { name: c.name.trim().to_owned(), weight });
        }
        v.high_tech_fields("need.high_tech_fields", &p.high_tech_fields);
        v.industries("need.industries", &p.industries);
        let cooperation_modes =
            enum_list(&mut v, "need.cooperation_modes", &p.cooperation_modes, CooperationMode::from_proto);
        v.trl("need.target_trl", p.target_trl);
        let budget = p.budget.map(|b| MoneyRange { min_yuan: b.min_yuan, max_yuan: b.max_yuan }).unwrap_or_default();
        if budget.min_yuan < 0 || budget.max_yuan < 0 {
            v.add("need.budget", "amounts must not be negative");
        } else if budget.max_yuan != 0 && budget.max_yuan < budget.min_yuan {
            v.add("need.budget.max_yuan", "must not be less than min_yuan");
        }
        let visibility =
            enum_field(&mut v, "need.visibility", p.visibility, Visibility::from_proto).or(Some(Visibility::Public));
        v.region("need.region_code", &p.region_code, false);
        v.into_result(TechNeed {
            meta: RecordMeta::default(),
            title: p.title.trim().to_owned(),
            description: p.description,
            keywords: p.keywords,
            competencies,
            high_tech_fields: p.high_tech_fields,
            industries: p.industries,
            cooperation_modes,
            target_trl: p.target_trl,
            budget,
            deadline_ms: p.deadline.as_ref().map(millis),
            visibility,
            region_code: p.region_code,
            // The catalog owns a need's lifecycle.
            lifecycle: None,
        })
    }
}

impl From<TechNeed> for pb::TechNeed {
    fn from(n: TechNeed) -> Self {
        pb::TechNeed {
            meta: Some(meta_to_proto(&n.meta)),
            need_status: n.need_status().to_proto(),
            visibility: n.visibility().to_proto(),
            title: n.title,
            description: n.description,
            keywords: n.keywords,
            competencies: n
                .competencies
                .into_iter()
                .map(|c| pb::RequiredCompetency { name: c.name, weight: c.weight })
                .collect(),
            high_tech_fields: n.high_tech_fields,
            industries: n.industries,
            cooperation_modes: n.cooperation_modes.into_iter().map(CooperationMode::to_proto).collect(),
            target_trl: n.target_trl,
            budget: Some(pb::MoneyRange { min_yuan: n.budget.min_yuan, max_yuan: n.budget.max_yuan }),
            deadline: n.deadline_ms.map(timestamp),
            region_code: n.region_code,
        }
    }
}

impl TryFrom<pb::Capability> for Capability {
    type Error = Violations;

    fn try_from(p: pb::Capability) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let kind = required_enum(&mut v, "capability.kind", p.kind, CapabilityKind::from_proto);
        v.text("capability.title", &p.title, limits::NAME_MAX_CHARS, true);
        v.text("capability.description", &p.description, limits::DESCRIPTION_MAX_CHARS, false);
        v.keywords("capability.keywords", &p.keywords);
        v.high_tech_fields("capability.high_tech_fields", &p.high_tech_fields);
        v.industries("capability.industries", &p.industries);
        v.trl("capability.trl", p.trl);
        v.text("capability.reference", &p.reference, limits::SHORT_TEXT_MAX_CHARS, false);
        v.region("capability.region_code", &p.region_code, false);
        v.into_result(Capability {
            meta: RecordMeta::default(),
            kind,
            title: p.title.trim().to_owned(),
            description: p.description,
            keywords: p.keywords,
            high_tech_fields: p.high_tech_fields,
            industries: p.industries,
            trl: p.trl,
            available_for_sharing: p.available_for_sharing,
            reference: p.reference,
            region_code: p.region_code,
        })
    }
}

impl From<Capability> for pb::Capability {
    fn from(c: Capability) -> Self {
        pb::Capability {
            meta: Some(meta_to_proto(&c.meta)),
            kind: c.kind.map(CapabilityKind::to_proto).unwrap_or_default(),
            title: c.title,
            description: c.description,
            keywords: c.keywords,
            high_tech_fields: c.high_tech_fields,
            industries: c.industries,
            trl: c.trl,
            available_for_sharing: c.available_for_sharing,
            reference: c.reference,
            region_code: c.region_code,
        }
    }
}

impl TryFrom<pb::ServiceOffer> for ServiceOffer {
    type Error = Violations;

    fn try_from(p: pb::ServiceOffer) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let category = required_enum(&mut v, "offer.category", p.category, ServiceCategory::from_proto);
        v.text("offer.title", &p.title, limits::NAME_MAX_CHARS, true);
        v.text("offer.description", &p.description, limits::DESCRIPTION_MAX_CHARS, false);
        v.keywords("offer.keywords", &p.keywords);
        v.regions("offer.regions_served", &p.regions_served);
        v.industries("offer.industries_served", &p.industries_served);
        v.text("offer.terms", &p.terms, limits::TERMS_MAX_CHARS, false);
        v.into_result(ServiceOffer {
            meta: RecordMeta::default(),
            category,
            title: p.title.trim().to_owned(),
            description: p.description,
            keywords: p.keywords,
            regions_served: p.regions_served,
            industries_served: p.industries_served,
            terms: p.terms,
            monthly_capacity: p.monthly_capacity,
        })
    }
}

impl From<ServiceOffer> for pb::ServiceOffer {
    fn from(o: ServiceOffer) -> Self {
        pb::ServiceOffer {
            meta: Some(meta_to_proto(&o.meta)),
            category: o.category.map(ServiceCategory::to_proto).unwrap_or_default(),
            title: o.title,
            description: o.description,
            keywords: o.keywords,
            regions_served: o.regions_served,
            industries_served: o.industries_served,
            terms: o.terms,
            monthly_capacity: o.monthly_capacity,
        }
    }
}

/// Longest full text of a policy document.
pub const POLICY_TEXT_MAX_CHARS: usize = 50_000;

impl TryFrom<pb::SupportPolicy> for SupportPolicy {
    type Error = Violations;

    fn try_from(p: pb::SupportPolicy) -> Result<Self, Violations> {
        let mut v = Violations::new();
        v.text("policy.title", &p.title, limits::NAME_MAX_CHARS, true);
        v.text("policy.issuing_department", &p.issuing_department, limits::SHORT_TEXT_MAX_CHARS, true);
        v.text("policy.document_number", &p.document_number, limits::SHORT_TEXT_MAX_CHARS, false);
        v.text("policy.summary", &p.summary, limits::DESCRIPTION_MAX_CHARS, false);
        v.text("policy.full_text", &p.full_text, POLICY_TEXT_MAX_CHARS, false);
        v.keywords("policy.keywords", &p.keywords);
        let (published_at_ms, effective_from_ms, expires_at_ms) = (
            p.published_at.as_ref().map(millis),
            p.effective_from.as_ref().map(millis),
            p.expires_at.as_ref().map(millis),
        );
        if let (Some(from), Some(until)) = (effective_from_ms, expires_at_ms)
            && until < from
        {
            v.add("policy.expires_at", "must not be before effective_from");
        }
        let e = p.eligibility.unwrap_or_default();
        let eligibility = Eligibility {
            organization_kinds: enum_list(
                &mut v,
                "policy.eligibility.organization_kinds",
                &e.organization_kinds,
                OrganizationKind::from_proto,
            ),
            qualifications: enum_list(
                &mut v,
                "policy.eligibility.qualifications",
                &e.qualifications,
                Qualification::from_proto,
            ),
            region_codes: e.region_codes,
            industries: e.industries,
            high_tech_fields: e.high_tech_fields,
            conditions: enum_list(&mut v, "policy.eligibility.conditions", &e.conditions, PolicyCondition::from_proto),
        };
        v.regions("policy.eligibility.region_codes", &eligibility.region_codes);
        v.industries("policy.eligibility.industries", &eligibility.industries);
        v.high_tech_fields("policy.eligibility.high_tech_fields", &eligibility.high_tech_fields);
        let b = p.benefit.unwrap_or_default();
        let kind = required_enum(&mut v, "policy.benefit.kind", b.kind, BenefitKind::from_proto);
        if b.amount_yuan < 0 {
            v.add("policy.benefit.amount_yuan", "must not be negative");
        }
        v.text("policy.benefit.description", &b.description, limits::TERMS_MAX_CHARS, false);
        v.into_result(SupportPolicy {
            meta: RecordMeta::default(),
            title: p.title.trim().to_owned(),
            issuing_department: p.issuing_department.trim().to_owned(),
            document_number: p.document_number.trim().to_owned(),
            published_at_ms,
            effective_from_ms,
            expires_at_ms,
            summary: p.summary,
            full_text: p.full_text,
            keywords: p.keywords,
            eligibility,
            benefit: Benefit { kind, amount_yuan: b.amount_yuan, description: b.description },
        })
    }
}

impl From<SupportPolicy> for pb::SupportPolicy {
    fn from(p: SupportPolicy) -> Self {
        let e = p.eligibility;
        pb::SupportPolicy {
            meta: Some(meta_to_proto(&p.meta)),
            title: p.title,
            issuing_department: p.issuing_department,
            document_number: p.document_number,
            published_at: p.published_at_ms.map(timestamp),
            effective_from: p.effective_from_ms.map(timestamp),
            expires_at: p.expires_at_ms.map(timestamp),
            summary: p.summary,
            full_text: p.full_text,
            keywords: p.keywords,
            eligibility: Some(pb::PolicyEligibility {
                organization_kinds: e.organization_kinds.into_iter().map(OrganizationKind::to_proto).collect(),
                qualifications: e.qualifications.into_iter().map(Qualification::to_proto).collect(),
                region_codes: e.region_codes,
                industries: e.industries,
                high_tech_fields: e.high_tech_fields,
                conditions: e.conditions.into_iter().map(PolicyCondition::to_proto).collect(),
            }),
            benefit: Some(pb::PolicyBenefit {
                kind: p.benefit.kind.map(BenefitKind::to_proto).unwrap_or_default(),
                amount_yuan: p.benefit.amount_yuan,
                description: p.benefit.description,
            }),
        }
    }
}

/// Validates a record of any kind, as it arrives from a client.
impl TryFrom<pb::ImportRecord> for Record {
    type Error = Violations;

    fn try_from(p: pb::ImportRecord) -> Result<Self, Violations> {
        use pb::import_record::Record as R;
        match p.record {
            Some(R::Organization(o)) => Organization::try_from(o).map(Record::Organization),
            Some(R::Need(n)) => TechNeed::try_from(n).map(Record::Need),
            Some(R::Capability(c)) => Capability::try_from(c).map(Record::Capability),
            Some(R::Offer(o)) => ServiceOffer::try_from(o).map(Record::Offer),
            Some(R::Policy(p)) => SupportPolicy::try_from(p).map(Record::Policy),
            None => Err(Violations::single("record", "must hold one record")),
        }
    }
}

impl From<Record> for pb::import_record::Record {
    fn from(record: Record) -> Self {
        use pb::import_record::Record as R;
        match record {
            Record::Organization(o) => R::Organization(o.into()),
            Record::Need(n) => R::Need(n.into()),
            Record::Capability(c) => R::Capability(c.into()),
            Record::Offer(o) => R::Offer(o.into()),
            Record::Policy(p) => R::Policy(p.into()),
        }
    }
}

impl From<Record> for pb::change_event::Record {
    fn from(record: Record) -> Self {
        use pb::change_event::Record as R;
        match record {
            Record::Organization(o) => R::Organization(o.into()),
            Record::Need(n) => R::Need(n.into()),
            Record::Capability(c) => R::Capability(c.into()),
            Record::Offer(o) => R::Offer(o.into()),
            Record::Policy(p) => R::Policy(p.into()),
        }
    }
}

/// The meta the catalog set on a record it sent (ids, owner, version,
/// status, times): kept as sent, where a client's is ignored.
fn meta_as_sent(meta: Option<&pb::RecordMeta>) -> Result<RecordMeta, Violations> {
    let mut v = Violations::new();
    let meta = meta.cloned().unwrap_or_default();
    let status = enum_field(&mut v, "meta.status", meta.status, RecordStatus::from_proto);
    v.into_result(RecordMeta {
        id: meta.id,
        organization_id: meta.organization_id,
        version: meta.version,
        status,
        created_at_ms: meta.created_at.as_ref().map(millis).unwrap_or_default(),
        updated_at_ms: meta.updated_at.as_ref().map(millis).unwrap_or_default(),
    })
}

/// A record as the catalog sent it (to a replica following it over gRPC):
/// validated as a client's would be, with the meta and the need lifecycle
/// the catalog set kept.
pub fn record_as_sent(record: pb::change_event::Record) -> Result<Record, Violations> {
    use pb::change_event::Record as R;
    Ok(match record {
        R::Organization(o) => {
            let meta = meta_as_sent(o.meta.as_ref())?;
            Record::Organization(Organization { meta, ..Organization::try_from(o)? })
        }
        R::Need(n) => {
            let meta = meta_as_sent(n.meta.as_ref())?;
            let mut v = Violations::new();
            let lifecycle = enum_field(&mut v, "need.need_status", n.need_status, NeedStatus::from_proto);
            v.into_result(())?;
            Record::Need(TechNeed { meta, lifecycle, ..TechNeed::try_from(n)? })
        }
        R::Capability(c) => {
            let meta = meta_as_sent(c.meta.as_ref())?;
            Record::Capability(Capability { meta, ..Capability::try_from(c)? })
        }
        R::Offer(o) => {
            let meta = meta_as_sent(o.meta.as_ref())?;
            Record::Offer(ServiceOffer { meta, ..ServiceOffer::try_from(o)? })
        }
        R::Policy(p) => {
            let meta = meta_as_sent(p.meta.as_ref())?;
            Record::Policy(SupportPolicy { meta, ..SupportPolicy::try_from(p)? })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(title: &str) -> pb::TechNeed {
        pb::TechNeed {
            title: title.into(),
            description: "面向绿色钢铁的氢冶金低碳炼钢中试".into(),
            keywords: vec!["氢冶金".into()],
            industries: vec!["green_steel".into()],
            high_tech_fields: vec!["new_materials.metal".into()],
            region_code: "440803".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_record_as_the_catalog_sent_it_keeps_its_meta_and_lifecycle() {
        let mut sent = TechNeed::try_from(need("氢冶金中试")).expect("valid");
        sent.meta = RecordMeta {
            id: "need_1".into(),
            organization_id: "org_1".into(),
            version: 3,
            status: Some(RecordStatus::Active),
            created_at_ms: 1_700_000_000_000,
            updated_at_ms: 1_700_000_001_000,
        };
        sent.lifecycle = Some(NeedStatus::InTalks);
        let received = record_as_sent(Record::Need(sent.clone()).into()).expect("valid");
        assert_eq!(received, Record::Need(sent));
    }

    #[test]
    fn a_valid_need_round_trips_and_defaults_to_public() {
        let domain = TechNeed::try_from(need("氢冶金中试")).expect("valid");
        assert_eq!(domain.visibility(), Visibility::Public);
        let back = pb::TechNeed::from(domain);
        assert_eq!(back.title, "氢冶金中试");
        assert_eq!(back.visibility, pb::Visibility::Public as i32);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = need("   ");
        bad.industries.push("unobtainium".into());
        bad.region_code = "999999".into();
        bad.visibility = 42;
        bad.target_trl = 12;
        bad.description = "长".repeat(limits::DESCRIPTION_MAX_CHARS + 1);
        let violations = TechNeed::try_from(bad).expect_err("invalid");
        let fields: Vec<&str> = violations.0.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "need.title",
                "need.description",
                "need.industries[1]",
                "need.target_trl",
                "need.visibility",
                "need.region_code"
            ]
        );
    }

    #[test]
    fn timestamps_round_trip_before_and_after_the_epoch() {
        for ms in [0, 1_700_000_000_123, -1_500] {
            assert_eq!(millis(&timestamp(ms)), ms);
        }
    }
}
