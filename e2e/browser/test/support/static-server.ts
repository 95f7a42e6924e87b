/** A static file server on 127.0.0.1 (random port) for the page and the models. */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, extname } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
};

/** A running server. */
export interface StaticServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Every path requested so far, with the status answered. */
  requests: { path: string; status: number }[];
  /** Stops the server. */
  close(): Promise<void>;
}

/** Serves `mounts` (URL prefix such as `/models/tt` → directory) on a random port. */
export async function serveStatic(mounts: Record<string, string>): Promise<StaticServer> {
  const requests: StaticServer['requests'] = [];
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const answer = (status: number, body: Buffer | string, type = 'text/plain') => {
      requests.push({ path, status });
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const prefix = prefixes.find((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
    if (!prefix) return answer(404, 'not found');
    let rest = normalize(path.slice(prefix.length)).replace(/^\/+/, '');
    if (rest === '' || rest === '.') rest = 'index.html';
    if (rest.startsWith('..')) return answer(403, 'forbidden');
    readFile(join(mounts[prefix]!, rest)).then(
      (body) => answer(200, body, TYPES[extname(rest)] ?? 'application/octet-stream'),
      () => answer(404, 'not found'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('the static server has no port');
  return {
    origin: `http://127.0.0.1:${addr.port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
