//! The plan board: every target of the city's 2023–2025 cultivation plan
//! (`taxonomy/plan_targets.toml`: high-tech enterprises, tech SMEs,
//! incubators, maker spaces, incubated firms and teams, new innovation teams,
//! high-level talents, invention patents per 10,000 people, an incubation
//! carrier in every district and county, the first university science park
//! and accelerator) counted over the city's active organizations, for the
//! whole city and per district and county.
//!
//! Only verified records count: a figure reads qualification certificates,
//! which only admins set, and a certificate counts only on the days it is
//! valid. A board is kept once a day as a snapshot (`store`, `daily`), so
//! progress can be shown over time, and exported as XLSX (`xlsx`). The stats
//! API, the CLI and the bureau's console page all read this.

pub mod daily;
pub mod postgres;
pub mod sqlite;
pub mod store;
pub mod xlsx;

use innomatch_core::{
    model::{Organization, Qualification, Record, RecordKind, RecordStatus},
    tag::Tag,
    taxonomy::{PlanMeasure, PlanTarget, Taxonomy},
    validation::Violations,
};
use serde::{Deserialize, Serialize};

use crate::{
    Catalog, CatalogError,
    store::{ListQuery, PrivateNeeds},
};

/// The city whose plan the board follows.
pub const CITY: &str = "440800";

/// How many snapshots one history read returns at most.
pub const MAX_HISTORY: u32 = 3_660;

/// The bureau's time zone: the day a snapshot belongs to is a day in China.
const CHINA: &str = "Asia/Shanghai";

/// One target and its count, for the city or one district.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanProgress {
    pub key: String,
    pub label: String,
    pub count: u64,
    /// 0 where the plan sets no target at this level (most targets are the
    /// city's, not a district's).
    pub target: u64,
    /// For a per-10,000 figure: the count per 10,000 residents (`None`
    /// without a population), and the plan's rate.
    #[serde(default)]
    pub rate: Option<f64>,
    #[serde(default)]
    pub rate_target: Option<f64>,
}

/// The figures of one district or county.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistrictProgress {
    pub region_code: String,
    pub name: String,
    pub population: Option<u64>,
    pub figures: Vec<PlanProgress>,
}

/// The whole board on one day; also the shape of a kept snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanBoard {
    /// YYYY-MM-DD in China time.
    pub day: String,
    pub computed_at_ms: i64,
    pub city: Vec<PlanProgress>,
    pub districts: Vec<DistrictProgress>,
}

impl PlanBoard {
    /// The city's figure under `key`.
    pub fn city_figure(&self, key: &str) -> Option<&PlanProgress> {
        self.city.iter().find(|f| f.key == key)
    }
}

/// The day (YYYY-MM-DD, China time) that `ms` falls on.
pub fn china_day(ms: i64) -> String {
    jiff::tz::TimeZone::get(CHINA)
        .ok()
        .and_then(|zone| Some(jiff::Timestamp::from_millisecond(ms).ok()?.to_zoned(zone).date().to_string()))
        .unwrap_or_default()
}

/// The first millisecond of `day` (YYYY-MM-DD) in China time.
pub fn china_day_start(day: &str) -> Option<i64> {
    let date: jiff::civil::Date = day.parse().ok()?;
    let zone = jiff::tz::TimeZone::get(CHINA).ok()?;
    Some(date.to_zoned(zone).ok()?.timestamp().as_millisecond())
}

/// The district or county of the city a region lies in (itself, or the
/// ancestor whose parent is the city); `None` for the city itself or elsewhere.
fn district_of(region_code: &str) -> Option<String> {
    Taxonomy::get()
        .region_with_ancestors(region_code)
        .into_iter()
        .find(|r| r.parent.as_deref() == Some(CITY))
        .map(|r| r.code.clone())
}

fn in_city(org: &Organization) -> bool {
    Taxonomy::get().region_with_ancestors(&org.region_code).iter().any(|r| r.code == CITY)
}

