//! The broker's life with the controller (`BrokerLifecycleManager`): BrokerRegistration until
//! registered, a BrokerHeartbeat every `broker.heartbeat.interval.ms` carrying metadata back,
//! fencing and unfencing, and the clean and controlled shutdown (`kafka-server-stop.sh`).

use super::{Broker, BrokerStatus, REGISTRATION_TIMEOUT_MS};
use crate::effects::{Category, Out};
use crate::errors::KafkaError;
use crate::ids::NodeId;
use crate::protocol::{MetadataRecord, Msg};

impl Broker {
    /// The controller answered BrokerRegistration (`BrokerLifecycleManager`).
    pub(super) fn on_registration_response(&mut self, now_ms: i64, error: KafkaError, broker_epoch: i64, out: &mut Out) {
        if error == KafkaError::NONE {
            self.broker_epoch = broker_epoch;
            self.next_producer_id = 0;
            // A broker asked to shut down stays shutting down across re-registration.
            self.status = if self.want_shutdown { BrokerStatus::ControlledShutdown } else { BrokerStatus::Fenced };
            self.next_heartbeat_ms = now_ms;
            out.log(Category::Broker, format!("registered with the controller, broker epoch {broker_epoch}"));
        } else {
            self.next_registration_ms = now_ms + self.config.broker_heartbeat_interval_ms;
            out.log(Category::Broker, format!("registration failed: {error}; retrying"));
        }
    }

    /// The controller answered a BrokerHeartbeat: metadata to replay, fencing, the controlled-shutdown grant.
    /// `false`: the answer is not for this registration (nothing else to do for this message).
    pub(super) fn on_heartbeat_response(
        &mut self,
        now_ms: i64,
        error: KafkaError,
        is_fenced: bool,
        should_shut_down: bool,
        records: &[(i64, MetadataRecord)],
        out: &mut Out,
    ) -> bool {
        if error == KafkaError::NOT_CONTROLLER {
            return false; // a controller that is no longer active; the next heartbeat goes to the new one
        }
        if error == KafkaError::STALE_BROKER_EPOCH || error == KafkaError::BROKER_NOT_AVAILABLE {
            // The controller no longer knows this registration: register again.
            self.status = BrokerStatus::Starting;
            self.next_registration_ms = now_ms;
            return false;
        }
        self.apply_metadata(now_ms, records, out);
        if self.status == BrokerStatus::Fenced && !is_fenced {
            self.status = BrokerStatus::Running;
            out.log(Category::Broker, "unfenced by the controller; serving".to_string());
        } else if self.status == BrokerStatus::Running && is_fenced {
            self.status = BrokerStatus::Fenced;
            out.log(Category::Broker, "the controller reports this broker fenced".to_string());
        }
        if self.want_shutdown && should_shut_down {
            self.finish_clean_shutdown(now_ms, out);
        } else if self.want_shutdown && !self.controlled_shutdown_answered {
            // BrokerLifecycleManager: after the first "not yet" answer in
            // PENDING_CONTROLLED_SHUTDOWN the next heartbeat goes 50 ms later, then every
            // broker.heartbeat.interval.ms.
            self.controlled_shutdown_answered = true;
            self.next_heartbeat_ms = now_ms + 50;
            out.wake_at(self.next_heartbeat_ms);
        }
        true
    }

    /// Begins a clean shutdown (`kafka-server-stop.sh`, SIGTERM).
    pub fn begin_shutdown(&mut self, now_ms: i64, out: &mut Out) {
        if self.is_stopped() {
            return;
        }
        if self.config.controlled_shutdown_enable && self.broker_epoch >= 0 {
            self.want_shutdown = true;
            self.status = BrokerStatus::ControlledShutdown;
            self.next_heartbeat_ms = now_ms;
            out.log(Category::Broker, "starting controlled shutdown".to_string());
            out.wake_at(now_ms);
        } else {
            self.finish_clean_shutdown(now_ms, out);
        }
    }

    pub(super) fn finish_clean_shutdown(&mut self, now_ms: i64, out: &mut Out) {
        self.touched.mark_all();
        for log in self.disk.logs.values_mut() {
            log.flush(now_ms);
        }
        self.disk.write_hw_checkpoint();
        self.disk.clean_shutdown_broker_epoch = Some(self.broker_epoch);
        self.status = BrokerStatus::Stopped;
        out.log(Category::Broker, "shut down cleanly: logs flushed, replication-offset-checkpoint written".to_string());
    }

    /// When a starting process first registers (`sim.broker.startup.ms` after it started); None
    /// once it has sent a registration.
    pub fn registers_at_ms(&self) -> Option<i64> {
        (self.status == BrokerStatus::Starting && !self.registration_sent).then_some(self.next_registration_ms)
    }

    /// BrokerLifecycleManager's timers: BrokerRegistration until registered, then a BrokerHeartbeat every broker.heartbeat.interval.ms.
    pub(super) fn lifecycle_tick(&mut self, now_ms: i64, out: &mut Out) {
        if self.status == BrokerStatus::Starting && now_ms >= self.next_registration_ms {
            let previous = self.disk.clean_shutdown_broker_epoch.unwrap_or(-1);
            out.send(
                NodeId::Controller,
                Msg::BrokerRegistration {
                    broker: self.id,
                    rack: self.rack.clone(),
                    incarnation: self.incarnation,
                    previous_broker_epoch: previous,
                },
            );
            self.next_registration_ms = now_ms + REGISTRATION_TIMEOUT_MS;
            self.registration_sent = true;
        }
        if self.status != BrokerStatus::Starting && now_ms >= self.next_heartbeat_ms {
            out.send(
                NodeId::Controller,
                Msg::BrokerHeartbeat {
                    broker: self.id,
                    broker_epoch: self.broker_epoch,
                    metadata_offset: self.metadata.offset,
                    want_fence: false,
                    want_shutdown: self.want_shutdown,
                },
            );
            self.next_heartbeat_ms = now_ms + self.config.broker_heartbeat_interval_ms;
        }
    }
}
