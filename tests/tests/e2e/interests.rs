//! Staged disclosure end to end over gRPC: another organization reads an
//! anonymous need's teaser without its owner, expresses interest; only the
//! owner's approval discloses identity and contact details to both sides; a
//! decline keeps them hidden; every step is in the audit trail; a third
//! tenant sees nothing of it; a closing need expires pending interests.

use innomatch_core::model::{OrganizationKind, Role};
use innomatch_proto::v1 as pb;
use innomatch_tests::*;
use tonic::Code;

/// Registers an organization with contact details and gives it a member token.
async fn tenant_with_contacts(
    app: &TestApp,
    name: &str,
    kind: OrganizationKind,
    person: &str,
    phone: &str,
) -> (String, String) {
    let organization = pb::Organization {
        name: name.into(),
        kind: kind.to_proto(),
        region_code: "440802".into(),
        contact_person: person.into(),
        phone: phone.into(),
        email: format!("{}@example.cn", app.unique_number()),
        ..Default::default()
    };
    let id = app
        .admin_catalog()
        .await
        .create_organization(pb::CreateOrganizationRequest { organization: Some(organization), ..Default::default() })
        .await
        .expect("organization")
        .into_inner()
        .meta
        .expect("meta")
        .id;
    let token = app.token_for(&id, Role::Member).await;
    (id, token)
}

fn anonymous_steel_need() -> pb::TechNeed {
    pb::TechNeed { visibility: pb::Visibility::Anonymous as i32, region_code: "440803".into(), ..steel_need() }
}

fn express(need_id: &str, message: &str) -> pb::ExpressInterestRequest {
    pb::ExpressInterestRequest { need_id: need_id.into(), message: message.into(), lead_id: String::new() }
}

fn decide(id: &str, decision: pb::InterestStatus, reply: &str) -> pb::DecideInterestRequest {
    pb::DecideInterestRequest { id: id.into(), decision: decision as i32, reply: reply.into(), expected_version: 0 }
}

fn received(need_id: &str) -> pb::ListInterestsRequest {
    pb::ListInterestsRequest { side: pb::InterestSide::Received as i32, need_id: need_id.into(), ..Default::default() }
}

fn sent() -> pb::ListInterestsRequest {
    pb::ListInterestsRequest { side: pb::InterestSide::Sent as i32, ..Default::default() }
}

async fn contact_person(catalog: &mut CatalogClient, organization_id: &str) -> String {
    catalog
        .get_organization(pb::GetOrganizationRequest { id: organization_id.into() })
        .await
        .expect("organization")
        .into_inner()
        .contact_person
}

async fn need_owner(catalog: &mut CatalogClient, need_id: &str) -> String {
    catalog
        .get_need(pb::GetNeedRequest { id: need_id.into() })
        .await
        .expect("need")
        .into_inner()
        .meta
        .expect("meta")
        .organization_id
}

