//! From match to deal, end to end over gRPC: organizations with contact
//! details and a checked, unique credit code; qualifications only an admin
//! verifies, counted only while valid.

use innomatch_core::{
    convert::timestamp,
    model::{OrganizationKind, Role, now_ms},
};
use innomatch_proto::v1 as pb;
use innomatch_tests::*;
use tonic::Code;

const DAY_MS: i64 = 86_400_000;

/// A unified social credit code: the first 17 characters and the check
/// character GB 32100-2015 gives them (C18 = 31 − Σ Ci·3^(i−1) mod 31).
fn credit_code(first_17: &str) -> String {
    let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let sum: usize = first_17
        .chars()
        .enumerate()
        .map(|(i, c)| alphabet.find(c).expect("in the alphabet") * (3usize.pow(i as u32) % 31))
        .sum();
    format!("{first_17}{}", alphabet.chars().nth((31 - sum % 31) % 31).expect("a character"))
}

fn enterprise(name: &str, credit_code: &str) -> pb::Organization {
    pb::Organization {
        name: name.into(),
        kind: pb::OrganizationKind::Enterprise as i32,
        region_code: "440803".into(),
        industries: vec!["green_steel".into()],
        credit_code: credit_code.into(),
        contact_person: "陈海生".into(),
        phone: "0759-3381234".into(),
        email: "chenhs@lvgang.example.cn".into(),
        website: "https://lvgang.example.cn".into(),
        ..Default::default()
    }
}

fn register(organization: pb::Organization, allow_duplicate_name: bool) -> pb::CreateOrganizationRequest {
    pb::CreateOrganizationRequest { organization: Some(organization), allow_duplicate_name }
}

fn certificate(
    qualification: pb::Qualification,
    number: &str,
    from_ms: i64,
    until_ms: i64,
) -> pb::QualificationCertificate {
    pb::QualificationCertificate {
        qualification: qualification as i32,
        certificate_number: number.into(),
        valid_from: Some(timestamp(from_ms)),
        valid_until: Some(timestamp(until_ms)),
        recommended_by_bureau: false,
    }
}

