import { type Sequelize } from 'sequelize';

export function seedLargeFleet(
  sequelize: Sequelize,
  options: { prefix: string; active: number; inactive: number; pool: string; scope: string },
): Promise<void>;
