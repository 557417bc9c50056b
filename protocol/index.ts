// protocol/: the contract shared by the server, the clients, the simulators and offline tools.
// No I/O here, and no imports from the rest of the code base.

export * from './errors.ts';
export * from './limits.ts';
export * from './messages.ts';
export * from './codec.ts';
export * from './validate.ts';
export * from './twin-schema.ts';
export * from './lead.ts';
export * from './views.ts';
export * from './feed-timing.ts';