/// The certificates of `target` on `org` that count at `at_ms`: valid then,
/// and first valid on or after the target's `issued_since`. A certificate
/// number listed twice counts once.
fn counted_certificates(target: &PlanTarget, org: &Organization, at_ms: i64) -> usize {
    let since = target.issued_since.as_deref().and_then(china_day_start).unwrap_or(i64::MIN);
    let mut numbers: Vec<(Qualification, &str)> = org
        .qualification_certificates
        .iter()
        .filter(|c| {
            target.qualifications.contains(&c.qualification) && c.is_valid_at(at_ms) && c.valid_from_ms >= since
        })
        .map(|c| (c.qualification, c.certificate_number.as_str()))
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers.len()
}

/// Where a figure is counted: the city (with its number of districts and
/// population) or one district.
#[derive(Clone, Copy)]
enum Level {
    City { districts: u64, population: u64 },
    District { population: Option<u64> },
}

fn figure(target: &PlanTarget, organizations: &[&Organization], level: Level, at_ms: i64) -> PlanProgress {
    let holders = || organizations.iter().filter(move |org| counted_certificates(target, org, at_ms) > 0);
    let certificates = || organizations.iter().map(|org| counted_certificates(target, org, at_ms) as u64).sum::<u64>();
    let city_target = match level {
        Level::City { .. } => target.target,
        Level::District { .. } => 0,
    };
    let mut progress = PlanProgress {
        key: target.key.clone(),
        label: target.label.clone(),
        count: 0,
        target: city_target,
        rate: None,
        rate_target: None,
    };
    match target.measure {
        PlanMeasure::Organizations => progress.count = holders().count() as u64,
        PlanMeasure::Certificates => progress.count = certificates(),
        PlanMeasure::Per10kPeople => {
            progress.count = certificates();
            let population = match level {
                Level::City { population, .. } => Some(population),
                Level::District { population } => population,
            }
            .filter(|p| *p > 0);
            progress.rate_target = target.rate_target;
            progress.rate = population.map(|p| progress.count as f64 * 10_000.0 / p as f64);
            progress.target = match (population, target.rate_target) {
                (Some(p), Some(rate)) => (rate * p as f64 / 10_000.0).ceil() as u64,
                _ => 0,
            };
        }
        PlanMeasure::DistrictsCovered => match level {
            Level::City { districts, .. } => {
                let mut covered: Vec<String> =
                    holders().filter_map(|org| district_of(&org.region_code)).collect::<Vec<_>>();
                covered.sort_unstable();
                covered.dedup();
                progress.count = covered.len() as u64;
                progress.target = districts;
            }
            Level::District { .. } => {
                progress.count = u64::from(holders().next().is_some());
                progress.target = 1;
            }
        },
    }
    progress
}

/// The board over `organizations` (any; those archived, closed or outside
/// the city are left out) at `at_ms`.
pub fn board_of(organizations: &[Organization], at_ms: i64) -> PlanBoard {
    let taxonomy = Taxonomy::get();
    let counted: Vec<&Organization> =
        organizations.iter().filter(|org| org.meta.status() == RecordStatus::Active && in_city(org)).collect();
    let districts = taxonomy.districts_of(CITY);
    let population: u64 = districts.iter().filter_map(|d| taxonomy.population(&d.code)).sum();
    let city_level = Level::City { districts: districts.len() as u64, population };
    let city = taxonomy.plan_targets().iter().map(|t| figure(t, &counted, city_level, at_ms)).collect();
    let districts = districts
        .into_iter()
        .map(|district| {
            let here: Vec<&Organization> = counted
                .iter()
                .copied()
                .filter(|org| district_of(&org.region_code).as_deref() == Some(district.code.as_str()))
                .collect();
            let population = taxonomy.population(&district.code);
            DistrictProgress {
                region_code: district.code.clone(),
                name: district.name.clone(),
                population,
                figures: taxonomy
                    .plan_targets()
                    .iter()
                    .map(|t| figure(t, &here, Level::District { population }, at_ms))
                    .collect(),
            }
        })
        .collect();
    PlanBoard { day: china_day(at_ms), computed_at_ms: at_ms, city, districts }
}

