//! The policies' domain API over a real (in-memory) store: who may write,
//! eligibility answers for organizations and for policies, the push ledger.

use std::sync::Arc;

use innomatch_core::model::{
    Benefit, BenefitKind, Eligibility, Organization, OrganizationKind, Qualification, QualificationCertificate, Role,
    now_ms,
};

use super::*;
use crate::{CatalogError, sqlite::SqliteStore, store::RecordStore, tokens::TokenRegistry};

const DAY: i64 = 86_400_000;

async fn policies() -> Policies {
    let store: Arc<dyn RecordStore> = Arc::new(SqliteStore::in_memory().expect("in-memory store"));
    let tokens = TokenRegistry::load(store.as_ref()).await.expect("tokens");
    Policies::new(Catalog::new(store, tokens))
}

fn admin() -> Principal {
    Principal { token_id: "tok_admin".into(), organization_id: None, role: Role::Admin }
}

fn member_of(org: &str) -> Principal {
    Principal { token_id: format!("tok_{org}"), organization_id: Some(org.into()), role: Role::Member }
}

fn high_tech(until_ms: i64) -> QualificationCertificate {
    QualificationCertificate {
        qualification: Qualification::HighTechEnterprise,
        certificate_number: "GR202344000777".into(),
        valid_from_ms: now_ms() - 400 * DAY,
        valid_until_ms: until_ms,
        recommended_by_bureau: false,
    }
}

async fn firm(policies: &Policies, name: &str, certificates: Vec<QualificationCertificate>) -> String {
    let org = Organization {
        name: name.into(),
        kind: Some(OrganizationKind::Enterprise),
        region_code: "440803".into(),
        industries: vec!["prepared_dishes".into()],
        qualification_certificates: certificates,
        ..Default::default()
    };
    policies.catalog().create(&admin(), Record::Organization(org), "").await.expect("organization").meta().id.clone()
}

