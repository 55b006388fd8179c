//! The record commands through the real binary against one shared server:
//! `org`, `capability`, `offer` and `need` round trips with every field,
//! `need list --page-token`, `match-capability`, `--json` as one document,
//! Chinese labels in human output, and quiet exits on a closed pipe; the
//! plan board's `stats --by district`, `--history` and `--xlsx`, and the
//! bureau's `lookup`.

mod common;

use std::{
    io::{BufRead, BufReader},
    process::{Command, Output, Stdio},
    sync::LazyLock,
    time::{Duration, Instant},
};

use common::ADMIN_TOKEN;
use serde_json::Value;

/// One server for every test of this file. It runs under a shell that stops
/// it and removes its data directory once this test process is gone (the
/// shell's stdin, held by the test process, reaches end of file).
struct SharedServer {
    addr: String,
    /// Kept (never waited for) until the process ends; its stdin with it.
    _shell: std::process::Child,
}

static SERVER: LazyLock<SharedServer> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let mut child = Command::new("sh")
        .args(["-c", r#""$0" serve --listen 127.0.0.1:0 --data-dir "$1/data" & read _; kill $!; wait; rm -rf "$1""#])
        .arg(env!("CARGO_BIN_EXE_innomatch"))
        .arg(&dir)
        .env("INNOMATCH_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the server");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("read the address");
    let addr = line.trim().strip_prefix("innomatch listening on ").expect("the address line").to_owned();
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    SharedServer { addr, _shell: child }
});

fn addr() -> &'static str {
    &SERVER.addr
}

fn output(token: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(args)
        .args(["--server", &format!("http://{}", addr()), "--token", token])
        .output()
        .expect("run innomatch")
}

