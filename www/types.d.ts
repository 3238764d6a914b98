// Types for `tsc -p .` (npm run check:js): the engine's API as the page uses it, and the views
// (JSON) it returns. Field names follow the `#[derive(Serialize)]` structs in src/playground.rs,
// src/sim/mod.rs, src/record_view.rs, src/countdowns.rs, src/client/ (listed: what www/ reads).
// Global declarations (no import/export), so every www/*.js file can name them in JSDoc.
// Never loaded by the browser.

/** The wasm-bindgen module (`wasm-pack build --target web`, gitignored): declared here so the
 * check does not need a build. engine.js casts what it imports to PlaygroundClass either way. */
declare module '*/pkg/kafka_playground.js' {
  export default function init(module_or_path?: unknown): Promise<unknown>;
  export const Playground: PlaygroundClass;
  export function wasmMemory(): WebAssembly.Memory;
  export function limits(): PageLimits;
  export function preset(name: string): string;
  export function customScenario(shape: ShapeSpec): string;
  export function eventCategories(): CategoryView[];
}

/** The static side of the engine's `Playground` class (src/wasm.rs). */
interface PlaygroundClass {
  new (scenario?: string, seed?: number): PlaygroundApi;
  fromFragment(fragment: string): PlaygroundApi;
  configDefs(): ConfigDefView[];
}

/** One engine handle (`new Playground(...)`): the methods of src/wasm.rs the page calls. */
interface PlaygroundApi {
  apply(command: string): void;
  advance(ms: number): number;
  step(): boolean;
  nowMs(): number;
  structure(): Structure;
  frame(): number;
  frameLen(): number;
  tailsPtr(): number;
  tailsLen(): number;
  controllerQuorum(): ControllerQuorumView;
  eventsSince(from: number, max: number): EventView[];
  inFlight(max: number): InFlightMessage[];
  metrics(): Metrics;
  invariants(): InvariantsView;
  storage(): ReplicaStorageView[];
  countdowns(): Countdowns;
  reassignments(): ReassignmentView[];
  records(replica: number, from: number, count: number): RecordView[];
  ghosts(): GhostView[];
  dismissGhosts(): void;
  describe(): string;
  partitionMembers(): PartitionMembersView[];
  describeGroups(): string;
  clients(): ClientsView;
  audit(): ClientAudit;
  configs(): ConfigsView;
  seed(): number;
  shareFragment(): string;
  timeline(): TimelineView;
  seek(tMs: number): void;
  fork(): void;
  undo(): string | undefined;
  story(): Story;
  narrationText(k: number): string | undefined;
  exportTrace(): string;
  exportHistory(): string;
  exportSvg(): string;
  free(): void;
}

/** What loadEngine() resolves to (engine.js). */
interface Engine {
  Playground: PlaygroundClass;
  wasmMemory: () => WebAssembly.Memory;
  defs: ConfigDefs;
  limits: PageLimits;
  /** A preset's scenario text (throws naming the known presets). */
  preset: (name: string) => string;
  /** The custom cluster of a shape as scenario text (throws naming the field). */
  customScenario: (shape: ShapeSpec) => string;
  categories: CategoryView[];
}

/** limits() (src/page/presets.rs): the page's ranges. */
interface PageLimits {
  brokers: number; partitions: number; replication_factor: number; min_insync_replicas: number;
  replica_lag_time_max_ms: number; controllers: number; seed: number; speeds: number[];
}
/** customScenario()'s shape (every field optional: the page's defaults). */
interface ShapeSpec {
  brokers?: number; partitions?: number; replication_factor?: number; min_insync_replicas?: number;
  replica_lag_time_max_ms?: number; acks?: string; controllers?: number;
}
/** eventCategories(): the event log's filter chips, in order. */
interface CategoryView { name: string; doc: string; quiet: boolean }
/** pg.partitionMembers(): per partition (structure order), as the controller records it. */
interface PartitionMembersView { leader: number | null; isr: number[]; elr: number[]; last_known_elr: number[]; adding: number[]; removing: number[] }
/** pg.reassignments(): one partition being moved (src/page/reassignments_view.rs). */
interface AddingReplicaView { broker: number; log_end_offset: number; leader_log_end_offset: number; in_isr: boolean; percent: number; throttled: boolean; text: string }
interface ReassignmentView {
  topic: string; partition: number; from: number[]; to: number[]; adding: number[]; removing: number[];
  leader: number | null; isr: number[]; progress: AddingReplicaView[]; text: string; waiting_for: string;
}

