//! Chinese labels for the codes the CLI prints in human output: the web
//! console's labels (`innomatch_web::i18n`) and the taxonomy's names, so the
//! terminal and the browser say the same words.

use innomatch_core::{
    model::{
        CapabilityKind, ChangeOperation, CooperationMode, NeedStatus, OrganizationKind, RecordKind, ServiceCategory,
        Visibility,
    },
    taxonomy::Taxonomy,
};
use innomatch_proto::v1 as pb;
use innomatch_web::i18n::Lang;

/// A region code as its name (湛江市), or the code itself when unknown.
pub fn region(code: &str) -> String {
    Taxonomy::get().region(code).map(|r| r.name.clone()).unwrap_or_else(|| code.to_owned())
}

/// Region codes as names, joined with 、.
pub fn regions(codes: &[String]) -> String {
    codes.iter().map(|c| region(c)).collect::<Vec<_>>().join("、")
}

/// A region the user typed: a code, or a name the taxonomy knows (湛江 → 440800).
pub fn region_code(text: &str) -> String {
    let taxonomy = Taxonomy::get();
    if taxonomy.region(text).is_some() {
        return text.to_owned();
    }
    taxonomy.find_region(text).map(|r| r.code.clone()).unwrap_or_else(|| text.to_owned())
}

/// Industry chain codes as names (green_steel → 绿色钢铁), joined with 、.
pub fn industries(codes: &[String]) -> String {
    let taxonomy = Taxonomy::get();
    codes
        .iter()
        .map(|c| taxonomy.industry(c).map(|i| i.name.clone()).unwrap_or_else(|| c.clone()))
        .collect::<Vec<_>>()
        .join("、")
}

/// High-tech field codes as names, joined with 、.
pub fn fields(codes: &[String]) -> String {
    let taxonomy = Taxonomy::get();
    codes
        .iter()
        .map(|c| taxonomy.high_tech_field(c).map(|f| f.name.clone()).unwrap_or_else(|| c.clone()))
        .collect::<Vec<_>>()
        .join("、")
}

pub fn organization_kind(value: i32) -> &'static str {
    OrganizationKind::from_proto(value).ok().flatten().map(|k| Lang::Zh.organization_kind(k)).unwrap_or("?")
}

pub fn capability_kind(value: i32) -> &'static str {
    CapabilityKind::from_proto(value).ok().flatten().map(|k| Lang::Zh.capability_kind(k)).unwrap_or("?")
}

pub fn service_category(value: i32) -> &'static str {
    ServiceCategory::from_proto(value).ok().flatten().map(|c| Lang::Zh.service_category(c)).unwrap_or("?")
}

pub fn record_kind(value: i32) -> &'static str {
    RecordKind::from_proto(value).ok().flatten().map(|k| Lang::Zh.record_kind(k)).unwrap_or("?")
}

/// What a change did, for the change feed.
pub fn change_operation(value: i32) -> &'static str {
    match ChangeOperation::from_proto(value).ok().flatten() {
        Some(ChangeOperation::Created) => "新建",
        Some(ChangeOperation::Updated) => "更新",
        Some(ChangeOperation::Archived) => "归档",
        None => "?",
    }
}

pub fn visibility(value: i32) -> &'static str {
    Visibility::from_proto(value).ok().flatten().map(|v| Lang::Zh.visibility(v)).unwrap_or("?")
}

pub fn need_status(value: i32) -> &'static str {
    NeedStatus::from_proto(value).ok().flatten().map(NeedStatus::label_zh).unwrap_or("")
}

/// Cooperation modes as labels, joined with 、.
pub fn cooperation_modes(values: &[i32]) -> String {
    values
        .iter()
        .filter_map(|m| CooperationMode::from_proto(*m).ok().flatten())
        .map(|m| Lang::Zh.cooperation_mode(m))
        .collect::<Vec<_>>()
        .join("、")
}

/// Where a partner is, as the matcher tiers it (the proto's comments).
pub fn region_tier(value: i32) -> &'static str {
    match pb::RegionTier::try_from(value).unwrap_or_default() {
        pb::RegionTier::City => "湛江市内",
        pb::RegionTier::GreaterBayArea => "粤港澳大湾区",
        pb::RegionTier::Hainan => "海南",
        pb::RegionTier::Guangdong => "省内其他地区",
        pb::RegionTier::China => "国内其他地区",
        pb::RegionTier::Unspecified => "未知",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_chinese_names() {
        assert_eq!(region("440800"), "湛江市");
        assert_eq!(region_code("湛江"), "440800");
        assert_eq!(industries(&["green_steel".to_owned()]), "绿色钢铁");
        assert_eq!(region_tier(pb::RegionTier::City as i32), "湛江市内");
        assert_eq!(capability_kind(pb::CapabilityKind::Instrument as i32), "仪器设备");
    }
}
