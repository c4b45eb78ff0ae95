//! What a service manager, load balancer or monitoring system asks:
//! `/healthz` (the process serves HTTP), `/readyz` (it takes new meetings)
//! and `/metrics` (Prometheus, with the admin key: the figures reveal how
//! busy the server is).

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use breakout_protocol::ApiError;
use breakout_protocol::rest::Health;
use utoipa::OpenApi;

use crate::actor::ActorMessage;
use crate::error::ServerError;
use crate::http::{Admin, AppState};
use crate::metrics::{self, Load};
use crate::registry::Registry;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(scrape))
}

#[derive(OpenApi)]
#[openapi(paths(healthz, readyz, scrape))]
pub struct OpsDoc;

/// Adds these paths to the main API document, as one of its modifiers.
impl utoipa::Modify for OpsDoc {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(OpsDoc::openapi());
    }
}

fn health(status: &str) -> Json<Health> {
    Json(Health {
        status: status.into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Liveness: answers as long as the process serves HTTP, draining or not.
#[utoipa::path(get, path = "/healthz", security(()),
    responses((status = 200, body = Health, description = "The process serves HTTP")))]
async fn healthz() -> Json<Health> {
    health("ok")
}

/// Readiness: whether this server takes new meetings. A draining server
/// (after SIGTERM) and one whose journal can no longer be written (the
/// writer stopped, or the PostgreSQL server cannot be reached) say no, so a
/// load balancer sends new meetings elsewhere; meetings already here go on.
#[utoipa::path(get, path = "/readyz", security(()),
    responses((status = 200, body = Health, description = "New meetings are taken"),
        (status = 503, body = ApiError, description = "server_draining, storage_unavailable")))]
async fn readyz(State(state): State<Arc<AppState>>) -> Result<Json<Health>, ServerError> {
    if state.registry.is_draining() {
        return Err(ServerError::Draining);
    }
    if !state.registry.store().check_writable_async().await {
        return Err(ServerError::StorageUnavailable);
    }
    Ok(health("ready"))
}

/// Prometheus metrics (OpenMetrics text): meetings, connected participants,
/// breakout rooms, forwarded and dropped RTP packets, journal append
/// latency. Needs the admin key, like every figure about the server's load.
#[utoipa::path(get, path = "/metrics",
    responses((status = 200, description = "OpenMetrics text",
            content_type = "application/openmetrics-text", body = String),
        (status = 401, body = ApiError)))]
async fn scrape(_: Admin, State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let load = load(&state.registry).await;
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        metrics::render(load),
    )
}

/// What the meetings hold right now, asked of every meeting; a meeting that
/// stops meanwhile is left out.
pub(crate) async fn load(registry: &Registry) -> Load {
    let mut load = Load {
        forwarded_streams: i64::try_from(registry.media().streams()).unwrap_or(i64::MAX),
        ..Load::default()
    };
    for id in registry.ids() {
        let Ok(handle) = registry.get(&id) else {
            continue;
        };
        let Ok(overview) = handle.ask(|reply| ActorMessage::Overview { reply }).await else {
            continue;
        };
        load.meetings += 1;
        for room in &overview.rooms {
            if room.id != breakout_core::RoomId::MAIN {
                load.breakout_rooms += 1;
            }
            let connected = room.members.iter().filter(|m| m.connected).count();
            load.participants_connected += i64::try_from(connected).unwrap_or(i64::MAX);
        }
    }
    load
}