fn high_tech_reward() -> SupportPolicy {
    SupportPolicy {
        title: "高新技术企业认定奖励".into(),
        issuing_department: "湛江市科学技术局".into(),
        document_number: "湛科〔2023〕18号".into(),
        effective_from_ms: Some(now_ms() - 30 * DAY),
        full_text: "对通过认定的高新技术企业给予一次性奖励。".into(),
        eligibility: Eligibility {
            organization_kinds: vec![OrganizationKind::Enterprise],
            qualifications: vec![Qualification::HighTechEnterprise],
            region_codes: vec!["440800".into()],
            ..Default::default()
        },
        benefit: Benefit {
            kind: Some(BenefitKind::Reward),
            amount_yuan: 100_000,
            description: "一次性奖励10万元".into(),
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn only_admins_write_policies_and_everyone_reads_them() {
    let policies = policies().await;
    let firm_id = firm(&policies, "湛江预制菜科技有限公司", vec![]).await;
    let refused = policies.create(&member_of(&firm_id), high_tech_reward()).await;
    assert!(matches!(refused, Err(PolicyError::Catalog(CatalogError::PermissionDenied(_)))), "{refused:?}");
    let created = policies.create(&admin(), high_tech_reward()).await.expect("created");
    assert!(created.meta.id.starts_with("pol_") && created.meta.organization_id.is_empty(), "{:?}", created.meta);
    let read = policies.get(&member_of(&firm_id), &created.meta.id).await.expect("readable by members");
    assert_eq!(read.title, "高新技术企业认定奖励");
    let mut changed = read.clone();
    changed.title = "改写".into();
    let refused = policies.update(&member_of(&firm_id), &read.meta.id, changed.clone(), 1).await;
    assert!(matches!(refused, Err(PolicyError::PermissionDenied(_))), "{refused:?}");
    let updated = policies.update(&admin(), &read.meta.id, changed, 1).await.expect("admin updates");
    assert_eq!(updated.meta.version, 2);
    let listed = policies.list(&member_of(&firm_id), PolicyFilter { page_size: 10, ..Default::default() }).await;
    assert_eq!(listed.expect("list").policies.len(), 1);
    policies.archive(&admin(), &read.meta.id, 0).await.expect("archived");
    let in_force = policies.policies_in_force(now_ms()).await.expect("in force");
    assert!(in_force.is_empty(), "an archived policy is in force no more");
}

#[tokio::test]
async fn eligibility_for_an_organization_and_for_a_policy_come_from_the_store() {
    let policies = policies().await;
    let valid = firm(&policies, "湛江对虾养殖科技有限公司", vec![high_tech(now_ms() + 300 * DAY)]).await;
    let lapsed = firm(&policies, "湛江绿色钢铁材料有限公司", vec![high_tech(now_ms() - DAY)]).await;
    let policy = policies.create(&admin(), high_tech_reward()).await.expect("created");

    let own = policies.eligible_for_organization(&member_of(&valid), "", now_ms()).await.expect("own");
    assert_eq!(own.eligible.len(), 1);
    assert!(own.eligible[0].checks.iter().all(|c| c.outcome == eligibility::Outcome::Met));

    let short = policies.eligible_for_organization(&admin(), &lapsed, now_ms()).await.expect("admin asks");
    assert_eq!(short.nearly_eligible.len(), 1, "an expired certificate does not count: one requirement short");
    let missing = short.nearly_eligible[0].missing();
    assert_eq!(missing[0].requirement, "qualification:high_tech_enterprise");
    assert_eq!(missing[0].field, "organization.qualification_certificates");

    let other = policies.eligible_for_organization(&member_of(&valid), &lapsed, now_ms()).await;
    assert!(matches!(other, Err(PolicyError::PermissionDenied(_))), "{other:?}");

    let reach = policies.eligible_organizations(&admin(), &policy.meta.id, now_ms()).await.expect("reach");
    assert_eq!(reach.eligible.iter().map(|a| a.organization_id.as_str()).collect::<Vec<_>>(), [valid.as_str()]);
    assert_eq!(reach.nearly_eligible.iter().map(|a| a.organization_id.as_str()).collect::<Vec<_>>(), [lapsed.as_str()]);
    let refused = policies.eligible_organizations(&member_of(&valid), &policy.meta.id, now_ms()).await;
    assert!(matches!(refused, Err(PolicyError::PermissionDenied(_))), "{refused:?}");
}

#[tokio::test]
async fn a_push_is_recorded_once_per_organization_and_policy() {
    let policies = policies().await;
    let firm_id = firm(&policies, "湛江工业互联网有限公司", vec![high_tech(now_ms() + DAY)]).await;
    let policy = policies.create(&admin(), high_tech_reward()).await.expect("created");
    assert!(policies.record_push(&firm_id, &policy.meta.id, 1_000).await.expect("first"));
    assert!(!policies.record_push(&firm_id, &policy.meta.id, 2_000).await.expect("again"));
    let pushed = policies.pushed_to_organization(&member_of(&firm_id), "").await.expect("pushes");
    assert_eq!(pushed.len(), 1);
    assert_eq!((pushed[0].push.pushed_at_ms, pushed[0].policy_title.as_str()), (1_000, "高新技术企业认定奖励"));
}

#[tokio::test]
async fn policies_import_by_ref_once_and_only_for_admins() {
    use crate::bulk::{BulkOutcome, BulkOwner, BulkRow};
    let policies = policies().await;
    let firm_id = firm(&policies, "湛江金鲳鱼养殖有限公司", vec![]).await;
    let row = |policy: SupportPolicy| BulkRow {
        record: Record::Policy(policy),
        owner: BulkOwner::Caller,
        external_id: "pol-high-tech-reward".into(),
        record_id: String::new(),
    };
    let catalog = policies.catalog();
    let reward = high_tech_reward();
    let first = catalog.write_bulk(&admin(), vec![row(reward.clone())]).await.expect("batch");
    let created = first.into_iter().next().expect("one").expect("imported");
    assert_eq!(created.outcome, BulkOutcome::Created);
    assert!(created.record.meta().organization_id.is_empty(), "a policy belongs to no organization");
    let again = catalog.write_bulk(&admin(), vec![row(reward.clone())]).await.expect("batch");
    assert_eq!(again[0].as_ref().expect("again").outcome, BulkOutcome::Unchanged);
    let mut changed = reward.clone();
    changed.benefit.amount_yuan = 150_000;
    let updated = catalog.write_bulk(&admin(), vec![row(changed)]).await.expect("batch");
    let updated = updated.into_iter().next().expect("one").expect("updated");
    assert_eq!(
        (updated.outcome, updated.record.meta().id.clone()),
        (BulkOutcome::Updated, created.record.meta().id.clone())
    );
    let refused = catalog.write_bulk(&member_of(&firm_id), vec![row(reward)]).await.expect("batch");
    assert!(matches!(refused[0], Err(CatalogError::PermissionDenied(_))), "{:?}", refused[0]);
    assert_eq!(policies.policies_in_force(now_ms()).await.expect("in force").len(), 1);
}