#[tokio::test]
async fn interest_then_approval_discloses_both_sides_and_a_decline_keeps_them_hidden() {
    let app = spawn_app().await;
    let (steel, steel_token) =
        tenant_with_contacts(&app, "湛江绿色钢铁有限公司", OrganizationKind::Enterprise, "陈海生", "0759-3381234")
            .await;
    let (university, university_token) =
        tenant_with_contacts(&app, "广东海洋大学冶金实验室", OrganizationKind::University, "李教授", "0759-2383001")
            .await;
    let (shrimp, shrimp_token) =
        tenant_with_contacts(&app, "雷州对虾养殖合作社", OrganizationKind::Enterprise, "王社长", "0759-8801234").await;
    let need_id = app.post_need(&steel_token, anonymous_steel_need()).await;

    let mut university_interests = app.interests(Some(&university_token)).await;
    let mut university_catalog = app.catalog(Some(&university_token)).await;
    let mut steel_interests = app.interests(Some(&steel_token)).await;
    let mut steel_catalog = app.catalog(Some(&steel_token)).await;
    let mut shrimp_interests = app.interests(Some(&shrimp_token)).await;
    let mut shrimp_catalog = app.catalog(Some(&shrimp_token)).await;

    // The teaser: what the need is about, where by tier, never who.
    let teaser = university_interests
        .get_need_teaser(pb::GetNeedTeaserRequest { need_id: need_id.clone() })
        .await
        .expect("teaser")
        .into_inner();
    assert_eq!(teaser.title, "氢冶金低碳炼钢中试");
    assert_eq!(teaser.industries, ["green_steel"]);
    assert_eq!(teaser.region_tier, pb::RegionTier::City as i32, "霞山区 is in the city");
    assert_eq!(teaser.target_trl, 6);
    assert_eq!(teaser.cooperation_modes, [pb::CooperationMode::JointDevelopment as i32]);
    assert!(teaser.own_interest.is_none());
    assert_eq!(need_owner(&mut university_catalog, &need_id).await, "", "anonymous: no owner before approval");
    assert_eq!(contact_person(&mut university_catalog, &steel).await, "", "no contacts before approval");

    // The university expresses interest: it still learns nothing of the owner.
    let interest = university_interests
        .express_interest(express(&need_id, "我校冶金实验室在氢基竖炉直接还原方面有中试经验，希望合作"))
        .await
        .expect("interest")
        .into_inner();
    assert_eq!(interest.status, pb::InterestStatus::Pending as i32);
    assert_eq!(interest.owner_organization_id, "");
    assert!(interest.counterpart.is_none());
    let again = university_interests.express_interest(express(&need_id, "再次表达意向")).await;
    assert_eq!(again.expect_err("one live interest").code(), Code::AlreadyExists);

    // The owner sees who is interested, without their contacts yet.
    let listed = steel_interests.list_interests(received(&need_id)).await.expect("list").into_inner().interests;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].party_organization_id, university);
    let party = listed[0].counterpart.clone().expect("the interested organization");
    assert_eq!(party.name, "广东海洋大学冶金实验室");
    assert_eq!(party.contact_person, "", "contacts only once approved");
    assert_eq!(contact_person(&mut steel_catalog, &university).await, "");

    // Only the owner decides.
    let refused = university_interests.decide_interest(decide(&interest.id, pb::InterestStatus::Approved, "")).await;
    assert_eq!(refused.expect_err("the party does not decide").code(), Code::PermissionDenied);

    let approved = steel_interests
        .decide_interest(decide(&interest.id, pb::InterestStatus::Approved, "欢迎来厂交流"))
        .await
        .expect("approve")
        .into_inner();
    assert_eq!(approved.status, pb::InterestStatus::Approved as i32);
    assert_eq!(approved.counterpart.expect("party").contact_person, "李教授");

    // Both sides now see each other.
    let seen = university_interests
        .get_interest(pb::GetInterestRequest { id: interest.id.clone() })
        .await
        .expect("interest")
        .into_inner();
    assert_eq!(seen.owner_organization_id, steel);
    assert_eq!(seen.reply, "欢迎来厂交流");
    let owner = seen.counterpart.expect("the owner, disclosed");
    assert_eq!((owner.name.as_str(), owner.phone.as_str()), ("湛江绿色钢铁有限公司", "0759-3381234"));
    assert_eq!(need_owner(&mut university_catalog, &need_id).await, steel);
    assert_eq!(contact_person(&mut university_catalog, &steel).await, "陈海生");
    assert_eq!(contact_person(&mut steel_catalog, &university).await, "李教授");

    // A third tenant sees nothing of it.
    let hidden = shrimp_interests.get_interest(pb::GetInterestRequest { id: interest.id.clone() }).await;
    assert_eq!(hidden.expect_err("not its interest").code(), Code::NotFound);
    assert!(shrimp_interests.list_interests(sent()).await.expect("list").into_inner().interests.is_empty());
    let foreign = shrimp_interests.list_interests(received(&need_id)).await;
    assert_eq!(foreign.expect_err("not its need").code(), Code::PermissionDenied);
    let foreign = shrimp_interests
        .list_interest_events(pb::ListInterestEventsRequest { need_id: need_id.clone(), ..Default::default() })
        .await;
    assert_eq!(foreign.expect_err("not its audit trail").code(), Code::PermissionDenied);
    assert_eq!(need_owner(&mut shrimp_catalog, &need_id).await, "");
    assert_eq!(contact_person(&mut shrimp_catalog, &steel).await, "");
    assert_eq!(contact_person(&mut shrimp_catalog, &university).await, "");

    // The third tenant's own interest is declined: nothing is disclosed.
    let declined = shrimp_interests
        .express_interest(express(&need_id, "我社可提供低碳养殖尾水处理经验"))
        .await
        .expect("interest")
        .into_inner();
    let declined = steel_interests
        .decide_interest(decide(&declined.id, pb::InterestStatus::Declined, "方向不符"))
        .await
        .expect("decline")
        .into_inner();
    assert_eq!(declined.status, pb::InterestStatus::Declined as i32);
    assert_eq!(declined.counterpart.expect("party").contact_person, "", "a decline discloses nothing");
    let as_party = shrimp_interests
        .get_interest(pb::GetInterestRequest { id: declined.id.clone() })
        .await
        .expect("its own interest")
        .into_inner();
    assert_eq!((as_party.owner_organization_id.as_str(), as_party.counterpart), ("", None));
    assert_eq!(need_owner(&mut shrimp_catalog, &need_id).await, "");
    assert_eq!(contact_person(&mut shrimp_catalog, &steel).await, "");
    assert_eq!(contact_person(&mut steel_catalog, &shrimp).await, "");
    let again = shrimp_interests.express_interest(express(&need_id, "再试一次")).await;
    assert_eq!(again.expect_err("declined once").code(), Code::FailedPrecondition);

    // The audit trail, for the owner: every step, in order, with who took it.
    let events = steel_interests
        .list_interest_events(pb::ListInterestEventsRequest { need_id: need_id.clone(), ..Default::default() })
        .await
        .expect("audit trail")
        .into_inner()
        .events;
    let steps: Vec<(i32, &str)> = events.iter().map(|e| (e.action, e.actor_organization_id.as_str())).collect();
    assert_eq!(
        steps,
        [
            (pb::InterestAction::Expressed as i32, university.as_str()),
            (pb::InterestAction::Approved as i32, steel.as_str()),
            (pb::InterestAction::Expressed as i32, shrimp.as_str()),
            (pb::InterestAction::Declined as i32, steel.as_str()),
        ]
    );
    assert_eq!(events[1].note, "欢迎来厂交流");
    let admin_view = app
        .interests(Some(&app.admin_token.clone()))
        .await
        .list_interest_events(pb::ListInterestEventsRequest { interest_id: interest.id.clone(), ..Default::default() })
        .await
        .expect("admins read the trail")
        .into_inner()
        .events;
    assert_eq!(admin_view.len(), 2);
    let party_view = university_interests
        .list_interest_events(pb::ListInterestEventsRequest { interest_id: interest.id.clone(), ..Default::default() })
        .await;
    assert_eq!(party_view.expect_err("the trail names the owner").code(), Code::PermissionDenied);
}

