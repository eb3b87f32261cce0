//! Connection slots: at most `max` connections served at once, and when all are taken,
//! the oldest one still sending its request is closed to make room.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long the accept thread waits for a connection it closed to make room to give its
/// slot back (its thread only has to notice the closed socket).
const EVICTION_WAIT: Duration = Duration::from_millis(500);

/// The connections being served, each with a clone of its stream while it is still
/// sending its request (so that it can be closed to make room).
#[derive(Debug)]
pub(super) struct Slots {
    max: usize,
    open: Mutex<Vec<Entry>>,
    /// Signalled when a connection's thread ends.
    freed: Condvar,
    next_id: AtomicU64,
}

#[derive(Debug)]
struct Entry {
    id: u64,
    /// While the request head is being read; `None` once answering (or closed by us).
    reading: Option<TcpStream>,
    /// Closed by us to make room; its thread has not ended yet.
    evicted: bool,
}

impl Slots {
    pub(super) fn new(max: usize) -> Self {
        Slots {
            max: max.max(1),
            open: Mutex::new(Vec::new()),
            freed: Condvar::new(),
            next_id: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Entry>> {
        // The list stays consistent whatever panicked while holding the lock (each
        // change is one push, remove or field write), so a poisoned lock is still good.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for `stream`; when all are taken, closes the oldest connection still
    /// sending its request and waits for its slot. `None` when every connection is
    /// being answered (or the wait failed): the caller refuses this one.
    pub(super) fn acquire(self: &Arc<Self>, stream: &TcpStream) -> Option<Slot> {
        let give_up = Instant::now() + EVICTION_WAIT;
        let mut open = self.lock();
        loop {
            if open.len() < self.max {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                open.push(Entry {
                    id,
                    reading: stream.try_clone().ok(),
                    evicted: false,
                });
                return Some(Slot {
                    slots: self.clone(),
                    id,
                });
            }
            // Evict one at a time: wait for the one already closed before another.
            if !open.iter().any(|e| e.evicted) {
                // The list is in accept order: the first one reading is the oldest.
                let victim = open.iter_mut().find(|e| e.reading.is_some())?;
                if let Some(s) = victim.reading.take() {
                    let _ = s.shutdown(Shutdown::Both);
                }
                victim.evicted = true;
                tracing::debug!(
                    "metrics: {} connections open, closed the oldest idle one",
                    self.max
                );
            }
            let wait = give_up.saturating_duration_since(Instant::now());
            if wait.is_zero() {
                return None;
            }
            open = self
                .freed
                .wait_timeout(open, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// One connection's slot; gives it back when the connection's thread ends.
pub(super) struct Slot {
    slots: Arc<Slots>,
    id: u64,
}

impl Slot {
    /// The request has arrived: from now on the connection is not closed to make room.
    pub(super) fn answering(&self) {
        if let Some(e) = self.slots.lock().iter_mut().find(|e| e.id == self.id) {
            e.reading = None;
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.lock().retain(|e| e.id != self.id);
        self.slots.freed.notify_all();
    }
}
