//! How long an invocation may still work: Lambda ends it at its deadline, and whatever was not
//! finished by then is lost with the partial-batch response.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No limit (tests, the local event source).
    pub const NONE: Deadline = Deadline(None);

    pub fn at(instant: Instant) -> Self {
        Self(Some(instant))
    }

    pub fn after(duration: Duration) -> Self {
        Self(Instant::now().checked_add(duration))
    }

    /// The invocation's deadline in milliseconds since the Unix epoch, as Lambda gives it.
    pub fn from_epoch_millis(deadline_ms: u64) -> Self {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Self::after(Duration::from_millis(deadline_ms.saturating_sub(now_ms)))
    }

    /// Whether `work` can still finish before the deadline.
    pub fn leaves(&self, work: Duration) -> bool {
        match self.0 {
            None => true,
            Some(at) => at.checked_duration_since(Instant::now()).is_some_and(|left| left >= work),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_leaves_only_the_time_before_it() {
        assert!(Deadline::NONE.leaves(Duration::from_secs(3600)));
        let soon = Deadline::after(Duration::from_secs(10));
        assert!(soon.leaves(Duration::from_secs(5)));
        assert!(!soon.leaves(Duration::from_secs(20)));
        assert!(!Deadline::from_epoch_millis(0).leaves(Duration::from_millis(1)));
    }
}
