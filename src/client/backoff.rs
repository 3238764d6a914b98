//! Kafka's client retry backoff (KIP-580): `retry.backoff.ms` doubling on each attempt up to
//! `retry.backoff.max.ms`, with ±20 % jitter. After `org.apache.kafka.common.utils.ExponentialBackoff`
//! as the clients build it (`CommonClientConfigs.RETRY_BACKOFF_EXP_BASE` = 2,
//! `RETRY_BACKOFF_JITTER` = 0.2): the producer's batch retries (`RecordAccumulator.shouldBackoff`)
//! and metadata refreshes (`Metadata.timeToAllowUpdate`) both use it.

use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExponentialBackoff {
    /// `retry.backoff.ms`.
    pub initial_ms: i64,
    /// `retry.backoff.max.ms`.
    pub max_ms: i64,
}

impl ExponentialBackoff {
    pub fn new(initial_ms: i64, max_ms: i64) -> ExponentialBackoff {
        ExponentialBackoff { initial_ms: initial_ms.max(0), max_ms: max_ms.max(0) }
    }

    /// `ExponentialBackoff.backoff(attempts)`: `initial × 2^min(attempts, expMax)` times a random
    /// factor in [0.8, 1.2), capped at the maximum; `expMax = log2(max / initial)`, and with
    /// `max ≤ initial` (expMax 0) the plain `initial`, no jitter. The exponent is applied by
    /// doubling (exact in integers; `attempts ≥ expMax` ⟺ `initial × 2^attempts ≥ max`, where the
    /// term is `max`), so native and wasm agree to the millisecond.
    pub fn backoff(&self, attempts: u32, rng: &mut Rng) -> i64 {
        if self.max_ms <= self.initial_ms || self.initial_ms == 0 {
            return self.initial_ms; // (0 × anything = 0)
        }
        let mut scaled = self.initial_ms;
        for _ in 0..attempts {
            if scaled >= self.max_ms {
                break;
            }
            scaled = scaled.saturating_mul(2);
        }
        let term = scaled.min(self.max_ms); // past expMax the term is initial × 2^expMax = max
        let factor = 0.8 + 0.4 * rng.next_f64();
        ((factor * term as f64) as i64).min(self.max_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_backoff_doubles_from_retry_backoff_ms_to_retry_backoff_max_ms_with_twenty_percent_jitter() {
        let b = ExponentialBackoff::new(100, 1000);
        let mut rng = Rng::new(7);
        for (attempts, term) in [(0u32, 100.0f64), (1, 200.0), (2, 400.0), (3, 800.0)] {
            for _ in 0..200 {
                let v = b.backoff(attempts, &mut rng) as f64;
                assert!(v >= (term * 0.8).floor() && v < term * 1.2, "attempt {attempts}: {v} not within ±20 % of {term}");
            }
        }
        // From the 4th retry on the term is the maximum: jitter may go below it, never above.
        let vs: Vec<i64> = (0..200).map(|_| b.backoff(9, &mut rng)).collect();
        assert!(vs.iter().all(|v| (800..=1000).contains(v)), "{vs:?}");
        assert!(vs.contains(&1000) && vs.iter().any(|v| *v < 1000), "capped and jittered: {vs:?}");
    }

    #[test]
    fn a_maximum_not_above_the_initial_backoff_means_a_constant_backoff_without_jitter() {
        let mut rng = Rng::new(1);
        assert_eq!(ExponentialBackoff::new(100, 100).backoff(5, &mut rng), 100);
        assert_eq!(ExponentialBackoff::new(2000, 1000).backoff(0, &mut rng), 2000);
    }
}
