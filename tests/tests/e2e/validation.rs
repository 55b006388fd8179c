//! Bad input: each kind of violation is INVALID_ARGUMENT naming the field,
//! and nothing is written (the change feed does not move).

use innomatch_core::model::OrganizationKind;
use innomatch_proto::v1 as pb;
use innomatch_tests::*;

/// A change that makes a valid need invalid in one field.
type NeedMutation = Box<dyn Fn(&mut pb::TechNeed)>;

/// How many events the change feed holds, read as the admin.
async fn feed_length(app: &TestApp) -> usize {
    let mut client = app.admin_catalog().await;
    let mut stream = client
        .watch_changes(pb::WatchChangesRequest { after_sequence: 0, kinds: vec![] })
        .await
        .expect("watch")
        .into_inner();
    // Creating a marker organization and reading up to it tells how many came
    // before; each marker has its own name (a second of the same name is refused).
    let marker =
        app.create_org(&format!("标记机构{}", app.unique_number()), OrganizationKind::Incubator, "440800").await;
    let mut count = 0;
    while let Some(event) = stream.message().await.expect("event") {
        if event.record_id == marker {
            return count;
        }
        count += 1;
    }
    panic!("feed ended");
}

#[tokio::test]
async fn each_kind_of_bad_need_names_its_field_and_writes_nothing() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江石化有限公司", OrganizationKind::Enterprise).await;
    let mut client = app.catalog(Some(&token)).await;
    let before = feed_length(&app).await;

    let cases: Vec<(&str, NeedMutation)> = vec![
        ("need.title", Box::new(|n| n.title = "  ".into())),
        ("need.title", Box::new(|n| n.title = "绿".repeat(201))),
        ("need.description", Box::new(|n| n.description = "碳".repeat(5_001))),
        ("need.visibility", Box::new(|n| n.visibility = 99)),
        ("need.cooperation_modes[0]", Box::new(|n| n.cooperation_modes = vec![77])),
        ("need.region_code", Box::new(|n| n.region_code = "999999".into())),
        ("need.high_tech_fields[0]", Box::new(|n| n.high_tech_fields = vec!["quantum.magic".into()])),
        ("need.industries[0]", Box::new(|n| n.industries = vec!["unknown_chain".into()])),
        ("need.keywords[1]", Box::new(|n| n.keywords = vec!["氢冶金".into(), String::new()])),
        ("need.keywords", Box::new(|n| n.keywords = (0..21).map(|i| format!("关键词{i}")).collect())),
        ("need.target_trl", Box::new(|n| n.target_trl = 10)),
        (
            "need.competencies[0].weight",
            Box::new(|n| n.competencies = vec![pb::RequiredCompetency { name: "氢冶金".into(), weight: 11 }]),
        ),
        ("need.budget.max_yuan", Box::new(|n| n.budget = Some(pb::MoneyRange { min_yuan: 10, max_yuan: 5 }))),
        ("need.title", Box::new(|n| n.title = "含\0空字符".into())),
    ];
    for (field, mutate) in cases {
        let mut need = steel_need();
        mutate(&mut need);
        let status = client.create_need(pb::CreateNeedRequest { need: Some(need) }).await.expect_err(field);
        assert_eq!(violated_fields(&status), vec![field.to_owned()], "{status:?}");
    }
    let status = client.create_need(pb::CreateNeedRequest { need: None }).await.expect_err("missing need");
    assert_eq!(violated_fields(&status), ["need"]);
    assert_eq!(feed_length(&app).await, before + 1, "only the marker organization was written");
}

#[tokio::test]
async fn bad_organizations_capabilities_and_offers_name_their_fields() {
    let app = spawn_app().await;
    let mut admin = app.admin_catalog().await;
    let status = admin
        .create_organization(pb::CreateOrganizationRequest {
            organization: Some(pb::Organization {
                name: String::new(),
                kind: 0,
                region_code: "12".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect_err("bad organization");
    assert_eq!(violated_fields(&status), ["organization.name", "organization.kind", "organization.region_code"]);

    let (_, lab_token) = app.tenant("湛江南药研究院", OrganizationKind::ResearchInstitute).await;
    let mut lab = app.catalog(Some(&lab_token)).await;
    let mut cap = shrimp_capability();
    cap.kind = 0;
    cap.trl = 12;
    let status =
        lab.create_capability(pb::CreateCapabilityRequest { capability: Some(cap) }).await.expect_err("bad capability");
    assert_eq!(violated_fields(&status), ["capability.kind", "capability.trl"]);

    let (_, agency_token) = app.tenant("湛江知识产权服务中心", OrganizationKind::IntermediaryAgency).await;
    let mut agency = app.catalog(Some(&agency_token)).await;
    let mut offer = testing_offer();
    offer.category = 42;
    offer.regions_served = vec!["440800".into(), "nowhere".into()];
    let status =
        agency.create_service_offer(pb::CreateServiceOfferRequest { offer: Some(offer) }).await.expect_err("bad offer");
    assert_eq!(violated_fields(&status), ["offer.category", "offer.regions_served[1]"]);
}

#[tokio::test]
async fn bad_list_requests_and_ids_are_invalid_arguments() {
    let app = spawn_app().await;
    let mut admin = app.admin_catalog().await;
    let status = admin
        .list_needs(pb::ListNeedsRequest { page_token: "not-a-token".into(), ..Default::default() })
        .await
        .expect_err("bad page token");
    assert_eq!(violated_fields(&status), ["page_token"]);
    let status = admin
        .list_needs(pb::ListNeedsRequest { page_size: 100_000, region_code: "000000".into(), ..Default::default() })
        .await
        .expect_err("too large a page");
    assert_eq!(violated_fields(&status), ["page_size", "region_code"]);
    let status = admin.get_need(pb::GetNeedRequest { id: "need/../../etc".into() }).await.expect_err("bad id");
    assert_eq!(violated_fields(&status), ["id"]);
    let status = admin
        .update_need(pb::UpdateNeedRequest { need: Some(steel_need()), expected_version: 1 })
        .await
        .expect_err("update without id");
    assert_eq!(violated_fields(&status), ["need.meta.id"]);
}