/// Runs a command with `--json`; its stdout must be exactly one JSON document.
fn run(token: &str, args: &[&str]) -> Value {
    let out = output(token, &[args, &["--json"]].concat());
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?} prints one JSON document ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// Runs a command for its human output.
fn text(token: &str, args: &[&str]) -> String {
    let out = output(token, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn id(record: &Value) -> String {
    record["id"].as_str().expect("an id").to_owned()
}

/// A new organization and a member token for it.
fn tenant(name: &str, kind: &str) -> (String, String) {
    let org = run(ADMIN_TOKEN, &["admin", "create-org", "--name", name, "--kind", kind, "--region", "440803"]);
    let token = run(ADMIN_TOKEN, &["admin", "issue-token", "--org", &id(&org), "--role", "member"]);
    (id(&org), token["token"].as_str().expect("token").to_owned())
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().expect("a JSON array").iter().map(id).collect()
}

#[test]
fn capability_post_get_list_update_archive_round_trip() {
    let (lab, token) = tenant("岭南师范学院氢冶金实验室", "university");
    let posted = run(
        &token,
        &[
            "capability",
            "post",
            "--kind",
            "instrument",
            "--title",
            "氢冶金热模拟试验机",
            "--description",
            "氢基直接还原铁中试",
            "--keyword",
            "氢冶金",
            "--keyword",
            "直接还原",
            "--industry",
            "green_steel",
            "--trl",
            "5",
            "--sharing",
            "true",
            "--reference",
            "Gleeble-3800",
            "--region",
            "湛江",
        ],
    );
    let cap = id(&posted);
    assert_eq!(posted["organization_id"], lab.as_str());
    let got = run(&token, &["capability", "get", &cap]);
    assert_eq!(
        (&got["kind"], &got["trl"], &got["available_for_sharing"], &got["region_code"], &got["reference"]),
        (&"instrument".into(), &5.into(), &true.into(), &"440800".into(), &"Gleeble-3800".into())
    );
    assert_eq!(got["industries"], serde_json::json!(["green_steel"]));

    let updated = run(&token, &["capability", "update", &cap, "--trl", "7", "--sharing", "false"]);
    assert_eq!((&updated["trl"], &updated["available_for_sharing"]), (&7.into(), &false.into()));
    assert_eq!(updated["title"], "氢冶金热模拟试验机", "fields not given stay");
    assert_eq!(updated["version"].as_i64(), got["version"].as_i64().map(|v| v + 1));

    let human = text(&token, &["capability", "get", &cap]);
    for label in ["仪器设备", "区域: 湛江市", "不共享", "绿色钢铁"] {
        assert!(human.contains(label), "{label} in {human}");
    }
    assert_eq!(ids(&run(&token, &["capability", "list", "--org", &lab])), [cap.as_str()]);
    run(&token, &["capability", "archive", &cap]);
    assert!(ids(&run(&token, &["capability", "list", "--org", &lab])).is_empty());
    assert_eq!(ids(&run(&token, &["capability", "list", "--org", &lab, "--include-archived"])), [cap]);
}

#[test]
fn offer_post_get_list_update_archive_round_trip() {
    let (agency, token) = tenant("湛江海洋检测服务中心", "intermediary_agency");
    let posted = run(
        &token,
        &[
            "offer",
            "post",
            "--category",
            "testing_inspection",
            "--title",
            "对虾养殖水质与病害检测",
            "--keyword",
            "对虾养殖",
            "--region",
            "440800",
            "--region",
            "440882",
            "--industry",
            "shrimp",
            "--terms",
            "每批次800元，三个工作日出报告",
            "--capacity",
            "12",
        ],
    );
    let offer = id(&posted);
    let got = run(&token, &["offer", "get", &offer]);
    assert_eq!(got["category"], "testing_inspection");
    assert_eq!(got["regions_served"], serde_json::json!(["440800", "440882"]));
    assert_eq!((&got["monthly_capacity"], &got["terms"]), (&12.into(), &"每批次800元，三个工作日出报告".into()));

    let updated = run(&token, &["offer", "update", &offer, "--capacity", "20", "--terms", "每批次600元"]);
    assert_eq!((&updated["monthly_capacity"], &updated["terms"]), (&20.into(), &"每批次600元".into()));
    assert_eq!(updated["industries_served"], serde_json::json!(["shrimp"]));
    let human = text(&token, &["offer", "get", &offer]);
    for label in ["检验检测", "服务区域: 湛江市", "每月可承接: 20"] {
        assert!(human.contains(label), "{label} in {human}");
    }
    assert_eq!(ids(&run(&token, &["offer", "list", "--org", &agency])), [offer.as_str()]);
    run(&token, &["offer", "archive", &offer]);
    assert!(ids(&run(&token, &["offer", "list", "--org", &agency])).is_empty());
    // An agency's lead list is one JSON array too.
    let agency_token = run(ADMIN_TOKEN, &["admin", "issue-token", "--org", &agency, "--role", "agency"]);
    let leads = run(agency_token["token"].as_str().expect("token"), &["leads", "list"]);
    assert!(leads.is_array(), "{leads}");
}

#[test]
fn a_member_updates_its_own_organization() {
    let (org, token) = tenant("湛江预制菜产业有限公司", "enterprise");
    let before = run(&token, &["org", "get"]);
    let updated = run(
        &token,
        &[
            "org",
            "update",
            "--website",
            "https://yuzhicai.example.cn",
            "--contact-person",
            "林晓梅",
            "--phone",
            "0759-2234567",
            "--email",
            "lin@yuzhicai.example.cn",
            "--region",
            "赤坎区",
            "--industry",
            "prepared_dishes",
            "--description",
            "预制菜冷链加工",
        ],
    );
    assert_eq!(id(&updated), org);
    assert_eq!(updated["version"].as_i64(), before["version"].as_i64().map(|v| v + 1));
    let got = run(&token, &["org", "get", &org]);
    assert_eq!(
        (&got["contact_person"], &got["phone"], &got["region_code"], &got["name"]),
        (&"林晓梅".into(), &"0759-2234567".into(), &"440802".into(), &"湛江预制菜产业有限公司".into())
    );
    let human = text(&token, &["org", "get"]);
    for label in ["企业", "区域: 赤坎区", "联系人: 林晓梅"] {
        assert!(human.contains(label), "{label} in {human}");
    }
    // Another organization's member cannot change it.
    let (_, other) = tenant("湛江另一家企业", "enterprise");
    let refused = output(&other, &["org", "update", "--id", &org, "--phone", "0759-7654321"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("PermissionDenied"), "{refused:?}");
    assert!(ids(&run(&token, &["org", "list", "--kind", "enterprise", "--page-size", "500"])).contains(&org));
}

#[test]
fn need_update_changes_trl_budget_deadline_and_visibility() {
    let (_, token) = tenant("湛江绿色钢铁有限公司", "enterprise");
    let need = run(&token, &["need", "post", "--title", "绿色钢铁氢冶金工艺优化", "--industry", "green_steel"]);
    let need_id = id(&need);
    assert_eq!(need["visibility"], "public");
    let deadline = jiff::Zoned::now().date().checked_add(jiff::Span::new().days(90)).expect("a date").to_string();
    let updated = run(
        &token,
        &[
            "need",
            "update",
            &need_id,
            "--trl",
            "6",
            "--budget",
            "500000-2000000",
            "--deadline",
            &deadline,
            "--visibility",
            "anonymous",
            "--mode",
            "joint_development",
            "--mode",
            "tech_transfer",
            "--competency",
            "氢冶金:8",
        ],
    );
    assert_eq!(updated["target_trl"], 6);
    assert_eq!(updated["budget"], serde_json::json!({ "min_yuan": 500000, "max_yuan": 2000000 }));
    assert_eq!(updated["visibility"], "anonymous");
    assert_eq!(updated["cooperation_modes"], serde_json::json!(["joint_development", "tech_transfer"]));
    assert_eq!(updated["competencies"], serde_json::json!([{ "name": "氢冶金", "weight": 8 }]));
    assert_eq!(updated["title"], "绿色钢铁氢冶金工艺优化");
    assert_eq!(updated["version"].as_i64(), need["version"].as_i64().map(|v| v + 1));
    let human = text(&token, &["need", "get", &need_id]);
    for label in ["匿名", "联合研发", "目标技术成熟度: 6", "预算: 500000–2000000 元", &format!("截止日期: {deadline}")]
    {
        assert!(human.contains(label), "{label} in {human}");
    }
    // A deadline that has passed is refused, and the need stays as it was.
    let past = output(&token, &["need", "update", &need_id, "--deadline", "2020-01-01"]);
    assert!(!past.status.success());
    assert_eq!(run(&token, &["need", "get", &need_id])["version"], updated["version"]);
}

#[test]
fn need_list_pages_with_page_token() {
    let (org, token) = tenant("湛江对虾养殖合作社", "enterprise");
    let mut posted: Vec<String> = ["对虾养殖尾水处理", "对虾养殖病害快速检测", "对虾苗种选育"]
        .iter()
        .map(|title| id(&run(&token, &["need", "post", "--title", title, "--industry", "shrimp"])))
        .collect();
    let first = output(&token, &["need", "list", "--org", &org, "--page-size", "2", "--json"]);
    assert!(first.status.success());
    let first_page = ids(&serde_json::from_slice(&first.stdout).expect("one JSON document"));
    let stderr = String::from_utf8_lossy(&first.stderr);
    let token_arg = stderr.trim().strip_prefix("more: --page-token ").expect("the next page's token on stderr");
    let second_page =
        ids(&run(&token, &["need", "list", "--org", &org, "--page-size", "2", "--page-token", token_arg]));
    assert_eq!((first_page.len(), second_page.len()), (2, 1));
    let mut all = [first_page, second_page].concat();
    all.sort();
    posted.sort();
    assert_eq!(all, posted);
    let human = text(&token, &["need", "list", "--org", &org, "--page-size", "2"]);
    assert!(human.contains("(more: --page-token "), "{human}");
}

#[test]
fn match_capability_lists_a_fitting_need() {
    let (_, steel) = tenant("湛江氢能炼钢集团", "enterprise");
    let (_, lab) = tenant("广东海洋大学冶金研究所", "university");
    let need = id(&run(
        &steel,
        &[
            "need",
            "post",
            "--title",
            "氢冶金直接还原铁低碳炼钢",
            "--description",
            "绿色钢铁 氢冶金 竖炉 直接还原",
            "--keyword",
            "氢冶金",
            "--keyword",
            "直接还原",
            "--industry",
            "green_steel",
        ],
    ));
    let cap = id(&run(
        &lab,
        &[
            "capability",
            "post",
            "--kind",
            "achievement",
            "--title",
            "氢冶金直接还原竖炉技术",
            "--description",
            "氢基竖炉直接还原铁 绿色钢铁 低碳炼钢",
            "--keyword",
            "氢冶金",
            "--keyword",
            "直接还原",
            "--industry",
            "green_steel",
            "--trl",
            "6",
        ],
    ));
    // The index follows the catalog asynchronously: wait for the need to be matchable.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = run(&lab, &["match-capability", &cap]);
        let needs: Vec<&str> =
            found.as_array().expect("a JSON array").iter().filter_map(|n| n["need_id"].as_str()).collect();
        if needs.contains(&need.as_str()) {
            break;
        }
        assert!(Instant::now() < deadline, "the need is matched: {found}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let human = text(&lab, &["match-capability", &cap]);
    assert!(human.contains("氢冶金直接还原铁低碳炼钢") && human.contains("区域: "), "{human}");
}

/// Waits for a child to exit, failing after `limit`.
fn wait_with_deadline(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            return status;
        }
        assert!(Instant::now() < deadline, "the command exits once its reader is gone");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_closed_pipe_ends_watch_and_lists_quietly() {
    let (_, token) = tenant("湛江工业互联网科技有限公司", "enterprise");
    run(&token, &["need", "post", "--title", "工业互联网设备联网改造"]);
    // `innomatch watch | head -1`: one line read, then the reader goes away.
    let mut watch = Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(["watch", "--jsonl", "--server", &format!("http://{}", addr()), "--token", &token])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn watch");
    let mut reader = BufReader::new(watch.stdout.take().expect("stdout"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("read a line");
    let event: Value = serde_json::from_str(&line).expect("one JSON object a line");
    assert!(event["sequence"].as_i64().is_some(), "{line}");
    drop(reader);
    // The next change meets the closed pipe.
    run(&token, &["need", "post", "--title", "工业互联网平台数据采集"]);
    run(&token, &["need", "post", "--title", "工业互联网安全评估"]);
    let status = wait_with_deadline(&mut watch, Duration::from_secs(20));
    let stderr = std::io::read_to_string(watch.stderr.take().expect("stderr")).expect("stderr");
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A list whose reader is gone before it prints.
    let mut list = Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(["org", "list", "--server", &format!("http://{}", addr()), "--token", &token])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn list");
    drop(list.stdout.take());
    let status = wait_with_deadline(&mut list, Duration::from_secs(20));
    let stderr = std::io::read_to_string(list.stderr.take().expect("stderr")).expect("stderr");
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `admin qualify` as people type it: dates as YYYY-MM-DD, days from today.
fn qualify(org: &str, qualification: &str, certificate: &str, from_days: i64, until_days: i64) {
    let day = |offset: i64| {
        let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone")).date();
        today.checked_add(jiff::Span::new().days(offset)).expect("a day").to_string()
    };
    run(
        ADMIN_TOKEN,
        &[
            "admin",
            "qualify",
            "--org",
            org,
            "--qualification",
            qualification,
            "--certificate",
            certificate,
            "--valid-from",
            &day(from_days),
            "--valid-until",
            &day(until_days),
        ],
    );
}

#[test]
fn stats_by_district_history_and_xlsx() {
    let org = run(
        ADMIN_TOKEN,
        &["admin", "create-org", "--name", "吴川羽绒科技有限公司", "--kind", "enterprise", "--region", "440883"],
    );
    let org = id(&org);
    qualify(&org, "high_tech_enterprise", "GR202544009999", -10, 300);
    qualify(&org, "high_level_talent", "RC-0001", -10, 300);
    qualify(&org, "high_level_talent", "RC-0002", -10, 300);
    qualify(&org, "high_level_talent", "RC-0003", -900, -1);

    let board = run(ADMIN_TOKEN, &["stats", "--by", "district"]);
    let district =
        board["districts"].as_array().expect("districts").iter().find(|d| d["region_code"] == "440883").cloned();
    let district = district.expect("吴川市");
    let figure = |key: &str| {
        district["figures"].as_array().expect("figures").iter().find(|f| f["key"] == key).cloned().expect(key)
    };
    assert_eq!(figure("high_tech_enterprises")["count"], 1);
    assert_eq!(figure("high_level_talents")["count"], 2, "two valid talent certificates, the lapsed one not");
    assert_eq!(board["city"].as_array().expect("city").len(), 11, "every target of the plan");
    let human = text(ADMIN_TOKEN, &["stats", "--by", "district"]);
    assert!(human.contains("吴川市 440883") && human.contains("高新技术企业"), "{human}");

    // The server keeps today's snapshot at start; the history lists it.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let history = run(ADMIN_TOKEN, &["stats", "--history"]);
        let days = history.as_array().expect("one array").len();
        if days == 1 {
            assert_eq!(history[0]["day"], board["day"]);
            break;
        }
        assert!(days == 0 && Instant::now() < deadline, "snapshots: {history}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let bad = output(ADMIN_TOKEN, &["stats", "--history", "--since", "yesterday"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("since_day"), "{}", String::from_utf8_lossy(&bad.stderr));

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("board.xlsx");
    let written = run(ADMIN_TOKEN, &["stats", "--xlsx", path.to_str().expect("utf-8 path")]);
    assert!(written["bytes"].as_u64().is_some_and(|n| n > 2_000), "{written}");
    assert!(std::fs::read(&path).expect("the file").starts_with(b"PK"));
}

#[test]
fn lookup_shows_an_organizations_whole_picture_to_the_bureau() {
    let name = "雷州对虾种苗繁育有限公司";
    let (org, token) = tenant(name, "enterprise");
    qualify(&org, "tech_sme", "KJ202544000123", -300, 20);
    let need = run(
        &token,
        &[
            "need",
            "post",
            "--title",
            "对虾养殖尾水处理",
            "--description",
            "寻求高校合作处理对虾养殖尾水",
            "--industry",
            "shrimp",
        ],
    );

    let found = run(ADMIN_TOKEN, &["lookup", name]);
    assert_eq!(found["organization"]["id"], org.as_str());
    assert_eq!(found["qualifications"][0]["qualification"], "tech_sme");
    assert_eq!(found["qualifications"][0]["standing"], "expiring_soon");
    assert_eq!(found["needs"][0]["id"], need["id"]);
    assert!(found["leads"].is_array(), "the leads service runs in this process: {found}");
    assert!(
        found["policies"]["eligible"].is_array() && found["policies_received"].is_array(),
        "the support policies are part of the picture: {found}"
    );
    let by_id = run(ADMIN_TOKEN, &["lookup", &org]);
    assert_eq!(by_id["organization"]["name"], name);
    let human = text(ADMIN_TOKEN, &["lookup", &org]);
    assert!(
        human.contains("科技型中小企业")
            && human.contains("即将到期")
            && human.contains("对虾养殖尾水处理")
            && human.contains("扶持政策"),
        "{human}"
    );

    let refused = output(&token, &["lookup", &org]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("PermissionDenied"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
