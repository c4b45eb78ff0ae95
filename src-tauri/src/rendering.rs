//! How the webview paints. WebKitGTK composites with OpenGL when it can; on
//! a machine without a GPU driver that OpenGL is Mesa's llvmpipe, and with
//! nine video tiles the web process then spent ~140% of a core in llvmpipe's
//! generated code (app_render_9_cpu_pct 167 at 12.5 fps). WebKit's own
//! software painting drew the same tiles at the full 15 fps with the web
//! process at ~37% (app_render_9_cpu_pct 84). The windows are flat 2D (canvases, no WebGL),
//! so they paint in software unless BREAKOUT_HARDWARE_COMPOSITING=1 asks for
//! OpenGL compositing (worth trying on a machine with a real GPU driver).

use tauri::{Runtime, WebviewWindow};

/// Applies the painting policy to `window`'s webview.
pub fn apply<R: Runtime>(window: &WebviewWindow<R>) {
    if std::env::var_os("BREAKOUT_HARDWARE_COMPOSITING").is_some_and(|v| v == "1") {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let applied = window.with_webview(|webview| {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            if let Some(settings) = webview.inner().settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
        if let Err(error) = applied {
            tracing::warn!(%error, "could not set the webview's painting policy");
        }
    }
}
