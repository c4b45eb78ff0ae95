//! Recorded rooms' files over REST: listed and downloaded with the admin
//! key or the token of someone who may record (a host or cohost of that
//! meeting; the core decides from their preset).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use breakout_core::RoomId;
use breakout_protocol::ApiError;
use breakout_protocol::rest::RecordingFile;
use sha2::{Digest, Sha256};
use utoipa::OpenApi;

use crate::actor::ActorMessage;
use crate::error::ServerError;
use crate::http::{AppState, PathParams, bearer};
use crate::media::recording_prefix;
use crate::registry::blocking;
use crate::store::hash_token;

type Result<T> = std::result::Result<T, ServerError>;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/meetings/{id}/recordings", get(list))
        .route("/v1/meetings/{id}/recordings/{name}", get(download))
}

#[derive(OpenApi)]
#[openapi(paths(list, download), components(schemas(RecordingFile)))]
pub struct RecordingsApiDoc;

impl utoipa::Modify for RecordingsApiDoc {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.merge(RecordingsApiDoc::openapi());
    }
}

/// The meeting's recordings, oldest first; one per recorded room and start.
#[utoipa::path(get, path = "/v1/meetings/{id}/recordings", params(("id" = String, Path)),
    security(("admin_key" = []), ("participant_token" = [])),
    responses((status = 200, body = Vec<RecordingFile>), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn list(
    State(state): State<Arc<AppState>>,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
) -> Result<Json<Vec<RecordingFile>>> {
    authorize(&state, &id, &headers).await?;
    let dir = state.recordings.clone();
    let prefix = recording_prefix(&id);
    let files = blocking(move || Ok(list_files(&dir, &prefix))).await?;
    Ok(Json(files))
}

/// One recording as WebM (Opus audio, VP8 video), readable while it is still written.
#[utoipa::path(get, path = "/v1/meetings/{id}/recordings/{name}",
    params(("id" = String, Path), ("name" = String, Path)),
    security(("admin_key" = []), ("participant_token" = [])),
    responses((status = 200, description = "the WebM file", content_type = "video/webm"),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
async fn download(
    State(state): State<Arc<AppState>>,
    PathParams((id, name)): PathParams<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    authorize(&state, &id, &headers).await?;
    // Only a name the listing gives is read: no path of the caller's reaches the disk.
    let dir = state.recordings.clone();
    let prefix = recording_prefix(&id);
    let listed = blocking(move || Ok(list_files(&dir, &prefix))).await?;
    if !listed.iter().any(|f| f.name == name) {
        return Err(ServerError::RecordingNotFound(name));
    }
    let bytes = tokio::fs::read(state.recordings.join(&name))
        .await
        .map_err(|_| ServerError::RecordingNotFound(name.clone()))?;
    Response::builder()
        .header(header::CONTENT_TYPE, "video/webm")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .body(Body::from(bytes))
        .map_err(|_| ServerError::Internal)
}

/// The admin key, or the token of someone of this meeting who may record.
async fn authorize(state: &AppState, meeting_id: &str, headers: &HeaderMap) -> Result<()> {
    let token = bearer(headers).ok_or(ServerError::Unauthorized(
        "the admin key or a host's token is required (Authorization: Bearer ...)",
    ))?;
    let handle = state.registry.find(meeting_id).await?;
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let differing = digest
        .iter()
        .zip(state.admin_key_hash.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if differing == 0 {
        return Ok(());
    }
    let hash = hash_token(token);
    let store = state.registry.store().clone();
    let participant = match blocking(move || store.find_token(&hash)).await? {
        Some((meeting, participant)) if meeting == meeting_id => participant,
        Some(_) => return Err(ServerError::TokenOfAnotherMeeting),
        None => return Err(ServerError::Unauthorized("this token is not valid")),
    };
    handle
        .ask(|reply| ActorMessage::MayReadRecordings { participant, reply })
        .await?
}

/// Files of one meeting (by name prefix), sorted by name: by room, then time.
fn list_files(dir: &std::path::Path, prefix: &str) -> Vec<RecordingFile> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        // Nothing was ever recorded on this server.
        return Vec::new();
    };
    let mut files: Vec<RecordingFile> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let name = entry.file_name().into_string().ok()?;
            let rest = name.strip_prefix(prefix)?.strip_suffix(".webm")?;
            let room = rest.split('_').next()?.parse().ok()?;
            let bytes = entry.metadata().ok()?.len();
            Some(RecordingFile {
                name,
                room: RoomId(room),
                bytes,
            })
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}
