//! One auto-matcher at a time across matcher replicas: a lease in Redis
//! (`{prefix}:auto-match:lease`, `SET NX PX`, renewed by its holder). The
//! holder follows the feed and offers leads; the others wait, and one takes
//! over within a lease period of the holder dying. A new holder resumes from
//! its own checkpoint; lead ids come from need × offer, so a change handled
//! twice at a takeover still makes one lead.

use std::time::Duration;

use redis::{AsyncConnectionConfig, Client, aio::MultiplexedConnection};
use tokio::task::JoinHandle;

/// How long a lease lasts unless renewed.
pub const LEASE_TTL: Duration = Duration::from_secs(10);
/// How often the holder renews, and the others try to take it.
const RENEW_EVERY: Duration = Duration::from_secs(3);
/// How long one Redis command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// Renews the lease if this holder still has it; 1 when renewed.
const RENEW: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"#;

/// Gives the lease up if this holder still has it.
const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// A lease on one job, shared by the processes that could run it.
#[derive(Debug, Clone)]
pub struct Lease {
    client: Client,
    key: String,
    holder: String,
    ttl: Duration,
}

impl Lease {
    /// The lease `{prefix}:{job}:lease` for `holder`: an id that stays the
    /// same across restarts of one replica (see [`holder_id`]), so a
    /// replica restarted at once takes its own lease back at once.
    pub fn new(redis_url: &str, prefix: &str, job: &str, holder: String) -> Result<Self, String> {
        let client = Client::open(redis_url).map_err(|e| format!("redis URL: {e}"))?;
        Ok(Self { client, key: format!("{prefix}:{job}:lease"), holder, ttl: LEASE_TTL })
    }

    /// A shorter lease, for tests of takeover.
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    async fn connection(&self) -> Result<MultiplexedConnection, redis::RedisError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT));
        self.client.get_multiplexed_async_connection_with_config(&config).await
    }

    /// Takes the lease if nobody holds it, or renews it if this holder does.
    /// True when this holder has it for another [`LEASE_TTL`].
    pub async fn hold(&self, conn: &mut MultiplexedConnection) -> Result<bool, redis::RedisError> {
        let ttl_ms = self.ttl.as_millis() as u64;
        let renewed: i64 =
            redis::cmd("EVAL").arg(RENEW).arg(1).arg(&self.key).arg(&self.holder).arg(ttl_ms).query_async(conn).await?;
        if renewed == 1 {
            return Ok(true);
        }
        let taken: Option<String> = redis::cmd("SET")
            .arg(&self.key)
            .arg(&self.holder)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms)
            .query_async(conn)
            .await?;
        Ok(taken.is_some())
    }

    /// Lets another process take over at once (a clean stop).
    pub async fn release(&self) -> Result<(), redis::RedisError> {
        let mut conn = self.connection().await?;
        let _: i64 =
            redis::cmd("EVAL").arg(RELEASE).arg(1).arg(&self.key).arg(&self.holder).query_async(&mut conn).await?;
        Ok(())
    }

    /// Runs the job `start` makes while this process holds the lease: starts
    /// it when the lease is taken, aborts it when the lease is lost (Redis
    /// unreachable past the lease, or another holder), until aborted itself.
    pub fn run_while_held(self, start: impl Fn() -> JoinHandle<()> + Send + 'static) -> JoinHandle<()> {
        tokio::spawn(async move {
            // Dropped with this task when it is aborted: the job stops too.
            let mut job = Job(None);
            let mut conn: Option<MultiplexedConnection> = None;
            let mut held_until = tokio::time::Instant::now();
            loop {
                if conn.is_none() {
                    conn = self.connection().await.inspect_err(|e| tracing::warn!(error = %e, "lease: no Redis")).ok();
                }
                let held = match conn.as_mut() {
                    Some(c) => match self.hold(c).await {
                        Ok(held) => Some(held),
                        Err(error) => {
                            tracing::warn!(%error, key = %self.key, "lease: Redis failed");
                            conn = None;
                            None
                        }
                    },
                    None => None,
                };
                let now = tokio::time::Instant::now();
                match held {
                    Some(true) => {
                        held_until = now + self.ttl;
                        if job.0.is_none() {
                            tracing::info!(key = %self.key, holder = %self.holder, "lease taken: running the job here");
                            job.0 = Some(start());
                        }
                    }
                    // Another holder has it, or Redis is gone past the lease:
                    // someone else may be running the job now.
                    Some(false) => stop(&mut job, &self.key, "another process holds the lease"),
                    None if now >= held_until => stop(&mut job, &self.key, "the lease ran out without Redis"),
                    None => {}
                }
                tokio::time::sleep(RENEW_EVERY.min(self.ttl / 3)).await;
            }
        })
    }
}

/// The job running under the lease, stopped when it is lost or dropped.
struct Job(Option<JoinHandle<()>>);

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(running) = self.0.take() {
            running.abort();
        }
    }
}

fn stop(job: &mut Job, key: &str, why: &str) {
    if let Some(running) = job.0.take() {
        tracing::info!(key, why, "lease lost: stopping the job here");
        running.abort();
    }
}

/// This replica's holder id, kept in `data_dir/holder.id` (made on first use).
pub fn holder_id(data_dir: &std::path::Path) -> std::io::Result<String> {
    let path = data_dir.join("holder.id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
        _ => {
            std::fs::create_dir_all(data_dir)?;
            let id = uuid::Uuid::now_v7().simple().to_string();
            std::fs::write(&path, &id)?;
            Ok(id)
        }
    }
}
