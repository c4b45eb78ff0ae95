//! The HTTP edge: every endpoint under one router, and `{code, message}`
//! answers for paths and methods it does not serve.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::error::ServerError;
use crate::http::AppState;

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(crate::rest::routes())
        .merge(crate::admin::routes())
        .merge(crate::rest_csv::routes())
        .merge(crate::rest_recordings::routes())
        .merge(crate::ops::routes())
        .merge(crate::join_page::routes())
        .route(breakout_protocol::WS_PATH, get(crate::ws::upgrade))
        .route(
            breakout_protocol::MEDIA_TUNNEL_PATH,
            get(crate::tunnel::upgrade),
        )
        .route("/v1/openapi.json", get(crate::rest::openapi_json))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1024 * 1024))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(crate::redact::request_span::<axum::body::Body>),
        )
        .with_state(state)
}

async fn not_found() -> ServerError {
    ServerError::NoSuchEndpoint
}

async fn method_not_allowed() -> ServerError {
    ServerError::MethodNotAllowed
}
