import pg from 'pg';

/** The advisory lock every provisioning tick and manual launch or terminate holds. */
const LOCK_KEY = 'buildfleet:provisioner';

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Takes the provisioning lock on a connection of its own (a session lock: no transaction stays
 * open while the tick calls the cloud). With `waitMs` 0 it gives up at once and returns null;
 * otherwise it waits up to `waitMs`.
 */
export async function acquireProvisioningLock(url: string, { waitMs }: { waitMs: number }): Promise<HeldLock | null> {
  const client = new pg.Client({ connectionString: url, application_name: 'buildfleet-provisioner-lock' });
  await client.connect();
  try {
    let held: boolean;
    if (waitMs > 0) {
      await client.query(`select set_config('lock_timeout', $1::text, false)`, [`${waitMs}ms`]);
      held = await client.query(`select pg_advisory_lock(hashtext($1::text))`, [LOCK_KEY]).then(
        () => true,
        (error: { code?: string }) => {
          if (error.code === '55P03') return false;
          throw error;
        },
      );
    } else {
      const { rows } = await client.query<{ held: boolean }>(`select pg_try_advisory_lock(hashtext($1::text)) as held`, [LOCK_KEY]);
      held = rows[0]!.held;
    }
    if (!held) {
      await client.end();
      return null;
    }
  } catch (error) {
    await client.end();
    throw error;
  }
  return {
    release: async () => {
      // Closing the session releases the lock, even if the unlock itself fails.
      await client.query(`select pg_advisory_unlock(hashtext($1::text))`, [LOCK_KEY]).catch(() => undefined);
      await client.end();
    },
  };
}
