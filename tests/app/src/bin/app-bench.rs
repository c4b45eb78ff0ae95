//! `app-bench`: the desktop app's figures as `name=value` lines. Run by
//! scripts/bench-app.sh, which builds a release app and provides an X
//! display (Xvfb), tauri-driver and breakout-bot. What each figure measures:
//!
//! - `app_start_ms`: from asking tauri-driver for a session (which makes
//!   WebKitWebDriver spawn the app process) until the start screen is
//!   painted: its heading exists and two animation frames have run since.
//!   Median of 3 cold launches; it includes WebKitWebDriver's own session
//!   set-up, so it slightly overstates what a user waits.
//! - `app_rss_9_mb`: resident memory of the app process and every process
//!   below it (WebKit's web and network processes) while the meeting
//!   window shows 9 video tiles. The app has joined, as a participant, a
//!   meeting on a stand-alone breakout-server (not counted), and 9
//!   breakout-bot participants in its room are replaying their pre-encoded 320×240 test pattern at 15 fps
//!   and tone (as LiveKit's load tester does: they stand in for remote
//!   people, so they send and do not encode, decode or receive here). A
//!   sum of RSS: pages shared between processes count once each.
//! - `app_pss_9_mb`: the same processes' proportional set size, where a
//!   page shared by several counts once in total: what they take together.
//! - `app_render_9_cpu_pct`: CPU time of the same processes over 10 s, as
//!   % of one core, while those 9 tiles render: the engine receives and
//!   decodes 9 VP8 streams and 4 Opus slots, the shell encodes each tile's
//!   frames to JPEG on request, the webview decodes and draws them (at most
//!   15 fps per tile). The bots (release builds, reniced) are not counted.
//! - `app_render_9_fps`: frames the 9 tiles actually drew per second, per
//!   tile, over the same window (the tiles' own count), to show the CPU
//!   figure is for real video at the intended rate.
//! - `app_host_9_rss_mb`, `app_host_9_cpu_pct`, `app_host_9_fps`: the same
//!   with the app hosting the meeting, so its process also runs the room
//!   server and forwards every bot's media (the SFU's share).

use std::time::{Duration, Instant};

use anyhow::Context;
use breakout_app_e2e::{App, Bot, Driver, Invite, RoomServer, paths, procs};

const LAUNCHES: usize = 3;
const BOTS: usize = 9;
const CPU_WINDOW: Duration = Duration::from_secs(10);
/// Lets WebKit finish layout, image decoding and its first GC after the
/// ninth tile appears, so RSS and CPU describe the steady state.
const SETTLE: Duration = Duration::from_secs(3);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let driver = Driver::start().await?;
    let app_bin = paths::app()?;

    let mut starts = Vec::new();
    for _ in 0..LAUNCHES {
        let started = Instant::now();
        let app = driver.launch(&app_bin).await?;
        painted(&app).await?;
        starts.push(started.elapsed());
        app.client.close().await?;
    }
    starts.sort();
    println!("app_start_ms={}", starts[LAUNCHES / 2].as_millis());

    // As a participant of a meeting on a stand-alone server: what showing
    // nine people costs.
    let server = RoomServer::start(&paths::server()?).await?;
    let code = server.meeting_with_invite("Bench").await?;
    let app = driver.launch(&app_bin).await?;
    let joined = async {
        app.join(&server.url, &code, "Viewer").await?;
        let invite = Invite {
            server: server.url.clone(),
            code: code.clone(),
            pin: None,
        };
        nine_person_room(&driver, &app, &invite).await
    }
    .await;
    let _ = app.client.close().await;
    let joined = joined?;
    println!("app_rss_9_mb={}", joined.rss_mb);
    println!("app_pss_9_mb={}", joined.pss_mb);
    println!("app_render_9_cpu_pct={:.1}", joined.cpu_pct);
    println!("app_render_9_fps={:.1}", joined.fps);

    // As the host, the room server running inside the app.
    let app = driver.launch(&app_bin).await?;
    let hosting = async {
        let invite = app.host("Bench", "Host").await?;
        app.click_in_dialog("Close").await?;
        nine_person_room(&driver, &app, &invite).await
    }
    .await;
    let _ = app.client.close().await;
    let hosting = hosting?;
    println!("app_host_9_rss_mb={}", hosting.rss_mb);
    println!("app_host_9_cpu_pct={:.1}", hosting.cpu_pct);
    println!("app_host_9_fps={:.1}", hosting.fps);
    Ok(())
}

