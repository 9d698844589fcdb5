import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { parse as parseDotenv } from 'dotenv';
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';

// Decimal digits only: Number() would also read 0x4650 or 1e3 as a port.
const port = z.string().trim().regex(/^\d+$/, 'a port number, 0 to 65535').transform(Number).pipe(z.number().max(65535, 'a port number, 0 to 65535'));
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const duration = z.string().transform((v, ctx) => {
  try { return parseDuration(v); } catch (e) { ctx.addIssue({ code: 'custom', message: (e as Error).message }); return z.NEVER; }
});
const optionalText = z.string().trim().transform((v) => (v === '' ? undefined : v)).optional();

/** An IP address, or a host name by RFC 1123's rules (a dotted quad that is not an IPv4 address is neither). */
function hostLike(v: string): boolean {
  if (isIP(v) !== 0) return true;
  if (/^[\d.]+$/.test(v)) return false;
  return /^(?=.{1,253}$)[a-z\d]([a-z\d-]{0,61}[a-z\d])?(\.[a-z\d]([a-z\d-]{0,61}[a-z\d])?)*$/i.test(v);
}

/** Variables a `.env` may hold for Node, npm or the tests rather than for citysense: not typos. */
const OTHER_KNOWN = new Set(['NODE_ENV', 'NODE_OPTIONS', 'DEBUG', 'TZ', 'TEST_LOG_LEVEL', 'CITYSENSE_TEST_INFLUX_URL', 'INFLUXD_BIN']);

/** Variables whose values are secrets: an error names them but never repeats the value. */
const SECRET = new Set(['ADMIN_TOKEN', 'INFLUX_TOKEN', 'SMTP_URL', 'REDIS_URL']);

