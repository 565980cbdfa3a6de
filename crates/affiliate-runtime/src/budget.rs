//! The request budget of one API and credential: how fast a client may send, shared by every
//! process on one Redis when one is configured, and paused for everyone when the API says so.
//!
//! A vendor's limit is per key, but a service runs several replicas on one key: a budget per
//! process lets N replicas send N times the allowed rate. With a Redis URL, each call reserves
//! the next free slot of one GCRA schedule kept in Redis (one atomic script, one round trip);
//! without one, or while Redis is unreachable, an in-process GCRA (`governor`) does the same for
//! this process alone. Redis is an optimisation, never a dependency: a failed or slow script call
//! falls back to the local budget at once (one warning per outage) and Redis is tried again a
//! little later.

use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota};

/// How long a Redis outage is assumed to last before the shared budget is tried again.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// The longest pause a response can impose on the budget (a reset hours away is a vendor's
/// quota, not a rate limit to sleep through).
pub(crate) const MAX_PAUSE: Duration = Duration::from_secs(60);

/// Default limit for one Redis round trip before the call goes on with the local budget.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(200);

/// A request rate: `requests` per `period`, spread evenly (no bursts).
///
/// Parsed from `20/s`, `600/min`, `5000/h` (also `sec`, `second`, `m`, `minute`, `hour`), as
/// `<API>_RATE_LIMIT` holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    requests: NonZeroU32,
    period: Duration,
}

/// A rate that is not `<count>/<unit>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a rate: expected <count>/<unit>, e.g. `20/s`, `600/min`, `5000/h`")]
pub struct RateError(String);

impl Rate {
    /// `requests` per `period`; `None` for zero requests or a zero period.
    pub fn new(requests: u32, period: Duration) -> Option<Rate> {
        let requests = NonZeroU32::new(requests)?;
        (!period.is_zero()).then_some(Rate { requests, period })
    }

    /// `requests` per second.
    pub fn per_second(requests: NonZeroU32) -> Rate {
        Rate { requests, period: Duration::from_secs(1) }
    }

    /// The time between two requests.
    pub fn interval(&self) -> Duration {
        (self.period / self.requests.get()).max(Duration::from_nanos(1))
    }
}

impl FromStr for Rate {
    type Err = RateError;

    fn from_str(text: &str) -> Result<Rate, RateError> {
        let error = || RateError(text.to_string());
        let (count, unit) = text.trim().split_once('/').ok_or_else(error)?;
        let period = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(error()),
        };
        let count = count.trim().parse::<u32>().map_err(|_| error())?;
        Rate::new(count, period).ok_or_else(error)
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.period.as_secs() {
            1 => write!(f, "{}/s", self.requests),
            60 => write!(f, "{}/min", self.requests),
            3600 => write!(f, "{}/h", self.requests),
            _ => write!(f, "{}/{:?}", self.requests, self.period),
        }
    }
}

/// The budget of one client (and its clones): a rate, if any, and the pause every 429 sets.
pub(crate) struct Budget {
    rate: Option<Rate>,
    local: Option<DefaultDirectRateLimiter>,
    /// While Redis is away: this process's share of the rate (the fleet size last seen in
    /// Redis), so the replicas together stay near the rate instead of N times it.
    share: Mutex<Option<(u32, std::sync::Arc<DefaultDirectRateLimiter>)>>,
    /// Until when this process sends nothing (a 429 or `X-RateLimit-Remaining: 0` it saw).
    paused_until: Mutex<Option<Instant>>,
    shared: Option<Shared>,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("local", &self.local.is_some())
            .field("shared", &self.shared.as_ref().map(|s| &s.key))
            .finish()
    }
}

impl Budget {
    /// `rate` (or none: only pauses), shared through `redis` when given. `identity` is what the
    /// budget is per (API name and credential values); only a hash of it reaches Redis.
    pub(crate) fn new(
        rate: Option<Rate>,
        redis: Option<(redis::Client, Duration)>,
        api: &str,
        identity: &[&[u8]],
    ) -> Budget {
        let local = rate.and_then(|rate| {
            Quota::with_period(rate.interval())
                .map(|q| DefaultDirectRateLimiter::direct(q.allow_burst(NonZeroU32::MIN)))
        });
        let shared = redis.map(|(client, timeout)| Shared {
            client,
            connection: OnceLock::new(),
            key: format!("affiliate:{api}:{}", fingerprint(identity)),
            interval_us: rate.map_or(0, |r| u64::try_from(r.interval().as_micros()).unwrap_or(u64::MAX)),
            timeout,
            down_until: Mutex::new(None),
            degraded: AtomicBool::new(false),
            replica: rand::random::<u64>().to_string(),
            fleet: std::sync::atomic::AtomicU32::new(1),
        });
        Budget { rate, local, share: Mutex::new(None), paused_until: Mutex::new(None), shared }
    }