#[tokio::test]
async fn credit_codes_are_checked_and_unique_names_need_a_flag_and_contacts_stay_with_the_owner() {
    let app = spawn_app().await;
    let mut admin = app.admin_catalog().await;
    let code = credit_code("91440800MA4UJ3XX6");

    // A wrong check character is refused on the field, and nothing is written.
    let last = code.chars().last().expect("18 characters");
    let wrong = format!("{}{}", &code[..17], if last == '0' { '1' } else { '0' });
    let refused = admin.create_organization(register(enterprise("湛江绿钢科技有限公司", &wrong), false)).await;
    assert_eq!(violated_fields(&refused.expect_err("a wrong check character")), ["organization.credit_code"]);
    let refused =
        admin.create_organization(register(enterprise("湛江绿钢科技有限公司", "91440800MA4UJ3OX6N"), false)).await;
    assert_eq!(violated_fields(&refused.expect_err("O is not in the alphabet")), ["organization.credit_code"]);

    let steel = admin
        .create_organization(register(enterprise("湛江绿钢科技有限公司", &code.to_lowercase()), false))
        .await
        .expect("a valid code")
        .into_inner();
    let steel_id = steel.meta.clone().expect("meta").id;
    assert_eq!(steel.credit_code, code, "stored upper-cased");

    // The same code again, under another name: refused, naming the holder.
    let again = admin
        .create_organization(register(enterprise("湛江绿钢新材料有限公司", &code), false))
        .await
        .expect_err("one code, one organization");
    assert_eq!(again.code(), Code::AlreadyExists);
    assert!(again.message().contains(&steel_id), "{}", again.message());

    // The same name written differently: a warning that needs the flag.
    let same_name = admin
        .create_organization(register(enterprise("湛江绿钢科技 有限公司", ""), false))
        .await
        .expect_err("a duplicate name needs the flag");
    assert_eq!(same_name.code(), Code::AlreadyExists);
    assert!(same_name.message().contains(&steel_id), "{}", same_name.message());
    admin
        .create_organization(register(enterprise("湛江绿钢科技 有限公司", ""), true))
        .await
        .expect("registered on purpose");

    // Another organization cannot take the code by an update either.
    let other_code = credit_code("91440802617412345");
    let shrimp = admin
        .create_organization(register(enterprise("雷州对虾养殖合作社", &other_code), false))
        .await
        .expect("another code")
        .into_inner();
    let mut taking = shrimp.clone();
    taking.credit_code = code.clone();
    let taken = admin
        .update_organization(pb::UpdateOrganizationRequest { organization: Some(taking), expected_version: 1 })
        .await
        .expect_err("the code is taken");
    assert_eq!(taken.code(), Code::AlreadyExists);

    // Contacts: the organization itself and admins see them, another tenant does not.
    let own_token = app.token_for(&steel_id, Role::Member).await;
    let (_, stranger_token) = app.tenant("湛江海洋大学", OrganizationKind::University).await;
    let read = |token: String| {
        let app = &app;
        let id = steel_id.clone();
        async move {
            app.catalog(Some(&token))
                .await
                .get_organization(pb::GetOrganizationRequest { id })
                .await
                .expect("get")
                .into_inner()
        }
    };
    let own = read(own_token).await;
    assert_eq!((own.contact_person.as_str(), own.phone.as_str()), ("陈海生", "0759-3381234"));
    let seen = read(stranger_token.clone()).await;
    assert_eq!((seen.contact_person.as_str(), seen.phone.as_str(), seen.email.as_str()), ("", "", ""));
    assert_eq!(seen.website, "https://lvgang.example.cn", "the website is public");
    let listed = app
        .catalog(Some(&stranger_token))
        .await
        .list_organizations(pb::ListOrganizationsRequest { industry: "green_steel".into(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert!(listed.organizations.iter().all(|o| o.phone.is_empty() && o.email.is_empty()), "lists hide contacts too");

    // Bad contact details are refused field by field.
    let mut bad = enterprise("湛江预制菜科技有限公司", "");
    bad.phone = "call me".into();
    bad.email = "not-an-address".into();
    let refused = admin.create_organization(register(bad, false)).await.expect_err("bad contacts");
    assert_eq!(violated_fields(&refused), ["organization.phone", "organization.email"]);

    // Once the holder is archived its code may be registered again.
    admin.archive_organization(pb::ArchiveRequest { id: steel_id, expected_version: 0 }).await.expect("archive");
    admin
        .create_organization(register(enterprise("湛江绿钢科技（重组）有限公司", &code), false))
        .await
        .expect("the code is free once its holder is archived");
}

#[tokio::test]
async fn qualifications_are_verified_by_an_admin_and_counted_only_while_valid() {
    let app = spawn_app().await;
    let mut admin = app.admin_catalog().await;
    let figure = |stats: &pb::Stats, key: &str| stats.figures.iter().find(|f| f.key == key).map(|f| f.count);
    let before =
        app.stats(Some(&app.admin_token)).await.get_stats(pb::GetStatsRequest {}).await.expect("stats").into_inner();

    let (steel_id, steel_token) = app.tenant("湛江绿钢科技有限公司", OrganizationKind::Enterprise).await;
    let mut member = app.catalog(Some(&steel_token)).await;
    let current =
        member.get_organization(pb::GetOrganizationRequest { id: steel_id.clone() }).await.expect("get").into_inner();

    // A member cannot declare itself a high-tech enterprise.
    let now = now_ms();
    let mut declared = current.clone();
    declared.qualification_certificates =
        vec![certificate(pb::Qualification::HighTechEnterprise, "GR202544009999", now - DAY_MS, now + 1000 * DAY_MS)];
    let refused = member
        .update_organization(pb::UpdateOrganizationRequest { organization: Some(declared), expected_version: 1 })
        .await
        .expect_err("self-declared");
    assert_eq!(refused.code(), Code::PermissionDenied);
    // Nor does the bare list count: it is derived, and ignored on input.
    let mut listed = current.clone();
    listed.qualifications = vec![pb::Qualification::HighTechEnterprise as i32];
    let kept = member
        .update_organization(pb::UpdateOrganizationRequest { organization: Some(listed), expected_version: 1 })
        .await
        .expect("an update without certificates")
        .into_inner();
    assert!(kept.qualifications.is_empty(), "{:?}", kept.qualifications);

    // The bureau records a valid, a lapsed and a future certificate.
    let mut verified = kept.clone();
    verified.qualification_certificates = vec![
        certificate(pb::Qualification::HighTechEnterprise, "GR202544001234", now - 30 * DAY_MS, now + 1000 * DAY_MS),
        certificate(pb::Qualification::TechSme, "202544080000123", now - 400 * DAY_MS, now - DAY_MS),
        certificate(pb::Qualification::MakerSpace, "ZCKJ2027001", now + 30 * DAY_MS, now + 400 * DAY_MS),
    ];
    let verified = admin
        .update_organization(pb::UpdateOrganizationRequest { organization: Some(verified), expected_version: 2 })
        .await
        .expect("an admin verifies")
        .into_inner();
    assert_eq!(verified.qualifications, [pb::Qualification::HighTechEnterprise as i32], "only the valid one holds");

    // A certificate without its dates is refused.
    let mut undated = verified.clone();
    undated.qualification_certificates[0].valid_until = None;
    let refused = admin
        .update_organization(pb::UpdateOrganizationRequest { organization: Some(undated), expected_version: 3 })
        .await
        .expect_err("undated");
    assert_eq!(violated_fields(&refused), ["organization.qualification_certificates[0].valid_until"]);

    // The member may still edit the rest, sending the certificates back unchanged.
    let mut edited = verified.clone();
    edited.description = "绿色钢铁氢冶金示范".into();
    member
        .update_organization(pb::UpdateOrganizationRequest { organization: Some(edited), expected_version: 3 })
        .await
        .expect("certificates unchanged");

    let after =
        app.stats(Some(&steel_token)).await.get_stats(pb::GetStatsRequest {}).await.expect("stats").into_inner();
    let delta = |key: &str| figure(&after, key).expect(key) - figure(&before, key).expect(key);
    assert_eq!(delta("high_tech_enterprises"), 1);
    assert_eq!(delta("tech_smes"), 0, "a lapsed certificate is not counted");
    assert_eq!(delta("maker_spaces"), 0, "a certificate not yet valid is not counted");
}

/// A need the sample testing offer (预制菜 检验检测) fits well.
fn testing_need(title: &str) -> pb::TechNeed {
    pb::TechNeed {
        title: title.into(),
        description: "出口预制菜需要第三方检测报告与认证".into(),
        industries: vec!["prepared_dishes".into()],
        visibility: pb::Visibility::Public as i32,
        ..Default::default()
    }
}

/// Every lead of a need, any agency, as the matcher (an admin) reads them.
async fn leads_of_need(app: &TestApp, need_id: &str) -> Vec<pb::Lead> {
    app.leads_client(Some(&app.admin_token))
        .await
        .list_leads_of_need(pb::ListLeadsOfNeedRequest { need_id: need_id.into() })
        .await
        .expect("leads of the need")
        .into_inner()
        .leads
}

/// Polls `read` until `done` holds; fails the test after 20 s.
async fn until<T: std::fmt::Debug, F: std::future::Future<Output = T>>(
    what: &str,
    mut read: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let value = read().await;
        if done(&value) {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: still {value:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn publish_testing_offer(app: &TestApp, agency_token: &str) -> String {
    app.catalog(Some(agency_token))
        .await
        .create_service_offer(pb::CreateServiceOfferRequest { offer: Some(testing_offer()) })
        .await
        .expect("offer")
        .into_inner()
        .meta
        .expect("meta")
        .id
}

fn set_status(id: &str, status: pb::NeedStatus) -> pb::SetNeedStatusRequest {
    pb::SetNeedStatusRequest { id: id.into(), status: status as i32, expected_version: 0 }
}

#[tokio::test]
async fn needs_move_through_their_lifecycle_and_their_leads_close_with_them() {
    let app = spawn_app_with(|s| s.catalog.need_expiry_sweep_ms = 100).await;
    let (_, token) = app.tenant("湛江海味预制菜有限公司", OrganizationKind::Enterprise).await;
    let (_, agency_token) = app.tenant("湛江食品检测认证中心", OrganizationKind::IntermediaryAgency).await;
    publish_testing_offer(&app, &agency_token).await;
    let mut catalog = app.catalog(Some(&token)).await;

    // A deadline that has passed is refused at posting.
    let mut late = testing_need("预制菜出口检测（过期）");
    late.deadline = Some(timestamp(now_ms() - DAY_MS));
    let refused = catalog.create_need(pb::CreateNeedRequest { need: Some(late) }).await.expect_err("past deadline");
    assert_eq!(violated_fields(&refused), ["need.deadline"]);

    let need = catalog
        .create_need(pb::CreateNeedRequest { need: Some(testing_need("预制菜微生物检测")) })
        .await
        .expect("need")
        .into_inner();
    assert_eq!(need.need_status, pb::NeedStatus::Open as i32);
    let need_id = need.meta.clone().expect("meta").id;
    let leads = until("a lead for the need", || leads_of_need(&app, &need_id), |l| !l.is_empty()).await;
    assert_eq!(leads[0].status, pb::LeadStatus::New as i32);

    // In talks it is still active; fulfilled it closes, and so do its leads.
    let talking =
        catalog.set_need_status(set_status(&need_id, pb::NeedStatus::InTalks)).await.expect("in talks").into_inner();
    assert_eq!(talking.meta.as_ref().map(|m| m.status), Some(pb::RecordStatus::Active as i32));
    let fulfilled =
        catalog.set_need_status(set_status(&need_id, pb::NeedStatus::Fulfilled)).await.expect("fulfilled").into_inner();
    assert_eq!(fulfilled.need_status, pb::NeedStatus::Fulfilled as i32);
    assert_eq!(fulfilled.meta.as_ref().map(|m| m.status), Some(pb::RecordStatus::Closed as i32));
    let leads = until(
        "the leads closed with the need",
        || leads_of_need(&app, &need_id),
        |l| l.iter().all(|lead| lead.status == pb::LeadStatus::Closed as i32),
    )
    .await;
    assert!(leads[0].history.last().is_some_and(|t| t.note.contains("已解决")), "{:?}", leads[0].history);

    // A closed need neither reopens nor changes; EXPIRED is the server's to set.
    let reopen = catalog.set_need_status(set_status(&need_id, pb::NeedStatus::Open)).await.expect_err("reopen");
    assert_eq!(reopen.code(), Code::FailedPrecondition);
    let edit = catalog
        .update_need(pb::UpdateNeedRequest {
            need: Some(fulfilled.clone()),
            expected_version: fulfilled.meta.as_ref().map_or(0, |m| m.version),
        })
        .await
        .expect_err("edit a closed need");
    assert_eq!(edit.code(), Code::FailedPrecondition);
    let other = catalog
        .create_need(pb::CreateNeedRequest { need: Some(testing_need("对虾养殖水质检测")) })
        .await
        .expect("another need")
        .into_inner();
    let other_id = other.meta.expect("meta").id;
    let refused =
        catalog.set_need_status(set_status(&other_id, pb::NeedStatus::Expired)).await.expect_err("expire by hand");
    assert_eq!(violated_fields(&refused), ["status"]);
    // Another tenant cannot move it.
    let (_, stranger) = app.tenant("雷州对虾养殖合作社", OrganizationKind::Enterprise).await;
    let denied = app
        .catalog(Some(&stranger))
        .await
        .set_need_status(set_status(&other_id, pb::NeedStatus::Withdrawn))
        .await
        .expect_err("a stranger");
    assert_eq!(denied.code(), Code::PermissionDenied);

    // A need past its deadline expires by itself, leaves matching, and its leads close.
    let mut soon = testing_need("预制菜冷链检测（限期）");
    soon.deadline = Some(timestamp(now_ms() + 4_000));
    let soon = catalog.create_need(pb::CreateNeedRequest { need: Some(soon) }).await.expect("need").into_inner();
    let soon_id = soon.meta.expect("meta").id;
    until("a lead for the need due soon", || leads_of_need(&app, &soon_id), |l| !l.is_empty()).await;
    let mut search = app.search(Some(&stranger)).await;
    let found = search_until(&mut search, query("预制菜冷链检测"), |r| r.hits.iter().any(|h| h.id == soon_id)).await;
    assert!(found.hits.iter().any(|h| h.id == soon_id), "an open need is searched");
    let read = || {
        let mut catalog = catalog.clone();
        let id = soon_id.clone();
        async move { catalog.get_need(pb::GetNeedRequest { id }).await.expect("get").into_inner().need_status }
    };
    until("the need expired", read, |s| *s == pb::NeedStatus::Expired as i32).await;
    until(
        "the expired need's leads closed",
        || leads_of_need(&app, &soon_id),
        |l| l.iter().all(|lead| lead.status == pb::LeadStatus::Closed as i32),
    )
    .await;
    let expired = catalog
        .list_needs(pb::ListNeedsRequest { need_status: pb::NeedStatus::Expired as i32, ..Default::default() })
        .await
        .expect("list")
        .into_inner()
        .needs;
    assert_eq!(expired.iter().map(|n| n.title.as_str()).collect::<Vec<_>>(), ["预制菜冷链检测（限期）"]);
    let mut search = app.search(Some(&stranger)).await;
    let found = search_until(&mut search, query("预制菜冷链检测"), |r| r.hits.iter().all(|h| h.id != soon_id)).await;
    assert!(found.hits.iter().all(|h| h.id != soon_id), "an expired need is not searched");
}

#[tokio::test]
async fn new_offers_meet_open_needs_and_a_declined_lead_passes_on_once() {
    let app = spawn_app_with(|s| s.leads.expiry_sweep_secs = 1).await;
    let (_, token) = app.tenant("湛江海味预制菜有限公司", OrganizationKind::Enterprise).await;
    let mut catalog = app.catalog(Some(&token)).await;
    let open = catalog
        .create_need(pb::CreateNeedRequest { need: Some(testing_need("预制菜微生物检测")) })
        .await
        .expect("need")
        .into_inner()
        .meta
        .expect("meta")
        .id;
    let withdrawn = catalog
        .create_need(pb::CreateNeedRequest { need: Some(testing_need("预制菜农残检测")) })
        .await
        .expect("need")
        .into_inner()
        .meta
        .expect("meta")
        .id;
    catalog.set_need_status(set_status(&withdrawn, pb::NeedStatus::Withdrawn)).await.expect("withdraw");

    // Five agencies publish fitting offers after the needs were posted.
    let mut agencies = Vec::new();
    for name in
        ["湛江食品检测认证中心", "粤西检验检测研究院", "湛江海洋食品质检站", "南方预制菜检测中心", "雷州农产品检测所"]
    {
        let (id, agency_token) = app.tenant(name, OrganizationKind::IntermediaryAgency).await;
        publish_testing_offer(&app, &agency_token).await;
        agencies.push((id, agency_token));
    }
    let leads = until("leads for the open need", || leads_of_need(&app, &open), |l| l.len() >= 3).await;
    assert_eq!(leads.len(), 3, "at most three agencies per need: {leads:?}");
    assert!(leads_of_need(&app, &withdrawn).await.is_empty(), "a withdrawn need is not matched");

    // The first agency declines: the need passes to an agency that had no lead.
    let first = &leads[0];
    let (_, first_token) = agencies.iter().find(|(id, _)| *id == first.agency_organization_id).expect("an agency");
    app.leads_client(Some(first_token))
        .await
        .respond_to_lead(pb::RespondToLeadRequest {
            lead_id: first.id.clone(),
            accept: false,
            decline_reason: pb::DeclineReason::NoCapacity as i32,
            note: "本月检测排期已满".into(),
        })
        .await
        .expect("decline");
    let leads = until("the need passed on", || leads_of_need(&app, &open), |l| l.len() >= 4).await;
    let replacement = leads.iter().find(|l| l.replaces_lead_id == first.id).expect("a lead taking over");
    assert!(!leads[..3].iter().any(|l| l.agency_organization_id == replacement.agency_organization_id));
    let declined = leads.iter().find(|l| l.id == first.id).expect("the declined lead");
    assert!(declined.passed_on);

    // The agency that took over declines too: a lead that took over is not passed on again.
    let (_, next_token) = agencies.iter().find(|(id, _)| *id == replacement.agency_organization_id).expect("an agency");
    app.leads_client(Some(next_token))
        .await
        .respond_to_lead(pb::RespondToLeadRequest {
            lead_id: replacement.id.clone(),
            accept: false,
            decline_reason: pb::DeclineReason::OutOfScope as i32,
            note: String::new(),
        })
        .await
        .expect("decline");
    let waiting = app
        .leads_client(Some(&app.admin_token))
        .await
        .list_leads_to_pass_on(pb::ListLeadsToPassOnRequest { limit: 0 })
        .await
        .expect("to pass on")
        .into_inner()
        .leads;
    assert!(waiting.iter().all(|l| l.id != replacement.id), "{waiting:?}");
    // Only admins ask.
    let denied = app
        .leads_client(Some(next_token))
        .await
        .list_leads_to_pass_on(pb::ListLeadsToPassOnRequest { limit: 0 })
        .await
        .expect_err("an agency");
    assert_eq!(denied.code(), Code::PermissionDenied);
}
