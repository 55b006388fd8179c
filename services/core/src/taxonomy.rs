//! The registry's taxonomies — high-tech fields, industry chains, regions and
//! service categories — loaded once from the TOML files in `taxonomy/`.
//!
//! Codes on records are checked against these tables at the edge, so the rest
//! of the system can trust that every code it sees exists. The filter tags a
//! record carries ([`Taxonomy::filter_tags`]) come from here too: a district
//! lies in a city, a sub-field in its field.

use std::{collections::HashMap, sync::LazyLock};

use serde::Deserialize;

use crate::{
    model::{Qualification, Record, ServiceCategory},
    tag::Tag,
};

/// A high-tech field or sub-field (国家重点支持的高新技术领域).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HighTechField {
    /// `field` or `field.sub_field`.
    pub code: String,
    pub name: String,
    /// The top-level field's code (equal to `code` for a top-level field).
    pub top_level: String,
}

/// Where an industry chain sits in the city's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndustryGroup {
    Pillar,
    Emerging,
    Traditional,
    Agricultural,
}

/// One of the city's industry chains.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Industry {
    pub code: String,
    pub group: IndustryGroup,
    pub name: String,
    /// Domain words that identify the chain in free text.
    pub terms: Vec<String>,
    /// Positions upstream of the chain: what its firms buy (球团 and 氢气供应 for green steel).
    #[serde(default)]
    pub upstream: Vec<String>,
    /// Positions downstream: who uses its products.
    #[serde(default)]
    pub downstream: Vec<String>,
}

/// The plan's preference order for partner locations, nearest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionTier {
    City,
    GreaterBayArea,
    Hainan,
    Guangdong,
    China,
}

/// An administrative division.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub tier: RegionTier,
    #[serde(default)]
    pub parent: Option<String>,
}

/// A service category with the phrases that suggest it in a need's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCategoryInfo {
    pub category: ServiceCategory,
    pub name: String,
    pub triggers: Vec<String>,
}

/// How the registry counts a plan target (see `taxonomy/plan_targets.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanMeasure {
    /// Active organizations holding a valid certificate of any of the qualifications.
    Organizations,
    /// Valid certificates of the qualifications (one per team, person or patent).
    Certificates,
    /// Valid certificates per 10,000 residents.
    #[serde(rename = "per_10k_people")]
    Per10kPeople,
    /// Districts and counties with at least one organization holding one.
    DistrictsCovered,
}

/// A target of the plan with its 2025 figure and how to count it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlanTarget {
    pub key: String,
    pub label: String,
    /// 0 where the figure is a rate (`rate_target`) or every district.
    pub target: u64,
    pub measure: PlanMeasure,
    pub qualifications: Vec<Qualification>,
    /// Only certificates first valid on or after this day (YYYY-MM-DD).
    #[serde(default)]
    pub issued_since: Option<String>,
    /// The plan's rate for `Per10kPeople`.
    #[serde(default)]
    pub rate_target: Option<f64>,
}

/// All taxonomies, indexed by code.
#[derive(Debug)]
pub struct Taxonomy {
    fields: HashMap<String, HighTechField>,
    industries: Vec<Industry>,
    regions: HashMap<String, Region>,
    categories: Vec<ServiceCategoryInfo>,
    plan_targets: Vec<PlanTarget>,
    population: std::collections::BTreeMap<String, u64>,
}

static TAXONOMY: LazyLock<Taxonomy> = LazyLock::new(|| {
    // The files ship inside the binary and a unit test parses them, so a
    // failure here is a build defect, not an input error.
    Taxonomy::parse(
        include_str!("../taxonomy/high_tech_fields.toml"),
        include_str!("../taxonomy/industries.toml"),
        include_str!("../taxonomy/regions.toml"),
        include_str!("../taxonomy/service_categories.toml"),
        include_str!("../taxonomy/plan_targets.toml"),
    )
    .expect("embedded taxonomy files are valid")
});

