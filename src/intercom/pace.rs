//! How fast the client sends, apart from the client so each rule is tested on its own:
//!
//! - [`Window`]: one app's budget in Intercom's current 10-second window, as its answers report
//!   it (`X-RateLimit-Remaining`, `X-RateLimit-Reset`). The headers are the authority: when the
//!   budget is spent, or a 429 says it is, the app sends nothing until the reset they give, to
//!   the millisecond.
//! - [`Workspace`]: the budget all apps share (Intercom: 25,000 calls/min per workspace, counted
//!   in the same 10-second windows). No header reports it, so the client counts it itself.
//! - [`Flow`]: how many requests one app keeps in flight. It starts small and grows while the
//!   answers come back healthy and the window still has room for more (doubling, then by one per
//!   round trip after the first setback), and halves on a server error or a lost answer (a 429
//!   cuts it by a quarter, once per window): additive increase, multiplicative decrease, with
//!   `--concurrency` as the ceiling. At Intercom's latency one app needs about 40 requests in
//!   flight to spend its 10,000 calls a minute; a fixed 8 reached a tenth of that.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Intercom's windows: the per-minute limits are spent in 10-second slices.
pub const WINDOW_SECONDS: i64 = 10;

/// Intercom's documented limit of one private app, calls per minute.
pub const APP_LIMIT_PER_MINUTE: u64 = 10_000;

/// Intercom's documented limit of a workspace, all its private apps together, per minute.
pub const WORKSPACE_LIMIT_PER_MINUTE: u64 = 25_000;

/// Now, as Unix milliseconds (Intercom's resets are Unix seconds).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// One app's window, as its answers report it.
#[derive(Debug, Default)]
pub struct Window {
    remaining: Option<u64>,
    /// Unix seconds.
    reset_at: i64,
    /// `X-RateLimit-Limit`: the app's budget per window, once an answer said.
    limit: Option<u64>,
}

impl Window {
    /// Spend one request at `now` (Unix ms), or say how many ms to wait first.
    pub fn take(&mut self, now: i64) -> Option<u64> {
        if now >= self.reset_at * 1000 {
            // A new window: unknown budget until the next answer says.
            if self.remaining == Some(0) {
                self.remaining = None;
            }
            return None;
        }
        match self.remaining {
            Some(0) => Some((self.reset_at * 1000 - now) as u64),
            Some(r) => {
                self.remaining = Some(r - 1);
                None
            }
            None => None,
        }
    }

    /// An answer's headers. Answers arrive out of order: the most pessimistic view of the
    /// current window is kept.
    pub fn observe(&mut self, limit: Option<u64>, remaining: u64, reset: i64) {
        if limit.is_some() {
            self.limit = limit;
        }
        if reset > self.reset_at {
            self.reset_at = reset;
            self.remaining = Some(remaining);
        } else if reset == self.reset_at {
            self.remaining = Some(self.remaining.map_or(remaining, |r| r.min(remaining)));
        }
    }

    /// A 429: nothing more until the reset (the 429's own headers were observed first).
    pub fn exhaust(&mut self) {
        self.remaining = Some(0);
    }

    /// Whether the window has budget beyond the `in_flight` requests already out: only then
    /// would more in flight go faster.
    pub fn has_room(&self, in_flight: usize) -> bool {
        self.remaining.is_none_or(|r| r > in_flight as u64)
    }

    /// The app's budget per minute, as its answers report it.
    pub fn per_minute(&self) -> Option<u64> {
        self.limit.map(|l| l * (60 / WINDOW_SECONDS) as u64)
    }
}

/// The budget all apps of the workspace share, counted by the client in Intercom's windows.
#[derive(Debug)]
pub struct Workspace {
    per_window: u64,
    start: i64,
    used: u64,
}

impl Workspace {
    pub fn new(per_minute: u64) -> Workspace {
        Workspace {
            per_window: (per_minute / (60 / WINDOW_SECONDS) as u64).max(1),
            start: 0,
            used: 0,
        }
    }

