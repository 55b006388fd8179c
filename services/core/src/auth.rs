//! API tokens and the authenticated principal: random tokens kept only as a
//! SHA-256 hash, a gRPC interceptor that resolves `authorization: Bearer …`
//! into a [`Principal`], the ownership rules every service applies, and
//! [`BearerToken`], the client-side interceptor every caller (the CLI, the
//! matcher calling a remote leads service, the end-to-end tests) shares.

use std::sync::Arc;

use rand::RngCore;
use sha2::{Digest, Sha256};
use tonic::{
    Request, Status,
    metadata::{Ascii, MetadataValue},
    service::Interceptor,
};

use crate::model::{Record, Role, Visibility};

/// The prefix of every token this server issues, so a leaked one is recognizable.
pub const TOKEN_PREFIX: &str = "imt_";

/// Who is calling, as established by the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: String,
    /// The organization the token acts for; `None` only for admin tokens without one.
    pub organization_id: Option<String>,
    pub role: Role,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// True when the principal may write records owned by `organization_id`.
    pub fn acts_for(&self, organization_id: &str) -> bool {
        self.is_admin() || self.organization_id.as_deref() == Some(organization_id)
    }

    /// True when the principal may see the record at all.
    pub fn can_see(&self, record: &Record) -> bool {
        record.visibility() != Visibility::Private || self.acts_for(&record.meta().organization_id)
    }

    /// The record as this principal may see it: anonymous needs lose their
    /// owner, and organizations their contact details, for everyone but the
    /// owner (and admins). `None` when it may not be seen.
    pub fn redact(&self, mut record: Record) -> Option<Record> {
        if !self.can_see(&record) {
            return None;
        }
        let own = self.acts_for(&record.meta().organization_id);
        if record.visibility() == Visibility::Anonymous && !own {
            record.meta_mut().organization_id.clear();
        }
        if let Record::Organization(org) = &mut record
            && !own
        {
            org.contact = Default::default();
        }
        Some(record)
    }
}

/// A freshly generated token: the secret goes to the user once, the hash to the store.
#[derive(Debug)]
pub struct NewToken {
    pub secret: String,
    pub hash: String,
}

pub fn generate_token() -> NewToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let hash = hash_token(&secret);
    NewToken { secret, hash }
}

/// Tokens carry 256 random bits, so a fast hash is enough: nothing to brute-force.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether a principal's token still acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Active,
    /// The token was revoked (or is unknown): UNAUTHENTICATED.
    Revoked,
    /// The token's organization was archived: PERMISSION_DENIED.
    Archived,
}

impl Standing {
    /// The error that ends a call or a stream of a principal in this standing.
    pub fn refusal(self, principal: &Principal) -> Option<Status> {
        match self {
            Standing::Active => None,
            Standing::Revoked => Some(Status::unauthenticated("unknown or revoked token")),
            Standing::Archived => Some(Status::permission_denied(format!(
                "organization {} is archived: its tokens no longer act",
                principal.organization_id.as_deref().unwrap_or_default()
            ))),
        }
    }
}

/// Finds the principal for a token hash; implemented by the token store.
pub trait TokenResolver: Send + Sync + 'static {
    fn resolve(&self, token_hash: &str) -> Option<Principal>;

    /// The principal of an active token by its id (see [`ACTING_FOR_HEADER`]).
    fn resolve_id(&self, token_id: &str) -> Option<Principal> {
        let _ = token_id;
        None
    }

    /// Whether `principal` (resolved earlier) may still act now: open
    /// streams ask again whenever [`TokenResolver::changes`] ticks.
    fn standing(&self, principal: &Principal) -> Standing {
        let _ = principal;
        Standing::Active
    }

    /// Ticks whenever tokens or organizations may have changed standing
    /// (an issue, a revocation, an archive, a refresh from the store).
    fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        // A resolver whose standings never change: the sender is gone at once.
        tokio::sync::watch::channel(0).1
    }
}

/// Resolves the bearer token of every request and stores the [`Principal`] in
/// the request's extensions; a missing or unknown token is UNAUTHENTICATED.
#[derive(Clone)]
pub struct AuthInterceptor {
    resolver: Arc<dyn TokenResolver>,
    bootstrap_admin_hash: Option<Arc<str>>,
    fair_use: Option<Arc<crate::fair_use::FairUse>>,
}

