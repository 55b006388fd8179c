//! The gRPC adapter of the matcher: each RPC takes the principal, converts
//! and validates the request (see `convert`), calls [`Matcher`] and maps the
//! error. No rules live here.

use innomatch_core::auth::principal;
use innomatch_proto::v1::{self as pb, matcher_service_server::MatcherService};
use tonic::{Request, Response, Status};

use crate::{
    Matcher, MatcherError,
    convert::{AffinityQuery, CapabilityQuery, ConsortiumQuery, NeedQuery},
};

impl From<MatcherError> for Status {
    fn from(error: MatcherError) -> Self {
        match error {
            MatcherError::Catalog(e) => e.into(),
            MatcherError::Index(_) | MatcherError::Task(_) => {
                tracing::error!(%error, "matching failed");
                Status::internal("matching failed; the error was logged")
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct MatcherGrpc {
    matcher: Matcher,
}

impl MatcherGrpc {
    pub fn new(matcher: Matcher) -> Self {
        Self { matcher }
    }
}

#[tonic::async_trait]
impl MatcherService for MatcherGrpc {
    async fn match_need(
        &self,
        request: Request<pb::MatchNeedRequest>,
    ) -> Result<Response<pb::MatchNeedResponse>, Status> {
        let principal = principal(&request)?;
        let query = NeedQuery::try_from(request.into_inner())?;
        let matches = self.matcher.match_need(&principal, &query.need_id, query.limit).await?;
        Ok(Response::new(matches.into()))
    }

    async fn score_affinity(
        &self,
        request: Request<pb::ScoreAffinityRequest>,
    ) -> Result<Response<pb::ScoreAffinityResponse>, Status> {
        let principal = principal(&request)?;
        let query = AffinityQuery::try_from(request.into_inner())?;
        let organizations = self.matcher.score_affinity(&principal, &query.need_id, &query.organization_ids).await?;
        Ok(Response::new(pb::ScoreAffinityResponse {
            organizations: organizations.into_iter().map(Into::into).collect(),
        }))
    }

    async fn match_capability(
        &self,
        request: Request<pb::MatchCapabilityRequest>,
    ) -> Result<Response<pb::MatchCapabilityResponse>, Status> {
        let principal = principal(&request)?;
        let query = CapabilityQuery::try_from(request.into_inner())?;
        let needs = self.matcher.match_capability(&principal, &query.capability_id, query.limit).await?;
        Ok(Response::new(pb::MatchCapabilityResponse { needs: needs.into_iter().map(Into::into).collect() }))
    }

    async fn propose_consortia(
        &self,
        request: Request<pb::ProposeConsortiaRequest>,
    ) -> Result<Response<pb::ProposeConsortiaResponse>, Status> {
        let principal = principal(&request)?;
        let query = ConsortiumQuery::try_from(request.into_inner())?;
        let proposal = self.matcher.propose_consortia(&principal, &query.need_id, query.constraints).await?;
        Ok(Response::new(proposal.into()))
    }

    async fn propose_services(
        &self,
        request: Request<pb::ProposeServicesRequest>,
    ) -> Result<Response<pb::ProposeServicesResponse>, Status> {
        let principal = principal(&request)?;
        let query = NeedQuery::try_from(request.into_inner())?;
        let proposal = self.matcher.propose_services(&principal, &query.need_id, query.limit).await?;
        Ok(Response::new(proposal.into()))
    }
}
