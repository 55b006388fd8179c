//! The auto-matching lease on a real Redis: one holder at a time, the same
//! holder takes its own lease back at once after a restart, and another
//! takes over when the holder dies without letting go.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use innomatch_matcher::lease::Lease;

const REDIS_URL: &str = "redis://127.0.0.1:6379";

/// A key prefix of the test's own, deleted afterwards; `None` (skip) when
/// Redis is down outside CI.
fn prefix(test: &str) -> Option<String> {
    let reachable = redis::Client::open(REDIS_URL)
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(1)))
        .and_then(|mut conn| redis::cmd("PING").query::<String>(&mut conn))
        .is_ok();
    if !reachable {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but redis at {REDIS_URL} is unreachable");
        println!("skipped: redis not reachable at {REDIS_URL}");
        return None;
    }
    Some(format!("lease-test-{test}-{}", std::process::id()))
}

fn clean(prefix: &str) {
    let Ok(client) = redis::Client::open(REDIS_URL) else { return };
    let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_secs(1)) else { return };
    let _: redis::RedisResult<()> = redis::cmd("DEL").arg(format!("{prefix}:auto-match:lease")).query(&mut conn);
}

async fn connection() -> redis::aio::MultiplexedConnection {
    redis::Client::open(REDIS_URL).expect("url").get_multiplexed_async_connection().await.expect("connect")
}

#[tokio::test]
async fn one_holder_at_a_time_and_a_restarted_holder_takes_its_lease_back() {
    let Some(prefix) = prefix("hold") else { return };
    let lease = |holder: &str| Lease::new(REDIS_URL, &prefix, "auto-match", holder.into()).expect("lease");
    let mut conn = connection().await;
    let (first, second) = (lease("replica-0"), lease("replica-1"));
    assert!(first.hold(&mut conn).await.expect("redis"), "a free lease is taken");
    assert!(!second.hold(&mut conn).await.expect("redis"), "a held lease is not");
    assert!(first.hold(&mut conn).await.expect("redis"), "its holder renews it");
    // The same replica restarted (same holder id) has it back at once.
    assert!(lease("replica-0").hold(&mut conn).await.expect("redis"));
    first.release().await.expect("release");
    assert!(second.hold(&mut conn).await.expect("redis"), "released, the other replica takes it");
    clean(&prefix);
}

#[tokio::test]
async fn the_job_runs_in_one_process_and_moves_when_its_holder_dies() {
    let Some(prefix) = prefix("takeover") else { return };
    let ttl = Duration::from_millis(900);
    let running = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let run = |holder: &str| {
        let (running, started) = (Arc::clone(&running), Arc::clone(&started));
        Lease::new(REDIS_URL, &prefix, "auto-match", holder.into()).expect("lease").with_ttl(ttl).run_while_held(
            move || {
                let running = Arc::clone(&running);
                started.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    running.fetch_add(1, Ordering::SeqCst);
                    let _counted = Decrement(running);
                    std::future::pending::<()>().await;
                })
            },
        )
    };
    let first = run("replica-0");
    let wait_for = |what: &'static str, done: Box<dyn Fn() -> bool>| async move {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let r = Arc::clone(&running);
    wait_for("the first replica runs the job", Box::new(move || r.load(Ordering::SeqCst) == 1)).await;
    let second = run("replica-1");
    // Several renewals later, still only one runs it.
    tokio::time::sleep(ttl * 2).await;
    assert_eq!(running.load(Ordering::SeqCst), 1);
    assert_eq!(started.load(Ordering::SeqCst), 1, "the second replica waits");
    // The holder dies without releasing: the other takes over after the lease runs out.
    first.abort();
    let r = Arc::clone(&running);
    let s = Arc::clone(&started);
    wait_for(
        "the second replica took over",
        Box::new(move || s.load(Ordering::SeqCst) == 2 && r.load(Ordering::SeqCst) == 1),
    )
    .await;
    second.abort();
    let r = Arc::clone(&running);
    wait_for("the job stopped with its holder", Box::new(move || r.load(Ordering::SeqCst) == 0)).await;
    clean(&prefix);
}

/// Counts a job as stopped when its task is dropped (aborted).
struct Decrement(Arc<AtomicUsize>);

impl Drop for Decrement {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
