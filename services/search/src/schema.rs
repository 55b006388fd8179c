//! The index schema: one document per active catalog record, whatever its
//! kind, with text fields for matching, one facet field for filters and
//! counts, and the fields access control needs.

use tantivy::schema::{FAST, FacetOptions, Field, INDEXED, STORED, STRING, Schema, SchemaBuilder};

use crate::analysis::text_field_options;

/// Handles to every field of the schema.
#[derive(Debug, Clone)]
pub struct Fields {
    /// The record id; the upsert key.
    pub id: Field,
    /// Record kind code (`need`, `capability`, …).
    pub kind: Field,
    /// The owning organization, always (for the owner's own view and re-indexing).
    pub owner: Field,
    /// The owner again, but only where it may be revealed (not on anonymous
    /// needs); stored, so a hit shows its owner without reading the record.
    pub public_owner: Field,
    /// `*` for records everyone may read, the owner id for private needs.
    pub readable_by: Field,
    pub title: Field,
    pub keywords: Field,
    pub description: Field,
    /// Empty on anonymous needs, so a name search cannot reveal their owner.
    pub organization_name: Field,
    /// Names of the record's industries, fields, kinds and categories, so that
    /// 绿色钢铁 finds records tagged with that chain whatever their wording.
    pub taxonomy_text: Field,
    /// Hierarchical facets: `/industry/green_steel`, `/region/440800`, …
    pub facets: Field,
    pub trl: Field,
    /// Milliseconds since the epoch, for recency order.
    pub updated_at: Field,
    /// The record as JSON, to rebuild the document (e.g. when its organization is renamed).
    pub source: Field,
    /// The record's relevance features (see `relevance::encode_bag`), so a
    /// restart rebuilds the relevance model without analysing text again.
    pub bag: Field,
}

/// Text fields searched by default, with their weights: titles and keywords
/// say what a record is about more reliably than prose.
pub fn weighted_text_fields(fields: &Fields) -> [(Field, f32); 5] {
    [
        (fields.title, 3.0),
        (fields.keywords, 2.0),
        (fields.organization_name, 1.5),
        (fields.taxonomy_text, 1.0),
        (fields.description, 1.0),
    ]
}

pub fn build() -> (Schema, Fields) {
    let mut builder = SchemaBuilder::new();
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        kind: builder.add_text_field("kind", STRING | STORED),
        owner: builder.add_text_field("owner", STRING | STORED),
        public_owner: builder.add_text_field("public_owner", STRING | STORED),
        readable_by: builder.add_text_field("readable_by", STRING),
        title: builder.add_text_field("title", text_field_options(true)),
        keywords: builder.add_text_field("keywords", text_field_options(true)),
        description: builder.add_text_field("description", text_field_options(true)),
        organization_name: builder.add_text_field("organization_name", text_field_options(true)),
        taxonomy_text: builder.add_text_field("taxonomy_text", text_field_options(false)),
        facets: builder.add_facet_field("facets", FacetOptions::default()),
        trl: builder.add_u64_field("trl", INDEXED | FAST),
        updated_at: builder.add_i64_field("updated_at", FAST | STORED),
        source: builder.add_text_field("source", STORED),
        bag: builder.add_bytes_field("bag", STORED),
    };
    (builder.build(), fields)
}

impl Fields {
    /// Looks the fields up in an existing index's schema.
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Self> {
        let get = |name: &str| schema.get_field(name);
        Ok(Fields {
            id: get("id")?,
            kind: get("kind")?,
            owner: get("owner")?,
            public_owner: get("public_owner")?,
            readable_by: get("readable_by")?,
            title: get("title")?,
            keywords: get("keywords")?,
            description: get("description")?,
            organization_name: get("organization_name")?,
            taxonomy_text: get("taxonomy_text")?,
            facets: get("facets")?,
            trl: get("trl")?,
            updated_at: get("updated_at")?,
            source: get("source")?,
            bag: get("bag")?,
        })
    }
}
