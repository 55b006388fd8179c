//! The auth matrix: no token, a bad token, a member of another organization
//! and an admin, for create / update / archive / get on every record kind.

use innomatch_core::model::{OrganizationKind, Role};
use innomatch_proto::v1 as pb;
use innomatch_tests::*;
use tonic::Code;

/// Who calls, in the matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    NoToken,
    BadToken,
    OtherTenant,
    Owner,
    Admin,
}

struct Fixture {
    app: TestApp,
    owner_org: String,
    owner_token: String,
    other_token: String,
}

impl Fixture {
    async fn new(owner_kind: OrganizationKind) -> Self {
        let app = spawn_app().await;
        let (owner_org, owner_token) = app.tenant("湛江海洋装备有限公司", owner_kind).await;
        let (_, other_token) = app.tenant("湛江南药科技有限公司", OrganizationKind::Enterprise).await;
        Fixture { app, owner_org, owner_token, other_token }
    }

    async fn client(&self, caller: Caller) -> CatalogClient {
        match caller {
            Caller::NoToken => self.app.catalog(None).await,
            Caller::BadToken => self.app.catalog(Some("imt_0000forged")).await,
            Caller::OtherTenant => self.app.catalog(Some(&self.other_token)).await,
            Caller::Owner => self.app.catalog(Some(&self.owner_token)).await,
            Caller::Admin => self.app.admin_catalog().await,
        }
    }
}

fn expect_code<T: std::fmt::Debug>(
    result: Result<tonic::Response<T>, tonic::Status>,
    expected: Option<Code>,
    what: &str,
) {
    match (result, expected) {
        (Ok(_), None) => {}
        (Err(status), Some(code)) => assert_eq!(status.code(), code, "{what}: {status:?}"),
        (result, expected) => panic!("{what}: expected {expected:?}, got {result:?}"),
    }
}

/// The code each caller gets for writes on someone's record.
fn write_expectation(caller: Caller) -> Option<Code> {
    match caller {
        Caller::NoToken | Caller::BadToken => Some(Code::Unauthenticated),
        Caller::OtherTenant => Some(Code::PermissionDenied),
        Caller::Owner | Caller::Admin => None,
    }
}

fn read_expectation(caller: Caller) -> Option<Code> {
    match caller {
        Caller::NoToken | Caller::BadToken => Some(Code::Unauthenticated),
        _ => None,
    }
}

const CALLERS: [Caller; 5] = [Caller::NoToken, Caller::BadToken, Caller::OtherTenant, Caller::Owner, Caller::Admin];

#[tokio::test]
async fn need_matrix() {
    let f = Fixture::new(OrganizationKind::Enterprise).await;
    let mut owner = f.client(Caller::Owner).await;
    for caller in CALLERS {
        let mut client = f.client(caller).await;
        let created = client.create_need(pb::CreateNeedRequest { need: Some(steel_need()) }).await;
        let expected = match caller {
            Caller::NoToken | Caller::BadToken => Some(Code::Unauthenticated),
            Caller::Admin => Some(Code::InvalidArgument), // an admin must name the owner
            _ => None,
        };
        expect_code(created, expected, &format!("create need as {caller:?}"));

        let need = owner
            .create_need(pb::CreateNeedRequest { need: Some(steel_need()) })
            .await
            .expect("owner creates")
            .into_inner();
        let id = need.meta.clone().expect("meta").id;
        expect_code(
            client.get_need(pb::GetNeedRequest { id: id.clone() }).await,
            read_expectation(caller),
            &format!("get need as {caller:?}"),
        );
        let mut edit = need.clone();
        edit.description = "改为合作开发氢冶金中试线".into();
        expect_code(
            client.update_need(pb::UpdateNeedRequest { need: Some(edit), expected_version: 1 }).await,
            write_expectation(caller),
            &format!("update need as {caller:?}"),
        );
        expect_code(
            client.archive_need(pb::ArchiveRequest { id, expected_version: 0 }).await,
            write_expectation(caller),
            &format!("archive need as {caller:?}"),
        );
    }
}

