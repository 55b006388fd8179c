//! Policy push over the real embedded stores in a data directory: an
//! eligible organization is notified once per policy, across a restart of
//! everything; nobody else sees that notice; archived organizations get
//! nothing; a firm one certificate short becomes one lead per agency
//! offering policy services.

use std::{path::Path, sync::Arc, time::Duration};

use innomatch_catalog::{Catalog, Policies, sqlite::SqliteStore, store::RecordStore, tokens::TokenRegistry};
use innomatch_core::{
    auth::Principal,
    config::LeadsSettings,
    model::{
        Benefit, BenefitKind, Eligibility, Organization, OrganizationKind, Qualification, QualificationCertificate,
        Record, RecordKind, Role, ServiceCategory, ServiceOffer, SupportPolicy, now_ms,
    },
};
use innomatch_leads::{
    Leads, Notifications,
    model::policy_lead_id,
    notifications::{NotificationFilter, NotificationPolicy, model::NotificationKind},
};
use innomatch_matcher::{
    auto::Checkpoint,
    policy_push::{self, PolicyPushSettings, PolicyPusher},
};

const DAY: i64 = 86_400_000;

fn admin() -> Principal {
    Principal { token_id: "tok_admin".into(), organization_id: None, role: Role::Admin }
}

fn member_of(org: &str) -> Principal {
    Principal { token_id: format!("tok_{org}"), organization_id: Some(org.into()), role: Role::Member }
}

/// The services of one server process over `dir`.
struct World {
    catalog: Catalog,
    notifications: Notifications,
    leads: Leads,
    checkpoint: Checkpoint,
    follower: tokio::task::JoinHandle<()>,
}

impl World {
    async fn open(dir: &Path) -> World {
        let store: Arc<dyn RecordStore> = Arc::new(SqliteStore::open(dir).expect("catalog store"));
        let tokens = TokenRegistry::load(store.as_ref()).await.expect("tokens");
        let catalog = Catalog::new(store, tokens);
        let settings = LeadsSettings::default();
        let notifications =
            Notifications::open(dir, None, &settings, NotificationPolicy::default()).expect("notifications");
        let leads = Leads::open(dir, None, &settings).expect("leads");
        let checkpoint = Checkpoint::new(Some(dir.join("policy-push.checkpoint")));
        let pusher =
            PolicyPusher::new(Policies::new(catalog.clone()), Arc::new(notifications.clone()), Arc::new(leads.clone()));
        // No sweep during the test: only the feed pushes.
        let quiet = PolicyPushSettings { sweep_every: Duration::from_secs(3600) };
        let follower = policy_push::spawn(pusher, checkpoint.clone(), quiet);
        World { catalog, notifications, leads, checkpoint, follower }
    }

