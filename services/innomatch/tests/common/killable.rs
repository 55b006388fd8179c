//! A server child process that can be killed without warning (SIGKILL), and
//! what the crash tests around it share: bearer requests and the test's own
//! Redis keys.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use tonic::{Request, metadata::MetadataValue, transport::Channel};

use super::ADMIN_TOKEN;

pub const REDIS_URL: &str = "redis://127.0.0.1:6379";

pub struct Server {
    child: Child,
    pub addr: String,
}

/// Starts `innomatch serve` on port 0 and reads the address it prints.
pub fn start(data_dir: &Path, config: Option<&Path>, redis: bool) -> Server {
    start_with(data_dir, config, redis, &[])
}

/// [`start`] with more flags (`--service`, `--database-url`, ...).
pub fn start_with(data_dir: &Path, config: Option<&Path>, redis: bool, extra: &[&str]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_innomatch"));
    command.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(data_dir).args(extra);
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    if redis {
        command.args(["--redis-url", REDIS_URL]);
    } else {
        command.env_remove("INNOMATCH_REDIS_URL");
    }
    let mut child = command
        .env("INNOMATCH_ADMIN_TOKEN", ADMIN_TOKEN)
        .env_remove("INNOMATCH_SERVICES")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn innomatch");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("read the address line");
    let addr = line.trim().strip_prefix("innomatch listening on ").expect("the address line").to_owned();
    // Keep reading so the server's later lines never meet a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    Server { child, addr }
}

impl Server {
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr)).expect("address").connect().await.expect("connect")
    }

    pub fn kill(mut self) {
        // Child::kill sends SIGKILL: no shutdown code runs.
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn with_token<T>(token: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    let value = MetadataValue::try_from(format!("Bearer {token}")).expect("header");
    request.metadata_mut().insert("authorization", value);
    request
}

/// Deletes the test's Redis keys when dropped.
pub struct RedisKeys(pub String);

impl Drop for RedisKeys {
    fn drop(&mut self) {
        let Ok(client) = redis::Client::open(REDIS_URL) else { return };
        let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_secs(1)) else { return };
        let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{}:*", self.0)).query(&mut conn).unwrap_or_default();
        if !keys.is_empty() {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut conn);
        }
    }
}

pub fn redis_reachable() -> bool {
    let reachable = redis::Client::open(REDIS_URL)
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(1)))
        .and_then(|mut conn| redis::cmd("PING").query::<String>(&mut conn))
        .is_ok();
    if !reachable {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but redis at {REDIS_URL} is unreachable");
        println!("skipped: redis not reachable at {REDIS_URL}");
    }
    reachable
}
