//! What is checked while the engine runs: the named invariants (`checker.rs`), lost acknowledged
//! writes (`audit.rs`), the clients' audit (`client_audit.rs`), and a simulation stepped under both (`checked_sim.rs`).

pub mod audit;
pub mod checked_sim;
pub mod checker;
pub mod client_audit;

pub use checked_sim::CheckedSim;
