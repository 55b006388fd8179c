//! Record commands beside needs: `innomatch org get|list|update|archive`,
//! `innomatch capability …` and `innomatch offer …` (post, get, list, update,
//! archive). Updates read the record, change the fields given and write it
//! back with the version read, so a concurrent change is refused (ABORTED)
//! rather than overwritten.

use clap::{Args, Subcommand};
use innomatch_core::model::{CapabilityKind, OrganizationKind, ServiceCategory};
use innomatch_proto::v1::{self as pb, catalog_service_client::CatalogServiceClient};
use serde_json::{Value, json};

use super::{
    client::{Authed, Calls, ClientArgs, outln, parse_code, print_json, status_error},
    labels,
};

/// Paging flags shared by every list.
#[derive(Debug, Args)]
pub struct Paging {
    /// Records per page (at most 500).
    #[arg(long, default_value_t = 50)]
    pub page_size: u32,
    /// The token a previous page printed, to read the next one.
    #[arg(long, default_value = "")]
    pub page_token: String,
    /// Archived records too.
    #[arg(long)]
    pub include_archived: bool,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Show an organization (the token's own without an id).
    Get {
        id: Option<String>,
    },
    List {
        /// enterprise, university, laboratory, research_institute, intermediary_agency, incubator, financial_institution
        #[arg(long)]
        kind: Option<String>,
        /// Region code or name (湛江, 440802).
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        industry: Option<String>,
        #[arg(long)]
        field: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Change the given fields of an organization (the token's own without --id).
    Update {
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        fields: OrgFields,
    },
    Archive {
        id: String,
    },
}

/// What a member may change of its organization; a repeated flag replaces the list.
#[derive(Debug, Args)]
pub struct OrgFields {
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    kind: Option<String>,
    /// Region code or name (湛江, 440802).
    #[arg(long)]
    region: Option<String>,
    #[arg(long = "industry")]
    industries: Vec<String>,
    #[arg(long = "field")]
    high_tech_fields: Vec<String>,
    #[arg(long)]
    description: Option<String>,
    #[arg(long)]
    website: Option<String>,
    /// Unified social credit code (统一社会信用代码).
    #[arg(long)]
    credit_code: Option<String>,
    #[arg(long)]
    contact_person: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    email: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CapabilityCommand {
    /// List a capability for the token's organization (an admin names --org).
    Post {
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        fields: CapabilityFields,
    },
    Get {
        id: String,
    },
    List {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        field: Option<String>,
        #[arg(long)]
        industry: Option<String>,
        #[arg(long)]
        region: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Change the given fields; the rest stay as they are.
    Update {
        id: String,
        #[command(flatten)]
        fields: CapabilityFields,
    },
    Archive {
        id: String,
    },
}

/// A capability's fields; a repeated flag replaces the list.
#[derive(Debug, Args)]
pub struct CapabilityFields {
    /// research_direction, achievement, patent, instrument, team, platform
    #[arg(long)]
    kind: Option<String>,
    #[arg(long)]
    title: Option<String>,
    #[arg(long)]
    description: Option<String>,
    #[arg(long = "keyword")]
    keywords: Vec<String>,
    #[arg(long = "field")]
    high_tech_fields: Vec<String>,
    #[arg(long = "industry")]
    industries: Vec<String>,
    /// Technology readiness level 1..=9 (0: unspecified).
    #[arg(long)]
    trl: Option<u32>,
    /// Open for sharing (an instrument others may use): true or false.
    #[arg(long)]
    sharing: Option<bool>,
    /// Patent number, instrument model or similar.
    #[arg(long)]
    reference: Option<String>,
    /// Region code or name.
    #[arg(long)]
    region: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OfferCommand {
    /// Publish a service offer for the token's agency (an admin names --org).
    Post {
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        fields: OfferFields,
    },
    Get {
        id: String,
    },
    List {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        industry: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Change the given fields; the rest stay as they are.
    Update {
        id: String,
        #[command(flatten)]
        fields: OfferFields,
    },
    Archive {
        id: String,
    },
}

/// A service offer's fields; a repeated flag replaces the list.
#[derive(Debug, Args)]
pub struct OfferFields {
    /// consulting, training, resource_matching, innovation_events,
    /// tech_evaluation_transaction, rd_crowdsourcing, testing_inspection,
    /// policy_services, intellectual_property, tech_finance
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    title: Option<String>,
    #[arg(long)]
    description: Option<String>,
    #[arg(long = "keyword")]
    keywords: Vec<String>,
    /// A region served (code or name), repeatable.
    #[arg(long = "region")]
    regions_served: Vec<String>,
    /// An industry chain served, repeatable.
    #[arg(long = "industry")]
    industries_served: Vec<String>,
    /// Pricing, duration, conditions.
    #[arg(long)]
    terms: Option<String>,
    /// New engagements the agency can take per month (0: unspecified).
    #[arg(long)]
    capacity: Option<u32>,
}

fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

fn set_list(target: &mut Vec<String>, values: Vec<String>) {
    if !values.is_empty() {
        *target = values;
    }
}

fn region_codes(values: Vec<String>) -> Vec<String> {
    values.iter().map(|r| labels::region_code(r)).collect()
}

impl OrgFields {
    fn apply(self, org: &mut pb::Organization) -> anyhow::Result<()> {
        if let Some(kind) = self.kind {
            org.kind = parse_code("organization kind", &kind, OrganizationKind::from_code)?.to_proto();
        }
        set(&mut org.name, self.name);
        set(&mut org.region_code, self.region.map(|r| labels::region_code(&r)));
        set_list(&mut org.industries, self.industries);
        set_list(&mut org.high_tech_fields, self.high_tech_fields);
        set(&mut org.description, self.description);
        set(&mut org.website, self.website);
        set(&mut org.credit_code, self.credit_code);
        set(&mut org.contact_person, self.contact_person);
        set(&mut org.phone, self.phone);
        set(&mut org.email, self.email);
        Ok(())
    }
}

impl CapabilityFields {
    fn apply(self, capability: &mut pb::Capability) -> anyhow::Result<()> {
        if let Some(kind) = self.kind {
            capability.kind = parse_code("capability kind", &kind, CapabilityKind::from_code)?.to_proto();
        }
        set(&mut capability.title, self.title);
        set(&mut capability.description, self.description);
        set_list(&mut capability.keywords, self.keywords);
        set_list(&mut capability.high_tech_fields, self.high_tech_fields);
        set_list(&mut capability.industries, self.industries);
        set(&mut capability.trl, self.trl);
        set(&mut capability.available_for_sharing, self.sharing);
        set(&mut capability.reference, self.reference);
        set(&mut capability.region_code, self.region.map(|r| labels::region_code(&r)));
        Ok(())
    }
}

impl OfferFields {
    fn apply(self, offer: &mut pb::ServiceOffer) -> anyhow::Result<()> {
        if let Some(category) = self.category {
            offer.category = parse_code("service category", &category, ServiceCategory::from_code)?.to_proto();
        }
        set(&mut offer.title, self.title);
        set(&mut offer.description, self.description);
        set_list(&mut offer.keywords, self.keywords);
        set_list(&mut offer.regions_served, region_codes(self.regions_served));
        set_list(&mut offer.industries_served, self.industries_served);
        set(&mut offer.terms, self.terms);
        set(&mut offer.monthly_capacity, self.capacity);
        Ok(())
    }
}

fn meta_json(meta: &Option<pb::RecordMeta>) -> (String, String, i64) {
    let meta = meta.clone().unwrap_or_default();
    (meta.id, meta.organization_id, meta.version)
}

pub(crate) fn org_json(o: &pb::Organization) -> Value {
    let (id, _, version) = meta_json(&o.meta);
    json!({
        "id": id, "version": version, "name": o.name,
        "kind": OrganizationKind::from_proto(o.kind).ok().flatten().map(OrganizationKind::code),
        "region_code": o.region_code, "industries": o.industries, "high_tech_fields": o.high_tech_fields,
        "description": o.description, "website": o.website, "credit_code": o.credit_code,
        "contact_person": o.contact_person, "phone": o.phone, "email": o.email,
    })
}

pub(crate) fn capability_json(c: &pb::Capability) -> Value {
    let (id, organization_id, version) = meta_json(&c.meta);
    json!({
        "id": id, "organization_id": organization_id, "version": version,
        "kind": CapabilityKind::from_proto(c.kind).ok().flatten().map(CapabilityKind::code),
        "title": c.title, "description": c.description, "keywords": c.keywords,
        "high_tech_fields": c.high_tech_fields, "industries": c.industries, "trl": c.trl,
        "available_for_sharing": c.available_for_sharing, "reference": c.reference, "region_code": c.region_code,
    })
}

pub(crate) fn offer_json(o: &pb::ServiceOffer) -> Value {
    let (id, organization_id, version) = meta_json(&o.meta);
    json!({
        "id": id, "organization_id": organization_id, "version": version,
        "category": ServiceCategory::from_proto(o.category).ok().flatten().map(ServiceCategory::code),
        "title": o.title, "description": o.description, "keywords": o.keywords,
        "regions_served": o.regions_served, "industries_served": o.industries_served,
        "terms": o.terms, "monthly_capacity": o.monthly_capacity,
    })
}

fn print_org(o: &pb::Organization) {
    let (id, _, version) = meta_json(&o.meta);
    outln!("{id}  v{version}  [{}]  {}", labels::organization_kind(o.kind), o.name);
    outln!("    区域: {}", labels::region(&o.region_code));
    if !o.industries.is_empty() {
        outln!("    产业链: {}", labels::industries(&o.industries));
    }
    if !o.high_tech_fields.is_empty() {
        outln!("    技术领域: {}", labels::fields(&o.high_tech_fields));
    }
    for (label, value) in [
        ("简介", &o.description),
        ("网站", &o.website),
        ("统一社会信用代码", &o.credit_code),
        ("联系人", &o.contact_person),
        ("电话", &o.phone),
        ("邮箱", &o.email),
    ] {
        if !value.is_empty() {
            outln!("    {label}: {value}");
        }
    }
}

fn print_capability(c: &pb::Capability) {
    let (id, _, version) = meta_json(&c.meta);
    outln!("{id}  v{version}  [{}]  {}", labels::capability_kind(c.kind), c.title);
    if !c.description.is_empty() {
        outln!("    {}", c.description);
    }
    let trl = if c.trl == 0 { "未填".to_owned() } else { c.trl.to_string() };
    let sharing = if c.available_for_sharing { "开放共享" } else { "不共享" };
    outln!("    技术成熟度: {trl}   共享: {sharing}   区域: {}", labels::region(&c.region_code));
    if !c.keywords.is_empty() {
        outln!("    关键词: {}", c.keywords.join("、"));
    }
    if !c.industries.is_empty() {
        outln!("    产业链: {}", labels::industries(&c.industries));
    }
    if !c.high_tech_fields.is_empty() {
        outln!("    技术领域: {}", labels::fields(&c.high_tech_fields));
    }
    if !c.reference.is_empty() {
        outln!("    编号: {}", c.reference);
    }
}

fn print_offer(o: &pb::ServiceOffer) {
    let (id, _, version) = meta_json(&o.meta);
    outln!("{id}  v{version}  [{}]  {}", labels::service_category(o.category), o.title);
    if !o.description.is_empty() {
        outln!("    {}", o.description);
    }
    if !o.regions_served.is_empty() {
        outln!("    服务区域: {}", labels::regions(&o.regions_served));
    }
    if !o.industries_served.is_empty() {
        outln!("    服务产业链: {}", labels::industries(&o.industries_served));
    }
    if !o.terms.is_empty() {
        outln!("    服务条款: {}", o.terms);
    }
    if o.monthly_capacity > 0 {
        outln!("    每月可承接: {}", o.monthly_capacity);
    }
}

/// Prints one record, as JSON or text.
fn show<T>(json_output: bool, record: &T, to_json: fn(&T) -> Value, print: fn(&T)) {
    if json_output { print_json(&to_json(record)) } else { print(record) }
}

/// Prints a page: one JSON array, or the records; then the next page's token.
fn show_page<T>(json_output: bool, records: &[T], next: &str, to_json: fn(&T) -> Value, print: fn(&T)) {
    if json_output {
        print_json(&Value::Array(records.iter().map(to_json).collect()));
    } else {
        records.iter().for_each(print);
    }
    more_pages(json_output, next);
}

/// Tells how to read the next page, if there is one: on stdout under a
/// table, on stderr under JSON (stdout stays one JSON document).
pub fn more_pages(json_output: bool, next: &str) {
    if next.is_empty() {
        return;
    }
    if json_output {
        eprintln!("more: --page-token {next}");
    } else {
        outln!("(more: --page-token {next})");
    }
}

async fn catalog(args: &ClientArgs) -> anyhow::Result<CatalogServiceClient<Authed>> {
    Ok(args.connect(Calls::Unary).await?.catalog())
}

fn owned_meta(org: Option<String>) -> Option<pb::RecordMeta> {
    org.map(|organization_id| pb::RecordMeta { organization_id, ..Default::default() })
}

/// Runs one `innomatch org` command.
pub async fn org(args: &ClientArgs, command: OrgCommand) -> anyhow::Result<()> {
    let connection = args.connect(Calls::Unary).await?;
    let mut catalog = connection.catalog();
    let own_id = async || -> anyhow::Result<String> {
        let me = connection.admin().who_am_i(pb::WhoAmIRequest {}).await.map_err(status_error)?.into_inner();
        anyhow::ensure!(!me.organization_id.is_empty(), "this token acts for no organization: name one");
        Ok(me.organization_id)
    };
    match command {
        OrgCommand::Get { id } => {
            let id = match id {
                Some(id) => id,
                None => own_id().await?,
            };
            let org = catalog.get_organization(pb::GetOrganizationRequest { id }).await.map_err(status_error)?;
            show(args.json, &org.into_inner(), org_json, print_org);
        }
        OrgCommand::List { kind, region, industry, field, paging } => {
            let kind = match kind {
                Some(kind) => parse_code("organization kind", &kind, OrganizationKind::from_code)?.to_proto(),
                None => 0,
            };
            let page = catalog
                .list_organizations(pb::ListOrganizationsRequest {
                    kind,
                    region_code: region.map(|r| labels::region_code(&r)).unwrap_or_default(),
                    industry: industry.unwrap_or_default(),
                    high_tech_field: field.unwrap_or_default(),
                    include_archived: paging.include_archived,
                    page_size: paging.page_size,
                    page_token: paging.page_token,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            show_page(args.json, &page.organizations, &page.next_page_token, org_json, print_org);
        }
        OrgCommand::Update { id, fields } => {
            let id = match id {
                Some(id) => id,
                None => own_id().await?,
            };
            let mut org =
                catalog.get_organization(pb::GetOrganizationRequest { id }).await.map_err(status_error)?.into_inner();
            let expected_version = org.meta.as_ref().map(|m| m.version).unwrap_or_default();
            fields.apply(&mut org)?;
            let updated = catalog
                .update_organization(pb::UpdateOrganizationRequest { organization: Some(org), expected_version })
                .await
                .map_err(status_error)?;
            show(args.json, &updated.into_inner(), org_json, print_org);
        }
        OrgCommand::Archive { id } => {
            let archived = catalog
                .archive_organization(pb::ArchiveRequest { id, expected_version: 0 })
                .await
                .map_err(status_error)?;
            show(args.json, &archived.into_inner(), org_json, print_org);
        }
    }
    Ok(())
}

/// Runs one `innomatch capability` command.
pub async fn capability(args: &ClientArgs, command: CapabilityCommand) -> anyhow::Result<()> {
    let mut catalog = catalog(args).await?;
    match command {
        CapabilityCommand::Post { org, fields } => {
            anyhow::ensure!(fields.kind.is_some() && fields.title.is_some(), "a capability needs --kind and --title");
            let mut capability = pb::Capability { meta: owned_meta(org), ..Default::default() };
            fields.apply(&mut capability)?;
            let created = catalog
                .create_capability(pb::CreateCapabilityRequest { capability: Some(capability) })
                .await
                .map_err(status_error)?;
            show(args.json, &created.into_inner(), capability_json, print_capability);
        }
        CapabilityCommand::Get { id } => {
            let found = catalog.get_capability(pb::GetCapabilityRequest { id }).await.map_err(status_error)?;
            show(args.json, &found.into_inner(), capability_json, print_capability);
        }
        CapabilityCommand::List { org, kind, field, industry, region, paging } => {
            let kind = match kind {
                Some(kind) => parse_code("capability kind", &kind, CapabilityKind::from_code)?.to_proto(),
                None => 0,
            };
            let page = catalog
                .list_capabilities(pb::ListCapabilitiesRequest {
                    organization_id: org.unwrap_or_default(),
                    kind,
                    high_tech_field: field.unwrap_or_default(),
                    industry: industry.unwrap_or_default(),
                    region_code: region.map(|r| labels::region_code(&r)).unwrap_or_default(),
                    include_archived: paging.include_archived,
                    page_size: paging.page_size,
                    page_token: paging.page_token,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            show_page(args.json, &page.capabilities, &page.next_page_token, capability_json, print_capability);
        }
        CapabilityCommand::Update { id, fields } => {
            let mut capability =
                catalog.get_capability(pb::GetCapabilityRequest { id }).await.map_err(status_error)?.into_inner();
            let expected_version = capability.meta.as_ref().map(|m| m.version).unwrap_or_default();
            fields.apply(&mut capability)?;
            let updated = catalog
                .update_capability(pb::UpdateCapabilityRequest { capability: Some(capability), expected_version })
                .await
                .map_err(status_error)?;
            show(args.json, &updated.into_inner(), capability_json, print_capability);
        }
        CapabilityCommand::Archive { id } => {
            let archived = catalog
                .archive_capability(pb::ArchiveRequest { id, expected_version: 0 })
                .await
                .map_err(status_error)?;
            show(args.json, &archived.into_inner(), capability_json, print_capability);
        }
    }
    Ok(())
}

/// Runs one `innomatch offer` command.
pub async fn offer(args: &ClientArgs, command: OfferCommand) -> anyhow::Result<()> {
    let mut catalog = catalog(args).await?;
    match command {
        OfferCommand::Post { org, fields } => {
            anyhow::ensure!(
                fields.category.is_some() && fields.title.is_some(),
                "a service offer needs --category and --title"
            );
            let mut offer = pb::ServiceOffer { meta: owned_meta(org), ..Default::default() };
            fields.apply(&mut offer)?;
            let created = catalog
                .create_service_offer(pb::CreateServiceOfferRequest { offer: Some(offer) })
                .await
                .map_err(status_error)?;
            show(args.json, &created.into_inner(), offer_json, print_offer);
        }
        OfferCommand::Get { id } => {
            let found = catalog.get_service_offer(pb::GetServiceOfferRequest { id }).await.map_err(status_error)?;
            show(args.json, &found.into_inner(), offer_json, print_offer);
        }
        OfferCommand::List { org, category, region, industry, paging } => {
            let category = match category {
                Some(c) => parse_code("service category", &c, ServiceCategory::from_code)?.to_proto(),
                None => 0,
            };
            let page = catalog
                .list_service_offers(pb::ListServiceOffersRequest {
                    organization_id: org.unwrap_or_default(),
                    category,
                    region_code: region.map(|r| labels::region_code(&r)).unwrap_or_default(),
                    industry: industry.unwrap_or_default(),
                    include_archived: paging.include_archived,
                    page_size: paging.page_size,
                    page_token: paging.page_token,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            show_page(args.json, &page.offers, &page.next_page_token, offer_json, print_offer);
        }
        OfferCommand::Update { id, fields } => {
            let mut offer =
                catalog.get_service_offer(pb::GetServiceOfferRequest { id }).await.map_err(status_error)?.into_inner();
            let expected_version = offer.meta.as_ref().map(|m| m.version).unwrap_or_default();
            fields.apply(&mut offer)?;
            let updated = catalog
                .update_service_offer(pb::UpdateServiceOfferRequest { offer: Some(offer), expected_version })
                .await
                .map_err(status_error)?;
            show(args.json, &updated.into_inner(), offer_json, print_offer);
        }
        OfferCommand::Archive { id } => {
            let archived = catalog
                .archive_service_offer(pb::ArchiveRequest { id, expected_version: 0 })
                .await
                .map_err(status_error)?;
            show(args.json, &archived.into_inner(), offer_json, print_offer);
        }
    }
    Ok(())
}
