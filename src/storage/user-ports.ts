import type { Role } from './ports.js';

/**
 * What a user or token may see and act on: devices (and their readings, alerts, dead letters) of these domains
 * and districts. A list that is absent does not limit; both present: both must hold. No scope: everything.
 */
export interface Scope {
  domains?: string[];
  districts?: string[];
}

export interface NewUser {
  username: string;
  /** Display name: what acknowledgements and other actions are credited to. */
  name: string;
  role: Role;
  scope?: Scope;
  disabled?: boolean;
}

export interface User extends Required<Omit<NewUser, 'scope'>> {
  id: string;
  scope?: Scope;
  createdAt: number;
  updatedAt: number;
}

/** Fields an update may change; absent ones are kept. `scope: null` removes the scope. */
export interface UserUpdate {
  username?: string;
  name?: string;
  role?: Role;
  scope?: Scope | null;
  disabled?: boolean;
}

/** People who sign in with a password (stored as a slow-KDF hash). Usernames are unique, ignoring case. */
export interface UserStore {
  /** Throws AppError `conflict` (409) when the username is taken. */
  create(user: NewUser, passwordHash: string): User;
  get(id: string): User | undefined;
  /** The user and their password hash, by username (any case). */
  findByUsername(username: string): { user: User; passwordHash: string } | undefined;
  /** Ordered by username; `after` pages (usernames after it). */
  list(opts?: { after?: string; limit?: number }): User[];
  /** Undefined when there is no such user; throws `conflict` when the new username is taken. */
  update(id: string, patch: UserUpdate, passwordHash?: string): User | undefined;
  delete(id: string): boolean;
  count(): number;
}

export interface Session {
  /** The SHA-256 of the cookie's secret: the secret itself is never stored. */
  id: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
}

/** Sign-in sessions of users; they end on sign-out, after inactivity, or with their user (deleted or disabled). */
export interface SessionStore {
  create(id: string, userId: string): Session;
  get(id: string): Session | undefined;
  /** Records activity (the inactivity clock restarts). */
  touch(id: string, at: number): void;
  delete(id: string): boolean;
  /** Ends every session of a user; returns how many. */
  deleteForUser(userId: string): number;
  /** Removes sessions idle since before `before` (epoch ms); returns how many. */
  purgeIdle(before: number): number;
}