/** Playground.configDefs() entry. */
interface ConfigDefView {
  key: string;
  scope: string;
  /** long, boolean, choice, ratio, text */
  kind: string;
  min: number | null;
  max: number | null;
  choices: string[];
  default: string;
  broker_synonym: string | null;
}

/** loadDefs(): "scope:key" → what the tooltips and forms need. */
type ConfigDefs = Map<string, { doc: string; def: string; allowed: string; kind?: string; choices?: string[] }>;

/** An engine command (src/command.rs: JSON with a "type" tag); the fields www/ reads or sets. */
interface Command {
  type: string;
  broker?: number;
  node?: string;
  from?: string;
  to?: string;
  one_way?: boolean;
  key?: string;
  value?: string;
  topic?: string;
  partition?: number;
  count?: number;
  records_per_sec?: number;
  consumer?: number;
  group_id?: string;
  extra_latency_ms?: number;
  ms?: number;
  [field: string]: unknown;
}

// ---------------------------------------------------------------- structure and frame

interface FrameLayout {
  header: number;
  broker_offset: number;
  broker_stride: number;
  partition_offset: number;
  partition_stride: number;
  replica_offset: number;
  replica_stride: number;
  header_fields: string[];
  broker_fields: string[];
  partition_fields: string[];
  replica_fields: string[];
  broker_status_codes: string[];
  disk_state_codes: string[];
}

interface BrokerRef { id: number; rack: string | null }
interface TopicView { name: string; internal: boolean; partitions: number; replication_factor: number; config: Record<string, string> }
interface PartitionRef { topic: string; partition: number; replicas: number[]; first_replica: number }
interface ReplicaRef { topic: string; partition: number; broker: number; reassignment: 'adding' | 'removing' | null }

/** pg.structure(): what changes only with the cluster's shape (src/playground.rs Structure). */
interface Structure {
  version: number;
  seed: number;
  name: string | null;
  description: string | null;
  brokers: BrokerRef[];
  topics: TopicView[];
  partitions: PartitionRef[];
  replicas: ReplicaRef[];
  nodes: string[];
  tail_cells: number;
  layout: FrameLayout;
  frame_len: number;
}

/** Field name → index in the frame's header (h), broker (b), partition (p) and replica (r) records (loop.js indexMaps). */
interface IndexMaps {
  h: Record<string, number>;
  b: Record<string, number>;
  p: Record<string, number>;
  r: Record<string, number>;
}

// ---------------------------------------------------------------- text views

interface TimedCommand { at_ms: number; command: Command }
/** pg.timeline(). */
interface TimelineView { start_ms: number; end_ms: number; now_ms: number; at_end: boolean; commands: TimedCommand[] }

interface MetricsSample {
  time_ms: number;
  under_replicated_partitions: number;
  offline_partitions_count: number;
  isr_shrinks: number;
  isr_expands: number;
  acknowledged: number;
  failed: number;
  produce_latency_p50_ms: number | null;
  produce_latency_p99_ms: number | null;
  consumer_lag: number;
}
/** pg.metrics(). */
interface Metrics {
  current: MetricsSample;
  produce_errors: Record<string, number>;
  history: MetricsSample[];
  before_last_action: MetricsSample | null;
  last_action_ms: number | null;
}

/** pg.eventsSince() entry. */
/** An event-log line; `error`: the Kafka error it carries (an error line), or null. */
interface EventView { seq: number; time_ms: number; node: string; category: string; message: string; error: string | null }

interface Violation { invariant: string; time_ms: number; message: string }
/** pg.invariants(). */
interface InvariantsView { ok: boolean; violations: Violation[]; lost_acknowledged_writes: number }

interface SegmentView { base_offset: number; next_offset: number; file: string; size_bytes: number; records: number; active: boolean }
interface CleanedRecordView { offset: number; key: string | null; value: string | null }
interface CleaningView {
  at_ms: number;
  from: number;
  to: number;
  records_before: number;
  records_after: number;
  removed_count: number;
  removed: CleanedRecordView[];
}
/** pg.storage() entry (one per replica, in the structure's replica order). */
interface ReplicaStorageView {
  topic: string;
  partition: number;
  broker: number;
  log_start_offset: number;
  log_end_offset: number;
  cleaner_checkpoint: number;
  cleanup_policy: string;
  segments: SegmentView[];
  tombstones: number[];
  last_cleaning: CleaningView | null;
}

