//! The REST API under `/v1`, typed: administration with the admin key
//! ([`AdminApi`]), and redeeming an invite, which needs none
//! ([`join_with_invite`]).
//!
//! In a cluster any node takes these calls: a node asked about a meeting
//! another node serves answers `421 meeting_elsewhere` with the owner's URL
//! in `Location`, and the call is sent there (see [`crate::elsewhere`]).

use reqwest::{Method, RequestBuilder, Response, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use breakout_protocol::admin::IncidentList;
use breakout_protocol::fingerprint::CertFingerprint;
use breakout_protocol::rest::{
    AddParticipant, CreateInvite, CreateMeeting, Health, Invite, JoinWithInvite, MeetingInfo,
    ParticipantCreated, PresetList, RoomsOverview,
};
use breakout_protocol::{ApiError, ParticipantId, Preset};

use crate::elsewhere::{Owner, Route};
use crate::tls::Tls;
use crate::{ClientError, server_url};

/// A client for one server's admin API, authenticated by its admin key.
///
/// Cheap to clone (the HTTP connection pool is shared). The key is sent as
/// `Authorization: Bearer` and never shown by `Debug`.
#[derive(Clone)]
pub struct AdminApi {
    http: reqwest::Client,
    tls: Option<Tls>,
    base: Url,
    admin_key: String,
}

impl std::fmt::Debug for AdminApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminApi")
            .field("base", &self.base.as_str())
            .field("admin_key", &"<redacted>")
            .finish()
    }
}

impl AdminApi {
    /// `server` is the server's address, e.g. `http://127.0.0.1:7800`.
    pub fn new(server: &str, admin_key: impl Into<String>) -> Result<Self, ClientError> {
        Self::pinned(server, admin_key, None)
    }

    /// Like [`AdminApi::new`], accepting over `https://` only the
    /// certificate with fingerprint `pin`, when given.
    pub fn pinned(
        server: &str,
        admin_key: impl Into<String>,
        pin: Option<CertFingerprint>,
    ) -> Result<Self, ClientError> {
        let tls = Tls::new(pin);
        let mut api = Self::with_client(tls.http_client(), server, admin_key)?;
        api.tls = Some(tls);
        Ok(api)
    }

    /// Like [`AdminApi::new`] with a client of your own (timeouts, pool size).
    pub fn with_client(
        http: reqwest::Client,
        server: &str,
        admin_key: impl Into<String>,
    ) -> Result<Self, ClientError> {
        Ok(AdminApi {
            http,
            tls: None,
            base: server_url::http_base(server)?,
            admin_key: admin_key.into(),
        })
    }

    /// `GET /v1/health`; needs no key.
    pub async fn health(&self) -> Result<Health, ClientError> {
        let url = self.url(&["health"]);
        json(self.send(self.http.get(url)).await?).await
    }

    /// `POST /v1/meetings`.
    pub async fn create_meeting(&self, body: &CreateMeeting) -> Result<MeetingInfo, ClientError> {
        self.send_json(Method::POST, &["meetings"], Some(body))
            .await
    }

    /// `GET /v1/meetings`.
    pub async fn list_meetings(&self) -> Result<Vec<MeetingInfo>, ClientError> {
        self.send_json::<(), _>(Method::GET, &["meetings"], None)
            .await
    }

    /// `GET /v1/meetings/{id}`.
    pub async fn meeting(&self, meeting: &str) -> Result<MeetingInfo, ClientError> {
        self.send_json::<(), _>(Method::GET, &["meetings", meeting], None)
            .await
    }

    /// `DELETE /v1/meetings/{id}`.
    pub async fn delete_meeting(&self, meeting: &str) -> Result<(), ClientError> {
        self.send_empty(Method::DELETE, &["meetings", meeting])
            .await
    }

    /// `GET /v1/meetings/{id}/presets`.
    pub async fn presets(&self, meeting: &str) -> Result<PresetList, ClientError> {
        self.send_json::<(), _>(Method::GET, &["meetings", meeting, "presets"], None)
            .await
    }

    /// `POST /v1/meetings/{id}/presets`: define (or redefine) a preset.
    pub async fn define_preset(&self, meeting: &str, preset: &Preset) -> Result<(), ClientError> {
        let url = self.url(&["meetings", meeting, "presets"]);
        let response = self
            .send(self.authed(Method::POST, url).json(preset))
            .await?;
        check(response).await.map(drop)
    }

    /// `POST /v1/meetings/{id}/participants`: the answer carries the
    /// participant's token, shown only this once.
    pub async fn add_participant(
        &self,
        meeting: &str,
        body: &AddParticipant,
    ) -> Result<ParticipantCreated, ClientError> {
        self.send_json(
            Method::POST,
            &["meetings", meeting, "participants"],
            Some(body),
        )
        .await
    }

    /// `DELETE /v1/meetings/{id}/participants/{pid}`.
    pub async fn remove_participant(
        &self,
        meeting: &str,
        participant: ParticipantId,
    ) -> Result<(), ClientError> {
        let pid = participant.0.to_string();
        self.send_empty(Method::DELETE, &["meetings", meeting, "participants", &pid])
            .await
    }

    /// `GET /v1/meetings/{id}/rooms`: rooms and who is in them.
    pub async fn rooms(&self, meeting: &str) -> Result<RoomsOverview, ClientError> {
        self.send_json::<(), _>(Method::GET, &["meetings", meeting, "rooms"], None)
            .await
    }

