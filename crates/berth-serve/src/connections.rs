//! The TCP side of the server: accepting connections within the connection limit, serving each
//! over HTTP/1.1 under the header read timeout, and the drain at shutdown.
//!
//! Slow clients are what this module guards against. A connection that trickles its request head,
//! or never sends one, would otherwise hold a file descriptor for ever, and enough of them lock
//! everyone out: every `accept` fails with EMFILE, health probes included. So:
//! - a request head must arrive within `HEADER_READ_TIMEOUT`, or the connection is closed. The
//!   wait starts at the accept for the first request and after the previous answer on a keep-alive
//!   connection, so an idle keep-alive connection is closed after the same time. (A body has
//!   `BODY_READ_TIMEOUT`: see `body::read_body`.)
//! - at most `MAX_CONNECTIONS` connections are open, never more than the open-file limit allows
//!   once [`RESERVED_FILE_DESCRIPTORS`] are set aside. At the limit the server stops accepting:
//!   new connections wait in the kernel's accept queue and are served as others close.
//!
//! `axum::serve` offers neither, which is why connections are served with hyper here. The header
//! timeout is kept by one watchdog task ([`Watchdog`]) rather than hyper's own
//! `header_read_timeout`: hyper's arms a runtime timer for every request, which measured 15-20%
//! fewer 1-row requests per second on this server; the watchdog costs two atomic operations per
//! request and closes a late connection within a quarter of the timeout after it runs out.
//!
//! At shutdown readiness fails at once (`/ready`, `/v2/health/ready` and the model's v2 readiness
//! answer 503 `shutting_down` to any request that still arrives on an open connection), so that a
//! probe never reads "ready" from a server that is going away; the listener closes at once; each
//! connection finishes the request it is answering and closes, for at most `SHUTDOWN_TIMEOUT`. Requests still unanswered then are dropped and
//! reported ([`ServeError::RequestsDropped`]).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::task::{AbortHandle, JoinSet};
use tower::ServiceExt;

use crate::{AppState, ServeError};

/// File descriptors kept out of the connection limit: the standard streams, the listener, the
/// async runtime's own (epoll, eventfd, signal pipe), the model file and the ONNX Runtime library
/// while they load, ONNX Runtime's telemetry database, OTLP export sockets. A ready server holds
/// about 15; the rest is room for what other versions of these add.
pub(crate) const RESERVED_FILE_DESCRIPTORS: u64 = 64;

