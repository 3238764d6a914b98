//! What runs the engine to prove it: seed sweeps with fault schedules and shrinking (`verify/`),
//! fuzz entry points (`fuzz.rs`, native only), and the golden trace hashes that native and wasm
//! builds must agree on (`golden.rs`).

/// serde's derive for `Command`, the reference its hand-written decoder is checked against
/// (native only).
#[cfg(not(target_arch = "wasm32"))]
pub mod command_reference;
/// Fuzz entry points (native only: the fuzzers are native programs).
#[cfg(not(target_arch = "wasm32"))]
pub mod fuzz;
pub mod golden;
pub mod verify;
