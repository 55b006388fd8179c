//! Running the real binary in tests: a server child process on port 0 with a
//! known admin token, and the CLI against it.

#![allow(dead_code)] // each test file uses part of this

pub mod killable;

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Output, Stdio},
};

pub const ADMIN_TOKEN: &str = "imt_process_test_admin_0123456789abcdef";

/// Starts `innomatch serve` on `data_dir`; returns the child and its address.
pub fn start_server(data_dir: &Path) -> (Child, String) {
    start_server_with(data_dir, &[])
}

/// Starts `innomatch serve` on `data_dir` with extra flags.
pub fn start_server_with(data_dir: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env("INNOMATCH_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn innomatch");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("read address");
    let addr = line.trim().strip_prefix("innomatch listening on ").expect("address line").to_owned();
    // Keep reading so the server's later lines never meet a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    (child, addr)
}

/// Runs a CLI command against the server at `addr` as the admin.
pub fn cli(addr: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(args)
        .args(["--server", &format!("http://{addr}"), "--token", ADMIN_TOKEN])
        .output()
        .expect("run innomatch")
}

/// SIGTERM, then wait for the exit.
pub fn stop(mut child: Child) {
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    child.wait().expect("reap");
}

/// `message` with the bearer `token`.
pub fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = tonic::metadata::MetadataValue::try_from(format!("Bearer {token}")).expect("header");
    request.metadata_mut().insert("authorization", value);
    request
}

/// A channel to the server at `addr`.
pub async fn channel(addr: &str) -> tonic::transport::Channel {
    tonic::transport::Channel::from_shared(format!("http://{addr}")).expect("address").connect().await.expect("connect")
}

/// Registers an organization in 霞山区 as the admin; returns its id.
pub async fn organization(
    catalog: &mut innomatch_proto::v1::catalog_service_client::CatalogServiceClient<tonic::transport::Channel>,
    name: &str,
    kind: innomatch_proto::v1::OrganizationKind,
) -> String {
    use innomatch_proto::v1 as pb;
    let org =
        pb::Organization { name: name.into(), kind: kind as i32, region_code: "440803".into(), ..Default::default() };
    let request =
        authorized(pb::CreateOrganizationRequest { organization: Some(org), ..Default::default() }, ADMIN_TOKEN);
    catalog.create_organization(request).await.expect("organization").into_inner().meta.expect("meta").id
}

/// A prepared-dish testing offer (检验检测, serving 湛江) and, below, a need
/// it fits well enough for auto-matching to make a lead of them.
pub fn testing_offer() -> innomatch_proto::v1::ServiceOffer {
    use innomatch_proto::v1 as pb;
    pb::ServiceOffer {
        category: pb::ServiceCategory::TestingInspection as i32,
        title: "预制菜微生物检验检测".into(),
        regions_served: vec!["440800".into()],
        industries_served: vec!["prepared_dishes".into()],
        monthly_capacity: 20,
        ..Default::default()
    }
}

pub fn need_for_testing_offer() -> innomatch_proto::v1::TechNeed {
    innomatch_proto::v1::TechNeed {
        title: "预制菜冷链产品微生物检测认证".into(),
        industries: vec!["prepared_dishes".into()],
        ..Default::default()
    }
}

/// Lists a research direction of `owner`'s as the admin.
pub async fn research_direction(
    catalog: &mut innomatch_proto::v1::catalog_service_client::CatalogServiceClient<tonic::transport::Channel>,
    owner: &str,
    title: &str,
    description: &str,
) {
    use innomatch_proto::v1 as pb;
    let capability = pb::Capability {
        meta: Some(pb::RecordMeta { organization_id: owner.into(), ..Default::default() }),
        kind: pb::CapabilityKind::ResearchDirection as i32,
        title: title.into(),
        description: description.into(),
        ..Default::default()
    };
    let request = authorized(pb::CreateCapabilityRequest { capability: Some(capability) }, ADMIN_TOKEN);
    catalog.create_capability(request).await.expect("capability");
}