#[tokio::test]
async fn private_needs_take_no_interest_and_closing_a_need_expires_pending_ones() {
    let app = spawn_app().await;
    let (_, owner_token) = app.tenant("湛江预制菜食品有限公司", OrganizationKind::Enterprise).await;
    let (_, lab_token) = app.tenant("湛江水产品加工研究所", OrganizationKind::ResearchInstitute).await;
    let mut lab = app.interests(Some(&lab_token)).await;

    let private =
        pb::TechNeed {
            title: "预制菜冷链保鲜工艺".into(), visibility: pb::Visibility::Private as i32, ..steel_need()
        };
    let private_id = app.post_need(&owner_token, private).await;
    let teaser = lab.get_need_teaser(pb::GetNeedTeaserRequest { need_id: private_id.clone() }).await;
    assert_eq!(teaser.expect_err("private: owner-only").code(), Code::NotFound);
    let interest = lab.express_interest(express(&private_id, "我所可提供冷链保鲜技术")).await;
    assert_eq!(interest.expect_err("private: owner-only").code(), Code::NotFound);

    let refused = lab.express_interest(express(&private_id, "")).await;
    assert_eq!(violated_fields(&refused.expect_err("a message is required")), ["message"]);

    let need_id = app
        .post_need(
            &owner_token,
            pb::TechNeed { title: "预制菜冷链保鲜工艺（公开征集）".into(), ..anonymous_steel_need() },
        )
        .await;
    let pending =
        lab.express_interest(express(&need_id, "我所可提供冷链保鲜技术")).await.expect("interest").into_inner();
    app.catalog(Some(&owner_token))
        .await
        .set_need_status(pb::SetNeedStatusRequest {
            id: need_id.clone(),
            status: pb::NeedStatus::Fulfilled as i32,
            expected_version: 0,
        })
        .await
        .expect("fulfilled");
    let expired = lab.get_interest(pb::GetInterestRequest { id: pending.id.clone() }).await.expect("interest");
    assert_eq!(expired.into_inner().status, pb::InterestStatus::Expired as i32, "closed with its need");
    let late = lab.express_interest(express(&need_id, "还来得及吗")).await;
    assert_eq!(late.expect_err("a closed need takes no interest").code(), Code::FailedPrecondition);
    let withdraw = lab
        .withdraw_interest(pb::WithdrawInterestRequest { id: pending.id, note: String::new(), expected_version: 0 })
        .await;
    assert_eq!(withdraw.expect_err("expired is final").code(), Code::FailedPrecondition);
}

