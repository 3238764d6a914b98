//! Proving the engine, in the spirit of Jepsen and TigerBeetle's VOPR: random workloads
//! and fault schedules run under the invariant checker ([`sweep`]), failing runs cut down
//! to a minimal command list ([`shrink`]), under safe and known-unsafe settings
//! ([`profile`]). Plain Rust over the deterministic simulation: the same seed gives the
//! same run natively and in wasm.

pub mod profile;
pub mod shrink;
pub mod sweep;

pub use profile::{PowerLoss, Profile, PROFILES};
pub use sweep::{run_seed, Outcome, Problem};
