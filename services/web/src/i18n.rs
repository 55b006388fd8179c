//! The language of a page: Simplified Chinese first, English on request
//! (the `im_lang` cookie, set by the toggle in the header). Texts stay next
//! to the markup that shows them, as `lang.t("中文", "English")`.

use innomatch_core::model::{
    CapabilityKind, CooperationMode, OrganizationKind, RecordKind, Role, ServiceCategory, Visibility,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The `lang` attribute of the page.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other language, for the toggle.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub fn role(self, role: Role) -> &'static str {
        match role {
            Role::Member => self.t("成员", "member"),
            Role::Agency => self.t("中介机构", "agency"),
            Role::Admin => self.t("管理员（科技局）", "admin (bureau)"),
        }
    }

    pub fn record_kind(self, kind: RecordKind) -> &'static str {
        match kind {
            RecordKind::Organization => self.t("机构", "organization"),
            RecordKind::Need => self.t("技术需求", "need"),
            RecordKind::Capability => self.t("科技能力", "capability"),
            RecordKind::ServiceOffer => self.t("服务产品", "service offer"),
            RecordKind::Policy => self.t("扶持政策", "support policy"),
        }
    }

    pub fn organization_kind(self, kind: OrganizationKind) -> &'static str {
        match kind {
            OrganizationKind::Enterprise => self.t("企业", "enterprise"),
            OrganizationKind::University => self.t("高校", "university"),
            OrganizationKind::Laboratory => self.t("实验室", "laboratory"),
            OrganizationKind::ResearchInstitute => self.t("科研院所", "research institute"),
            OrganizationKind::IntermediaryAgency => self.t("科技中介机构", "intermediary agency"),
            OrganizationKind::Incubator => self.t("孵化器", "incubator"),
            OrganizationKind::FinancialInstitution => self.t("金融机构", "financial institution"),
        }
    }

    pub fn capability_kind(self, kind: CapabilityKind) -> &'static str {
        match kind {
            CapabilityKind::ResearchDirection => self.t("研究方向", "research direction"),
            CapabilityKind::Achievement => self.t("科技成果", "achievement"),
            CapabilityKind::Patent => self.t("专利", "patent"),
            CapabilityKind::Instrument => self.t("仪器设备", "instrument"),
            CapabilityKind::Team => self.t("团队", "team"),
            CapabilityKind::Platform => self.t("平台", "platform"),
        }
    }

    pub fn cooperation_mode(self, mode: CooperationMode) -> &'static str {
        match mode {
            CooperationMode::TechTransfer => self.t("技术转让", "technology transfer"),
            CooperationMode::TechLicensing => self.t("技术许可", "licensing"),
            CooperationMode::JointDevelopment => self.t("联合研发", "joint development"),
            CooperationMode::CommissionedDevelopment => self.t("委托开发", "commissioned development"),
            CooperationMode::TechConsulting => self.t("技术咨询", "consulting"),
            CooperationMode::TechService => self.t("技术服务", "technical service"),
            CooperationMode::JointPlatform => self.t("共建平台", "joint platform"),
            CooperationMode::EquipmentSharing => self.t("仪器共享", "equipment sharing"),
        }
    }

    pub fn visibility(self, visibility: Visibility) -> &'static str {
        match visibility {
            Visibility::Public => self.t("公开", "public"),
            Visibility::Anonymous => self.t("匿名（隐藏发布单位）", "anonymous (owner hidden)"),
            Visibility::Private => self.t("不公开（仅本单位可见）", "private (own organization only)"),
        }
    }

    pub fn service_category(self, category: ServiceCategory) -> &'static str {
        match category {
            ServiceCategory::Consulting => self.t("科技咨询", "consulting"),
            ServiceCategory::Training => self.t("科技培训", "training"),
            ServiceCategory::ResourceMatching => self.t("资源对接", "resource matching"),
            ServiceCategory::InnovationEvents => self.t("创新活动", "innovation events"),
            ServiceCategory::TechEvaluationTransaction => self.t("技术评估与交易", "evaluation and transaction"),
            ServiceCategory::RdCrowdsourcing => self.t("研发众包", "R&D crowdsourcing"),
            ServiceCategory::TestingInspection => self.t("检验检测", "testing and inspection"),
            ServiceCategory::PolicyServices => self.t("政策服务", "policy services"),
            ServiceCategory::IntellectualProperty => self.t("知识产权", "intellectual property"),
            ServiceCategory::TechFinance => self.t("科技金融", "technology finance"),
        }
    }

    /// A field's violation as the domain words it, in English, with a
    /// Chinese lead-in on Chinese pages (the domain's messages are English).
    pub fn violation(self, description: &str) -> String {
        match self {
            Lang::Zh => format!("填写有误：{description}"),
            Lang::En => description.to_owned(),
        }
    }
}
