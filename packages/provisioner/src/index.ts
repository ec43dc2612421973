export * from './interfaces';
export * from './reasons';
export * from './decisions';
export { plan, idleSeconds } from './planner';
