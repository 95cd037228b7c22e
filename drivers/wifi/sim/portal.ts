/**
 * The simulated internet as the board's client interface reaches it: a real HTTP server on
 * 127.0.0.1 that answers a connectivity probe the way the network the board is associated with
 * would, and serves captive portals. Real HTTP, so the code that probes and logs in (fetch, its
 * redirects, its timeouts, its form encoding) is exercised as on a device.
 *
 * - GET /generate_204: 204 on a network with internet and no portal left to pass; 302 to the
 *   portal while it is not passed; no answer at all (the socket is dropped) when not associated
 *   or when the network has no uplink, so a probe fails the way it does on a dead network.
 * - GET /portal/<ssid>: the login form; POST /portal/<ssid>/login: user and password,
 *   application/x-www-form-urlencoded; 200 "ok" passes the portal for this association (a new
 *   association needs a new login), 403 otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DriverError } from '../../../runtime/errors.js';
import type { PortalLogin } from './environment.js';

/** The client interface's association, as far as the portal needs it. */
export interface PortalAssociation {
  /** Increases with every association, so a login passes only the one it was made in. */
  id: number;
  ssid: string;
  internet: boolean;
  portal: PortalLogin | undefined;
  passed: boolean;
}

export interface PortalHost {
  /** The current association of the client interface; undefined when it is not connected. */
  association(): PortalAssociation | undefined;
  /** The portal of association `id` was passed. */
  passPortal(id: number): void;
}

/** More than any login form posts: a larger body is refused rather than buffered. */
const MAX_BODY = 4096;

export class PortalServer {
  readonly #host: PortalHost;
  #server: Server | undefined;
  #port = 0;

  constructor(host: PortalHost) {
    this.#host = host;
  }

  get started(): boolean {
    return this.#server !== undefined;
  }

  get port(): number {
    this.#requireStarted();
    return this.#port;
  }

  /** The connectivity check's URL (NetworkManager's connectivity.uri on the simulated board). */
  get probeUrl(): string {
    return `http://127.0.0.1:${this.port}/generate_204`;
  }

  portalUrl(ssid: string): string {
    return `http://127.0.0.1:${this.port}/portal/${encodeURIComponent(ssid)}`;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    const server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    // Keep-alive sockets (fetch keeps them) would hold close() open until they time out.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #requireStarted(): void {
    if (!this.#server) throw new DriverError('wifi', 'the simulated portal server is not started: call start() on the simulated NetworkManager first', { code: 'WIFI_SIM_NOT_STARTED' });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const association = this.#host.association();
    if (url.pathname === '/generate_204') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
      if (!association) return drop(req);
      if (association.portal && !association.passed) {
        res.writeHead(302, { Location: this.portalUrl(association.ssid), 'Content-Type': 'text/html; charset=utf-8' });
        res.end('<html><body>Login required</body></html>\n');
        return;
      }
      if (!association.internet) return drop(req);
      res.writeHead(204);
      res.end();
      return;
    }
    const m = /^\/portal\/([^/]+)(\/login)?$/.exec(url.pathname);
    if (!m) return send(res, 404, 'not found');
    let ssid: string;
    try {
      ssid = decodeURIComponent(m[1]!);
    } catch {
      return send(res, 400, 'bad network name in the path');
    }
    // The portal lives on the access point: off that network it cannot be reached at all.
    if (!association) return drop(req);
    if (association.ssid !== ssid || !association.portal) return send(res, 404, `no captive portal for ${JSON.stringify(ssid)} on this network`);
    if (!m[2]) {
      if (req.method !== 'GET') return send(res, 405, 'method not allowed');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(loginForm(ssid));
      return;
    }
    if (req.method !== 'POST') return send(res, 405, 'method not allowed');
    const portal = association.portal;
    const id = association.id;
    readBody(req, (body) => {
      if (body === undefined) return send(res, 413, 'login form too large');
      const form = new URLSearchParams(body);
      if (form.get('user') === portal.user && form.get('password') === portal.password) {
        this.#host.passPortal(id);
        return send(res, 200, 'ok');
      }
      send(res, 403, 'wrong user or password');
    });
  }
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** No answer: what a probe meets on a network that goes nowhere. */
function drop(req: IncomingMessage): void {
  req.socket.destroy();
}

function readBody(req: IncomingMessage, done: (body: string | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY) over = true;
    else chunks.push(chunk);
  });
  req.on('end', () => done(over ? undefined : Buffer.concat(chunks).toString('utf8')));
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginForm(ssid: string): string {
  const action = `/portal/${encodeURIComponent(ssid)}/login`;
  return [
    '<!doctype html>',
    `<html><head><title>${escapeHtml(ssid)}: log in</title></head><body>`,
    `<h1>Welcome to ${escapeHtml(ssid)}</h1>`,
    `<form method="post" action="${escapeHtml(action)}">`,
    '<label>User <input name="user"></label>',
    '<label>Password <input name="password" type="password"></label>',
    '<button type="submit">Log in</button>',
    '</form></body></html>',
    '',
  ].join('\n');
}
