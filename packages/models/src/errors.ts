/** A named object does not exist. The CLI exits 3 for these, as debusine-admin does. */
export class NotFoundError extends Error {
  constructor(
    readonly kind: string,
    readonly key: string,
    hint?: string,
  ) {
    super(`${kind} "${key}" does not exist${hint ? `; ${hint}` : ''}`);
    this.name = 'NotFoundError';
  }
}

/** The request is well-formed but conflicts with what is stored; nothing was written. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}
