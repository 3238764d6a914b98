//! DeleteRecords (`kafka-delete-records.sh`): the leader moves its log start offset (the low
//! watermark), the followers follow on their next fetch, reads below it are out of range.
//! Rules: `src/broker/delete_records.rs`.

use crate::common::*;
use kafka_playground::command::Command;
use kafka_playground::errors::KafkaError;
use kafka_playground::ids::TopicPartition;

#[test]
fn delete_records_to_offset_10_moves_the_log_start_on_the_leader_then_on_the_followers() {
    let mut c = cluster(34, 3, &[], &[("acks", all())]);
    c.topic("orders", &[&[1, 2, 3]], &[]);
    c.produce("orders", "v", 30);
    c.run(1_000);
    let tp = TopicPartition::new("orders", 0);
    let start = |c: &Cluster, b: i32| c.sim().brokers[&b].disk().logs[&tp].log_start_offset();
    c.apply(Command::DeleteRecords { topic: "orders".into(), partition: 0, offset: 10 });
    // At once on the leader; the followers still start at 0 until their next fetch response.
    assert_eq!((start(&c, 1), start(&c, 2), start(&c, 3)), (10, 0, 0));
    assert!(c.run_until(|s| [2, 3].iter().all(|b| s.brokers[b].disk().logs[&tp].log_start_offset() == 10), 2_000));
    // A fetch below the low watermark is out of range, as a reader starting at offset 5 finds.
    let fetch = kafka_playground::protocol::FetchPartition {
        tp,
        current_leader_epoch: 0,
        fetch_offset: 5,
        last_fetched_epoch: -1,
        log_start_offset: 0,
    };
    let leader = c.sim().brokers[&1].process.as_ref().unwrap();
    assert_eq!(leader.follower_fetch_error(&fetch), KafkaError::OFFSET_OUT_OF_RANGE);
    // Records below 10 are gone from reads, not lost: the audit counts none.
    assert!(c.lost().is_empty());
    // Above the high watermark, negative offsets, compacted topics: Kafka's errors.
    let e = c.cs.apply(Command::DeleteRecords { topic: "orders".into(), partition: 0, offset: 31 }).unwrap_err();
    assert_eq!((e.error, e.field.as_str()), (KafkaError::OFFSET_OUT_OF_RANGE, "offset"), "{}", e.message);
    assert!(e.message.contains("larger than the high watermark 30"), "{}", e.message);
    let e = c.cs.apply(Command::DeleteRecords { topic: "orders".into(), partition: 0, offset: -2 }).unwrap_err();
    assert_eq!(e.error, KafkaError::OFFSET_OUT_OF_RANGE);
    c.apply(Command::SetTopicConfig { topic: "orders".into(), key: "cleanup.policy".into(), value: v("compact") });
    c.run(500); // the brokers replay the config change
    let e = c.cs.apply(Command::DeleteRecords { topic: "orders".into(), partition: 0, offset: -1 }).unwrap_err();
    assert_eq!(e.error, KafkaError::POLICY_VIOLATION);
    c.apply(Command::SetTopicConfig { topic: "orders".into(), key: "cleanup.policy".into(), value: v("delete") });
    c.run(500);
    // -1 is the high watermark.
    c.apply(Command::DeleteRecords { topic: "orders".into(), partition: 0, offset: -1 });
    assert_eq!(start(&c, 1), 30);
}
