export { closeOnSignals, logTickEvent, type RunningServer, type ServeOptions, startServer, STATUS_PATH } from './server';
export { Loop, type LoopOptions } from './loop';
export { unmetDemandSection } from './sections';
export { SESSION_COOKIE, type SignInOptions, type StatusViewer } from './sign-in';
export * from './demo';
export { formatRecord, humanLogStream } from './log-format';