    /// Whether this budget does anything at all (no rate, no Redis: every call goes at once,
    /// except after a pause).
    pub(crate) fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// Waits until this call may be sent; returns how long it waited.
    pub(crate) async fn acquire(&self) -> Duration {
        let paused = self.local_pause();
        // No limit and no pause: nothing to wait for, no clock to read.
        if paused.is_none() && self.shared.is_none() && self.local.is_none() {
            return Duration::ZERO;
        }
        // Boxed: the Redis round trip's state is large, and this future lives inside every call's.
        Box::pin(self.wait(paused)).await
    }

    async fn wait(&self, paused: Option<Instant>) -> Duration {
        let started = Instant::now();
        if let Some(until) = paused {
            tokio::time::sleep_until(until.into()).await;
        }
        if let Some(shared) = &self.shared {
            if let Some(wait) = shared.take().await {
                // Not through the timer when there is nothing to wait for: it rounds up to 1 ms.
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                return started.elapsed();
            }
            if let Some(share) = self.share_of(shared.fleet.load(Ordering::Relaxed)) {
                share.until_ready().await;
                return started.elapsed();
            }
        }
        if let Some(local) = &self.local {
            local.until_ready().await;
        }
        started.elapsed()
    }

    /// Every process on this budget sends nothing for `pause` (capped at [`MAX_PAUSE`]).
    pub(crate) async fn pause(&self, pause: Duration) {
        let pause = pause.min(MAX_PAUSE);
        if pause.is_zero() {
            return;
        }
        let until = Instant::now() + pause;
        if let Ok(mut paused) = self.paused_until.lock() {
            *paused = Some(paused.map_or(until, |p| p.max(until)));
        }
        if let Some(shared) = &self.shared {
            shared.pause(pause).await;
        }
    }

    /// The limiter for one of `fleet` replicas (`None` when alone or without a rate).
    fn share_of(&self, fleet: u32) -> Option<std::sync::Arc<DefaultDirectRateLimiter>> {
        let rate = self.rate?;
        if fleet <= 1 {
            return None;
        }
        let mut share = self.share.lock().ok()?;
        if let Some((n, limiter)) = share.as_ref() {
            if *n == fleet {
                return Some(limiter.clone());
            }
        }
        let quota = Quota::with_period(rate.interval().saturating_mul(fleet))?.allow_burst(NonZeroU32::MIN);
        let limiter = std::sync::Arc::new(DefaultDirectRateLimiter::direct(quota));
        *share = Some((fleet, limiter.clone()));
        Some(limiter)
    }

    fn local_pause(&self) -> Option<Instant> {
        let paused = self.paused_until.lock().ok()?;
        paused.filter(|until| *until > Instant::now())
    }
}

/// A stable, non-reversible name for a credential: the first 16 bytes of SHA-256, hex.
fn fingerprint(parts: &[&[u8]]) -> String {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    for part in parts {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// One reservation or pause against the schedule kept in Redis. `KEYS[1]` holds the theoretical
/// arrival time of the next free slot, `KEYS[2]` the end of a pause (both in µs of the server's
/// clock, so replicas' clocks never matter), `KEYS[3]` the replicas seen in the last 10 s.
/// Reserving returns the wait in µs and the number of replicas (each process's share of the rate
/// should Redis go away).
const SCRIPT: &str = r"
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if ARGV[1] == 'pause' then
  local untl = now + tonumber(ARGV[2])
  local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
  if untl > cur then
    redis.call('SET', KEYS[2], string.format('%d', untl), 'PX', math.ceil(tonumber(ARGV[2]) / 1000) + 1000)
  end
  return {0, 0}
end
redis.call('ZADD', KEYS[3], now, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 10000000)
redis.call('PEXPIRE', KEYS[3], 10000)
local replicas = redis.call('ZCARD', KEYS[3])
local interval = tonumber(ARGV[2])
local start = now
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > start then start = paused end
if interval > 0 then
  local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
  if tat > start then start = tat end
  local nxt = start + interval
  redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1000)
end
return {start - now, replicas}
";

fn script() -> &'static redis::Script {
    static SCRIPT_ONCE: OnceLock<redis::Script> = OnceLock::new();
    SCRIPT_ONCE.get_or_init(|| redis::Script::new(SCRIPT))
}

/// The Redis half of a budget.
struct Shared {
    client: redis::Client,
    /// Made on first use, inside the async runtime (a client may be built outside one).
    connection: OnceLock<redis::aio::ConnectionManager>,
    key: String,
    /// 0: no rate, only pauses are shared.
    interval_us: u64,
    timeout: Duration,
    /// While set and in the future, Redis is not asked (it just failed).
    down_until: Mutex<Option<Instant>>,
    /// An outage was reported and not yet its end.
    degraded: AtomicBool,
    /// This process's name in the replica set.
    replica: String,
    /// Replicas on this budget, as Redis last said.
    fleet: std::sync::atomic::AtomicU32,
}