#[tokio::test]
async fn forged_owner_ids_are_rejected_and_admins_may_name_any_owner() {
    let f = Fixture::new(OrganizationKind::Enterprise).await;
    let mut forged = steel_need();
    forged.meta = Some(pb::RecordMeta { organization_id: f.owner_org.clone(), ..Default::default() });
    let mut other = f.client(Caller::OtherTenant).await;
    let refused =
        other.create_need(pb::CreateNeedRequest { need: Some(forged.clone()) }).await.expect_err("forged owner");
    assert_eq!(refused.code(), Code::PermissionDenied);
    let listed =
        f.client(Caller::Admin).await.list_needs(pb::ListNeedsRequest::default()).await.expect("list").into_inner();
    assert!(listed.needs.is_empty(), "the refused create wrote nothing");

    let mut admin = f.client(Caller::Admin).await;
    let created = admin
        .create_need(pb::CreateNeedRequest { need: Some(forged) })
        .await
        .expect("admin names the owner")
        .into_inner();
    assert_eq!(created.meta.map(|m| m.organization_id), Some(f.owner_org.clone()));

    // Changing the owner through an update is refused too.
    let mut owner = f.client(Caller::Owner).await;
    let need =
        owner.create_need(pb::CreateNeedRequest { need: Some(steel_need()) }).await.expect("create").into_inner();
    let mut moved = need.clone();
    if let Some(meta) = moved.meta.as_mut() {
        meta.organization_id = "org_someoneelse".into();
    }
    let refused = owner
        .update_need(pb::UpdateNeedRequest { need: Some(moved), expected_version: 1 })
        .await
        .expect_err("owner change");
    assert_eq!(refused.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn capability_matrix() {
    let f = Fixture::new(OrganizationKind::University).await;
    let mut owner = f.client(Caller::Owner).await;
    for caller in CALLERS {
        let mut client = f.client(caller).await;
        let expected = match caller {
            Caller::NoToken | Caller::BadToken => Some(Code::Unauthenticated),
            Caller::Admin => Some(Code::InvalidArgument),
            _ => None,
        };
        expect_code(
            client.create_capability(pb::CreateCapabilityRequest { capability: Some(shrimp_capability()) }).await,
            expected,
            &format!("create capability as {caller:?}"),
        );
        let cap = owner
            .create_capability(pb::CreateCapabilityRequest { capability: Some(shrimp_capability()) })
            .await
            .expect("owner creates")
            .into_inner();
        let id = cap.meta.clone().expect("meta").id;
        expect_code(
            client.get_capability(pb::GetCapabilityRequest { id: id.clone() }).await,
            read_expectation(caller),
            "get capability",
        );
        expect_code(
            client.update_capability(pb::UpdateCapabilityRequest { capability: Some(cap), expected_version: 1 }).await,
            write_expectation(caller),
            &format!("update capability as {caller:?}"),
        );
        expect_code(
            client.archive_capability(pb::ArchiveRequest { id, expected_version: 0 }).await,
            write_expectation(caller),
            &format!("archive capability as {caller:?}"),
        );
    }
}

#[tokio::test]
async fn offer_matrix() {
    let f = Fixture::new(OrganizationKind::IntermediaryAgency).await;
    let mut owner = f.client(Caller::Owner).await;
    for caller in CALLERS {
        let mut client = f.client(caller).await;
        let expected = match caller {
            Caller::NoToken | Caller::BadToken => Some(Code::Unauthenticated),
            Caller::Admin => Some(Code::InvalidArgument),
            // The other tenant is an enterprise: it sells no services.
            Caller::OtherTenant => Some(Code::FailedPrecondition),
            Caller::Owner => None,
        };
        expect_code(
            client.create_service_offer(pb::CreateServiceOfferRequest { offer: Some(testing_offer()) }).await,
            expected,
            &format!("create offer as {caller:?}"),
        );
        let offer = owner
            .create_service_offer(pb::CreateServiceOfferRequest { offer: Some(testing_offer()) })
            .await
            .expect("owner creates")
            .into_inner();
        let id = offer.meta.clone().expect("meta").id;
        expect_code(
            client.get_service_offer(pb::GetServiceOfferRequest { id: id.clone() }).await,
            read_expectation(caller),
            "get offer",
        );
        expect_code(
            client
                .update_service_offer(pb::UpdateServiceOfferRequest { offer: Some(offer), expected_version: 1 })
                .await,
            write_expectation(caller),
            &format!("update offer as {caller:?}"),
        );
        expect_code(
            client.archive_service_offer(pb::ArchiveRequest { id, expected_version: 0 }).await,
            write_expectation(caller),
            &format!("archive offer as {caller:?}"),
        );
    }
}

#[tokio::test]
async fn organization_matrix() {
    let f = Fixture::new(OrganizationKind::Enterprise).await;
    for caller in CALLERS {
        let mut client = f.client(caller).await;
        let expected = match caller {
            Caller::NoToken | Caller::BadToken => Some(Code::Unauthenticated),
            Caller::OtherTenant | Caller::Owner => Some(Code::PermissionDenied), // only admins register
            Caller::Admin => None,
        };
        let org = pb::Organization {
            name: "湛江火龙果合作社".into(),
            kind: pb::OrganizationKind::Enterprise as i32,
            region_code: "440882".into(),
            ..Default::default()
        };
        expect_code(
            client
                .create_organization(pb::CreateOrganizationRequest { organization: Some(org), ..Default::default() })
                .await,
            expected,
            &format!("create organization as {caller:?}"),
        );
        let current = f
            .client(Caller::Admin)
            .await
            .get_organization(pb::GetOrganizationRequest { id: f.owner_org.clone() })
            .await
            .expect("admin reads")
            .into_inner();
        let version = current.meta.as_ref().map(|m| m.version).unwrap_or_default();
        expect_code(
            client.get_organization(pb::GetOrganizationRequest { id: f.owner_org.clone() }).await,
            read_expectation(caller),
            "get organization",
        );
        expect_code(
            client
                .update_organization(pb::UpdateOrganizationRequest {
                    organization: Some(current),
                    expected_version: version,
                })
                .await,
            write_expectation(caller),
            &format!("update organization as {caller:?}"),
        );
    }
    // Archive last: it ends the organization.
    let refused = f
        .client(Caller::OtherTenant)
        .await
        .archive_organization(pb::ArchiveRequest { id: f.owner_org.clone(), expected_version: 0 })
        .await
        .expect_err("another tenant cannot archive");
    assert_eq!(refused.code(), Code::PermissionDenied);
    f.client(Caller::Admin)
        .await
        .archive_organization(pb::ArchiveRequest { id: f.owner_org.clone(), expected_version: 0 })
        .await
        .expect("admin archives");
}

#[tokio::test]
async fn tokens_are_issued_by_admins_shown_once_and_revocable() {
    let app = spawn_app().await;
    let (org, member_token) = app.tenant("湛江鞋业有限公司", OrganizationKind::Enterprise).await;
    let mut member_admin = app.admin(Some(&member_token)).await;
    let refused = member_admin
        .issue_token(pb::IssueTokenRequest {
            organization_id: org.clone(),
            role: pb::Role::Member as i32,
            label: String::new(),
        })
        .await
        .expect_err("members issue no tokens");
    assert_eq!(refused.code(), Code::PermissionDenied);
    let me = member_admin.who_am_i(pb::WhoAmIRequest {}).await.expect("whoami").into_inner();
    assert_eq!(me.organization_id, org);
    assert_eq!(me.role, pb::Role::Member as i32);

    let mut admin = app.admin(Some(&app.admin_token.clone())).await;
    let agency_for_enterprise = admin
        .issue_token(pb::IssueTokenRequest {
            organization_id: org.clone(),
            role: pb::Role::Agency as i32,
            label: String::new(),
        })
        .await
        .expect_err("agency tokens are for agencies");
    assert_eq!(agency_for_enterprise.code(), Code::FailedPrecondition);

    let listed =
        admin.list_tokens(pb::ListTokensRequest { organization_id: org.clone() }).await.expect("list").into_inner();
    assert_eq!(listed.tokens.len(), 1);
    assert!(listed.tokens.iter().all(|t| !format!("{t:?}").contains(&member_token)), "secrets are never listed");

    admin.revoke_token(pb::RevokeTokenRequest { token_id: me.token_id.clone() }).await.expect("revoke");
    let after = member_admin.who_am_i(pb::WhoAmIRequest {}).await.expect_err("revoked");
    assert_eq!(after.code(), Code::Unauthenticated);

    // Tokens survive a restart (only their hashes are stored).
    let fresh = app.token_for(&org, Role::Member).await;
    let app = app.restart().await;
    let me = app.admin(Some(&fresh)).await.who_am_i(pb::WhoAmIRequest {}).await.expect("still valid").into_inner();
    assert_eq!(me.organization_id, org);
    let revoked = app.admin(Some(&member_token)).await.who_am_i(pb::WhoAmIRequest {}).await.expect_err("still revoked");
    assert_eq!(revoked.code(), Code::Unauthenticated);
}