impl std::fmt::Debug for AuthInterceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthInterceptor").finish_non_exhaustive()
    }
}

/// The token id the bootstrap admin token (from configuration) is known by.
pub const BOOTSTRAP_TOKEN_ID: &str = "bootstrap-admin";

/// With an admin token, the id of the token the call is made for: the call
/// is judged as that token's. A replica that follows the catalog reads
/// records on its callers' behalf this way, so the catalog itself decides
/// what each caller may see. It can only narrow: admins may act as anyone.
pub const ACTING_FOR_HEADER: &str = "innomatch-acting-for";

impl AuthInterceptor {
    pub fn new(resolver: Arc<dyn TokenResolver>, bootstrap_admin_token: Option<&str>) -> Self {
        Self { resolver, bootstrap_admin_hash: bootstrap_admin_token.map(|t| Arc::from(hash_token(t))), fair_use: None }
    }

    /// Carries the per-token fair-use limits: the stream cap is applied by
    /// the [`crate::standing::StandingWatch`] each call gets, the call rate
    /// and running cap by the server's mount around every service.
    pub fn with_fair_use(mut self, fair_use: Arc<crate::fair_use::FairUse>) -> Self {
        self.fair_use = Some(fair_use);
        self
    }

    /// The fair-use limits applied, if any.
    pub fn fair_use(&self) -> Option<&Arc<crate::fair_use::FairUse>> {
        self.fair_use.as_ref()
    }

    pub fn authenticate(&self, metadata: &tonic::metadata::MetadataMap) -> Result<Principal, Status> {
        let header = metadata
            .get("authorization")
            .ok_or_else(|| Status::unauthenticated("missing authorization header (Bearer token)"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Status::unauthenticated("authorization must be `Bearer <token>`"))?;
        let hash = hash_token(token);
        let principal = if self.bootstrap_admin_hash.as_deref() == Some(hash.as_str()) {
            Principal { token_id: BOOTSTRAP_TOKEN_ID.into(), organization_id: None, role: Role::Admin }
        } else {
            let principal =
                self.resolver.resolve(&hash).ok_or_else(|| Status::unauthenticated("unknown or revoked token"))?;
            if let Some(refusal) = self.resolver.standing(&principal).refusal(&principal) {
                return Err(refusal);
            }
            principal
        };
        match metadata.get(ACTING_FOR_HEADER) {
            None => Ok(principal),
            Some(_) if !principal.is_admin() => {
                Err(Status::permission_denied(format!("only an admin token may send {ACTING_FOR_HEADER}")))
            }
            Some(value) => {
                let token_id = value
                    .to_str()
                    .map_err(|_| Status::invalid_argument(format!("{ACTING_FOR_HEADER} must be a token id")))?;
                let acted_for = self.resolver.resolve_id(token_id).ok_or_else(|| {
                    Status::unauthenticated(format!("the token acted for ({token_id}) is unknown or revoked"))
                })?;
                match self.resolver.standing(&acted_for).refusal(&acted_for) {
                    Some(refusal) => Err(refusal),
                    None => Ok(acted_for),
                }
            }
        }
    }

    /// The standing of `principal` as the resolver sees it from now on.
    pub fn standing_of(&self, principal: Principal) -> crate::standing::StandingWatch {
        let watch = crate::standing::StandingWatch::new(Arc::clone(&self.resolver), principal);
        match &self.fair_use {
            Some(fair_use) => watch.with_fair_use(Arc::clone(fair_use)),
            None => watch,
        }
    }
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let principal = self.authenticate(request.metadata())?;
        // The server opens one span per call with an empty `principal` field: fill it in.
        tracing::Span::current().record("principal", principal.token_id.as_str());
        request.extensions_mut().insert(self.standing_of(principal.clone()));
        request.extensions_mut().insert(principal);
        Ok(request)
    }
}

/// The principal the interceptor attached to a request.
pub fn principal<T>(request: &Request<T>) -> Result<Principal, Status> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("request was not authenticated"))
}