impl Shared {
    /// Reserves a slot; `None` when Redis could not answer in time (use the local budget).
    async fn take(&self) -> Option<Duration> {
        let interval = self.interval_us.to_string();
        let (micros, replicas) = self.run(&["take", &interval, &self.replica]).await?;
        self.fleet.store(u32::try_from(replicas).unwrap_or(1).max(1), Ordering::Relaxed);
        Some(Duration::from_micros(u64::try_from(micros).unwrap_or(0)))
    }

    async fn pause(&self, pause: Duration) {
        let micros = u64::try_from(pause.as_micros()).unwrap_or(u64::MAX).to_string();
        let _ = self.run(&["pause", &micros, &self.replica]).await;
    }

    async fn run(&self, args: &[&str]) -> Option<(i64, i64)> {
        if self.down_until.lock().ok()?.is_some_and(|until| until > Instant::now()) {
            return None;
        }
        let mut connection = self.connection()?;
        let mut invocation = script().prepare_invoke();
        invocation.key(&self.key).key(format!("{}:pause", self.key)).key(format!("{}:replicas", self.key));
        for arg in args {
            invocation.arg(*arg);
        }
        let outcome = tokio::time::timeout(self.timeout, invocation.invoke_async::<(i64, i64)>(&mut connection)).await;
        match outcome {
            Ok(Ok(value)) => {
                if self.degraded.swap(false, Ordering::Relaxed) {
                    tracing::info!(key = %self.key, "shared rate limit reachable again; back on the shared budget");
                }
                Some(value)
            }
            Ok(Err(error)) => {
                self.down(&error.to_string());
                None
            }
            Err(_) => {
                self.down(&format!("no answer within {:?}", self.timeout));
                None
            }
        }
    }

    fn connection(&self) -> Option<redis::aio::ConnectionManager> {
        if let Some(connection) = self.connection.get() {
            return Some(connection.clone());
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            // Reconnection is ours to pace (`RECONNECT_AFTER`): one attempt per try.
            .set_number_of_retries(0);
        match redis::aio::ConnectionManager::new_lazy_with_config(self.client.clone(), config) {
            Ok(connection) => Some(self.connection.get_or_init(|| connection).clone()),
            Err(error) => {
                self.down(&error.to_string());
                None
            }
        }
    }

    fn down(&self, why: &str) {
        if let Ok(mut until) = self.down_until.lock() {
            *until = Some(Instant::now() + RECONNECT_AFTER);
        }
        if !self.degraded.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                key = %self.key,
                error = why,
                "shared rate limit unreachable; continuing on this process's own budget"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        let check = |text: &str, expected: Option<(u32, u64)>| {
            let parsed = text.parse::<Rate>().ok().map(|r| (r.requests.get(), r.period.as_secs()));
            assert_eq!(parsed, expected, "{text}");
        };
        check("20/s", Some((20, 1)));
        check(" 600 / min ", Some((600, 60)));
        check("5000/h", Some((5000, 3600)));
        check("1/second", Some((1, 1)));
        check("0/s", None);
        check("20", None);
        check("20/day", None);
        check("-1/s", None);
        check("x/s", None);
        check("", None);
        assert_eq!("20/s".parse::<Rate>().unwrap().interval(), Duration::from_millis(50));
        assert_eq!("600/min".parse::<Rate>().unwrap().to_string(), "600/min");
    }

    #[test]
    fn fingerprints_hide_and_separate_credentials() {
        let a = fingerprint(&[b"api", b"key-1"]);
        assert_eq!(a.len(), 32);
        assert!(!a.contains("key"));
        assert_eq!(a, fingerprint(&[b"api", b"key-1"]));
        assert_ne!(a, fingerprint(&[b"api", b"key-2"]));
        assert_ne!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"a", b"bc"]));
    }

    /// A dead Redis costs at most the timeout once, then nothing until the reconnect delay.
    #[tokio::test]
    async fn unreachable_redis_falls_back_to_the_local_budget() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let client = redis::Client::open(format!("redis://{closed}/")).unwrap();
        let budget = Budget::new(Some("100/s".parse().unwrap()), Some((client, Duration::from_millis(100))), "t", &[]);
        let started = Instant::now();
        for _ in 0..5 {
            budget.acquire().await;
        }
        // Four local intervals of 10 ms, plus at most one timeout.
        assert!(started.elapsed() < Duration::from_millis(400), "{:?}", started.elapsed());
        assert!(budget.shared.as_ref().unwrap().degraded.load(Ordering::Relaxed));
    }

    #[tokio::test]
    async fn a_pause_holds_the_next_call() {
        let budget = Budget::new(None, None, "t", &[]);
        budget.pause(Duration::from_millis(80)).await;
        assert!(budget.acquire().await >= Duration::from_millis(70));
        assert!(budget.acquire().await < Duration::from_millis(20));
    }
}
