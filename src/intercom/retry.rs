//! When a request to Intercom is sent again, and how long to wait first — apart from the client,
//! so each rule is tested on its own: what an outcome means ([`classify`]), how many attempts
//! ([`Policy::retry`]), the wait before the next ([`Policy::delay`]), and how a lookup is repeated
//! while search lags ([`until_deadline`]), the waits under tokio's paused clock.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

/// What one exchange's outcome means for its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// An answer to act on: a success, a refusal a repeat would get again (4xx), or the loader's
    /// own word (a contract check, a parked or refused object).
    Final,
    /// Too many requests: wait for the rate-limit window; not an attempt.
    Throttled,
    /// No answer, a timeout or a server error: the request may or may not have been applied, so
    /// a create is looked up before it is sent again.
    Ambiguous,
    /// Never better for repeating: the server's certificate is not trusted.
    Hopeless,
}

/// The class of an outcome: its HTTP status (None when no answer came) and error code.
pub fn classify(status: Option<u16>, code: Option<&str>) -> Class {
    match status {
        Some(429) => Class::Throttled,
        Some(408) => Class::Ambiguous,
        Some(s) if s >= 500 => Class::Ambiguous,
        Some(_) => Class::Final,
        None => match code {
            Some(super::client::TLS_CERTIFICATE) => Class::Hopeless,
            Some("transport") => Class::Ambiguous,
            _ => Class::Final,
        },
    }
}

/// How persistent the client is.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// The wait after the first failed attempt, before jitter; it doubles with each attempt.
    pub base: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: 10,
            base: Duration::from_millis(200),
        }
    }
}

/// Doublings after which the wait stops growing (200 ms × 2⁶ ≈ 13 s, jitter apart).
const MAX_DOUBLINGS: u32 = 6;

impl Policy {
    /// Whether attempt number `attempt` (1 for the first), which ended as `class`, is repeated.
    pub fn retry(&self, attempt: u32, class: Class) -> bool {
        class == Class::Ambiguous && attempt < self.max_attempts
    }

    /// The wait after failed attempt `attempt`: half of the attempt's step fixed, up to the whole
    /// step again at random, so clients that failed together do not come back together.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let step = self.base * (1u32 << attempt.saturating_sub(1).min(MAX_DOUBLINGS));
        step / 2 + step.mul_f64(rng.random_range(0.0..=1.0))
    }
}

/// Ask `probe` until it finds something or `deadline` passes: at once, then after 0.5 s, 1 s,
/// 2 s … (at most 30 s apart), and once more at the deadline, so an absence is trusted only from
/// a probe made when the whole window had passed. For a search that lags behind a create.
pub async fn until_deadline<T, E, F, Fut>(deadline: Instant, mut probe: F) -> Result<Option<T>, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let mut wait = Duration::from_millis(500);
    loop {
        if let Some(found) = probe().await? {
            return Ok(Some(found));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(wait.min(deadline - now)).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn only_an_outcome_that_may_or_may_not_have_applied_is_repeated() {
        assert_eq!(classify(Some(200), None), Class::Final);
        assert_eq!(classify(Some(404), Some("not_found")), Class::Final);
        assert_eq!(classify(Some(409), Some("conflict")), Class::Final);
        assert_eq!(classify(Some(429), None), Class::Throttled);
        assert_eq!(classify(Some(408), None), Class::Ambiguous);
        assert_eq!(classify(Some(502), None), Class::Ambiguous);
        assert_eq!(classify(None, Some("transport")), Class::Ambiguous);
        assert_eq!(
            classify(None, Some(super::super::client::TLS_CERTIFICATE)),
            Class::Hopeless
        );
        // The loader's own refusals and a contract check are final: no HTTP was the problem.
        assert_eq!(classify(None, Some("contract")), Class::Final);
        assert_eq!(
            classify(None, Some(super::super::client::PARKED)),
            Class::Final
        );

        let p = Policy::default();
        assert!(p.retry(1, Class::Ambiguous));
        assert!(!p.retry(p.max_attempts, Class::Ambiguous));
        for class in [Class::Final, Class::Throttled, Class::Hopeless] {
            assert!(!p.retry(1, class), "{class:?}");
        }
    }

    #[test]
    fn the_wait_doubles_with_jitter_and_stops_growing() {
        let p = Policy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for attempt in 1..=12 {
            let step = p.base * (1 << (attempt - 1).min(MAX_DOUBLINGS));
            let waits: Vec<Duration> = (0..200).map(|_| p.delay(attempt, &mut rng)).collect();
            assert!(
                waits.iter().all(|w| *w >= step / 2 && *w <= step * 3 / 2),
                "{attempt}"
            );
            // Jittered: clients that failed together spread out.
            let (min, max) = (waits.iter().min().unwrap(), waits.iter().max().unwrap());
            assert!(*max - *min > step / 2, "{attempt}: {min:?}..{max:?}");
        }
        assert!(p.delay(40, &mut rng) <= p.base * (3 << MAX_DOUBLINGS) / 2);
    }

    /// Under the paused clock: a probe that never finds is asked at once, then with doubling
    /// waits, and a last time exactly at the deadline — never after it.
    #[tokio::test(start_paused = true)]
    async fn a_lookup_is_repeated_until_the_deadline_and_once_at_it() {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(10);
        let mut at = Vec::new();
        let found: Result<Option<()>, ()> = until_deadline(deadline, || {
            at.push(start.elapsed().as_millis());
            async { Ok(None) }
        })
        .await;
        assert_eq!(found, Ok(None));
        assert_eq!(at, [0, 500, 1500, 3500, 7500, 10000]);

        // Found on the third probe: no more probes, no more waiting.
        let start = Instant::now();
        let mut n = 0;
        let found: Result<Option<u32>, ()> =
            until_deadline(start + Duration::from_secs(300), || {
                n += 1;
                let hit = (n == 3).then_some(n);
                async move { Ok(hit) }
            })
            .await;
        assert_eq!(found, Ok(Some(3)));
        assert_eq!(start.elapsed(), Duration::from_millis(1500));
    }

    /// An error ends the lookup at once: it is not an absence.
    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_ends_the_lookup() {
        let start = Instant::now();
        let found: Result<Option<()>, &str> =
            until_deadline(start + Duration::from_secs(60), || async { Err("refused") }).await;
        assert_eq!(found, Err("refused"));
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
