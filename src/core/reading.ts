/** A device id (docs/contract.md section 2): 1–64 of `A-Z a-z 0-9 _ . -`; also the MQTT username. */
export const DEVICE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** One accepted, validated message from one device: what every stage after ingest sees. */
export interface Reading {
  deviceId: string;
  domain: string;
  type: string;
  /** Event time: the device's timestamp, or the receive time when the payload carries none (epoch ms). */
  ts: number;
  /** When the platform received it (epoch ms). */
  receivedAt: number;
  /** The device's sequence number, when it sent one (used to drop QoS 1 resends). */
  seq?: number;
  values: Record<string, number | boolean>;
}

/** Why a message was refused: a closed set, stable across versions (docs/contract.md section 3). */
export const REFUSAL_REASONS = [
  'malformed_json',
  'malformed_payload',
  'unknown_metric',
  'out_of_range',
  'wrong_type',
  'bad_unit',
  'bad_timestamp',
  'too_large',
  'not_authorized',
  'unknown_device',
  'wrong_device',
  'duplicate',
  'spool_full',
  'too_fast',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** A refused message as kept for operators and for replay: the payload whole, up to the 64 KiB a message may have. */
export interface DeadLetter {
  receivedAt: number;
  deviceId: string | null;
  topic: string;
  reason: RefusalReason;
  detail: string;
  payload: string;
}

/** The most of a payload a dead letter keeps: all of any message ingest could take (docs/contract.md section 3). */
export const DEAD_LETTER_PAYLOAD_BYTES = 64 * 1024;

/** A payload as a dead letter keeps it, as text: whole, up to DEAD_LETTER_PAYLOAD_BYTES (so that it can be replayed). */
export function deadLetterPayload(payload: Buffer | string): string {
  const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return buf.subarray(0, DEAD_LETTER_PAYLOAD_BYTES).toString('utf8');
}

/** A publish on a telemetry topic, as the broker hands it to ingest once ACL has passed. */
export interface InboundMessage {
  /** The device whose credentials (or, with anonymous access, whose topic) the message came under. */
  deviceId: string;
  domain: string;
  type: string;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  /** Epoch ms at which the broker received it. */
  receivedAt: number;
}

/** A publish the broker refused before ingest (not the device's topic, …): recorded, never stored. */
export interface RefusedMessage {
  deviceId: string | null;
  topic: string;
  payload: Buffer;
  receivedAt: number;
}
