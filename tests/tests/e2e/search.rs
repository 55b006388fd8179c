//! Search through the server: Chinese segmentation and recall with domain
//! phrases, English stemming, synonyms, filters and exact facet counts,
//! visibility inside the query, upserts, bad queries, and import.

use std::time::{Duration, Instant};

use futures::StreamExt;
use innomatch_core::model::OrganizationKind;
use innomatch_proto::v1 as pb;
use innomatch_tests::*;
use tonic::Code;

fn capability(title: &str, description: &str, industries: &[&str], region: &str, trl: u32) -> pb::Capability {
    pb::Capability {
        kind: pb::CapabilityKind::Achievement as i32,
        title: title.into(),
        description: description.into(),
        industries: industries.iter().map(|s| (*s).to_owned()).collect(),
        region_code: region.into(),
        trl,
        ..Default::default()
    }
}

async fn add_capability(client: &mut CatalogClient, cap: pb::Capability) -> String {
    client
        .create_capability(pb::CreateCapabilityRequest { capability: Some(cap) })
        .await
        .expect("create capability")
        .into_inner()
        .meta
        .expect("meta")
        .id
}

fn ids(response: &pb::SearchResponse) -> Vec<String> {
    response.hits.iter().map(|h| h.id.clone()).collect()
}

#[tokio::test]
async fn chinese_and_english_text_is_found_by_its_parts_synonyms_and_stems() {
    let app = spawn_app().await;
    let (_, lab_token) = app.tenant("粤西理工研究院", OrganizationKind::ResearchInstitute).await;
    let mut lab = app.catalog(Some(&lab_token)).await;
    let steel = add_capability(
        &mut lab,
        capability("氢冶金低碳炼钢技术", "富氢气体直接还原铁矿球团，吨钢碳排放降低三成", &["green_steel"], "440803", 6),
    )
    .await;
    let shrimp = add_capability(
        &mut lab,
        capability(
            "Rapid detection of shrimp diseases",
            "Field test kits for white spot syndrome in shrimp farming",
            &["shrimp"],
            "440825",
            7,
        ),
    )
    .await;
    let iot = add_capability(
        &mut lab,
        capability(
            "面向预制菜冷链的IoT温度监测平台",
            "低功耗传感器与工业互联网平台",
            &["prepared_dishes"],
            "440811",
            5,
        ),
    )
    .await;

    let mut search = app.search(Some(&lab_token)).await;
    let found = search_until(&mut search, query("冶金"), |r| !r.hits.is_empty()).await;
    assert_eq!(ids(&found), [steel.as_str()], "冶金 finds 氢冶金");
    assert!(found.hits[0].matched_terms.contains(&"冶金".to_owned()), "{:?}", found.hits[0].matched_terms);
    let snippet = &found.hits[0].highlights.iter().find(|h| h.field == "title").expect("title highlight").snippet;
    assert!(snippet.contains("<em>"), "{snippet}");

    // A need-side phrase: 绿色钢铁 is the industry chain the capability is tagged with.
    let green = search.search(query("绿色钢铁")).await.expect("search").into_inner();
    assert_eq!(ids(&green), [steel.as_str()]);
    // Traditional characters fold to simplified.
    let traditional = search.search(query("綠色鋼鐵")).await.expect("search").into_inner();
    assert_eq!(ids(&traditional), [steel.as_str()]);

    let english = search.search(query("shrimp disease")).await.expect("search").into_inner();
    assert_eq!(ids(&english), [shrimp.as_str()], "stemming: disease finds diseases");
    let synonym = search.search(query("物联网")).await.expect("search").into_inner();
    assert_eq!(ids(&synonym), [iot.as_str()], "物联网 finds IoT");
    let domain_word = search.search(query("工业互联网")).await.expect("search").into_inner();
    assert_eq!(ids(&domain_word), [iot.as_str()]);
    let excluded = search.search(query("冶金 -球团")).await.expect("search").into_inner();
    assert!(excluded.hits.is_empty(), "-球团 excludes the steel capability");
}

