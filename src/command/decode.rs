//! `Command` from JSON, by hand: the same commands accepted and the same error messages as
//! serde's derive for `#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]`
//! gave, in a fraction of the code (the derive buffered every command in serde's private
//! `Content` and compiled a decoder per variant over it: ~110 KB of the wasm module).
//!
//! Two stages, as the derive's:
//! 1. [`Tagged`] reads the document through serde (so syntax errors, and errors about the `type`
//!    tag, come from serde_json with their positions, at the same points of the text): the tag,
//!    and the other entries kept in document order with their duplicates ([`Raw`], serde's
//!    `Content` for JSON). An array is taken as serde takes it: the tag first, then the fields
//!    in declaration order.
//! 2. The variant's fields are decoded from the entries by a table ([`FIELDS`]), with serde's
//!    own error constructors (`invalid_type`, `unknown_field`, ...) and the checks serde's
//!    `ContentDeserializer` makes, in its order.
//!
//! `proof::command_reference` keeps the derive as a reference, and the fuzz target
//! `command_decoder` and `tests/integration/fuzz_short.rs` check this against it.

use super::{Command, DiskFault, ElectionType};
use crate::ids::NodeId;
use serde::de::{self, DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Unexpected, Visitor};
use serde_json::{Error, Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// A JSON value as serde's `Content` holds it: maps keep their order and duplicate keys.
#[derive(Debug)]
enum Raw {
    Unit,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(String),
    Seq(Vec<Raw>),
    Map(Vec<(String, Raw)>),
}

impl Raw {
    fn unexpected(&self) -> Unexpected<'_> {
        match self {
            Raw::Unit => Unexpected::Unit,
            Raw::Bool(b) => Unexpected::Bool(*b),
            Raw::U64(n) => Unexpected::Unsigned(*n),
            Raw::I64(n) => Unexpected::Signed(*n),
            Raw::F64(f) => Unexpected::Float(*f),
            Raw::Str(s) => Unexpected::Str(s),
            Raw::Seq(_) => Unexpected::Seq,
            Raw::Map(_) => Unexpected::Map,
        }
    }

    fn invalid_type(&self, expected: &str) -> Error {
        Error::invalid_type(self.unexpected(), &expected)
    }

    /// As serde_json's `Value` visitor builds it (a later duplicate key wins).
    fn into_value(self) -> Value {
        match self {
            Raw::Unit => Value::Null,
            Raw::Bool(b) => Value::Bool(b),
            Raw::U64(n) => Value::Number(n.into()),
            Raw::I64(n) => Value::Number(n.into()),
            Raw::F64(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
            Raw::Str(s) => Value::String(s),
            Raw::Seq(v) => Value::Array(v.into_iter().map(Raw::into_value).collect()),
            Raw::Map(v) => {
                let mut m = Map::new();
                for (k, x) in v {
                    m.insert(k, x.into_value());
                }
                Value::Object(m)
            }
        }
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::I64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::U64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::F64(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Unit)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element::<Raw>()? {
            v.push(x);
        }
        Ok(Raw::Seq(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut v = Vec::new();
        while let Some(k) = map.next_key_seed(KeySeed)? {
            v.push((k, map.next_value::<Raw>()?));
        }
        Ok(Raw::Map(v))
    }
}

impl<'de> de::Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

/// A map key, read as serde's `Content` reads one (`deserialize_any`; JSON keys are strings).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

/// The command names, in declaration order (serde's `VARIANTS`, named in its errors).
pub const VARIANTS: &[&str] = &[
    "create_topic",
    "produce",
    "crash_broker",
    "restart_broker",
    "shutdown_broker",
    "pause_broker",
    "resume_broker",
    "crash_controller",
    "restart_controller",
    "cut_link",
    "heal_link",
    "isolate",
    "heal_all",
    "slow_link",
    "set_link_loss",
    "set_network",
    "set_broker_config",
    "set_topic_config",
    "set_producer_config",
    "elect_leaders",
    "set_workload",
    "start_reader",
    "start_consumer",
    "stop_consumer",
    "crash_consumer",
    "stall_consumer",
    "commit_offsets",
    "set_consumer_config",
    "run",
    "run_until",
    "step",
    "alter_partition_reassignments",
    "delete_records",
    "add_broker",
    "slow_disk",
    "unregister_broker",
    "disk_fault",
    "create_partitions",
    "rolling_restart",
    "decommission_broker",
];

/// The `type` tag: an index into [`VARIANTS`], read as the derive's variant identifier.
struct Tag(usize);

impl<'de> de::Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tag, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Tag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("variant identifier")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tag, E> {
                match usize::try_from(v) {
                    Ok(i) if i < VARIANTS.len() => Ok(Tag(i)),
                    _ => Err(E::invalid_value(Unexpected::Unsigned(v), &"variant index 0 <= i < 36")),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Tag, E> {
                VARIANTS.iter().position(|n| *n == v).map(Tag).ok_or_else(|| E::unknown_variant(v, VARIANTS))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Tag, E> {
                match VARIANTS.iter().position(|n| n.as_bytes() == v) {
                    Some(i) => Ok(Tag(i)),
                    None => Err(E::unknown_variant(&String::from_utf8_lossy(v), VARIANTS)),
                }
            }
        }
        d.deserialize_identifier(V)
    }
}

/// A map key: the tag or another entry (serde's `TagOrContentVisitor` for JSON keys).
enum Key {
    Tag,
    Other(String),
}

struct KeyOrTag;

impl<'de> DeserializeSeed<'de> for KeyOrTag {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        KeySeed.deserialize(d).map(|k| if k == "type" { Key::Tag } else { Key::Other(k) })
    }
}

/// What follows the tag: the other entries of the object, or the rest of the array.
enum Rest {
    Map(Vec<(String, Raw)>),
    Seq(Vec<Raw>),
}

/// Stage 1: serde's `TaggedContentVisitor` with `Raw` for `Content`.
struct Tagged;

impl<'de> Visitor<'de> for Tagged {
    type Value = (Tag, Rest);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("internally tagged enum Command")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let Some(tag) = seq.next_element::<Tag>()? else {
            return Err(A::Error::missing_field("type"));
        };
        let mut rest = Vec::new();
        while let Some(x) = seq.next_element::<Raw>()? {
            rest.push(x);
        }
        Ok((tag, Rest::Seq(rest)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut tag = None;
        let mut rest = Vec::new();
        while let Some(k) = map.next_key_seed(KeyOrTag)? {
            match k {
                Key::Tag => {
                    if tag.is_some() {
                        return Err(A::Error::duplicate_field("type"));
                    }
                    tag = Some(map.next_value::<Tag>()?);
                }
                Key::Other(k) => {
                    let v = map.next_value::<Raw>()?;
                    rest.push((k, v));
                }
            }
        }
        match tag {
            None => Err(A::Error::missing_field("type")),
            Some(tag) => Ok((tag, Rest::Map(rest))),
        }
    }
}

/// How a field is decoded (the field's Rust type).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Str,
    U16,
    U32,
    I32,
    I64,
    F64,
    Bool,
    Node,
    Json,
    Election,
    /// `DiskFault` (unit variants, like `Election`).
    Disk,
    Strings,
    /// `BTreeMap<String, Value>`.
    JsonMap,
    /// `BTreeMap<String, Vec<i32>>`.
    Assignment,
    /// `Vec<i32>`: broker ids.
    Brokers,
}

/// How a field is read: required, `#[serde(default)]` (absent = the type's default, or 1 for
/// `produce`'s `count`), or an `Option` with `#[serde(default)]` (null or absent = `None`).
#[derive(Clone, Copy, PartialEq)]
enum How {
    R,
    D,
    O,
}

use How::*;
use Kind::*;

/// A variant's field names (serde's `FIELDS`, named in its errors) and how each is read.
type Fields = (&'static [&'static str], &'static [(Kind, How)]);

macro_rules! fields {
    ($($name:literal $kind:ident $how:ident),*) => {
        (&[$($name),*], &[$(($kind, $how)),*])
    };
}

/// Each variant's fields in declaration order (none: a unit variant).
const FIELDS: &[Fields] = &[
    fields!("name" Str R, "partitions" U32 O, "replication_factor" U16 O, "config" JsonMap D, "assignment" Assignment O),
    fields!("topic" Str R, "partition" U32 O, "key" Str O, "value" Str O, "count" U32 D, "tombstone" Bool D),
    fields!("broker" I32 R, "keep_page_cache" Bool D),     // crash_broker
    fields!("broker" I32 R),                               // restart_broker
    fields!("broker" I32 R),                               // shutdown_broker
    fields!("broker" I32 R, "ms" I64 O),                   // pause_broker
    fields!("broker" I32 R),                               // resume_broker
    fields!("controller" I32 O),                           // crash_controller
    fields!("controller" I32 R),                           // restart_controller
    fields!("from" Node R, "to" Node R, "one_way" Bool D), // cut_link
    fields!("from" Node R, "to" Node R, "one_way" Bool D), // heal_link
    fields!("node" Node R),                                // isolate
    fields!(),                                             // heal_all
    fields!("from" Node R, "to" Node R, "extra_latency_ms" I64 R, "one_way" Bool D), // slow_link
    fields!("from" Node R, "to" Node R, "loss" F64 R, "one_way" Bool D), // set_link_loss
    fields!("min_latency_ms" I64 O, "max_latency_ms" I64 O, "loss" F64 O), // set_network
    fields!("broker" I32 O, "key" Str R, "value" Json R),  // set_broker_config
    fields!("topic" Str R, "key" Str R, "value" Json R),   // set_topic_config
    fields!("key" Str R, "value" Json R),                  // set_producer_config
    fields!("topic" Str R, "partition" U32 R, "election_type" Election R), // elect_leaders
    fields!("topic" Str R, "records_per_sec" F64 R, "keys" U32 D), // set_workload
    fields!("topic" Str R, "partition" U32 R),             // start_reader
    fields!("group_id" Str R, "topics" Strings R, "config" JsonMap D), // start_consumer
    fields!("consumer" U32 R),                             // stop_consumer
    fields!("consumer" U32 R),                             // crash_consumer
    fields!("consumer" U32 R, "ms" I64 R),                 // stall_consumer
    fields!("consumer" U32 R),                             // commit_offsets
    fields!("consumer" U32 O, "key" Str R, "value" Json R), // set_consumer_config
    fields!("ms" I64 R),                                   // run
    fields!("time_ms" I64 R),                              // run_until
    fields!(),                                             // step
    fields!("topic" Str R, "partition" U32 R, "replicas" Brokers O, "throttle" I64 O), // alter_partition_reassignments
    fields!("topic" Str R, "partition" U32 R, "offset" I64 R), // delete_records
    fields!("broker" I32 O, "rack" Str O),                 // add_broker
    fields!("broker" I32 R, "write_latency_ms" I64 R),     // slow_disk
    fields!("broker" I32 R),                               // unregister_broker
    fields!("broker" I32 R, "fault" Disk R),               // disk_fault
    fields!("topic" Str R, "count" U32 R),                 // create_partitions
    fields!("hasty" Bool D),                               // rolling_restart
    fields!("broker" I32 R),                               // decommission_broker
];

/// The struct names serde's errors give a variant (`struct variant Command::CrashBroker`).
const STRUCT_NAMES: &[&str] = &[
    "CreateTopic",
    "Produce",
    "CrashBroker",
    "RestartBroker",
    "ShutdownBroker",
    "PauseBroker",
    "ResumeBroker",
    "CrashController",
    "RestartController",
    "CutLink",
    "HealLink",
    "Isolate",
    "HealAll",
    "SlowLink",
    "SetLinkLoss",
    "SetNetwork",
    "SetBrokerConfig",
    "SetTopicConfig",
    "SetProducerConfig",
    "ElectLeaders",
    "SetWorkload",
    "StartReader",
    "StartConsumer",
    "StopConsumer",
    "CrashConsumer",
    "StallConsumer",
    "CommitOffsets",
    "SetConsumerConfig",
    "Run",
    "RunUntil",
    "Step",
    "AlterPartitionReassignments",
    "DeleteRecords",
    "AddBroker",
    "SlowDisk",
    "UnregisterBroker",
    "DiskFault",
    "CreatePartitions",
    "RollingRestart",
    "DecommissionBroker",
];

/// A decoded field value.
enum Val {
    None,
    Str(String),
    Int(i64),
    F64(f64),
    Bool(bool),
    Node(NodeId),
    Json(Value),
    Election(ElectionType),
    Disk(DiskFault),
    Strings(Vec<String>),
    JsonMap(BTreeMap<String, Value>),
    Assignment(BTreeMap<String, Vec<i32>>),
    Brokers(Vec<i32>),
}

/// An integer as serde's visitor for `ty` takes it from `ContentDeserializer`: in range, or
/// "invalid value"; not an integer: "invalid type".
fn int(r: &Raw, ty: &'static str, min: i64, max: i64) -> Result<i64, Error> {
    match *r {
        Raw::U64(v) if v <= max as u64 => Ok(v as i64),
        Raw::U64(v) => Err(Error::invalid_value(Unexpected::Unsigned(v), &ty)),
        Raw::I64(v) if v >= min && v <= max => Ok(v),
        Raw::I64(v) => Err(Error::invalid_value(Unexpected::Signed(v), &ty)),
        _ => Err(r.invalid_type(ty)),
    }
}

fn string(r: Raw) -> Result<String, Error> {
    match r {
        Raw::Str(s) => Ok(s),
        r => Err(r.invalid_type("a string")),
    }
}

fn decode(kind: Kind, r: Raw) -> Result<Val, Error> {
    Ok(match kind {
        Str => Val::Str(string(r)?),
        U16 => Val::Int(int(&r, "u16", 0, u16::MAX as i64)?),
        U32 => Val::Int(int(&r, "u32", 0, u32::MAX as i64)?),
        I32 => Val::Int(int(&r, "i32", i32::MIN as i64, i32::MAX as i64)?),
        I64 => Val::Int(int(&r, "i64", i64::MIN, i64::MAX)?),
        F64 => Val::F64(match r {
            Raw::F64(v) => v,
            Raw::U64(v) => v as f64,
            Raw::I64(v) => v as f64,
            r => return Err(r.invalid_type("f64")),
        }),
        Bool => Val::Bool(match r {
            Raw::Bool(b) => b,
            r => return Err(r.invalid_type("a boolean")),
        }),
        // ids.rs: an untagged enum of an i64 or a string, then NodeId's own checks.
        Node => Val::Node(match r {
            Raw::U64(v) if v <= i64::MAX as u64 => node_number(v as i64)?,
            Raw::I64(v) => node_number(v)?,
            Raw::Str(s) => NodeId::parse(&s).map_err(Error::custom)?,
            _ => return Err(Error::custom("data did not match any variant of untagged enum Raw")),
        }),
        Json => Val::Json(r.into_value()),
        Election => Val::Election([ElectionType::Preferred, ElectionType::Unclean][unit_variant(r, &["preferred", "unclean"])?]),
        Disk => Val::Disk(
            [DiskFault::Full, DiskFault::Failed, DiskFault::SpaceFreed, DiskFault::Replaced]
                [unit_variant(r, &["full", "failed", "space_freed", "replaced"])?],
        ),
        Strings => match r {
            Raw::Seq(v) => Val::Strings(v.into_iter().map(string).collect::<Result<_, _>>()?),
            r => return Err(r.invalid_type("a sequence")),
        },
        JsonMap => match r {
            Raw::Map(v) => {
                let mut m = BTreeMap::new();
                for (k, x) in v {
                    m.insert(k, x.into_value());
                }
                Val::JsonMap(m)
            }
            r => return Err(r.invalid_type("a map")),
        },
        Brokers => match r {
            Raw::Seq(xs) => Val::Brokers(
                xs.iter().map(|x| int(x, "i32", i32::MIN as i64, i32::MAX as i64).map(|n| n as i32)).collect::<Result<_, _>>()?,
            ),
            r => return Err(r.invalid_type("a sequence")),
        },
        Assignment => match r {
            Raw::Map(v) => {
                let mut m = BTreeMap::new();
                for (k, x) in v {
                    let replicas = match x {
                        Raw::Seq(xs) => xs
                            .iter()
                            .map(|x| int(x, "i32", i32::MIN as i64, i32::MAX as i64).map(|n| n as i32))
                            .collect::<Result<_, _>>()?,
                        x => return Err(x.invalid_type("a sequence")),
                    };
                    m.insert(k, replicas);
                }
                Val::Assignment(m)
            }
            r => return Err(r.invalid_type("a map")),
        },
    })
}

fn node_number(n: i64) -> Result<NodeId, Error> {
    if (0..=i32::MAX as i64).contains(&n) {
        Ok(NodeId::Broker(n as i32))
    } else {
        Err(Error::custom(format!("broker id {n} is out of range")))
    }
}

/// An enum of unit variants (`ElectionType`, `DiskFault`: externally tagged) as
/// `ContentDeserializer` gives it: the index of its variant in `names`.
fn unit_variant(r: Raw, names: &'static [&'static str]) -> Result<usize, Error> {
    let (name, value) = match r {
        Raw::Map(mut v) => {
            if v.len() != 1 {
                return Err(Error::invalid_value(Unexpected::Map, &"map with a single key"));
            }
            let (k, x) = v.pop().expect("one entry");
            (k, Some(x))
        }
        Raw::Str(s) => (s, None),
        r => return Err(Error::invalid_type(r.unexpected(), &"string or map")),
    };
    let Some(i) = names.iter().position(|n| *n == name) else {
        return Err(Error::unknown_variant(&name, names));
    };
    match value {
        None | Some(Raw::Unit) => Ok(i),
        Some(Raw::Map(m)) if m.is_empty() => Ok(i),
        Some(x) => Err(x.invalid_type("unit")),
    }
}

