//! `AdminApi` against a small fake of the REST surface on `127.0.0.1:0`:
//! paths, methods, the bearer key, success bodies and error mapping.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use breakout_client::protocol::rest::{
    AddParticipant, CreateInvite, CreateMeeting, Health, Invite, JoinWithInvite, MeetingInfo,
    ParticipantCreated, PresetList, RoomsOverview,
};
use breakout_client::protocol::{ApiError, ParticipantId, Phase, Preset};
use breakout_client::{AdminApi, ClientError, join_with_invite};

const KEY: &str = "admin-key";

fn info(id: &str) -> MeetingInfo {
    MeetingInfo {
        id: id.into(),
        title: "Standup".into(),
        created_at: 1,
        participant_count: 0,
        phase: Phase::Idle,
        node: None,
        node_url: None,
    }
}

fn refuse(status: StatusCode, code: &str) -> Response {
    (
        status,
        Json(ApiError::new(code, format!("refused: {code}"))),
    )
        .into_response()
}

/// Every admin route demands the key, as the real server does.
#[allow(clippy::result_large_err)] // axum handlers return responses by value
fn authorised(headers: &HeaderMap) -> Result<(), Response> {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok());
    if bearer == Some(&format!("Bearer {KEY}")) {
        Ok(())
    } else {
        Err(refuse(StatusCode::UNAUTHORIZED, "unauthorized"))
    }
}

