//! The browser facade: the only file that knows wasm-bindgen. It wraps
//! [`crate::page::playground::Playground`]; every input is validated and every error
//! comes back as a JS exception with a clear message, never a panic.

use crate::page::playground::Playground as Core;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(s: &str);
}

/// Reports panics to the console and to `globalThis.__kafkaPlaygroundPanic(message)`
/// when the page defines it, so a bug never leaves the page silently dead.
fn panic_hook(info: &std::panic::PanicHookInfo<'_>) {
    let msg = format!("kafka-playground engine panicked: {info}");
    console_error(&msg);
    let global = js_sys::global();
    if let Ok(f) = js_sys::Reflect::get(&global, &JsValue::from_str("__kafkaPlaygroundPanic")) {
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            let _ = f.call1(&JsValue::NULL, &JsValue::from_str(&msg));
        }
    }
}

/// Installs the panic hook (once; called by the constructor).
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(panic_hook)));
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    let t = serde_json::to_string(v).map_err(|e| JsError::new(&format!("cannot encode view: {e}")))?;
    js_sys::JSON::parse(&t).map_err(|_| JsError::new("cannot encode view"))
}

/// Largest seed accepted (JavaScript numbers are exact up to 2^53).
const MAX_SEED: f64 = crate::page::presets::MAX_PAGE_SEED as f64;

fn random_seed() -> u64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        return 1;
    }
    u64::from_le_bytes(b) & ((1u64 << 53) - 1)
}

/// The engine handle the page holds.
#[wasm_bindgen]
pub struct Playground {
    core: Core,
}

#[wasm_bindgen]
impl Playground {
    /// `scenario`: a scenario file's JSON text (the default playground when absent);
    /// `seed`: an integer in [0, 2^53) (chosen at random when absent).
    #[wasm_bindgen(constructor)]
    pub fn new(scenario: Option<String>, seed: Option<f64>) -> Result<Playground, JsError> {
        install_panic_hook();
        let seed = match seed {
            None => random_seed(),
            Some(s) if (0.0..=MAX_SEED).contains(&s) && s.fract() == 0.0 => s as u64,
            Some(s) => return Err(JsError::new(&format!("seed: expected an integer in [0, 2^53), got {s}"))),
        };
        let core = Core::new(scenario.as_deref(), Some(seed)).map_err(|e| JsError::new(&format!("scenario {e}")))?;
        Ok(Playground { core })
    }

    /// Applies one command given as JSON text, e.g. `{"type":"crash_broker","broker":2}`.
    pub fn apply(&mut self, command: &str) -> Result<(), JsError> {
        if command.len() > 64 * 1024 {
            return Err(JsError::new("command: larger than 64 KiB"));
        }
        self.core.apply_json(command).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Advances simulated time; returns the number of events processed.
    pub fn advance(&mut self, ms: f64) -> Result<f64, JsError> {
        if !ms.is_finite() || ms < 0.0 || ms > crate::command::MAX_RUN_MS as f64 {
            return Err(JsError::new(&format!("ms: expected 0 to {} ms, got {ms}", crate::command::MAX_RUN_MS)));
        }
        Ok(self.core.advance(ms.floor() as i64) as f64)
    }

    /// Processes one event; false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        self.core.step()
    }

    #[wasm_bindgen(js_name = nowMs)]
    pub fn now_ms(&self) -> f64 {
        self.core.now_ms() as f64
    }

