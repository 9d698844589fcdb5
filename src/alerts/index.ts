// The alert engine's public face: everything other rooms may use of src/alerts.
export { createAlertEngine } from './engine.js';
export {
  BACKTEST_MAX_ALERTS,
  BACKTEST_MAX_READINGS,
  backtestReadings,
  createBacktester,
  draftRule,
  type Backtester,
  type BacktestDeps,
  type BacktestDeviceCount,
  type BacktestRequest,
  type BacktestResult,
} from './backtest.js';
export type { BacktestAlert } from './backtest-device.js';
export {
  pushKindOf,
  type AlertDeviceInfo,
  type AlertDeviceLookup,
  type AlertDeviceStatus,
  type AlertEngine,
  type AlertEngineDeps,
  type PushKind,
  type SilenceInput,
  type TransitionListener,
} from './types.js';
export { BUILTIN_RULES } from './builtin-rules.js';
export { conditionSchema, ruleInputSchema, valueConditionSchema, type RuleInput } from './rule-schema.js';
export { alertView, ruleView, silenceView, transitionView, type AlertView, type RuleView, type SilenceView, type TransitionView } from './view.js';
// The alert vocabulary lives in core (core/alert-types.ts); the engine's face shows the part its callers use.
export type {
  Alert,
  AlertEvent,
  AlertQuery,
  AlertState,
  Condition,
  Credit,
  Rule,
  RuleMatch,
  Severity,
  Silence,
  SilenceMatch,
  Transition,
} from '../core/index.js';
export { ALERT_STATES, SEVERITIES } from '../core/index.js';
export type { AlertStores } from '../storage/index.js';
