//! The Tauri commands of ui/src/lib/ipc.ts, one small function each:
//! decode the arguments, call the shell or the meeting link, map the answer.
//! Argument names are snake_case on both sides (`rename_all`).

use std::sync::Arc;

use breakout_client::ClientView;
use breakout_client::media::{ScreenSource, ScreenTarget};
use breakout_client::protocol::rest::CsvPreview;
use breakout_client::protocol::ws::{Reply, Request};
use breakout_client::protocol::{ChatMessage, Command, MeetingView, RoomId};
use tauri::{AppHandle, Manager, Runtime, State};

use crate::ipc::{DeviceKind, Devices, Joined, MediaStatus};
use crate::meeting::Change;
use crate::memory::{self, StartMemory};
use crate::shell::Shell;
use crate::{IpcError, devices, events, windows};

#[tauri::command(rename_all = "snake_case")]
pub async fn host_meeting<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    title: String,
    name: String,
) -> Result<Joined, IpcError> {
    let data_dir = app
        .path()
        .app_data_dir()
        .map_err(|e| {
            IpcError::new(
                "no_data_dir",
                format!("No place to keep meeting data: {e}."),
            )
        })?
        .join("server");
    shell
        .host(data_dir, &title, &name, Arc::new(events::AppSink::new(app)))
        .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn join_meeting<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    server_url: String,
    invite_code: String,
    name: String,
) -> Result<Joined, IpcError> {
    shell
        .join(
            &server_url,
            &invite_code,
            &name,
            Arc::new(events::AppSink::new(app)),
        )
        .await
}

/// `set_media` goes through the media engine when it runs, so what is sent
/// and what the meeting shows stay the same.
#[tauri::command(rename_all = "snake_case")]
pub async fn send_command(shell: State<'_, Shell>, command: Command) -> Result<(), IpcError> {
    let active = shell.active().await?;
    match command {
        Command::SetMedia { mic, camera } => return active.link.set_media(mic, camera).await,
        Command::SpeakToAll { active: on } => return active.link.speak_to_all(on).await,
        Command::ShareScreen { active: false } => return active.link.stop_sharing().await,
        Command::ShareScreen { active: true } => {
            return Err(IpcError::new(
                "invalid_input",
                "Pick a screen or window to share (share_screen).",
            ));
        }
        _ => {}
    }
    active.link.request(Request::Command { command }).await?;
    Ok(())
}

/// Switches the mic and/or camera (`null`: leave as is): capture stops or
/// resumes and the meeting is told, so the state survives room moves.
#[tauri::command(rename_all = "snake_case")]
pub async fn set_media(
    shell: State<'_, Shell>,
    mic: Option<bool>,
    camera: Option<bool>,
) -> Result<(), IpcError> {
    let active = shell.active().await?;
    active.link.set_media(mic, camera).await
}

/// Hold-to-talk to every room (hosts and cohosts): while `active` the mic
/// is heard in every room, muted or not; the mute stays as it was.
#[tauri::command(rename_all = "snake_case")]
pub async fn speak_to_all(shell: State<'_, Shell>, active: bool) -> Result<(), IpcError> {
    let active_meeting = shell.active().await?;
    active_meeting.link.speak_to_all(active).await
}

/// The screens and windows of this desktop that can be shared.
#[tauri::command(rename_all = "snake_case")]
pub async fn list_screens(shell: State<'_, Shell>) -> Result<Vec<ScreenTarget>, IpcError> {
    shell.active().await?.link.screens()
}