#[derive(Deserialize)]
struct FieldsFile {
    field: Vec<FieldEntry>,
}
#[derive(Deserialize)]
struct FieldEntry {
    code: String,
    name: String,
    #[serde(default)]
    sub: Vec<SubFieldEntry>,
}
#[derive(Deserialize)]
struct SubFieldEntry {
    code: String,
    name: String,
}
#[derive(Deserialize)]
struct IndustriesFile {
    industry: Vec<Industry>,
}
#[derive(Deserialize)]
struct RegionsFile {
    region: Vec<Region>,
}
#[derive(Deserialize)]
struct PlanFile {
    target: Vec<PlanTarget>,
    population: std::collections::BTreeMap<String, u64>,
}
#[derive(Deserialize)]
struct CategoriesFile {
    category: Vec<CategoryEntry>,
}
#[derive(Deserialize)]
struct CategoryEntry {
    code: String,
    name: String,
    triggers: Vec<String>,
}

impl Taxonomy {
    /// Every tag a record carries, sorted, without duplicates.
    pub fn filter_tags(&self, record: &Record) -> Vec<Tag> {
        let taxonomy = self;
        let mut tags = Vec::new();
        let fields = |codes: &[String], tags: &mut Vec<Tag>| {
            for code in codes {
                tags.push(Tag::Field(code.clone()));
                if let Some(field) = taxonomy.high_tech_field(code)
                    && field.top_level != *code
                {
                    tags.push(Tag::Field(field.top_level.clone()));
                }
            }
        };
        let region = |code: &str, tags: &mut Vec<Tag>| {
            tags.extend(taxonomy.region_with_ancestors(code).into_iter().map(|r| Tag::Region(r.code.clone())));
        };
        let industries = |codes: &[String], tags: &mut Vec<Tag>| tags.extend(codes.iter().cloned().map(Tag::Industry));
        match record {
            Record::Organization(org) => {
                fields(&org.high_tech_fields, &mut tags);
                industries(&org.industries, &mut tags);
                region(&org.region_code, &mut tags);
                tags.push(Tag::OrganizationKind(org.kind()));
                tags.extend(org.qualification_certificates.iter().map(|c| Tag::Qualification(c.qualification)));
                if !org.credit_code.is_empty() {
                    tags.push(Tag::CreditCode(org.credit_code.clone()));
                }
                tags.push(Tag::Name(crate::credit_code::name_key(&org.name)));
            }
            Record::Need(need) => {
                tags.push(Tag::NeedStatus(need.need_status()));
                fields(&need.high_tech_fields, &mut tags);
                industries(&need.industries, &mut tags);
                region(&need.region_code, &mut tags);
            }
            Record::Capability(cap) => {
                fields(&cap.high_tech_fields, &mut tags);
                industries(&cap.industries, &mut tags);
                region(&cap.region_code, &mut tags);
                tags.extend(cap.kind.map(Tag::CapabilityKind));
            }
            Record::Offer(offer) => {
                industries(&offer.industries_served, &mut tags);
                for code in &offer.regions_served {
                    region(code, &mut tags);
                }
                tags.extend(offer.category.map(Tag::Category));
            }
            Record::Policy(policy) => {
                fields(&policy.eligibility.high_tech_fields, &mut tags);
                industries(&policy.eligibility.industries, &mut tags);
                for code in &policy.eligibility.region_codes {
                    region(code, &mut tags);
                }
                tags.extend(policy.eligibility.organization_kinds.iter().copied().map(Tag::OrganizationKind));
                tags.extend(policy.eligibility.qualifications.iter().copied().map(Tag::Qualification));
            }
        }
        // Sorted by the stored form, as stores and tests have always seen them.
        tags.sort_unstable_by_key(Tag::to_string);
        tags.dedup();
        tags
    }