async fn next_notice(stream: &mut tonic::Streaming<pb::NotificationDelivery>) -> pb::Notification {
    tokio::time::timeout(std::time::Duration::from_secs(10), stream.message())
        .await
        .expect("a notification in time")
        .expect("ok")
        .expect("open")
        .notification
        .expect("notification")
}

#[tokio::test]
async fn every_step_of_an_interest_notifies_the_other_side_once() {
    let app = spawn_app().await;
    let (owner, owner_token) = app.tenant("湛江金鲳鱼养殖有限公司", OrganizationKind::Enterprise).await;
    let (lab, lab_token) = app.tenant("广东海洋大学水产学院", OrganizationKind::University).await;
    let need_id = app
        .post_need(&owner_token, pb::TechNeed { title: "金鲳鱼深海网箱养殖病害防控".into(), ..anonymous_steel_need() })
        .await;
    let mut owner_notices = pb::notification_service_client::NotificationServiceClient::with_interceptor(
        app.channel().await,
        innomatch_core::auth::BearerToken::new(Some(&owner_token)).expect("token"),
    );
    let mut lab_notices = pb::notification_service_client::NotificationServiceClient::with_interceptor(
        app.channel().await,
        innomatch_core::auth::BearerToken::new(Some(&lab_token)).expect("token"),
    );
    let mut owner_stream = owner_notices
        .subscribe_notifications(pb::SubscribeNotificationsRequest {})
        .await
        .expect("subscribe")
        .into_inner();
    let mut lab_stream = lab_notices
        .subscribe_notifications(pb::SubscribeNotificationsRequest {})
        .await
        .expect("subscribe")
        .into_inner();

    let mut lab_interests = app.interests(Some(&lab_token)).await;
    let first = lab_interests
        .express_interest(express(&need_id, "我院有深海网箱病害防控团队"))
        .await
        .expect("interest")
        .into_inner();
    let received = next_notice(&mut owner_stream).await;
    assert_eq!(received.kind, pb::NotificationKind::InterestReceived as i32);
    assert_eq!((received.need_id.as_str(), received.subject_id.as_str()), (need_id.as_str(), lab.as_str()));
    assert_eq!(received.organization_id, owner);

    // Withdrawn and expressed again: the owner was told of this party's interest in this need already.
    lab_interests
        .withdraw_interest(pb::WithdrawInterestRequest {
            id: first.id, note: "重新提交".into(), expected_version: 0
        })
        .await
        .expect("withdraw");
    let again = lab_interests
        .express_interest(express(&need_id, "补充：我院另有疫苗研发平台"))
        .await
        .expect("again")
        .into_inner();
    app.interests(Some(&owner_token))
        .await
        .decide_interest(decide(&again.id, pb::InterestStatus::Approved, "欢迎合作"))
        .await
        .expect("approve");
    let approved = next_notice(&mut lab_stream).await;
    assert_eq!(approved.kind, pb::NotificationKind::InterestApproved as i32);
    assert_eq!(approved.need_id, need_id);

    let owner_list = owner_notices
        .list_notifications(pb::ListNotificationsRequest::default())
        .await
        .expect("list")
        .into_inner()
        .notifications;
    let received: Vec<_> =
        owner_list.iter().filter(|n| n.kind == pb::NotificationKind::InterestReceived as i32).collect();
    assert_eq!(received.len(), 1, "the same need × party × kind notifies once: {owner_list:?}");
    // Acknowledged, it is not delivered again; the other side's stays theirs.
    owner_notices.ack_notification(pb::AckNotificationRequest { id: received[0].id.clone() }).await.expect("ack");
    let foreign = lab_notices.ack_notification(pb::AckNotificationRequest { id: received[0].id.clone() }).await;
    assert_eq!(foreign.expect_err("not the lab's").code(), Code::NotFound);
}

fn notices_client(app_channel: tonic::transport::Channel, token: &str) -> NoticeClient {
    pb::notification_service_client::NotificationServiceClient::with_interceptor(
        app_channel,
        innomatch_core::auth::BearerToken::new(Some(token)).expect("token"),
    )
}

