//! Create / get / update / list / archive round trips for all four record
//! kinds, optimistic concurrency and visibility of needs.

use innomatch_core::model::OrganizationKind;
use innomatch_proto::v1 as pb;
use innomatch_tests::*;
use tonic::Code;

#[tokio::test]
async fn organizations_round_trip_through_create_get_update_list_archive() {
    let app = spawn_app().await;
    let mut admin = app.admin_catalog().await;
    let created = admin
        .create_organization(pb::CreateOrganizationRequest {
            organization: Some(pb::Organization {
                name: "湛江蓝海水产科技有限公司".into(),
                kind: pb::OrganizationKind::Enterprise as i32,
                region_code: "440825".into(),
                industries: vec!["shrimp".into()],
                high_tech_fields: vec!["biomedicine.agricultural_biotech".into()],
                qualification_certificates: vec![pb::QualificationCertificate {
                    qualification: pb::Qualification::HighTechEnterprise as i32,
                    certificate_number: "GR202544001234".into(),
                    valid_from: Some(innomatch_core::convert::timestamp(innomatch_core::model::now_ms() - 86_400_000)),
                    valid_until: Some(innomatch_core::convert::timestamp(
                        innomatch_core::model::now_ms() + 3 * 365 * 86_400_000,
                    )),
                    recommended_by_bureau: false,
                }],
                description: "对虾养殖与种苗繁育".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("create")
        .into_inner();
    let meta = created.meta.clone().expect("meta");
    assert!(meta.id.starts_with("org_"));
    assert_eq!(meta.organization_id, meta.id, "an organization owns itself");
    assert_eq!(meta.version, 1);
    assert_eq!(created.qualifications, [pb::Qualification::HighTechEnterprise as i32], "valid now");

    let fetched =
        admin.get_organization(pb::GetOrganizationRequest { id: meta.id.clone() }).await.expect("get").into_inner();
    assert_eq!(fetched, created);

    let mut changed = fetched.clone();
    changed.description = "对虾养殖、种苗繁育与预制菜加工".into();
    changed.industries.push("prepared_dishes".into());
    let updated = admin
        .update_organization(pb::UpdateOrganizationRequest { organization: Some(changed), expected_version: 1 })
        .await
        .expect("update")
        .into_inner();
    assert_eq!(updated.meta.as_ref().map(|m| m.version), Some(2));
    assert_eq!(updated.industries, ["shrimp", "prepared_dishes"]);

    let listed = admin
        .list_organizations(pb::ListOrganizationsRequest { industry: "prepared_dishes".into(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.organizations, vec![updated.clone()]);

    let archived = admin
        .archive_organization(pb::ArchiveRequest { id: meta.id.clone(), expected_version: 2 })
        .await
        .expect("archive")
        .into_inner();
    assert_eq!(archived.meta.as_ref().map(|m| m.status), Some(pb::RecordStatus::Archived as i32));
    let listed = admin.list_organizations(pb::ListOrganizationsRequest::default()).await.expect("list").into_inner();
    assert!(listed.organizations.is_empty(), "archived records are not listed by default");
    let with_archived = admin
        .list_organizations(pb::ListOrganizationsRequest { include_archived: true, ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(with_archived.organizations.len(), 1);
}

#[tokio::test]
async fn needs_capabilities_and_offers_round_trip_for_their_owners() {
    let app = spawn_app().await;
    let (steel_org, steel_token) = app.tenant("湛江绿色钢铁有限公司", OrganizationKind::Enterprise).await;
    let (lab_org, lab_token) = app.tenant("粤西海洋生物实验室", OrganizationKind::Laboratory).await;
    let (agency_org, agency_token) = app.tenant("湛江科创检测服务中心", OrganizationKind::IntermediaryAgency).await;

    // Need
    let mut steel = app.catalog(Some(&steel_token)).await;
    let need =
        steel.create_need(pb::CreateNeedRequest { need: Some(steel_need()) }).await.expect("create need").into_inner();
    let need_meta = need.meta.clone().expect("meta");
    assert_eq!(need_meta.organization_id, steel_org);
    assert_eq!(need.region_code, "440802", "a need without a region takes its organization's");
    assert_eq!(need.title, "氢冶金低碳炼钢中试");
    let got = steel.get_need(pb::GetNeedRequest { id: need_meta.id.clone() }).await.expect("get").into_inner();
    assert_eq!(got, need);
    let mut edited = got.clone();
    edited.keywords.push("绿色钢铁".into());
    let edited = steel
        .update_need(pb::UpdateNeedRequest { need: Some(edited), expected_version: 1 })
        .await
        .expect("update need")
        .into_inner();
    assert_eq!(edited.keywords, ["氢冶金", "低碳炼钢", "绿色钢铁"]);
    assert_eq!(edited.meta.as_ref().map(|m| m.version), Some(2));

    // Capability
    let mut lab = app.catalog(Some(&lab_token)).await;
    let cap = lab
        .create_capability(pb::CreateCapabilityRequest { capability: Some(shrimp_capability()) })
        .await
        .expect("create capability")
        .into_inner();
    assert_eq!(cap.meta.as_ref().map(|m| m.organization_id.as_str()), Some(lab_org.as_str()));
    let caps = lab
        .list_capabilities(pb::ListCapabilitiesRequest { industry: "shrimp".into(), ..Default::default() })
        .await
        .expect("list capabilities")
        .into_inner();
    assert_eq!(caps.capabilities, vec![cap.clone()]);

    // Offer
    let mut agency = app.catalog(Some(&agency_token)).await;
    let offer = agency
        .create_service_offer(pb::CreateServiceOfferRequest { offer: Some(testing_offer()) })
        .await
        .expect("create offer")
        .into_inner();
    assert_eq!(offer.meta.as_ref().map(|m| m.organization_id.as_str()), Some(agency_org.as_str()));
    let offers = agency
        .list_service_offers(pb::ListServiceOffersRequest {
            category: pb::ServiceCategory::TestingInspection as i32,
            region_code: "440800".into(),
            ..Default::default()
        })
        .await
        .expect("list offers")
        .into_inner();
    assert_eq!(offers.offers, vec![offer.clone()]);
    let none = agency
        .list_service_offers(pb::ListServiceOffersRequest {
            category: pb::ServiceCategory::TechFinance as i32,
            ..Default::default()
        })
        .await
        .expect("list offers")
        .into_inner();
    assert!(none.offers.is_empty());

    // A laboratory cannot sell services.
    let refused = lab
        .create_service_offer(pb::CreateServiceOfferRequest { offer: Some(testing_offer()) })
        .await
        .expect_err("labs publish no offers");
    assert_eq!(refused.code(), Code::FailedPrecondition);

    // Archive
    let archived = agency
        .archive_service_offer(pb::ArchiveRequest { id: offer.meta.expect("meta").id, expected_version: 0 })
        .await
        .expect("archive")
        .into_inner();
    assert_eq!(archived.meta.map(|m| m.status), Some(pb::RecordStatus::Archived as i32));
}

#[tokio::test]
async fn two_updates_from_the_same_version_one_wins_one_is_aborted() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江预制菜集团", OrganizationKind::Enterprise).await;
    let mut client = app.catalog(Some(&token)).await;
    let need =
        client.create_need(pb::CreateNeedRequest { need: Some(steel_need()) }).await.expect("create").into_inner();

    let mut first = need.clone();
    first.title = "预制菜冷链保鲜技术".into();
    let mut second = need.clone();
    second.title = "预制菜速冻工艺优化".into();
    let mut other = client.clone();
    let (a, b) = tokio::join!(
        client.update_need(pb::UpdateNeedRequest { need: Some(first), expected_version: 1 }),
        other.update_need(pb::UpdateNeedRequest { need: Some(second), expected_version: 1 }),
    );
    let (winner, loser) = match (a, b) {
        (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w.into_inner(), l),
        other => panic!("exactly one update must win: {other:?}"),
    };
    assert_eq!(loser.code(), Code::Aborted, "{loser:?}");
    let stored =
        client.get_need(pb::GetNeedRequest { id: need.meta.expect("meta").id }).await.expect("get").into_inner();
    assert_eq!(stored.title, winner.title, "the loser wrote nothing");
    assert_eq!(stored.meta.map(|m| m.version), Some(2));
}

#[tokio::test]
async fn private_needs_are_hidden_and_anonymous_needs_lose_their_owner() {
    let app = spawn_app().await;
    let (owner_org, owner_token) = app.tenant("湛江纸业股份有限公司", OrganizationKind::Enterprise).await;
    let (_, other_token) = app.tenant("湛江家电制造有限公司", OrganizationKind::Enterprise).await;
    let mut owner = app.catalog(Some(&owner_token)).await;
    let mut other = app.catalog(Some(&other_token)).await;

    let mut private = steel_need();
    private.title = "保密：高端特种纸涂布配方".into();
    private.visibility = pb::Visibility::Private as i32;
    let private = owner.create_need(pb::CreateNeedRequest { need: Some(private) }).await.expect("create").into_inner();
    let mut anonymous = steel_need();
    anonymous.visibility = pb::Visibility::Anonymous as i32;
    let anonymous =
        owner.create_need(pb::CreateNeedRequest { need: Some(anonymous) }).await.expect("create").into_inner();
    let private_id = private.meta.expect("meta").id;
    let anonymous_id = anonymous.meta.expect("meta").id;

    let hidden = other.get_need(pb::GetNeedRequest { id: private_id.clone() }).await.expect_err("hidden");
    let missing = other.get_need(pb::GetNeedRequest { id: "need_doesnotexist".into() }).await.expect_err("missing");
    assert_eq!(hidden.code(), Code::NotFound);
    assert_eq!(missing.code(), Code::NotFound, "hidden and missing look the same");

    let seen = other.get_need(pb::GetNeedRequest { id: anonymous_id.clone() }).await.expect("visible").into_inner();
    assert_eq!(seen.meta.as_ref().map(|m| m.organization_id.as_str()), Some(""), "anonymous owner is withheld");
    let own = owner.get_need(pb::GetNeedRequest { id: anonymous_id.clone() }).await.expect("visible").into_inner();
    assert_eq!(own.meta.map(|m| m.organization_id), Some(owner_org.clone()));

    let others_list = other.list_needs(pb::ListNeedsRequest::default()).await.expect("list").into_inner();
    let ids: Vec<String> = others_list.needs.iter().filter_map(|n| n.meta.clone()).map(|m| m.id).collect();
    assert_eq!(ids, vec![anonymous_id.clone()]);
    let owners_list = owner.list_needs(pb::ListNeedsRequest::default()).await.expect("list").into_inner();
    assert_eq!(owners_list.needs.len(), 2);
    let by_owner = other
        .list_needs(pb::ListNeedsRequest { organization_id: owner_org, ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert!(by_owner.needs.is_empty(), "filtering by owner must not reveal an anonymous need's owner");
}

#[tokio::test]
async fn lists_page_through_every_record_exactly_once() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江工业互联网有限公司", OrganizationKind::Enterprise).await;
    let mut client = app.catalog(Some(&token)).await;
    let mut created = Vec::new();
    for i in 0..7 {
        let mut need = steel_need();
        need.title = format!("工业互联网平台改造 第{i}期");
        let need = client.create_need(pb::CreateNeedRequest { need: Some(need) }).await.expect("create").into_inner();
        created.push(need.meta.expect("meta").id);
    }
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_needs(pb::ListNeedsRequest { page_size: 3, page_token: page_token.clone(), ..Default::default() })
            .await
            .expect("list")
            .into_inner();
        assert!(page.needs.len() <= 3);
        seen.extend(page.needs.into_iter().filter_map(|n| n.meta).map(|m| m.id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(seen, created);
}
