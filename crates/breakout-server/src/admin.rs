//! The operator's endpoints under `/v1/admin`: what the server could not
//! serve as it should (lost events, quarantined meetings). Documented in
//! the OpenAPI document through [`AdminDoc`], nested under `/v1/admin`.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use breakout_protocol::ApiError;
use breakout_protocol::admin::{
    Incident, IncidentKind, IncidentList, QuarantineList, QuarantinedMeeting,
};
use utoipa::OpenApi;

use crate::http::{Admin, AppState};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/admin/incidents", get(incidents))
        .route("/v1/admin/quarantine", get(quarantine))
}

#[derive(OpenApi)]
#[openapi(
    paths(incidents, quarantine),
    components(schemas(
        Incident,
        IncidentKind,
        IncidentList,
        QuarantinedMeeting,
        QuarantineList
    ))
)]
pub struct AdminDoc;

/// Incidents since the server started, oldest first: acknowledged events a
/// resuming client proved lost, and meetings quarantined at start. Each is
/// also logged at ERROR.
#[utoipa::path(get, path = "/incidents",
    responses((status = 200, body = IncidentList), (status = 401, body = ApiError)))]
async fn incidents(_: Admin, State(state): State<Arc<AppState>>) -> Json<IncidentList> {
    Json(IncidentList {
        incidents: state.registry.incidents().incidents(),
    })
}

/// Meetings that could not be restored at start: kept on disk untouched,
/// not served, with the reason.
#[utoipa::path(get, path = "/quarantine",
    responses((status = 200, body = QuarantineList), (status = 401, body = ApiError)))]
async fn quarantine(_: Admin, State(state): State<Arc<AppState>>) -> Json<QuarantineList> {
    Json(QuarantineList {
        meetings: state.registry.incidents().quarantined(),
    })
}
