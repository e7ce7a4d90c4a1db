//! The one per-container cache: values kept for a time, shared by every request of a container.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct TtlCache<K, V>(Mutex<HashMap<K, (V, Instant)>>);

impl<K, V> Default for TtlCache<K, V> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// The value if it was stored less than `ttl` ago.
    pub fn fresh(&self, key: &K, ttl: Duration) -> Option<V> {
        let cache = self.0.lock().ok()?;
        cache.get(key).filter(|(_, at)| at.elapsed() < ttl).map(|(value, _)| value.clone())
    }

    /// The cached value, else what `load` finds — kept only when found: a miss is never cached,
    /// so a thing created a moment ago is seen at once.
    pub async fn get_or_load<E, F>(&self, key: K, ttl: Duration, load: F) -> Result<Option<V>, E>
    where
        F: std::future::Future<Output = Result<Option<V>, E>>,
    {
        if let Some(value) = self.fresh(&key, ttl) {
            return Ok(Some(value));
        }
        let loaded = load.await?;
        if let Some(value) = &loaded {
            self.insert(key, value.clone());
        }
        Ok(loaded)
    }

    /// The value however old, to compare a reload with.
    pub fn any_age(&self, key: &K) -> Option<V> {
        self.0.lock().ok()?.get(key).map(|(value, _)| value.clone())
    }

    pub fn insert(&self, key: K, value: V) {
        if let Ok(mut cache) = self.0.lock() {
            cache.insert(key, (value, Instant::now()));
        }
    }

    /// Makes the entry look stored `by` earlier: for tests of what happens when it goes stale.
    #[cfg(test)]
    pub fn age(&self, key: &K, by: Duration) {
        if let Ok(mut cache) = self.0.lock() {
            if let Some((_, at)) = cache.get_mut(key) {
                *at = at.checked_sub(by).unwrap_or(*at);
            }
        }
    }

    /// Forgets everything, as a new container would.
    pub fn clear(&self) {
        if let Ok(mut cache) = self.0.lock() {
            cache.clear();
        }
    }

    pub fn remove(&self, key: &K) {
        if let Ok(mut cache) = self.0.lock() {
            cache.remove(key);
        }
    }
}
