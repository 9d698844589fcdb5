// The frame around every page: navigation, live connection, sound, clock, who is signed in, system status.
import { useEffect } from 'preact/hooks';
import { formatCount, formatClock } from '../lib/format.js';
import { useNow, useObservable, useSubscription } from '../lib/observable.js';
import { useRoute, type Route } from '../lib/router.js';
import { useSession } from '../lib/session.js';
import { AlertBoardPage } from './board.js';
import { CityMapPage } from './city-map.js';
import { DevicePage } from './device-page.js';
import { DevicesPage } from './devices.js';
import { Logo, SeverityIcon, SpeakerIcon } from './icons.js';
import { RulesPage } from './rules.js';
import { SilencesPage } from './silences.js';
import { AlertPage } from './alert-page.js';
import { NotificationsPage } from './notifications.js';

const NAV: { page: Route['page']; href: string; label: string }[] = [
  { page: 'alerts', href: '#/alerts', label: 'Alerts' },
  { page: 'devices', href: '#/devices', label: 'Devices' },
  { page: 'map', href: '#/map', label: 'City map' },
  { page: 'silences', href: '#/silences', label: 'Silences' },
  { page: 'notifications', href: '#/notifications', label: 'Notifications' },
  { page: 'rules', href: '#/rules', label: 'Rules' },
];

export function Shell({ onSignOut }: { onSignOut(): void }) {
  const session = useSession();
  const route = useRoute();
  useSubscription(session.board);
  const active = session.board.sorted();
  const unackedCritical = active.filter((a) => a.severity === 'critical' && a.state === 'firing').length;

  useEffect(() => {
    document.title = `${unackedCritical ? `(${unackedCritical}) ` : ''}citysense · operations`;
  }, [unackedCritical]);

  const alarms = useObservable(session.alarms);
  const current = route.page === 'device' ? 'devices' : route.page === 'alert' ? 'alerts' : route.page;
  return (
    <div class="shell" data-alarms={alarms}>
      <header class="topbar">
        <a class="brand" href="#/alerts">
          <Logo />
          <span class="brand-name">citysense</span>
          <span class="brand-sub">Yinchuan operations</span>
        </a>
        <nav class="nav">
          {NAV.map((n) => (
            <a key={n.page} href={n.href} class={`nav-link${current === n.page ? ' active' : ''}`} aria-current={current === n.page ? 'page' : undefined}>
              {n.label}
              {n.page === 'alerts' && active.length > 0 && (
                <span class={`nav-badge${unackedCritical ? ' crit' : ''}`} data-testid="nav-alert-count">{active.length}</span>
              )}
            </a>
          ))}
        </nav>
        <div class="topbar-right">
          <LiveIndicator />
          <SoundToggle />
          <Clock />
          <span class="user" title={`signed in as ${session.principal.name}`}>
            <span class="user-name">{session.principal.name}</span>
            <span class={`role role-${session.principal.role}`} data-testid="role">{session.principal.role}</span>
            {session.principal.scope && <span class="scope" data-testid="scope">{scopeLabel(session.principal.scope)}</span>}
          </span>
          <button class="btn btn-ghost" onClick={onSignOut}>Sign out</button>
        </div>
      </header>
      <ConnectionBanner />
      {unackedCritical > 0 && <CriticalBanner count={unackedCritical} />}
      <main class="content">{page(route)}</main>
      <StatusBar />
      <ToastList />
    </div>
  );
}

function page(route: Route) {
  switch (route.page) {
    case 'devices': return <DevicesPage />;
    case 'device': return <DevicePage key={route.id} id={route.id} />;
    case 'map': return <CityMapPage />;
    case 'silences': return <SilencesPage prefill={route.prefill} />;
    case 'alert': return <AlertPage key={route.id} id={route.id} />;
    case 'notifications': return <NotificationsPage />;
    case 'rules': return <RulesPage />;
    default: return <AlertBoardPage />;
  }
}

