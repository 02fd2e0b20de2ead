export * from './members.ts';
export * from './council.ts';
export * from './schedule.ts';
