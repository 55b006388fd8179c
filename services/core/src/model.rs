//! Domain types of the catalog: organizations, technology needs, capabilities
//! and service offers, and the enums they use. No transport types here; see
//! `convert` for the edge between these and the generated proto messages.

use serde::{Deserialize, Serialize};

use innomatch_proto::v1 as pb;

/// Defines a closed enum with a stable lowercase code (used in storage, JSON,
/// CSV and the CLI) and its mapping to the proto enum of the same variants.
/// Exported so every service's enums share one shape. Custom rather than
/// `strum`: one declaration must give the code, the serde name (the same
/// string, kept in stored JSON) and the proto mapping together, and strum
/// covers only the first.
#[macro_export]
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident => $proto:ty { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stable lowercase code.
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some(Self::$variant),)+ _ => None }
            }

            pub fn to_proto(self) -> i32 {
                match self { $(Self::$variant => <$proto>::$variant as i32),+ }
            }

            /// `Ok(None)` for the proto's UNSPECIFIED (0), `Err` for a value the
            /// API does not define.
            pub fn from_proto(value: i32) -> Result<Option<Self>, i32> {
                $(if value == <$proto>::$variant as i32 { return Ok(Some(Self::$variant)); })+
                if value == 0 { Ok(None) } else { Err(value) }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum!(
    /// The kinds of organization the registry knows.
    OrganizationKind => pb::OrganizationKind {
        Enterprise = "enterprise",
        University = "university",
        Laboratory = "laboratory",
        ResearchInstitute = "research_institute",
        IntermediaryAgency = "intermediary_agency",
        Incubator = "incubator",
        FinancialInstitution = "financial_institution",
    }
);

impl OrganizationKind {
    /// The Simplified Chinese label shown to people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Enterprise => "企业",
            Self::University => "高校",
            Self::Laboratory => "实验室",
            Self::ResearchInstitute => "科研院所",
            Self::IntermediaryAgency => "科技中介服务机构",
            Self::Incubator => "孵化器",
            Self::FinancialInstitution => "金融机构",
        }
    }

    /// Universities, labs and institutes: the academic side of a consortium.
    pub fn is_academic(self) -> bool {
        matches!(self, Self::University | Self::Laboratory | Self::ResearchInstitute)
    }
}

code_enum!(
    /// Qualifications an organization may hold.
    Qualification => pb::Qualification {
        HighTechEnterprise = "high_tech_enterprise",
        TechSme = "tech_sme",
        SpecializedSme = "specialized_sme",
        NationalIncubator = "national_incubator",
        MakerSpace = "maker_space",
        KeyLaboratory = "key_laboratory",
        EngineeringCenter = "engineering_center",
        Incubator = "incubator",
        Incubatee = "incubatee",
        InnovationTeam = "innovation_team",
        HighLevelTalent = "high_level_talent",
        InventionPatent = "invention_patent",
        UniversitySciencePark = "university_science_park",
        Accelerator = "accelerator",
    }
);

impl Qualification {
    /// The Simplified Chinese name shown to people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::HighTechEnterprise => "高新技术企业",
            Self::TechSme => "科技型中小企业",
            Self::SpecializedSme => "专精特新中小企业",
            Self::NationalIncubator => "国家级科技企业孵化器",
            Self::MakerSpace => "众创空间",
            Self::KeyLaboratory => "重点实验室",
            Self::EngineeringCenter => "工程技术研究中心",
            Self::Incubator => "科技企业孵化器",
            Self::Incubatee => "在孵企业（团队）",
            Self::InnovationTeam => "创新团队",
            Self::HighLevelTalent => "高层次人才",
            Self::InventionPatent => "发明专利",
            Self::UniversitySciencePark => "大学科技园",
            Self::Accelerator => "科技企业加速器",
        }
    }

    /// True when an organization may hold many certificates of this kind at
    /// once, one per team, person or patent (each counted in the plan's
    /// figures); false when a newer certificate replaces the older one.
    pub fn counts_per_certificate(self) -> bool {
        matches!(self, Self::InnovationTeam | Self::HighLevelTalent | Self::InventionPatent)
    }
}

code_enum!(
    /// Who may see a technology need.
    Visibility => pb::Visibility {
        Public = "public",
        Anonymous = "anonymous",
        Private = "private",
    }
);

