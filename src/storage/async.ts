/**
 * The asynchronous twin of a synchronous port: every method returns a promise of what the port's method returns.
 * The PostgreSQL adapters are typed against the same ports as the SQLite ones this way (`Async<DeviceRegistry>`).
 */
export type Async<P> = {
  [K in keyof P]: P[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : P[K];
};