    /// The process-wide taxonomy built from the embedded files.
    pub fn get() -> &'static Taxonomy {
        &TAXONOMY
    }

    fn parse(fields: &str, industries: &str, regions: &str, categories: &str, plan: &str) -> Result<Self, String> {
        let fields_file: FieldsFile = toml::from_str(fields).map_err(|e| format!("high_tech_fields: {e}"))?;
        let mut field_map = HashMap::new();
        for field in fields_file.field {
            for sub in &field.sub {
                let code = format!("{}.{}", field.code, sub.code);
                field_map.insert(
                    code.clone(),
                    HighTechField { code, name: sub.name.clone(), top_level: field.code.clone() },
                );
            }
            field_map.insert(
                field.code.clone(),
                HighTechField { code: field.code.clone(), name: field.name, top_level: field.code },
            );
        }
        let industries: IndustriesFile = toml::from_str(industries).map_err(|e| format!("industries: {e}"))?;
        let regions_file: RegionsFile = toml::from_str(regions).map_err(|e| format!("regions: {e}"))?;
        let regions: HashMap<String, Region> = regions_file.region.into_iter().map(|r| (r.code.clone(), r)).collect();
        for region in regions.values() {
            if let Some(parent) = &region.parent
                && !regions.contains_key(parent)
            {
                return Err(format!("region {} has unknown parent {parent}", region.code));
            }
        }
        let categories_file: CategoriesFile =
            toml::from_str(categories).map_err(|e| format!("service_categories: {e}"))?;
        let mut categories = Vec::new();
        for entry in categories_file.category {
            let category = ServiceCategory::from_code(&entry.code.to_ascii_lowercase())
                .ok_or_else(|| format!("unknown service category {}", entry.code))?;
            categories.push(ServiceCategoryInfo { category, name: entry.name, triggers: entry.triggers });
        }
        let plan: PlanFile = toml::from_str(plan).map_err(|e| format!("plan_targets: {e}"))?;
        for code in plan.population.keys() {
            if !regions.contains_key(code) {
                return Err(format!("plan_targets: population of unknown region {code}"));
            }
        }
        Ok(Self {
            fields: field_map,
            industries: industries.industry,
            regions,
            categories,
            plan_targets: plan.target,
            population: plan.population,
        })
    }

    pub fn high_tech_field(&self, code: &str) -> Option<&HighTechField> {
        self.fields.get(code)
    }

    pub fn industry(&self, code: &str) -> Option<&Industry> {
        self.industries.iter().find(|i| i.code == code)
    }

    /// Every high-tech field and sub-field, by code (a field before its sub-fields).
    pub fn high_tech_fields(&self) -> Vec<&HighTechField> {
        let mut fields: Vec<&HighTechField> = self.fields.values().collect();
        fields.sort_by(|a, b| a.code.cmp(&b.code));
        fields
    }

    /// Every region, by code.
    pub fn regions(&self) -> Vec<&Region> {
        let mut regions: Vec<&Region> = self.regions.values().collect();
        regions.sort_by(|a, b| a.code.cmp(&b.code));
        regions
    }

    pub fn industries(&self) -> &[Industry] {
        &self.industries
    }

    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions.get(code)
    }

    /// A region by code, by exact name, or by the start of exactly one name
    /// ("湛江" finds 湛江市), for people typing on the command line.
    pub fn find_region(&self, text: &str) -> Option<&Region> {
        if let Some(region) = self.regions.get(text) {
            return Some(region);
        }
        if let Some(region) = self.regions.values().find(|r| r.name == text) {
            return Some(region);
        }
        let mut candidates = self.regions.values().filter(|r| r.name.starts_with(text));
        match (candidates.next(), candidates.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }

    /// The code itself followed by every enclosing region, innermost first.
    pub fn region_with_ancestors(&self, code: &str) -> Vec<&Region> {
        let mut chain = Vec::new();
        let mut next = self.regions.get(code);
        while let Some(region) = next {
            // A cycle in the data would loop forever; the chain is at most a few deep.
            if chain.len() > 8 {
                break;
            }
            chain.push(region);
            next = region.parent.as_deref().and_then(|p| self.regions.get(p));
        }
        chain
    }

    /// Every target of the plan, in the plan's order.
    pub fn plan_targets(&self) -> &[PlanTarget] {
        &self.plan_targets
    }

    /// The resident population of a district or county, for per-10,000 figures.
    pub fn population(&self, region_code: &str) -> Option<u64> {
        self.population.get(region_code).copied()
    }

    /// The districts and counties of a city, in code order.
    pub fn districts_of(&self, city_code: &str) -> Vec<&Region> {
        self.regions().into_iter().filter(|r| r.parent.as_deref() == Some(city_code)).collect()
    }

    pub fn service_categories(&self) -> &[ServiceCategoryInfo] {
        &self.categories
    }

    /// Every domain word the taxonomies know (industry terms, field and
    /// category names), for the search analyzer's dictionary.
    pub fn domain_terms(&self) -> Vec<&str> {
        let mut terms: Vec<&str> = self
            .industries
            .iter()
            .flat_map(|i| std::iter::once(i.name.as_str()).chain(i.terms.iter().map(String::as_str)))
            .chain(
                self.categories
                    .iter()
                    .flat_map(|c| std::iter::once(c.name.as_str()).chain(c.triggers.iter().map(String::as_str))),
            )
            .collect();
        terms.sort_unstable();
        terms.dedup();
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Organization, OrganizationKind, ServiceOffer};

    #[test]
    fn embedded_taxonomies_parse_and_cover_the_plan() {
        let taxonomy = Taxonomy::get();
        let top_level = taxonomy.fields.values().filter(|f| f.code == f.top_level).count();
        assert_eq!(top_level, 8, "the eight national high-tech fields");
        assert_eq!(taxonomy.service_categories().len(), 10);
        let targets: Vec<u64> = taxonomy.plan_targets().iter().map(|t| t.target).collect();
        assert_eq!(targets, [700, 660, 18, 20, 800, 15, 140, 0, 0, 1, 1], "the plan's 2025 targets");
        let districts = taxonomy.districts_of("440800");
        assert_eq!(districts.len(), 9);
        assert!(districts.iter().all(|d| taxonomy.population(&d.code).is_some_and(|p| p > 100_000)), "{districts:?}");
        for group in [IndustryGroup::Pillar, IndustryGroup::Emerging, IndustryGroup::Traditional] {
            assert_eq!(taxonomy.industries().iter().filter(|i| i.group == group).count(), 4);
        }
        assert_eq!(taxonomy.industry("prepared_dishes").map(|i| i.name.as_str()), Some("预制菜"));
        assert!(taxonomy.domain_terms().contains(&"氢冶金"));
    }

    #[test]
    fn districts_belong_to_the_city() {
        let chain: Vec<&str> =
            Taxonomy::get().region_with_ancestors("440825").iter().map(|r| r.name.as_str()).collect();
        assert_eq!(chain, ["徐闻县", "湛江市"]);
        assert_eq!(Taxonomy::get().region("440300").map(|r| r.tier), Some(RegionTier::GreaterBayArea));
        assert!(Taxonomy::get().high_tech_field("new_materials.metal").is_some());
        assert!(Taxonomy::get().high_tech_field("new_materials.unobtainium").is_none());
        assert_eq!(Taxonomy::get().find_region("湛江").map(|r| r.code.as_str()), Some("440800"));
        assert_eq!(Taxonomy::get().find_region("徐闻县").map(|r| r.code.as_str()), Some("440825"));
        assert!(Taxonomy::get().find_region("广").is_none(), "ambiguous prefixes find nothing");
    }

    #[test]
    fn a_district_record_carries_its_city_and_an_offer_its_category() {
        let org = Record::Organization(Organization {
            name: "湛江绿色钢铁研究院".into(),
            kind: Some(OrganizationKind::ResearchInstitute),
            region_code: "440802".into(),
            ..Default::default()
        });
        let tags: Vec<String> = Taxonomy::get().filter_tags(&org).iter().map(Tag::to_string).collect();
        assert!(tags.contains(&"region:440802".to_owned()) && tags.contains(&"region:440800".to_owned()), "{tags:?}");
        assert!(tags.contains(&"kind:research_institute".to_owned()), "{tags:?}");
        let offer = Record::Offer(ServiceOffer {
            title: "对虾养殖水质检测".into(),
            category: Some(ServiceCategory::TestingInspection),
            ..Default::default()
        });
        assert_eq!(Taxonomy::get().filter_tags(&offer), vec![Tag::Category(ServiceCategory::TestingInspection)]);
    }
}