/// Stage 2: the variant's fields from what followed the tag, as the derive's `visit_map` /
/// `visit_seq` over `ContentDeserializer` read them.
fn variant(tag: usize, rest: Rest) -> Result<Command, Error> {
    let (names, hows) = FIELDS[tag];
    let mut vals: Vec<Option<Val>> = (0..names.len()).map(|_| None).collect();
    if names.is_empty() {
        // serde's InternallyTaggedUnitVisitor: a map's entries are ignored; a sequence's
        // elements are left unread, which its end check reports.
        if let Rest::Seq(v) = rest {
            if !v.is_empty() {
                return Err(Error::invalid_length(v.len(), &ExpectedInSeq(0)));
            }
        }
    } else {
        match rest {
            Rest::Map(entries) => {
                for (k, x) in entries {
                    let Some(i) = names.iter().position(|n| *n == k) else {
                        return Err(Error::unknown_field(&k, names));
                    };
                    if vals[i].is_some() {
                        return Err(Error::duplicate_field(names[i]));
                    }
                    vals[i] = Some(field(hows[i], x)?);
                }
                for ((name, how), v) in names.iter().zip(hows).zip(&vals) {
                    if v.is_none() && how.1 == R {
                        return Err(Error::missing_field(name));
                    }
                }
            }
            Rest::Seq(elements) => {
                let n = elements.len();
                let mut it = elements.into_iter();
                for (i, how) in hows.iter().enumerate() {
                    match it.next() {
                        Some(x) => vals[i] = Some(field(*how, x)?),
                        None if how.1 != R => {}
                        None => {
                            let expecting = format!(
                                "struct variant Command::{} with {} element{}",
                                STRUCT_NAMES[tag],
                                names.len(),
                                if names.len() == 1 { "" } else { "s" }
                            );
                            return Err(Error::invalid_length(i, &expecting.as_str()));
                        }
                    }
                }
                let used = n.min(names.len());
                if n > used {
                    return Err(Error::invalid_length(n, &ExpectedInSeq(used)));
                }
            }
        }
    }
    Ok(build(tag, vals))
}