impl Catalog {
    /// Every active organization registered in the city or one of its
    /// districts: what the board counts. Organizations are public records,
    /// so the board needs no principal.
    async fn city_organizations(&self) -> Result<Vec<Organization>, CatalogError> {
        let mut query = ListQuery {
            kind: RecordKind::Organization,
            organization_id: None,
            tags: vec![Tag::Region(CITY.to_owned())],
            status: Some(RecordStatus::Active),
            include_archived: false,
            private_needs: PrivateNeeds::None,
            hide_anonymous: false,
            after_cursor: 0,
            limit: 500,
        };
        let mut organizations = Vec::new();
        loop {
            let page = self.store.list(&query).await?;
            organizations.extend(page.records.into_iter().filter_map(|record| match record {
                Record::Organization(org) => Some(org),
                _ => None,
            }));
            match page.next_cursor {
                Some(cursor) => query.after_cursor = cursor,
                None => return Ok(organizations),
            }
        }
    }

    /// The board as the store stands, counted at `at_ms` (now, normally).
    pub async fn plan_board(&self, at_ms: i64) -> Result<PlanBoard, CatalogError> {
        Ok(board_of(&self.city_organizations().await?, at_ms))
    }

    /// Keeps the board of `at_ms`'s day as that day's snapshot unless the
    /// day has one already (the first one taken stands); true when kept.
    pub async fn take_plan_snapshot(&self, at_ms: i64) -> Result<bool, CatalogError> {
        if self.store.has_plan_snapshot(&china_day(at_ms)).await? {
            return Ok(false);
        }
        let board = self.plan_board(at_ms).await?;
        Ok(self.store.save_plan_snapshot(&board).await?)
    }

    /// The kept snapshots from `since_day` (YYYY-MM-DD, inclusive; `None`:
    /// from the first), oldest first; the newest `limit` of them when there are more.
    pub async fn plan_history(&self, since_day: Option<&str>, limit: u32) -> Result<Vec<PlanBoard>, CatalogError> {
        if since_day.is_some_and(|day| china_day_start(day).is_none()) {
            return Err(Violations::single("since_day", "must be a date, YYYY-MM-DD").into());
        }
        Ok(self.store.plan_snapshots(since_day.unwrap_or(""), limit.clamp(1, MAX_HISTORY)).await?)
    }
}

#[cfg(test)]
mod tests {
    use innomatch_core::model::{OrganizationKind, QualificationCertificate, RecordMeta};

    use super::*;

    const DAY: i64 = 86_400_000;

    fn now() -> i64 {
        china_day_start("2025-06-01").expect("a day")
    }

    fn org(id: &str, region: &str, certificates: Vec<QualificationCertificate>) -> Organization {
        Organization {
            meta: RecordMeta { id: id.into(), organization_id: id.into(), version: 1, ..Default::default() },
            name: format!("湛江{id}绿色钢铁有限公司"),
            kind: Some(OrganizationKind::Enterprise),
            region_code: region.into(),
            qualification_certificates: certificates,
            ..Default::default()
        }
    }

    fn count(board: &PlanBoard, key: &str) -> u64 {
        board.city_figure(key).map(|f| f.count).expect(key)
    }

    fn district(board: &PlanBoard, code: &str, key: &str) -> PlanProgress {
        board
            .districts
            .iter()
            .find(|d| d.region_code == code)
            .and_then(|d| d.figures.iter().find(|f| f.key == key))
            .cloned()
            .expect(key)
    }

    #[test]
    fn only_certificates_valid_on_the_day_count() {
        let t = now();
        let orgs = [
            org(
                "a",
                "440803",
                vec![QualificationCertificate::new(Qualification::HighTechEnterprise, "GR1", t - DAY, t + DAY)],
            ),
            org(
                "b",
                "440803",
                vec![QualificationCertificate::new(Qualification::HighTechEnterprise, "GR2", t - 9 * DAY, t - DAY)],
            ),
            org(
                "c",
                "440803",
                vec![QualificationCertificate::new(Qualification::HighTechEnterprise, "GR3", t + DAY, t + 9 * DAY)],
            ),
        ];
        let board = board_of(&orgs, t);
        assert_eq!(count(&board, "high_tech_enterprises"), 1, "expired and not yet valid certificates do not count");
        assert_eq!(board.city_figure("high_tech_enterprises").map(|f| f.target), Some(700));
    }

