//! The page's side of the engine: the handle the browser holds (`playground/`: commands,
//! views, the frame), its limits and presets (`presets.rs`), the recorded timeline and seeking (`timeline.rs`), the views it draws
//! (`countdowns.rs`, `record_view.rs`, `groups_view.rs`, `narration.rs`), what it exports or
//! shares (`export.rs`, `share.rs`, `report.rs`) and the one wasm-bindgen file (`wasm.rs`).

pub mod countdowns;
pub mod export;
pub mod groups_view;
pub mod narration;
pub mod playground;
pub mod presets;
pub mod reassignments_view;
pub mod record_view;
pub mod report;
pub mod share;
pub mod timeline;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
