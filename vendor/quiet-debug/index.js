'use strict';
/*
 * What mqtt-packet gets when it requires `debug` (package.json "overrides"; nothing else is affected).
 *
 * Why: mqtt-packet calls its loggers about ten times per MQTT packet, and `debug` does work on every call even
 * when disabled (it gathers the arguments into an array and reads an `enabled` getter). At full rate that was
 * 8-10% of citysense's CPU and a tenth of what it allocates (BENCHMARKS.md). No maintained logger with debug's
 * API makes a disabled call free, so this one does it the simple way:
 *
 * - DEBUG set when the process starts: this IS the `debug` package, unchanged (DEBUG=mqtt-packet:* works as usual);
 * - otherwise every logger is an empty function, and enabling one later (debug.enable()) has no effect here.
 *
 * The override's path, "file:../../vendor/quiet-debug", is relative to node_modules/mqtt-packet: npm 11 resolves a
 * `file:` override from the package it applies to, not from the project (the lock records "vendor/quiet-debug").
 */
if (process.env.DEBUG) {
  module.exports = require('debug');
} else {
  const noop = function () {};
  const createDebug = (namespace) => {
    const log = function () {};
    log.enabled = false;
    log.namespace = String(namespace);
    log.extend = (sub, delimiter = ':') => createDebug(log.namespace + delimiter + sub);
    log.log = noop;
    log.destroy = noop;
    return log;
  };
  Object.assign(createDebug, {
    default: createDebug, debug: createDebug, enable: noop, disable: () => '', enabled: () => false,
    names: [], skips: [], formatters: {}, humanize: (ms) => `${ms}ms`, coerce: (v) => v, log: noop,
  });
  module.exports = createDebug;
}