    /// `GET /v1/admin/incidents`: what the server found wrong with its own
    /// state, such as acknowledged events lost in a crash.
    pub async fn incidents(&self) -> Result<IncidentList, ClientError> {
        self.send_json::<(), _>(Method::GET, &["admin", "incidents"], None)
            .await
    }

    /// `POST /v1/meetings/{id}/invites`: a code (and its link) anyone may
    /// join `meeting` with, as `body` says.
    pub async fn create_invite(
        &self,
        meeting: &str,
        body: &CreateInvite,
    ) -> Result<Invite, ClientError> {
        self.send_json(Method::POST, &["meetings", meeting, "invites"], Some(body))
            .await
    }

    fn url(&self, segments: &[&str]) -> Url {
        v1(&self.base, segments)
    }

    async fn send(&self, request: RequestBuilder) -> Result<Response, ClientError> {
        send(request, self.tls.as_ref()).await
    }

    fn authed(&self, method: Method, url: Url) -> RequestBuilder {
        self.http.request(method, url).bearer_auth(&self.admin_key)
    }

    async fn send_json<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let response = send_following(&self.base, self.tls.as_ref(), |base| {
            let request = self.authed(method.clone(), v1(base, segments));
            match body {
                Some(body) => request.json(body),
                None => request,
            }
        })
        .await?;
        json(response).await
    }

    async fn send_empty(&self, method: Method, segments: &[&str]) -> Result<(), ClientError> {
        let response = send_following(&self.base, self.tls.as_ref(), |base| {
            self.authed(method.clone(), v1(base, segments))
        })
        .await?;
        check(response).await.map(drop)
    }
}

/// `POST /v1/join` at `server`: redeems an invite code for a participant of
/// one's own, with its token. Needs no admin key: holding the code is
/// enough.
pub async fn join_with_invite(
    server: &str,
    body: &JoinWithInvite,
) -> Result<ParticipantCreated, ClientError> {
    join_with_invite_pinned(server, body, None).await
}

/// [`join_with_invite`], accepting over `https://` only the certificate
/// with fingerprint `pin`, when given (the join link's `fp=`).
pub async fn join_with_invite_pinned(
    server: &str,
    body: &JoinWithInvite,
    pin: Option<CertFingerprint>,
) -> Result<ParticipantCreated, ClientError> {
    let base = server_url::http_base(server)?;
    let tls = Tls::new(pin);
    let http = tls.http_client();
    let response = send_following(&base, Some(&tls), |base| {
        http.post(v1(base, &["join"])).json(body)
    })
    .await?;
    json(response).await
}

/// Sends the request `build` makes for a server's base URL, to the node
/// named by a `421` answer's `Location` while there is one, and past that
/// node once its lease ran out if it cannot be reached.
pub(crate) async fn send_following(
    base: &Url,
    tls: Option<&Tls>,
    build: impl Fn(&Url) -> RequestBuilder,
) -> Result<Response, ClientError> {
    let mut route = Route::new(base.as_str());
    loop {
        let base = server_url::http_base(route.current())?;
        match send(build(&base), tls).await {
            Ok(response) => {
                let Some(owner) =
                    Owner::from_answer(response.status().as_u16(), response.headers())
                else {
                    return Ok(response);
                };
                let to = owner.url.clone();
                if !route.follow(owner) {
                    return Ok(response);
                }
                tracing::info!(from = %base, %to, "the meeting is on another node");
            }
            Err(error) if error.is_unreachable() && route.wait_out_unreachable_owner().await => {}
            Err(error) => return Err(error),
        }
    }
}

/// Sends `request`; a certificate the pin refused is reported as such.
pub(crate) async fn send(
    request: RequestBuilder,
    tls: Option<&Tls>,
) -> Result<Response, ClientError> {
    match request.send().await {
        Ok(response) => Ok(response),
        Err(error) => {
            let error = ClientError::Http(error);
            Err(match tls {
                Some(tls) => tls.explain(error),
                None => error,
            })
        }
    }
}

/// `base/v1/<segments>`, each segment percent-encoded so an id can never
/// reach another path.
pub(crate) fn v1(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.path_segments_mut()
        .expect("http URLs have a path")
        .pop_if_empty()
        .push("v1")
        .extend(segments);
    url
}

/// The response if its status is a success; otherwise the server's error.
async fn check(response: Response) -> Result<Response, ClientError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await?;
    Err(error_from_body(status.as_u16(), &body))
}

pub(crate) async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    let bytes = check(response).await?.bytes().await?;
    serde_json::from_slice(&bytes).map_err(|source| ClientError::Decode {
        what: std::any::type_name::<T>(),
        source,
    })
}

/// Maps an error status and its body to [`ClientError::Api`] when the body
/// is an [`ApiError`], else to [`ClientError::Status`]. Shared with the
/// WebSocket handshake, whose refusals carry the same body.
pub(crate) fn error_from_body(status: u16, body: &str) -> ClientError {
    match serde_json::from_str::<ApiError>(body) {
        Ok(error) => ClientError::Api {
            status: Some(status),
            error,
        },
        Err(_) => ClientError::Status {
            status,
            body: body.chars().take(512).collect(),
        },
    }
}
