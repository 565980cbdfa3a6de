//! Four replicas (real processes, `fleet_worker` built by `from_env()`) on one API key against a
//! loopback server that allows 20 requests per rolling second per key and sends no rate-limit
//! headers: with a shared Redis budget, without one, with Redis killed mid-run, and with a 429
//! that must pause every replica. Figures are printed (`-- --nocapture`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use affiliate_tests::redis::RedisServer;

const REPLICAS: usize = 4;
const ITEMS: usize = 15;
const LIMIT: usize = 20;

/// What the server saw: every request's arrival and status.
#[derive(Default)]
struct Log {
    /// Accepted requests of the last second, per key (`Authorization`).
    window: std::collections::HashMap<String, VecDeque<Instant>>,
    seen: Vec<(Instant, u16)>,
}

/// The vendor: 20 requests per rolling second per key, else 429 without any header; the request
/// numbered `refuse` (1-based), if any, gets a 429 with `Retry-After: 1` whatever the window.
async fn vendor(refuse: Option<usize>) -> (String, Arc<Mutex<Log>>) {
    let log = Arc::new(Mutex::new(Log::default()));
    let state = log.clone();
    let addr = affiliate_tests::net::static_server(move |parts| {
        let now = Instant::now();
        let key = parts.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let mut log = state.lock().unwrap();
        let number = log.seen.len() + 1;
        let window = log.window.entry(key).or_default();
        while window.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
            window.pop_front();
        }
        let (status, retry_after) = if refuse == Some(number) {
            (429, Some("1"))
        } else if window.len() >= LIMIT {
            (429, None)
        } else {
            window.push_back(now);
            (200, None)
        };
        log.seen.push((now, status));
        let mut response = http::Response::builder().status(status).header("content-type", "application/json");
        if let Some(seconds) = retry_after {
            response = response.header("retry-after", seconds);
        }
        let body =
            if status == 200 { "[]" } else { r#"{"error":{"code":"rate_limit_exceeded","message":"slow down"}}"# };
        response.body(bytes::Bytes::from(body)).unwrap()
    })
    .await;
    (format!("http://{addr}"), log)
}

/// How one run of the fleet went.
struct Run {
    wall: Duration,
    /// Exit codes of the replicas.
    exits: Vec<i32>,
    ok: usize,
    refused: usize,
    /// First to last request the server saw.
    span: Duration,
    seen: Vec<(Instant, u16)>,
}

/// Starts the replicas against `base_url` (sharing `redis` when given), kills Redis `kill_after`
/// into the run when asked, and waits for every replica.
async fn fleet(
    base_url: &str,
    log: &Arc<Mutex<Log>>,
    redis: Option<&mut RedisServer>,
    kill_after: Option<Duration>,
) -> Run {
    let started = Instant::now();
    let mut children = Vec::new();
    for _ in 0..REPLICAS {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_fleet_worker"));
        command
            .arg(ITEMS.to_string())
            .env("DUB_API_KEY", "dub_fleet_key")
            .env("DUB_BASE_URL", base_url)
            .env("DUB_RATE_LIMIT", format!("{LIMIT}/s"))
            .env_remove("AFFILIATE_REDIS_URL")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        if let Some(redis) = &redis {
            command.env("AFFILIATE_REDIS_URL", redis.url()).env("AFFILIATE_REDIS_TIMEOUT_MS", "100");
        }
        children.push(command.spawn().expect("fleet_worker starts"));
    }
    if let (Some(redis), Some(after)) = (redis, kill_after) {
        tokio::time::sleep(after).await;
        redis.kill();
    }
    let mut exits = Vec::new();
    for child in children {
        let output = child.wait_with_output().await.unwrap();
        exits.push(output.status.code().unwrap_or(-1));
    }
    let wall = started.elapsed();
    let seen = log.lock().unwrap().seen.clone();
    let ok = seen.iter().filter(|(_, s)| *s == 200).count();
    let refused = seen.iter().filter(|(_, s)| *s == 429).count();
    let span = match (seen.first(), seen.last()) {
        (Some((first, _)), Some((last, _))) => last.duration_since(*first),
        _ => Duration::ZERO,
    };
    Run { wall, exits, ok, refused, span, seen }
}

