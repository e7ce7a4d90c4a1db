//! The one optimistic-concurrency loop: read, change, write on condition that nothing changed,
//! and when another writer won, wait a little (growing, jittered, so that racing writers spread
//! out) and read again. Callers write the loop body; this decides when to try again and when
//! to give up.

use std::time::Duration;

/// Attempts before giving up: the loser of five races in a row is told to retry later.
pub const ATTEMPTS: u32 = 5;
const FIRST_DELAY: Duration = Duration::from_millis(10);
const MAX_DELAY: Duration = Duration::from_millis(250);

/// Every attempt lost a race.
#[derive(Debug, thiserror::Error)]
#[error("{0} is being changed by other requests at this moment; retry")]
pub struct Contended(pub &'static str);

pub struct Retries {
    what: &'static str,
    attempts: u32,
    made: u32,
    delay: Duration,
}

impl Retries {
    /// `what` names the thing being written, for the error when every attempt lost.
    pub fn new(what: &'static str) -> Self {
        Self::with_attempts(what, ATTEMPTS)
    }

    /// For writes many callers race for at once (a prompt's next version).
    pub fn with_attempts(what: &'static str, attempts: u32) -> Self {
        Self { what, attempts, made: 0, delay: FIRST_DELAY }
    }

    /// Call at the top of each attempt: the first goes at once, later ones after a jittered,
    /// doubling delay; past `ATTEMPTS`, `Contended`.
    pub async fn another(&mut self) -> Result<(), Contended> {
        if self.made >= self.attempts {
            return Err(Contended(self.what));
        }
        if self.made > 0 {
            tokio::time::sleep(jittered(self.delay)).await;
            self.delay = self.delay.saturating_mul(2).min(MAX_DELAY);
        }
        self.made += 1;
        Ok(())
    }
}

/// Between half and one and a half times `delay`.
fn jittered(delay: Duration) -> Duration {
    let mut byte = [0u8; 1];
    let spread = if getrandom::fill(&mut byte).is_ok() { f64::from(byte[0]) / 255.0 } else { 0.5 };
    delay.mul_f64(0.5 + spread)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn gives_up_after_the_last_attempt_and_says_what_was_contended() {
        let mut retries = Retries::new("the conversation");
        for _ in 0..ATTEMPTS {
            assert!(retries.another().await.is_ok());
        }
        let err = retries.another().await.expect_err("exhausted");
        assert!(err.to_string().starts_with("the conversation is being changed"), "{err}");
    }

    #[test]
    fn jitter_stays_within_half_to_one_and_a_half() {
        for _ in 0..100 {
            let d = jittered(Duration::from_millis(100));
            assert!(d >= Duration::from_millis(50) && d <= Duration::from_millis(150), "{d:?}");
        }
    }
}
