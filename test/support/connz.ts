import { get } from 'node:http';

/** Number of client connections a nats-server reports on its monitoring endpoint. */
export function connections(monitorUrl: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`${monitorUrl}/connz`, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => { try { resolve(Number(JSON.parse(body).num_connections)); } catch (err) { reject(err); } });
    }).on('error', reject);
  });
}
