import { escape } from '@influxdata/influxdb-client';
import type { Reading } from '../../core/index.js';
import { MEASUREMENT } from './influxql.js';

const CACHE_MAX = 100_000;

/**
 * Line protocol for readings, as the client's `Point` writes it (its `escape` rules, floats as `String(v)`,
 * booleans `T`/`F`, integers with `i`, time as given, here ms), without building a Point per reading: the
 * measurement-and-tags prefix is escaped once per device and each field key once per metric. On the hot path
 * of every stored reading, Point's per-reading objects and sorting cost more than the write itself.
 */
export class LineEncoder {
  private readonly prefixes = new Map<string, { domain: string; type: string; prefix: string }>();
  private readonly keys = new Map<string, string>();

  /** One reading as one line: tags device/domain/type, its metrics, received_at and seq; time in ms. */
  line(r: Reading): string {
    let p = this.prefixes.get(r.deviceId);
    if (!p || p.domain !== r.domain || p.type !== r.type) {
      if (this.prefixes.size >= CACHE_MAX) this.prefixes.clear();
      const prefix = `${escape.measurement(MEASUREMENT)},device=${escape.tag(r.deviceId)},domain=${escape.tag(r.domain)},type=${escape.tag(r.type)} `;
      this.prefixes.set(r.deviceId, (p = { domain: r.domain, type: r.type, prefix }));
    }
    let fields = '';
    for (const metric in r.values) {
      const v = r.values[metric]!;
      fields += `${this.key(metric)}=${typeof v === 'boolean' ? (v ? 'T' : 'F') : String(v)},`;
    }
    fields += `received_at=${Math.floor(r.receivedAt)}i`;
    if (r.seq !== undefined) fields += `,seq=${Math.floor(r.seq)}i`;
    return `${p.prefix}${fields} ${Math.floor(r.ts)}`;
  }

  private key(metric: string): string {
    let k = this.keys.get(metric);
    if (k === undefined) {
      if (this.keys.size >= CACHE_MAX) this.keys.clear();
      this.keys.set(metric, (k = escape.tag(metric)));
    }
    return k;
  }
}