/// Shares `source` with your room on the running media connection; a
/// second sharer replaces you or is refused, as the meeting is set.
#[tauri::command(rename_all = "snake_case")]
pub async fn share_screen(shell: State<'_, Shell>, source: ScreenSource) -> Result<(), IpcError> {
    shell.active().await?.link.share_screen(&source).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn stop_sharing(shell: State<'_, Shell>) -> Result<(), IpcError> {
    shell.active().await?.link.stop_sharing().await
}

/// The meeting this app is in, as hosting or joining answered it (with the
/// invite to pass on); `None` outside a meeting. A window that loads after
/// the meeting began (hosted from the command line, or reloaded) reads it
/// here.
#[tauri::command(rename_all = "snake_case")]
pub async fn get_joined(shell: State<'_, Shell>) -> Result<Option<Joined>, IpcError> {
    Ok(shell
        .active()
        .await
        .ok()
        .map(|active| active.joined.clone()))
}

/// The media engine's state now (also pushed as the `media` event); off
/// outside a meeting.
#[tauri::command(rename_all = "snake_case")]
pub async fn get_media(shell: State<'_, Shell>) -> Result<MediaStatus, IpcError> {
    let status = match shell.active().await {
        Ok(active) => active.link.media().map(|m| m.status()),
        Err(_) => None,
    };
    Ok(status.unwrap_or_default())
}

/// The server's view when it answers; the session's (possibly a little
/// stale) while the socket is down, so a window opened then still shows
/// the meeting.
#[tauri::command(rename_all = "snake_case")]
pub async fn get_state(shell: State<'_, Shell>) -> Result<MeetingView, IpcError> {
    let active = shell.active().await?;
    let error = match active.link.request(Request::GetState).await {
        Ok(Reply::State { view }) => return Ok(*view),
        Ok(_) => IpcError::unexpected_reply("get_state"),
        Err(error) => error,
    };
    active.link.view().await.ok_or(error)
}

/// The session's whole view; `None` outside a meeting. A window opened
/// after the meeting began starts from it, then follows the pushes.
#[tauri::command(rename_all = "snake_case")]
pub async fn get_client_view(shell: State<'_, Shell>) -> Result<Option<ClientView>, IpcError> {
    match shell.active().await {
        Ok(active) => Ok(active.link.client_view().await),
        Err(_) => Ok(None),
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dismiss_toast(shell: State<'_, Shell>, id: u64) -> Result<(), IpcError> {
    shell
        .active()
        .await?
        .link
        .change(Change::DismissToast(id))
        .await;
    Ok(())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dismiss_banner(shell: State<'_, Shell>, id: u64) -> Result<(), IpcError> {
    shell
        .active()
        .await?
        .link
        .change(Change::DismissBanner(id))
        .await;
    Ok(())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn defer_invitation(shell: State<'_, Shell>) -> Result<(), IpcError> {
    shell
        .active()
        .await?
        .link
        .change(Change::DeferInvitation)
        .await;
    Ok(())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn get_chat(
    shell: State<'_, Shell>,
    room: Option<RoomId>,
) -> Result<Vec<ChatMessage>, IpcError> {
    let active = shell.active().await?;
    match active.link.request(Request::GetChat { room }).await? {
        Reply::Chat { messages } => Ok(messages),
        _ => Err(IpcError::unexpected_reply("get_chat")),
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn export_assignments(shell: State<'_, Shell>) -> Result<String, IpcError> {
    let active = shell.active().await?;
    match active.link.request(Request::ExportAssignments).await? {
        Reply::Csv { csv } => Ok(csv),
        _ => Err(IpcError::unexpected_reply("export_assignments")),
    }
}

/// What importing `csv` would do, through the REST endpoint (a file may be
/// far larger than a WebSocket frame); changes nothing.
#[tauri::command(rename_all = "snake_case")]
pub async fn preview_assignments_csv(
    shell: State<'_, Shell>,
    csv: String,
) -> Result<CsvPreview, IpcError> {
    let active = shell.active().await?;
    Ok(active.rest.preview_assignments_csv(&csv).await?)
}

/// Imports `csv` over REST; the server judges it against the meeting as it
/// is now, so a file or meeting changed since the preview is refused there.
#[tauri::command(rename_all = "snake_case")]
pub async fn import_assignments_csv(
    shell: State<'_, Shell>,
    csv: String,
) -> Result<CsvPreview, IpcError> {
    let active = shell.active().await?;
    Ok(active.rest.import_assignments_csv(&csv).await?)
}

/// Async on purpose: a window made from a synchronous command can deadlock
/// the event loop on some platforms.
#[tauri::command(rename_all = "snake_case")]
pub async fn open_dashboard<R: Runtime>(app: AppHandle<R>) -> Result<(), IpcError> {
    windows::open_dashboard(&app)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn leave_meeting(shell: State<'_, Shell>) -> Result<(), IpcError> {
    shell.leave().await;
    Ok(())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn list_devices() -> Result<Devices, IpcError> {
    list().await
}

/// In a meeting the media engine switches to the device at once, on the
/// same connection; otherwise it is used from the next meeting on.
#[tauri::command(rename_all = "snake_case")]
pub async fn select_device(
    shell: State<'_, Shell>,
    kind: DeviceKind,
    id: String,
) -> Result<(), IpcError> {
    if !devices::exists(&list().await?, kind, &id) {
        return Err(IpcError::new(
            "unknown_device",
            "That device is not connected any more.",
        ));
    }
    tracing::info!(?kind, %id, "device chosen");
    shell.choose_device(kind, &id).await
}

/// Device enumeration blocks (ALSA probes every card).
async fn list() -> Result<Devices, IpcError> {
    tauri::async_runtime::spawn_blocking(devices::list)
        .await
        .map_err(|e| IpcError::new("devices_failed", format!("Listing devices failed: {e}.")))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn get_start_memory<R: Runtime>(app: AppHandle<R>) -> Result<StartMemory, IpcError> {
    Ok(StartMemory::load(&memory::dir(&app)?))
}

#[tauri::command(rename_all = "snake_case")]
pub async fn save_start_memory<R: Runtime>(
    app: AppHandle<R>,
    memory: StartMemory,
) -> Result<(), IpcError> {
    memory.bounded().save(&memory::dir(&app)?)
}
