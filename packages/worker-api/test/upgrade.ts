import { connect } from 'node:net';

/**
 * Sends a WebSocket upgrade request on `path` from a plain TCP socket that never closes on its
 * own, and resolves with the status line and how long the server took to close the socket.
 */
export function rawUpgrade(baseUrl: string, path: string, timeoutMs = 5000): Promise<{ status: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server held the upgrade on ${path} open for ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ status: received.split('\r\n')[0] ?? '', closedAfterMs: Date.now() - started });
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
  });
}
