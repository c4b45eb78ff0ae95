//! Assignments CSV over REST: a file up to 1 MiB, far past what fits in a
//! WebSocket frame. The sender is a participant (their token as Bearer) and
//! the core decides from their preset whether they may import.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::routing::post;
use axum::{Json, Router};
use breakout_core::{Actor, ParticipantId};
use breakout_protocol::ApiError;
use breakout_protocol::rest::AssignmentsCsvOutcome;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::actor::ActorMessage;
use crate::error::ServerError;
use crate::http::{AppState, PathParams, bearer};
use crate::registry::blocking;
use crate::store::hash_token;

type Result<T> = std::result::Result<T, ServerError>;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/meetings/{id}/assignments/csv", post(import))
        .route("/v1/meetings/{id}/assignments/csv/preview", post(preview))
}

#[derive(OpenApi)]
#[openapi(
    paths(import, preview),
    components(schemas(AssignmentsCsvOutcome)),
    modifiers(&ParticipantTokenScheme)
)]
pub struct CsvApiDoc;

/// Adds these paths to the main API document, as one of its modifiers.
impl utoipa::Modify for CsvApiDoc {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(CsvApiDoc::openapi());
    }
}

struct ParticipantTokenScheme;

impl utoipa::Modify for ParticipantTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "participant_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Imports the whole file or nothing: people are matched by email, else by
/// name; rooms by title, created when missing (only between rounds).
#[utoipa::path(post, path = "/v1/meetings/{id}/assignments/csv", params(("id" = String, Path)),
    request_body(content = String, content_type = "text/csv",
        description = "Columns name, email, room; at most 1 MiB of UTF-8"),
    security(("participant_token" = [])),
    responses((status = 200, body = AssignmentsCsvOutcome), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 413, description = "the file is larger than 1 MiB"), (status = 415, body = ApiError)))]
async fn import(
    State(state): State<Arc<AppState>>,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<AssignmentsCsvOutcome>> {
    run(&state, &id, &headers, body, true).await
}

/// What importing the file would do, changing nothing: rooms created,
/// people moved, people unassigned.
#[utoipa::path(post, path = "/v1/meetings/{id}/assignments/csv/preview", params(("id" = String, Path)),
    request_body(content = String, content_type = "text/csv",
        description = "Columns name, email, room; at most 1 MiB of UTF-8"),
    security(("participant_token" = [])),
    responses((status = 200, body = AssignmentsCsvOutcome), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 413, description = "the file is larger than 1 MiB"), (status = 415, body = ApiError)))]
async fn preview(
    State(state): State<Arc<AppState>>,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<AssignmentsCsvOutcome>> {
    run(&state, &id, &headers, body, false).await
}

async fn run(
    state: &AppState,
    meeting_id: &str,
    headers: &HeaderMap,
    body: Bytes,
    apply: bool,
) -> Result<Json<AssignmentsCsvOutcome>> {
    let participant = participant(state, meeting_id, headers).await?;
    check_content_type(headers)?;
    let csv = String::from_utf8(body.to_vec()).map_err(|error| {
        ServerError::InvalidCsv(format!(
            "the file is not UTF-8 text (byte {} is not); save it as UTF-8",
            error.utf8_error().valid_up_to()
        ))
    })?;
    let handle = state.registry.find(meeting_id).await?;
    let preview = handle
        .ask(|reply| ActorMessage::AssignmentsCsv {
            actor: Actor::Participant(participant),
            csv,
            apply,
            reply,
        })
        .await??;
    Ok(Json(AssignmentsCsvOutcome {
        applied: apply,
        preview,
    }))
}

/// The participant whose token came as Bearer, if it belongs to this meeting.
async fn participant(
    state: &AppState,
    meeting_id: &str,
    headers: &HeaderMap,
) -> Result<ParticipantId> {
    let token = bearer(headers).ok_or(ServerError::Unauthorized(
        "a participant token is required (Authorization: Bearer ...)",
    ))?;
    let hash = hash_token(token);
    let store = state.registry.store().clone();
    match blocking(move || store.find_token(&hash)).await? {
        Some((meeting, participant)) if meeting == meeting_id => Ok(participant),
        Some(_) => Err(ServerError::TokenOfAnotherMeeting),
        None => Err(ServerError::Unauthorized("this token is not valid")),
    }
}

/// Spreadsheets and browsers label CSV variously; anything textual is read,
/// a JSON or form body is a client mistake worth naming.
fn check_content_type(headers: &HeaderMap) -> Result<()> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if matches!(
        essence.as_str(),
        "text/csv" | "text/plain" | "application/csv" | "application/vnd.ms-excel" | ""
    ) {
        Ok(())
    } else {
        Err(ServerError::UnsupportedMediaType(essence))
    }
}
