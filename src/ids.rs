//! Names of things: node ids and topic-partitions, spelled as Kafka spells them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Kafka's `broker.id` / `node.id` of a broker.
pub type BrokerId = i32;

/// Kafka's "no leader" marker (`LeaderAndIsr.NO_LEADER`).
pub const NO_LEADER: BrokerId = -1;

/// Every addressable node of the simulated cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeId {
    /// The active KRaft controller: where brokers send BrokerRegistration, BrokerHeartbeat
    /// and AlterPartition (whichever voter is active; see [`NodeId::Voter`]).
    Controller,
    /// One KRaft controller voter by its `node.id` (`controller-3001`), for the Raft traffic
    /// between voters and for faults aimed at one controller machine.
    Voter(i32),
    Broker(BrokerId),
    /// A producer client (its numeric id; `producer-1`).
    Producer(u32),
    /// A reader of one partition's committed records (`reader-1`).
    Reader(u32),
    /// A consumer in a consumer group (`consumer-1`).
    Consumer(u32),
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeId::Controller => write!(f, "controller"),
            NodeId::Voter(v) => write!(f, "controller-{v}"),
            NodeId::Broker(b) => write!(f, "broker-{b}"),
            NodeId::Producer(p) => write!(f, "producer-{p}"),
            NodeId::Reader(r) => write!(f, "reader-{r}"),
            NodeId::Consumer(c) => write!(f, "consumer-{c}"),
        }
    }
}

impl NodeId {
    /// Parses `controller`, `controller-3001` (a voter), `broker-2`, `2` (a broker), `producer-1`, `reader-1`.
    pub fn parse(s: &str) -> Result<NodeId, String> {
        let s = s.trim();
        if s == "controller" {
            return Ok(NodeId::Controller);
        }
        // A bare number is a broker id, in range as a JSON number must be (a negative
        // one would be written back as `broker--1`, which does not parse).
        if let Ok(b) = s.parse::<i64>() {
            return match i32::try_from(b) {
                Ok(b) if b >= 0 => Ok(NodeId::Broker(b)),
                _ => Err(format!("broker id {b} is out of range")),
            };
        }
        let (kind, num) = s.rsplit_once('-').ok_or_else(|| {
            format!("unknown node '{s}': expected controller, controller-N, broker-N, producer-N, reader-N or consumer-N")
        })?;
        let n: i64 = num.parse().map_err(|_| format!("unknown node '{s}': '{num}' is not a number"))?;
        match kind {
            "broker" if (0..=i32::MAX as i64).contains(&n) => Ok(NodeId::Broker(n as i32)),
            "controller" if (0..=i32::MAX as i64).contains(&n) => Ok(NodeId::Voter(n as i32)),
            "producer" if (0..=u32::MAX as i64).contains(&n) => Ok(NodeId::Producer(n as u32)),
            "reader" if (0..=u32::MAX as i64).contains(&n) => Ok(NodeId::Reader(n as u32)),
            "consumer" if (0..=u32::MAX as i64).contains(&n) => Ok(NodeId::Consumer(n as u32)),
            _ => Err(format!("unknown node '{s}': expected controller, controller-N, broker-N, producer-N, reader-N or consumer-N")),
        }
    }

    pub fn broker(&self) -> Option<BrokerId> {
        match self {
            NodeId::Broker(b) => Some(*b),
            _ => None,
        }
    }
}

impl Serialize for NodeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<NodeId, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(i64),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Num(n) if (0..=i32::MAX as i64).contains(&n) => Ok(NodeId::Broker(n as i32)),
            Raw::Num(n) => Err(serde::de::Error::custom(format!("broker id {n} is out of range"))),
            Raw::Str(s) => NodeId::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