#[tokio::test]
async fn phrases_and_words_find_the_records_that_contain_them_not_their_pieces() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江数字产业研究院", OrganizationKind::ResearchInstitute).await;
    let mut lab = app.catalog(Some(&token)).await;
    let records = [
        ("工业互联网平台建设", "标识解析与设备上云"),
        ("工业机器人与移动互联网应用", "车间改造"),
        ("工业互联网安全培训平台", "面向中小企业开展培训"),
        ("火龙果冷链物流配送", "采后预冷"),
        ("冷链运输车辆调度", "园区物流"),
        ("氢冶金示范线", "推动钢铁行业低碳转型"),
        ("氢冶金中试", "直接还原铁"),
        ("基于机器视觉的对虾分级", "图像识别"),
        ("Machine vision inspection of steel strip", "surface defects"),
    ];
    let mut ids = Vec::new();
    for (title, description) in records {
        ids.push(add_capability(&mut lab, capability(title, description, &["furniture"], "440803", 5)).await);
    }
    let mut search = app.search(Some(&token)).await;
    let capabilities = pb::SearchRequest {
        filters: Some(pb::SearchFilters {
            record_kinds: vec![pb::RecordKind::Capability as i32],
            ..Default::default()
        }),
        ..Default::default()
    };
    let all = search_until(&mut search, capabilities, |r| r.total_hits == 9).await;
    assert_eq!(all.total_hits, 9);

    let found = async |search: &mut SearchClient, text: &str| -> Vec<usize> {
        let response = search.search(query(text)).await.expect("search").into_inner();
        let mut found: Vec<usize> =
            response.hits.iter().filter_map(|hit| ids.iter().position(|id| *id == hit.id)).collect();
        found.sort();
        found
    };
    // Record 1 has 工业 and 互联网, but not side by side.
    assert_eq!(found(&mut search, "\"工业互联网\"").await, [0, 2]);
    assert_eq!(found(&mut search, "工业互联网").await, [0, 2], "the whole word, not its pieces");
    assert_eq!(found(&mut search, "\"工业互联网\" -培训 title:平台").await, [0], "the README's example");
    assert_eq!(found(&mut search, "“冷链物流”").await, [3]);
    assert_eq!(found(&mut search, "冷链物流").await, [3]);
    assert_eq!(found(&mut search, "\"氢冶金\"").await, [5, 6]);
    assert_eq!(found(&mut search, "氢冶金 低碳").await, [5], "every word is required");
    assert_eq!(found(&mut search, "machine vision").await, [7, 8], "a multi-word synonym of 机器视觉");
    assert_eq!(found(&mut search, "机器视觉").await, [7, 8]);
}

