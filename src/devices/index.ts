// Device status's public face: the one owner of what the platform knows of each device's life.
export {
  createDeviceStatus,
  type ConnectionChange,
  type DeviceStatus,
  type DeviceStatusDeps,
  type DeviceStatusEvent,
  type DeviceStatusTracker,
  type DeviceStatusView,
} from './status.js';
export { createClockSkew, type ClockSkew } from './clock-skew.js';
