//! Crash-resume of the search index: SIGKILL the server in the middle of a
//! bulk import, restart it on the same data directory, and check that the
//! index ends up holding exactly the records of the store — same id set, no
//! duplicates — because the applied sequence lives in the commit payload and
//! documents are upserted by id.

mod common;

use std::{
    collections::BTreeSet,
    io::Write,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use common::{ADMIN_TOKEN, start_server as start, stop};

use innomatch_catalog::{
    sqlite::SqliteStore,
    store::{ListQuery, PrivateNeeds, RecordStore},
};
use innomatch_core::model::RecordKind;
use innomatch_proto::v1::{self as pb, search_service_client::SearchServiceClient};
use innomatch_search::index::SearchIndex;
use tonic::{Request, metadata::MetadataValue, transport::Channel};

const CAPABILITIES: usize = 20_000;

/// A JSONL import: one institute and many varied capabilities.
fn write_import(path: &Path) {
    let topics = ["氢冶金", "对虾养殖", "预制菜冷链", "工业互联网", "海上风电", "南药沉香", "特种纸", "金鲳鱼育种"];
    let verbs = ["关键技术", "中试验证", "工艺优化", "智能装备", "检测方法", "标准制定"];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create import file"));
    writeln!(out, r#"{{"type":"organization","ref":"org-1","name":"粤西综合技术研究院","kind":"research_institute","region_code":"440802"}}"#)
        .expect("write");
    for i in 0..CAPABILITIES {
        let topic = topics[i % topics.len()];
        let verb = verbs[(i / topics.len()) % verbs.len()];
        writeln!(
            out,
            r#"{{"type":"capability","organization":"org-1","kind":"achievement","title":"{topic}{verb} 第{i}号","description":"围绕{topic}开展{verb}研究，编号{i}","trl":{}}}"#,
            1 + i % 9
        )
        .expect("write");
    }
}

async fn search_client(addr: &str) -> SearchServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}")).expect("address").connect().await.expect("connect");
    SearchServiceClient::new(channel)
}

fn authorized<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    let value = MetadataValue::try_from(format!("Bearer {ADMIN_TOKEN}")).expect("header");
    request.metadata_mut().insert("authorization", value);
    request
}

async fn total_hits(client: &mut SearchServiceClient<Channel>, query: &str) -> u64 {
    let request = pb::SearchRequest { query: query.into(), page_size: 1, ..Default::default() };
    client.search(authorized(request)).await.map(|r| r.into_inner().total_hits).unwrap_or(0)
}

#[tokio::test]
async fn index_equals_store_after_sigkill_mid_import() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let import_file = dir.path().join("capabilities.jsonl");
    write_import(&import_file);

    let (mut server, addr) = start(&data);
    let mut importer = Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(["import", "--server", &format!("http://{addr}"), "--token", ADMIN_TOKEN])
        .arg(&import_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn import");

    // Kill once the index holds part of the import.
    let mut client = search_client(&addr).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while total_hits(&mut client, "").await < 1_000 {
        assert!(Instant::now() < deadline, "the import made no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reap");
    importer.wait().expect("import ends when the server dies");

    // Restart on the same data; a marker written now is indexed after everything before it.
    let (server, addr) = start(&data);
    let mut client = search_client(&addr).await;
    let channel = Channel::from_shared(format!("http://{addr}")).expect("address").connect().await.expect("connect");
    let mut catalog = pb::catalog_service_client::CatalogServiceClient::new(channel);
    let marker = pb::Organization {
        name: "重启标记研究所".into(),
        kind: pb::OrganizationKind::Laboratory as i32,
        region_code: "440800".into(),
        ..Default::default()
    };
    catalog
        .create_organization(authorized(pb::CreateOrganizationRequest {
            organization: Some(marker),
            ..Default::default()
        }))
        .await
        .expect("marker");
    let deadline = Instant::now() + Duration::from_secs(60);
    while total_hits(&mut client, "重启标记研究所").await == 0 {
        assert!(Instant::now() < deadline, "the index did not catch up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop(server);

    // Compare offline.
    let store = SqliteStore::open(&data).expect("store");
    let mut store_ids = Vec::new();
    for kind in [RecordKind::Organization, RecordKind::Capability] {
        let mut cursor = 0;
        loop {
            let query = ListQuery {
                kind,
                organization_id: None,
                tags: vec![],
                status: None,
                include_archived: false,
                private_needs: PrivateNeeds::All,
                hide_anonymous: false,
                after_cursor: cursor,
                limit: 500,
            };
            let page = store.list(&query).await.expect("list");
            store_ids.extend(page.records.iter().map(|r| r.meta().id.clone()));
            match page.next_cursor {
                Some(next) => cursor = next,
                None => break,
            }
        }
    }
    let imported = store_ids.len() - 2; // the institute and the marker
    assert!(imported < CAPABILITIES, "the kill must land mid-import (store has {imported} of {CAPABILITIES})");
    let index = SearchIndex::open(&data.join("index")).expect("index");
    let index_ids = index.ids().expect("ids");
    let distinct: BTreeSet<&String> = index_ids.iter().collect();
    assert_eq!(distinct.len(), index_ids.len(), "no duplicate documents");
    store_ids.sort();
    assert_eq!(index_ids, store_ids, "the index holds exactly the store's records");
}

#[tokio::test]
async fn index_rebuild_recreates_the_index_from_the_change_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (server, addr) = start(&data);
    let sample = format!("{}/sample/zhanjiang.jsonl", env!("CARGO_MANIFEST_DIR"));
    let output = common::cli(&addr, &["import", "--json", &sample]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON summary");
    // Each imported record is one change: the index is complete at that sequence.
    let head = summary["imported"].as_i64().expect("imported count");
    let mut client = search_client(&addr).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let expected = loop {
        let request = pb::SearchRequest { page_size: 1, ..Default::default() };
        let response = client.search(authorized(request)).await.expect("search").into_inner();
        if response.index_sequence >= head {
            break response.total_hits;
        }
        assert!(Instant::now() < deadline, "the index did not catch up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    stop(server);

    // Lose the index entirely, then rebuild it offline.
    std::fs::remove_dir_all(data.join("index")).expect("remove index");
    let rebuilt = Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(["index", "rebuild", "--data-dir"])
        .arg(&data)
        .output()
        .expect("run rebuild");
    assert!(rebuilt.status.success(), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    let index = SearchIndex::open(&data.join("index")).expect("index");
    assert_eq!(index.num_docs(), expected, "{}", String::from_utf8_lossy(&rebuilt.stdout));
    let store = SqliteStore::open(&data).expect("store");
    assert_eq!(index.applied_sequence(), *store.sequence().borrow(), "the rebuilt index is at the store's head");
}
