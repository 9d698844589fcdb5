import type { PublishPacket } from 'aedes';

/*
 * Refused publishes are acknowledged and dropped, not answered by closing the connection.
 * MQTT 3.1.1 has no per-message refusal [MQTT-3.3.5-2]: a server either acknowledges as usual or closes.
 * Closing makes a misconfigured device reconnect and resend forever, so we acknowledge. aedes 1.2 has no
 * "drop" answer for authorizePublish (callback(null) publishes, callback(err) closes; issue #210), and in
 * publish.js the packet object given to authorizePublish is the one it then acknowledges and passes to
 * broker.publish (retained store, offline queues, subscribers). So a refused packet is rewritten in place
 * before the callback: retain off (nothing reaches the retained store), payload emptied, and the topic moved
 * to a `$SYS/` sink that no client may subscribe to (the ACL allows only `city/...` filters; `$SYS` is never
 * matched by `#`/`+` filters, in live delivery or offline queues). authorizeForward drops the sink topic as
 * a second line, should a subscription to it ever exist.
 */
/** Where a dropped publish goes: a `$SYS/` topic no client may subscribe to. */
export const SINK_TOPIC = '$SYS/citysense/dropped';
export const EMPTY = Buffer.alloc(0);

/** Acknowledge and drop: the packet, rewritten in place, reaches no subscriber and no retained store. */
export function drop(packet: PublishPacket): void {
  packet.topic = SINK_TOPIC;
  packet.retain = false;
  packet.payload = EMPTY;
}
