//! tauri-driver and one WebDriver session on the app.
//!
//! tauri-driver listens for WebDriver clients and starts WebKitWebDriver,
//! which launches the app binary named in the session's `tauri:options`.
//! The app inherits tauri-driver's environment: each [`Driver`] gives it
//! private XDG directories (its own server database and web storage) and
//! lets its embedded server take any free port.

use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use breakout_client::protocol::link::JoinLink;

use crate::{Invite, PATIENCE, paths};

/// How long launching the app and opening a session may take.
const LAUNCH_LIMIT: Duration = Duration::from_secs(60);
/// How often a condition is checked again while waiting for it.
const POLL: Duration = Duration::from_millis(100);

pub struct Driver {
    child: Child,
    url: String,
    _home: tempfile::TempDir,
}

impl Driver {
    /// Starts tauri-driver on free ports and waits until it accepts clients.
    pub async fn start() -> anyhow::Result<Driver> {
        if std::env::var_os("DISPLAY").is_none() {
            bail!("no DISPLAY: the app needs an X server (make app-test runs one with Xvfb)");
        }
        let home = tempfile::tempdir()?;
        let (port, native_port) = (free_port()?, free_port()?);
        let mut command = Command::new(paths::tauri_driver()?);
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("BREAKOUT_APP_LISTEN", "0.0.0.0:0")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            // Its own process group, so that dropping the driver ends
            // WebKitWebDriver and the app with it (they outlive a killed
            // tauri-driver otherwise).
            .process_group(0)
            .kill_on_drop(true);
        let child = command.spawn().context("starting tauri-driver")?;
        // tauri-driver listens at once but forwards to WebKitWebDriver,
        // which it starts without waiting: a session asked for before the
        // native driver listens fails. Wait for both.
        for port in [port, native_port] {
            let addr = format!("127.0.0.1:{port}");
            until(
                "tauri-driver and WebKitWebDriver to listen",
                PATIENCE,
                || async { Ok(tokio::net::TcpStream::connect(&addr).await.ok().map(drop)) },
            )
            .await?;
        }
        let url = format!("http://127.0.0.1:{port}");
        Ok(Driver {
            child,
            url,
            _home: home,
        })
    }

    /// Launches the app and opens a WebDriver session on its main window.
    /// A cold first launch on a busy machine can be slow: one retry, and a
    /// limit on each attempt so a stuck launch fails rather than hangs.
    pub async fn launch(&self, app: &Path) -> anyhow::Result<App> {
        let capabilities = json!({
            "browserName": "wry",
            "tauri:options": { "application": app },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let mut last_error = None;
        for _attempt in 0..2 {
            match tokio::time::timeout(LAUNCH_LIMIT, builder.connect(&self.url)).await {
                Ok(Ok(client)) => return Ok(App { client }),
                Ok(Err(error)) => last_error = Some(anyhow::Error::new(error)),
                Err(_) => last_error = Some(anyhow::anyhow!("no session within {LAUNCH_LIMIT:?}")),
            }
        }
        Err(last_error.expect("an attempt was made").context(
            "opening a WebDriver session on the app (tauri-driver → WebKitWebDriver → app)",
        ))
    }

    /// tauri-driver's pid: the app runs below it.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", "--", &format!("-{pid}")])
                .status();
        }
    }
}

/// The app's windows, through one WebDriver session.
pub struct App {
    pub client: Client,
}

impl App {
    /// Waits until `script` (a function body) returns something truthy, and
    /// returns that.
    pub async fn until(&self, what: &str, script: &str) -> anyhow::Result<Value> {
        until(what, PATIENCE, || async {
            let value = self.client.execute(script, vec![]).await?;
            Ok(truthy(&value).then_some(value))
        })
        .await
    }

    pub async fn find(&self, css: &str) -> anyhow::Result<Element> {
        self.client
            .wait()
            .at_most(PATIENCE)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element {css:?}"))
    }

    /// The button whose text is `label` (trimmed), once there.
    pub async fn button(&self, label: &str) -> anyhow::Result<Element> {
        let xpath = format!("//button[normalize-space()={label:?}]");
        self.client
            .wait()
            .at_most(PATIENCE)
            .every(POLL)
            .for_element(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("no button {label:?}"))
    }

    pub async fn click(&self, label: &str) -> anyhow::Result<()> {
        self.button(label).await?.click().await?;
        Ok(())
    }

