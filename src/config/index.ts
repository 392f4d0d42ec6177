/** The validated configuration: schema, types and loading. */
export * from './schema';
export * from './load';
export * from './database';
export * from './backup';
export * from './logical-backup';
export * from './scaling';
export * from './acceleration';
export * from './monitoring';
export * from './ingress';