fn field((kind, how): (Kind, How), x: Raw) -> Result<Val, Error> {
    if how == O && matches!(x, Raw::Unit) {
        return Ok(Val::None);
    }
    decode(kind, x)
}

struct ExpectedInSeq(usize);

impl de::Expected for ExpectedInSeq {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.0 == 1 {
            f.write_str("1 element in sequence")
        } else {
            write!(f, "{} elements in sequence", self.0)
        }
    }
}

/// The decoded fields, taken in declaration order.
struct Take(std::vec::IntoIter<Option<Val>>);

impl Take {
    fn next(&mut self) -> Option<Val> {
        match self.0.next().flatten() {
            Some(Val::None) | None => None,
            v => v,
        }
    }
    fn str(&mut self) -> String {
        match self.next() {
            Some(Val::Str(s)) => s,
            _ => String::new(),
        }
    }
    fn opt_str(&mut self) -> Option<String> {
        match self.next() {
            Some(Val::Str(s)) => Some(s),
            _ => None,
        }
    }
    fn opt_int(&mut self) -> Option<i64> {
        match self.next() {
            Some(Val::Int(n)) => Some(n),
            _ => None,
        }
    }
    fn int(&mut self) -> i64 {
        self.opt_int().unwrap_or(0)
    }
    fn opt_f64(&mut self) -> Option<f64> {
        match self.next() {
            Some(Val::F64(f)) => Some(f),
            _ => None,
        }
    }
    fn f64(&mut self) -> f64 {
        self.opt_f64().unwrap_or(0.0)
    }
    fn bool(&mut self) -> bool {
        matches!(self.next(), Some(Val::Bool(true)))
    }
    fn node(&mut self) -> NodeId {
        match self.next() {
            Some(Val::Node(n)) => n,
            _ => NodeId::Controller,
        }
    }
    fn json(&mut self) -> Value {
        match self.next() {
            Some(Val::Json(v)) => v,
            _ => Value::Null,
        }
    }
    fn json_map(&mut self) -> BTreeMap<String, Value> {
        match self.next() {
            Some(Val::JsonMap(m)) => m,
            _ => BTreeMap::new(),
        }
    }
}

