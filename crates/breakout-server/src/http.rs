//! The HTTP edge: router, admin authentication, errors as `{code, message}`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use breakout_protocol::ApiError;
use sha2::{Digest, Sha256};

use crate::registry::Registry;

pub struct AppState {
    pub registry: Registry,
    /// SHA-256 of the admin key; the key itself is not kept in memory.
    pub admin_key_hash: [u8; 32],
    /// Base URL put into join links, e.g. `http://192.168.1.5:7800`.
    pub public_url: String,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(crate::rest::routes())
        .merge(crate::rest_csv::routes())
        .route(breakout_protocol::WS_PATH, get(crate::ws::upgrade))
        .route("/v1/openapi.json", get(crate::rest::openapi_json))
        .fallback(not_found)
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1024 * 1024))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> HttpError {
    HttpError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// An error response: a status plus the usual `{code, message}` body.
#[derive(Debug)]
pub struct HttpError {
    pub status: StatusCode,
    pub error: ApiError,
}

impl HttpError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        HttpError {
            status,
            error: ApiError::new(code, message),
        }
    }

    pub fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
}

impl From<ApiError> for HttpError {
    fn from(error: ApiError) -> Self {
        let status = match error.code.as_str() {
            "meeting_not_found" | "unknown_participant" | "room_not_found" | "not_found" => {
                StatusCode::NOT_FOUND
            }
            "permission_denied" => StatusCode::FORBIDDEN,
            "unauthorized" => StatusCode::UNAUTHORIZED,
            "duplicate_participant" | "not_while_running" | "closing" => StatusCode::CONFLICT,
            "storage_failed" | "internal" => StatusCode::INTERNAL_SERVER_ERROR,
            "meeting_gone" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        HttpError { status, error }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        (self.status, Json(self.error)).into_response()
    }
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Proof that the request carried the admin key; take it as an extractor.
pub struct Admin;

impl axum::extract::FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let given = bearer(&parts.headers).ok_or_else(|| {
            HttpError::unauthorized("the admin key is required (Authorization: Bearer ...)")
        })?;
        let digest: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        // Compare digests without an early exit.
        let differing = digest
            .iter()
            .zip(state.admin_key_hash.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differing == 0 {
            Ok(Admin)
        } else {
            Err(HttpError::unauthorized("the admin key is not valid"))
        }
    }
}

pub fn hash_admin_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// `axum::Json`, but a body that does not parse is answered with the usual
/// `{code, message}` error instead of plain text.
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, HttpError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(HttpError::new(
                rejection.status(),
                "bad_request",
                rejection.body_text(),
            )),
        }
    }
}

/// `axum::extract::Path` with `{code, message}` errors.
pub struct PathParams<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for PathParams<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, HttpError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(PathParams(value)),
            Err(rejection) => Err(HttpError::new(
                rejection.status(),
                "bad_request",
                rejection.body_text(),
            )),
        }
    }
}
