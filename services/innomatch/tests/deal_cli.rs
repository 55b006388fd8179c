//! The deal commands through the real binary: `innomatch interest …` from
//! teaser to approval with contacts and the audit trail, and `innomatch
//! notifications list|watch --jsonl|ack`.

mod common;

use std::{
    io::Read,
    process::{Command, Stdio},
    time::Duration,
};

use common::{ADMIN_TOKEN, start_server, stop};
use serde_json::Value;

fn run(addr: &str, token: &str, args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(args)
        .args(["--server", &format!("http://{addr}"), "--token", token, "--json"])
        .output()
        .expect("run innomatch");
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

fn tenant(addr: &str, name: &str, kind: &str, person: &str) -> (String, String) {
    let org = run(
        addr,
        ADMIN_TOKEN,
        &["admin", "create-org", "--name", name, "--kind", kind, "--region", "440803", "--contact-person", person],
    );
    let id = org["id"].as_str().expect("id").to_owned();
    let token = run(addr, ADMIN_TOKEN, &["admin", "issue-token", "--org", &id, "--role", "member"]);
    (id, token["token"].as_str().expect("token").to_owned())
}

#[test]
fn interest_and_notification_commands_close_the_loop() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, addr) = start_server(&dir.path().join("data"));
    let (steel, steel_token) = tenant(&addr, "湛江氢能钢铁有限公司", "enterprise", "陈海生");
    let (_lab, lab_token) = tenant(&addr, "岭南师范学院材料实验室", "university", "李教授");
    let need = run(
        &addr,
        &steel_token,
        &["need", "post", "--title", "氢冶金低碳炼钢中试", "--industry", "green_steel", "--visibility", "anonymous"],
    );
    let need_id = need[0]["id"].as_str().or_else(|| need["id"].as_str()).expect("need id").to_owned();

    let teaser = run(&addr, &lab_token, &["interest", "teaser", &need_id]);
    assert_eq!(teaser["title"], "氢冶金低碳炼钢中试");
    assert_eq!(teaser["region_tier"], "REGION_TIER_CITY");
    let interest = run(&addr, &lab_token, &["interest", "express", &need_id, "--message", "我们有氢基竖炉中试经验"]);
    assert_eq!((interest["status"].as_str(), interest["owner_organization_id"].as_str()), (Some("pending"), Some("")));
    let id = interest["id"].as_str().expect("interest id").to_owned();

    let received = run(&addr, &steel_token, &["interest", "list"]);
    assert_eq!(received.as_array().map(Vec::len), Some(1));
    let approved = run(&addr, &steel_token, &["interest", "approve", &id, "--reply", "欢迎交流"]);
    assert_eq!(approved["status"], "approved");
    let seen = run(&addr, &lab_token, &["interest", "get", &id]);
    assert_eq!(seen["owner_organization_id"], steel.as_str());
    assert_eq!(seen["counterpart"]["contact_person"], "陈海生");
    let audit = run(&addr, &steel_token, &["interest", "audit", "--need", &need_id]);
    let actions: Vec<&str> = audit.as_array().expect("events").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["expressed", "approved"]);

    // The owner's notice of the interest: listed, then acknowledged.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let notice = loop {
        let listed = run(&addr, &steel_token, &["notifications", "list", "--kind", "interest_received"]);
        if let Some(first) = listed.as_array().and_then(|a| a.first()).cloned() {
            break first;
        }
        assert!(std::time::Instant::now() < deadline, "the notice arrives");
        std::thread::sleep(Duration::from_millis(50));
    };
    // `watch --jsonl`: one JSON object a line, attempt counted.
    let mut watch = Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(["notifications", "watch", "--jsonl", "--server", &format!("http://{addr}"), "--token", &steel_token])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("watch");
    let mut first_line = Vec::new();
    let mut stdout = watch.stdout.take().expect("stdout");
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).expect("read") == 1 && byte[0] != b'\n' {
        first_line.push(byte[0]);
    }
    drop(stdout);
    let line: Value = serde_json::from_slice(&first_line).expect("a JSON line");
    assert_eq!(line["id"], notice["id"]);
    assert_eq!(line["attempt"], 1);
    // More lines would meet the closed pipe; with nothing more to print the
    // watch keeps waiting, so stop it.
    let _ = watch.kill();
    let _ = watch.wait();
    let acked = run(&addr, &steel_token, &["notifications", "ack", notice["id"].as_str().expect("id")]);
    assert_eq!(acked["acknowledged"], true);
    let open = run(&addr, &steel_token, &["notifications", "list", "--unacknowledged"]);
    assert!(open.as_array().expect("list").iter().all(|n| n["id"] != notice["id"]));
    stop(server);
}