/// The ideal span of the run at the vendor's pace: one request every 1/20 s, first to last. (A
/// burst of 20 at the start would be faster once, but a rolling window then refuses the 21st:
/// pacing is what a budget can promise.)
fn ideal() -> Duration {
    Duration::from_secs_f64((REPLICAS * ITEMS - 1) as f64 / LIMIT as f64)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Setup {
    /// No Redis: each replica has its own 20/s.
    Alone,
    /// One Redis for all.
    Shared,
    /// One Redis, killed a second into the run.
    SharedKilled,
}

/// Runs the fleet once under `setup`, printing the figures and checking `expect`.
async fn check(setup: Setup, refuse: Option<usize>, expect: impl Fn(&Run) -> Result<(), String>) -> Run {
    let (url, log) = vendor(refuse).await;
    let mut redis = (setup != Setup::Alone).then(RedisServer::start);
    let kill = (setup == Setup::SharedKilled).then_some(Duration::from_secs(1));
    let run = fleet(&url, &log, redis.as_mut(), kill).await;
    println!(
        "fleet {setup:?}{}: {} replicas x {ITEMS} items, {} delivered, {} x 429, wall {:.2?} (server span {:.2?}, ideal {:.2?}), exits {:?}",
        refuse.map(|n| format!(" (429 + Retry-After on request {n})")).unwrap_or_default(),
        REPLICAS,
        run.ok,
        run.refused,
        run.wall,
        run.span,
        ideal(),
        run.exits
    );
    if let Err(e) = expect(&run) {
        panic!("fleet {setup:?}: {e}");
    }
    run
}

fn all_delivered(run: &Run) -> Result<(), String> {
    if run.ok != REPLICAS * ITEMS || run.exits.iter().any(|c| *c != 0) {
        return Err(format!("{} of {} delivered, exits {:?}", run.ok, REPLICAS * ITEMS, run.exits));
    }
    Ok(())
}

/// Requests that arrived while everyone should have been paused by the 429 at `refuse`.
fn during_pause(run: &Run, refuse: usize) -> usize {
    let (at, _) = run.seen[refuse - 1];
    // Slots reserved before the pause was set (one per replica, 50 ms apart) are still used;
    // after them, nothing until the 1 s Retry-After ends.
    let window = (at + Duration::from_millis(300), at + Duration::from_millis(900));
    run.seen.iter().filter(|(t, _)| *t > window.0 && *t < window.1).count()
}

/// The fleet runs measure time: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One replica per process is the point: processes, not tasks, and a real Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_one_budget() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let ideal = ideal();
    // One shared budget: near-zero 429s, close to the ideal wall time.
    check(Setup::Shared, None, |run| {
        all_delivered(run)?;
        // A request delayed on its way by a few ms can still land 21st in some second.
        if run.refused > 3 {
            return Err(format!("{} 429s with one shared budget", run.refused));
        }
        if run.span > ideal.mul_f64(1.25) {
            return Err(format!("took {:?}, more than 1.25 x the ideal {ideal:?}", run.span));
        }
        Ok(())
    })
    .await;
    // Each replica on its own: the 429s that motivate the shared budget.
    check(Setup::Alone, None, |run| {
        if run.refused < REPLICAS * ITEMS / 4 {
            return Err(format!("only {} 429s: the vendor's limit is not being exceeded", run.refused));
        }
        Ok(())
    })
    .await;
    // Redis gone mid-run: every item still delivered, on the local budgets.
    check(Setup::SharedKilled, None, all_delivered).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_pauses_every_replica() {
    const REFUSE: usize = 12;
    let _alone = ONE_AT_A_TIME.lock().await;
    // Shared: nobody sends while the 429's Retry-After lasts.
    check(Setup::Shared, Some(REFUSE), |run| {
        all_delivered(run)?;
        match during_pause(run, REFUSE) {
            0 => Ok(()),
            n => Err(format!("{n} requests arrived during the pause")),
        }
    })
    .await;
    // Alone: the other replicas go on (so the check above can fail).
    check(Setup::Alone, Some(REFUSE), |run| match during_pause(run, REFUSE) {
        0 => Err("no request during the pause without a shared budget: the check proves nothing".into()),
        _ => Ok(()),
    })
    .await;
}
