// Writes docs/dashboard.png, the README's picture of the live topology page (GET /dashboard):
// `npm run build && node dist/scripts/dashboard-screenshot.js`. Starts a server on a free port
// with throwaway keys and data, connects clients of three dialects (JSON, PCP v2, 1.x binary) with
// brewers, subscriptions and a patron, adds a static brewer by command, then opens the page in
// Debian's chromium (playwright-core), connects with an admin token and waits for it to be live.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { PcpClient } from '../src/client/pcpClient.js';
import { PubkeeperClient } from '../src/client/pubkeeperClient.js';
import { loadConfig } from '../src/config/load.js';
import { signToken } from '../src/core/auth/signToken.js';
import { silentLogger } from '../src/core/logger.js';
import { decodeV1Frame, encodeV1Frame } from '../src/protocol/pubkeeper-v1/frame.js';
import { V1Packet } from '../src/protocol/pubkeeper-v1/packets.js';
import { generateKeys, loadKeyDir } from '../src/server/keyFiles.js';
import { PubkeeperServer } from '../src/server/pubkeeperServer.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// dist/scripts/ → repo root
const root = fileURLToPath(new URL('../../', import.meta.url));
const out = join(root, 'docs', 'dashboard.png');

if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium).`);
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), 'pubkeeper-screenshot-'));
const keyDir = join(scratch, 'keys');
mkdirSync(keyDir);
generateKeys(keyDir, 'ES256');
const keys = loadKeyDir(keyDir);
const signing = keys.signing[0];
if (!signing) throw new Error('no signing key generated');
const mint = (sub: string, rights: string[] = ['all']): string => signToken(signing, { sub, rights, issuer: 'pubkeeper', audience: 'pubkeeper' });

const config = loadConfig({ flags: { host: '127.0.0.1', port: 0, keys: keyDir, dataDir: join(scratch, 'data') } });
const server = new PubkeeperServer({ config, logger: silentLogger, keyring: { keys: keys.verification } });
const { port } = await server.listen();
const base = `ws://127.0.0.1:${port}`;
const sockets: { close(): unknown }[] = [];

/** A JSON-dialect client (the SDK), authenticated as `sub`. */
async function json(sub: string): Promise<PubkeeperClient> {
  const client = await PubkeeperClient.connect(`${base}/ws`);
  sockets.push(client);
  if (!(await client.authenticate(mint(sub)))) throw new Error(`${sub} did not authenticate`);
  return client;
}

/** A PCP v2 client `pcp://<sub>/<type>`. */
async function pcp(sub: string, type: string): Promise<PcpClient> {
  const client = await PcpClient.connect(base, { token: mint(sub), type });
  sockets.push(client);
  return client;
}

/** A 1.x binary-dialect client holding one patron; resolves once the server has it. */
async function v1Patron(sub: string, topic: string, patronId: string): Promise<void> {
  const socket = new WebSocket(`${base}/ws`, ['pubkeeper-1.1']);
  sockets.push(socket);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const token = mint(sub);
  // The server answers a session's packets in order: the AUTHENTICATED after the patron means it is held.
  const answered = (count: number): Promise<void> =>
    new Promise((resolve) => {
      let seen = 0;
      const onMessage = (data: Buffer): void => {
        const frame = decodeV1Frame('1.1', data);
        if (frame.ok && frame.value.id === V1Packet.CLIENT_AUTHENTICATED && ++seen === count) {
          socket.off('message', onMessage);
          resolve();
        }
      };
      socket.on('message', onMessage);
    });
  const both = answered(2);
  socket.send(encodeV1Frame('1.1', V1Packet.CLIENT_AUTHENTICATE, { token }));
  socket.send(encodeV1Frame('1.1', V1Packet.PATRON_REGISTER, { topic, patron_id: patronId, brews: [{ name: 'websocket' }] }));
  socket.send(encodeV1Frame('1.1', V1Packet.CLIENT_AUTHENTICATE, { token }));
  await both;
}

const adminToken = mint('ops', ['admin:*']);
try {
  const kitchen = await json('kitchen-hub');
  await kitchen.registerBrewer('sensors.kitchen.temperature', { uuid: 'kt-01', hostname: '10.0.0.21', port: 9000, protocol: 'websocket' });
  await kitchen.registerBrewer('sensors.kitchen.humidity', { uuid: 'kh-01', hostname: '10.0.0.21', port: 9000, protocol: 'websocket' });
  const garage = await json('garage-pi');
  await garage.registerBrewer('sensors.garage.door', { uuid: 'gd-01', hostname: '10.0.0.34', port: 9100 });
  await garage.registerBrewer('sensors.garage.temperature', { uuid: 'gt-01', hostname: '10.0.0.34', port: 9100 });
  const grafana = await json('grafana');
  await grafana.subscribe('sensors.**');

  const hvac = await pcp('hvac', 'controller');
  await hvac.subscribe('sensors.*.temperature');
  await hvac.registerBrewer('hvac.setpoint', { uuid: 'hvac-sp', hostname: '10.0.0.50', port: 7000 });
  const alarm = await pcp('alarm', 'agent');
  await alarm.subscribe('sensors.garage.*');
  await alarm.subscribe('alerts.**');

  await v1Patron('legacy-logger', 'sensors.kitchen.*', 'log-kitchen');

  // A server-owned brewer, added by command (processed asynchronously: the page waits for it).
  const submitted = await fetch(`http://127.0.0.1:${port}/commands`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ command: 'register static brewer', version: 1, payload: { topic: 'weather.outdoor.forecast', brewer: { uuid: 'met-feed', hostname: 'feeds.example.net', port: 443 } } }),
  });
  if (!submitted.ok) throw new Error(`the static brewer command was refused: ${submitted.status} ${await submitted.text()}`);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 700 }, locale: 'en-GB', reducedMotion: 'reduce' });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/dashboard`);
    await page.fill('#token', adminToken);
    await page.click('#connect');
    await page.waitForSelector('#status:has-text("live")', { timeout: 10_000 });
    await page.waitForSelector('[data-brewer="met-feed"]', { timeout: 10_000 });
    // One change after the page is live, to show it arrives over the feed.
    await kitchen.registerBrewer('sensors.kitchen.co2', { uuid: 'kc-01', hostname: '10.0.0.21', port: 9000, protocol: 'websocket' });
    await page.waitForSelector('[data-topic="sensors.kitchen.co2"] [data-brewer="kc-01"]', { timeout: 10_000 });
    mkdirSync(dirname(out), { recursive: true });
    await page.screenshot({ path: out });
  } finally {
    await browser.close();
  }
  console.log(`wrote ${out} (${statSync(out).size} bytes)`);
} finally {
  for (const socket of sockets) socket.close();
  await server.drain();
  rmSync(scratch, { recursive: true, force: true });
}
