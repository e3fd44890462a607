//! The live loop's bookkeeping: what was sent to the inference worker, what came back, and how
//! long the user waited for it.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// How many recent latencies the overlay's median is taken over: an afternoon of painting
/// keeps a fixed amount of memory.
const RECENT: usize = 500;

/// Latency figures of the live loop, for the overlay and the log.
#[derive(Debug, Default, Clone)]
pub struct LatencyStats {
    /// Pointer event → result on screen, for the last [`RECENT`] results shown.
    recent: VecDeque<Duration>,
    /// Results shown in all.
    pub shown: u64,
    /// Model time of the last result.
    pub last_inference: Option<Duration>,
}

impl LatencyStats {
    fn record(&mut self, latency: Duration) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(latency);
    }

    /// Median of the recent latencies.
    pub fn median(&self) -> Option<Duration> {
        let mut v: Vec<Duration> = self.recent.iter().copied().collect();
        v.sort();
        v.get(v.len() / 2).copied()
    }

    /// How many latencies the median is over.
    pub fn recent_len(&self) -> usize {
        self.recent.len()
    }

    /// The latest latency.
    pub fn last(&self) -> Option<Duration> {
        self.recent.back().copied()
    }
}

/// Requests sent to the worker and the answers shown.
pub struct Requests {
    next_id: u64,
    /// The canvas revision and the variation seed of the last request.
    sent_state: Option<(u64, Option<u64>)>,
    /// Requests not yet answered, with the time of the edit that made each.
    in_flight: BTreeMap<u64, Instant>,
    last_result_id: u64,
    /// Live-loop latency figures.
    pub latency: LatencyStats,
}

impl Default for Requests {
    fn default() -> Self {
        Self {
            next_id: 1,
            sent_state: None,
            in_flight: BTreeMap::new(),
            last_result_id: 0,
            latency: LatencyStats::default(),
        }
    }
}

impl Requests {
    /// Requests sent so far.
    pub fn sent(&self) -> u64 {
        self.next_id - 1
    }

    /// Whether an answer is awaited.
    pub fn busy(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// Whether `state` (canvas revision, variation) was the last one sent.
    pub(super) fn already_sent(&self, state: (u64, Option<u64>)) -> bool {
        self.sent_state == Some(state)
    }

    /// Forget what was sent, so the next frame sends again (a new model or variation).
    pub(super) fn resend(&mut self) {
        self.sent_state = None;
    }

    /// Record a request for `state`, made by the edit at `edited`; its id.
    pub(super) fn send(&mut self, state: (u64, Option<u64>), edited: Instant) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.in_flight.insert(id, edited);
        self.sent_state = Some(state);
        id
    }

    /// Whether the answer to `id` is older than the one on screen (and must not replace it).
    pub(super) fn is_stale(&self, id: u64) -> bool {
        id < self.last_result_id
    }

    /// The answer to `id` is on screen after `elapsed` in the model: the pointer → result
    /// latency, when the request is known.
    pub(super) fn shown(&mut self, id: u64, elapsed: Duration) -> Option<Duration> {
        self.last_result_id = id;
        self.latency.last_inference = Some(elapsed);
        self.latency.shown += 1;
        let latency = self.in_flight.get(&id).map(Instant::elapsed);
        if let Some(l) = latency {
            self.latency.record(l);
        }
        self.in_flight.retain(|&k, _| k > id);
        latency
    }

    /// Request `id` failed: it and the ones before it are answered.
    pub(super) fn failed(&mut self, id: u64) {
        self.in_flight.retain(|&k, _| k > id);
    }
}
