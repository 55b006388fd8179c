//! TLS as operators use it: `innomatch serve --tls-cert --tls-key` with a
//! certificate from a private CA, and the CLI speaking TLS to an `https://`
//! server when it trusts that CA (`--ca-cert`).

mod common;

use std::process::Command;

use common::{ADMIN_TOKEN, start_server_with, stop};

/// Writes a private CA and a `localhost` certificate it signed into `dir`.
fn write_pki(dir: &std::path::Path) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("ca");
    let key = KeyPair::generate().expect("key");
    let cert =
        CertificateParams::new(vec!["localhost".to_owned()]).expect("params").signed_by(&key, &ca).expect("sign");
    std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write");
    std::fs::write(dir.join("server.pem"), cert.pem()).expect("write");
    std::fs::write(dir.join("server.key"), key.serialize_pem()).expect("write");
}

#[test]
fn the_cli_speaks_tls_to_an_https_server_that_it_trusts() {
    let data = tempfile::tempdir().expect("data dir");
    let pki = tempfile::tempdir().expect("pki dir");
    write_pki(pki.path());
    let (cert, key, ca) = (pki.path().join("server.pem"), pki.path().join("server.key"), pki.path().join("ca.pem"));
    let (server, addr) = start_server_with(
        data.path(),
        &["--tls-cert", cert.to_str().expect("utf-8"), "--tls-key", key.to_str().expect("utf-8")],
    );
    let port = addr.rsplit(':').next().expect("port").to_owned();
    let https = format!("https://localhost:{port}");
    let whoami = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_innomatch"))
            .args(["whoami", "--server", &https, "--token", ADMIN_TOKEN])
            .args(extra)
            .output()
            .expect("run innomatch")
    };
    let trusted = whoami(&["--ca-cert", ca.to_str().expect("utf-8")]);
    let untrusted = whoami(&[]);
    let plaintext = Command::new(env!("CARGO_BIN_EXE_innomatch"))
        .args(["whoami", "--server", &format!("http://{addr}"), "--token", ADMIN_TOKEN])
        .output()
        .expect("run innomatch");
    stop(server);
    assert!(trusted.status.success(), "{}", String::from_utf8_lossy(&trusted.stderr));
    assert!(!untrusted.status.success(), "a certificate from an unknown CA is refused");
    assert!(!plaintext.status.success(), "the server speaks TLS only");
}
