import type { Transport } from '@influxdata/influxdb-client';

/** InfluxDB 1.x spells write precisions with one letter where 2.x has two; 1.6 reads `us` as nanoseconds. */
const PRECISION_1X: Record<string, string> = { ns: 'n', us: 'u', ms: 'ms', s: 's' };

/** Turns `/api/v2/write?org=&bucket=db[/rp]&precision=` into 1.x's `/write?db=&rp=&precision=`; other paths pass. */
export function toV1WritePath(path: string): string {
  const [base, search = ''] = path.split('?', 2);
  if (base !== '/api/v2/write') return path;
  const v2 = new URLSearchParams(search);
  const [db, rp] = splitBucket(v2.get('bucket') ?? '');
  const v1 = new URLSearchParams({ db });
  if (rp) v1.set('rp', rp);
  const precision = v2.get('precision');
  if (precision) v1.set('precision', PRECISION_1X[precision] ?? precision);
  return `/write?${v1.toString()}`;
}

/** `database` or `database/retention-policy`, as INFLUX_BUCKET names a 1.x target. */
export function splitBucket(bucket: string): [db: string, rp: string | undefined] {
  const slash = bucket.indexOf('/');
  return slash < 0 ? [bucket, undefined] : [bucket.slice(0, slash), bucket.slice(slash + 1) || undefined];
}

/**
 * Wraps the client's own transport so that its write requests (the path its WriteApi would use, gzip) reach servers
 * older than 1.8, which have no /api/v2/write. Only the path changes; auth comes from the inner transport's headers.
 */
export function v1WriteTransport(inner: Transport): Transport {
  return {
    chunkCombiner: inner.chunkCombiner,
    send: (path, body, options, callbacks) => inner.send(toV1WritePath(path), body, options, callbacks),
    request: (path, body, options, responseStarted) => inner.request(toV1WritePath(path), body, options, responseStarted),
    iterate: (path, body, options) => inner.iterate(toV1WritePath(path), body, options),
  };
}
