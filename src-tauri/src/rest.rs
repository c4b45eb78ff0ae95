//! The two REST calls breakout-client's `AdminApi` does not cover yet:
//! creating an invite (admin) and redeeming one (`POST /v1/join`, no key).
//! Errors are read exactly as the client reads them: an `ApiError` body
//! keeps its code and sentence.

use breakout_client::protocol::ApiError;
use breakout_client::protocol::rest::{CreateInvite, Invite, JoinWithInvite, ParticipantCreated};
use breakout_client::{ClientError, server_url};
use reqwest::{Response, Url};
use serde::de::DeserializeOwned;

/// `POST /v1/meetings/{id}/invites`: a code anyone may join `meeting` with,
/// as a participant.
pub async fn create_invite(
    http: &reqwest::Client,
    server: &str,
    admin_key: &str,
    meeting: &str,
) -> Result<Invite, ClientError> {
    let url = v1(server, &["meetings", meeting, "invites"])?;
    let body = CreateInvite {
        preset: "participant".into(),
        max_uses: None,
        expires_in_secs: None,
    };
    let response = http
        .post(url)
        .bearer_auth(admin_key)
        .json(&body)
        .send()
        .await?;
    json(response).await
}

/// `POST /v1/join`: redeems `code` for a participant and its token.
pub async fn join(
    http: &reqwest::Client,
    server: &str,
    code: &str,
    name: &str,
) -> Result<ParticipantCreated, ClientError> {
    let url = v1(server, &["join"])?;
    let body = JoinWithInvite {
        code: code.to_string(),
        name: name.to_string(),
        email: None,
    };
    json(http.post(url).json(&body).send().await?).await
}

fn v1(server: &str, segments: &[&str]) -> Result<Url, ClientError> {
    let mut url = server_url::http_base(server)?;
    url.path_segments_mut()
        .map_err(|()| ClientError::InvalidUrl {
            url: server.to_string(),
            reason: "not a base URL".into(),
        })?
        .pop_if_empty()
        .push("v1")
        .extend(segments);
    Ok(url)
}

async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    let status = response.status();
    let bytes = response.bytes().await?;
    if !status.is_success() {
        let body = String::from_utf8_lossy(&bytes);
        return Err(match serde_json::from_str::<ApiError>(&body) {
            Ok(error) => ClientError::Api {
                status: Some(status.as_u16()),
                error,
            },
            Err(_) => ClientError::Status {
                status: status.as_u16(),
                body: body.chars().take(512).collect(),
            },
        });
    }
    serde_json::from_slice(&bytes).map_err(|source| ClientError::Decode {
        what: std::any::type_name::<T>(),
        source,
    })
}
