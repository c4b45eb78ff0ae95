//! The shell's IPC contract, written once: every command with its argument
//! names and types and its answer, every event with its payload. The same
//! table registers the commands with Tauri ([`handler`]) and, with the `ts`
//! feature, writes their TypeScript signatures ([`typescript`]) to
//! ui/src/lib/shell.generated.ts, which ui/src/lib/ipc.ts calls. A command
//! missing here is not registered at all, so the UI cannot call anything the
//! bindings do not describe.
//!
//! Argument names are the commands' own (`rename_all = "snake_case"`);
//! [`signatures`] checks at compile time that each row's types are the
//! function's.

#[cfg(feature = "ts")]
mod typescript;

#[cfg(feature = "ts")]
pub use typescript::{OUTPUT, typescript};

use breakout_client::ClientView;
use breakout_client::protocol::rest::CsvPreview;
use breakout_client::protocol::{ChatMessage, Command, MeetingView, RoomId};

use crate::ipc::{
    CLIENT_VIEW_EVENT, DeviceKind, Devices, Joined, MEDIA_EVENT, MediaStatus, SPEAKING_EVENT,
    SpeakingEvent,
};

macro_rules! contract {
    (
        commands {
            $( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*
        }
        events {
            $( $(#[doc = $edoc:literal])* $event:ident = $event_name:ident : $payload:ty; )*
        }
    ) => {
        /// Tauri's invoke handler for exactly the commands of the table.
        pub fn handler<R: tauri::Runtime>()
        -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$(crate::commands::$name),*]
        }

        /// Every command's name, as the UI invokes it.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        /// Every event's name, as the UI listens to it.
        pub const EVENTS: &[&str] = &[$($event_name),*];

        /// Every payload must be something an event can carry.
        #[allow(dead_code)]
        fn payloads() {
            fn serializable<T: serde::Serialize>() {}
            $(serializable::<$payload>();)*
        }

        /// Fails to compile when a row's argument types or answer differ
        /// from the command's own: each command is passed where a function
        /// of exactly those (non-injected) arguments is expected.
        #[allow(dead_code, clippy::too_many_arguments)]
        fn signatures() {
            $(
                signature::check::<($($ty,)*), $ret, _, _>(crate::commands::$name);
            )*
        }

        #[cfg(feature = "ts")]
        pub(crate) fn commands(cfg: &ts_rs::Config) -> Vec<typescript::CommandSig> {
            use ts_rs::TS;
            vec![$(
                typescript::CommandSig {
                    name: stringify!($name),
                    docs: &[$($doc),*],
                    args: vec![$((stringify!($arg), <$ty as TS>::name(cfg))),*],
                    returns: <$ret as TS>::name(cfg),
                    dependencies: {
                        let mut deps = Vec::new();
                        $(deps.extend(typescript::named::<$ty>(cfg));)*
                        deps.extend(typescript::named::<$ret>(cfg));
                        deps
                    },
                }
            ),*]
        }

        #[cfg(feature = "ts")]
        pub(crate) fn events(cfg: &ts_rs::Config) -> Vec<typescript::EventSig> {
            use ts_rs::TS;
            vec![$(
                typescript::EventSig {
                    listener: stringify!($event),
                    event: $event_name,
                    docs: &[$($edoc),*],
                    payload: <$payload as TS>::name(cfg),
                    dependencies: typescript::named::<$payload>(cfg),
                }
            ),*]
        }
    };
}

contract! {
    commands {
        /// Starts the embedded server on this computer and joins as host.
        host_meeting(title: String, name: String) -> Joined;
        /// Joins a meeting; `invite_code` may also be a `breakout://join?...` link.
        join_meeting(server_url: String, invite_code: String, name: String) -> Joined;
        send_command(command: Command) -> ();
        /// Mic and/or camera on or off (`null`: unchanged), through the media engine.
        set_media(mic: Option<bool>, camera: Option<bool>) -> ();
        /// Hold-to-talk to every room: while `active`, your mic is heard in
        /// every room (muted or not); release with `false`.
        speak_to_all(active: bool) -> ();
        /// The screens and windows that can be shared.
        list_screens() -> Vec<breakout_client::media::ScreenTarget>;
        /// Shares a screen or window with your room (no reconnect).
        share_screen(source: breakout_client::media::ScreenSource) -> ();
        stop_sharing() -> ();
        /// The media engine's state now (also pushed as the `media` event).
        get_media() -> MediaStatus;
        /// The meeting the shell is in (with its invite), or null outside one.
        get_joined() -> Option<Joined>;
        get_state() -> MeetingView;
        /// Everything the windows show (also pushed as the `client-view`
        /// event), or null outside a meeting.
        get_client_view() -> Option<ClientView>;
        /// Removes a toast from the view, in every window.
        dismiss_toast(id: u64) -> ();
        /// Removes a banner from the view, in every window.
        dismiss_banner(id: u64) -> ();
        /// Puts off answering the current invitation until another comes.
        defer_invitation() -> ();
        /// Chat history of `room` (`null`: the room you are in).
        get_chat(room: Option<RoomId>) -> Vec<ChatMessage>;
        /// The assignments as CSV (managers only).
        export_assignments() -> String;
        /// What importing `csv` would do, changing nothing (sent over REST).
        preview_assignments_csv(csv: String) -> CsvPreview;
        /// Imports `csv` (all or nothing) against the meeting as it is now.
        import_assignments_csv(csv: String) -> CsvPreview;
        /// Opens or focuses the host dashboard window.
        open_dashboard() -> ();
        leave_meeting() -> ();
        list_devices() -> Devices;
        select_device(kind: DeviceKind, id: String) -> ();
        /// The start screen's remembered name and recent joins (empty at first).
        get_start_memory() -> crate::memory::StartMemory;
        /// Keeps the start screen's name and recent joins for the next runs.
        save_start_memory(memory: crate::memory::StartMemory) -> ();
    }
    events {
        /// Everything the windows show, whole, after each change.
        on_client_view = CLIENT_VIEW_EVENT: ClientView;
        /// An audio level from 0 to 1, sent when it changes noticeably (also back to 0).
        on_speaking = SPEAKING_EVENT: SpeakingEvent;
        /// The media engine's state whenever it changes.
        on_media = MEDIA_EVENT: MediaStatus;
    }
}

/// The compile-time half of the contract: a command's function type seen
/// through the arguments the UI passes, the runtime-injected ones (state,
/// app handle) left out.
mod signature {
    use std::future::Future;

    use tauri::{AppHandle, State, Wry};

    use crate::IpcError;
    use crate::shell::Shell;

    /// Accepts `f` only when its UI-facing arguments are `Args` and it
    /// answers `Result<Ret, IpcError>`.
    pub fn check<Args, Ret, F, Marker>(_f: F)
    where
        F: Command<Args, Ret, Marker>,
    {
    }

    pub trait Command<Args, Ret, Marker> {}

    /// Markers for the shapes of injected arguments commands use.
    pub struct Plain;
    pub struct WithState;
    pub struct WithApp;
    pub struct WithAppState;

    macro_rules! shapes {
        ($($a:ident),*) => {
            impl<F, Fut, Ret, $($a),*> Command<($($a,)*), Ret, Plain> for F
            where F: Fn($($a),*) -> Fut, Fut: Future<Output = Result<Ret, IpcError>> {}
            impl<F, Fut, Ret, $($a),*> Command<($($a,)*), Ret, WithState> for F
            where F: Fn(State<'static, Shell>, $($a),*) -> Fut,
                  Fut: Future<Output = Result<Ret, IpcError>> {}
            impl<F, Fut, Ret, $($a),*> Command<($($a,)*), Ret, WithApp> for F
            where F: Fn(AppHandle<Wry>, $($a),*) -> Fut,
                  Fut: Future<Output = Result<Ret, IpcError>> {}
            impl<F, Fut, Ret, $($a),*> Command<($($a,)*), Ret, WithAppState> for F
            where F: Fn(AppHandle<Wry>, State<'static, Shell>, $($a),*) -> Fut,
                  Fut: Future<Output = Result<Ret, IpcError>> {}
        };
    }
    shapes!();
    shapes!(A);
    shapes!(A, B);
    shapes!(A, B, C);
}
