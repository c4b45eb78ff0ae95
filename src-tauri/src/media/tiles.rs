//! The size each video tile is drawn at, declared to the SFU so that it
//! sends every slot the simulcast layer that fits and nothing to a slot no
//! tile shows. The meeting window's frame requests list all its tiles with
//! their sizes ([`protocol`](super::protocol)), so the latest request is
//! what the window shows now ([`FrameStore::show`](super::FrameStore::show));
//! [`declare`] tells the server what changed.

use std::sync::Arc;

use breakout_client::Connection;
use breakout_client::protocol::media::TileSize;
use breakout_client::protocol::ws::Request;
use tokio::sync::watch;
use tracing::debug;

use super::frames::Shown;

/// What to declare to go from `declared` to `shown`: every tile whose size
/// changed or that is new, and `0×0` for a tile no longer shown.
pub fn changes(declared: &Shown, shown: &Shown) -> Vec<TileSize> {
    let tile = |mid: &str, (width, height): (u32, u32)| TileSize {
        mid: mid.to_owned(),
        width,
        height,
    };
    let resized = shown
        .iter()
        .filter(|(mid, size)| declared.get(*mid) != Some(size))
        .map(|(mid, size)| tile(mid, *size));
    let gone = declared
        .iter()
        .filter(|(mid, size)| !shown.contains_key(*mid) && **size != (0, 0))
        .map(|(mid, _)| tile(mid, (0, 0)));
    resized.chain(gone).collect()
}

/// Declares the tiles on `conn` whenever they change, for one media
/// session (the server forgets them with the connection). Ends when the
/// frame store goes.
pub async fn declare(conn: Arc<Connection>, mut shown: watch::Receiver<Shown>) {
    let mut declared = Shown::new();
    loop {
        let now = shown.borrow_and_update().clone();
        let tiles = changes(&declared, &now);
        if !tiles.is_empty() {
            for tile in &tiles {
                declared.insert(tile.mid.clone(), (tile.width, tile.height));
            }
            if let Err(error) = conn.request(Request::SetTileSizes { tiles }).await {
                debug!(%error, "tile sizes not declared");
            }
        }
        if shown.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(tiles: &[(&str, u32, u32)]) -> Shown {
        tiles
            .iter()
            .map(|&(mid, width, height)| (mid.to_owned(), (width, height)))
            .collect()
    }

    fn sizes(tiles: &[TileSize]) -> Vec<(&str, u32, u32)> {
        tiles
            .iter()
            .map(|t| (t.mid.as_str(), t.width, t.height))
            .collect()
    }

    #[test]
    fn new_and_resized_tiles_are_declared_and_gone_ones_get_nothing() {
        let first = shown(&[("4", 640, 368), ("5", 320, 176)]);
        assert_eq!(
            sizes(&changes(&Shown::new(), &first)),
            [("4", 640, 368), ("5", 320, 176)]
        );
        // The grid grew: slot 4's tile shrank, slot 5's went, 6 came.
        let second = shown(&[("4", 320, 176), ("6", 320, 176)]);
        assert_eq!(
            sizes(&changes(&first, &second)),
            [("4", 320, 176), ("6", 320, 176), ("5", 0, 0)]
        );
        assert!(changes(&second, &second).is_empty());
    }

    #[test]
    fn a_tile_declared_gone_is_not_declared_again() {
        let declared: Shown = [("5".to_owned(), (0, 0))].into_iter().collect();
        assert!(changes(&declared, &Shown::new()).is_empty());
    }
}
