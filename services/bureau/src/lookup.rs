//! The enterprise lookup (企业查询) for the bureau: one organization found by
//! id, unified social credit code or name, with its whole picture — its
//! qualification certificates and their standing today (valid, expiring
//! soon, expired, not yet valid), its needs, capabilities and service
//! offers, the leads made for its needs or offered to it with their
//! outcomes, the expressions of interest it received and sent, the
//! notifications it received, and the support policies it is eligible (or
//! nearly eligible) for and those pushed to it. Admins only: the picture
//! holds every tenant's private needs and contacts.

use innomatch_catalog::{
    Catalog, Interests, Policies,
    interest::{InterestFilter, InterestList, InterestSide, InterestView},
    policy::{OrganizationEligibility, PushedPolicy},
    service::ListFilter,
};
use innomatch_core::{
    auth::Principal,
    credit_code,
    model::{Capability, Organization, QualificationCertificate, Record, RecordKind, Role, ServiceOffer, TechNeed},
    tag::Tag,
    validation::Violations,
};
use innomatch_leads::{
    Leads,
    model::Lead,
    notifications::{NotificationFilter, Notifications, model::Notification},
    service::ListFilter as LeadFilter,
};

use crate::LookupError;

/// A certificate whose validity ends within this many days is expiring soon:
/// time enough to apply again (a 高新技术企业 renewal takes months).
pub const EXPIRING_SOON_DAYS: i64 = 90;

const DAY_MS: i64 = 86_400_000;

/// How many of the organization's newest notifications the picture lists.
pub const NOTIFICATIONS_SHOWN: u32 = 100;

/// How many organizations a name may match before the lookup asks for more.
const CANDIDATES_SHOWN: usize = 10;

/// Where a certificate stands on the day of the lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Valid,
    /// Valid today, ending within [`EXPIRING_SOON_DAYS`].
    ExpiringSoon,
    Expired,
    NotYetValid,
}

impl Standing {
    pub fn of(certificate: &QualificationCertificate, at_ms: i64) -> Standing {
        if at_ms < certificate.valid_from_ms {
            Standing::NotYetValid
        } else if at_ms > certificate.valid_until_ms {
            Standing::Expired
        } else if certificate.valid_until_ms - at_ms <= EXPIRING_SOON_DAYS * DAY_MS {
            Standing::ExpiringSoon
        } else {
            Standing::Valid
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Standing::Valid => "valid",
            Standing::ExpiringSoon => "expiring_soon",
            Standing::Expired => "expired",
            Standing::NotYetValid => "not_yet_valid",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Standing::Valid => "有效",
            Standing::ExpiringSoon => "即将到期",
            Standing::Expired => "已过期",
            Standing::NotYetValid => "尚未生效",
        }
    }
}

/// A certificate and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateStanding {
    pub certificate: QualificationCertificate,
    pub standing: Standing,
    /// Whole days until the last day of validity (negative once expired).
    pub days_left: i64,
}

/// One organization's whole picture.
#[derive(Debug, Clone)]
pub struct OrganizationLookup {
    /// As an admin reads it: contacts included.
    pub organization: Organization,
    /// Every certificate on record, newest validity first.
    pub qualifications: Vec<CertificateStanding>,
    /// Every need, capability and offer it owns that is not archived
    /// (private needs and closed ones included), oldest first.
    pub needs: Vec<TechNeed>,
    pub capabilities: Vec<Capability>,
    pub offers: Vec<ServiceOffer>,
    /// The leads made for its needs and those offered to it as an agency,
    /// newest first, with status, decline reason and history; `None` when
    /// the leads service does not run in this process.
    pub leads: Option<Vec<Lead>>,
    /// Expressions of interest in its needs, and those it expressed.
    pub interests_received: Vec<InterestView>,
    pub interests_sent: Vec<InterestView>,
    /// Its newest notifications (at most [`NOTIFICATIONS_SHOWN`]); `None`
    /// when the notification service does not run in this process.
    pub notifications: Option<Vec<Notification>>,
    /// Every support policy in force that day, by verdict (eligible, nearly
    /// eligible, not), each requirement met / not met / unknown.
    pub policies: OrganizationEligibility,
    /// The policies pushed to it, once each.
    pub policies_received: Vec<PushedPolicy>,
}

/// The bureau's views over the services that run in this process.
#[derive(Clone)]
pub struct Bureau {
    catalog: Catalog,
    interests: Interests,
    leads: Option<Leads>,
    notifications: Option<Notifications>,
}