    /// Waits until the follower handled every committed change.
    async fn caught_up(&self) {
        let target = *self.catalog.sequence().borrow();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.checkpoint.load() < target {
            assert!(tokio::time::Instant::now() < deadline, "policy push stuck before sequence {target}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn policy_notices(&self, org: &str) -> Vec<String> {
        let filter =
            NotificationFilter { kinds: vec![NotificationKind::PolicyEligible], page_size: 100, ..Default::default() };
        let list = self.notifications.list(&member_of(org), filter).await.expect("notifications");
        list.notifications.into_iter().map(|n| n.need_id).collect()
    }

    async fn stop(self) {
        self.follower.abort();
        let _ = self.follower.await;
        self.notifications.close();
    }
}

fn certificate(until_ms: i64) -> QualificationCertificate {
    QualificationCertificate {
        qualification: Qualification::HighTechEnterprise,
        certificate_number: "GR202344000321".into(),
        valid_from_ms: now_ms() - 300 * DAY,
        valid_until_ms: until_ms,
        recommended_by_bureau: false,
    }
}

async fn organization(
    catalog: &Catalog,
    name: &str,
    kind: OrganizationKind,
    certificates: Vec<QualificationCertificate>,
) -> String {
    let org = Organization {
        name: name.into(),
        kind: Some(kind),
        region_code: "440802".into(),
        industries: vec!["shrimp".into()],
        qualification_certificates: certificates,
        ..Default::default()
    };
    catalog.create(&admin(), Record::Organization(org), "").await.expect("organization").meta().id.clone()
}

fn engineering_centre() -> SupportPolicy {
    SupportPolicy {
        title: "市级工程技术研究中心认定".into(),
        issuing_department: "湛江市科学技术局".into(),
        document_number: "湛科〔2023〕40号".into(),
        effective_from_ms: Some(now_ms() - 100 * DAY),
        full_text: "支持高新技术企业建设工程技术研究中心，认定后给予20万元建设补助。".into(),
        eligibility: Eligibility {
            organization_kinds: vec![OrganizationKind::Enterprise],
            qualifications: vec![Qualification::HighTechEnterprise],
            region_codes: vec!["440800".into()],
            ..Default::default()
        },
        benefit: Benefit {
            kind: Some(BenefitKind::PlatformDesignation),
            amount_yuan: 200_000,
            description: "一次性建设补助20万元".into(),
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn eligible_organizations_are_notified_once_across_a_restart_and_only_they_see_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let world = World::open(dir.path()).await;
    let shrimp = organization(
        &world.catalog,
        "湛江对虾养殖科技有限公司",
        OrganizationKind::Enterprise,
        vec![certificate(now_ms() + 500 * DAY)],
    )
    .await;
    let lapsed = organization(
        &world.catalog,
        "湛江预制菜食品有限公司",
        OrganizationKind::Enterprise,
        vec![certificate(now_ms() - DAY)],
    )
    .await;
    let archived = organization(
        &world.catalog,
        "湛江绿色钢铁有限公司",
        OrganizationKind::Enterprise,
        vec![certificate(now_ms() + 500 * DAY)],
    )
    .await;
    world.catalog.archive(&admin(), RecordKind::Organization, &archived, 0).await.expect("archived");
    let agency =
        organization(&world.catalog, "湛江科创政策咨询服务中心", OrganizationKind::IntermediaryAgency, vec![]).await;
    let offer = ServiceOffer {
        category: Some(ServiceCategory::PolicyServices),
        title: "高新技术企业认定申报辅导".into(),
        regions_served: vec!["440800".into()],
        ..Default::default()
    };
    for _ in 0..2 {
        // Two offers of one agency still make one lead per firm and policy.
        world.catalog.create(&member_of(&agency), Record::Offer(offer.clone()), "").await.expect("offer");
    }
    let policies = Policies::new(world.catalog.clone());
    let policy = policies.create(&admin(), engineering_centre()).await.expect("policy");
    let policy_id = policy.meta.id.clone();
    world.caught_up().await;

    assert_eq!(world.policy_notices(&shrimp).await, [policy_id.as_str()]);
    assert!(world.policy_notices(&lapsed).await.is_empty(), "an expired certificate does not count");
    assert!(world.policy_notices(&archived).await.is_empty(), "archived organizations are not pushed to");
    assert!(world.policy_notices(&agency).await.is_empty(), "nobody sees another organization's notice");
    let pushed = policies.pushed_to_organization(&member_of(&shrimp), "").await.expect("pushes");
    assert_eq!(pushed.iter().map(|p| p.push.policy_id.as_str()).collect::<Vec<_>>(), [policy_id.as_str()]);

    let leads = world.leads.leads_of_need(&policy_id).await.expect("leads");
    assert_eq!(leads.len(), 1, "one lead per firm × policy × agency: {leads:?}");
    assert_eq!(leads[0].id, policy_lead_id(&policy_id, &lapsed, &agency));
    assert_eq!(
        (leads[0].need_organization_id.as_str(), leads[0].policy_id.as_str()),
        (lapsed.as_str(), policy_id.as_str())
    );
    assert!(leads[0].reasons.iter().any(|r| r.contains("高新技术企业")), "{:?}", leads[0].reasons);

    // The policy changes (still in force) and the organization changes: nothing new to tell.
    let mut changed = policy.clone();
    changed.summary = "认定后纳入市级创新平台管理".into();
    policies.update(&admin(), &policy_id, changed, 1).await.expect("policy updated");
    world.caught_up().await;
    world.stop().await;

    // A restart of everything on the same data directory.
    let world = World::open(dir.path()).await;
    let Record::Organization(mut org) =
        world.catalog.get(&admin(), RecordKind::Organization, &shrimp).await.expect("organization")
    else {
        panic!("an organization")
    };
    org.description = "凡纳滨对虾种苗繁育与病害快检".into();
    let version = org.meta.version;
    world.catalog.update(&admin(), &shrimp, Record::Organization(org), version, "").await.expect("updated");
    world.caught_up().await;
    assert_eq!(world.policy_notices(&shrimp).await, [policy_id.as_str()], "once, after a restart too");
    let policies = Policies::new(world.catalog.clone());
    assert_eq!(policies.pushed_to_organization(&admin(), &shrimp).await.expect("pushes").len(), 1);
    assert_eq!(world.leads.leads_of_need(&policy_id).await.expect("leads").len(), 1);

    // Archiving the policy closes the leads it made.
    policies.archive(&admin(), &policy_id, 0).await.expect("archived");
    world.caught_up().await;
    let closed = world.leads.leads_of_need(&policy_id).await.expect("leads");
    assert_eq!(closed[0].status, innomatch_leads::LeadStatus::Closed);
    world.stop().await;
}

#[tokio::test]
async fn a_firm_becomes_eligible_when_its_record_changes_and_unknowns_make_no_lead() {
    let dir = tempfile::tempdir().expect("tempdir");
    let world = World::open(dir.path()).await;
    let firm = organization(
        &world.catalog,
        "湛江氢冶金装备有限公司",
        OrganizationKind::Enterprise,
        vec![certificate(now_ms() + 500 * DAY)],
    )
    .await;
    let agency =
        organization(&world.catalog, "湛江政策申报服务中心", OrganizationKind::IntermediaryAgency, vec![]).await;
    let offer = ServiceOffer {
        category: Some(ServiceCategory::PolicyServices),
        title: "惠企政策申报代理".into(),
        ..Default::default()
    };
    world.catalog.create(&member_of(&agency), Record::Offer(offer), "").await.expect("offer");
    let relocation = SupportPolicy {
        title: "高新技术企业整体迁入奖励".into(),
        eligibility: Eligibility {
            conditions: vec![innomatch_core::model::PolicyCondition::RelocatedWithHighTech],
            ..engineering_centre().eligibility
        },
        benefit: Benefit {
            kind: Some(BenefitKind::Reward),
            amount_yuan: 300_000,
            description: "一次性奖励30万元".into(),
        },
        ..engineering_centre()
    };
    let policy = Policies::new(world.catalog.clone()).create(&admin(), relocation).await.expect("policy");
    world.caught_up().await;
    assert!(world.policy_notices(&firm).await.is_empty(), "no move into the city recorded yet");
    let leads = world.leads.leads_of_need(&policy.meta.id).await.expect("leads");
    assert!(leads.is_empty(), "an unrecorded move is the bureau's to verify, not an agency's lead: {leads:?}");

    // The bureau records the move: the organization's change pushes the policy.
    let Record::Organization(mut org) =
        world.catalog.get(&admin(), RecordKind::Organization, &firm).await.expect("organization")
    else {
        panic!("an organization")
    };
    org.relocated_into_city_ms = Some(now_ms() - 20 * DAY);
    let version = org.meta.version;
    world.catalog.update(&admin(), &firm, Record::Organization(org), version, "").await.expect("moved");
    world.caught_up().await;
    assert_eq!(world.policy_notices(&firm).await, [policy.meta.id.as_str()]);
    world.stop().await;
}
