//! `innomatch policy …` through the real binary: the bureau publishes a
//! policy, records a firm's move into the city and a recommended
//! certificate, and reads eligibility with Chinese labels and as JSON.

mod common;

use serde_json::Value;

fn ok(output: std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "stdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&output.stderr));
    stdout
}

fn json(output: std::process::Output) -> Value {
    serde_json::from_str(&ok(output)).expect("one JSON document")
}

#[test]
fn the_bureau_publishes_a_policy_and_reads_who_is_eligible() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, addr) = common::start_server(dir.path());
    let firm = json(common::cli(
        &addr,
        &[
            "admin",
            "create-org",
            "--name",
            "湛江绿钢科技有限公司",
            "--kind",
            "enterprise",
            "--region",
            "440803",
            "--industry",
            "green_steel",
            "--json",
        ],
    ));
    let firm_id = firm["id"].as_str().expect("id").to_owned();
    let policy = json(common::cli(
        &addr,
        &[
            "policy",
            "post",
            "--title",
            "推荐认定高新技术企业奖励",
            "--department",
            "湛江市科学技术局",
            "--number",
            "湛科〔2023〕22号",
            "--effective",
            "2023-07-01",
            "--expires",
            "2099-12-31",
            "--org-kind",
            "enterprise",
            "--qualification",
            "high_tech_enterprise",
            "--region",
            "湛江",
            "--condition",
            "recommended_high_tech",
            "--benefit",
            "reward",
            "--amount",
            "200000",
            "--text",
            "经市科技局推荐并通过认定的高新技术企业，给予一次性20万元奖励。",
            "--json",
        ],
    ));
    let policy_id = policy["id"].as_str().expect("id").to_owned();
    assert_eq!(policy["eligibility"]["region_codes"][0], "440800", "湛江 is typed as a name");

    // No certificate yet: two requirements short, so not listed as eligible.
    let before = json(common::cli(&addr, &["policy", "eligible", "--org", &firm_id, "--all", "--json"]));
    assert_eq!(before["eligible"].as_array().map(Vec::len), Some(0));
    assert_eq!(before["not_eligible"][0]["policy_id"], policy_id.as_str());

    ok(common::cli(
        &addr,
        &[
            "admin",
            "qualify",
            "--org",
            &firm_id,
            "--qualification",
            "high_tech_enterprise",
            "--certificate",
            "GR202644000123",
            "--valid-from",
            "2026-01-01",
            "--valid-until",
            "2099-12-31",
            "--recommended",
        ],
    ));
    let text = ok(common::cli(&addr, &["policy", "eligible", "--org", &firm_id]));
    assert!(text.contains("[符合条件]") && text.contains("推荐认定高新技术企业奖励"), "{text}");
    assert!(text.contains("✓ 符合") && text.contains("organization.qualification_certificates"), "{text}");
    let reach = json(common::cli(&addr, &["policy", "reach", &policy_id, "--json"]));
    assert_eq!(reach["eligible"][0]["organization_id"], firm_id.as_str());

    let moved = json(common::cli(&addr, &["admin", "relocate", "--org", &firm_id, "--date", "2026-03-01", "--json"]));
    assert_eq!(moved["relocated_into_city"], "2026-03-01");
    let listed = json(common::cli(&addr, &["policy", "list", "--in-force", "--json"]));
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    common::stop(server);
}
