//! The binary as a user runs it: `innomatch serve` on port 0 prints where it
//! listens and the first admin token, answers health, stops cleanly on
//! SIGTERM, and refuses unknown services with a clear message.

use std::{
    io::{BufRead, BufReader},
    process::{Child, ChildStdout, Command, Stdio},
    time::{Duration, Instant},
};

use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

struct Server {
    child: Child,
    addr: String,
    lines: Vec<String>,
    stdout: BufReader<ChildStdout>,
}

/// Starts the binary and reads its start-up lines: the address, the metrics
/// address and, with `first_start`, the admin token (printed last).
fn start(data_dir: &std::path::Path, first_start: bool) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("INNOMATCH_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn innomatch");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    for _ in 0..(if first_start { 3 } else { 2 }) {
        let mut line = String::new();
        reader.read_line(&mut line).expect("read stdout");
        lines.push(line.trim().to_owned());
    }
    let addr = lines[0].strip_prefix("innomatch listening on ").expect("the address line comes first").to_owned();
    Server { child, addr, lines, stdout: reader }
}

/// Sends SIGTERM, checks the exit is clean, and returns how long it took and
/// what the server printed after its start-up lines.
fn terminate(mut server: Server) -> (Duration, String) {
    let started = Instant::now();
    let status = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = server.child.wait().expect("wait");
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut server.stdout, &mut rest).expect("read the rest of stdout");
    (started.elapsed(), rest)
}

#[tokio::test]
async fn serve_prints_its_address_answers_health_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path(), true);
    assert!(
        server.lines.iter().any(|l| l.starts_with("admin token (shown once, keep it): imt_")),
        "first start prints an admin token: {:?}",
        server.lines
    );
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", server.addr))
        .expect("address")
        .connect()
        .await
        .expect("connect");
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest { service: "innomatch.v1.CatalogService".into() })
        .await
        .expect("health")
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);
    assert!(terminate(server).0 < Duration::from_secs(10));

    // Second start on the same data: an admin token exists, none is printed.
    let server = start(dir.path(), false);
    let (_, rest) = terminate(server);
    assert!(!rest.contains("admin token"), "{rest}");
}

#[test]
fn unknown_services_are_refused_with_the_list_of_known_ones() {
    let output = Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(["serve", "--listen", "127.0.0.1:0", "--service", "telepathy"])
        .output()
        .expect("run innomatch");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown service \"telepathy\"") && stderr.contains("catalog"), "{stderr}");
}