code_enum!(
    /// Lifecycle of a catalog record.
    RecordStatus => pb::RecordStatus {
        Active = "active",
        Closed = "closed",
        Archived = "archived",
    }
);

code_enum!(
    /// Where a need stands: open and in talks are active, the rest closed.
    NeedStatus => pb::NeedStatus {
        Open = "open",
        InTalks = "in_talks",
        Fulfilled = "fulfilled",
        Withdrawn = "withdrawn",
        Expired = "expired",
    }
);

impl NeedStatus {
    /// True for the states a need never leaves.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Fulfilled | Self::Withdrawn | Self::Expired)
    }

    /// The record status a need in this state has.
    pub fn record_status(self) -> RecordStatus {
        if self.is_closed() { RecordStatus::Closed } else { RecordStatus::Active }
    }

    /// The Simplified Chinese label shown to people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Open => "征集中",
            Self::InTalks => "洽谈中",
            Self::Fulfilled => "已解决",
            Self::Withdrawn => "已撤回",
            Self::Expired => "已过期",
        }
    }
}

code_enum!(
    /// How an enterprise wants to cooperate on a need.
    CooperationMode => pb::CooperationMode {
        TechTransfer = "tech_transfer",
        TechLicensing = "tech_licensing",
        JointDevelopment = "joint_development",
        CommissionedDevelopment = "commissioned_development",
        TechConsulting = "tech_consulting",
        TechService = "tech_service",
        JointPlatform = "joint_platform",
        EquipmentSharing = "equipment_sharing",
    }
);

code_enum!(
    /// What a capability record describes.
    CapabilityKind => pb::CapabilityKind {
        ResearchDirection = "research_direction",
        Achievement = "achievement",
        Patent = "patent",
        Instrument = "instrument",
        Team = "team",
        Platform = "platform",
    }
);

code_enum!(
    /// The ten kinds of intermediary service.
    ServiceCategory => pb::ServiceCategory {
        Consulting = "consulting",
        Training = "training",
        ResourceMatching = "resource_matching",
        InnovationEvents = "innovation_events",
        TechEvaluationTransaction = "tech_evaluation_transaction",
        RdCrowdsourcing = "rd_crowdsourcing",
        TestingInspection = "testing_inspection",
        PolicyServices = "policy_services",
        IntellectualProperty = "intellectual_property",
        TechFinance = "tech_finance",
    }
);

code_enum!(
    /// The four kinds of catalog record.
    RecordKind => pb::RecordKind {
        Organization = "organization",
        Need = "need",
        Capability = "capability",
        ServiceOffer = "offer",
        Policy = "policy",
    }
);

code_enum!(
    /// What a committed change did to its record.
    ChangeOperation => pb::ChangeOperation {
        Created = "created",
        Updated = "updated",
        Archived = "archived",
    }
);

/// Server-maintained metadata of every record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RecordMeta {
    pub id: String,
    /// The owning organization; an organization owns itself.
    pub organization_id: String,
    pub version: i64,
    pub status: Option<RecordStatus>,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl RecordMeta {
    pub fn status(&self) -> RecordStatus {
        self.status.unwrap_or(RecordStatus::Active)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Organization {
    pub meta: RecordMeta,
    pub name: String,
    pub kind: Option<OrganizationKind>,
    pub region_code: String,
    pub industries: Vec<String>,
    pub high_tech_fields: Vec<String>,
    /// Verified by an admin; nothing else makes an organization qualified.
    pub qualification_certificates: Vec<QualificationCertificate>,
    pub description: String,
    pub website: String,
    pub credit_code: String,
    /// Contact details, shown only to the organization itself, admins and
    /// parties of an approved expression of interest.
    pub contact: Contact,
    /// When the organization moved its registration into the city (整体迁入),
    /// as an admin verified it; `None` when it was founded here or nobody
    /// recorded a move.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relocated_into_city_ms: Option<i64>,
}

/// How to reach an organization (联系人, 电话, 邮箱).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    pub person: String,
    pub phone: String,
    pub email: String,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        self.person.is_empty() && self.phone.is_empty() && self.email.is_empty()
    }
}

/// A qualification an admin verified, with its certificate and validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualificationCertificate {
    pub qualification: Qualification,
    pub certificate_number: String,
    /// Milliseconds since the Unix epoch: the first and the last instant of validity.
    pub valid_from_ms: i64,
    pub valid_until_ms: i64,
    /// The certificate was granted after the bureau recommended the
    /// organization for recognition (推荐认定); set by an admin.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recommended_by_bureau: bool,
}