    /// Brokers, topics, partitions, replicas and the frame layout (changes rarely; see `version`).
    pub fn structure(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.core.structure())
    }

    /// Recomputes the frame (and the log tails); returns the address of its `f64` buffer in wasm memory
    /// (read it with `new Float64Array(wasmMemory().buffer, ptr, frameLen())`).
    pub fn frame(&mut self) -> u32 {
        self.core.frame().0.as_ptr() as u32
    }

    #[wasm_bindgen(js_name = frameLen)]
    pub fn frame_len(&self) -> u32 {
        self.core.frame_buf().len() as u32
    }

    /// Address of the log-tail buffer (`i32` leader epochs, -1 = no record) filled by the last `frame()`.
    #[wasm_bindgen(js_name = tailsPtr)]
    pub fn tails_ptr(&self) -> u32 {
        self.core.tails().as_ptr() as u32
    }

    #[wasm_bindgen(js_name = tailsLen)]
    pub fn tails_len(&self) -> u32 {
        self.core.tails().len() as u32
    }

    /// The KRaft controller quorum: `voters[]` (`id`, `node`, `status` active / standby /
    /// crashed, `raft_state`, `epoch`, `leader`, `voted_for`, `log_end_offset`, `high_watermark`;
    /// empty with a single controller), `active`, `epoch`, `majority`, `running`,
    /// `committed_offset`, `no_controller_since_ms`, `no_controller_for_ms`, `last_change`.
    #[wasm_bindgen(js_name = controllerQuorum)]
    pub fn controller_quorum(&self) -> Result<JsValue, JsError> {
        to_js(&self.core.controller_quorum())
    }

    /// Event-log lines with `seq` ≥ `from` (at most `max`).
    #[wasm_bindgen(js_name = eventsSince)]
    pub fn events_since(&self, from: f64, max: u32) -> Result<JsValue, JsError> {
        let from = if from.is_finite() && from >= 0.0 { from as usize } else { 0 };
        to_js(&self.core.events_since(from, max.min(5_000) as usize))
    }

    /// Messages on the wire: from, to, kind, sent_ms, deliver_at_ms.
    #[wasm_bindgen(js_name = inFlight)]
    pub fn in_flight(&self, max: u32) -> Result<JsValue, JsError> {
        let v: Vec<_> = self.core.cs.sim.in_flight().into_iter().take(max as usize).collect();
        to_js(&v)
    }

    pub fn metrics(&self) -> Result<JsValue, JsError> {
        to_js(&self.core.metrics())
    }

    pub fn invariants(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.core.invariants())
    }

    /// Every replica's segments (file names, sizes, the active one), log start, cleaner
    /// checkpoint and tombstone offsets, in the structure's replica order.
    pub fn storage(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.core.storage())
    }

    /// Every partition reassignment in progress (KIP-455): from and to, each adding replica's
    /// progress and throttle, and what completes it.
    pub fn reassignments(&self) -> Result<JsValue, JsError> {
        to_js(&self.core.reassignments())
    }

    /// The timers the engine runs (follower lag, broker sessions, waiting acks=all writes,
    /// consumer sessions) with their limits and what remains.
    pub fn countdowns(&self) -> Result<JsValue, JsError> {
        to_js(&self.core.countdowns())
    }

    /// Records of the replica at `replica` (structure index) in `[from, from + count)`.
    pub fn records(&mut self, replica: u32, from: f64, count: u32) -> Result<JsValue, JsError> {
        if !from.is_finite() {
            return Err(JsError::new("records: from must be a number"));
        }
        to_js(&self.core.records(replica as usize, from as i64, count as usize))
    }

    /// Records replicas lost from their end (truncation, power loss), labelled.
    pub fn ghosts(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.core.ghosts())
    }

    #[wasm_bindgen(js_name = dismissGhosts)]
    pub fn dismiss_ghosts(&mut self) {
        self.core.dismiss_ghosts()
    }

    /// Settings Kafka accepts that make writes fail, in words.
    #[wasm_bindgen(js_name = configWarnings)]
    pub fn config_warnings(&self) -> Result<JsValue, JsError> {
        to_js(&self.core.config_warnings())
    }

    /// `kafka-topics.sh --describe` output.
    pub fn describe(&self) -> String {
        self.core.describe()
    }

    /// Each partition's leader, ISR, ELR and LastKnownElr in the controller's order, in the
    /// structure's partition order (the ISR order the page shows).
    #[wasm_bindgen(js_name = partitionMembers)]
    pub fn partition_members(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.core.partition_members())
    }

    /// `kafka-consumer-groups.sh --describe` output for every group.
    #[wasm_bindgen(js_name = describeGroups)]
    pub fn describe_groups(&self) -> String {
        self.core.describe_groups()
    }

    /// The producer (settings in force, id/epoch, counters), consumers (state, assignment,
    /// positions, lag) and groups (state, generation, per-partition offsets and lag).
    pub fn clients(&self) -> Result<JsValue, JsError> {
        to_js(&self.core.clients())
    }

    /// The client audit: acknowledged, failed, lost, duplicated, out-of-order keys,
    /// consumed more than once, consumed then truncated.
    pub fn audit(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.core.audit())
    }

    pub fn configs(&self) -> Result<JsValue, JsError> {
        to_js(&self.core.configs())
    }

    /// Every config key with scope, default, allowed values and meaning (for tooltips).
    #[wasm_bindgen(js_name = configDefs)]
    pub fn config_defs() -> Result<JsValue, JsError> {
        to_js(&Core::config_defs())
    }

    #[wasm_bindgen(js_name = traceHash)]
    pub fn trace_hash(&self) -> String {
        self.core.trace_hash_hex()
    }

    /// The seed of this run (an integer below 2^53).
    pub fn seed(&self) -> f64 {
        self.core.cs.sim.spec.seed as f64
    }

    /// Opens a shared run from a URL fragment (`#v1.…`): replays it and lands on the
    /// moment it was shared at. A bad fragment gives an error saying what is wrong.
    #[wasm_bindgen(js_name = fromFragment)]
    pub fn from_fragment(fragment: &str) -> Result<Playground, JsError> {
        install_panic_hook();
        let core = crate::page::share::open(fragment).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Playground { core })
    }

    /// The URL fragment (without `#`) that reproduces this run, looking at the current moment.
    #[wasm_bindgen(js_name = shareFragment)]
    pub fn share_fragment(&self) -> String {
        crate::page::share::encode(&self.core)
    }

    /// `{start_ms, end_ms, now_ms, at_end, commands: [{at_ms, command}], snapshots, snapshot_every_ms, scenario_end_ms}`.
    pub fn timeline(&self) -> Result<JsValue, JsError> {
        to_js(&self.core.timeline_view())
    }

    /// Goes to simulated time `t_ms` of this run (clamped to it). Later commands are kept:
    /// playing continues the recorded run; a command, a step or `fork()` discards them.
    pub fn seek(&mut self, t_ms: f64) -> Result<(), JsError> {
        if !t_ms.is_finite() {
            return Err(JsError::new("t_ms: expected a time in ms"));
        }
        self.core.seek(t_ms.clamp(0.0, i64::MAX as f64 / 2.0) as i64);
        Ok(())
    }

    /// Discards what comes after the current moment.
    pub fn fork(&mut self) {
        self.core.fork()
    }

    /// Goes back to just before the last command and forgets it; returns the command
    /// undone (JSON text), or undefined when there is none.
    pub fn undo(&mut self) -> Option<String> {
        self.core.undo().map(|c| c.to_json())
    }

    /// The scenario's name, description and narration stops (`[{at_ms, title, text, look_at}]`).
    pub fn story(&self) -> Result<JsValue, JsError> {
        let s = self.core.scenario();
        to_js(&serde_json::json!({
            "name": s.name,
            "description": s.description,
            "narration": s.narration,
            "scenario_end_ms": self.core.scenario_end_ms(),
        }))
    }

    /// The text of narration stop `k` with its `{placeholders}` filled from the run as it is
    /// now (the page asks when it shows the stop); undefined when there is no such stop.
    #[wasm_bindgen(js_name = narrationText)]
    pub fn narration_text(&mut self, k: usize) -> Option<String> {
        self.core.narration_text(k)
    }

    /// The run as JSON text: scenario, seed, commands, events, trace hash, link.
    #[wasm_bindgen(js_name = exportTrace)]
    pub fn export_trace(&self) -> String {
        crate::page::export::trace_json(&self.core)
    }

    /// A Jepsen-style history (EDN, one operation per line).
    #[wasm_bindgen(js_name = exportHistory)]
    pub fn export_history(&self) -> String {
        crate::page::export::jepsen_history(&self.core)
    }

    /// The cluster view as SVG text.
    #[wasm_bindgen(js_name = exportSvg)]
    pub fn export_svg(&self) -> String {
        crate::page::export::cluster_svg(&self.core)
    }
}