/** pg.records() entry (src/record_view.rs RecordView). */
interface RecordView {
  offset: number;
  leader_epoch: number;
  key: string | null;
  value: string | null;
  batch_base_offset: number;
  timestamp_ms: number;
  segment: string;
  committed: boolean;
}

interface GhostRecord { offset: number; leader_epoch: number; key: string | null; value: string | null; acknowledged_lost: boolean }
/** pg.ghosts() entry: records a replica lost from its end. */
interface GhostView {
  topic: string;
  partition: number;
  broker: number;
  at_ms: number;
  first_offset: number;
  last_offset: number;
  acknowledged_lost: number;
  label: string;
  records: GhostRecord[];
}

interface ProduceErrorInfo { error: string; topic_partition: string; broker: number | null; at_ms: number; reason: string; retried: boolean }
interface ProducerStats { batches_sent: number; requests_sent: number; records_sent: number; retries: number; epoch_bumps: number; duplicates_answered: number }
interface ProducerView {
  settings: Record<string, string>;
  idempotent: boolean;
  producer_id: number;
  producer_epoch: number;
  stats: ProducerStats;
  queued_batches: number;
  in_flight_requests: number;
  acknowledged: number;
  failed: number;
  failed_attempts_retried: number;
  last_error: ProduceErrorInfo | null;
  recent_errors: { count: number; last: ProduceErrorInfo }[];
  in_flight_by_broker: { broker: number; requests: number; oldest_sent_ms: number }[];
  warnings: string[];
}
interface PositionView { topic: string; partition: number; offset: number; state: string; lag: number; committed: number }
interface ConsumerErrorInfo { error: string; about: string; at_ms: number; reason: string }
interface ConsumerView {
  id: number;
  client_id: string;
  group_id: string;
  topics: string[];
  member_id: string;
  generation: number;
  protocol: string | null;
  state: string;
  crashed: boolean;
  stalled_ms: number;
  coordinator: number | null;
  assignor: string;
  assignment: string[];
  positions: PositionView[];
  consumed: number;
  stats: { rebalances: number; commits: number; commit_failures: number; truncations_detected: number; offset_resets: number };
  recent_errors: { count: number; last: ConsumerErrorInfo }[];
}
interface GroupPartitionView {
  topic: string;
  partition: number;
  current_offset: number;
  log_end_offset: number;
  lag: number;
  consumer_id: string | null;
  client_id: string | null;
  host: string | null;
}
interface GroupView {
  group_id: string;
  coordinator: number;
  state: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  members: string[];
  partitions: GroupPartitionView[];
}
/** pg.clients(). */
interface ClientsView { producer: ProducerView; consumers: ConsumerView[]; groups: GroupView[] }

/** pg.countdowns(): the timers the engine runs (src/countdowns.rs). */
interface Countdowns {
  now_ms: number;
  followers: { topic: string; partition: number; broker: number; leader: number; in_isr: boolean; since_caught_up_ms: number; limit_ms: number; remaining_ms: number; next_check_in_ms: number; behind_records: number }[];
  brokers: { broker: number; silent_ms: number; limit_ms: number; remaining_ms: number; registration_refused: boolean }[];
  startups: { broker: number; elapsed_ms: number; limit_ms: number; remaining_ms: number }[];
  produces: { broker: number; client: string; topic: string; partition: number; base_offset: number; required_offset: number; deadline_ms: number; timeout_ms: number; waited_ms: number; remaining_ms: number }[];
  consumers: { group_id: string; member_id: string; client_id: string; silent_ms: number; limit_ms: number; remaining_ms: number }[];
  requests: { client: string; broker: number; requests: number; waited_ms: number; limit_ms: number; remaining_ms: number }[];
}

/** pg.audit() (src/audit.rs ClientAudit): counts by name. */
interface ClientAudit {
  acknowledged: number;
  failed: number;
  lost_after_acknowledgement: number;
  duplicated: number;
  out_of_order_keys: number;
  consumed_more_than_once: number;
  consumed_then_truncated: number;
}

