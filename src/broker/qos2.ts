import type { Client, PublishPacket } from 'aedes';

/** aedes' authorizePublish callback: null lets it acknowledge and go on, an error closes the connection. */
export type Answer = (err?: Error | null) => void;

/** Whether aedes' incoming store holds this QoS 2 packet id for the client id (stored once accepted, deleted at PUBREL). */
export type IsUnreleased = (client: Client, messageId: number) => Promise<boolean>;

/** What a publish goes through once: the ACL and the handler, answering aedes when done. */
export type Accept = (client: Client, packet: PublishPacket, answer: Answer) => void;

/**
 * Why: the handler runs in authorizePublish, which aedes 1.2 calls for every PUBLISH before its own QoS 2 duplicate
 * check (lib/handlers/publish.js), so a copy resent before PUBREL reached the handler again. MQTT 3.1.1 4.3.3: until
 * PUBREL the receiver answers such a copy with PUBREC and must not deliver it twice.
 *
 * aedes' incoming store already holds the unreleased ids per client id (an id is stored right after authorizePublish
 * answers, deleted at PUBREL, and emptied when a clean session starts or ends), so each QoS 2 PUBLISH asks it first.
 * Before that store has the id — while the first copy is still with the handler — the ids in progress here answer
 * instead, and a copy's PUBREC waits for the first one's answer (a PUBREC means durable).
 *
 * The lookup is a promise, so a publish arriving behind it on the same connection waits its turn: the handler still
 * sees a connection's messages in the order they arrived.
 */
export class InboundQos2 {
  /** Per client id: ids whose first copy has not been stored by aedes yet, each with the answers of copies waiting for it. */
  private readonly inProgress = new Map<string, Map<number, Answer[]>>();
  /** Per connection: publishes that arrived while a lookup was pending, in arrival order. */
  private readonly waiting = new WeakMap<Client, (() => void)[]>();

  /** `drop` makes a copy harmless should aedes publish it anyway (it then reaches no one). */
  constructor(
    private readonly isUnreleased: IsUnreleased,
    private readonly accept: Accept,
    private readonly drop: (packet: PublishPacket) => void,
    /** Whether the client id may hold one more unreleased id (`inProgress`: its others still with the handler); an error closes the connection. */
    private readonly admitNew: (client: Client, messageId: number, inProgress: Iterable<number>) => Error | undefined = () => undefined,
  ) {}

  /** A clean session starts with no unreleased ids [MQTT-3.1.2-6]. */
  cleanSession(clientId: string): void {
    this.inProgress.delete(clientId);
  }

  /**
   * Hands each message to `accept` once; a QoS 2 copy of an unreleased id is dropped and answered after the first
   * copy. Other publishes go straight to `accept` unless a lookup is pending on the connection.
   */
  receive(client: Client, packet: PublishPacket, answer: Answer): void {
    const queue = this.waiting.get(client);
    if (queue) {
      queue.push(() => this.receive(client, packet, answer));
      return;
    }
    const id = packet.messageId;
    if (packet.qos !== 2 || id === undefined) return this.accept(client, packet, answer);

    let ids = this.inProgress.get(client.id);
    const copies = ids?.get(id);
    if (copies) {
      this.drop(packet);
      copies.push(answer);
      return;
    }
    if (!ids) this.inProgress.set(client.id, (ids = new Map()));
    const inProgress = ids;
    const waiters: Answer[] = [];
    inProgress.set(id, waiters);

    const settle: Answer = (err) => {
      answer(err);
      // aedes stores the id as soon as it has this answer (its in-memory persistence does so within this turn), so
      // from the next turn its store answers for the id. Copies are answered then: aedes finds the id and only PUBRECs.
      setImmediate(() => {
        if (inProgress.get(id) === waiters) inProgress.delete(id);
        if (inProgress.size === 0 && this.inProgress.get(client.id) === inProgress) this.inProgress.delete(client.id);
        for (const w of waiters) w(err);
      });
    };

    const queued: (() => void)[] = [];
    this.waiting.set(client, queued);
    void this.isUnreleased(client, id).then((unreleased) => {
      try {
        if (unreleased) {
          this.drop(packet);
          settle(null);
        } else {
          const refused = this.admitNew(client, id, inProgress.keys());
          if (refused) settle(refused);
          else this.accept(client, packet, settle);
        }
      } finally {
        // In arrival order; one of them may start a lookup of its own, and the rest then queue behind it.
        this.waiting.delete(client);
        for (const next of queued) next();
      }
    });
  }
}