/// The benchmark scenario (6 brokers × 24 partitions × RF 3; the page's `?preset=bench`).
#[wasm_bindgen(js_name = benchScenario)]
pub fn bench_scenario() -> String {
    crate::page::playground::BENCH_SCENARIO.to_string()
}

/// The page's limits: most brokers, partitions, replication factor, min ISR, lag time and
/// controllers the custom cluster takes, the largest seed, the speeds it plays at.
#[wasm_bindgen]
pub fn limits() -> Result<JsValue, JsError> {
    to_js(&crate::page::presets::limits())
}

/// A preset's scenario text (`?preset=bench`), or an error naming the known presets.
#[wasm_bindgen]
pub fn preset(name: &str) -> Result<String, JsError> {
    crate::page::presets::preset(name).map(str::to_string).map_err(|e| JsError::new(&e.to_string()))
}

/// The custom cluster of a shape `{brokers, partitions, replication_factor, min_insync_replicas,
/// replica_lag_time_max_ms, acks, controllers}` (each optional) as scenario text; an error names
/// the field.
#[wasm_bindgen(js_name = customScenario)]
pub fn custom_scenario(shape: JsValue) -> Result<String, JsError> {
    let shape: crate::page::presets::ClusterShape =
        serde_wasm_bindgen::from_value(shape).map_err(|e| JsError::new(&format!("shape: {e}")))?;
    crate::page::presets::custom_scenario(&shape).map_err(|e| JsError::new(&e.to_string()))
}

/// The event log's categories in the order of the page's filter chips: name, what its lines
/// are about, and whether the filter starts off.
#[wasm_bindgen(js_name = eventCategories)]
pub fn event_categories() -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct CategoryView {
        name: &'static str,
        doc: &'static str,
        quiet: bool,
    }
    let all: Vec<CategoryView> = crate::effects::Category::ALL
        .into_iter()
        .map(|c| CategoryView { name: c.as_str(), doc: c.doc(), quiet: c.quiet_by_default() })
        .collect();
    to_js(&all)
}

/// The module's memory, for reading `frame()` and `tailsPtr()` buffers. (Not named
/// `memory`: that name is the module's own memory export, which the JS glue uses.)
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Runs a scenario file to its end (as `kafka-sim run`) and returns its trace hash
/// (16 hex digits): the determinism check compares it with the native run's.
#[wasm_bindgen(js_name = scenarioTraceHash)]
pub fn scenario_trace_hash(json: &str) -> Result<String, JsError> {
    let s = crate::scenario::Scenario::parse(json).map_err(|e| JsError::new(&e.to_string()))?;
    let cs = crate::scenario::run(&s).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(format!("{:016x}", cs.sim.trace_hash()))
}
