// What the fleet's pages (the devices list and the city map) all start from: the device list kept fresh, the alert
// board, the catalog, a clock, and each device's worst active alert.
import { useEffect } from 'preact/hooks';
import { worstAlertByDevice, type DeviceAlerts } from './alert-board.js';
import { useNow, useObservable, useSubscription } from './observable.js';
import { useSession } from './session.js';

/** Subscribes the page to the devices and the alert board (refreshing the devices once) and reads what it shows. */
export function useFleet() {
  const session = useSession();
  useSubscription(session.devices);
  useEffect(() => void session.devices.refresh(), []);
  useSubscription(session.board);
  const catalog = useObservable(session.catalog);
  const now = useNow(5000);
  const alerts: Map<string, DeviceAlerts> = worstAlertByDevice(session.board.active.values());
  return { session, catalog, now, alerts };
}