/// The pause after an accept error that is not one client's (EMFILE when something else took the
/// descriptors, ENOBUFS): accepting again at once would spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Serves `state`'s application on `listener` until `shutdown` completes, then drains for at most
/// `drain_timeout`.
pub(crate) async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain_timeout: Duration,
) -> Result<(), ServeError> {
    let config = &state.app().config;
    let open_files = open_file_limit();
    let limit = connection_limit(config.max_connections, open_files)?;
    if limit < config.max_connections {
        tracing::info!(
            max_connections = limit,
            requested = config.max_connections,
            open_file_limit = open_files,
            reserved = RESERVED_FILE_DESCRIPTORS,
            "MAX_CONNECTIONS lowered to fit the open-file limit (ulimit -n)"
        );
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let http = http1::Builder::new();
    let watchdog = Watchdog::new(config.header_read_timeout);
    let watching = tokio::spawn(Arc::clone(&watchdog).run());
    let app = crate::router(state.clone());
    let in_flight = InFlight::default();
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);

    'accept: loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(ended) = connections.join_next(), if !connections.is_empty() => {
                match ended {
                    // Closed by the watchdog: no request head within HEADER_READ_TIMEOUT.
                    Err(error) if error.is_cancelled() => {
                        tracing::debug!("connection closed: no request head within HEADER_READ_TIMEOUT");
                    }
                    Err(error) => tracing::error!(%error, "a connection task failed"),
                    Ok(()) => {}
                }
            }
            // At the limit this branch is off: connections wait in the kernel's accept queue.
            accepted = listener.accept(), if connections.len() < limit => match accepted {
                Ok((stream, _)) => {
                    let app = app.clone();
                    let in_flight = in_flight.clone();
                    let progress = Arc::new(Progress::new(watchdog.now()));
                    let answered = Arc::clone(&progress);
                    let clock = Arc::clone(&watchdog);
                    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                        let answering = in_flight.enter();
                        answered.active.fetch_add(1, Ordering::Relaxed);
                        let response = app.clone().oneshot(request);
                        let answered = Arc::clone(&answered);
                        let clock = Arc::clone(&clock);
                        async move {
                            let response = response.await;
                            answered.waiting_since.store(clock.now(), Ordering::Relaxed);
                            // Release: the watchdog that sees no request active sees this time.
                            answered.active.fetch_sub(1, Ordering::Release);
                            drop(answering);
                            response
                        }
                    });
                    let connection =
                        graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                    let task = connections.spawn(async move {
                        // Resets and clients that go away end up here: the client's doing, not
                        // the server's failure.
                        if let Err(error) = connection.await {
                            tracing::debug!(%error, "connection closed on an error");
                        }
                    });
                    watchdog.watch(&progress, task);
                }
                Err(error) if concerns_one_connection(&error) => {
                    tracing::debug!(%error, "accept failed for one connection");
                }
                Err(error) => {
                    tracing::warn!(%error, pause = ?ACCEPT_ERROR_PAUSE, "cannot accept connections");
                    tokio::select! {
                        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                        () = &mut shutdown => break 'accept,
                    }
                }
            },
        }
    }

    state.begin_shutdown();
    drop(listener);
    watching.abort();
    tracing::info!("shutting down: finishing in-flight requests");
    let drained = tokio::time::timeout(drain_timeout, graceful.shutdown())
        .await
        .is_ok();
    // Counted before the connections are aborted: aborting them ends their requests too.
    let dropped = in_flight.count();
    let open = connections.len();
    connections.shutdown().await;
    if drained {
        Ok(())
    } else if dropped > 0 {
        Err(ServeError::RequestsDropped {
            dropped,
            timeout: drain_timeout,
        })
    } else {
        tracing::warn!(
            open,
            ?drain_timeout,
            "SHUTDOWN_TIMEOUT ran out with connections open but no request being answered \
             (heads still arriving, or responses still being sent); closed them"
        );
        Ok(())
    }
}

/// The connection limit: `wanted`, lowered to fit `open_files` (the soft `RLIMIT_NOFILE`, `None`
/// when unlimited) once [`RESERVED_FILE_DESCRIPTORS`] are set aside.
fn connection_limit(wanted: u64, open_files: Option<u64>) -> Result<u64, ServeError> {
    let Some(open_files) = open_files else {
        return Ok(wanted);
    };
    match open_files.saturating_sub(RESERVED_FILE_DESCRIPTORS) {
        0 => Err(ServeError::InvalidSetting {
            name: "MAX_CONNECTIONS",
            message: format!(
                "the open-file limit (ulimit -n) is {open_files}, which leaves no room for \
                 connections once berth's own {RESERVED_FILE_DESCRIPTORS} descriptors are set \
                 aside: raise it"
            ),
        }),
        room => Ok(wanted.min(room)),
    }
}

/// The soft limit on open files (`RLIMIT_NOFILE`), `None` when unlimited.
#[cfg(unix)]
fn open_file_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

/// Whether an accept error concerns one incoming connection only (it went away before it was
/// accepted), so that accepting the next one can go on at once.
fn concerns_one_connection(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    )
}

/// What the watchdog knows of one connection.
#[derive(Debug)]
struct Progress {
    /// Requests being answered on it now.
    active: AtomicUsize,
    /// When it began waiting for a request head (its accept, or its last answer), in
    /// [`Watchdog::now`] units.
    waiting_since: AtomicU64,
}

impl Progress {
    fn new(now: u64) -> Self {
        Self {
            active: AtomicUsize::new(0),
            waiting_since: AtomicU64::new(now),
        }
    }
}

