//! The open-files limit. Every connection and media socket is a file
//! descriptor, and the usual soft limit (1,024) is far below what a server
//! with a thousand participants needs, while the hard limit is usually
//! much higher and ours to take.

/// Raises the soft limit on open files to the hard limit. Returns the limit
/// now in force, or `None` where it cannot be read (non-Unix systems).
pub fn raise_open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        if limit.current.is_some() && limit.current != limit.maximum {
            let raised = Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            };
            if let Err(error) = setrlimit(Resource::Nofile, raised) {
                tracing::warn!(%error, "cannot raise the open-files limit");
            }
        }
        getrlimit(Resource::Nofile).current.or(Some(u64::MAX))
    }
    #[cfg(not(unix))]
    {
        None
    }
}
