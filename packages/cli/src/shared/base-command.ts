import { type Database, openDatabase } from '@buildfleet/models';
import { type PostgresServer, startPostgresServer } from '@buildfleet/pg-server';
import { Command, Errors } from '@oclif/core';
import { describeFailure, ExitCode, type Failure } from './failure';

/** The `--json` output of a failed command. */
export interface ErrorResult {
  error: Failure;
}

/** A command whose work partly failed: its result is printed as on success, then it exits non-zero. */
class PartlyFailed extends Error {
  constructor(
    readonly result: unknown,
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'PartlyFailed';
  }
}

/**
 * Base of every buildfleet command: `--json`, the database (DATABASE_URL or the embedded
 * PostgreSQL), and one mapping from errors to messages and exit codes.
 */
export abstract class BuildfleetCommand extends Command {
  static override enableJsonFlag = true;

  /** Runs `fn` on the migrated database, and always closes it (stopping an embedded server it started). */
  protected async withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    const db = await openDatabase();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  /** Runs `fn` with the server's URL whatever state its schema is in (for `db` commands). */
  protected async withServer<T>(fn: (url: string, server: PostgresServer) => Promise<T>): Promise<T> {
    const server = await startPostgresServer();
    try {
      return await fn(server.url, server);
    } finally {
      await server.stop();
    }
  }

  /**
   * Ends a command some of whose work failed: `--json` prints `result`, the command's documented
   * result, as on success; without it, `message` goes to stderr. Either way it exits `exitCode`.
   */
  protected partlyFailed(result: unknown, message: string, exitCode: number = ExitCode.Failure): never {
    throw new PartlyFailed(result, message, exitCode);
  }

  protected override async catch(error: Error): Promise<never> {
    if (error instanceof PartlyFailed) {
      if (!this.jsonEnabled()) throw new Errors.CLIError(error.message, { exit: error.exitCode });
      this.logJson(error.result);
      throw new Errors.ExitError(error.exitCode);
    }
    const failure = describeFailure(error);
    if (this.jsonEnabled()) {
      this.logJson({ error: failure } satisfies ErrorResult);
      throw new Errors.ExitError(failure.exitCode);
    }
    if (error instanceof Errors.CLIError) throw error;
    throw new Errors.CLIError(failure.message, { exit: failure.exitCode });
  }
}
