//! Restarts over real database files: a damaged journal tail is reported,
//! a corrupt meeting is quarantined instead of keeping the server down, and
//! restored meetings bind media where the restarted server listens.

mod common;
mod media_peer;

use breakout_core::Command;
use breakout_protocol::admin::{IncidentKind, IncidentList, QuarantineList};
use breakout_protocol::rest::MeetingInfo;
use breakout_protocol::ws::{Reply, Request};
use breakout_server::Limits;
use common::{KEY, TestServer, Ws, quick_config};
use webrtc::rtp_transceiver::RTCRtpTransceiverInit;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;
use webrtc::rtp_transceiver::rtp_transceiver_direction::RTCRtpTransceiverDirection;

const DB: &str = "breakout.sqlite3";

/// `/v1/ws` as a client that resumes after having seen `revision`.
async fn resume(server: &TestServer, token: &str, revision: u64) -> Ws {
    let param = breakout_protocol::RESUME_REVISION_PARAM;
    server.connect(&format!("{token}&{param}={revision}")).await
}

async fn revision(ws: &mut Ws) -> u64 {
    match ws.request(Request::GetState).await {
        Ok(Reply::State { view }) => view.revision,
        other => panic!("expected a state, got {other:?}"),
    }
}

fn chat(text: &str) -> Command {
    Command::Chat { text: text.into() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_saw_more_than_the_journal_holds_is_reported() {
    let first = TestServer::start().await;
    let meeting = first.create_meeting(quick_config()).await;
    let host = first.add(&meeting, "Hana", "host").await;
    let mut ws = first.connect(&host.token).await;
    ws.command(chat("kept")).await.expect("chat");
    ws.command(chat("acknowledged, then lost"))
        .await
        .expect("chat");
    let seen = revision(&mut ws).await;

    // What a crash leaves behind, with the last 100 bytes of the WAL torn
    // off: the last acknowledged commit is gone.
    let crashed = tempfile::tempdir().expect("temp dir");
    for name in [DB.to_string(), format!("{DB}-wal")] {
        std::fs::copy(first.dir.path().join(&name), crashed.path().join(&name))
            .unwrap_or_else(|e| panic!("copying {name}: {e}"));
    }
    let wal = crashed.path().join(format!("{DB}-wal"));
    let length = std::fs::metadata(&wal).unwrap().len();
    assert!(length > 100, "the WAL holds the journal ({length} bytes)");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&wal)
        .unwrap()
        .set_len(length - 100)
        .unwrap();

    let second = TestServer::start_in(crashed, Limits::default()).await;
    let nothing: IncidentList = second.admin_get("/v1/admin/incidents").await;
    assert_eq!(
        nothing.incidents,
        vec![],
        "nothing is known before a client resumes"
    );
    let _resumed = resume(&second, &host.token, seen).await;
    let found: IncidentList = second.admin_get("/v1/admin/incidents").await;
    let [incident] = found.incidents.as_slice() else {
        panic!("one incident expected, got {:?}", found.incidents);
    };
    assert_eq!(incident.meeting, meeting);
    let IncidentKind::LostEvents {
        participant,
        client_revision,
        server_revision,
    } = incident.kind
    else {
        panic!("lost events expected, got {incident:?}");
    };
    assert_eq!(participant, host.participant);
    assert_eq!(client_revision, seen);
    assert!(server_revision < seen, "{incident:?}");
    assert!(incident.message.contains("lost"), "{}", incident.message);
    second.shutdown().await;
    first.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_restart_reports_no_loss() {
    let first = TestServer::start().await;
    let meeting = first.create_meeting(quick_config()).await;
    let host = first.add(&meeting, "Hana", "host").await;
    let mut ws = first.connect(&host.token).await;
    ws.command(Command::CreateRooms {
        count: 2,
        names: vec![],
    })
    .await
    .expect("rooms");
    ws.command(Command::Start).await.expect("start");
    ws.command(chat("before the restart")).await.expect("chat");
    let seen = revision(&mut ws).await;
    let dir = first.shutdown().await;

    let second = TestServer::start_in(dir, Limits::default()).await;
    let _resumed = resume(&second, &host.token, seen).await;
    let found: IncidentList = second.admin_get("/v1/admin/incidents").await;
    assert_eq!(found.incidents, vec![]);
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_meeting_is_quarantined_and_the_others_are_served() {
    let first = TestServer::start().await;
    let healthy = first.create_meeting(quick_config()).await;
    let broken = first.create_meeting(quick_config()).await;
    first.add(&healthy, "Hana", "host").await;
    first.add(&broken, "Bert", "host").await;
    let dir = first.shutdown().await;

    {
        let db = rusqlite::Connection::open(dir.path().join(DB)).unwrap();
        let changed = db
            .execute(
                "UPDATE snapshots SET state = '{\"not\": \"a meeting\"}' WHERE meeting = ?1",
                [&broken],
            )
            .unwrap();
        assert_eq!(changed, 1, "the broken meeting had a snapshot");
    }

    let second = TestServer::start_in(dir, Limits::default()).await;
    let listed: Vec<MeetingInfo> = second.admin_get("/v1/meetings").await;
    let ids: Vec<&str> = listed.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, vec![healthy.as_str()]);
    let response = second
        .http
        .get(second.url(&format!("/v1/meetings/{broken}")))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        404,
        "a quarantined meeting is not served"
    );

    let quarantine: QuarantineList = second.admin_get("/v1/admin/quarantine").await;
    let [bad] = quarantine.meetings.as_slice() else {
        panic!("one quarantined meeting expected: {quarantine:?}");
    };
    assert_eq!(bad.id, broken);
    assert!(bad.reason.contains("corrupt"), "{}", bad.reason);
    let incidents: IncidentList = second.admin_get("/v1/admin/incidents").await;
    assert!(
        incidents
            .incidents
            .iter()
            .any(|i| i.meeting == broken && matches!(i.kind, IncidentKind::Quarantined { .. })),
        "{incidents:?}"
    );
    let dir = second.shutdown().await;

    // Kept on disk as it was, for the operator to inspect.
    let db = rusqlite::Connection::open(dir.path().join(DB)).unwrap();
    let kept: String = db
        .query_row(
            "SELECT state FROM snapshots WHERE meeting = ?1",
            [&broken],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(kept, "{\"not\": \"a meeting\"}");
}

/// The server's host candidates in an answer, e.g. `127.0.0.2`.
fn candidate_addresses(sdp: &str) -> Vec<String> {
    sdp.lines()
        .filter_map(|line| line.strip_prefix("a=candidate:"))
        .filter_map(|candidate| candidate.split_whitespace().nth(4).map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_meeting_binds_media_where_the_restarted_server_listens() {
    let first = TestServer::start().await;
    let meeting = first.create_meeting(quick_config()).await;
    let host = first.add(&meeting, "Hana", "host").await;
    let dir = first.shutdown().await;

    // The real binary in a process of its own, so nothing a server set in
    // this process can stand in for what the restarted one must know.
    let second = TestServer::start_process_in(dir, &["--log", "warn"]).await;
    let signal = media_peer::Signal::connect(second.addr, &host.token).await;
    let pc = media_peer::new_pc().await;
    pc.add_transceiver_from_kind(
        RTPCodecType::Audio,
        Some(RTCRtpTransceiverInit {
            direction: RTCRtpTransceiverDirection::Recvonly,
            send_encodings: vec![],
        }),
    )
    .await
    .expect("transceiver");
    let offer = pc.create_offer(None).await.expect("offer");
    let mut gathered = pc.gathering_complete_promise().await;
    pc.set_local_description(offer).await.expect("local");
    let _ = gathered.recv().await;
    let sdp = pc.local_description().await.expect("offer sdp").sdp;
    let Ok(Reply::MediaAnswer { sdp, .. }) = signal
        .request(Request::MediaOffer {
            sdp,
            restart: false,
            listen_slots: 0,
            all_rooms_slot: false,
            screen_track: None,
            screen_slot: false,
        })
        .await
    else {
        panic!("a media answer expected");
    };
    let addresses = candidate_addresses(&sdp);
    assert!(
        !addresses.is_empty(),
        "the answer carries candidates: {sdp}"
    );
    assert!(
        addresses.iter().all(|a| a == "127.0.0.1"),
        "candidates {addresses:?}"
    );
    let _ = pc.close().await;
    drop(signal);
}
