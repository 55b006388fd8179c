//! Support policies end to end through `PolicyService`, `SearchService`,
//! `CatalogService/WatchChanges` and `NotificationService`: the bureau
//! publishes, everyone reads, a Chinese phrase finds the policy, eligibility
//! names every requirement and the field that decided it, and the eligible
//! organization is notified once.

use std::time::Duration;

use innomatch_core::{
    auth::BearerToken,
    convert::timestamp,
    model::{OrganizationKind, Role, now_ms},
};
use innomatch_proto::v1 as pb;
use innomatch_tests::*;

const DAY: i64 = 86_400_000;

fn relocation_reward() -> pb::SupportPolicy {
    pb::SupportPolicy {
        title: "高新技术企业整体迁入奖励".into(),
        issuing_department: "湛江市科学技术局".into(),
        document_number: "湛科〔2023〕21号".into(),
        effective_from: Some(timestamp(now_ms() - 30 * DAY)),
        expires_at: Some(timestamp(now_ms() + 365 * DAY)),
        full_text:
            "对整体迁入我市且高新技术企业资格仍在有效期内的企业，给予一次性30万元奖励，支持绿色钢铁、对虾养殖等产业。"
                .into(),
        keywords: vec!["整体迁入".into()],
        eligibility: Some(pb::PolicyEligibility {
            organization_kinds: vec![pb::OrganizationKind::Enterprise as i32],
            qualifications: vec![pb::Qualification::HighTechEnterprise as i32],
            region_codes: vec!["440800".into()],
            conditions: vec![pb::PolicyCondition::RelocatedWithHighTech as i32],
            ..Default::default()
        }),
        benefit: Some(pb::PolicyBenefit {
            kind: pb::BenefitKind::Reward as i32,
            amount_yuan: 300_000,
            description: "一次性奖励30万元".into(),
        }),
        ..Default::default()
    }
}

fn high_tech_certificate() -> pb::QualificationCertificate {
    pb::QualificationCertificate {
        qualification: pb::Qualification::HighTechEnterprise as i32,
        certificate_number: "GR202344000555".into(),
        valid_from: Some(timestamp(now_ms() - 200 * DAY)),
        valid_until: Some(timestamp(now_ms() + 800 * DAY)),
        recommended_by_bureau: false,
    }
}

fn check<'a>(result: &'a pb::PolicyEligibilityResult, requirement: &str) -> &'a pb::ConditionCheck {
    result.checks.iter().find(|c| c.requirement == requirement).unwrap_or_else(|| panic!("{requirement}: {result:?}"))
}