async fn serve() -> String {
    let app = Router::new()
        .route(
            "/v1/health",
            get(|| async {
                Json(Health {
                    status: "ok".into(),
                    version: "0".into(),
                })
            }),
        )
        .route(
            "/v1/meetings",
            post(|h: HeaderMap, Json(body): Json<CreateMeeting>| async move {
                authorised(&h)?;
                let mut created = info("m1");
                created.title = body.title;
                Ok::<_, Response>((StatusCode::CREATED, Json(created)))
            })
            .get(|h: HeaderMap| async move {
                authorised(&h)?;
                Ok::<_, Response>(Json(vec![info("m1")]))
            }),
        )
        .route(
            "/v1/meetings/{id}",
            get(|h: HeaderMap, Path(id): Path<String>| async move {
                authorised(&h)?;
                match id.as_str() {
                    "m1" | "x/rooms" => Ok(Json(info(&id))),
                    _ => Err(refuse(StatusCode::NOT_FOUND, "meeting_not_found")),
                }
            })
            .delete(|h: HeaderMap| async move {
                authorised(&h)?;
                Ok::<_, Response>(StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/v1/meetings/{id}/presets",
            get(|h: HeaderMap| async move {
                authorised(&h)?;
                let presets = Preset::builtin();
                Ok::<_, Response>(Json(PresetList { presets }))
            })
            .post(|h: HeaderMap, Json(p): Json<Preset>| async move {
                authorised(&h)?;
                Ok::<_, Response>((StatusCode::CREATED, Json(p)))
            }),
        )
        .route(
            "/v1/meetings/{id}/participants",
            post(
                |h: HeaderMap, Json(body): Json<AddParticipant>| async move {
                    authorised(&h)?;
                    if body.preset == "nope" {
                        return Err(refuse(StatusCode::BAD_REQUEST, "unknown_preset"));
                    }
                    Ok((
                        StatusCode::CREATED,
                        Json(ParticipantCreated {
                            participant: ParticipantId(7),
                            token: "tok".into(),
                            join_link: "breakout://join?x".into(),
                        }),
                    ))
                },
            ),
        )
        .route(
            "/v1/meetings/{id}/participants/{pid}",
            delete(
                |h: HeaderMap, Path((_, pid)): Path<(String, u64)>| async move {
                    authorised(&h)?;
                    assert_eq!(pid, 7);
                    Ok::<_, Response>(StatusCode::NO_CONTENT)
                },
            ),
        )
        .route(
            "/v1/meetings/{id}/invites",
            post(
                |h: HeaderMap, Path(id): Path<String>, Json(body): Json<CreateInvite>| async move {
                    authorised(&h)?;
                    let code = format!("{id}-{}", body.preset);
                    let link = format!("breakout://join?code={code}");
                    let invite = Invite {
                        code,
                        link,
                        web_link: String::new(),
                        max_uses: body.max_uses,
                        expires_at: None,
                    };
                    Ok::<_, Response>((StatusCode::CREATED, Json(invite)))
                },
            ),
        )
        // Redeeming an invite needs no key: a header would be a leak.
        .route(
            "/v1/join",
            post(
                |h: HeaderMap, Json(body): Json<JoinWithInvite>| async move {
                    assert!(h.get("authorization").is_none());
                    if body.code != "m1-participant" {
                        return Err(refuse(StatusCode::FORBIDDEN, "invalid_invite"));
                    }
                    Ok((
                        StatusCode::CREATED,
                        Json(ParticipantCreated {
                            participant: ParticipantId(8),
                            token: format!("tok-{}", body.name),
                            join_link: "breakout://join?token=t".into(),
                        }),
                    ))
                },
            ),
        )
        .route(
            "/v1/meetings/{id}/rooms",
            get(|h: HeaderMap, Path(id): Path<String>| async move {
                authorised(&h)?;
                if id == "broken" {
                    return Err((StatusCode::BAD_GATEWAY, "upstream down").into_response());
                }
                Ok(Json(RoomsOverview {
                    meeting: id,
                    phase: Phase::Idle,
                    rooms: Vec::new(),
                }))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn every_endpoint_round_trips() {
    let api = AdminApi::new(&serve().await, KEY).unwrap();
    assert_eq!(api.health().await.unwrap().status, "ok");
    let body = CreateMeeting {
        title: "Retro".into(),
        config: None,
    };
    assert_eq!(api.create_meeting(&body).await.unwrap().title, "Retro");
    assert_eq!(api.list_meetings().await.unwrap(), vec![info("m1")]);
    assert_eq!(api.meeting("m1").await.unwrap(), info("m1"));
    api.delete_meeting("m1").await.unwrap();
    assert_eq!(api.presets("m1").await.unwrap().presets.len(), 4);
    api.define_preset("m1", &Preset::cohost()).await.unwrap();
    let added = AddParticipant {
        name: "Ana".into(),
        email: None,
        preset: "participant".into(),
    };
    let created = api.add_participant("m1", &added).await.unwrap();
    assert_eq!(created.participant, ParticipantId(7));
    api.remove_participant("m1", created.participant)
        .await
        .unwrap();
    assert_eq!(api.rooms("m1").await.unwrap().meeting, "m1");
}

#[tokio::test]
async fn invites_are_made_with_the_key_and_redeemed_without() {
    let url = serve().await;
    let api = AdminApi::new(&url, KEY).unwrap();
    let body = CreateInvite {
        preset: "participant".into(),
        max_uses: Some(3),
        expires_in_secs: None,
    };
    let invite = api.create_invite("m1", &body).await.unwrap();
    assert_eq!(invite.code, "m1-participant");
    let wrong_key = AdminApi::new(&url, "guess").unwrap();
    let err = wrong_key.create_invite("m1", &body).await.unwrap_err();
    assert_eq!(err.code(), Some("unauthorized"));

    let mut join = JoinWithInvite {
        code: invite.code,
        name: "Ana".into(),
        email: None,
    };
    let created = join_with_invite(&url, &join).await.unwrap();
    assert_eq!(
        (created.participant, created.token.as_str()),
        (ParticipantId(8), "tok-Ana")
    );
    join.code = "stale".into();
    let err = join_with_invite(&url, &join).await.unwrap_err();
    assert_eq!(err.code(), Some("invalid_invite"));
    assert!(
        matches!(
            err,
            ClientError::Api {
                status: Some(403),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn refusals_carry_status_code_and_message() {
    let url = serve().await;
    let api = AdminApi::new(&url, KEY).unwrap();
    let err = api.meeting("m2").await.unwrap_err();
    assert_eq!(err.code(), Some("meeting_not_found"));
    assert!(matches!(
        err,
        ClientError::Api {
            status: Some(404),
            ..
        }
    ));
    let bad = AddParticipant {
        name: "Bo".into(),
        email: None,
        preset: "nope".into(),
    };
    let err = api.add_participant("m1", &bad).await.unwrap_err();
    assert_eq!(err.api_error().unwrap().message, "refused: unknown_preset");

    let wrong_key = AdminApi::new(&url, "guess").unwrap();
    let err = wrong_key.list_meetings().await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Api {
                status: Some(401),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_body_that_is_not_an_api_error_keeps_its_status() {
    let api = AdminApi::new(&serve().await, KEY).unwrap();
    let err = api.rooms("broken").await.unwrap_err();
    match err {
        ClientError::Status { status, body } => {
            assert_eq!((status, body.as_str()), (502, "upstream down"));
        }
        other => panic!("expected a bare status, got {other:?}"),
    }
}

#[tokio::test]
async fn ids_are_one_path_segment() {
    let api = AdminApi::new(&serve().await, KEY).unwrap();
    // Encoded, "x/rooms" names a meeting; it does not reach the rooms route.
    assert_eq!(api.meeting("x/rooms").await.unwrap().id, "x/rooms");
}

#[tokio::test]
async fn the_key_is_not_in_debug_output() {
    let api = AdminApi::new("http://127.0.0.1:1", "very-secret").unwrap();
    let shown = format!("{api:?}");
    assert!(!shown.contains("very-secret"), "{shown}");
}

#[tokio::test]
async fn an_absent_server_is_a_transient_transport_error() {
    // Port 1 on localhost: nothing listens, so the connection is refused.
    let api = AdminApi::new("http://127.0.0.1:1", KEY).unwrap();
    let err = api.health().await.unwrap_err();
    assert!(matches!(err, ClientError::Http(_)), "{err:?}");
    assert!(err.is_transient());
}
