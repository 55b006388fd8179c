//! Turns a catalog record (and what the index knows of its organization)
//! into an index document.

use innomatch_core::{
    model::{Organization, OrganizationKind, Record, RecordKind, Visibility},
    taxonomy::Taxonomy,
};
use tantivy::{TantivyDocument, schema::Facet};

use crate::schema::Fields;

/// What a record's document needs to know about its organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgInfo {
    pub name: String,
    pub kind: OrganizationKind,
    pub region_code: String,
}

impl From<&Organization> for OrgInfo {
    fn from(org: &Organization) -> Self {
        OrgInfo { name: org.name.clone(), kind: org.kind(), region_code: org.region_code.clone() }
    }
}

/// Everyone may read a record whose `readable_by` holds this.
pub const READABLE_BY_ALL: &str = "*";

/// The facet dimensions a search can filter on and count.
pub const FACET_DIMENSIONS: [&str; 7] = [
    "record_kind",
    "organization_kind",
    "high_tech_field",
    "industry",
    "region",
    "service_category",
    "capability_kind",
];

pub fn facet(dimension: &str, value: &str) -> Facet {
    Facet::from_path([dimension, value])
}

/// Accumulates a document's taxonomy text and facets.
struct Tags<'a> {
    doc: &'a mut TantivyDocument,
    fields: &'a Fields,
    text: Vec<String>,
}

impl Tags<'_> {
    fn add(&mut self, dimension: &str, code: &str, label: Option<&str>) {
        self.doc.add_facet(self.fields.facets, facet(dimension, code));
        if let Some(label) = label {
            self.text.push(label.to_owned());
        }
    }

    fn fields(&mut self, codes: &[String]) {
        let taxonomy = Taxonomy::get();
        for code in codes {
            if let Some(field) = taxonomy.high_tech_field(code) {
                self.add("high_tech_field", code, Some(&field.name));
                if field.top_level != *code {
                    let top = taxonomy.high_tech_field(&field.top_level).map(|f| f.name.clone());
                    self.add("high_tech_field", &field.top_level.clone(), top.as_deref());
                }
            }
        }
    }

    fn industries(&mut self, codes: &[String]) {
        for code in codes {
            let name = Taxonomy::get().industry(code).map(|i| i.name.clone());
            self.add("industry", code, name.as_deref());
        }
    }

    /// A region and every region enclosing it, so a filter on the city finds its districts.
    fn region(&mut self, code: &str) {
        for region in Taxonomy::get().region_with_ancestors(code) {
            self.add("region", &region.code, Some(&region.name));
        }
    }
}

/// The document for `record` (with its encoded relevance features, when it
/// has text), or `None` when it must not be searchable (archived or closed
/// records).
pub fn build(record: &Record, org: Option<&OrgInfo>, bag: Option<&[u8]>, fields: &Fields) -> Option<TantivyDocument> {
    let meta = record.meta();
    if meta.status() != innomatch_core::model::RecordStatus::Active {
        return None;
    }
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, &meta.id);
    doc.add_text(fields.kind, record.kind().code());
    doc.add_text(fields.owner, &meta.organization_id);
    doc.add_i64(fields.updated_at, meta.updated_at_ms);
    if let Ok(source) = serde_json::to_string(record) {
        doc.add_text(fields.source, &source);
    }
    if let Some(bag) = bag {
        doc.add_bytes(fields.bag, bag);
    }
    let visibility = record.visibility();
    if visibility != Visibility::Anonymous {
        doc.add_text(fields.public_owner, &meta.organization_id);
    }
    let readable_by = if visibility == Visibility::Private { meta.organization_id.as_str() } else { READABLE_BY_ALL };
    doc.add_text(fields.readable_by, readable_by);
    let org_name = match (record, org) {
        (Record::Organization(o), _) => Some(o.name.as_str()),
        // A policy belongs to no organization: the department that issued it stands in.
        (Record::Policy(p), _) => Some(p.issuing_department.as_str()),
        (_, _) if visibility == Visibility::Anonymous => None,
        (_, Some(info)) => Some(info.name.as_str()),
        (_, None) => None,
    };
    if let Some(name) = org_name {
        doc.add_text(fields.organization_name, name);
    }
    let org_kind = match record {
        Record::Organization(o) => Some(o.kind()),
        _ => org.map(|o| o.kind),
    };

    // A policy's searchable text: its summary and its full text.
    let policy_text: String;
    let mut tags = Tags { doc: &mut doc, fields, text: Vec::new() };
    let kind_label = match record.kind() {
        RecordKind::Organization => "机构",
        RecordKind::Need => "技术需求",
        RecordKind::Capability => "科技能力",
        RecordKind::ServiceOffer => "中介服务",
        RecordKind::Policy => "扶持政策",
    };
    tags.add("record_kind", record.kind().code(), Some(kind_label));
    if let Some(kind) = org_kind {
        tags.add("organization_kind", kind.code(), None);
    }
    let (title, description, keywords, trl): (&str, &str, Vec<&str>, u32) = match record {
        Record::Organization(o) => {
            tags.fields(&o.high_tech_fields);
            tags.industries(&o.industries);
            tags.region(&o.region_code);
            (&o.name, &o.description, Vec::new(), 0)
        }
        Record::Need(n) => {
            tags.fields(&n.high_tech_fields);
            tags.industries(&n.industries);
            tags.region(&n.region_code);
            let keywords = n.keywords.iter().map(String::as_str).chain(n.competencies.iter().map(|c| c.name.as_str()));
            (&n.title, &n.description, keywords.collect(), n.target_trl)
        }
        Record::Capability(c) => {
            tags.fields(&c.high_tech_fields);
            tags.industries(&c.industries);
            tags.region(&c.region_code);
            if let Some(kind) = c.kind {
                tags.add("capability_kind", kind.code(), None);
            }
            (&c.title, &c.description, c.keywords.iter().map(String::as_str).collect(), c.trl)
        }
        Record::Offer(o) => {
            tags.industries(&o.industries_served);
            for region in &o.regions_served {
                tags.region(region);
            }
            if let Some(category) = o.category {
                let name = Taxonomy::get()
                    .service_categories()
                    .iter()
                    .find(|c| c.category == category)
                    .map(|c| c.name.clone());
                tags.add("service_category", category.code(), name.as_deref());
            }
            (&o.title, &o.description, o.keywords.iter().map(String::as_str).collect(), 0)
        }
        Record::Policy(p) => {
            tags.fields(&p.eligibility.high_tech_fields);
            tags.industries(&p.eligibility.industries);
            for region in &p.eligibility.region_codes {
                tags.region(region);
            }
            policy_text = [p.summary.as_str(), p.full_text.as_str()]
                .into_iter()
                .filter(|part| !part.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            let keywords = p.keywords.iter().map(String::as_str).chain([p.document_number.as_str()]);
            (&p.title, policy_text.as_str(), keywords.filter(|k| !k.is_empty()).collect(), 0)
        }
    };
    let taxonomy_text = std::mem::take(&mut tags.text).join(" ");
    doc.add_text(fields.taxonomy_text, &taxonomy_text);
    doc.add_text(fields.title, title);
    doc.add_text(fields.description, description);
    for keyword in keywords {
        doc.add_text(fields.keywords, keyword);
    }
    doc.add_u64(fields.trl, u64::from(trl));
    Some(doc)
}
