//! What every endpoint shares: the server's state, admin authentication,
//! and extractors whose rejections are `{code, message}` errors.

use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};

use crate::error::ServerError;
use crate::registry::Registry;

pub struct AppState {
    pub registry: Registry,
    /// SHA-256 of the admin key; the key itself is not kept in memory.
    pub admin_key_hash: [u8; 32],
    /// Base URL put into join links, e.g. `http://192.168.1.5:7800`.
    pub public_url: String,
    /// The self-signed certificate's fingerprint, for join links to pin.
    pub link_pin: Option<breakout_protocol::fingerprint::CertFingerprint>,
    pub limits: crate::limits::Limits,
    pub rates: crate::rate::Rates,
    /// Where recorded rooms' files are (see [`crate::recordings_dir`]).
    pub recordings: std::path::PathBuf,
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
    type Rejection = ServerError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let given = bearer(&parts.headers).ok_or(ServerError::Unauthorized(
            "the admin key is required (Authorization: Bearer ...)",
        ))?;
        let digest: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        // Compare digests without an early exit.
        let differing = digest
            .iter()
            .zip(state.admin_key_hash.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differing == 0 {
            Ok(Admin)
        } else {
            Err(ServerError::Unauthorized("the admin key is not valid"))
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
    type Rejection = ServerError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ServerError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(ServerError::Unreadable {
                status: rejection.status(),
                message: rejection.body_text(),
            }),
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
    type Rejection = ServerError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ServerError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(PathParams(value)),
            Err(rejection) => Err(ServerError::Unreadable {
                status: rejection.status(),
                message: rejection.body_text(),
            }),
        }
    }
}
