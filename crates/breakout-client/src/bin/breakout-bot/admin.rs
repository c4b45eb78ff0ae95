//! `admin`: one REST call, its JSON answer on stdout.

use std::process::ExitCode;

use anyhow::Context;
use breakout_client::AdminApi;
use breakout_client::protocol::fingerprint::CertFingerprint;
use breakout_client::protocol::rest::{AddParticipant, CreateMeeting};
use breakout_client::protocol::{BreakoutConfig, ParticipantId, Preset};
use clap::Subcommand;

use crate::join::print_line;

#[derive(Subcommand)]
pub enum Call {
    /// Create a meeting.
    CreateMeeting {
        #[arg(long)]
        title: String,
        /// Breakout settings as JSON (BreakoutConfig); defaults otherwise.
        #[arg(long, value_name = "JSON")]
        config: Option<String>,
    },
    /// Add a participant; prints its id, token and join link.
    AddParticipant {
        #[arg(long)]
        meeting: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        /// host, cohost, presenter, participant, or one defined for the meeting.
        #[arg(long)]
        preset: String,
    },
    /// Remove a participant.
    RemoveParticipant {
        #[arg(long)]
        meeting: String,
        #[arg(long)]
        participant: u64,
    },
    /// Rooms and their members.
    Rooms {
        #[arg(long)]
        meeting: String,
    },
    /// All meetings.
    List,
    /// One meeting.
    Get {
        #[arg(long)]
        meeting: String,
    },
    /// Delete a meeting.
    Delete {
        #[arg(long)]
        meeting: String,
    },
    /// The meeting's presets.
    Presets {
        #[arg(long)]
        meeting: String,
    },
    /// Define a preset from JSON (Preset).
    DefinePreset {
        #[arg(long)]
        meeting: String,
        #[arg(value_name = "JSON")]
        preset: String,
    },
    /// Whether the server is up (needs no key).
    Health,
}

/// Runs one call. Calls that answer 204 print nothing.
pub async fn run(
    server: &str,
    pin: Option<CertFingerprint>,
    admin_key: Option<&str>,
    call: Call,
) -> anyhow::Result<ExitCode> {
    let admin_key = match (admin_key, &call) {
        (Some(key), _) => key,
        (None, Call::Health) => "",
        (None, _) => anyhow::bail!("--admin-key (or BREAKOUT_ADMIN_KEY) is required"),
    };
    let api = AdminApi::pinned(server, admin_key, pin)?;
    match call {
        Call::CreateMeeting { title, config } => {
            let config = config
                .map(|json| serde_json::from_str::<BreakoutConfig>(&json))
                .transpose()
                .context("--config is not a BreakoutConfig")?;
            print_line(&api.create_meeting(&CreateMeeting { title, config }).await?)?;
        }
        Call::AddParticipant {
            meeting,
            name,
            email,
            preset,
        } => {
            let body = AddParticipant {
                name,
                email,
                preset,
            };
            print_line(&api.add_participant(&meeting, &body).await?)?;
        }
        Call::RemoveParticipant {
            meeting,
            participant,
        } => {
            api.remove_participant(&meeting, ParticipantId(participant))
                .await?
        }
        Call::Rooms { meeting } => print_line(&api.rooms(&meeting).await?)?,
        Call::List => print_line(&api.list_meetings().await?)?,
        Call::Get { meeting } => print_line(&api.meeting(&meeting).await?)?,
        Call::Delete { meeting } => api.delete_meeting(&meeting).await?,
        Call::Presets { meeting } => print_line(&api.presets(&meeting).await?)?,
        Call::DefinePreset { meeting, preset } => {
            let preset: Preset = serde_json::from_str(&preset).context("not a Preset")?;
            api.define_preset(&meeting, &preset).await?
        }
        Call::Health => print_line(&api.health().await?)?,
    }
    Ok(ExitCode::SUCCESS)
}
