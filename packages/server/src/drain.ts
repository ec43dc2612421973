import { type Server, type ServerResponse } from 'node:http';

/**
 * Tracks the HTTP requests being answered, so a shutdown can stop listening and then wait for
 * them before it closes what they use. Once draining, each response closes its connection,
 * so keep-alive clients reconnect (to another replica) instead of sending more here.
 */
export class RequestDrain {
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;
  private onIdle: (() => void) | undefined;

  constructor(private readonly server: Server) {
    server.on('request', (_req, res: ServerResponse) => {
      this.inFlight.add(res);
      if (this.draining) closeAfter(res);
      res.once('close', () => {
        this.inFlight.delete(res);
        if (!this.inFlight.size) this.onIdle?.();
      });
    });
  }

  /**
   * Stops accepting connections and waits, at most `graceMs`, until every request in flight
   * has been answered; then closes every connection left. Returns how many requests were
   * still unanswered when it gave up (0 when none).
   */
  async drain(graceMs: number): Promise<number> {
    this.draining = true;
    this.server.close();
    for (const res of this.inFlight) closeAfter(res);
    if (this.inFlight.size) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.onIdle = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    }
    const unanswered = this.inFlight.size;
    this.server.closeAllConnections();
    return unanswered;
  }
}

function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
}
