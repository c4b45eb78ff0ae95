//! The real app, end to end: it hosts a meeting, four `breakout-bot`
//! participants join with the invite code it shows (two of them with
//! synthetic media: the meeting window shows their video and who speaks),
//! the dashboard window
//! creates two rooms, assigns and starts breakouts, a participant sees the
//! countdown and then its room, its room card shows her speaking, the
//! dashboard records her room (she is told) and listens in on it (she is
//! told, and told when it stops), and her call for help lights up the
//! dashboard; back in the meeting window the host shares her screen (this
//! Xvfb display, captured for real) and stops. Screenshots of each step go to target/e2e-shots/.
//!
//! Ignored by plain `cargo test`: it needs an X display, tauri-driver and
//! the built binaries. `make app-test` provides them and runs it.

use std::time::Duration;

use anyhow::Context;
use breakout_app_e2e::bot::event;
use breakout_app_e2e::driver::screen_shot;
use breakout_app_e2e::{App, Bot, Driver, paths};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "drives the real app under X: run by `make app-test`"]
async fn a_hosted_meeting_splits_into_rooms_and_help_reaches_the_dashboard() -> anyhow::Result<()> {
    let driver = Driver::start().await?;
    let app = driver.launch(&paths::app()?).await?;
    // Every step has its own limit; this one catches a WebDriver call that
    // never answers, so the test fails instead of hanging.
    let result = match tokio::time::timeout(Duration::from_secs(240), scenario(&app)).await {
        Ok(result) => result,
        Err(_) => Err(anyhow::anyhow!(
            "the scenario did not finish within 4 minutes"
        )),
    };
    if result.is_err() {
        let _ = screen_shot("failure-screen").await;
    }
    // Bounded too: a webview that stopped answering must not turn a
    // failure into a hang.
    let _ = tokio::time::timeout(Duration::from_secs(20), app.client.close()).await;
    result
}