/** Every setting citysense reads, with its default (README, Configuration). */
const envSchema = z.object({
  MQTT_PORT: port.default(1883),
  MQTTS_PORT: port.optional(),
  TLS_CERT: optionalText,
  TLS_KEY: optionalText,
  HTTP_PORT: port.default(8080),
  HOST: z.string().trim().min(1).refine(hostLike, 'not an IP address or a host name').default('0.0.0.0'),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  INFLUX_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  INFLUX_TOKEN: z.string().default(''),
  INFLUX_ORG: z.string().default(''),
  INFLUX_BUCKET: z.string().trim().regex(/^[^/]+(\/[^/]+)?$/, 'a bucket, or for 1.x database or database/retention-policy').default('citysense'),
  ADMIN_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  MQTT_ALLOW_ANONYMOUS: bool.default(false),
  CATALOG_FILE: optionalText,
  // 0 would purge every reading each night.
  RETENTION: duration.pipe(z.number().positive('must be longer than 0 (readings older than it are purged each night)')).default(30 * 86_400_000),
  SPOOL_MAX_MB: z.coerce.number().positive().default(1024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MQTT_MAX_PACKET_KB: z.coerce.number().int().min(1).max(262_144).default(256),
  MQTT_CONNECT_TIMEOUT: duration.default(10_000),
  MQTT_KEEPALIVE_LIMIT: z.coerce.number().int().min(1).max(65535).default(3600),
  // What bounds a keep-alive 0 connection: by default what the longest keep-alive allowed would (1.5 × 3600 s).
  MQTT_IDLE_TIMEOUT: duration.default(90 * 60_000),
  ALERT_STALE_GRACE: duration.default(30_000),
  BACKTEST_MAX_READINGS: z.coerce.number().int().min(1).default(1_000_000),
  // 0 would end every session at once.
  SESSION_IDLE_TIMEOUT: duration.pipe(z.number().positive('must be longer than 0 (a sign-in session unused this long ends)')).default(30 * 60_000),
  NATS_URL: optionalText.pipe(z.string().regex(/^(nats|tls):\/\/[^\s/?#]+\/?$/, 'a NATS server URL, nats://host:4222').optional()),
  REDIS_URL: optionalText.pipe(z.url({ protocol: /^rediss?$/, error: 'a Redis URL, redis://host:6379 (rediss:// for TLS, redis://:password@host:6379/db)' }).optional()),
  ALERT_SWEEP_SCHEDULE: z.string().trim().refine((v) => validCron(v), 'not a node-cron expression (e.g. */10 * * * * *)').default('*/10 * * * * *'),
  SMTP_URL: optionalText.pipe(z.url({ protocol: /^smtps?$/, error: 'an smtp:// or smtps:// URL (smtp://user:pass@host:587)' }).optional()),
  SMTP_FROM: z.string().trim().min(3).default('citysense <citysense@localhost>'),
  PUBLIC_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'the http(s) URL operators open the console at' }).optional()),
});

export interface Config {
  mqttPort: number;
  mqtts?: { port: number; cert: string; key: string };
  httpPort: number;
  host: string;
  dataDir: string;
  influx?: { url: string; token: string; org: string; bucket: string };
  adminToken?: string;
  allowAnonymous: boolean;
  catalogFile?: string;
  retentionMs: number;
  spoolMaxBytes: number;
  logLevel: string;
  mqttMaxPacketBytes: number;
  mqttConnectTimeoutMs: number;
  mqttKeepaliveLimitS: number;
  /** A connection with keep-alive 0 that sends nothing this long is closed; 0: never. */
  mqttIdleTimeoutMs: number;
  /** No stale-device alert fires this soon after start. */
  alertStaleGraceMs: number;
  /** node-cron expression of the stale-device sweep. */
  alertSweepSchedule: string;
  /** Email notifications: the SMTP server (absent: email contact points cannot send) and the sender. */
  smtpUrl?: string;
  smtpFrom: string;
  /** The console's public base URL for links in notifications; absent: http://HOST:HTTP_PORT as listened on. */
  publicUrl?: string;
  /** Most readings one backtest reads (POST /api/rules/backtest): past it, a 400 says to narrow the range or match. */
  backtestMaxReadings: number;
  /** A sign-in session unused this long ends. */
  sessionIdleMs: number;
  /** NATS server of the event stream (readings and alert transitions on JetStream); off when unset. */
  natsUrl?: string;
  /** Redis shared by the nodes' MQTT brokers (sessions, subscriptions, retained messages, takeover); in memory when unset. */
  redisUrl?: string;
  /** Variables the `.env` file sets that citysense does not read (likely typos; the caller warns). */
  unknownDotenvKeys?: readonly string[];
}

/**
 * Reads configuration from `env`, with a `.env` file in `cwd` filling in what `env` lacks.
 * A malformed value throws a ConfigError that names the variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Readonly<Config> {
  const dotenvPath = resolve(cwd, '.env');
  const fromFile = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const key of Object.keys(envSchema.shape)) if (env[key] !== undefined) merged[key] = env[key];
  // An empty variable means "use the default", as with most twelve-factor apps.
  for (const key of Object.keys(merged)) if (merged[key] === '') delete merged[key];

  const result = envSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'configuration');
    throw new ConfigError(variable, SECRET.has(variable) ? issue.message : `${issue.message} (got ${JSON.stringify(merged[variable])})`);
  }
  const e = result.data;
  // PostgreSQL stores exist (storage's createPostgresStores) but the app does not use them yet: refuse, never ignore.
  if (env.DATABASE_URL || fromFile.DATABASE_URL) {
    throw new ConfigError('DATABASE_URL', 'DATABASE_URL is not supported yet (the shared state stays in DATA_DIR/citysense.db): unset it');
  }
  const tls = [e.MQTTS_PORT, e.TLS_CERT, e.TLS_KEY];
  if (tls.some((v) => v !== undefined) && !tls.every((v) => v !== undefined)) {
    const missing = (['MQTTS_PORT', 'TLS_CERT', 'TLS_KEY'] as const).filter((_, i) => tls[i] === undefined);
    throw new ConfigError(missing[0]!, 'MQTT over TLS needs MQTTS_PORT, TLS_CERT and TLS_KEY together');
  }
  for (const key of ['TLS_CERT', 'TLS_KEY', 'CATALOG_FILE'] as const) {
    const file = e[key];
    if (file && !existsSync(resolve(cwd, file))) throw new ConfigError(key, `file not found: ${file}`);
  }
  if (e.TLS_CERT && e.TLS_KEY) checkTlsFiles(resolve(cwd, e.TLS_CERT), resolve(cwd, e.TLS_KEY));
  return Object.freeze({
    mqttPort: e.MQTT_PORT,
    mqtts: e.MQTTS_PORT !== undefined ? { port: e.MQTTS_PORT, cert: resolve(cwd, e.TLS_CERT!), key: resolve(cwd, e.TLS_KEY!) } : undefined,
    httpPort: e.HTTP_PORT,
    host: e.HOST,
    dataDir: resolve(cwd, e.DATA_DIR),
    influx: e.INFLUX_URL ? { url: e.INFLUX_URL.replace(/\/+$/, ''), token: e.INFLUX_TOKEN, org: e.INFLUX_ORG, bucket: e.INFLUX_BUCKET } : undefined,
    adminToken: e.ADMIN_TOKEN,
    allowAnonymous: e.MQTT_ALLOW_ANONYMOUS,
    catalogFile: e.CATALOG_FILE ? resolve(cwd, e.CATALOG_FILE) : undefined,
    retentionMs: e.RETENTION,
    spoolMaxBytes: Math.round(e.SPOOL_MAX_MB * 1024 * 1024),
    logLevel: e.LOG_LEVEL,
    mqttMaxPacketBytes: e.MQTT_MAX_PACKET_KB * 1024,
    mqttConnectTimeoutMs: e.MQTT_CONNECT_TIMEOUT,
    mqttKeepaliveLimitS: e.MQTT_KEEPALIVE_LIMIT,
    mqttIdleTimeoutMs: e.MQTT_IDLE_TIMEOUT,
    alertStaleGraceMs: e.ALERT_STALE_GRACE,
    alertSweepSchedule: e.ALERT_SWEEP_SCHEDULE,
    smtpUrl: e.SMTP_URL,
    smtpFrom: e.SMTP_FROM,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    backtestMaxReadings: e.BACKTEST_MAX_READINGS,
    sessionIdleMs: e.SESSION_IDLE_TIMEOUT,
    natsUrl: e.NATS_URL,
    redisUrl: e.REDIS_URL,
    unknownDotenvKeys: Object.keys(fromFile).filter((k) => !(k in envSchema.shape) && !OTHER_KNOWN.has(k)),
  });
}

/** A certificate and key that TLS would refuse at start are named here instead, with the variable at fault. */
function checkTlsFiles(certFile: string, keyFile: string): void {
  const read = (variable: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(variable, `cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const cert = read('TLS_CERT', certFile);
  const key = read('TLS_KEY', keyFile);
  try {
    new X509Certificate(cert);
  } catch (err) {
    throw new ConfigError('TLS_CERT', `${certFile} is not a PEM certificate (${(err as Error).message})`);
  }
  try {
    createPrivateKey(key);
  } catch (err) {
    throw new ConfigError('TLS_KEY', `${keyFile} is not a PEM private key (${(err as Error).message})`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ConfigError('TLS_KEY', `the key in ${keyFile} does not match the certificate in TLS_CERT (${(err as Error).message})`);
  }
}
