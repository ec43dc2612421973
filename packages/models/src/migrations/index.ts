import { initial } from './0001-initial';
import { scheduling } from './0002-scheduling';
import { workerApi } from './0003-worker-api';
import { provisioning } from './0004-provisioning';
import { sealedCredentials } from './0005-sealed-credentials';
import { dayTwoOperations } from './0006-day-two-operations';
import { workerSessions } from './0007-worker-sessions';
import { images } from './0008-images';
import { taskAvailability } from './0010-task-availability';
import { poolSamples } from './0012-pool-samples';
import { waitingQueueIndexes } from './0014-waiting-queue-indexes';
import { drainingWorkers } from './0016-draining-workers';
import { lostWorkIndex } from './0017-lost-work-index';
import { linearNameChecks } from './0018-linear-name-checks';
import { type Migration } from './types';

/** Every migration, oldest first. Append only: a landed migration is never edited. */
export const migrations: readonly Migration[] = [
  initial,
  scheduling,
  workerApi,
  provisioning,
  sealedCredentials,
  dayTwoOperations,
  workerSessions,
  images,
  taskAvailability,
  poolSamples,
  waitingQueueIndexes,
  drainingWorkers,
  lostWorkIndex,
  linearNameChecks,
];
export type { Migration };
