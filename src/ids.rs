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

/// A topic-partition, displayed as Kafka does: `orders-0`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: u32,
}

impl TopicPartition {
    pub fn new(topic: &str, partition: u32) -> TopicPartition {
        TopicPartition { topic: topic.to_string(), partition }
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