/** pg.configs(): the configs in force (Kafka key → text) and the network. */
interface ConfigsView {
  cluster: Record<string, string>;
  brokers: Record<string, Record<string, string>>;
  producer: Record<string, string>;
  workload: { topic: string; records_per_sec: number; keys: number } | null;
  network: {
    min_latency_ms: number; max_latency_ms: number; loss: number; cuts: [string, string][];
    /** Per-link overrides: slow links (extra latency) and lossy links. */
    links: { from: string; to: string; extra_latency_ms: number; loss: number | null }[];
  };
}

interface VoterView {
  id: number;
  node: string;
  /** active, standby or crashed */
  status: string;
  raft_state: string;
  epoch: number;
  leader: number | null;
  voted_for: number | null;
  log_end_offset: number;
  high_watermark: number;
}
/** pg.controllerQuorum() (src/playground.rs ControllerQuorumPageView). */
interface ControllerQuorumView {
  voters: VoterView[];
  active: number | null;
  epoch: number;
  majority: number;
  running: number;
  committed_offset: number;
  no_controller_for_ms: number | null;
}

/** pg.inFlight() entry: a message on the wire. */
interface InFlightMessage { from: string; to: string; controller: number | null; kind: string; sent_ms: number; deliver_at_ms: number }

/** A guided stop's look_at target (scenario files' narration). */
interface LookTarget { kind: string; broker?: number; topic?: string; partition?: number; consumer?: number; panel?: string }
interface NarrationStop { at_ms: number; title: string; text: string; look_at?: LookTarget[] }
/** pg.story(). */
interface Story { name?: string | null; description?: string | null; narration: NarrationStop[] }

// ---------------------------------------------------------------- the page's own shapes

/** The per-frame timings the main page exposes for the e2e test and the browser benchmark. */
interface FrameStats {
  samples: number[];
  last: { advance: number; engine: number; draw: number; dom: number } | null;
}

// Page globals: the engine's panic hook (engine.js), and the main page's test hooks (main.js).
declare var __kafkaPlaygroundPanic: ((message: string) => void) | undefined;
declare var __frameStats: FrameStats;
declare var __playground: PlaygroundApi;
declare var __advance: (ms: number) => void;

/** The Cluster controls' shape: numbers, or the text of inputs and URL parameters. */
interface ClusterShape { brokers: number | string; partitions: number | string; rf: number | string; controllers?: number | string }
/** A new shape from the Cluster controls (their inputs' text). */
interface ClusterShapeText { brokers: string; partitions: string; rf: string; controllers: string }

/** A guided stop's canvas target: a node box, a partition row, or a replica (render.js setLookMarks). */
interface LookMark { name: string; node?: string; pi?: number; broker?: number }
/** What the current guided stop looks at (guide-controller.js applyLook; render.js draws it). */
interface Look { nodes: Set<string>; partitions: Set<number>; replicas: Set<string>; marks: LookMark[] }

/**
 * The mutable state one instance's parts share: createPlayground (app.js) makes it and hands it to
 * the frame loop (loop.js) and the guide controller (guide-controller.js).
 */
interface RunState {
  /** Simulated time runs (the loop's setPlaying changes it). */
  playing: boolean;
  /** stop() was called: no more frames or engine calls. */
  stopped: boolean;
  /** The engine panicked: no more frames or engine calls. */
  dead: boolean;
  /** A frame is wanted even when paused (paused and not dirty, the loop idles). */
  dirty: boolean;
  /** The next frame reads the text views and updates the panels. */
  forceUi: boolean;
}

/** The state and actions app.js shares with the controls (controls.js, groups.js). */
interface App {
  pg: PlaygroundApi;
  structure: Structure | null;
  idx: IndexMaps | null;
  /** The topic the producer, topic configs and readers act on. */
  topic: string;
  /** The slow links in force: [from, to, extra ms] (the engine's configs().network.links). */
  slow: [string, string, number][];
  cuts: [string, string][];
  acks: string;
  shape: ClusterShape;
  newCluster: (shape: ClusterShapeText) => void;
  configs: () => ConfigsView;
  error: (message: string) => void;
  run(cmd: Command): boolean;
  changed(): void;
  look?: Look | null;
}