/// Closes the connections that have waited longer than the header read timeout for a request
/// head: one task for all of them, checking a quarter of the timeout apart.
#[derive(Debug)]
struct Watchdog {
    timeout: Duration,
    started: Instant,
    /// Open connections (a dead `Weak` is one that ended) and how to close each.
    watched: Mutex<Vec<(Weak<Progress>, AbortHandle)>>,
}

impl Watchdog {
    fn new(timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            timeout,
            started: Instant::now(),
            watched: Mutex::new(Vec::new()),
        })
    }

    /// Milliseconds since the server started.
    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn watch(&self, progress: &Arc<Progress>, task: AbortHandle) {
        self.watched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((Arc::downgrade(progress), task));
    }

    /// Closes the connections idle past the timeout; forgets the ones that ended.
    fn sweep(&self) {
        let now = self.now();
        let limit = u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX);
        self.watched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(progress, task)| {
                let Some(progress) = progress.upgrade() else {
                    return false;
                };
                let idle = progress.active.load(Ordering::Acquire) == 0;
                let waiting = now.saturating_sub(progress.waiting_since.load(Ordering::Relaxed));
                if idle && waiting > limit {
                    task.abort();
                    return false;
                }
                true
            });
    }

    async fn run(self: Arc<Self>) {
        let mut ticks = tokio::time::interval((self.timeout / 4).max(Duration::from_millis(10)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            self.sweep();
        }
    }
}

/// Requests being answered: from their head's arrival to their response, across connections.
#[derive(Debug, Clone, Default)]
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    /// Counts one request until the guard drops, whether it was answered or abandoned.
    fn enter(&self) -> Answering {
        self.0.fetch_add(1, Ordering::Relaxed);
        Answering(Arc::clone(&self.0))
    }

    fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// One request of [`InFlight`].
struct Answering(Arc<AtomicUsize>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_limit_fits_the_open_file_limit_or_refuses_to_start() {
        assert_eq!(connection_limit(1024, None).unwrap(), 1024);
        assert_eq!(connection_limit(1024, Some(1_048_576)).unwrap(), 1024);
        assert_eq!(
            connection_limit(1024, Some(256)).unwrap(),
            256 - RESERVED_FILE_DESCRIPTORS
        );
        assert_eq!(
            connection_limit(1024, Some(RESERVED_FILE_DESCRIPTORS + 1)).unwrap(),
            1
        );
        let error = connection_limit(1024, Some(RESERVED_FILE_DESCRIPTORS))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("invalid MAX_CONNECTIONS: the open-file limit (ulimit -n) is 64"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn the_watchdog_closes_connections_waiting_past_the_timeout_only() {
        let watchdog = Watchdog::new(Duration::from_millis(50));
        let mut tasks = JoinSet::new();
        let idle = Arc::new(Progress::new(watchdog.now()));
        let busy = Arc::new(Progress::new(watchdog.now()));
        busy.active.fetch_add(1, Ordering::Relaxed);
        for progress in [&idle, &busy] {
            let task = tasks.spawn(std::future::pending::<()>());
            watchdog.watch(progress, task);
        }
        watchdog.sweep();
        assert_eq!(
            watchdog.watched.lock().unwrap().len(),
            2,
            "none is late yet"
        );
        tokio::time::sleep(Duration::from_millis(80)).await;
        watchdog.sweep();
        let ended = tasks.join_next().await.unwrap().unwrap_err();
        assert!(ended.is_cancelled(), "the idle connection is closed");
        assert_eq!(
            watchdog.watched.lock().unwrap().len(),
            1,
            "the busy one stays"
        );
        drop(busy);
        watchdog.sweep();
        assert!(
            watchdog.watched.lock().unwrap().is_empty(),
            "an ended one is forgotten"
        );
    }

    #[test]
    fn requests_in_flight_are_counted_until_their_guard_drops() {
        let in_flight = InFlight::default();
        let first = in_flight.enter();
        let second = in_flight.enter();
        assert_eq!(in_flight.count(), 2);
        drop(first);
        assert_eq!(in_flight.count(), 1);
        drop(second);
        assert_eq!(in_flight.count(), 0);
    }
}
