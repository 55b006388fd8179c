//! The built-in sample catalog of the city (fictional organizations modelled
//! on the plan, see `sample/README.md`): loaded through the catalog like any
//! import, once, into an empty data directory.

use std::collections::HashMap;

use anyhow::Context;
use innomatch_catalog::Catalog;
use innomatch_core::{
    auth::Principal,
    model::{OrganizationKind, Record, Role},
};
use innomatch_proto::v1 as pb;
use serde_json::Value;

/// One record per line, organizations first; owners by `organization` ref.
pub const SAMPLE_JSONL: &str = include_str!("../../sample/zhanjiang.jsonl");
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
    for (line_number, line) in SAMPLE_JSONL.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
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
    Ok(Some(DemoTokens {
        enterprise: issue(OrganizationKind::Enterprise, Role::Member).await?,
        university: issue(OrganizationKind::University, Role::Member).await?,
        agency: issue(OrganizationKind::IntermediaryAgency, Role::Agency).await?,
    }))
}
