//! REST administration under `/v1`, documented by `/v1/openapi.json`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use breakout_core::{Actor, Command, ParticipantId, Preset};
use breakout_protocol::ApiError;
use breakout_protocol::link::{JoinLink, JoinPass};
use breakout_protocol::rest::{
    AddParticipant, Admission, CreateInvite, CreateMeeting, Health, Invite, JoinWithInvite,
    MeetingInfo, ParticipantCreated, PresetList, RoomsOverview, SetAdmission,
};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::actor::{ActorMessage, MeetingHandle};
use crate::error::ServerError;
use crate::http::{Admin, AppState, JsonBody, PathParams};
use crate::join_page::JoinPageDoc;
use crate::ops::OpsDoc;
use crate::registry::blocking;
use crate::rest_cluster::ClusterErrors;
use crate::rest_csv::CsvApiDoc;
use crate::rest_recordings::RecordingsApiDoc;
use crate::store::{InviteUse, NewInvite, hash_token, new_token};

type Result<T> = std::result::Result<T, ServerError>;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/meetings", post(create_meeting).get(list_meetings))
        .route("/v1/meetings/{id}", get(get_meeting).delete(delete_meeting))
        .route(
            "/v1/meetings/{id}/presets",
            get(list_presets).post(create_preset),
        )
        .route("/v1/meetings/{id}/participants", post(add_participant))
        .route(
            "/v1/meetings/{id}/participants/{participant}",
            delete(remove_participant),
        )
        .route("/v1/meetings/{id}/rooms", get(rooms))
        .route("/v1/meetings/{id}/invites", post(create_invite))
        .route(
            "/v1/meetings/{id}/admission",
            get(get_admission).patch(set_admission),
        )
        .route("/v1/join", post(join))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Breakout room server", description = "Administration of meetings, participants and presets. Participants then connect to /v1/ws with their token."),
    paths(health, create_meeting, list_meetings, get_meeting, delete_meeting, list_presets, create_preset, add_participant, remove_participant, rooms, create_invite, join, get_admission, set_admission),
    components(schemas(ApiError, CreateMeeting, MeetingInfo, AddParticipant, ParticipantCreated, PresetList, RoomsOverview, Health, CreateInvite, Invite, JoinWithInvite, Admission, SetAdmission)),
    nest((path = "/v1/admin", api = crate::admin::AdminDoc)),
    modifiers(&AdminKeyScheme, &CsvApiDoc, &RecordingsApiDoc, &OpsDoc, &JoinPageDoc, &JsonBodyErrors, &ClusterErrors),
    security(("admin_key" = []))
)]
pub struct ApiDoc;

struct AdminKeyScheme;

impl utoipa::Modify for AdminKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every JSON request body can be refused before the handler runs: 422 when
/// it is well-formed JSON of the wrong shape, 415 when it is not declared as
/// JSON. Documented once here for every operation that takes one.
struct JsonBodyErrors;

impl utoipa::Modify for JsonBodyErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ApiError")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let takes_json = operation
                    .request_body
                    .as_ref()
                    .is_some_and(|body| body.content.contains_key("application/json"));
                if !takes_json {
                    continue;
                }
                let responses = &mut operation.responses.responses;
                responses
                    .entry("422".into())
                    .or_insert_with(|| error("the body is JSON of the wrong shape").into());
                responses
                    .entry("415".into())
                    .or_insert_with(|| error("the body is not declared as JSON").into());
            }
        }
    }
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[utoipa::path(get, path = "/v1/health", security(()), responses((status = 200, body = Health)))]
async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

#[utoipa::path(post, path = "/v1/meetings", request_body = CreateMeeting,
    responses((status = 201, body = MeetingInfo), (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 503, description = "The server is draining before it stops and takes no new meetings", body = ApiError)))]
async fn create_meeting(
    _: Admin,
    State(state): State<Arc<AppState>>,
    JsonBody(body): JsonBody<CreateMeeting>,
) -> Result<(StatusCode, Json<MeetingInfo>)> {
    let info = state.registry.create(body.title, body.config).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

#[utoipa::path(get, path = "/v1/meetings",
    responses((status = 200, body = Vec<MeetingInfo>), (status = 401, body = ApiError)))]
/// Every meeting, oldest first. On a cluster node, those of every node:
/// another node's meetings with the participants and phase that node last
/// reported (every 2 s).
async fn list_meetings(
    _: Admin,
    State(state): State<Arc<AppState>>,
) -> Result<Json<Vec<MeetingInfo>>> {
    let mut all = Vec::new();
    for id in state.registry.ids() {
        // A meeting deleted meanwhile is simply not listed.
        if let Ok(handle) = state.registry.get(&id)
            && let Ok(meeting) = info(&handle).await
        {
            all.push(meeting);
        }
    }
    // One address for the whole cluster: the other nodes' meetings too.
    all.extend(state.registry.peers_meetings().await?);
    all.sort_by_key(|m| m.created_at);
    Ok(Json(all))
}

#[utoipa::path(get, path = "/v1/meetings/{id}", params(("id" = String, Path)),
    responses((status = 200, body = MeetingInfo), (status = 404, body = ApiError)))]
