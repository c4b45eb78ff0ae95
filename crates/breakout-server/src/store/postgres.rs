//! The cluster's backend: PostgreSQL through a small connection pool
//! (`--database postgres://user@host:port/db`).
//!
//! All database I/O runs on a runtime of the store's own, on one thread
//! (`postgres-store`): the synchronous calls hand their work to it and wait
//! for the answer, the `*_async` calls await it. Neither depends on the
//! caller's runtime having a free worker: a synchronous call made on a
//! current-thread runtime would otherwise wait for itself.
//!
//! Appends, and the snapshots, revocations and restores the meeting actors
//! make, go through the journal writer task (`writer`), which keeps them in
//! order and commits the appends queued at once in one transaction, as
//! SQLite's writer thread does. Every connection sets
//! `synchronous_commit=on`, so a commit is durable before it returns even
//! where the database's default is off.
//!
//! Losing the server is [`StoreError::Unavailable`]: refused or dropped
//! connections, a server shutting down, or no answer within
//! [`CALL_TIMEOUT`]. The pool makes a new connection on the next call, so
//! calls work again as soon as the server is back.

mod cluster;
mod invites;
mod journal;
mod records;
mod schema;
mod statements;
mod writer;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::NoTls;

use super::StoreError;

/// Connections kept open at most: the writer holds one per group, the
/// synchronous calls (REST handlers) share the rest.
const POOL_SIZE: usize = 8;
/// How long connecting to the server may take before it counts as gone.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one call (or one group commit) may take before it counts as
/// gone; its outcome is then unknown, as after any lost connection.
pub(super) const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL store.
pub struct PgStore {
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
    jobs: Option<mpsc::UnboundedSender<writer::Job>>,
    thread: Option<JoinHandle<()>>,
}

/// What the store's tasks share.
struct Shared {
    pool: Pool,
    commits: AtomicU64,
    /// Whether the last call that reached for the server got an answer.
    reachable: AtomicBool,
}

impl Shared {
    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }

    /// Runs one call with the time limit and notes whether the server
    /// answered it.
    async fn call<T>(
        &self,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let result = tokio::time::timeout(CALL_TIMEOUT, work)
            .await
            .unwrap_or_else(|_| Err(timed_out()));
        self.observe(&result);
        result
    }

    fn observe<T>(&self, result: &Result<T, StoreError>) {
        let answered = !matches!(result, Err(error) if error.is_unavailable());
        self.reachable.store(answered, Ordering::Relaxed);
    }
}