    /// Spend one request at `now` (Unix ms), or say how many ms to wait for the next window.
    pub fn take(&mut self, now: i64) -> Option<u64> {
        let window = WINDOW_SECONDS * 1000;
        let start = now - now.rem_euclid(window);
        if start != self.start {
            self.start = start;
            self.used = 0;
        }
        if self.used < self.per_window {
            self.used += 1;
            return None;
        }
        Some((start + window - now) as u64)
    }
}

/// How many requests one app keeps in flight (additive increase, multiplicative decrease).
pub struct Flow {
    state: Mutex<FlowState>,
    freed: tokio::sync::Notify,
}

#[derive(Debug)]
struct FlowState {
    limit: f64,
    ceiling: f64,
    in_flight: usize,
    /// Until the first setback the limit doubles every round trip.
    slow_start: bool,
    /// No second cut for the same setback: the requests out when it happened fail together.
    calm_until: Option<Instant>,
    /// The quickest answer seen: a much slower one means the server is queueing.
    fastest: Option<Duration>,
    /// The highest limit reached, for the load summary.
    peak: f64,
}

/// What one request's answer says about the load on the server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signal {
    /// Answered (any status but 429 and 5xx) in this long; `room`: the window has budget for
    /// more requests than are in flight.
    Answered { latency: Duration, room: bool },
    /// 429: the app's or the workspace's window is spent, or Intercom is shedding load.
    Throttled,
    /// A 5xx, a timeout or a cut connection: the server is in trouble.
    Failed,
}

const START: f64 = 4.0;

impl Flow {
    pub fn new(ceiling: usize) -> Flow {
        let ceiling = ceiling.max(1) as f64;
        Flow {
            state: Mutex::new(FlowState {
                limit: START.min(ceiling),
                ceiling,
                in_flight: 0,
                slow_start: true,
                calm_until: None,
                fastest: None,
                peak: START.min(ceiling),
            }),
            freed: tokio::sync::Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FlowState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait for a place among the requests in flight.
    pub async fn acquire(&self) -> Slot<'_> {
        loop {
            // Created before the check, so a place freed in between still wakes it.
            let freed = self.freed.notified();
            {
                let mut s = self.state();
                if (s.in_flight as f64) < s.limit.floor().max(1.0) {
                    s.in_flight += 1;
                    return Slot { flow: self };
                }
            }
            freed.await;
        }
    }

    /// Requests in flight now, and the current limit.
    pub fn in_flight(&self) -> (usize, usize) {
        let s = self.state();
        (s.in_flight, s.limit.floor() as usize)
    }

    /// The highest limit the flow reached.
    pub fn peak(&self) -> usize {
        self.state().peak.floor() as usize
    }

    /// Learn from one answer, at `now`.
    pub fn learn(&self, signal: Signal, now: Instant) {
        let mut s = self.state();
        let calm = s.calm_until.is_none_or(|t| now >= t);
        match signal {
            Signal::Answered { latency, room } => {
                let fastest = *s.fastest.get_or_insert(latency);
                s.fastest = Some(fastest.min(latency));
                // Queueing at the server shows as answers much slower than the quickest.
                let healthy = latency <= fastest * 2 + Duration::from_millis(100);
                if room && healthy {
                    let step = if s.slow_start { 1.0 } else { 1.0 / s.limit };
                    s.limit = (s.limit + step).min(s.ceiling);
                    s.peak = s.peak.max(s.limit);
                }
            }
            Signal::Throttled if calm => {
                s.limit = (s.limit * 0.75).max(1.0);
                s.slow_start = false;
                s.calm_until = Some(now + Duration::from_secs(WINDOW_SECONDS as u64));
            }
            Signal::Failed if calm => {
                s.limit = (s.limit * 0.5).max(1.0);
                s.slow_start = false;
                s.calm_until = Some(now + Duration::from_secs(1));
            }
            _ => {}
        }
        drop(s);
        // A grown limit lets waiters in.
        self.freed.notify_waiters();
    }
}

/// A place among an app's requests in flight, given back when dropped.
pub struct Slot<'a> {
    flow: &'a Flow,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.flow.state().in_flight -= 1;
        self.flow.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_window_waits_to_the_millisecond_of_its_reset() {
        let mut w = Window::default();
        w.observe(Some(1666), 2, 1_000_010);
        let now = 1_000_003_250;
        assert_eq!(w.take(now), None);
        assert_eq!(w.take(now), None);
        // Spent: wait until 1_000_010 s exactly, not to the next whole second after it.
        assert_eq!(w.take(now), Some(6_750));
        assert!(!w.has_room(0));
        // An answer out of order does not hand back budget already spent.
        w.observe(None, 100, 1_000_010);
        assert_eq!(w.take(now), Some(6_750));
        // The next window: unknown budget, so no wait, until an answer says.
        assert_eq!(w.take(1_000_010_000), None);
        assert!(w.has_room(50));
        w.observe(None, 10, 1_000_020);
        assert!(w.has_room(9) && !w.has_room(10));
        assert_eq!(w.per_minute(), Some(9_996));
        w.exhaust();
        assert_eq!(w.take(1_000_015_000), Some(5_000));
    }

