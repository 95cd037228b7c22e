/**
 * Captive-portal detection the way phones do it: fetch a URL that answers 204 with no body on
 * the open internet. A redirect, or any other answer, is a portal standing in the way (the
 * redirect names its login page); no answer at all is no internet. Redirects are not followed:
 * the portal's first answer is what tells it apart.
 */
import http from 'node:http';
import https from 'node:https';

export type PortalProbe =
  | { state: 'open' }
  | { state: 'portal'; status: number; redirectUrl?: string }
  | { state: 'offline'; error: string };

export function probePortal(url: string, timeoutMs: number): Promise<PortalProbe> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (p: PortalProbe) => {
      if (!settled) resolve(p);
      settled = true;
    };
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { timeout: timeoutMs, headers: { 'user-agent': 'vigil-portal-probe', connection: 'close' } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status === 204) return done({ state: 'open' });
      const location = res.headers.location;
      done({ state: 'portal', status, ...(location ? { redirectUrl: new URL(location, url).toString() } : {}) });
    });
    req.on('timeout', () => {
      req.destroy();
      done({ state: 'offline', error: `no answer from ${url} within ${timeoutMs} ms` });
    });
    req.on('error', (err) => done({ state: 'offline', error: `${url}: ${err.message}` }));
  });
}