/// The standing of the request's principal, for streams that must end when
/// its token is revoked or its organization archived.
pub fn standing<T>(request: &Request<T>) -> Result<crate::standing::StandingWatch, Status> {
    request
        .extensions()
        .get::<crate::standing::StandingWatch>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("request was not authenticated"))
}

/// Adds `authorization: Bearer <token>` to every outgoing call, or nothing
/// when there is no token (so callers can test the unauthenticated path).
#[derive(Clone, Default)]
pub struct BearerToken(Option<MetadataValue<Ascii>>);

/// A token that cannot travel in an HTTP header (non-visible ASCII).
#[derive(Debug, thiserror::Error)]
#[error("the token has characters a header cannot carry")]
pub struct UnsendableToken;

impl BearerToken {
    /// `None` or an empty token sends no header.
    pub fn new(token: Option<&str>) -> Result<Self, UnsendableToken> {
        let header = token
            .filter(|t| !t.is_empty())
            .map(|t| {
                let mut value = MetadataValue::try_from(format!("Bearer {t}")).map_err(|_| UnsendableToken)?;
                // Debug output of the header (and of this type) never shows the secret.
                value.set_sensitive(true);
                Ok(value)
            })
            .transpose()?;
        Ok(Self(header))
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("BearerToken").field(&self.0.as_ref().map(|_| "…")).finish()
    }
}

/// Every outgoing call also carries the caller's trace context, so the
/// callee's spans join the caller's trace (see [`crate::telemetry`]).
impl Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        crate::telemetry::inject_current_context(request.metadata_mut());
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_matches() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(TOKEN_PREFIX));
        assert_eq!(hash_token(&a.secret), a.hash);
        assert_ne!(hash_token(&b.secret), a.hash);
        assert!(!a.hash.contains(&a.secret[TOKEN_PREFIX.len()..]));
    }

    #[test]
    fn a_bearer_token_adds_its_header_and_hides_it_from_debug_output() {
        assert!(BearerToken::new(Some("imt_a\nb")).is_err(), "a token a header cannot carry is refused");
        let mut bearer = BearerToken::new(Some("imt_abc")).expect("ascii token");
        let request = bearer.call(Request::new(())).expect("interceptor");
        assert_eq!(request.metadata().get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer imt_abc"));
        assert!(!format!("{bearer:?}").contains("imt_abc"));
        let mut anonymous = BearerToken::new(None).expect("no token");
        assert!(anonymous.call(Request::new(())).expect("interceptor").metadata().get("authorization").is_none());
    }

    /// Two tokens: an admin's and a member's of 湛江澄澜特钢.
    struct TwoTokens;

    fn member() -> Principal {
        Principal { token_id: "tok_member".into(), organization_id: Some("org_steel".into()), role: Role::Member }
    }

    impl TokenResolver for TwoTokens {
        fn resolve(&self, token_hash: &str) -> Option<Principal> {
            if token_hash == hash_token("imt_admin") {
                Some(Principal { token_id: "tok_admin".into(), organization_id: None, role: Role::Admin })
            } else if token_hash == hash_token("imt_member") {
                Some(member())
            } else {
                None
            }
        }

        fn resolve_id(&self, token_id: &str) -> Option<Principal> {
            (token_id == "tok_member").then(member)
        }
    }

    fn calling(token: &str, acting_for: Option<&str>) -> Result<Principal, Status> {
        let interceptor = AuthInterceptor::new(Arc::new(TwoTokens), None);
        let mut metadata = tonic::metadata::MetadataMap::new();
        metadata.insert("authorization", format!("Bearer {token}").parse().expect("header"));
        if let Some(id) = acting_for {
            metadata.insert(ACTING_FOR_HEADER, id.parse().expect("header"));
        }
        interceptor.authenticate(&metadata)
    }

    #[test]
    fn an_admin_may_act_for_another_token_and_nobody_else_may() {
        assert!(calling("imt_admin", None).expect("admin").is_admin());
        assert_eq!(calling("imt_admin", Some("tok_member")).expect("acting for the member"), member());
        assert_eq!(
            calling("imt_admin", Some("tok_revoked")).expect_err("unknown token").code(),
            tonic::Code::Unauthenticated
        );
        assert_eq!(
            calling("imt_member", Some("tok_member")).expect_err("a member cannot act for anyone").code(),
            tonic::Code::PermissionDenied
        );
    }
}