    #[test]
    fn organizations_outside_the_city_or_archived_do_not_count() {
        let t = now();
        let valid = || vec![QualificationCertificate::new(Qualification::TechSme, "KJ1", t - DAY, t + DAY)];
        let mut archived = org("d", "440802", valid());
        archived.meta.status = Some(RecordStatus::Archived);
        let orgs = [org("a", "440802", valid()), org("b", "440300", valid()), org("c", "440800", valid()), archived];
        let board = board_of(&orgs, t);
        assert_eq!(count(&board, "tech_smes"), 2, "赤坎区 and the city itself, not 深圳 nor the archived one");
        assert_eq!(district(&board, "440802", "tech_smes").count, 1);
        let districts: u64 = board.districts.iter().map(|d| d.figures[1].count).sum();
        assert_eq!(districts, 1, "an organization of the city without a district is in no district");
    }

    #[test]
    fn teams_talents_and_patents_count_per_certificate_and_new_teams_since_the_plan() {
        let t = now();
        let plan_start = china_day_start("2023-01-01").expect("day");
        let orgs = [
            org(
                "a",
                "440811",
                vec![
                    QualificationCertificate::new(Qualification::HighLevelTalent, "RC1", t - DAY, t + DAY),
                    QualificationCertificate::new(Qualification::HighLevelTalent, "RC2", t - DAY, t + DAY),
                    QualificationCertificate::new(Qualification::HighLevelTalent, "RC2", t - DAY, t + DAY),
                    QualificationCertificate::new(Qualification::InnovationTeam, "TD-old", plan_start - DAY, t + DAY),
                    QualificationCertificate::new(Qualification::InnovationTeam, "TD-new", plan_start, t + DAY),
                    QualificationCertificate::new(Qualification::InventionPatent, "ZL1", t - DAY, t + DAY),
                    QualificationCertificate::new(Qualification::InventionPatent, "ZL2", t - DAY, t + DAY),
                ],
            ),
            org(
                "b",
                "440811",
                vec![QualificationCertificate::new(Qualification::InventionPatent, "ZL3", t - DAY, t - 1)],
            ),
        ];
        let board = board_of(&orgs, t);
        assert_eq!(count(&board, "high_level_talents"), 2, "one per person, a number listed twice once");
        assert_eq!(count(&board, "new_innovation_teams"), 1, "teams recognised before the plan are not new");
        let patents = district(&board, "440811", "invention_patents_per_10k");
        assert_eq!(patents.count, 2, "a lapsed patent does not count");
        let population = Taxonomy::get().population("440811").expect("麻章区 population") as f64;
        assert_eq!(patents.rate, Some(2.0 * 10_000.0 / population));
        assert_eq!(patents.rate_target, Some(4.8));
        assert_eq!(patents.target, (4.8 * population / 10_000.0).ceil() as u64);
    }

    #[test]
    fn every_district_needs_an_incubation_carrier() {
        let t = now();
        let valid = |q| vec![QualificationCertificate::new(q, "FH1", t - DAY, t + DAY)];
        let orgs = [
            org("a", "440802", valid(Qualification::MakerSpace)),
            org("b", "440802", valid(Qualification::Incubator)),
            org("c", "440825", valid(Qualification::Accelerator)),
            org("d", "440883", valid(Qualification::HighTechEnterprise)),
        ];
        let board = board_of(&orgs, t);
        let covered = board.city_figure("districts_with_incubation_carrier").expect("figure");
        assert_eq!((covered.count, covered.target), (2, 9));
        assert_eq!(district(&board, "440802", "districts_with_incubation_carrier").count, 1);
        assert_eq!(district(&board, "440883", "districts_with_incubation_carrier").count, 0);
        assert_eq!(count(&board, "accelerators"), 1);
        assert_eq!(count(&board, "incubators"), 1);
    }

    #[test]
    fn days_are_china_days() {
        let start = china_day_start("2026-12-01").expect("day");
        assert_eq!(china_day(start), "2026-12-01");
        assert_eq!(china_day(start - 1), "2026-11-30");
        assert_eq!(china_day(start + DAY - 1), "2026-12-01");
        assert!(china_day_start("2026-13-01").is_none());
    }
}
