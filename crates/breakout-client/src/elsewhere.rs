//! Following a meeting to the node that serves it (`421 meeting_elsewhere`),
//! and past that node when it has died.
//!
//! A node that answers 421 names the owner and when the owner's lease runs
//! out. If the owner does not answer (killed, its machine gone), retrying it
//! is pointless and asking the first node again before the lease ends only
//! gets the same 421; asking right after is what brings the meeting back
//! soonest, since that node then takes it over. So a client waits exactly
//! that long, then starts again from the address it was given.

use std::time::Duration;

use tokio::time::Instant;

use breakout_protocol::LEASE_ENDS_IN_HEADER;

/// Hops from node to node in one attempt: one is the norm (any node → the
/// owner); more means the meeting moved while it was being followed.
pub(crate) const MAX_HOPS: usize = 3;

/// Times a client waits for a dead owner's lease within one attempt. The
/// database's clock and ours drift by a few milliseconds, so the first
/// try after the end may still see the old lease.
const LEASE_WAITS: usize = 3;

/// Added to the lease's end: a round trip of the 421 that told it.
const AFTER_LEASE: Duration = Duration::from_millis(30);

/// A `421` answer: where the meeting lives and until when its owner holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    pub url: String,
    pub lease_ends_in: Option<Duration>,
}

impl Owner {
    /// The owner named by a 421 answer's headers, if it is one.
    pub(crate) fn from_answer(status: u16, headers: &reqwest::header::HeaderMap) -> Option<Owner> {
        if status != 421 {
            return None;
        }
        let url = headers
            .get(reqwest::header::LOCATION)?
            .to_str()
            .ok()?
            .to_owned();
        let lease_ends_in = headers
            .get(LEASE_ENDS_IN_HEADER)
            .and_then(|value| value.to_str().ok())
            .and_then(|ms| ms.parse().ok())
            .map(Duration::from_millis);
        Some(Owner { url, lease_ends_in })
    }
}

/// Where the next try of one attempt goes, from the address a client was
/// given through the owners it was sent to.
#[derive(Debug)]
pub(crate) struct Route {
    origin: String,
    current: String,
    hops: usize,
    waits: usize,
    lease_ends_at: Option<Instant>,
}

impl Route {
    pub(crate) fn new(origin: &str) -> Route {
        Route {
            origin: origin.to_owned(),
            current: origin.to_owned(),
            hops: 0,
            waits: 0,
            lease_ends_at: None,
        }
    }

    pub(crate) fn current(&self) -> &str {
        &self.current
    }

    /// Goes on to `owner`, unless this attempt has hopped enough.
    pub(crate) fn follow(&mut self, owner: Owner) -> bool {
        if self.hops >= MAX_HOPS {
            return false;
        }
        self.lease_ends_at = owner.lease_ends_in.map(|ends_in| Instant::now() + ends_in);
        self.current = owner.url;
        self.hops += 1;
        true
    }

    /// The owner we were sent to cannot be reached: waits for its lease to
    /// run out and starts again from the origin. False when there is no
    /// lease to wait for (the origin itself failed, or the 421 said
    /// nothing), or this attempt has waited enough: the caller's own retry
    /// takes over.
    pub(crate) async fn wait_out_unreachable_owner(&mut self) -> bool {
        let Some(ends_at) = self.lease_ends_at.take() else {
            return false;
        };
        if self.hops == 0 || self.waits >= LEASE_WAITS {
            return false;
        }
        tracing::info!(owner = %self.current, "the meeting's node does not answer; waiting for its lease to run out");
        tokio::time::sleep_until(ends_at + AFTER_LEASE).await;
        self.current = self.origin.clone();
        self.hops = 0;
        self.waits += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&'static str, &str)]) -> Option<Owner> {
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        Owner::from_answer(status, &map)
    }

    #[test]
    fn a_421_names_the_owner_and_its_lease() {
        let owner = answer(
            421,
            &[
                ("location", "http://b:7800"),
                (LEASE_ENDS_IN_HEADER, "1250"),
            ],
        );
        assert_eq!(
            owner,
            Some(Owner {
                url: "http://b:7800".into(),
                lease_ends_in: Some(Duration::from_millis(1250)),
            })
        );
        let no_lease = answer(421, &[("location", "http://b:7800")]).unwrap();
        assert_eq!(no_lease.lease_ends_in, None);
        assert_eq!(answer(404, &[("location", "http://b:7800")]), None);
        assert_eq!(answer(421, &[]), None);
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreachable_owner_is_waited_out_then_the_origin_asked_again() {
        let mut route = Route::new("http://any");
        assert!(
            !route.wait_out_unreachable_owner().await,
            "the origin itself failed"
        );
        let owner = Owner {
            url: "http://dead".into(),
            lease_ends_in: Some(Duration::from_millis(2000)),
        };
        assert!(route.follow(owner.clone()));
        assert_eq!(route.current(), "http://dead");
        let started = Instant::now();
        assert!(route.wait_out_unreachable_owner().await);
        assert_eq!(started.elapsed(), Duration::from_millis(2000) + AFTER_LEASE);
        assert_eq!(route.current(), "http://any");
        // Told again (clocks drift): waits again, a few times at most.
        for _ in 1..LEASE_WAITS {
            assert!(route.follow(owner.clone()));
            assert!(route.wait_out_unreachable_owner().await);
        }
        assert!(route.follow(owner));
        assert!(!route.wait_out_unreachable_owner().await);
    }

    #[test]
    fn hops_are_bounded() {
        let mut route = Route::new("http://any");
        let owner = |n: usize| Owner {
            url: format!("http://n{n}"),
            lease_ends_in: None,
        };
        for n in 0..MAX_HOPS {
            assert!(route.follow(owner(n)));
        }
        assert!(!route.follow(owner(MAX_HOPS)));
    }
}