async fn scenario(app: &App) -> anyhow::Result<()> {
    // The start screen, then hosting; the invite is read from the Invite
    // dialog, as the host would.
    app.find("input[name=title]").await?;
    app.shot("01-start").await?;
    let invite = app.host("Design review", "Hana Host").await?;
    app.shot("02-invite").await?;
    app.click_in_dialog("Close").await?;

    // Four participants join with the code; the meeting window shows them.
    // Ada and Ben send their test pattern and tone.
    let bot_bin = paths::bot()?;
    let mut bots = Vec::new();
    for name in ["Ada", "Ben"] {
        bots.push(Bot::join_with_media(&bot_bin, &invite, name).await?);
    }
    for name in ["Cleo", "Dev"] {
        bots.push(Bot::join(&bot_bin, &invite, name).await?);
    }
    app.until("five tiles", &tiles_equal(5)).await?;
    app.until("a tile showing video", SHOWS_VIDEO).await?;
    app.until(
        "a speaking highlight",
        "return !!document.querySelector('ul.tiles li.tile.speaking');",
    )
    .await?;
    app.shot("03-meeting-five-people").await?;

    // The dashboard window: two rooms, everyone assigned, start.
    let meeting_window = app.client.window().await?;
    app.click("Rooms dashboard").await?;
    app.switch_to_other(&meeting_window).await?;
    app.find("input[name=room-count]").await?;
    app.type_into("input[name=room-count]", "2").await?;
    app.click("Create rooms").await?;
    app.until("main and two rooms", &count_is(".column[data-room]", 3))
        .await?;
    app.click("Auto-assign").await?;
    app.until(
        "four people planned into rooms",
        &count_is(".column[data-room]:not(.main) button.person", 4),
    )
    .await?;
    app.shot("04-dashboard-assigned").await?;
    app.click("Start breakouts").await?;

    // A participant's view: the countdown, then its room.
    let ada = &mut bots[0];
    let countdown = ada
        .wait_for("the countdown before the move", |m| {
            event(m, "changing_meeting").is_some()
        })
        .await?;
    let room = countdown["event"]["room"]
        .as_u64()
        .context("countdown names a room")?;
    assert!(countdown["event"]["at"].as_u64().is_some(), "{countdown}");
    app.shot("05-dashboard-started").await?;
    let ada_id = ada.id;
    ada.wait_for("the move to its room", |m| {
        event(m, "meeting_changed").is_some_and(|e| e["participant"] == ada_id && e["room"] == room)
    })
    .await?;
    let in_room = format!(
        ".column[data-room='{room}'] button.person[data-participant='{ada_id}']:not(.waiting)"
    );
    app.until(
        "Ada in her room on the board",
        &format!("return !!document.querySelector({in_room:?});"),
    )
    .await?;
    app.shot("06-dashboard-running").await?;

    // The host's ears: Ada's tone makes her room's card say she speaks.
    let card = format!(".column[data-room='{room}']");
    app.until(
        "Ada speaking on her room's card",
        &format!(
            "const p = document.querySelector({:?}); \
             return !!p && p.textContent.includes('Ada');",
            format!("{card} [data-testid=activity] .talking")
        ),
    )
    .await?;
    // Recording her room from its card: the server records it and Ada's
    // view says so.
    app.client
        .execute(
            &format!(
                "document.querySelector({:?}).click();",
                format!("{card} button.record")
            ),
            vec![],
        )
        .await?;
    ada.wait_for("her room marked recorded", |m| {
        m["type"] == "state"
            && m["view"]["rooms"].as_array().is_some_and(|rooms| {
                rooms
                    .iter()
                    .any(|r| r["id"] == room && r["recording"] == true)
            })
    })
    .await?;
    app.until(
        "the card's Recording toggle on",
        &format!(
            "return !!document.querySelector({:?});",
            format!("{card} button.record[data-recording=true]")
        ),
    )
    .await?;
    app.shot("06b-dashboard-recording").await?;

    // Listening in from her room's card: the host hears the room without
    // going there, and Ada's view names the listener (the meeting
    // announces listeners by default). Pressed again, it stops.
    let press_listen = format!(
        "[...document.querySelectorAll({:?})].find(b => b.textContent.includes('Listen')).click();",
        format!("{card} button")
    );
    app.client.execute(&press_listen, vec![]).await?;
    let listened = |m: &serde_json::Value, on: bool| {
        m["type"] == "state"
            && m["view"]["rooms"].as_array().is_some_and(|rooms| {
                rooms.iter().any(|r| {
                    r["id"] == room
                        && r["listeners"]
                            .as_array()
                            .is_some_and(|l| l.is_empty() != on)
                })
            })
    };
    ada.wait_for("a listener named in her room", |m| listened(m, true))
        .await?;
    app.until(
        "the card's Listening toggle on",
        &format!(
            "return !!document.querySelector({:?});",
            format!("{card} button:not(.record)[aria-pressed=true]")
        ),
    )
    .await?;
    app.shot("06c-dashboard-listening").await?;
    app.client.execute(&press_listen, vec![]).await?;
    ada.wait_for("nobody listening any more", |m| listened(m, false))
        .await?;

    // Ada asks for help; the dashboard highlights her room and her.
    ada.send(r#"{"type":"request_help"}"#).await?;
    ada.wait_for("the help request's acceptance", |m| {
        event(m, "help_requested").is_some()
    })
    .await?;
    let highlighted = format!(
        "return !!document.querySelector('[data-help=\"{ada_id}\"]') \
         && !!document.querySelector('.column.help[data-room=\"{room}\"]') \
         && !!document.querySelector('button.person.helpme[data-participant=\"{ada_id}\"]');"
    );
    app.until("the help highlight", &highlighted).await?;
    app.shot("07-dashboard-help").await?;
    screen_shot("07-screen").await?;

    // The host's own meeting window stays in the main room.
    app.client.switch_to_window(meeting_window).await?;
    app.until("the host still in main", &tiles_equal(1)).await?;
    app.shot("08-meeting-window-after-start").await?;

    // The host shares her screen: the picker lists this display (captured
    // for real, under Xvfb); the meeting window then shows her own screen
    // large, with Stop sharing, and everyone's view names her as the main
    // room's sharer. Stopping brings the grid back.
    app.client
        .execute(
            "document.querySelector('button[aria-label=\"Share screen\"]').click();",
            vec![],
        )
        .await?;
    app.until(
        "the picker listing this display",
        "return !!document.querySelector('dialog[open] button.target');",
    )
    .await?;
    app.shot("09-share-picker").await?;
    app.client
        .execute(
            "document.querySelector('dialog[open] button.target').click();",
            vec![],
        )
        .await?;
    app.until("her shared screen, live", &live_picture(".screen-view"))
        .await?;
    let main_shared = |m: &serde_json::Value| {
        m["type"] == "state"
            && m["view"]["rooms"]
                .as_array()
                .is_some_and(|rooms| rooms.iter().any(|r| r["id"] == 0 && r["sharing"].is_u64()))
    };
    ada.wait_for("the main room shared in her view", main_shared)
        .await?;
    app.shot("10-meeting-sharing").await?;
    app.client
        .execute(
            "document.querySelector('button.stop-share').click();",
            vec![],
        )
        .await?;
    app.until(
        "the grid back",
        "return !document.querySelector('section.screen');",
    )
    .await?;
    Ok(())
}

/// Whether a canvas under `scope` holds a picture: frames were drawn into
/// it and its pixels are not one flat colour.
fn live_picture(scope: &str) -> String {
    SHOWS_VIDEO.replace("ul.tiles canvas", &format!("{scope} canvas"))
}

/// Whether a tile's canvas holds a picture: frames were drawn into it and
/// its pixels are not one flat colour (the test pattern has black, white
/// and grey blocks).
const SHOWS_VIDEO: &str = r#"
    for (const canvas of document.querySelectorAll('ul.tiles canvas[data-live="true"]')) {
        if (!canvas.width || !canvas.height) continue;
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let low = 255, high = 0;
        for (let i = 0; i < data.length; i += 4) {
            low = Math.min(low, data[i]);
            high = Math.max(high, data[i]);
        }
        if (high - low > 64) return true;
    }
    return false;
"#;

fn tiles_equal(n: usize) -> String {
    count_is("ul.tiles li.tile", n)
}

fn count_is(css: &str, n: usize) -> String {
    format!("return document.querySelectorAll({css:?}).length === {n};")
}