/// An admin acting for `organization_id`: how the bureau reads an
/// organization's own lists (leads, notifications, interests) as it sees them.
fn acting_for(admin: &Principal, organization_id: &str) -> Principal {
    Principal { token_id: admin.token_id.clone(), organization_id: Some(organization_id.to_owned()), role: Role::Admin }
}

fn organizations(records: Vec<Record>) -> Vec<Organization> {
    records
        .into_iter()
        .filter_map(|r| match r {
            Record::Organization(org) => Some(org),
            _ => None,
        })
        .collect()
}

impl Bureau {
    pub fn new(catalog: Catalog) -> Self {
        Self { interests: Interests::new(catalog.clone()), catalog, leads: None, notifications: None }
    }

    pub fn with_leads(mut self, leads: Option<Leads>) -> Self {
        self.leads = leads;
        self
    }

    pub fn with_notifications(mut self, notifications: Option<Notifications>) -> Self {
        self.notifications = notifications;
        self
    }

    /// Every record of `kind` matching `filter`, through all pages.
    async fn all(
        &self,
        principal: &Principal,
        kind: RecordKind,
        filter: ListFilter,
    ) -> Result<Vec<Record>, LookupError> {
        let mut filter = ListFilter { page_size: 500, ..filter };
        let mut records = Vec::new();
        loop {
            let page = self.catalog.list(principal, kind, filter.clone()).await?;
            records.extend(page.records);
            if page.next_page_token.is_empty() {
                return Ok(records);
            }
            filter.page_token = page.next_page_token;
        }
    }

    /// The organization `query` names: an id (`org_…`), a unified social
    /// credit code, or a name — the exact name (ignoring spaces, punctuation,
    /// width and case) or, failing that, the one name containing the text.
    pub async fn find(&self, principal: &Principal, query: &str) -> Result<Organization, LookupError> {
        let query = query.trim();
        if query.is_empty() {
            return Err(Violations::single("query", "name an organization: its id, credit code or name").into());
        }
        if query.starts_with("org_") {
            return match self.catalog.get(principal, RecordKind::Organization, query).await? {
                Record::Organization(org) => Ok(org),
                _ => Err(LookupError::NotFound(format!("organization {query} not found"))),
            };
        }
        let by_tag = |tag: Tag| ListFilter { tags: vec![tag], ..ListFilter::default() };
        let code = credit_code::normalize(query);
        if credit_code::validate(&code).is_ok() {
            let found = organizations(
                self.all(principal, RecordKind::Organization, by_tag(Tag::CreditCode(code.clone()))).await?,
            );
            return found
                .into_iter()
                .next()
                .ok_or_else(|| LookupError::NotFound(format!("no organization holds the credit code {code}")));
        }
        let exact = organizations(
            self.all(principal, RecordKind::Organization, by_tag(Tag::Name(credit_code::name_key(query)))).await?,
        );
        if let [only] = &exact[..] {
            return Ok(only.clone());
        }
        let candidates = if exact.is_empty() {
            let key = credit_code::name_key(query);
            organizations(self.all(principal, RecordKind::Organization, ListFilter::default()).await?)
                .into_iter()
                .filter(|org| credit_code::name_key(&org.name).contains(&key))
                .collect()
        } else {
            exact
        };
        match &candidates[..] {
            [] => Err(LookupError::NotFound(format!("no organization is called {query:?}"))),
            [only] => Ok(only.clone()),
            many => {
                let named: Vec<String> =
                    many.iter().take(CANDIDATES_SHOWN).map(|org| format!("{} ({})", org.name, org.meta.id)).collect();
                Err(Violations::single(
                    "query",
                    format!("{} organizations match; name one by id or credit code: {}", many.len(), named.join("、")),
                )
                .into())
            }
        }
    }

    async fn interests(&self, principal: &Principal, side: InterestSide) -> Result<Vec<InterestView>, LookupError> {
        let mut filter =
            InterestFilter { side, need_id: None, statuses: Vec::new(), page_size: 100, page_token: String::new() };
        let mut interests = Vec::new();
        loop {
            let InterestList { interests: page, next_page_token } =
                self.interests.list(principal, filter.clone()).await?;
            interests.extend(page);
            if next_page_token.is_empty() {
                return Ok(interests);
            }
            filter.page_token = next_page_token;
        }
    }