/// What the app's processes took while nine tiles showed video.
struct Figures {
    rss_mb: u64,
    pss_mb: u64,
    cpu_pct: f64,
    fps: f64,
}

/// Nine replaying bots join the meeting the app is in; once all nine tiles
/// show video and things settled, memory is read and CPU counted.
async fn nine_person_room(driver: &Driver, app: &App, invite: &Invite) -> anyhow::Result<Figures> {
    let bot_bin = paths::bot()?;
    let mut bots = Vec::new();
    for i in 1..=BOTS {
        let name = format!("Bot {i}");
        let bot = Bot::join_replaying(&bot_bin, invite, &name).await?;
        if let Some(pid) = bot.pid() {
            let _ = std::process::Command::new("renice")
                .args(["-n", "10", "-p", &pid.to_string()])
                .stdout(std::process::Stdio::null())
                .status();
        }
        bots.push(bot);
    }
    let live = format!(
        "return document.querySelectorAll('ul.tiles canvas[data-live=\"true\"]').length === {BOTS};"
    );
    app.until("nine tiles showing video", &live).await?;
    app.shot("bench-9-tiles").await?;
    tokio::time::sleep(SETTLE).await;

    let root = driver.pid().context("tauri-driver pid")?;
    let app_pid = *procs::find(root, "breakout-app")
        .first()
        .context("no breakout-app process below tauri-driver")?;
    let before = procs::tree(app_pid);
    for p in &before {
        eprintln!(
            "measured: {} (pid {}) rss {} MiB",
            p.name,
            p.pid,
            p.rss_kib / 1024
        );
    }
    let rss_mb = before.iter().map(|p| p.rss_kib).sum::<u64>() / 1024;
    let pss_mb = before.iter().map(|p| p.pss_kib).sum::<u64>() / 1024;

    let ticks = |tree: &[procs::Proc]| tree.iter().map(|p| p.cpu_ticks).sum::<u64>();
    let drawn_before = frames_drawn(app).await?;
    let start = Instant::now();
    tokio::time::sleep(CPU_WINDOW).await;
    let after = procs::tree(app_pid);
    let elapsed = start.elapsed().as_secs_f64();
    let drawn = frames_drawn(app).await?.saturating_sub(drawn_before);
    let hz = procs::ticks_per_second() as f64;
    for p in &after {
        let was = before
            .iter()
            .find(|b| b.pid == p.pid)
            .map_or(0, |b| b.cpu_ticks);
        let pct = 100.0 * p.cpu_ticks.saturating_sub(was) as f64 / hz / elapsed;
        eprintln!("measured: {} (pid {}) cpu {pct:.1}%", p.name, p.pid);
    }
    let used = ticks(&after).saturating_sub(ticks(&before)) as f64 / hz;
    drop(bots);
    Ok(Figures {
        rss_mb,
        pss_mb,
        cpu_pct: 100.0 * used / elapsed,
        fps: drawn as f64 / elapsed / BOTS as f64,
    })
}

/// Frames drawn so far by the meeting window's tiles (their own count).
async fn frames_drawn(app: &App) -> anyhow::Result<u64> {
    let value = app
        .client
        .execute(
            "return window.__breakoutVideo ? window.__breakoutVideo.drawn : 0;",
            vec![],
        )
        .await
        .context("reading the tiles' frame count")?;
    // WebDriver may hand numbers back as floats.
    value
        .as_f64()
        .map(|n| n as u64)
        .with_context(|| format!("the tiles' frame count is not a number: {value}"))
}

/// Resolves once the start screen's heading exists and two frames ran.
async fn painted(app: &App) -> anyhow::Result<()> {
    let script = r#"
        const done = arguments[arguments.length - 1];
        const check = () => document.querySelector("main.start h1")
            ? requestAnimationFrame(() => requestAnimationFrame(() => done(true)))
            : setTimeout(check, 5);
        check();
    "#;
    app.client
        .execute_async(script, vec![])
        .await
        .context("waiting for the first paint")?;
    Ok(())
}
