import { get } from 'node:http';

/** GET a nats-server monitoring endpoint (`/connz`, `/varz`, …) as JSON. */
export function getJson(url: string): Promise<any> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => { try { resolve(JSON.parse(body)); } catch (err) { reject(err); } });
    }).on('error', reject);
  });
}

/** Number of client connections a nats-server reports on its monitoring endpoint. */
export async function connections(monitorUrl: string): Promise<number> {
  return Number((await getJson(`${monitorUrl}/connz`)).num_connections);
}
