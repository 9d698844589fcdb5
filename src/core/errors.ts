/** A start-up problem in configuration: names the setting so an operator can fix it. */
export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** A refusal with a stable code, mapped to an HTTP status once, at the API's edge. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`, 404);
export const conflict = (message: string) => new AppError('conflict', message, 409);
export const badRequest = (message: string, details?: unknown) => new AppError('bad_request', message, 400, details);
