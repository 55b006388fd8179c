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

/// One HTTP/1.1 exchange with the console on a fresh connection: the whole answer.
fn http(web: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(web).expect("connect to the console");
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    stream.write_all(request.as_bytes()).expect("request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    answer
}

/// The value of the cookie `name` the answer sets.
fn set_cookie(answer: &str, name: &str) -> String {
    answer
        .lines()
        .filter_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .and_then(|l| l.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {answer}"))
        .to_owned()
}

#[test]
fn the_console_is_served_with_demo_logins_and_stops_on_sigterm_with_a_live_page_open() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(["serve", "--listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0", "--sample-data", "--data-dir"])
        .arg(dir.path())
        .env_remove("INNOMATCH_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn innomatch");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    while !lines.last().is_some_and(|l: &String| l.starts_with("bureau ")) {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).expect("read stdout") > 0, "stdout ended: {lines:?}");
        lines.push(line.trim().to_owned());
    }
    let web = lines
        .iter()
        .find_map(|l| l.strip_prefix("web console on http://"))
        .expect("the console's URL is printed")
        .trim_end_matches('/')
        .to_owned();
    let logins: Vec<Vec<&str>> = lines
        .iter()
        .skip_while(|l| !l.starts_with("demo logins for the web console"))
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    let kinds: Vec<&str> = logins.iter().map(|l| l[0]).collect();
    assert_eq!(kinds, ["enterprise", "university", "agency", "bureau"], "{lines:?}");
    let (login, password) = (logins[2][1], logins[2][2]);

    // Sign in as the agency with the printed password, as a browser would.
    let form = http(&web, &format!("GET /login HTTP/1.1\r\nHost: {web}\r\nConnection: close\r\n\r\n"));
    let csrf = set_cookie(&form, "im_login_csrf");
    let body = format!("csrf={csrf}&next=%2Fleads&login={login}&password={password}");
    let signed_in = http(
        &web,
        &format!(
            "POST /login HTTP/1.1\r\nHost: {web}\r\nCookie: im_login_csrf={csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(signed_in.starts_with("HTTP/1.1 303"), "{signed_in}");
    let session = set_cookie(&signed_in, "im_session");

    // A live inbox: the event stream answers and sends the list at once.
    let mut events = std::net::TcpStream::connect(&web).expect("connect");
    events.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    write!(
        events,
        "GET /events/leads HTTP/1.1\r\nHost: {web}\r\nCookie: im_session={session}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("request");
    let mut seen = String::new();
    let mut buffer = [0u8; 4096];
    while !seen.contains("event: update") {
        let n = events.read(&mut buffer).expect("the stream sends");
        assert!(n > 0, "the stream closed early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    assert!(seen.starts_with("HTTP/1.1 200") && seen.contains("text/event-stream"), "{seen}");

    // SIGTERM with the stream open: the stream ends and the process exits cleanly.
    let started = Instant::now();
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    loop {
        match events.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    // The stream ends at once (the console closes its live streams first), not after the grace period.
    let stream_ended = started.elapsed();
    assert!(stream_ended < Duration::from_secs(1), "the live stream held on for {stream_ended:?}");
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}
