//! Filter tags: the taxonomy codes and enum values a record store indexes so
//! lists and counts can filter on them ("offers in category testing", "high-tech
//! enterprises"), typed so no caller spells `prefix:code` strings by hand.
//!
//! Which tags a record carries depends on the taxonomies (a district lies in
//! a city): see `Taxonomy::filter_tags`.
//!
//! The stored form (`field:…`, `industry:…`, `region:…`, `kind:…`,
//! `qualification:…`, `category:…`, `credit_code:…`, `name:…`, `need_status:…`) is what existing data directories hold:
//! it must not change.

use std::fmt;

use serde::Deserialize;

use crate::model::{CapabilityKind, NeedStatus, OrganizationKind, Qualification, ServiceCategory};

/// One thing a list or count can require of a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub enum Tag {
    /// A high-tech field code (a record in a sub-field also carries its top-level field).
    Field(String),
    /// An industry code.
    Industry(String),
    /// A region code (a record in a district also carries its city and province).
    Region(String),
    OrganizationKind(OrganizationKind),
    CapabilityKind(CapabilityKind),
    /// A qualification the organization holds a certificate for (valid or not:
    /// counts check the dates).
    Qualification(Qualification),
    Category(ServiceCategory),
    /// An organization's unified social credit code.
    CreditCode(String),
    /// An organization's normalized name (see `credit_code::name_key`).
    Name(String),
    /// Where a need stands.
    NeedStatus(NeedStatus),
}

impl Tag {
    /// Reads the stored form back (plan targets name their tags this way).
    pub fn parse(stored: &str) -> Option<Tag> {
        let (prefix, code) = stored.split_once(':')?;
        let code = code.to_owned();
        Some(match prefix {
            "field" => Tag::Field(code),
            "industry" => Tag::Industry(code),
            "region" => Tag::Region(code),
            "kind" => OrganizationKind::from_code(&code)
                .map(Tag::OrganizationKind)
                .or_else(|| CapabilityKind::from_code(&code).map(Tag::CapabilityKind))?,
            "qualification" => Tag::Qualification(Qualification::from_code(&code)?),
            "category" => Tag::Category(ServiceCategory::from_code(&code)?),
            "credit_code" => Tag::CreditCode(code),
            "name" => Tag::Name(code),
            "need_status" => Tag::NeedStatus(NeedStatus::from_code(&code)?),
            _ => return None,
        })
    }
}

/// The stored form, `prefix:code`.
impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tag::Field(code) => write!(f, "field:{code}"),
            Tag::Industry(code) => write!(f, "industry:{code}"),
            Tag::Region(code) => write!(f, "region:{code}"),
            Tag::OrganizationKind(kind) => write!(f, "kind:{kind}"),
            Tag::CapabilityKind(kind) => write!(f, "kind:{kind}"),
            Tag::Qualification(q) => write!(f, "qualification:{q}"),
            Tag::Category(c) => write!(f, "category:{c}"),
            Tag::CreditCode(code) => write!(f, "credit_code:{code}"),
            Tag::Name(key) => write!(f, "name:{key}"),
            Tag::NeedStatus(status) => write!(f, "need_status:{status}"),
        }
    }
}

impl TryFrom<String> for Tag {
    type Error = String;

    fn try_from(stored: String) -> Result<Self, Self::Error> {
        Tag::parse(&stored).ok_or_else(|| format!("unknown filter tag {stored:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_forms_read_back_as_the_same_tag() {
        let tags = [
            Tag::Field("new_materials".into()),
            Tag::Industry("green_steel".into()),
            Tag::Region("440802".into()),
            Tag::OrganizationKind(OrganizationKind::University),
            Tag::CapabilityKind(CapabilityKind::Instrument),
            Tag::Qualification(Qualification::HighTechEnterprise),
            Tag::Category(ServiceCategory::TestingInspection),
        ];
        for tag in tags {
            assert_eq!(Tag::parse(&tag.to_string()), Some(tag.clone()), "{tag}");
        }
        assert_eq!(
            Tag::parse("qualification:high_tech_enterprise"),
            Some(Tag::Qualification(Qualification::HighTechEnterprise))
        );
        assert_eq!(Tag::parse("colour:green"), None);
        assert_eq!(Tag::parse("category:telepathy"), None);
    }
}
