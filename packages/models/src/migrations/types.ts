/** One schema change: SQL run in a single transaction each way. */
export interface Migration {
  /** `NNNN-what-it-does`; the numeric prefix orders migrations and never changes. */
  name: string;
  up: string;
  down: string;
}