impl PgStore {
    /// Connects, migrates the schema and starts the writer; fails with
    /// [`StoreError::Unavailable`] if the server cannot be reached.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        let mut config: tokio_postgres::Config =
            url.parse()
                .map_err(|error: tokio_postgres::Error| StoreError::BadDatabaseUrl {
                    reason: error.to_string(),
                })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("breakout-server");
        }
        // Every acknowledged event must survive the server crashing: a
        // commit waits for its WAL to be flushed, whatever the database's
        // or role's default says.
        let options = match config.get_options() {
            Some(theirs) => format!("{theirs} -c synchronous_commit=on"),
            None => "-c synchronous_commit=on".to_owned(),
        };
        config.options(options);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A connection the server closed is seen as closed and
                // replaced; checking each one with a query would cost a
                // round trip per call.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CALL_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|error| StoreError::BadDatabaseUrl {
                reason: error.to_string(),
            })?;
        let shared = Arc::new(Shared {
            pool,
            commits: AtomicU64::new(0),
            reachable: AtomicBool::new(true),
        });
        let (jobs, queue) = mpsc::unbounded_channel();
        let (runtime_tx, runtime_rx) = std::sync::mpsc::channel();
        let writer_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("postgres-store".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match runtime {
                    Ok(runtime) => {
                        let _ = runtime_tx.send(Ok(runtime.handle().clone()));
                        // The writer ends when the store drops its sender;
                        // the runtime, its connections and whatever else
                        // still runs on it end with this thread.
                        runtime.block_on(writer::run(writer_shared, queue));
                    }
                    Err(error) => {
                        let _ = runtime_tx.send(Err(error));
                    }
                }
            })
            .map_err(|source| StoreError::Io {
                path: "postgres store thread".into(),
                source,
            })?;
        let runtime = runtime_rx
            .recv()
            .unwrap_or_else(|_| Err(std::io::Error::other("the thread ended")))
            .map_err(|source| StoreError::Io {
                path: "postgres store runtime".into(),
                source,
            })?;
        let store = PgStore {
            shared,
            runtime,
            jobs: Some(jobs),
            thread: Some(thread),
        };
        store.block(|shared| async move {
            let mut client = shared.client().await?;
            schema::migrate(&mut client).await
        })?;
        Ok(store)
    }

    /// Runs `work` on the store's runtime and waits for its result.
    fn block<T, F>(&self, work: impl FnOnce(Arc<Shared>) -> F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = self.shared.clone();
        let work = work(shared.clone());
        self.runtime.spawn(async move {
            let _ = tx.send(shared.call(work).await);
        });
        rx.recv().unwrap_or(Err(StoreError::WriterGone))
    }

    /// Runs `work` on the store's runtime; the returned future resolves
    /// with its result without blocking the caller.
    fn run<T, F>(
        &self,
        work: impl FnOnce(Arc<Shared>) -> F,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'static
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let shared = self.shared.clone();
        let work = work(shared.clone());
        self.runtime.spawn(async move {
            let _ = tx.send(shared.call(work).await);
        });
        async move { rx.await.unwrap_or(Err(StoreError::WriterGone)) }
    }

    /// Queues a job for the writer; its completion is called with the
    /// outcome, or dropped unanswered if the writer is gone.
    fn submit(&self, job: writer::Job) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(job);
        }
    }

    /// Runs `sql` and returns its one integer (tests look at rows directly).
    #[cfg(test)]
    pub(super) fn test_count(&self, sql: &str) -> u64 {
        let sql = sql.to_owned();
        let count = self.block(|shared| async move {
            let client = shared.client().await?;
            let row = client.query_one(&sql, &[]).await?;
            from_db(row.try_get(0)?, "a count")
        });
        count.unwrap_or_else(|error| panic!("{error}"))
    }

    /// Runs `sql` for what it changes (tests damage rows on purpose).
    #[cfg(test)]
    pub(super) fn test_execute(&self, sql: &str) {
        let sql = sql.to_owned();
        let done = self.block(|shared| async move {
            let client = shared.client().await?;
            Ok(client.batch_execute(&sql).await?)
        });
        done.unwrap_or_else(|error| panic!("{error}"));
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Closing the queue ends the writer after what is queued; the
        // thread then drops the runtime and every connection with it.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Fails with [`StoreError::NotFound`] unless the meeting exists, and keeps
/// it from being deleted until the transaction ends.
async fn require_meeting(
    tx: &tokio_postgres::Transaction<'_>,
    meeting: &str,
) -> Result<(), StoreError> {
    tx.query_opt(
        "SELECT 1 FROM meetings WHERE id = $1 FOR KEY SHARE",
        &[&meeting],
    )
    .await?
    .map(|_| ())
    .ok_or(StoreError::NotFound)
}

/// A job's completion and the future its caller awaits: the outcome, or
/// [`StoreError::WriterGone`] if the writer dropped the job unanswered.
fn reply<T: Send + 'static>() -> (
    writer::Done<T>,
    impl Future<Output = Result<T, StoreError>> + Send + 'static,
) {
    let (tx, rx) = oneshot::channel();
    let done: writer::Done<T> = Box::new(move |result| {
        let _ = tx.send(result);
    });
    (done, async move {
        rx.await.unwrap_or(Err(StoreError::WriterGone))
    })
}

/// An unsigned value for a `BIGINT` column.
fn to_db(value: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { what })
}

/// A `BIGINT` column's value, which the store only ever writes unsigned.
fn from_db(value: i64, what: &'static str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::OutOfRange { what })
}

fn timed_out() -> StoreError {
    StoreError::Unavailable {
        reason: format!(
            "the database did not answer within {} s",
            CALL_TIMEOUT.as_secs()
        ),
    }
}

impl From<tokio_postgres::Error> for StoreError {
    /// Tells a server that cannot be reached (connection refused, closed or
    /// broken, the server shutting down or not accepting connections yet)
    /// from one that refused the statement.
    fn from(error: tokio_postgres::Error) -> StoreError {
        let gone = error.is_closed()
            || error.code().is_some_and(|state| {
                let code = state.code();
                // Class 08: connection exception; 57P01-03: shutting down,
                // crashed, starting up; 53300: too many connections.
                code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
            })
            || std::error::Error::source(&error).is_some_and(|cause| cause.is::<std::io::Error>());
        if gone {
            StoreError::Unavailable {
                reason: error.to_string(),
            }
        } else {
            StoreError::Postgres(error)
        }
    }
}

fn pool_error(error: PoolError) -> StoreError {
    match error {
        PoolError::Backend(error) => error.into(),
        PoolError::Timeout(_) => StoreError::Unavailable {
            reason: "no database connection became free in time".into(),
        },
        PoolError::Closed => StoreError::WriterGone,
        other => StoreError::Unavailable {
            reason: other.to_string(),
        },
    }
}