#[tokio::test]
async fn filters_and_facets_count_exactly() {
    let app = spawn_app().await;
    let (_, uni_token) = app.tenant("湛江海洋科技学院", OrganizationKind::University).await;
    let (_, ent_token) = app.tenant("湛江蓝色海洋食品有限公司", OrganizationKind::Enterprise).await;
    let mut uni = app.catalog(Some(&uni_token)).await;
    for (title, industry, region, trl) in [
        ("对虾养殖水质调控技术", "shrimp", "440825", 6),
        ("对虾苗种选育技术", "shrimp", "440881", 4),
        ("金鲳鱼深海网箱养殖技术", "golden_pompano", "440825", 7),
        ("预制菜速冻保鲜工艺", "prepared_dishes", "440100", 8),
    ] {
        add_capability(&mut uni, capability(title, "水产与食品加工研究", &[industry], region, trl)).await;
    }
    let mut ent = app.catalog(Some(&ent_token)).await;
    let mut need = steel_need();
    need.title = "对虾预制菜加工技术需求".into();
    need.industries = vec!["shrimp".into(), "prepared_dishes".into()];
    need.region_code = "440802".into();
    ent.create_need(pb::CreateNeedRequest { need: Some(need) }).await.expect("need");

    let mut search = app.search(Some(&uni_token)).await;
    let all = pb::SearchRequest {
        filters: Some(pb::SearchFilters {
            record_kinds: vec![pb::RecordKind::Capability as i32, pb::RecordKind::Need as i32],
            ..Default::default()
        }),
        facets: vec!["industry".into(), "record_kind".into(), "region".into()],
        ..Default::default()
    };
    let response = search_until(&mut search, all.clone(), |r| r.total_hits == 5).await;
    assert_eq!(response.total_hits, 5);
    let counts = |field: &str| -> Vec<(String, u64)> {
        response
            .facets
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.values.iter().map(|v| (v.value.clone(), v.count)).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        counts("industry"),
        [("shrimp".to_owned(), 3), ("prepared_dishes".to_owned(), 2), ("golden_pompano".to_owned(), 1)]
    );
    assert_eq!(counts("record_kind"), [("capability".to_owned(), 4), ("need".to_owned(), 1)]);
    // The city (440800) counts its districts; Guangzhou is in the Greater Bay Area.
    assert!(counts("region").contains(&("440800".to_owned(), 4)), "{:?}", counts("region"));
    assert!(counts("region").contains(&("440100".to_owned(), 1)));
    let labels: Vec<String> = response.facets.iter().flat_map(|f| f.values.iter().map(|v| v.label.clone())).collect();
    assert!(labels.contains(&"对虾".to_owned()) && labels.contains(&"湛江市".to_owned()), "{labels:?}");

    let filtered = pb::SearchRequest {
        query: "养殖".into(),
        filters: Some(pb::SearchFilters {
            regions: vec!["440825".into()],
            min_trl: 6,
            max_trl: 9,
            organization_kinds: vec![pb::OrganizationKind::University as i32],
            ..Default::default()
        }),
        ..Default::default()
    };
    let response = search.search(filtered).await.expect("search").into_inner();
    let mut titles: Vec<String> = response.hits.iter().map(|h| h.title.clone()).collect();
    titles.sort();
    assert_eq!(titles, ["对虾养殖水质调控技术", "金鲳鱼深海网箱养殖技术"]);

    // Recency order: newest first.
    let recent = pb::SearchRequest { order: pb::SearchOrder::Recency as i32, page_size: 2, ..all };
    let response = search.search(recent).await.expect("search").into_inner();
    assert_eq!(response.hits[0].title, "对虾预制菜加工技术需求");
    assert!(!response.next_page_token.is_empty());
}

