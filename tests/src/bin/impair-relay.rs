//! The lab's impairment relay (`breakout_e2e::impair`): started in the
//! router namespace with its [`RelayConfig`] as one JSON argument.

use breakout_e2e::impair::relay::{RelayConfig, serve};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let json = std::env::args()
        .nth(1)
        .ok_or_else(|| std::io::Error::other("usage: impair-relay '<RelayConfig JSON>'"))?;
    let config: RelayConfig = serde_json::from_str(&json).map_err(std::io::Error::other)?;
    serve(config).await
}