#[tokio::test]
async fn the_bureau_publishes_a_policy_everyone_reads_and_search_finds_it_in_chinese() {
    let app = spawn_app().await;
    let (_, member) = app.tenant("湛江对虾养殖科技有限公司", OrganizationKind::Enterprise).await;
    let admin_token = app.admin_token.clone();
    let mut as_member = app.policies(Some(&member)).await;
    let mut as_admin = app.policies(Some(&admin_token)).await;

    let refused = as_member
        .create_policy(pb::CreatePolicyRequest { policy: Some(relocation_reward()) })
        .await
        .expect_err("members do not publish policies");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{refused:?}");
    let bad = as_admin
        .create_policy(pb::CreatePolicyRequest {
            policy: Some(pb::SupportPolicy { title: String::new(), ..relocation_reward() }),
        })
        .await
        .expect_err("no title");
    assert_eq!(violated_fields(&bad), ["policy.title"]);

    let policy = as_admin
        .create_policy(pb::CreatePolicyRequest { policy: Some(relocation_reward()) })
        .await
        .expect("published")
        .into_inner();
    let meta = policy.meta.clone().expect("meta");
    assert!(meta.id.starts_with("pol_") && meta.organization_id.is_empty(), "{meta:?}");
    let read = as_member.get_policy(pb::GetPolicyRequest { id: meta.id.clone() }).await.expect("read").into_inner();
    assert_eq!(read.document_number, "湛科〔2023〕21号");
    let listed = as_member
        .list_policies(pb::ListPoliciesRequest {
            in_force_only: true,
            region_code: "440803".into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.policies.len(), 1, "a policy for the city covers its districts");

    let mut search = app.search(Some(&member)).await;
    let request = pb::SearchRequest {
        query: "\"整体迁入\" 奖励".into(),
        filters: Some(pb::SearchFilters { record_kinds: vec![pb::RecordKind::Policy as i32], ..Default::default() }),
        ..Default::default()
    };
    let found = search_until(&mut search, request, |r| r.total_hits > 0).await;
    assert_eq!(found.hits.len(), 1, "{found:?}");
    assert_eq!(
        (found.hits[0].id.as_str(), found.hits[0].organization_name.as_str()),
        (meta.id.as_str(), "湛江市科学技术局")
    );
    // A sub-word finds it too (jieba's search mode), and other kinds never show it.
    let sub_word = search_until(&mut search, query("钢铁 奖励"), |r| r.total_hits > 0).await;
    assert!(sub_word.hits.iter().any(|h| h.id == meta.id), "{sub_word:?}");

    let mut feed = app
        .catalog(Some(&member))
        .await
        .watch_changes(pb::WatchChangesRequest { after_sequence: 0, kinds: vec![pb::RecordKind::Policy as i32] })
        .await
        .expect("watch")
        .into_inner();
    let event = tokio::time::timeout(Duration::from_secs(10), feed.message()).await.expect("in time").expect("event");
    match event.expect("a change").record {
        Some(pb::change_event::Record::Policy(p)) => assert_eq!(p.title, "高新技术企业整体迁入奖励"),
        other => panic!("a policy in the feed, got {other:?}"),
    }

    let archived = as_admin
        .archive_policy(pb::ArchiveRequest { id: meta.id.clone(), expected_version: 0 })
        .await
        .expect("archived")
        .into_inner();
    assert_eq!(archived.meta.expect("meta").status, pb::RecordStatus::Archived as i32);
    app.shutdown().await;
}

#[tokio::test]
async fn eligibility_names_every_requirement_and_the_eligible_firm_is_notified_once() {
    let app = spawn_app().await;
    let admin_token = app.admin_token.clone();
    let mut catalog = app.admin_catalog().await;
    let firm = catalog
        .create_organization(pb::CreateOrganizationRequest {
            organization: Some(pb::Organization {
                name: "湛江绿钢科技有限公司".into(),
                kind: pb::OrganizationKind::Enterprise as i32,
                region_code: "440803".into(),
                industries: vec!["green_steel".into()],
                qualification_certificates: vec![high_tech_certificate()],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("firm")
        .into_inner();
    let firm_id = firm.meta.clone().expect("meta").id;
    let member = app.token_for(&firm_id, Role::Member).await;
    let (other_id, other) = app.tenant("湛江海洋科技学院", OrganizationKind::University).await;
    let policy = app
        .policies(Some(&admin_token))
        .await
        .create_policy(pb::CreatePolicyRequest { policy: Some(relocation_reward()) })
        .await
        .expect("published")
        .into_inner();
    let policy_id = policy.meta.expect("meta").id;

    // No move into the city recorded: one requirement unknown, named with its field.
    let mut as_member = app.policies(Some(&member)).await;
    let answer = as_member
        .eligible_for_organization(pb::EligibleForOrganizationRequest::default())
        .await
        .expect("own eligibility")
        .into_inner();
    assert!(answer.eligible.is_empty());
    let nearly = &answer.nearly_eligible[0];
    assert_eq!(nearly.policy_id, policy_id);
    assert_eq!(check(nearly, "qualification:high_tech_enterprise").outcome, pb::ConditionOutcome::Met as i32);
    assert_eq!(check(nearly, "region").outcome, pb::ConditionOutcome::Met as i32);
    let relocated = check(nearly, "condition:relocated_with_high_tech");
    assert_eq!(relocated.outcome, pb::ConditionOutcome::Unknown as i32);
    assert_eq!(relocated.field, "organization.relocated_into_city");
    assert_eq!(nearly.missing.len(), 1);

    let refused = as_member
        .eligible_for_organization(pb::EligibleForOrganizationRequest {
            organization_id: other_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("another organization's eligibility");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    let refused = as_member
        .eligible_organizations(pb::EligibleOrganizationsRequest { policy_id: policy_id.clone(), ..Default::default() })
        .await
        .expect_err("only the bureau surveys firms");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);

    // A member cannot declare a move; the bureau records it.
    let mut own = firm.clone();
    own.relocated_into_city = Some(timestamp(now_ms() - 10 * DAY));
    let declared = app
        .catalog(Some(&member))
        .await
        .update_organization(pb::UpdateOrganizationRequest { organization: Some(own.clone()), expected_version: 1 })
        .await
        .expect_err("declared");
    assert_eq!(declared.code(), tonic::Code::PermissionDenied);
    catalog
        .update_organization(pb::UpdateOrganizationRequest { organization: Some(own), expected_version: 1 })
        .await
        .expect("the bureau records the move");

    let answer = as_member
        .eligible_for_organization(pb::EligibleForOrganizationRequest::default())
        .await
        .expect("eligibility")
        .into_inner();
    assert_eq!(answer.eligible.len(), 1, "{answer:?}");
    assert!(answer.eligible[0].checks.iter().all(|c| c.outcome == pb::ConditionOutcome::Met as i32));
    let reach = app
        .policies(Some(&admin_token))
        .await
        .eligible_organizations(pb::EligibleOrganizationsRequest {
            policy_id: policy_id.clone(),
            include_nearly_eligible: true,
            ..Default::default()
        })
        .await
        .expect("reach")
        .into_inner();
    assert_eq!(reach.eligible.iter().map(|r| r.organization_id.as_str()).collect::<Vec<_>>(), [firm_id.as_str()]);

    // The push follower tells the firm, once, and records it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let pushes = loop {
        let pushes = as_member
            .list_policy_pushes(pb::ListPolicyPushesRequest::default())
            .await
            .expect("pushes")
            .into_inner()
            .pushes;
        if !pushes.is_empty() || tokio::time::Instant::now() > deadline {
            break pushes;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert_eq!(
        (pushes[0].policy_id.as_str(), pushes[0].policy_title.as_str()),
        (policy_id.as_str(), "高新技术企业整体迁入奖励")
    );
    let notices = |token: String| {
        let channel = app.channel();
        async move {
            pb::notification_service_client::NotificationServiceClient::with_interceptor(
                channel.await,
                BearerToken::new(Some(&token)).expect("token"),
            )
            .list_notifications(pb::ListNotificationsRequest {
                kinds: vec![pb::NotificationKind::PolicyEligible as i32],
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner()
            .notifications
        }
    };
    let own_notices = notices(member.clone()).await;
    assert_eq!(own_notices.len(), 1, "{own_notices:?}");
    assert_eq!(own_notices[0].need_id, policy_id);
    assert!(own_notices[0].body.contains("30万元"), "{}", own_notices[0].body);
    assert!(notices(other).await.is_empty(), "nobody else hears of it");
    app.shutdown().await;
}
