//! What every meeting on a server runs with, handed down explicitly from
//! [`crate::Server::start`] to the registry, each actor and its media: no
//! process-wide state, so two servers in one process (tests, an app that
//! restarts its embedded server) never see each other's settings.

use std::sync::Arc;

use crate::clock::Clock;
use crate::incidents::Incidents;
use crate::media::MediaNetwork;
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct MeetingSettings {
    /// The server's one media socket and what it announces.
    pub media: Arc<MediaNetwork>,
    pub clock: Clock,
    /// Where recorded rooms are written (`data_dir/recordings`); `None`
    /// records nothing.
    pub recordings: Option<std::path::PathBuf>,
}

/// What a meeting actor is given besides its own state.
#[derive(Clone)]
pub struct MeetingEnv {
    pub store: Arc<Store>,
    pub settings: MeetingSettings,
    pub incidents: Arc<Incidents>,
    /// This node of the cluster, on PostgreSQL; `None` on its own.
    pub node: Option<Arc<crate::node::Node>>,
}