/// A topic's name, interned: one copy of each name for the whole process, so a `Topic` is a
/// `Copy` pointer and two equal names are the same pointer. Comparing two partitions of one
/// topic (every lookup in a partition-keyed map) is a pointer check and an integer compare,
/// never a string compare; cloning one allocates nothing. Order is the names' order, exactly as
/// with `String` (so map iteration, and with it every trace hash, is unchanged).
///
/// (Kafka 4.x itself keys much of its state by a topic ID, a UUID given at creation (KIP-516);
/// here the name is the identity, as the simulation never deletes and recreates a topic.)
///
/// The interner is a process-wide set behind a mutex, taken only when a name is made from text
/// (creation, parsing, commands): it affects where names live, never what anything computes.
/// Names are kept for the life of the process (a few bytes per distinct name ever seen).
#[derive(Clone, Copy)]
pub struct Topic(&'static str);

static TOPICS: std::sync::Mutex<std::collections::BTreeSet<&'static str>> = std::sync::Mutex::new(std::collections::BTreeSet::new());

impl Topic {
    /// The one `Topic` for `name`.
    pub fn intern(name: &str) -> Topic {
        let mut set = TOPICS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&s) = set.get(name) {
            return Topic(s);
        }
        let s: &'static str = Box::leak(name.to_owned().into_boxed_str());
        set.insert(s);
        Topic(s)
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl PartialEq for Topic {
    fn eq(&self, other: &Topic) -> bool {
        // Interned: equal names are one pointer.
        std::ptr::eq(self.0, other.0)
    }
}
impl Eq for Topic {}

impl PartialOrd for Topic {
    fn partial_cmp(&self, other: &Topic) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Topic {
    fn cmp(&self, other: &Topic) -> std::cmp::Ordering {
        if std::ptr::eq(self.0, other.0) {
            std::cmp::Ordering::Equal
        } else {
            self.0.cmp(other.0)
        }
    }
}

impl std::hash::Hash for Topic {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

impl std::ops::Deref for Topic {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for Topic {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl std::borrow::Borrow<str> for Topic {
    fn borrow(&self) -> &str {
        self.0
    }
}

impl PartialEq<str> for Topic {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}
impl PartialEq<&str> for Topic {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}
impl PartialEq<String> for Topic {
    fn eq(&self, other: &String) -> bool {
        self.0 == other.as_str()
    }
}

impl PartialEq<Topic> for String {
    fn eq(&self, other: &Topic) -> bool {
        self.as_str() == other.0
    }
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl From<&str> for Topic {
    fn from(s: &str) -> Topic {
        Topic::intern(s)
    }
}

impl From<Topic> for String {
    fn from(t: Topic) -> String {
        t.0.to_string()
    }
}

impl Serialize for Topic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Topic {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Topic, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(Topic::intern(&s))
    }
}

/// A topic-partition, displayed as Kafka does: `orders-0`. `Copy`: an interned topic and a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopicPartition {
    pub topic: Topic,
    pub partition: u32,
}

impl TopicPartition {
    pub fn new(topic: &str, partition: u32) -> TopicPartition {
        TopicPartition { topic: Topic::intern(topic), partition }
    }

    /// A partition of a topic already interned (no lookup).
    pub fn of(topic: Topic, partition: u32) -> TopicPartition {
        TopicPartition { topic, partition }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Kafka's topic name rule (`Topic.validate`): 1..=249 chars of `[a-zA-Z0-9._-]`, not `.` or `..`.
pub fn validate_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("topic name is illegal, it can't be empty".into());
    }
    if name == "." || name == ".." {
        return Err("topic name cannot be \".\" or \"..\"".into());
    }
    if name.len() > 249 {
        return Err(format!(
            "topic name is illegal, it can't be longer than 249 characters, topic name: {}...",
            name.chars().take(40).collect::<String>()
        ));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '_' || *c == '-')) {
        return Err(format!(
            "topic name {name:?} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-' (found {c:?})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_round_trip() {
        for n in [NodeId::Controller, NodeId::Voter(3001), NodeId::Broker(3), NodeId::Producer(1), NodeId::Reader(2), NodeId::Consumer(4)] {
            assert_eq!(NodeId::parse(&n.to_string()).unwrap(), n);
        }
        assert_eq!(NodeId::parse("2").unwrap(), NodeId::Broker(2));
        assert!(NodeId::parse("zookeeper").is_err());
        assert!(NodeId::parse("broker-x").is_err());
    }

    #[test]
    fn a_negative_broker_number_is_refused_in_text_as_it_is_as_a_json_number() {
        // Found by fuzzing (command_decoder): "-5" parsed as broker -5, which is written
        // back as "broker--5", which did not parse: a command that did not round-trip.
        assert!(NodeId::parse("-5").is_err());
        assert!(NodeId::parse("4294967296").is_err());
        let c: Result<NodeId, _> = serde_json::from_str("\"-5\"");
        assert!(c.unwrap_err().to_string().contains("out of range"));
        assert_eq!(NodeId::parse("+5").unwrap(), NodeId::Broker(5));
        for n in [NodeId::Broker(0), NodeId::Broker(i32::MAX)] {
            assert_eq!(serde_json::from_value::<NodeId>(serde_json::to_value(n).unwrap()).unwrap(), n);
        }
    }

    #[test]
    fn topic_names_follow_kafkas_rule() {
        assert!(validate_topic_name("orders.v1_x-2").is_ok());
        assert!(validate_topic_name("").is_err());
        assert!(validate_topic_name("..").is_err());
        assert!(validate_topic_name("a b").is_err());
        assert!(validate_topic_name(&"a".repeat(250)).is_err());
    }

    #[test]
    fn a_long_topic_name_of_multibyte_characters_is_refused_without_a_panic() {
        // Found by fuzzing (command_apply): the message cut the name at byte 40, inside a '€'.
        let e = validate_topic_name(&"€".repeat(300)).unwrap_err();
        assert!(e.contains("longer than 249 characters") && e.contains(&"€".repeat(40)), "{e}");
    }
}