/// The command from its decoded fields (every required field is there: [`variant`] checked).
fn build(tag: usize, vals: Vec<Option<Val>>) -> Command {
    let mut t = Take(vals.into_iter());
    let t = &mut t;
    match tag {
        0 => Command::CreateTopic {
            name: t.str(),
            partitions: t.opt_int().map(|n| n as u32),
            replication_factor: t.opt_int().map(|n| n as u16),
            config: t.json_map(),
            assignment: match t.next() {
                Some(Val::Assignment(m)) => Some(m),
                _ => None,
            },
        },
        1 => Command::Produce {
            topic: t.str(),
            partition: t.opt_int().map(|n| n as u32),
            key: t.opt_str(),
            value: t.opt_str(),
            count: t.opt_int().map_or(1, |n| n as u32),
            tombstone: t.bool(),
        },
        2 => Command::CrashBroker { broker: t.int() as i32, keep_page_cache: t.bool() },
        3 => Command::RestartBroker { broker: t.int() as i32 },
        4 => Command::ShutdownBroker { broker: t.int() as i32 },
        5 => Command::PauseBroker { broker: t.int() as i32, ms: t.opt_int() },
        6 => Command::ResumeBroker { broker: t.int() as i32 },
        7 => Command::CrashController { controller: t.opt_int().map(|n| n as i32) },
        8 => Command::RestartController { controller: t.int() as i32 },
        9 => Command::CutLink { from: t.node(), to: t.node(), one_way: t.bool() },
        10 => Command::HealLink { from: t.node(), to: t.node(), one_way: t.bool() },
        11 => Command::Isolate { node: t.node() },
        12 => Command::HealAll,
        13 => Command::SlowLink { from: t.node(), to: t.node(), extra_latency_ms: t.int(), one_way: t.bool() },
        14 => Command::SetLinkLoss { from: t.node(), to: t.node(), loss: t.f64(), one_way: t.bool() },
        15 => Command::SetNetwork { min_latency_ms: t.opt_int(), max_latency_ms: t.opt_int(), loss: t.opt_f64() },
        16 => Command::SetBrokerConfig { broker: t.opt_int().map(|n| n as i32), key: t.str(), value: t.json() },
        17 => Command::SetTopicConfig { topic: t.str(), key: t.str(), value: t.json() },
        18 => Command::SetProducerConfig { key: t.str(), value: t.json() },
        19 => Command::ElectLeaders {
            topic: t.str(),
            partition: t.int() as u32,
            election_type: match t.next() {
                Some(Val::Election(e)) => e,
                _ => ElectionType::Preferred,
            },
        },
        20 => Command::SetWorkload { topic: t.str(), records_per_sec: t.f64(), keys: t.int() as u32 },
        21 => Command::StartReader { topic: t.str(), partition: t.int() as u32 },
        22 => Command::StartConsumer {
            group_id: t.str(),
            topics: match t.next() {
                Some(Val::Strings(v)) => v,
                _ => Vec::new(),
            },
            config: t.json_map(),
        },
        23 => Command::StopConsumer { consumer: t.int() as u32 },
        24 => Command::CrashConsumer { consumer: t.int() as u32 },
        25 => Command::StallConsumer { consumer: t.int() as u32, ms: t.int() },
        26 => Command::CommitOffsets { consumer: t.int() as u32 },
        27 => Command::SetConsumerConfig { consumer: t.opt_int().map(|n| n as u32), key: t.str(), value: t.json() },
        28 => Command::Run { ms: t.int() },
        29 => Command::RunUntil { time_ms: t.int() },
        31 => Command::AlterPartitionReassignments {
            topic: t.str(),
            partition: t.int() as u32,
            replicas: match t.next() {
                Some(Val::Brokers(v)) => Some(v),
                _ => None,
            },
            throttle: t.opt_int(),
        },
        32 => Command::DeleteRecords { topic: t.str(), partition: t.int() as u32, offset: t.int() },
        33 => Command::AddBroker { broker: t.opt_int().map(|n| n as i32), rack: t.opt_str() },
        34 => Command::SlowDisk { broker: t.int() as i32, write_latency_ms: t.int() },
        35 => Command::UnregisterBroker { broker: t.int() as i32 },
        36 => Command::DiskFault {
            broker: t.int() as i32,
            fault: match t.next() {
                Some(Val::Disk(f)) => f,
                _ => DiskFault::Full,
            },
        },
        37 => Command::CreatePartitions { topic: t.str(), count: t.int() as u32 },
        38 => Command::RollingRestart { hasty: t.bool() },
        39 => Command::DecommissionBroker { broker: t.int() as i32 },
        _ => Command::Step,
    }
}

/// `serde_json::from_str::<Command>` as the derive did it: both stages, then the end of the text.
pub(super) fn from_str(text: &str) -> Result<Command, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let (tag, rest) = (&mut de).deserialize_any(Tagged)?;
    let c = variant(tag.0, rest)?;
    de.end()?;
    Ok(c)
}

/// `serde_json::from_value::<Command>` as the derive did it.
pub(super) fn from_value(v: Value) -> Result<Command, Error> {
    let (tag, rest) = v.deserialize_any(Tagged)?;
    variant(tag.0, rest)
}
