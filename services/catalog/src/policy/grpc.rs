//! The gRPC adapter of `PolicyService`: each RPC takes the principal,
//! converts and validates the request, calls [`Policies`] and maps the
//! error. No rules live here.

use innomatch_core::auth::principal;
use innomatch_proto::v1::{self as pb, policy_service_server::PolicyService};
use tonic::{Request, Response, Status};

use super::{
    Policies, PolicyFilter,
    convert::{OrganizationQuestion, PolicyQuestion, PolicyWrite, pushes_request},
};

/// The gRPC face of [`Policies`].
#[derive(Debug, Clone)]
pub struct PolicyGrpc {
    policies: Policies,
}

impl PolicyGrpc {
    pub fn new(policies: Policies) -> Self {
        Self { policies }
    }
}

#[tonic::async_trait]
impl PolicyService for PolicyGrpc {
    async fn create_policy(
        &self,
        request: Request<pb::CreatePolicyRequest>,
    ) -> Result<Response<pb::SupportPolicy>, Status> {
        let principal = principal(&request)?;
        let PolicyWrite { policy, .. } = request.into_inner().try_into()?;
        Ok(Response::new(self.policies.create(&principal, policy).await?.into()))
    }

    async fn update_policy(
        &self,
        request: Request<pb::UpdatePolicyRequest>,
    ) -> Result<Response<pb::SupportPolicy>, Status> {
        let principal = principal(&request)?;
        let PolicyWrite { id, policy, expected_version } = request.into_inner().try_into()?;
        Ok(Response::new(self.policies.update(&principal, &id, policy, expected_version).await?.into()))
    }

    async fn get_policy(&self, request: Request<pb::GetPolicyRequest>) -> Result<Response<pb::SupportPolicy>, Status> {
        let principal = principal(&request)?;
        Ok(Response::new(self.policies.get(&principal, &request.into_inner().id).await?.into()))
    }

    async fn list_policies(
        &self,
        request: Request<pb::ListPoliciesRequest>,
    ) -> Result<Response<pb::ListPoliciesResponse>, Status> {
        let principal = principal(&request)?;
        let filter = PolicyFilter::try_from(request.into_inner())?;
        let page = self.policies.list(&principal, filter).await?;
        Ok(Response::new(pb::ListPoliciesResponse {
            policies: page.policies.into_iter().map(Into::into).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn archive_policy(
        &self,
        request: Request<pb::ArchiveRequest>,
    ) -> Result<Response<pb::SupportPolicy>, Status> {
        let principal = principal(&request)?;
        let req = request.into_inner();
        Ok(Response::new(self.policies.archive(&principal, &req.id, req.expected_version).await?.into()))
    }

    async fn eligible_for_organization(
        &self,
        request: Request<pb::EligibleForOrganizationRequest>,
    ) -> Result<Response<pb::EligibleForOrganizationResponse>, Status> {
        let principal = principal(&request)?;
        let question = OrganizationQuestion::try_from(request.into_inner())?;
        let answer =
            self.policies.eligible_for_organization(&principal, &question.organization_id, question.at_ms).await?;
        Ok(Response::new(pb::EligibleForOrganizationResponse {
            eligible: answer.eligible.into_iter().map(Into::into).collect(),
            nearly_eligible: answer.nearly_eligible.into_iter().map(Into::into).collect(),
            not_eligible: if question.include_not_eligible {
                answer.not_eligible.into_iter().map(Into::into).collect()
            } else {
                Vec::new()
            },
        }))
    }

    async fn eligible_organizations(
        &self,
        request: Request<pb::EligibleOrganizationsRequest>,
    ) -> Result<Response<pb::EligibleOrganizationsResponse>, Status> {
        let principal = principal(&request)?;
        let question = PolicyQuestion::try_from(request.into_inner())?;
        let reach = self.policies.eligible_organizations(&principal, &question.policy_id, question.at_ms).await?;
        Ok(Response::new(pb::EligibleOrganizationsResponse {
            eligible: reach.eligible.into_iter().map(Into::into).collect(),
            nearly_eligible: if question.include_nearly_eligible {
                reach.nearly_eligible.into_iter().map(Into::into).collect()
            } else {
                Vec::new()
            },
        }))
    }

    async fn list_policy_pushes(
        &self,
        request: Request<pb::ListPolicyPushesRequest>,
    ) -> Result<Response<pb::ListPolicyPushesResponse>, Status> {
        let principal = principal(&request)?;
        let organization_id = pushes_request(request.into_inner())?;
        let pushes = self.policies.pushed_to_organization(&principal, &organization_id).await?;
        Ok(Response::new(pb::ListPolicyPushesResponse { pushes: pushes.into_iter().map(Into::into).collect() }))
    }
}