impl QualificationCertificate {
    pub fn new(
        qualification: Qualification,
        certificate_number: &str,
        valid_from_ms: i64,
        valid_until_ms: i64,
    ) -> Self {
        Self {
            qualification,
            certificate_number: certificate_number.to_owned(),
            valid_from_ms,
            valid_until_ms,
            recommended_by_bureau: false,
        }
    }

    /// True when the certificate is valid at `at_ms`.
    pub fn is_valid_at(&self, at_ms: i64) -> bool {
        self.valid_from_ms <= at_ms && at_ms <= self.valid_until_ms
    }
}

impl Organization {
    /// The kind; validation guarantees it is set on every stored organization.
    pub fn kind(&self) -> OrganizationKind {
        self.kind.unwrap_or(OrganizationKind::Enterprise)
    }

    /// The qualifications whose certificates are valid at `at_ms`, in order, once each.
    pub fn qualifications_at(&self, at_ms: i64) -> Vec<Qualification> {
        let mut valid: Vec<Qualification> =
            self.qualification_certificates.iter().filter(|c| c.is_valid_at(at_ms)).map(|c| c.qualification).collect();
        valid.sort_unstable();
        valid.dedup();
        valid
    }

    /// True when the organization holds `qualification` with a certificate valid at `at_ms`.
    pub fn is_qualified(&self, qualification: Qualification, at_ms: i64) -> bool {
        self.qualification_certificates.iter().any(|c| c.qualification == qualification && c.is_valid_at(at_ms))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredCompetency {
    pub name: String,
    /// 1..=10.
    pub weight: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MoneyRange {
    pub min_yuan: i64,
    /// 0 means open-ended.
    pub max_yuan: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TechNeed {
    pub meta: RecordMeta,
    pub title: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub competencies: Vec<RequiredCompetency>,
    pub high_tech_fields: Vec<String>,
    pub industries: Vec<String>,
    pub cooperation_modes: Vec<CooperationMode>,
    /// 1..=9, 0 = unspecified.
    pub target_trl: u32,
    pub budget: MoneyRange,
    /// Milliseconds since the Unix epoch.
    pub deadline_ms: Option<i64>,
    pub visibility: Option<Visibility>,
    pub region_code: String,
    /// Set by the catalog; `None` on needs stored before needs had a lifecycle.
    pub lifecycle: Option<NeedStatus>,
}

impl TechNeed {
    pub fn visibility(&self) -> Visibility {
        self.visibility.unwrap_or(Visibility::Public)
    }

    /// Where the need stands. A need stored without a lifecycle is open while
    /// active and withdrawn once closed.
    pub fn need_status(&self) -> NeedStatus {
        self.lifecycle.unwrap_or(match self.meta.status() {
            RecordStatus::Closed => NeedStatus::Withdrawn,
            _ => NeedStatus::Open,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Capability {
    pub meta: RecordMeta,
    pub kind: Option<CapabilityKind>,
    pub title: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub high_tech_fields: Vec<String>,
    pub industries: Vec<String>,
    /// 1..=9, 0 = unspecified.
    pub trl: u32,
    pub available_for_sharing: bool,
    pub reference: String,
    pub region_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceOffer {
    pub meta: RecordMeta,
    pub category: Option<ServiceCategory>,
    pub title: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub regions_served: Vec<String>,
    pub industries_served: Vec<String>,
    pub terms: String,
    pub monthly_capacity: u32,
}

code_enum!(
    /// What a support policy gives.
    BenefitKind => pb::BenefitKind {
        Subsidy = "subsidy",
        Reward = "reward",
        LoanRiskCompensation = "loan_risk_compensation",
        PlatformDesignation = "platform_designation",
        TalentProgramme = "talent_programme",
        TaxIncentive = "tax_incentive",
    }
);

impl BenefitKind {
    /// The Simplified Chinese label shown to people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Subsidy => "资金补助",
            Self::Reward => "奖励",
            Self::LoanRiskCompensation => "贷款风险补偿",
            Self::PlatformDesignation => "平台认定",
            Self::TalentProgramme => "人才计划",
            Self::TaxIncentive => "税收优惠",
        }
    }
}

code_enum!(
    /// A typed eligibility condition of a support policy, beyond kinds,
    /// qualifications, regions and fields (see `catalog::policy` for how
    /// each is decided).
    PolicyCondition => pb::PolicyCondition {
        RelocatedWithHighTech = "relocated_with_high_tech",
        RecommendedHighTech = "recommended_high_tech",
        NewlyRecognisedHighTech = "newly_recognised_high_tech",
    }
);

impl PolicyCondition {
    /// The Simplified Chinese label shown to people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::RelocatedWithHighTech => "整体迁入本市且持有有效高新技术企业证书",
            Self::RecommendedHighTech => "经市科技局推荐认定为高新技术企业",
            Self::NewlyRecognisedHighTech => "政策生效后新认定为高新技术企业",
        }
    }
}

/// Who a support policy is for. Every list that is not empty must be met
/// (any one of its values); an empty list asks nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Eligibility {
    pub organization_kinds: Vec<OrganizationKind>,
    /// Each must be held with a certificate valid on the day asked about.
    pub qualifications: Vec<Qualification>,
    /// Region codes; a city matches its districts.
    pub region_codes: Vec<String>,
    pub industries: Vec<String>,
    /// High-tech field codes; a top-level field matches its sub-fields.
    pub high_tech_fields: Vec<String>,
    pub conditions: Vec<PolicyCondition>,
}

/// What a support policy gives.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Benefit {
    pub kind: Option<BenefitKind>,
    /// Yuan; 0 when the benefit is no fixed sum (a designation, a share of losses).
    pub amount_yuan: i64,
    /// How it is given, in the policy's words (e.g. 一次性奖励30万元).
    pub description: String,
}

/// A support policy (扶持政策) of the bureau: the document, who is eligible
/// and what it gives. Owned by no organization; only admins write policies.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SupportPolicy {
    pub meta: RecordMeta,
    pub title: String,
    pub issuing_department: String,
    /// e.g. 湛科〔2023〕12号.
    pub document_number: String,
    /// Milliseconds since the Unix epoch.
    pub published_at_ms: Option<i64>,
    pub effective_from_ms: Option<i64>,
    /// The last instant the policy applies; `None`: until withdrawn.
    pub expires_at_ms: Option<i64>,
    pub summary: String,
    pub full_text: String,
    pub keywords: Vec<String>,
    pub eligibility: Eligibility,
    pub benefit: Benefit,
}

impl SupportPolicy {
    /// True when the policy is active, effective and not expired at `at_ms`.
    pub fn in_force_at(&self, at_ms: i64) -> bool {
        self.meta.status() == RecordStatus::Active
            && self.effective_from_ms.is_none_or(|from| from <= at_ms)
            && self.expires_at_ms.is_none_or(|until| at_ms <= until)
    }
}

/// Any catalog record. Serialized with a `type` tag, which is also the shape
/// of a line in a JSONL import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Organization(Organization),
    Need(TechNeed),
    Capability(Capability),
    Offer(ServiceOffer),
    Policy(SupportPolicy),
}

impl Record {
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Organization(_) => RecordKind::Organization,
            Record::Need(_) => RecordKind::Need,
            Record::Capability(_) => RecordKind::Capability,
            Record::Offer(_) => RecordKind::ServiceOffer,
            Record::Policy(_) => RecordKind::Policy,
        }
    }

    pub fn meta(&self) -> &RecordMeta {
        match self {
            Record::Organization(r) => &r.meta,
            Record::Need(r) => &r.meta,
            Record::Capability(r) => &r.meta,
            Record::Offer(r) => &r.meta,
            Record::Policy(r) => &r.meta,
        }
    }

    pub fn meta_mut(&mut self) -> &mut RecordMeta {
        match self {
            Record::Organization(r) => &mut r.meta,
            Record::Need(r) => &mut r.meta,
            Record::Capability(r) => &mut r.meta,
            Record::Offer(r) => &mut r.meta,
            Record::Policy(r) => &mut r.meta,
        }
    }

    /// Only needs can be hidden; every other record is public.
    pub fn visibility(&self) -> Visibility {
        match self {
            Record::Need(need) => need.visibility(),
            _ => Visibility::Public,
        }
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

code_enum!(
    /// What an API token may do.
    Role => pb::Role {
        Member = "member",
        Agency = "agency",
        Admin = "admin",
    }
);
