//! ZooKeeper's `ExpiryQueue`: elements expire in buckets one tick wide, so the leader wakes once
//! per tick however many sessions it tracks, and a touch only moves a session when it crosses
//! into a later bucket.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Expiration buckets of `interval_ms` granularity. Times are the server's monotonic clock in
/// milliseconds (ZooKeeper's `Time.currentElapsedTime`), passed in by the caller.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExpiryQueue<E: Ord> {
    interval_ms: u64,
    expiration_ms_by_element: BTreeMap<E, u64>,
    elements_by_expiration_ms: BTreeMap<u64, BTreeSet<E>>,
    /// The bucket the next [`ExpiryQueue::poll_expired`] looks at first; every bucket before it
    /// has been handed out.
    next_expiration_ms: u64,
}

impl<E: Ord + Clone> ExpiryQueue<E> {
    pub fn new(interval_ms: u64, now_ms: u64) -> ExpiryQueue<E> {
        assert!(interval_ms > 0, "an expiry interval of 0 ms never advances");
        ExpiryQueue {
            interval_ms,
            expiration_ms_by_element: BTreeMap::new(),
            elements_by_expiration_ms: BTreeMap::new(),
            next_expiration_ms: round_to_next_interval(now_ms, interval_ms),
        }
    }

    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
    }

    /// The bucket `element` expires in, if it is queued.
    pub fn expiration_ms(&self, element: &E) -> Option<u64> {
        self.expiration_ms_by_element.get(element).copied()
    }

    /// When the next bucket is due: the driver's timer for [`ExpiryQueue::poll_expired`].
    pub fn next_expiration_ms(&self) -> u64 {
        self.next_expiration_ms
    }

    /// Moves (or adds) `element` to the bucket of `now_ms + timeout_ms` rounded up to the next
    /// interval boundary (strictly after it, as ZooKeeper's `roundToNextInterval`). Returns the
    /// new expiration, or `None` when the element stays in the bucket it was in.
    pub fn update(&mut self, element: &E, timeout_ms: u64, now_ms: u64) -> Option<u64> {
        let new_expiration_ms = round_to_next_interval(now_ms + timeout_ms, self.interval_ms);
        let previous = self.expiration_ms_by_element.get(element).copied();
        if previous == Some(new_expiration_ms) {
            return None;
        }
        if let Some(previous_ms) = previous {
            self.remove_from_bucket(element, previous_ms);
        }
        let added = self
            .elements_by_expiration_ms
            .entry(new_expiration_ms)
            .or_default()
            .insert(element.clone());
        assert!(added, "an element sits in one bucket only");
        self.expiration_ms_by_element
            .insert(element.clone(), new_expiration_ms);
        Some(new_expiration_ms)
    }

    /// Forgets `element`; returns whether it was queued.
    pub fn remove(&mut self, element: &E) -> bool {
        match self.expiration_ms_by_element.remove(element) {
            None => false,
            Some(expiration_ms) => {
                self.remove_from_bucket(element, expiration_ms);
                true
            }
        }
    }

    fn remove_from_bucket(&mut self, element: &E, expiration_ms: u64) {
        let bucket = self
            .elements_by_expiration_ms
            .get_mut(&expiration_ms)
            .expect("the element's bucket exists");
        let removed = bucket.remove(element);
        assert!(removed, "the element is in the bucket its index names");
        if bucket.is_empty() {
            self.elements_by_expiration_ms.remove(&expiration_ms);
        }
    }

    /// Removes and returns every element whose bucket is due at `now_ms`, earliest bucket first
    /// (within a bucket in element order; ZooKeeper's order there is a hash set's). Equivalent
    /// to calling ZooKeeper's `poll` until it returns nothing.
    pub fn poll_expired(&mut self, now_ms: u64) -> Vec<E> {
        if now_ms < self.next_expiration_ms {
            return Vec::new();
        }
        let not_due = self.elements_by_expiration_ms.split_off(&(now_ms + 1));
        let due = std::mem::replace(&mut self.elements_by_expiration_ms, not_due);
        let mut expired = Vec::new();
        for (_expiration_ms, bucket) in due {
            for element in bucket {
                let removed = self.expiration_ms_by_element.remove(&element);
                assert!(removed.is_some(), "every bucketed element is indexed");
                expired.push(element);
            }
        }
        self.next_expiration_ms = round_to_next_interval(now_ms, self.interval_ms);
        assert!(self.next_expiration_ms > now_ms);
        expired
    }

    pub fn len(&self) -> usize {
        self.expiration_ms_by_element.len()
    }

    pub fn is_empty(&self) -> bool {
        self.expiration_ms_by_element.is_empty()
    }
}

/// `roundToNextInterval`: the first multiple of `interval_ms` strictly after `time_ms`.
pub fn round_to_next_interval(time_ms: u64, interval_ms: u64) -> u64 {
    (time_ms / interval_ms + 1) * interval_ms
}
