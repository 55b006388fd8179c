//! The built-in sample catalog of the city (fictional organizations modelled
//! on the plan, see `sample/README.md`): loaded through the catalog like any
//! import, once, into an empty data directory.

use std::collections::HashMap;

use anyhow::Context;
use innomatch_catalog::{
    Catalog,
    accounts::{Accounts, NewUser},
};
use innomatch_core::{
    auth::Principal,
    model::{OrganizationKind, Record, Role},
};
use innomatch_proto::v1 as pb;
use serde_json::Value;

/// One record per line, organizations first; owners by `organization` ref.
pub const SAMPLE_JSONL: &str = include_str!("../../sample/zhanjiang.jsonl");
/// The support policies of the plan's measures (扶持政策), one a line, as data.
pub const SAMPLE_POLICIES_JSONL: &str = include_str!("../../sample/policies.jsonl");
/// Known good partners per need, for ranking evaluation.
pub const SAMPLE_LABELS: &str = include_str!("../../sample/labels.jsonl");

fn system() -> Principal {
    Principal { token_id: "system:sample".into(), organization_id: None, role: Role::Admin }
}

/// Loads every sample row through the catalog (validated like any import)
/// and returns the ids the server gave, by the rows' `ref`.
pub async fn load(catalog: &Catalog) -> anyhow::Result<HashMap<String, String>> {
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut loaded = 0usize;
    let lines = SAMPLE_JSONL.lines().enumerate().chain(SAMPLE_POLICIES_JSONL.lines().enumerate());
    for (line_number, line) in lines.filter(|(_, l)| !l.trim().is_empty()) {
        let value: Value = serde_json::from_str(line).with_context(|| format!("sample line {}", line_number + 1))?;
        let reference = value["ref"].as_str().unwrap_or_default().to_owned();
        let owner_ref = value["organization"].as_str().unwrap_or_default();
        let owner = ids.get(owner_ref).cloned().unwrap_or_default();
        let record: Record =
            serde_json::from_value(value).with_context(|| format!("sample line {}", line_number + 1))?;
        // Through the proto edge, so the sample meets the same validation as any client's data.
        let record = Record::try_from(pb::ImportRecord { record: Some(record.into()), ..Default::default() })
            .map_err(|v| anyhow::anyhow!("sample line {}: {v}", line_number + 1))?;
        let created = catalog
            .create_in_bulk(&system(), record, &owner)
            .await
            .map_err(|e| anyhow::anyhow!("sample line {}: {e}", line_number + 1))?;
        ids.insert(reference, created.meta().id.clone());
        loaded += 1;
    }
    tracing::info!(records = loaded, "sample data loaded");
    Ok(ids)
}

/// Tokens for trying the system as each side of it.
#[derive(Debug, Clone)]
pub struct DemoTokens {
    pub enterprise: (String, String),
    pub university: (String, String),
    pub agency: (String, String),
    /// Sign-ins for the web console, one per kind of user.
    pub logins: Vec<DemoLogin>,
}

/// A console sign-in for one kind of user; the password is random, shown once.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    /// What kind of user this is ("enterprise", "university", "agency", "bureau").
    pub kind: &'static str,
    pub login: String,
    pub password: String,
    /// The organization the user acts for (the bureau acts for none).
    pub organization_id: Option<String>,
    pub organization_name: String,
}

/// A password of 16 letters and digits (no look-alikes), fresh for each start.
fn demo_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// Loads the sample into an empty catalog and issues a demo token for an
/// enterprise, a university and an agency. `None` when the catalog already
/// holds organizations (the sample is loaded once, never over real data).
pub async fn load_if_empty(catalog: &Catalog) -> anyhow::Result<Option<DemoTokens>> {
    if !catalog.is_empty().await? {
        return Ok(None);
    }
    let ids = load(catalog).await?;
    let mut first_of = HashMap::new();
    for line in SAMPLE_JSONL.lines() {
        let Ok(value) = serde_json::from_str::<Value>(line) else { continue };
        if value["type"] != "organization" {
            continue;
        }
        let kind = value["kind"].as_str().and_then(OrganizationKind::from_code);
        if let (Some(kind), Some(reference)) = (kind, value["ref"].as_str()) {
            first_of
                .entry(kind)
                .or_insert_with(|| (reference.to_owned(), value["name"].as_str().unwrap_or_default().to_owned()));
        }
    }
    let issue = async |kind: OrganizationKind, role: Role| -> anyhow::Result<(String, String)> {
        let (reference, name) = first_of.get(&kind).cloned().with_context(|| format!("the sample has no {kind}"))?;
        let id = ids.get(&reference).cloned().context("sample organization id")?;
        let token = catalog.issue_token_unchecked(Some(id), role, format!("demo {kind}")).await?;
        Ok((name, token.secret))
    };
    let accounts = Accounts::new(catalog.clone());
    let mut logins = Vec::new();
    let users = [
        ("enterprise", "demo-enterprise", Some(OrganizationKind::Enterprise), Role::Member, "企业技术负责人"),
        ("university", "demo-university", Some(OrganizationKind::University), Role::Member, "高校技术转移办公室"),
        ("agency", "demo-agency", Some(OrganizationKind::IntermediaryAgency), Role::Agency, "中介机构业务员"),
        ("bureau", "demo-bureau", None, Role::Admin, "市科技局"),
    ];
    for (kind, login, organization_kind, role, display_name) in users {
        let (organization_id, organization_name) = match organization_kind {
            Some(organization_kind) => {
                let (reference, name) = first_of
                    .get(&organization_kind)
                    .cloned()
                    .with_context(|| format!("the sample has no {organization_kind}"))?;
                (Some(ids.get(&reference).cloned().context("sample organization id")?), name)
            }
            None => (None, "湛江市科学技术局".to_owned()),
        };
        let password = demo_password();
        accounts
            .create_user_unchecked(NewUser {
                login: login.into(),
                display_name: display_name.into(),
                password: password.clone(),
                organization_id: organization_id.clone(),
                role: Some(role),
            })
            .await
            .with_context(|| format!("creating the demo login {login}"))?;
        logins.push(DemoLogin { kind, login: login.into(), password, organization_id, organization_name });
    }
    Ok(Some(DemoTokens {
        enterprise: issue(OrganizationKind::Enterprise, Role::Member).await?,
        university: issue(OrganizationKind::University, Role::Member).await?,
        agency: issue(OrganizationKind::IntermediaryAgency, Role::Agency).await?,
        logins,
    }))
}