    /// The leads of `needs` and, for an agency, the leads offered to it; newest first, once each.
    async fn leads(&self, leads: &Leads, principal: &Principal, needs: &[TechNeed]) -> Result<Vec<Lead>, LookupError> {
        let mut found: Vec<Lead> = Vec::new();
        for need in needs {
            found.extend(leads.leads_of_need(&need.meta.id).await?);
        }
        let mut filter = LeadFilter { statuses: Vec::new(), category: None, page_size: 100, page_token: String::new() };
        loop {
            let page = leads.list(principal, filter.clone()).await?;
            found.extend(page.leads);
            if page.next_page_token.is_empty() {
                break;
            }
            filter.page_token = page.next_page_token;
        }
        found.sort_by(|a, b| b.created_at_ms.cmp(&a.created_at_ms).then_with(|| a.id.cmp(&b.id)));
        found.dedup_by(|a, b| a.id == b.id);
        Ok(found)
    }

    /// The whole picture of the organization `query` names, as of `at_ms`.
    pub async fn lookup(
        &self,
        principal: &Principal,
        query: &str,
        at_ms: i64,
    ) -> Result<OrganizationLookup, LookupError> {
        if !principal.is_admin() {
            return Err(LookupError::PermissionDenied(
                "the enterprise lookup is the bureau's: use an admin token".into(),
            ));
        }
        let organization = self.find(principal, query).await?;
        let id = organization.meta.id.clone();
        let owned = || ListFilter { organization_id: Some(id.clone()), ..ListFilter::default() };
        let mut needs = Vec::new();
        let mut capabilities = Vec::new();
        let mut offers = Vec::new();
        for kind in [RecordKind::Need, RecordKind::Capability, RecordKind::ServiceOffer] {
            for record in self.all(principal, kind, owned()).await? {
                match record {
                    Record::Need(need) => needs.push(need),
                    Record::Capability(capability) => capabilities.push(capability),
                    Record::Offer(offer) => offers.push(offer),
                    Record::Organization(_) | Record::Policy(_) => {}
                }
            }
        }
        let as_organization = acting_for(principal, &id);
        let leads = match &self.leads {
            Some(leads) => Some(self.leads(leads, &as_organization, &needs).await?),
            None => None,
        };
        let notifications = match &self.notifications {
            Some(notifications) => Some(
                notifications
                    .list(
                        &as_organization,
                        NotificationFilter { page_size: NOTIFICATIONS_SHOWN, ..NotificationFilter::default() },
                    )
                    .await?
                    .notifications,
            ),
            None => None,
        };
        let mut qualifications: Vec<CertificateStanding> = organization
            .qualification_certificates
            .iter()
            .map(|certificate| CertificateStanding {
                certificate: certificate.clone(),
                standing: Standing::of(certificate, at_ms),
                days_left: (certificate.valid_until_ms - at_ms).div_euclid(DAY_MS),
            })
            .collect();
        qualifications.sort_by_key(|q| std::cmp::Reverse(q.certificate.valid_until_ms));
        let policies = Policies::new(self.catalog.clone());
        Ok(OrganizationLookup {
            policies: policies.eligible_for_organization(principal, &id, at_ms).await?,
            policies_received: policies.pushed_to_organization(principal, &id).await?,
            interests_received: self.interests(&as_organization, InterestSide::Received).await?,
            interests_sent: self.interests(&as_organization, InterestSide::Sent).await?,
            organization,
            qualifications,
            needs,
            capabilities,
            offers,
            leads,
            notifications,
        })
    }
}

#[cfg(test)]
mod tests {
    use innomatch_core::model::Qualification;

    use super::*;

    fn certificate(from: i64, until: i64) -> QualificationCertificate {
        QualificationCertificate::new(Qualification::HighTechEnterprise, "GR202344001234", from, until)
    }

    #[test]
    fn a_certificate_stands_by_the_day_of_the_lookup() {
        let now = 1_000 * DAY_MS;
        assert_eq!(Standing::of(&certificate(now - DAY_MS, now + 365 * DAY_MS), now), Standing::Valid);
        assert_eq!(Standing::of(&certificate(now - DAY_MS, now + 30 * DAY_MS), now), Standing::ExpiringSoon);
        assert_eq!(Standing::of(&certificate(now - 9 * DAY_MS, now - 1), now), Standing::Expired);
        assert_eq!(Standing::of(&certificate(now + DAY_MS, now + 9 * DAY_MS), now), Standing::NotYetValid);
        assert_eq!(Standing::ExpiringSoon.label_zh(), "即将到期");
    }
}
