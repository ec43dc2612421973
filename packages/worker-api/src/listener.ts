import pg from 'pg';
import { type Logger } from './interfaces';

const RECONNECT_DELAY_MS = 1000;

/**
 * One dedicated connection LISTENing on some channels, reconnecting after failures, so any
 * process (the scheduler, the CLI) can reach the sessions this process holds.
 */
export class NotificationListener {
  private client: pg.Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private ready: Promise<void> | undefined;
  private listeningClient: pg.Client | undefined;

  constructor(
    private readonly url: string,
    private readonly handlers: Record<string, (payload: string) => void>,
    private readonly logger: Logger,
    /** Called each time listening (re)starts: notifications sent while down are lost. */
    private readonly onListening: () => void = () => {},
  ) {}

  /** Resolves once listening; a failure is logged and retried in the background. */
  start(): Promise<void> {
    this.ready ??= this.connect();
    return this.ready;
  }

  /** True while the connection is up and listening on every channel. */
  get listening(): boolean {
    return this.listeningClient !== undefined && this.listeningClient === this.client;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'buildfleet-worker-api' });
    this.client = client;
    client.on('notification', ({ channel, payload }) => this.handlers[channel]?.(payload ?? ''));
    client.on('error', (error) => this.reconnect(client, error));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      for (const channel of Object.keys(this.handlers)) await client.query(`listen ${pg.escapeIdentifier(channel)}`);
      this.listeningClient = client;
      this.onListening();
    } catch (error) {
      this.reconnect(client, error);
    }
  }

  private reconnect(client: pg.Client, error?: unknown): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    this.listeningClient = undefined;
    client.end().catch(() => {});
    this.logger.warn(
      `worker-api: lost the notification connection${error instanceof Error ? ` (${error.message})` : ''}; reconnecting`,
    );
    this.retry = setTimeout(() => void this.connect(), RECONNECT_DELAY_MS);
  }
}
