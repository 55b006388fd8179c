//! The gRPC adapter of `AccountService`: each RPC converts and validates the
//! request, calls [`Accounts`] and maps the error. The service is mounted
//! without the token interceptor because AcceptInvitation and ChangePassword
//! are proven by what they carry; the other RPCs authenticate their token
//! here, with the same interceptor every other service is mounted behind.

use std::time::Duration;

use innomatch_core::{
    auth::{AuthInterceptor, Principal},
    convert::timestamp,
    edge::optional_enum,
    model::Role,
    validation::Violations,
};
use innomatch_proto::v1::{self as pb, account_service_server::AccountService};
use tonic::{Request, Response, Status};

use super::{Acceptance, Accounts, NewUser, UserInfo};

/// The gRPC face of [`Accounts`].
#[derive(Debug, Clone)]
pub struct AccountGrpc {
    accounts: Accounts,
    auth: AuthInterceptor,
}

impl AccountGrpc {
    pub fn new(accounts: Accounts, auth: AuthInterceptor) -> Self {
        Self { accounts, auth }
    }

    fn principal<T>(&self, request: &Request<T>) -> Result<Principal, Status> {
        self.auth.authenticate(request.metadata())
    }
}

impl From<UserInfo> for pb::User {
    fn from(user: UserInfo) -> Self {
        pb::User {
            user_id: user.id,
            login: user.login,
            display_name: user.display_name,
            organization_id: user.organization_id.unwrap_or_default(),
            role: user.role.to_proto(),
            created_at: Some(timestamp(user.created_at_ms)),
            locked_until: (user.locked_until_ms > innomatch_core::model::now_ms())
                .then(|| timestamp(user.locked_until_ms)),
        }
    }
}

fn role(value: i32) -> Result<Option<Role>, Violations> {
    let mut v = Violations::new();
    let role = optional_enum(&mut v, "role", value, Role::from_proto);
    v.into_result(role)
}

fn organization(id: String) -> Option<String> {
    (!id.trim().is_empty()).then(|| id.trim().to_owned())
}

#[tonic::async_trait]
impl AccountService for AccountGrpc {
    async fn create_user(&self, request: Request<pb::CreateUserRequest>) -> Result<Response<pb::User>, Status> {
        let principal = self.principal(&request)?;
        let r = request.into_inner();
        let new = NewUser {
            login: r.login,
            display_name: r.display_name,
            password: r.password,
            organization_id: organization(r.organization_id),
            role: role(r.role)?,
        };
        Ok(Response::new(self.accounts.create_user(&principal, new).await?.into()))
    }

    async fn issue_invitation(
        &self,
        request: Request<pb::IssueInvitationRequest>,
    ) -> Result<Response<pb::IssueInvitationResponse>, Status> {
        let principal = self.principal(&request)?;
        let r = request.into_inner();
        let valid_for = (r.valid_for_seconds > 0).then(|| Duration::from_secs(u64::from(r.valid_for_seconds)));
        let issued = self
            .accounts
            .issue_invitation(&principal, organization(r.organization_id), role(r.role)?, valid_for)
            .await?;
        Ok(Response::new(pb::IssueInvitationResponse {
            invitation_id: issued.id,
            code: issued.code,
            expires_at: Some(timestamp(issued.expires_at_ms)),
        }))
    }

    async fn accept_invitation(
        &self,
        request: Request<pb::AcceptInvitationRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let r = request.into_inner();
        let acceptance =
            Acceptance { code: r.code, login: r.login, display_name: r.display_name, password: r.password };
        Ok(Response::new(self.accounts.accept_invitation(acceptance).await?.into()))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        let r = request.into_inner();
        self.accounts.change_password(&r.login, &r.current_password, &r.new_password, None).await?;
        Ok(Response::new(pb::ChangePasswordResponse {}))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        let principal = self.principal(&request)?;
        let org = organization(request.into_inner().organization_id);
        let users = self.accounts.list_users(&principal, org.as_deref()).await?;
        Ok(Response::new(pb::ListUsersResponse { users: users.into_iter().map(pb::User::from).collect() }))
    }
}
