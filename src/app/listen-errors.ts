import { ConfigError, type Config } from '../core/index.js';

/** A listener that cannot start because of a setting (an unknown HOST, a port in use) names that setting. */
export function listenError(err: unknown, config: Pick<Config, 'host' | 'mqttPort' | 'mqtts'>): unknown {
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.code === 'EADDRNOTAVAIL') {
    return new ConfigError('HOST', `cannot listen on ${config.host} (${e.code})`);
  }
  if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
    const variable = e.port === config.mqttPort ? 'MQTT_PORT' : e.port === config.mqtts?.port ? 'MQTTS_PORT' : 'HTTP_PORT';
    return new ConfigError(variable, `cannot listen on ${config.host}:${e.port} (${e.code === 'EACCES' ? 'not permitted' : 'already in use'})`);
  }
  return err;
}