async fn get_meeting(
    _: Admin,
    State(state): State<Arc<AppState>>,
    PathParams(id): PathParams<String>,
) -> Result<Json<MeetingInfo>> {
    Ok(Json(info(&state.registry.find(&id).await?).await?))
}

#[utoipa::path(delete, path = "/v1/meetings/{id}", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ApiError)))]
async fn delete_meeting(
    _: Admin,
    State(state): State<Arc<AppState>>,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode> {
    state.registry.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/meetings/{id}/presets", params(("id" = String, Path)),
    responses((status = 200, body = PresetList), (status = 404, body = ApiError)))]
async fn list_presets(
    _: Admin,
    State(state): State<Arc<AppState>>,
    PathParams(id): PathParams<String>,
) -> Result<Json<PresetList>> {
    let handle = state.registry.find(&id).await?;
    let presets = handle.ask(|reply| ActorMessage::Presets { reply }).await?;
    Ok(Json(PresetList { presets }))
}

#[utoipa::path(post, path = "/v1/meetings/{id}/presets", params(("id" = String, Path)),
    request_body(content = Object, description = "A preset: {name, role, permissions}"),
    responses((status = 201), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn create_preset(
    _: Admin,
    State(state): State<Arc<AppState>>,
    PathParams(id): PathParams<String>,
    JsonBody(preset): JsonBody<Preset>,
) -> Result<StatusCode> {
    let handle = state.registry.find(&id).await?;
    handle
        .command(Actor::System, Command::DefinePreset { preset })
        .await?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(post, path = "/v1/meetings/{id}/participants", params(("id" = String, Path)),
    request_body = AddParticipant,
    responses((status = 201, body = ParticipantCreated), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn add_participant(
    _: Admin,
    State(state): State<Arc<AppState>>,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<AddParticipant>,
) -> Result<(StatusCode, Json<ParticipantCreated>)> {
    let created = admit(&state, &id, body.name, body.email, body.preset, By::Admin).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Ten years: longer is "never", which leaving the field out says.
const MAX_INVITE_LIFETIME_SECS: u64 = 10 * 365 * 24 * 3600;

#[utoipa::path(post, path = "/v1/meetings/{id}/invites", params(("id" = String, Path)),
    request_body = CreateInvite,
    responses((status = 201, body = Invite), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn create_invite(
    _: Admin,
    State(state): State<Arc<AppState>>,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<CreateInvite>,
) -> Result<(StatusCode, Json<Invite>)> {
    let handle = state.registry.find(&id).await?;
    let preset = body.preset.clone();
    handle
        .ask(|reply| ActorMessage::CheckPreset { preset, reply })
        .await??;
    if body.max_uses == Some(0) {
        return Err(ServerError::InvalidInput("max_uses must be at least 1"));
    }
    let created_at = crate::clock::now().0;
    let expires_at = match body.expires_in_secs {
        None => None,
        Some(0) => {
            return Err(ServerError::InvalidInput(
                "expires_in_secs must be at least 1",
            ));
        }
        Some(secs) if secs > MAX_INVITE_LIFETIME_SECS => {
            return Err(ServerError::InvalidInput(
                "expires_in_secs must be at most 315360000 (ten years)",
            ));
        }
        Some(secs) => Some(created_at.saturating_add(secs.saturating_mul(1000))),
    };
    let code = new_invite_code();
    let hash = hash_token(&code);
    let store = state.registry.store().clone();
    let max_uses = body.max_uses;
    blocking(move || {
        let invite = NewInvite {
            meeting: &id,
            preset: &body.preset,
            created_at,
            max_uses,
            expires_at,
        };
        store.add_invite(&hash, &invite)
    })
    .await?;
    let link = JoinLink::invite(state.public_url.as_str(), code.as_str())
        .pinned(state.link_pin)
        .to_string();
    let web_link = crate::join_page::web_link(
        &state.public_url,
        JoinPass::Invite(code.clone()),
        state.link_pin,
    );
    let invite = Invite {
        code,
        link,
        web_link,
        max_uses,
        expires_at,
    };
    Ok((StatusCode::CREATED, Json(invite)))
}

#[utoipa::path(post, path = "/v1/join", request_body = JoinWithInvite, security(()),
    responses((status = 201, body = ParticipantCreated), (status = 400, body = ApiError),
        (status = 403, body = ApiError, description = "invalid_invite, meeting_locked"),
        (status = 409, body = ApiError, description = "meeting_full"),
        (status = 410, body = ApiError, description = "invite_exhausted, invite_expired"),
        (status = 429, body = ApiError, description = "rate_limited")))]
async fn join(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<JoinWithInvite>,
) -> Result<(StatusCode, Json<ParticipantCreated>)> {
    // Per address first: it also slows down guessing codes.
    if !state.rates.address_joins.allow(peer.ip()) {
        return Err(rate_limited(
            "too many joins from your address; try again in a minute",
        ));
    }
    let hash = hash_token(body.code.trim());
    if !state.rates.invite_joins.allow(hash) {
        return Err(rate_limited(
            "too many people are joining with this invite right now; try again in a minute",
        ));
    }
    let store = state.registry.store().clone();
    let now = crate::clock::now().0;
    let (meeting, preset) = match blocking(move || store.use_invite(&hash, now)).await? {
        InviteUse::Granted { meeting, preset } => (meeting, preset),
        InviteUse::NotFound => return Err(ServerError::InvalidInvite),
        InviteUse::Exhausted => return Err(ServerError::InviteExhausted),
        InviteUse::Expired => return Err(ServerError::InviteExpired),
    };
    match admit(&state, &meeting, body.name, body.email, preset, By::Invite).await {
        Ok(created) => Ok((StatusCode::CREATED, Json(created))),
        Err(error) => {
            // Nobody joined, so the use is not spent.
            let store = state.registry.store().clone();
            if let Err(error) = blocking(move || store.return_invite_use(&hash)).await {
                tracing::warn!(?error, "could not give back an invite use");
            }
            Err(error)
        }
    }
}

fn rate_limited(message: &'static str) -> ServerError {
    ServerError::RateLimited(message)
}

#[utoipa::path(get, path = "/v1/meetings/{id}/admission", params(("id" = String, Path)),
    responses((status = 200, body = Admission), (status = 404, body = ApiError)))]
async fn get_admission(
    _: Admin,
    State(state): State<Arc<AppState>>,
    PathParams(id): PathParams<String>,
) -> Result<Json<Admission>> {
    let handle = state.registry.find(&id).await?;
    Ok(Json(
        handle
            .ask(|reply| ActorMessage::Admission { reply })
            .await?,
    ))
}

#[utoipa::path(patch, path = "/v1/meetings/{id}/admission", params(("id" = String, Path)),
    request_body = SetAdmission,
    responses((status = 200, body = Admission), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
async fn set_admission(
    _: Admin,
    State(state): State<Arc<AppState>>,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<SetAdmission>,
) -> Result<Json<Admission>> {
    let handle = state.registry.find(&id).await?;
    if let Some(capacity) = body.capacity {
        handle
            .command(Actor::System, Command::SetCapacity { capacity })
            .await?;
    }
    if let Some(locked) = body.locked {
        handle
            .command(Actor::System, Command::SetLocked { locked })
            .await?;
    }
    Ok(Json(
        handle
            .ask(|reply| ActorMessage::Admission { reply })
            .await?,
    ))
}

/// Who is letting a person in: an administrator, or the person with an invite.
#[derive(Clone, Copy)]
enum By {
    Admin,
    Invite,
}

/// Adds a person to a meeting and issues their token.
async fn admit(
    state: &AppState,
    id: &str,
    name: String,
    email: Option<String>,
    preset: String,
    by: By,
) -> Result<ParticipantCreated> {
    let handle = state.registry.find(id).await?;
    let store = state.registry.store().clone();
    let meeting = id.to_string();
    let participant = blocking(move || store.next_participant_id(&meeting)).await?;
    let preset_name = preset.clone();
    let command = match by {
        By::Admin => Command::AddParticipant {
            participant,
            name,
            email,
            preset: preset_name,
        },
        By::Invite => Command::JoinByInvite {
            participant,
            name,
            email,
            preset: preset_name,
        },
    };
    handle.command(Actor::System, command).await?;
    let token = new_token();
    let hash = hash_token(&token);
    let store = state.registry.store().clone();
    let meeting = id.to_string();
    blocking(move || store.add_token(&hash, &meeting, participant, &preset)).await?;
    let join_link = JoinLink::token(state.public_url.as_str(), token.as_str())
        .pinned(state.link_pin)
        .to_string();
    Ok(ParticipantCreated {
        participant,
        token,
        join_link,
    })
}

/// 12 characters from an alphabet without look-alikes (~62 bits), grouped
/// in fours so it can be read out loud.
fn new_invite_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[utoipa::path(delete, path = "/v1/meetings/{id}/participants/{participant}",
    params(("id" = String, Path), ("participant" = u64, Path)),
    responses((status = 204), (status = 404, body = ApiError)))]
async fn remove_participant(
    _: Admin,
    State(state): State<Arc<AppState>>,
    PathParams((id, participant)): PathParams<(String, u64)>,
) -> Result<StatusCode> {
    let handle = state.registry.find(&id).await?;
    let participant = ParticipantId(participant);
    handle
        .command(Actor::System, Command::RemoveParticipant { participant })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/meetings/{id}/rooms", params(("id" = String, Path)),
    responses((status = 200, body = RoomsOverview), (status = 404, body = ApiError)))]
async fn rooms(
    _: Admin,
    State(state): State<Arc<AppState>>,
    PathParams(id): PathParams<String>,
) -> Result<Json<RoomsOverview>> {
    let handle = state.registry.find(&id).await?;
    Ok(Json(
        handle.ask(|reply| ActorMessage::Overview { reply }).await?,
    ))
}

async fn info(handle: &MeetingHandle) -> Result<MeetingInfo> {
    handle.ask(|reply| ActorMessage::Info { reply }).await
}
