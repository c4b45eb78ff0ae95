//! The media plane's threads: each a single-threaded tokio runtime, apart
//! from the server's multi-threaded one (HTTP, WebSocket, journal). A
//! meeting's media (its router, its connections and every task they spawn,
//! the webrtc stack's own included) runs on one of them, the one with the
//! fewest meetings when it starts; the media socket's reader runs on the
//! first.
//!
//! Why: a forwarded packet wakes a chain of tasks (the socket's reader, the
//! stack's demultiplexer and SRTP readers, the publisher's track reader,
//! the writes). On a work-stealing runtime with idle workers each wake may
//! unpark another thread, and at a few thousand packets a second the
//! server spent more CPU switching threads than forwarding (a quarter of
//! its samples). On one thread those wakes are queue pushes: with the
//! default single media thread the same load cost 12 % to 47 % less CPU in
//! alternating runs (16 % in the median pair). More threads (`--media-threads`) carry more meetings on one node,
//! each switch between the socket's thread and a meeting's costing what it
//! did before; a cluster of nodes is the other way to use more cores.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use tokio::runtime::Handle;
use tokio::sync::oneshot;

struct MediaThread {
    handle: Handle,
    meetings: Arc<AtomicUsize>,
    /// Dropped with the server's media network: the thread then ends, and
    /// its runtime with every task still on it.
    _stop: oneshot::Sender<()>,
}

pub struct MediaThreads(Vec<MediaThread>);

impl MediaThreads {
    /// Starts `count` threads (at least one).
    pub fn start(count: usize) -> std::io::Result<MediaThreads> {
        (0..count.max(1))
            .map(start_thread)
            .collect::<Result<_, _>>()
            .map(MediaThreads)
    }

    /// The thread the media socket is read on.
    pub fn first(&self) -> &Handle {
        &self.0[0].handle
    }

    /// Runs a meeting's media task on the thread with the fewest meetings.
    pub fn spawn_meeting(&self, task: impl Future<Output = ()> + Send + 'static) {
        let thread = self
            .0
            .iter()
            .min_by_key(|t| t.meetings.load(Relaxed))
            .expect("at least one media thread");
        let counted = Counted::new(thread.meetings.clone());
        thread.handle.spawn(async move {
            let _counted = counted;
            task.await;
        });
    }

    /// Meetings on each thread now.
    #[cfg(test)]
    fn meetings(&self) -> Vec<usize> {
        self.0.iter().map(|t| t.meetings.load(Relaxed)).collect()
    }
}

fn start_thread(index: usize) -> std::io::Result<MediaThread> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let handle = runtime.handle().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::Builder::new()
        .name(format!("media-{index}"))
        .spawn(move || {
            // Until the sender is dropped; the runtime is dropped here,
            // outside any async context.
            let _ = runtime.block_on(stopped);
        })?;
    Ok(MediaThread {
        handle,
        meetings: Arc::new(AtomicUsize::new(0)),
        _stop: stop,
    })
}

/// One meeting on a thread, for as long as its task lives.
struct Counted(Arc<AtomicUsize>);

impl Counted {
    fn new(meetings: Arc<AtomicUsize>) -> Counted {
        meetings.fetch_add(1, Relaxed);
        Counted(meetings)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meetings_go_to_the_thread_with_the_fewest_and_leave_it_when_done() {
        let threads = MediaThreads::start(2).unwrap();
        let (first_done, first) = oneshot::channel::<()>();
        let (second_done, second) = oneshot::channel::<()>();
        threads.spawn_meeting(async move {
            let _ = first.await;
        });
        threads.spawn_meeting(async move {
            let _ = second.await;
        });
        assert_eq!(threads.meetings(), [1, 1]);
        drop(first_done);
        drop(second_done);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while threads.meetings() != [0, 0] {
            assert!(
                std::time::Instant::now() < deadline,
                "{:?}",
                threads.meetings()
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(
            MediaThreads::start(0).unwrap().meetings(),
            [0],
            "at least one"
        );
    }
}