#[tokio::test]
async fn private_needs_never_show_to_other_tenants_and_anonymous_ones_hide_their_owner() {
    let app = spawn_app().await;
    let (owner_org, owner_token) = app.tenant("湛江保密纸业有限公司", OrganizationKind::Enterprise).await;
    let (_, other_token) = app.tenant("湛江家电有限公司", OrganizationKind::Enterprise).await;
    let mut owner = app.catalog(Some(&owner_token)).await;
    let mut private = steel_need();
    private.title = "特种纸涂布配方绝密项目".into();
    private.keywords = vec!["xq7zeta涂布".into()];
    private.visibility = pb::Visibility::Private as i32;
    owner.create_need(pb::CreateNeedRequest { need: Some(private) }).await.expect("create");
    let mut anonymous = steel_need();
    anonymous.title = "匿名需求：生活用纸柔软度提升".into();
    anonymous.visibility = pb::Visibility::Anonymous as i32;
    owner.create_need(pb::CreateNeedRequest { need: Some(anonymous) }).await.expect("create");

    let unique = pb::SearchRequest {
        query: "xq7zeta涂布".into(),
        facets: vec!["record_kind".into(), "industry".into()],
        ..Default::default()
    };
    let mut owner_search = app.search(Some(&owner_token)).await;
    let seen = search_until(&mut owner_search, unique.clone(), |r| r.total_hits == 1).await;
    assert_eq!(seen.total_hits, 1, "the owner finds its private need");

    let mut other = app.search(Some(&other_token)).await;
    let hidden = other.search(unique).await.expect("search").into_inner();
    assert_eq!(hidden.total_hits, 0);
    assert!(hidden.hits.is_empty());
    assert!(hidden.facets.iter().all(|f| f.values.is_empty()), "no facet counts either: {:?}", hidden.facets);
    let by_title = other.search(query("特种纸 涂布 配方")).await.expect("search").into_inner();
    assert_eq!(by_title.total_hits, 0);

    let anon = search_until(&mut other, query("生活用纸"), |r| !r.hits.is_empty()).await;
    assert_eq!(anon.hits.len(), 1);
    assert_eq!(anon.hits[0].organization_id, "");
    assert_eq!(anon.hits[0].organization_name, "");
    let by_owner_name = other.search(query("保密纸业")).await.expect("search").into_inner();
    assert!(
        by_owner_name.hits.iter().all(|h| h.kind == pb::RecordKind::Organization as i32),
        "the name does not lead to the anonymous need"
    );
    let by_owner_id = other
        .search(pb::SearchRequest {
            filters: Some(pb::SearchFilters {
                organization_id: owner_org,
                record_kinds: vec![pb::RecordKind::Need as i32],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("search")
        .into_inner();
    assert_eq!(by_owner_id.total_hits, 0, "filtering by owner does not reveal anonymous needs");
}

#[tokio::test]
async fn writes_are_searchable_within_a_second_and_updates_replace_documents() {
    let app = spawn_app().await;
    let (_, token) = app.tenant("湛江雷州农业合作社", OrganizationKind::Enterprise).await;
    let mut client = app.catalog(Some(&token)).await;
    let mut search = app.search(Some(&token)).await;
    // Warm up: the first search loads the analyzer's dictionary.
    search.search(query("火龙果")).await.expect("search");

    let mut need = steel_need();
    need.title = "火龙果采后保鲜技术".into();
    let started = Instant::now();
    let created = client.create_need(pb::CreateNeedRequest { need: Some(need) }).await.expect("create").into_inner();
    let found = search_until(&mut search, query("火龙果"), |r| r.total_hits == 1).await;
    let elapsed = started.elapsed();
    assert_eq!(found.total_hits, 1);
    assert!(elapsed < Duration::from_secs(1), "searchable after {elapsed:?}");

    let mut edited = created.clone();
    edited.title = "菠萝叶纤维综合利用".into();
    client.update_need(pb::UpdateNeedRequest { need: Some(edited), expected_version: 1 }).await.expect("update");
    let after = search_until(&mut search, query("菠萝"), |r| r.total_hits == 1).await;
    assert_eq!(after.total_hits, 1);
    assert_eq!(
        search.search(query("火龙果")).await.expect("search").into_inner().total_hits,
        0,
        "the old text is gone"
    );

    client
        .archive_need(pb::ArchiveRequest { id: created.meta.expect("meta").id, expected_version: 0 })
        .await
        .expect("archive");
    let gone = search_until(&mut search, query("菠萝"), |r| r.total_hits == 0).await;
    assert_eq!(gone.total_hits, 0, "archived records leave the index");
}

#[tokio::test]
async fn bad_queries_are_invalid_arguments_with_a_useful_message() {
    let app = spawn_app().await;
    let mut search = app.search(Some(&app.admin_token.clone())).await;
    let cases = [
        (query("\"预制菜 冷链"), "query", "never closed"),
        (query(&"氢".repeat(10_000)), "query", "limit"),
        (query("colour:红色"), "query", "unknown field"),
        (pb::SearchRequest { facets: vec!["price".into()], ..Default::default() }, "facets[0]", "unknown facet"),
        (pb::SearchRequest { page_size: 1_000, ..Default::default() }, "page_size", "maximum"),
        (pb::SearchRequest { page_token: "garbage".into(), ..Default::default() }, "page_token", "page token"),
        (
            pb::SearchRequest {
                filters: Some(pb::SearchFilters { regions: vec!["nowhere".into()], ..Default::default() }),
                ..Default::default()
            },
            "filters.regions[0]",
            "unknown",
        ),
    ];
    for (request, field, words) in cases {
        let status = search.search(request).await.expect_err(field);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&status), [field]);
        assert!(status.message().contains(words), "{}", status.message());
    }
    let unauthenticated = app.search(None).await.search(query("氢冶金")).await.expect_err("no token");
    assert_eq!(unauthenticated.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn import_commits_good_rows_reports_bad_ones_and_resolves_refs() {
    let app = spawn_app().await;
    let mut search = app.search(Some(&app.admin_token.clone())).await;
    let org = pb::Organization {
        name: "湛江南药研究所".into(),
        kind: pb::OrganizationKind::ResearchInstitute as i32,
        region_code: "440882".into(),
        ..Default::default()
    };
    let good = capability("沉香结香技术", "南药沉香人工结香与品质评价", &["southern_medicine"], "", 5);
    let mut bad = capability("", "缺标题", &["southern_medicine"], "", 5);
    bad.trl = 12;
    let rows = vec![
        pb::ImportRecord {
            record: Some(pb::import_record::Record::Organization(org)),
            r#ref: "org-1".into(),
            ..Default::default()
        },
        pb::ImportRecord {
            record: Some(pb::import_record::Record::Capability(good)),
            organization_ref: "org-1".into(),
            ..Default::default()
        },
        pb::ImportRecord {
            record: Some(pb::import_record::Record::Capability(bad)),
            organization_ref: "org-1".into(),
            ..Default::default()
        },
        pb::ImportRecord {
            record: Some(pb::import_record::Record::Capability(shrimp_capability())),
            organization_ref: "org-9".into(),
            ..Default::default()
        },
    ];
    let summary = search.import(tokio_stream::iter(rows)).await.expect("import").into_inner();
    assert_eq!((summary.received, summary.imported, summary.rejected_rows), (4, 2, 2));
    let rejected: Vec<(u64, &str)> = summary.rejected.iter().map(|r| (r.row, r.field.as_str())).collect();
    assert_eq!(rejected, [(3, "capability.title"), (3, "capability.trl"), (4, "organization_ref")]);
    let org_id = summary.organization_ids.get("org-1").expect("ref resolved").clone();

    let found = search_until(&mut search, query("沉香"), |r| r.total_hits == 1).await;
    assert_eq!(found.hits.len(), 1);
    assert_eq!(found.hits[0].organization_id, org_id);
    assert_eq!(found.hits[0].organization_name, "湛江南药研究所");
}

/// Rows of one tenant's capabilities, each named by a `ref`.
fn capability_rows(items: &[(&str, &str, &str)]) -> Vec<pb::ImportRecord> {
    items
        .iter()
        .map(|(reference, title, description)| pb::ImportRecord {
            record: Some(pb::import_record::Record::Capability(capability(title, description, &["shrimp"], "", 6))),
            r#ref: (*reference).into(),
            ..Default::default()
        })
        .collect()
}

#[tokio::test]
async fn importing_rows_again_by_their_refs_changes_nothing_and_a_changed_row_gets_a_new_version() {
    let app = spawn_app().await;
    let (_, university) = app.tenant("广东海洋大学", OrganizationKind::University).await;
    let (_, institute) = app.tenant("湛江水产研究所", OrganizationKind::ResearchInstitute).await;
    let rows =
        [("shrimp-1", "对虾工厂化养殖", "循环水工厂化养殖技术"), ("shrimp-2", "对虾病害检测", "白斑综合征快速检测")];
    let mut search = app.search(Some(&university)).await;
    let first = search.import(tokio_stream::iter(capability_rows(&rows))).await.expect("import").into_inner();
    assert_eq!((first.imported, first.updated, first.unchanged), (2, 0, 0));
    let again = search.import(tokio_stream::iter(capability_rows(&rows))).await.expect("import").into_inner();
    assert_eq!((again.received, again.imported, again.updated, again.unchanged), (2, 0, 0, 2), "nothing changed");

    let changed = [rows[0], ("shrimp-2", "对虾病害检测", "白斑综合征与弧菌快速检测")];
    let third = search.import(tokio_stream::iter(capability_rows(&changed))).await.expect("import").into_inner();
    assert_eq!((third.imported, third.updated, third.unchanged), (1, 1, 1));
    let found = search_until(&mut search, query("弧菌"), |r| r.total_hits == 1).await;
    let updated = app
        .catalog(Some(&university))
        .await
        .get_capability(pb::GetCapabilityRequest { id: found.hits[0].id.clone() })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(updated.meta.expect("meta").version, 2, "the changed row is a new version of the same record");
    let all = search_until(&mut search, query("对虾"), |r| r.total_hits == 2).await;
    assert_eq!(all.total_hits, 2, "no row was duplicated");

    // Refs belong to their owner: the same refs from another tenant are its own records.
    let theirs = app.search(Some(&institute)).await.import(tokio_stream::iter(capability_rows(&rows))).await;
    let theirs = theirs.expect("import").into_inner();
    assert_eq!((theirs.imported, theirs.unchanged), (2, 0));
}

#[tokio::test]
async fn an_import_may_take_longer_than_the_call_deadline() {
    let app = spawn_app_with(|s| s.limits.request_timeout_secs = 1).await;
    let mut search = app.search(Some(&app.admin_token.clone())).await;
    let org = pb::Organization {
        name: "湛江慢速导入研究院".into(),
        kind: pb::OrganizationKind::ResearchInstitute as i32,
        region_code: "440802".into(),
        ..Default::default()
    };
    let first = pb::ImportRecord {
        record: Some(pb::import_record::Record::Organization(org)),
        r#ref: "org-1".into(),
        ..Default::default()
    };
    // An upload that lasts about 1.5 s: a slow link or a large file.
    let rows = futures::stream::iter(0..6).then(|i| async move {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let cap = capability(&format!("慢速导入能力{i}"), "对虾养殖", &["shrimp"], "", 5);
        pb::ImportRecord {
            record: Some(pb::import_record::Record::Capability(cap)),
            organization_ref: "org-1".into(),
            ..Default::default()
        }
    });
    let stream = futures::stream::iter([first]).chain(rows);
    let summary = search.import(stream).await.expect("import outlives the deadline").into_inner();
    assert_eq!((summary.imported, summary.rejected_rows), (7, 0));
}

#[tokio::test]
async fn capability_kinds_narrow_a_search_to_shared_instruments() {
    let app = spawn_app().await;
    let (_, uni_token) = app.tenant("湛江海洋科技学院", OrganizationKind::University).await;
    let mut uni = app.catalog(Some(&uni_token)).await;
    let mut instrument = capability("对虾病原检测质谱仪", "对虾养殖病害快速检测", &["shrimp"], "440802", 0);
    instrument.kind = pb::CapabilityKind::Instrument as i32;
    instrument.available_for_sharing = true;
    let instrument_id = add_capability(&mut uni, instrument).await;
    add_capability(&mut uni, capability("对虾病害防控技术", "对虾养殖病害综合防控", &["shrimp"], "440802", 6)).await;

    let mut search = app.search(Some(&uni_token)).await;
    search_until(&mut search, query("对虾"), |r| r.total_hits == 2).await;
    let instruments = pb::SearchRequest {
        query: "对虾".into(),
        filters: Some(pb::SearchFilters {
            capability_kinds: vec![pb::CapabilityKind::Instrument as i32],
            ..Default::default()
        }),
        ..Default::default()
    };
    let response = search.search(instruments).await.expect("search").into_inner();
    assert_eq!(ids(&response), [instrument_id]);

    let unknown = pb::SearchRequest {
        filters: Some(pb::SearchFilters { capability_kinds: vec![99], ..Default::default() }),
        ..Default::default()
    };
    let status = search.search(unknown).await.expect_err("an unknown kind is refused");
    assert_eq!(violated_fields(&status), ["filters.capability_kinds[0]"]);
}