function CriticalBanner({ count }: { count: number }) {
  const session = useSession();
  const flashing = useObservable(session.flashing);
  const now = useNow(500);
  const hot = [...flashing.values()].some((until) => until > now);
  return (
    <a class={`critical-banner${hot ? ' hot' : ''}`} href="#/alerts" aria-live="polite" data-testid="critical-banner">
      <SeverityIcon severity="critical" />
      <strong>{count} critical {count === 1 ? 'alert' : 'alerts'}</strong> not acknowledged
    </a>
  );
}

/** While the live connection is down the board may be behind: say so plainly. */
function ConnectionBanner() {
  const session = useSession();
  const lostAt = useObservable(session.lostAt);
  const now = useNow(1000);
  if (lostAt === null || now - lostAt < 1500) return null;
  return (
    <div class="connection-banner" role="alert" data-testid="connection-banner">
      <span class="live-dot" />
      <strong>Live connection lost</strong> at {formatClock(new Date(lostAt).toISOString(), now)}. Reconnecting… The board may be out of date; missed
      alerts will be replayed when the connection is back.
    </div>
  );
}

function LiveIndicator() {
  const session = useSession();
  const status = useObservable(session.liveStatus);
  const label = { connecting: 'Connecting', live: 'Live', reconnecting: 'Reconnecting', unauthorized: 'Signed out' }[status];
  return (
    <span class={`live live-${status}`} data-testid="live-status" data-status={status} title={`last event #${session.board.lastEventId}`}>
      <span class="live-dot" />
      {label}
    </span>
  );
}

function SoundToggle() {
  const session = useSession();
  const on = useObservable(session.sound);
  return (
    <button
      class={`btn btn-icon${on ? '' : ' off'}`}
      title={on ? 'Sound on for new critical alerts (click to mute)' : 'Sound muted (click to turn on)'}
      aria-pressed={on}
      onClick={() => {
        session.alarm.unlock();
        session.sound.set(!on);
      }}
    >
      <SpeakerIcon on={on} />
    </button>
  );
}

function Clock() {
  const now = useNow(1000);
  return <span class="clock">{formatClock(new Date(now).toISOString(), now)}</span>;
}

function StatusBar() {
  const session = useSession();
  const stats = useObservable(session.stats);
  useSubscription(session.devices);
  const devices = session.devices.list();
  // A scoped user's stats leave out the platform-wide readings counters and spool: so does the footer.
  const refused = stats?.readings ? Object.values(stats.readings.refused).reduce((a, b) => a + b, 0) : 0;
  return (
    <footer class="statusbar">
      {stats ? (
        <>
          <span class={`sb-item${stats.store.up ? '' : ' bad'}`}>
            <span class={`dot ${stats.store.up ? 'ok' : 'bad'}`} /> store {stats.store.kind} {stats.store.up ? 'up' : 'DOWN'}
          </span>
          {stats.spool && <span class={`sb-item${stats.spool.backlog > 10_000 ? ' warn' : ''}`}>spool {formatCount(stats.spool.backlog)}</span>}
          <span class="sb-item" title={`${formatCount(devices.length)} registered`}>{formatCount(stats.connectedDevices)} devices connected</span>
          {stats.readings && <span class="sb-item">{formatCount(stats.readings.accepted)} readings accepted</span>}
          {stats.readings && <span class={`sb-item${refused ? ' warn' : ''}`}>{formatCount(refused)} refused</span>}
        </>
      ) : (
        <span class="sb-item">system status loading…</span>
      )}
      <span class="sb-spacer" />
      <span class="sb-item mono">event #{session.board.lastEventId}</span>
    </footer>
  );
}

function ToastList() {
  const session = useSession();
  const toasts = useObservable(session.toasts);
  return (
    <div class="toasts" aria-live="polite">
      {toasts.map((t) => <div key={t.id} class={`toast toast-${t.kind}`}>{t.text}</div>)}
    </div>
  );
}

/** A scope as the header shows it: `healthcare · Jinfeng`. */
function scopeLabel(scope: { domains?: string[]; districts?: string[] }): string {
  return [...(scope.domains ?? []), ...(scope.districts ?? [])].join(' · ');
}
