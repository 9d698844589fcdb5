/** Where a client authenticated: MQTT devices, REST requests, Socket.IO handshakes. */
export type AuthTransport = 'mqtt' | 'rest' | 'socketio';

/**
 * One failed authentication, as a room reports it at its door (the composition root logs and counts these).
 * `reason` is a short stable code (`bad_token`, `no_token`, `wrong_secret`, `unknown_device`, `rate_limited`, …).
 */
export interface AuthFailure {
  transport: AuthTransport;
  reason: string;
  /** The client's address, when known. */
  address?: string;
  /** This failure is the one that locked the address out for the rest of the minute. */
  lockout: boolean;
  /** Who it claimed to be, when that is not a secret (an MQTT username, a client id). */
  who?: string;
}

/** Receives failed authentications; must not throw. */
export type AuthFailureListener = (failure: AuthFailure) => void;