type NoticeClient = pb::notification_service_client::NotificationServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, innomatch_core::auth::BearerToken>,
>;

/// Waits until the organization has a notification of `kind` (they are
/// stored just after the step that causes them).
async fn wait_for_notice(client: &mut NoticeClient, kind: pb::NotificationKind) -> pb::Notification {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let listed = client
            .list_notifications(pb::ListNotificationsRequest { kinds: vec![kind as i32], ..Default::default() })
            .await
            .expect("list")
            .into_inner()
            .notifications;
        if let Some(found) = listed.into_iter().next() {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "no {kind:?} notification in time");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_agency_answers_a_lead_for_an_anonymous_need_through_an_interest() {
    let app = spawn_app().await;
    let (owner, owner_token) =
        tenant_with_contacts(&app, "湛江对虾种苗有限公司", OrganizationKind::Enterprise, "林经理", "0759-2222333")
            .await;
    let agency = app.create_org("湛江市检验检测服务中心", OrganizationKind::IntermediaryAgency, "440802").await;
    let agency_token = app.token_for(&agency, Role::Agency).await;
    let other_agency = app.create_org("雷州知识产权服务站", OrganizationKind::IntermediaryAgency, "440882").await;
    let other_token = app.token_for(&other_agency, Role::Agency).await;
    let need_id = app
        .post_need(&owner_token, pb::TechNeed { title: "对虾养殖病害快速检测".into(), ..anonymous_steel_need() })
        .await;
    // The lead as auto-matching makes it for an anonymous need: without the owner.
    let lead = app
        .leads_client(Some(&app.admin_token.clone()))
        .await
        .offer_lead(pb::OfferLeadRequest {
            agency_organization_id: agency.clone(),
            offer_id: "offer_shrimp_testing".into(),
            need_id: need_id.clone(),
            need_title: "对虾养殖病害快速检测".into(),
            category: pb::ServiceCategory::TestingInspection as i32,
            score: 0.8,
            ..Default::default()
        })
        .await
        .expect("offer")
        .into_inner()
        .lead
        .expect("lead");
    assert_eq!(lead.need_organization_id, "");
    let mut agency_notices = notices_client(app.channel().await, &agency_token);
    let new_lead = wait_for_notice(&mut agency_notices, pb::NotificationKind::NewLead).await;
    assert_eq!(new_lead.need_id, need_id);

    // Accepting the lead tells the owner, who still stays unknown to the agency.
    app.leads_client(Some(&agency_token))
        .await
        .respond_to_lead(pb::RespondToLeadRequest { lead_id: lead.id.clone(), accept: true, ..Default::default() })
        .await
        .expect("accept");
    let mut owner_notices = notices_client(app.channel().await, &owner_token);
    let answered = wait_for_notice(&mut owner_notices, pb::NotificationKind::LeadAnswered).await;
    assert_eq!((answered.need_id.as_str(), answered.subject_id.as_str()), (need_id.as_str(), agency.as_str()));

    // Another agency cannot borrow the lead.
    let borrowed = app
        .interests(Some(&other_token))
        .await
        .express_interest(pb::ExpressInterestRequest {
            need_id: String::new(),
            message: "我们也可以检测".into(),
            lead_id: lead.id.clone(),
        })
        .await;
    assert_eq!(borrowed.expect_err("not its lead").code(), Code::NotFound);

    let mut agency_interests = app.interests(Some(&agency_token)).await;
    let interest = agency_interests
        .express_interest(pb::ExpressInterestRequest {
            need_id: String::new(),
            message: "本中心具备CMA资质，可承接对虾病害检测".into(),
            lead_id: lead.id.clone(),
        })
        .await
        .expect("interest through the lead")
        .into_inner();
    assert_eq!((interest.need_id.as_str(), interest.lead_id.as_str()), (need_id.as_str(), lead.id.as_str()));
    assert_eq!(interest.owner_organization_id, "");
    app.interests(Some(&owner_token))
        .await
        .decide_interest(decide(&interest.id, pb::InterestStatus::Approved, "请联系林经理"))
        .await
        .expect("approve");
    let seen =
        agency_interests.get_interest(pb::GetInterestRequest { id: interest.id }).await.expect("interest").into_inner();
    assert_eq!(seen.owner_organization_id, owner);
    assert_eq!(seen.counterpart.expect("owner").contact_person, "林经理");
    let approved = wait_for_notice(&mut agency_notices, pb::NotificationKind::InterestApproved).await;
    assert_eq!(approved.need_id, need_id);
}