    /// Clicks the button `label` of the open modal dialog (closed dialogs
    /// have buttons with the same labels).
    pub async fn click_in_dialog(&self, label: &str) -> anyhow::Result<()> {
        let xpath = format!("//dialog[@open]//button[normalize-space()={label:?}]");
        self.client
            .wait()
            .at_most(PATIENCE)
            .every(POLL)
            .for_element(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("no button {label:?} in an open dialog"))?
            .click()
            .await?;
        Ok(())
    }

    pub async fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let field = self.find(css).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// Hosts a meeting from the start screen and reads the invite the way
    /// the host would, from the Invite dialog: the server address, the code,
    /// and the certificate the invite link pins.
    pub async fn host(&self, title: &str, name: &str) -> anyhow::Result<Invite> {
        self.type_into("input[name=title]", title).await?;
        self.type_into("input[name=host-name]", name).await?;
        self.click("Host meeting").await?;
        self.find("h1[data-testid=room-name]").await?;
        self.click("Invite").await?;
        let code = self
            .find("code[data-testid=invite-code]")
            .await?
            .text()
            .await?;
        let server = self.find("dialog[open] dd code").await?.text().await?;
        let link = self.find("dialog[open] dd code.link").await?.text().await?;
        let pin = JoinLink::parse(&link).ok().and_then(|link| link.pin);
        if code.is_empty() || !server.starts_with("https://") || pin.is_none() {
            bail!(
                "hosting showed no usable invite: code {code:?}, server {server:?}, link {link:?}"
            );
        }
        Ok(Invite { server, code, pin })
    }

    /// Joins the meeting at `server` with `code` from the start screen, as
    /// someone invited would.
    pub async fn join(&self, server: &str, code: &str, name: &str) -> anyhow::Result<()> {
        self.type_into("input[name=server]", server).await?;
        self.type_into("input[name=invite]", code).await?;
        self.type_into("input[name=join-name]", name).await?;
        self.click("Join meeting").await?;
        self.find("h1[data-testid=room-name]").await?;
        Ok(())
    }

    /// Number of elements matching `css` in the current window.
    pub fn count_script(css: &str) -> String {
        format!("return document.querySelectorAll({css:?}).length;")
    }

    /// Saves the current window as `target/e2e-shots/<name>.png`, after
    /// two animation frames: WebKitWebDriver captures the last composited
    /// frame, which otherwise can predate the step just taken.
    ///
    /// With software painting (the app's default) WebKit answers a
    /// screenshot only after the page paints again, and a still page never
    /// does: an invisible outline is toggled every 50 ms while the picture
    /// is taken, so a paint always follows.
    pub async fn shot(&self, name: &str) -> anyhow::Result<()> {
        const REPAINT_ON: &str = "window.__e2eRepaint = setInterval(() => { \
            const style = document.documentElement.style; \
            style.outline = style.outline ? '' : '1px solid transparent'; }, 50);";
        const REPAINT_OFF: &str = "clearInterval(window.__e2eRepaint); \
            document.documentElement.style.outline = '';";
        let painted = "const done = arguments[arguments.length - 1]; \
                       requestAnimationFrame(() => requestAnimationFrame(() => done(true)));";
        self.client.execute_async(painted, vec![]).await?;
        self.client.execute(REPAINT_ON, vec![]).await?;
        let png = self.client.screenshot().await;
        self.client.execute(REPAINT_OFF, vec![]).await?;
        std::fs::write(paths::shots()?.join(format!("{name}.png")), png?)?;
        Ok(())
    }

    /// Switches to the window that is not `current`, once it exists.
    pub async fn switch_to_other(
        &self,
        current: &fantoccini::wd::WindowHandle,
    ) -> anyhow::Result<()> {
        let other = until("a second window", PATIENCE, || async {
            let handles = self.client.windows().await?;
            Ok(handles.into_iter().find(|h| h != current))
        })
        .await?;
        self.client.switch_to_window(other).await?;
        Ok(())
    }
}

/// The whole X screen (every window) as `target/e2e-shots/<name>.png`.
pub async fn screen_shot(name: &str) -> anyhow::Result<()> {
    let path = paths::shots()?.join(format!("{name}.png"));
    let status = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .status()
        .await
        .context("running ImageMagick's import")?;
    if !status.success() {
        bail!("import -window root failed: {status}");
    }
    Ok(())
}

/// Polls `check` until it yields a value, for at most `limit`.
pub async fn until<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            bail!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(POLL).await;
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