    #[test]
    fn the_workspace_budget_is_counted_in_ten_second_windows() {
        let mut ws = Workspace::new(25_000);
        let start = 1_700_000_000_000; // a window boundary
        for _ in 0..4166 {
            assert_eq!(ws.take(start + 2_000), None);
        }
        assert_eq!(ws.take(start + 2_000), Some(8_000));
        assert_eq!(ws.take(start + 10_000), None);
    }

    #[tokio::test]
    async fn the_flow_grows_while_answers_are_healthy_and_the_window_has_room() {
        let flow = Flow::new(64);
        let now = Instant::now();
        let ok = |room| Signal::Answered {
            latency: Duration::from_millis(250),
            room,
        };
        assert_eq!(flow.in_flight(), (0, 4));
        // Slow start: one more per answer.
        for _ in 0..10 {
            flow.learn(ok(true), now);
        }
        assert_eq!(flow.in_flight().1, 14);
        // No room in the window: more in flight would only wait, so it does not grow.
        flow.learn(ok(false), now);
        assert_eq!(flow.in_flight().1, 14);
        // Answers far slower than the quickest: the server is queueing.
        flow.learn(
            Signal::Answered {
                latency: Duration::from_secs(2),
                room: true,
            },
            now,
        );
        assert_eq!(flow.in_flight().1, 14);
        // A server error halves it, once for the requests that fail together.
        flow.learn(Signal::Failed, now);
        flow.learn(Signal::Failed, now);
        assert_eq!(flow.in_flight().1, 7);
        // After a setback it grows by one per round trip (limit answers), not per answer.
        let later = now + Duration::from_secs(2);
        for _ in 0..8 {
            flow.learn(ok(true), later);
        }
        assert_eq!(flow.in_flight().1, 8);
        // A 429 cuts by a quarter, once per window.
        flow.learn(Signal::Throttled, later);
        flow.learn(Signal::Throttled, later + Duration::from_secs(1));
        assert_eq!(flow.in_flight().1, 6);
        // Never above the ceiling, never below one.
        let capped = Flow::new(5);
        for _ in 0..100 {
            capped.learn(ok(true), now);
        }
        assert_eq!(capped.in_flight().1, 5);
        assert_eq!(capped.peak(), 5);
        for i in 0..20 {
            capped.learn(Signal::Failed, now + Duration::from_secs(2 * i));
        }
        assert_eq!(capped.in_flight().1, 1);
    }

    #[tokio::test]
    async fn a_full_flow_lets_the_next_request_in_when_one_returns() {
        let flow = std::sync::Arc::new(Flow::new(2));
        let first = flow.acquire().await;
        let _second = flow.acquire().await;
        let waiting = {
            let flow = flow.clone();
            tokio::spawn(async move {
                let _third = flow.acquire().await;
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiting.is_finished(),
            "a third request waits while two are out"
        );
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("freed place taken")
            .unwrap();
    }
}
